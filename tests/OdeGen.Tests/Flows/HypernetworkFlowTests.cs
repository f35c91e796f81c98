using OdeGen.Flows;
using OdeGen.Lanes;
using OdeGen.Neural;
using OdeGen.Samples.Cnf;
using OdeGen.Testing;
using OdeGen.Tests.Generated;

namespace OdeGen.Tests.Flows;

/// <summary>
/// The flow over a split field (samples/Cnf/CnfHyperSplit.cs: torchdiffeq's cnf.py hypernetwork once per evaluation, the
/// width-64 layer per sample) against the same field written per sample (CnfHyper, which recomputes the hypernetwork for
/// every sample) on the same θ: equal log-densities, samples and training gradients; the gradient against central
/// differences of the loss for both sensitivities and both traces; the split system's own VJP and JVP; no allocation per
/// call; a short training run.
/// </summary>
public class HypernetworkFlowTests
{
    private static CnfHyperSplit.HypernetworkFunction Hyper => new(CnfHyper.Size);

    // Twice torch's initial weights: the untrained field is then far enough from zero that every derivative is tested on
    // values of order one.
    private static double[] Theta(int seed) => CnfHyper.Initial(seed).Select(v => 2 * v).ToArray();

    private static CnfFlow Split(CnfOptions options, int lanes) => lanes == 1
        ? new ContinuousNormalizingFlow<CnfHyperSplit.HypernetworkFunction, CnfHyperSplit.LayerSystem>(Hyper, default, options)
        : ContinuousNormalizingFlow.WithHypernetwork(Hyper, default(CnfHyperSplit.LayerSystem), options, LaneWidth.Lane256);

    private static ContinuousNormalizingFlow<CnfHyper.RhsSystem> PerSample(CnfOptions options) => new(new CnfHyper.RhsSystem(CnfHyper.Size), options);

    private static CnfOptions Options(CnfTrace trace = CnfTrace.Exact, Sensitivity? sensitivity = null, double kinetic = 0, double jacobian = 0, int chunk = 0) => new()
    {
        T1 = 2, Trace = trace, KineticWeight = kinetic, JacobianWeight = jacobian, ChunkSize = chunk,
        Sensitivity = sensitivity ?? Sensitivity.InterpolatingAdjoint(checkpoints: 2), Solver = new() { RelTol = 1e-10, AbsTol = 1e-10 },
    };

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void LogDensitiesAndSamples_EqualThePerSampleField(int lanes)
    {
        double[] p = Theta(1), x = FlowTestData.Points(2, 11);
        CnfOptions options = Options(chunk: 8);
        CnfFlow split = Split(options, lanes);
        var whole = PerSample(options);
        Assert.Equal(CnfHyper.Size, split.ParameterCount);
        Assert.Equal(2, split.Dimension);
        Assert.Equal(lanes, split.LaneCount);

        double[] got = new double[11], want = new double[11];
        split.LogDensity(x, p, got);
        whole.LogDensity(x, p, want);
        for (int i = 0; i < 11; i++) Assert.True(Math.Abs(got[i] - want[i]) <= 1e-10, $"log p[{i}]: split {got[i]:R}, per sample {want[i]:R}");
        Assert.Equal(want[3], split.LogDensity(x.AsSpan(6, 2), p), 10);

        double[] z = new double[22], samples = new double[22], wantSamples = new double[22];
        CnfFlow.DrawBase(new Random(3), z);
        split.Sample(z, p, samples, got);
        whole.Sample(z, p, wantSamples, want);
        for (int i = 0; i < 22; i++) Assert.True(Math.Abs(samples[i] - wantSamples[i]) <= 1e-10, $"sample entry {i}: {samples[i]:R} vs {wantSamples[i]:R}");
        for (int i = 0; i < 11; i++) Assert.True(Math.Abs(got[i] - want[i]) <= 1e-10, $"sample log p[{i}]: {got[i]:R} vs {want[i]:R}");
    }

    public static TheoryData<CnfTrace, string, double, int> Cases => new()
    {
        { CnfTrace.Exact, "interpolating", 0, 4 },
        { CnfTrace.Exact, "discrete", 0, 1 },
        { CnfTrace.Hutchinson, "interpolating", 0, 1 },
        { CnfTrace.Hutchinson, "discrete", 0, 4 },
        { CnfTrace.Exact, "discrete", 0.2, 4 },
        { CnfTrace.Hutchinson, "interpolating", 0.2, 4 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void LossGradient_EqualsThePerSampleFieldsAndCentralDifferences(CnfTrace trace, string sensitivityName, double regularization, int lanes)
    {
        Sensitivity sensitivity = sensitivityName == "discrete" ? Sensitivity.DiscreteAdjoint : Sensitivity.InterpolatingAdjoint(checkpoints: 2);
        CnfOptions options = Options(trace, sensitivity, regularization, regularization, chunk: 3);
        double[] p = Theta(4), x = FlowTestData.Points(5, 5), gradient = new double[p.Length], want = new double[p.Length];
        CnfFlow split = Split(options, lanes);
        CnfLoss loss = split.LossGradient(x, p, gradient, seed: 7);
        CnfLoss wantLoss = PerSample(options).LossGradient(x, p, want, seed: 7);
        Assert.Equal(wantLoss.Loss, loss.Loss, 10);
        Assert.True(regularization == 0 ? loss.Kinetic == 0 && loss.Jacobian == 0 : loss.Kinetic > 0 && loss.Jacobian > 0);
        double scale = want.Max(Math.Abs);
        for (int k = 0; k < p.Length; k++)
            Assert.True(Math.Abs(gradient[k] - want[k]) <= 1e-8 * scale, $"θ[{k}]: split {gradient[k]:R}, per sample {want[k]:R}");

        // Central differences of the loss (noise fixed by the seed) on entries of every layer of the hypernetwork.
        const double h = 1e-5;
        var random = new Random(8);
        int[] entries = [CnfHyper.W1 + 3, CnfHyper.B1 + 30, CnfHyper.W2 + 100, CnfHyper.B2 + 7, CnfHyper.W3 + 5, CnfHyper.W3 + (CnfHyper.Block * CnfHyper.Hidden) + 40,
            CnfHyper.W3 + (2 * CnfHyper.Block * CnfHyper.Hidden) + 77, CnfHyper.B3 + (3 * CnfHyper.Block) + 9, random.Next(p.Length), random.Next(p.Length)];
        var scratch = new double[p.Length];
        foreach (int k in entries)
        {
            double[] plus = (double[])p.Clone(), minus = (double[])p.Clone();
            plus[k] += h;
            minus[k] -= h;
            double difference = (split.LossGradient(x, plus, scratch, seed: 7).Loss - split.LossGradient(x, minus, scratch, seed: 7).Loss) / (2 * h);
            Assert.True(Math.Abs(difference - gradient[k]) <= 1e-6 * (scale + Math.Abs(difference)), $"θ[{k}]: adjoint {gradient[k]:R}, differences {difference:R}");
        }
    }

    // The split augmented system itself: 3 samples with every state, one padded group of Lane256.
    private static CnfHyperSystem<CnfHyperSplit.HypernetworkFunction, LaneCnfKernel<CnfHyperSplit.LayerSystem, Lane256>, Lane256> System(bool exact)
    {
        var samples = new CnfAugmentedSystem<LaneCnfKernel<CnfHyperSplit.LayerSystem, Lane256>, Lane256>(new(default), 3, exact, kinetic: true, jacobian: true,
            CnfNoiseSource.Draw(CnfNoise.Gaussian, 9, 6));
        return new(Hyper, samples);
    }

    private static double[] Vector(int seed, int count)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (random.NextDouble() * 2) - 1).ToArray();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void SplitSystem_VjpMatchesDifferences_AndJvpTheDotProductIdentity(bool exact)
    {
        var system = System(exact);
        int n = system.StateCount, m = system.ParameterCount;
        double[] y = Vector(10, n), p = Theta(11), a = Vector(12, n), yDot = Vector(13, n), pDot = Vector(14, m);
        const double t = 1.3, tDot = -0.6, h = 1e-6;
        double[] yBar = new double[n], pBar = new double[m], f = new double[n], fDot = new double[n];
        double tBar = system.Vjp(t, y, p, a, yBar, pBar);
        system.Jvp(t, y, p, tDot, yDot, pDot, f, fDot);

        double left = a.Zip(fDot, (u, v) => u * v).Sum();
        double right = yBar.Zip(yDot, (u, v) => u * v).Sum() + pBar.Zip(pDot, (u, v) => u * v).Sum() + (tBar * tDot);
        Assert.True(Math.Abs(left - right) <= 1e-11 * (1 + Math.Abs(left)), $"⟨a, J·v⟩ = {left:R}, ⟨Jᵀa, v⟩ = {right:R}");

        double Scalar(double tt, double[] yy, double[] pp)
        {
            var g = new double[n];
            system.Evaluate(tt, yy, pp, g);
            return g.Zip(a, (u, v) => u * v).Sum();
        }
        Assert.Equal((Scalar(t + h, y, p) - Scalar(t - h, y, p)) / (2 * h), tBar, 6);
        for (int i = 0; i < n; i++)
        {
            double[] plus = (double[])y.Clone(), minus = (double[])y.Clone();
            plus[i] += h;
            minus[i] -= h;
            Assert.Equal((Scalar(t, plus, p) - Scalar(t, minus, p)) / (2 * h), yBar[i], 6);
        }
        for (int k = 0; k < m; k += 997)
        {
            double[] plus = (double[])p.Clone(), minus = (double[])p.Clone();
            plus[k] += h;
            minus[k] -= h;
            Assert.Equal((Scalar(t, y, plus) - Scalar(t, y, minus)) / (2 * h), pBar[k], 6);
        }
        var g2 = new double[n];
        system.Evaluate(t, y, p, g2);
        Assert.Equal(g2, f);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void SplitSystem_CallsAllocateNothing(bool exact)
    {
        var system = System(exact);
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
    public void LossGradient_AllocatesOnlyWhatTheSolverDoes()
    {
        // The flow's share beyond Ode.LossGradient on one prebuilt system. The solver's own share is the gradient it returns
        // (since the per-thread gradient workspaces, ~128 KB here, mostly the copy of dL/dθ; per call, not per step).
        const int Batch = 16;
        var options = new CnfOptions { T1 = 2, Solver = new() { RelTol = 1e-6, AbsTol = 1e-6 }, ChunkSize = 0 };
        CnfFlow flow = Split(options, lanes: 4);
        double[] points = FlowTestData.Points(18, Batch), p = Theta(19), gradient = new double[p.Length];
        flow.LossGradient(points, p, gradient);
        long flowBytes = Allocations.Least(() => flow.LossGradient(points, p, gradient));

        var system = new CnfHyperSystem<CnfHyperSplit.HypernetworkFunction, LaneCnfKernel<CnfHyperSplit.LayerSystem, Lane256>, Lane256>(Hyper,
            new(new(default), Batch, exact: true, kinetic: false, jacobian: false, []));
        var y0 = new double[Batch * 3];
        for (int i = 0; i < Batch; i++) points.AsSpan(2 * i, 2).CopyTo(y0.AsSpan(3 * i, 2));
        double[] times = [0.0];
        double Loss(ReadOnlySpan<double> end, Span<double> bar)
        {
            end.CopyTo(bar);
            return 0;
        }
        Ode.LossGradient(system, y0, p, options.T1, times, Loss, options.Sensitivity, options.Solver);
        long solverBytes = Allocations.Least(() => Ode.LossGradient(system, y0, p, options.T1, times, Loss, options.Sensitivity, options.Solver));
        Assert.True(flowBytes <= solverBytes + 2048, $"flow {flowBytes} bytes per call, the solver alone {solverBytes}");
    }

    /// <summary>
    /// q = H(t, θ) remembered by t while θ is held (WeightMemo): a discrete-adjoint gradient and a solve are bit for bit the
    /// ones computed without it, its backward pass is answered from memory, a copy of θ is answered and other values or a
    /// call after the release are computed, and an answer allocates nothing.
    /// </summary>
    [Fact]
    public void WeightMemo_GivesTheSameBits_AnswersTheBackwardPass_AndOnlyForTheHeldArray()
    {
        var system = System(exact: true);
        double[] p = Theta(23), y0 = Vector(24, system.StateCount);
        for (int i = 0; i < 3; i++) y0[(i * 5) + 2] = y0[(i * 5) + 3] = y0[(i * 5) + 4] = 0;
        double Loss(ReadOnlySpan<double> end, Span<double> bar)
        {
            end.CopyTo(bar);
            return end[0];
        }
        var options = new SolverOptions { RelTol = 1e-7, AbsTol = 1e-7 };
        OdeGradient Gradient() => Ode.LossGradient(system, y0, p, 2.0, [0.0], Loss, Sensitivity.DiscreteAdjoint, options);
        OdeGradient plain = Gradient();
        double[] plainEnd = Ode.Solve(system, y0, p, 2.0, 0.0, options).FinalState.ToArray();

        system.HoldParameters(p);
        OdeGradient remembered = Gradient();
        int hits = system.Weights.Hits;
        system.HoldParameters(p);
        double[] rememberedEnd = Ode.Solve(system, y0, p, 2.0, 0.0, options).FinalState.ToArray();
        system.ReleaseParameters();
        Assert.Equal(plain.Parameters, remembered.Parameters);
        Assert.Equal(plain.Y0, remembered.Y0);
        Assert.Equal(plain.Loss, remembered.Loss);
        Assert.Equal(plainEnd, rememberedEnd);
        // The backward pass recomputes 6 stages per step and takes 6 VJPs, at the forward's stage times (up to the rounding
        // of its step size, which here is exact for most steps); Dopri5's last two stages share a time: at most 13 per step
        // (141 of 143 today), and at least one step's worth per step.
        int steps = plain.Stats.Forward.Steps;
        Assert.True(steps >= 3, $"{steps} steps");
        Assert.InRange(hits, 6 * steps, 13 * steps);

        // Held: a copy of θ's bits is answered; other values, or any call after the release, are computed.
        var f = new double[system.StateCount];
        var fresh = new double[system.StateCount];
        double[] copy = (double[])p.Clone(), other = p.Select(v => v * 1.1).ToArray();
        system.HoldParameters(p);
        system.Evaluate(0.5, y0, p, f);
        int before = system.Weights.Hits;
        system.Evaluate(0.5, y0, copy, fresh);
        Assert.Equal(before + 1, system.Weights.Hits);
        Assert.Equal(f, fresh);
        system.Evaluate(0.5, y0, other, fresh);
        Assert.Equal(before + 1, system.Weights.Hits);
        system.ReleaseParameters();
        var unheld = new double[system.StateCount];
        system.Evaluate(0.5, y0, other, unheld);
        Assert.Equal(unheld, fresh);
        Assert.NotEqual(f, fresh);
        system.Evaluate(0.5, y0, p, fresh);
        Assert.Equal(f, fresh);

        system.HoldParameters(p);
        system.Evaluate(0.5, y0, p, f);
        Assert.Equal(0, Allocations.Least(() => system.Evaluate(0.5, y0, p, f)));
        Assert.True(system.Weights.Hits > 0);
        system.ReleaseParameters();
    }

    [Fact]
    public void ShortTraining_LowersTheNll()
    {
        ToyDensity data = ToyDensity.Named("circles");
        var options = new CnfOptions { T1 = 1, Solver = new() { RelTol = 1e-5, AbsTol = 1e-5 }, ChunkSize = 0 };
        CnfFlow flow = Split(options, lanes: 4);
        double[] p = CnfHyper.Initial(20), heldOut = data.Sample(new Random(21), 256), gradient = new double[p.Length];
        double before = Nll();
        var adam = new Adam(5e-3);
        var random = new Random(22);
        for (int iteration = 0; iteration < 30; iteration++)
        {
            flow.LossGradient(data.Sample(random, 128), p, gradient);
            adam.Step(p, gradient);
        }
        double after = Nll();
        Assert.True(after < before - 0.2, $"held-out NLL {before:F4} → {after:F4}");

        double Nll()
        {
            var log = new double[256];
            flow.LogDensity(heldOut, p, log);
            return -log.Average();
        }
    }

    [Fact]
    public void MismatchedSizes_AreRejectedWithTheFix()
    {
        var e = Assert.Throws<ArgumentException>(() => ContinuousNormalizingFlow.WithHypernetwork(Hyper, default(CnfField.RhsSystem)));
        Assert.Contains("outputs", e.Message);
        Assert.Contains("parameters", e.Message);
        Assert.Throws<ArgumentException>(() => new ContinuousNormalizingFlow<CnfHyperSplit.HypernetworkFunction, CnfHyperSplit.LayerSystem>(Hyper, default, new CnfOptions { T1 = 0 }));
        var flow = Split(Options(), lanes: 1);
        Assert.Throws<ArgumentException>(() => flow.LogDensity(new double[4], new double[CnfHyper.Size - 1], new double[2]));
    }
}
