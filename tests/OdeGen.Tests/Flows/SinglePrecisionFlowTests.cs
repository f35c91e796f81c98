using System.Runtime.Intrinsics;
using OdeGen.Flows;
using OdeGen.Lanes;
using OdeGen.Samples.Cnf;
using OdeGen.Testing;

namespace OdeGen.Tests.Flows;

/// <summary>
/// The opt-in single-precision kernel (<see cref="CnfPrecision.Single"/>: the split field's generated lane methods over
/// <see cref="LaneFloat512"/>, the solver's state in double): its tanh within its bound in float ulp (every float of [1/16, 16), samples elsewhere); the lane type's loads, stores and
/// sums; each lane computing exactly what it computes alone (no lane leaks into another); the float kernel against the
/// double one to float rounding; log-densities and training gradients of the float flow against the double flow and
/// against central differences, for both sensitivities and both traces; no allocation per call; the options checked.
/// </summary>
public class SinglePrecisionFlowTests
{
    private static CnfHyperSplit.HypernetworkFunction Hyper => new(CnfHyper.Size);

    // Twice torch's initial weights (as HypernetworkFlowTests): derivatives of order one.
    private static double[] Theta(int seed) => CnfHyper.Initial(seed).Select(v => 2 * v).ToArray();

    private static double Ulps(float got, double exact)
    {
        float rounded = (float)exact;
        if (float.IsNaN(got) || float.IsNaN(rounded)) return float.IsNaN(got) && float.IsNaN(rounded) ? 0 : double.PositiveInfinity;
        if (got == rounded) return 0;
        double ulp = MathF.BitIncrement(MathF.Abs(rounded)) - MathF.Abs(rounded);
        return Math.Abs(got - exact) / ulp;
    }

    // Worst error of LaneFloat512.Tanh in float ulp over the given floats, each in lane 5 of a register whose other
    // lanes differ (a lane mix-up would show), with the argument where it occurs.
    private static (double Worst, float At) TanhError(IEnumerable<float> xs)
    {
        double worst = 0;
        float at = 0;
        Span<float> lanes = stackalloc float[16];
        foreach (float x in xs)
        {
            for (int k = 0; k < 16; k++) lanes[k] = k == 5 ? x : k * 0.37f;
            float got = LaneFloat512.Tanh(new LaneFloat512(Vector512.Create((ReadOnlySpan<float>)lanes))).Value.GetElement(5);
            double error = Ulps(got, Math.Tanh(x));
            if (error > worst) (worst, at) = (error, x);
        }
        return (worst, at);
    }

    [Fact]
    public void Tanh_IsWithinItsBound_KeepsTheSignOfZero_AndPassesNaN()
    {
        var random = new Random(1);
        var xs = new List<float> { 0f, 1e-45f, 1e-38f, 1e-30f, 1e-8f, 0.1f, 0.5f, 0.625f, 1f, 2f, 5f, 8.9f, 8.99999f, 9f, 9.1f, 20f, 44f, 88f, 1e4f, 1e10f, float.MaxValue, float.PositiveInfinity };
        for (int i = 0; i < 20000; i++) xs.Add((float)((random.NextDouble() - 0.5) * 24 * Math.Pow(10, -random.Next(0, 30))));
        (double worst, float at) = TanhError(xs.Concat(xs.Select(x => -x)));
        Assert.True(worst <= LaneFloat512.TanhUlps, $"{worst:F2} float ulp at x = {at:R}");
        Assert.True(float.IsNegative(LaneFloat512.Tanh(new LaneFloat512(Vector512.Create(-0f))).Value.GetElement(0)));
        Assert.True(float.IsPositive(LaneFloat512.Tanh(LaneFloat512.Zero).Value.GetElement(0)));
        Assert.True(float.IsNaN(LaneFloat512.Tanh(new LaneFloat512(Vector512.Create(float.NaN))).Value.GetElement(3)));
        Assert.Equal(-1f, LaneFloat512.Tanh(new LaneFloat512(Vector512.Create(float.NegativeInfinity))).Value.GetElement(0));
        Assert.Equal(1f, LaneFloat512.Tanh(new LaneFloat512(Vector512.Create(9f))).Value.GetElement(0));
    }

    /// <summary>
    /// Every float of [1/16, 16) (6.7e7 of them), where the rational function's rounding errors are largest: the bound is
    /// met, and it is not loose (the worst error is above two thirds of it). tanh is odd by construction (the sign is x's
    /// through the product), so the positive floats stand for both.
    /// </summary>
    [Fact]
    public void Tanh_MeetsItsBound_OnEveryFloatWhereItIsTight()
    {
        uint from = BitConverter.SingleToUInt32Bits(0.0625f), to = BitConverter.SingleToUInt32Bits(16f);
        (double worst, float at) = TanhError(Floats(from, to));
        Assert.True(worst <= LaneFloat512.TanhUlps, $"{worst:F2} float ulp at x = {at:R}");
        Assert.True(worst > LaneFloat512.TanhUlps * 2 / 3, $"{worst:F2} float ulp at most: the bound {LaneFloat512.TanhUlps} is loose");

        static IEnumerable<float> Floats(uint from, uint to)
        {
            for (uint bits = from; bits < to; bits++) yield return BitConverter.UInt32BitsToSingle(bits);
        }
    }

    [Fact]
    public void Lane_LoadsStoresAndSums_RoundToFloatOnTheWayIn()
    {
        double[] values = Enumerable.Range(0, 40).Select(i => (i * 0.1) + (1.0 / 3)).ToArray();
        LaneFloat512 lane = LaneFloat512.Load(values, 3);
        for (int k = 0; k < 16; k++) Assert.Equal((double)(float)values[3 + k], LaneFloat512.GetLane(lane, k));
        var back = new double[40];
        LaneFloat512.Store(lane, back, 2);
        for (int k = 0; k < 16; k++) Assert.Equal((double)(float)values[3 + k], back[2 + k]);
        LaneFloat512 strided = LaneFloat512.LoadStrided(values, 1, 2);
        for (int k = 0; k < 16; k++) Assert.Equal((double)(float)values[1 + (2 * k)], LaneFloat512.GetLane(strided, k));
        Array.Clear(back);
        LaneFloat512.StoreStrided(strided, back, 0, 2);
        for (int k = 0; k < 16; k++) Assert.Equal((double)(float)values[1 + (2 * k)], back[2 * k]);
        double sum = 0;
        for (int k = 0; k < 16; k++) sum += (float)values[3 + k];
        Assert.Equal(sum, LaneFloat512.Sum(lane));
        for (int k = 0; k < 16; k++) Assert.Equal(k, LaneFloat512.GetLane(LaneFloat512.Indices, k));
        Assert.Equal((double)(float)0.1, LaneFloat512.GetLane(LaneFloat512.Create(0.1), 9));
    }

    private static double[] Vector(int seed, int count, double scale = 1)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => ((random.NextDouble() * 2) - 1) * scale).ToArray();
    }

    // The layer's parameters q as the hypernetwork makes them at t = 0.7, in double.
    private static double[] Q()
    {
        var q = new double[CnfHyperSplit.LayerSize];
        Hyper.Evaluate([0.7], Theta(2), q);
        return q;
    }

    [Fact]
    public void Kernel_EachLaneComputesWhatItComputesAlone_AndTheDoubleKernelToFloatRounding()
    {
        var layer = default(CnfHyperSplit.LayerSystem);
        double[] q = Q(), z = Vector(3, 32, 1.5), a = Vector(4, 32);
        LaneFloat512[] qf = q.Select(LaneFloat512.Create).ToArray();
        Lane512[] qd = q.Select(Lane512.Create).ToArray();
        const double s = 0.8;

        // All 16 samples in one register.
        LaneFloat512[] zl = Gather(z), al = Gather(a), f = new LaneFloat512[2], zBar = new LaneFloat512[2], qBar = new LaneFloat512[q.Length];
        LaneFloat512 trace = layer.EvaluateDivergenceLanes(0.7, zl, qf, f);
        LaneFloat512 tBar = layer.VjpDivergenceVjpLanes(0.7, zl, qf, al, LaneFloat512.Create(s), zBar, qBar);

        for (int k = 0; k < 16; k++)
        {
            // Sample k alone, broadcast to every lane: bit for bit the same as in the mixed register.
            LaneFloat512[] z1 = [LaneFloat512.Create((float)z[2 * k]), LaneFloat512.Create((float)z[(2 * k) + 1])];
            LaneFloat512[] a1 = [LaneFloat512.Create((float)a[2 * k]), LaneFloat512.Create((float)a[(2 * k) + 1])];
            LaneFloat512[] f1 = new LaneFloat512[2], zBar1 = new LaneFloat512[2], qBar1 = new LaneFloat512[q.Length];
            LaneFloat512 trace1 = layer.EvaluateDivergenceLanes(0.7, z1, qf, f1);
            LaneFloat512 tBar1 = layer.VjpDivergenceVjpLanes(0.7, z1, qf, a1, LaneFloat512.Create(s), zBar1, qBar1);
            Assert.Equal(LaneFloat512.GetLane(trace, k), LaneFloat512.GetLane(trace1, 3));
            Assert.Equal(LaneFloat512.GetLane(tBar, k), LaneFloat512.GetLane(tBar1, 11));
            for (int i = 0; i < 2; i++)
            {
                Assert.Equal(LaneFloat512.GetLane(f[i], k), LaneFloat512.GetLane(f1[i], 0));
                Assert.Equal(LaneFloat512.GetLane(zBar[i], k), LaneFloat512.GetLane(zBar1[i], 15));
            }
            for (int j = 0; j < q.Length; j++) Assert.Equal(LaneFloat512.GetLane(qBar[j], k), LaneFloat512.GetLane(qBar1[j], 7));

            // The double kernel on the same (float-rounded) sample: equal to float rounding.
            Lane512[] zd = [Lane512.Create((float)z[2 * k]), Lane512.Create((float)z[(2 * k) + 1])];
            Lane512[] ad = [Lane512.Create((float)a[2 * k]), Lane512.Create((float)a[(2 * k) + 1])];
            Lane512[] fd = new Lane512[2], zBarD = new Lane512[2], qBarD = new Lane512[q.Length];
            double traceD = Lane512.GetLane(layer.EvaluateDivergenceLanes(0.7, zd, qd, fd), 0);
            double tBarD = Lane512.GetLane(layer.VjpDivergenceVjpLanes(0.7, zd, qd, ad, Lane512.Create(s), zBarD, qBarD), 0);
            Close(traceD, LaneFloat512.GetLane(trace, k), 1, "trace");
            Close(tBarD, LaneFloat512.GetLane(tBar, k), 1, "t̄");
            double qScale = qBarD.Max(v => Math.Abs(Lane512.GetLane(v, 0)));
            for (int i = 0; i < 2; i++)
            {
                Close(Lane512.GetLane(fd[i], 0), LaneFloat512.GetLane(f[i], k), 1, $"f[{i}]");
                Close(Lane512.GetLane(zBarD[i], 0), LaneFloat512.GetLane(zBar[i], k), 1, $"z̄[{i}]");
            }
            for (int j = 0; j < q.Length; j++) Close(Lane512.GetLane(qBarD[j], 0), LaneFloat512.GetLane(qBar[j], k), qScale, $"q̄[{j}]");
        }

        static LaneFloat512[] Gather(double[] v) =>
            [LaneFloat512.LoadStrided(v, 0, 2), LaneFloat512.LoadStrided(v, 1, 2)];

        // Float rounding over a sum of 64 terms of order one: a few 1e-7 of the scale.
        static void Close(double want, double got, double scale, string what) =>
            Assert.True(Math.Abs(got - want) <= 2e-6 * (scale + Math.Abs(want)), $"{what}: float {got:R}, double {want:R}");
    }

    private static CnfOptions Options(CnfPrecision precision, CnfTrace trace = CnfTrace.Exact, Sensitivity? sensitivity = null, double regularization = 0,
        SolverOptions? solver = null) => new()
    {
        T1 = 2, Trace = trace, KineticWeight = regularization, JacobianWeight = regularization, ChunkSize = 0, Precision = precision,
        Sensitivity = sensitivity ?? Sensitivity.InterpolatingAdjoint(checkpoints: 1), Solver = solver ?? new() { RelTol = 1e-6, AbsTol = 1e-6 },
    };

    private static CnfFlow Flow(CnfOptions options) => ContinuousNormalizingFlow.WithHypernetwork(Hyper, default(CnfHyperSplit.LayerSystem), options);

    [Fact]
    public void LogDensitiesAndSamples_EqualTheDoubleFlowsToFloatRounding()
    {
        double[] p = Theta(5), x = FlowTestData.Points(6, 37);
        CnfFlow single = Flow(Options(CnfPrecision.Single)), full = Flow(Options(CnfPrecision.Double));
        Assert.Equal(16, single.LaneCount);
        double[] got = new double[37], want = new double[37];
        single.LogDensity(x, p, got);
        full.LogDensity(x, p, want);
        for (int i = 0; i < 37; i++) Assert.True(Math.Abs(got[i] - want[i]) <= 2e-5 * (1 + Math.Abs(want[i])), $"log p[{i}]: float {got[i]:R}, double {want[i]:R}");

        double[] z = new double[74], samples = new double[74], wantSamples = new double[74];
        CnfFlow.DrawBase(new Random(7), z);
        single.Sample(z, p, samples, got);
        full.Sample(z, p, wantSamples, want);
        for (int i = 0; i < 74; i++) Assert.True(Math.Abs(samples[i] - wantSamples[i]) <= 2e-5 * (1 + Math.Abs(wantSamples[i])), $"sample entry {i}: {samples[i]:R} vs {wantSamples[i]:R}");
    }

    public static TheoryData<CnfTrace, string, double> Cases => new()
    {
        { CnfTrace.Exact, "interpolating", 0 },
        { CnfTrace.Exact, "discrete", 0 },
        { CnfTrace.Hutchinson, "interpolating", 0.2 },
        { CnfTrace.Hutchinson, "discrete", 0.2 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void LossGradient_EqualsTheDoubleFlowsAndCentralDifferences_ToFloatTolerance(CnfTrace trace, string sensitivityName, double regularization)
    {
        Sensitivity sensitivity = sensitivityName == "discrete" ? Sensitivity.DiscreteAdjoint : Sensitivity.InterpolatingAdjoint(checkpoints: 1);
        double[] p = Theta(8), x = FlowTestData.Points(9, 21), gradient = new double[p.Length], want = new double[p.Length];
        CnfFlow single = Flow(Options(CnfPrecision.Single, trace, sensitivity, regularization));
        CnfFlow full = Flow(Options(CnfPrecision.Double, trace, sensitivity, regularization));
        CnfLoss loss = single.LossGradient(x, p, gradient, seed: 10);
        CnfLoss wantLoss = full.LossGradient(x, p, want, seed: 10);
        Assert.True(Math.Abs(loss.Loss - wantLoss.Loss) <= 2e-5 * Math.Abs(wantLoss.Loss), $"loss: float {loss.Loss:R}, double {wantLoss.Loss:R}");
        double scale = want.Max(Math.Abs);
        for (int k = 0; k < p.Length; k++)
            Assert.True(Math.Abs(gradient[k] - want[k]) <= 1e-4 * scale, $"θ[{k}]: float {gradient[k]:R}, double {want[k]:R} (scale {scale:R})");

        // Central differences of the double flow's loss (smooth at h = 1e-5), entries of every layer of the hypernetwork:
        // the float gradient is the true one to float tolerance.
        const double h = 1e-5;
        int[] entries = [CnfHyper.W1 + 3, CnfHyper.B2 + 7, CnfHyper.W3 + 5, CnfHyper.W3 + (CnfHyper.Block * CnfHyper.Hidden) + 40,
            CnfHyper.W3 + (2 * CnfHyper.Block * CnfHyper.Hidden) + 77, CnfHyper.B3 + (3 * CnfHyper.Block) + 9];
        var scratch = new double[p.Length];
        foreach (int k in entries)
        {
            double[] plus = (double[])p.Clone(), minus = (double[])p.Clone();
            plus[k] += h;
            minus[k] -= h;
            double difference = (full.LossGradient(x, plus, scratch, seed: 10).Loss - full.LossGradient(x, minus, scratch, seed: 10).Loss) / (2 * h);
            Assert.True(Math.Abs(difference - gradient[k]) <= 2e-4 * scale, $"θ[{k}]: float adjoint {gradient[k]:R}, differences {difference:R}");
        }
    }

    [Fact]
    public void LossGradient_OfAFixedStepFloatSolve_MatchesItsOwnCentralDifferences()
    {
        // With fixed steps the float flow's loss is smooth but for float rounding (≈ 1e-7 of it), so a step of 1e-2 keeps
        // the differences' rounding (≈ 1e-5) below their truncation error; the discrete adjoint is then its exact gradient.
        var options = Options(CnfPrecision.Single, sensitivity: Sensitivity.DiscreteAdjoint, solver: new() { FixedStep = 0.25 });
        CnfFlow single = Flow(options);
        double[] p = Theta(11), x = FlowTestData.Points(12, 16), gradient = new double[p.Length], scratch = new double[p.Length];
        single.LossGradient(x, p, gradient, seed: 13);
        double scale = gradient.Max(Math.Abs);
        const double h = 1e-2;
        foreach (int k in new[] { CnfHyper.B1 + 30, CnfHyper.W2 + 100, CnfHyper.W3 + 5, CnfHyper.B3 + (3 * CnfHyper.Block) + 9 })
        {
            double[] plus = (double[])p.Clone(), minus = (double[])p.Clone();
            plus[k] += h;
            minus[k] -= h;
            double difference = (single.LossGradient(x, plus, scratch, seed: 13).Loss - single.LossGradient(x, minus, scratch, seed: 13).Loss) / (2 * h);
            Assert.True(Math.Abs(difference - gradient[k]) <= 2e-3 * scale, $"θ[{k}]: float adjoint {gradient[k]:R}, differences {difference:R}");
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void SplitSystem_CallsAllocateNothing(bool exact)
    {
        var system = new CnfHyperSystem<CnfHyperSplit.HypernetworkFunction, LaneCnfKernel<CnfHyperSplit.LayerSystem, LaneFloat512>, LaneFloat512>(Hyper,
            new(new(default), 19, exact, kinetic: true, jacobian: true, CnfNoiseSource.Draw(CnfNoise.Gaussian, 14, 38)));
        int n = system.StateCount, m = system.ParameterCount;
        double[] y = Vector(15, n), p = Theta(16), a = Vector(17, n), f = new double[n], fDot = new double[n], yBar = new double[n], pBar = new double[m];
        Call();
        Assert.Equal(0, Allocations.Least(() =>
        {
            for (int i = 0; i < 10; i++) Call();
        }, windows: 3));

        void Call()
        {
            system.Evaluate(0.3, y, p, f);
            system.Vjp(0.3, y, p, a, yBar, pBar);
            system.Jvp(0.3, y, p, 1, a, pBar, f, fDot);
        }
    }

    [Fact]
    public void Single_NeedsTheLaneFactories_AndAutoWidth()
    {
        var options = new CnfOptions { Precision = CnfPrecision.Single };
        var e = Assert.Throws<ArgumentException>(() => new ContinuousNormalizingFlow<CnfHyperSplit.HypernetworkFunction, CnfHyperSplit.LayerSystem>(Hyper, default, options));
        Assert.Contains("WithHypernetwork", e.Message);
        Assert.Throws<ArgumentException>(() => new ContinuousNormalizingFlow<CnfHyperSplit.LayerSystem>(default, options));
        e = Assert.Throws<ArgumentException>(() => ContinuousNormalizingFlow.WithHypernetwork(Hyper, default(CnfHyperSplit.LayerSystem), options, LaneWidth.Lane256));
        Assert.Contains("Auto", e.Message);
        Assert.Throws<ArgumentException>(() => ContinuousNormalizingFlow.WithLanes(default(CnfHyperSplit.LayerSystem), options, LaneWidth.Lane512));
        Assert.Equal(16, ContinuousNormalizingFlow.WithLanes(default(CnfHyperSplit.LayerSystem), options).LaneCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => new CnfOptions { Precision = (CnfPrecision)7 });
    }
}
