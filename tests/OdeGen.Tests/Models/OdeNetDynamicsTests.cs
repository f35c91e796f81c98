using OdeGen.Models;
using OdeGen.Testing;

namespace OdeGen.Tests.Models;

/// <summary>
/// The ready-made ODE-Net dynamics: Vjp against central differences in y, θ and t, EvaluateVjp against Evaluate and Vjp
/// (bit for bit), Jvp against Vjp (dot-product identity),
/// the Jacobian against differences, a model with it as ODE block against differences of its loss, no allocation; each
/// with the hidden width between the convolutions equal to the channels (the paper's block), wider and narrower.
/// </summary>
public class OdeNetDynamicsTests
{
    private static (OdeNetDynamics F, double[] Y, double[] P) Case(int seed, int channels = 4, int height = 3, int width = 4, int groups = 2, int hidden = 0)
    {
        var f = new OdeNetDynamics(channels, height, width, groups, hidden: hidden);
        var random = new Random(seed);
        double[] p = new double[f.ParameterCount];
        f.Initialize(p, random);
        for (int k = 0; k < p.Length; k++) p[k] += 0.2 * ((2 * random.NextDouble()) - 1);   // γ ≠ 1, β ≠ 0
        return (f, LayerChecks.Random(random, f.StateCount), p);
    }

    private static double Probe(in OdeNetDynamics f, double t, double[] y, double[] p, double[] a)
    {
        double[] dydt = new double[f.StateCount];
        f.Evaluate(t, y, p, dydt);
        return LayerChecks.Dot(a, dydt);
    }

    [Fact]
    public void Sizes_AreTheOdeNetsLayers()
    {
        var f = new OdeNetDynamics(64, 7, 7);
        Assert.Equal(64 * 49, f.StateCount);
        // Three GroupNorms (γ, β per channel) and two 65→64 3×3 convolutions with bias, as torchdiffeq's ODEfunc.
        Assert.Equal((3 * 2 * 64) + (2 * ((64 * 65 * 9) + 64)), f.ParameterCount);
        Assert.Throws<InvalidOperationException>(() => default(OdeNetDynamics).Evaluate(0, [], [], []));
        Assert.Throws<ArgumentException>(() => new OdeNetDynamics(6, 3, 3, groups: 4));
        Assert.Equal(64, f.Hidden);

        // A wider block: conv₁ 33→64, GN₂ over 64 channels, conv₂ 65→32; the state keeps 32 channels.
        var wide = new OdeNetDynamics(32, 7, 7, hidden: 64);
        Assert.Equal((32, 64, 32 * 49), (wide.Channels, wide.Hidden, wide.StateCount));
        Assert.Equal((2 * 2 * 32) + (64 * 33 * 9) + 64 + (2 * 64) + (32 * 65 * 9) + 32, wide.ParameterCount);
        Assert.Equal((64 + 32) * 49, wide.KeptPerSample);
        Assert.Throws<ArgumentException>(() => new OdeNetDynamics(6, 3, 3, groups: 3, hidden: 4));   // 3 groups do not split 4 channels
        Assert.Throws<ArgumentOutOfRangeException>(() => new OdeNetDynamics(6, 3, 3, hidden: -1));
    }

    [Fact]
    public void BatchMethods_RejectWrongSizes_NamingTheArgument()
    {
        var (f, y, p) = Case(3);
        int n = 2 * f.StateCount, k = 2 * n;
        double[] y2 = [.. y, .. y], a = new double[n], dydt = new double[n], yBar = new double[n], pBar = new double[p.Length], kept = new double[k];

        Assert.Equal("y", Assert.Throws<ArgumentException>(() => f.EvaluateBatch(2, 0, y, p, dydt)).ParamName);
        Assert.Equal("p", Assert.Throws<ArgumentException>(() => f.EvaluateVjpBatch(2, 0, y2, p.AsSpan(1), a, dydt, yBar, pBar)).ParamName);
        Assert.Equal("dydt", Assert.Throws<ArgumentException>(() => f.EvaluateBatchKeeping(2, 0, y2, p, dydt.AsSpan(1), kept)).ParamName);
        Assert.Equal("kept", Assert.Throws<ArgumentException>(() => f.EvaluateBatchFromKept(2, 0, y2, p, kept.AsSpan(1), dydt)).ParamName);
        Assert.Equal("a", Assert.Throws<ArgumentException>(() => f.VjpBatchKept(2, 0, y2, p, kept, a.AsSpan(1), yBar, pBar)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => f.EvaluateBatch(0, 0, [], p, []));
        Assert.Throws<InvalidOperationException>(() => default(OdeNetDynamics).VjpBatchKept(1, 0, y, p, kept, a, yBar, pBar));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    [InlineData(2)]
    public void Vjp_MatchesCentralDifferences_InStateParametersAndTime(int hidden)
    {
        var (f, y, p) = Case(1, hidden: hidden);
        var random = new Random(2);
        double t = 0.4;
        double[] a = LayerChecks.Random(random, f.StateCount), yBar = LayerChecks.Random(random, f.StateCount), pBar = LayerChecks.Random(random, f.ParameterCount);
        double[] yBar0 = (double[])yBar.Clone(), pBar0 = (double[])pBar.Clone();
        double tBar = f.Vjp(t, y, p, a, yBar, pBar);
        for (int i = 0; i < yBar.Length; i++) yBar[i] -= yBar0[i];        // Vjp adds
        for (int k = 0; k < pBar.Length; k++) pBar[k] -= pBar0[k];

        for (int i = 0; i < y.Length; i += 5)
            LayerChecks.AssertClose(LayerChecks.Central(e => Probe(f, t, LayerChecks.Nudge(y, i, e), p, a)), yBar[i], 1e-6, $"∂/∂y[{i}]");
        for (int k = 0; k < p.Length; k += 7)
            LayerChecks.AssertClose(LayerChecks.Central(e => Probe(f, t, y, LayerChecks.Nudge(p, k, e), a)), pBar[k], 1e-6, $"∂/∂p[{k}]");
        LayerChecks.AssertClose(LayerChecks.Central(e => Probe(f, t + e, y, p, a)), tBar, 1e-6, "∂/∂t");

        double[] yDot = LayerChecks.Random(random, y.Length), pDot = LayerChecks.Random(random, p.Length);
        double directional = LayerChecks.Central(e => Probe(f, t + (0.3 * e), LayerChecks.Axpy(y, e, yDot), LayerChecks.Axpy(p, e, pDot), a));
        LayerChecks.AssertClose(directional, LayerChecks.Dot(yBar, yDot) + LayerChecks.Dot(pBar, pDot) + (0.3 * tBar), 1e-6, "directional");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(32)]
    public void EvaluateVjp_IsEvaluateThenVjp_BitForBit_OneSampleAndABatch(int hidden)
    {
        // The adjoint's back-solve calls EvaluateVjp (one forward pass for f and the VJP); it must give what the two calls give.
        var (f, y, p) = Case(3, channels: 16, height: 6, width: 6, groups: 16, hidden: hidden);
        var random = new Random(4);
        double t = 0.7;
        double[] a = LayerChecks.Random(random, f.StateCount), yBar0 = LayerChecks.Random(random, f.StateCount), pBar0 = LayerChecks.Random(random, f.ParameterCount);
        double[] dydt = new double[f.StateCount], yBar = (double[])yBar0.Clone(), pBar = (double[])pBar0.Clone();
        f.Evaluate(t, y, p, dydt);
        double tBar = f.Vjp(t, y, p, a, yBar, pBar);
        double[] fusedDydt = new double[f.StateCount], fusedYBar = (double[])yBar0.Clone(), fusedPBar = (double[])pBar0.Clone();
        double fusedTBar = f.EvaluateVjp(t, y, p, a, fusedDydt, fusedYBar, fusedPBar);
        Assert.Equal(dydt.Select(BitConverter.DoubleToInt64Bits), fusedDydt.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(yBar.Select(BitConverter.DoubleToInt64Bits), fusedYBar.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(pBar.Select(BitConverter.DoubleToInt64Bits), fusedPBar.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(BitConverter.DoubleToInt64Bits(tBar), BitConverter.DoubleToInt64Bits(fusedTBar));

        // The batch form (the back-solve of a batch solved as one system), 3 samples, against EvaluateBatch then VjpBatch.
        const int Count = 3;
        double[] ys = LayerChecks.Random(random, Count * f.StateCount), as_ = LayerChecks.Random(random, Count * f.StateCount);
        double[] dydts = new double[ys.Length], yBars = new double[ys.Length], pBars = new double[f.ParameterCount];
        f.EvaluateBatch(Count, t, ys, p, dydts);
        double tBars = f.VjpBatch(Count, t, ys, p, as_, yBars, pBars);
        double[] fusedDydts = new double[ys.Length], fusedYBars = new double[ys.Length], fusedPBars = new double[f.ParameterCount];
        double fusedTBars = ((IBatchOdeSystem)f).EvaluateVjpBatch(Count, t, ys, p, as_, fusedDydts, fusedYBars, fusedPBars);
        Assert.Equal(dydts.Select(BitConverter.DoubleToInt64Bits), fusedDydts.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(yBars.Select(BitConverter.DoubleToInt64Bits), fusedYBars.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(pBars.Select(BitConverter.DoubleToInt64Bits), fusedPBars.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(BitConverter.DoubleToInt64Bits(tBars), BitConverter.DoubleToInt64Bits(fusedTBars));
    }

    [Theory]
    [InlineData(false, 16)]
    [InlineData(true, 16)]
    [InlineData(false, 24)]
    [InlineData(true, 8)]
    public void BatchPasses_AreTheLayersPasses_ClearedAndAdded_BitForBit(bool single, int hidden)
    {
        // The dynamics fuse each GroupNorm with its ReLU, keep the groups' moments and overwrite their adjoint images; the
        // layers' own passes, one by one into cleared targets, must give the same bits (f, yBar added to, pBar, ∂L/∂t),
        // through EvaluateVjpBatch and through the kept forms the discrete adjoint uses.
        const int C = 16, H = 6, W = 6, G = 8, Count = 3;
        const double T = 0.61;
        var precision = single ? ConvolutionPrecision.Single : ConvolutionPrecision.Double;
        var f = new OdeNetDynamics(C, H, W, G, precision, hidden);
        var random = new Random(12);
        double[] p = new double[f.ParameterCount];
        f.Initialize(p, random);
        for (int k = 0; k < p.Length; k++) p[k] += 0.2 * ((2 * random.NextDouble()) - 1);
        int n = Count * f.StateCount, nh = Count * hidden * H * W;
        double[] y = LayerChecks.Random(random, n), a = LayerChecks.Random(random, n), yBar0 = LayerChecks.Random(random, n), pBar0 = LayerChecks.Random(random, f.ParameterCount);

        // The layers, one by one: GN₁, ReLU, conv₁, GN₂, ReLU, conv₂, GN₃, each adjoint into a cleared image.
        var norm = new GroupNorm(G, C, H * W);
        var normHidden = new GroupNorm(G, hidden, H * W);
        var conv1 = new TimeConv2d(C, hidden, H, W, kernel: 3, padding: 1) { Precision = precision };
        var conv2 = new TimeConv2d(hidden, C, H, W, kernel: 3, padding: 1) { Precision = precision };
        var relu = new Relu(C * H * W);
        var reluHidden = new Relu(hidden * H * W);
        int[] at = [0, norm.ParameterCount, norm.ParameterCount + conv1.ParameterCount, norm.ParameterCount + conv1.ParameterCount + normHidden.ParameterCount,
            norm.ParameterCount + conv1.ParameterCount + normHidden.ParameterCount + conv2.ParameterCount,
            (2 * norm.ParameterCount) + conv1.ParameterCount + normHidden.ParameterCount + conv2.ParameterCount];
        Assert.Equal(f.ParameterCount, at[^1]);
        double[] scratch = new double[Math.Max(conv1.BatchScratchSize(Count), conv2.BatchScratchSize(Count))];
        double[] n1 = new double[n], r1 = new double[n], c1 = new double[nh], n2 = new double[nh], r2 = new double[nh], c2 = new double[n], dydt = new double[n];
        norm.ForwardBatch(Count, y, p.AsSpan(at[0], norm.ParameterCount), n1, scratch);
        relu.ForwardBatch(Count, n1, default, r1, scratch);
        conv1.ForwardBatch(T, Count, r1, p.AsSpan(at[1], conv1.ParameterCount), c1, scratch);
        normHidden.ForwardBatch(Count, c1, p.AsSpan(at[2], normHidden.ParameterCount), n2, scratch);
        reluHidden.ForwardBatch(Count, n2, default, r2, scratch);
        conv2.ForwardBatch(T, Count, r2, p.AsSpan(at[3], conv2.ParameterCount), c2, scratch);
        norm.ForwardBatch(Count, c2, p.AsSpan(at[4], norm.ParameterCount), dydt, scratch);
        double[] yBar = (double[])yBar0.Clone(), pBar = (double[])pBar0.Clone();
        double[] barC2 = new double[n], barR2 = new double[nh], barN2 = new double[nh], barC1 = new double[nh], barR1 = new double[n], barN1 = new double[n];
        norm.BackwardBatch(Count, c2, p.AsSpan(at[4], norm.ParameterCount), a, barC2, pBar.AsSpan(at[4], norm.ParameterCount), scratch);
        double tBar = conv2.BackwardBatch(T, Count, r2, p.AsSpan(at[3], conv2.ParameterCount), barC2, barR2, pBar.AsSpan(at[3], conv2.ParameterCount), scratch);
        reluHidden.BackwardBatch(Count, n2, default, barR2, barN2, default, scratch);
        normHidden.BackwardBatch(Count, c1, p.AsSpan(at[2], normHidden.ParameterCount), barN2, barC1, pBar.AsSpan(at[2], normHidden.ParameterCount), scratch);
        tBar += conv1.BackwardBatch(T, Count, r1, p.AsSpan(at[1], conv1.ParameterCount), barC1, barR1, pBar.AsSpan(at[1], conv1.ParameterCount), scratch);
        relu.BackwardBatch(Count, n1, default, barR1, barN1, default, scratch);
        norm.BackwardBatch(Count, y, p.AsSpan(at[0], norm.ParameterCount), barN1, yBar, pBar.AsSpan(at[0], norm.ParameterCount), scratch);

        static void Same(double[] expected, double[] actual) =>
            Assert.Equal(expected.Select(BitConverter.DoubleToInt64Bits), actual.Select(BitConverter.DoubleToInt64Bits));

        double[] fDydt = new double[n], fYBar = (double[])yBar0.Clone(), fPBar = (double[])pBar0.Clone();
        double fTBar = ((IBatchOdeSystem)f).EvaluateVjpBatch(Count, T, y, p, a, fDydt, fYBar, fPBar);
        Same(dydt, fDydt);
        Same(yBar, fYBar);
        Same(pBar, fPBar);
        Assert.Equal(BitConverter.DoubleToInt64Bits(tBar), BitConverter.DoubleToInt64Bits(fTBar));

        double[] kept = new double[Count * f.KeptPerSample], kDydt = new double[n], fromKept = new double[n];
        f.EvaluateBatchKeeping(Count, T, y, p, kDydt, kept);
        f.EvaluateBatchFromKept(Count, T, y, p, kept, fromKept);
        Same(dydt, kDydt);
        Same(dydt, fromKept);
        Same(c1, kept[..nh]);
        Same(c2, kept[nh..]);
        double[] kYBar = (double[])yBar0.Clone(), kPBar = (double[])pBar0.Clone();
        double kTBar = f.VjpBatchKept(Count, T, y, p, kept, a, kYBar, kPBar);
        Same(yBar, kYBar);
        Same(pBar, kPBar);
        Assert.Equal(BitConverter.DoubleToInt64Bits(tBar), BitConverter.DoubleToInt64Bits(kTBar));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    [InlineData(3)]
    public void Jvp_SatisfiesTheDotProductIdentity_WithVjp(int hidden)
    {
        var (f, y, p) = Case(3, channels: 6, height: 4, width: 4, groups: 3, hidden: hidden);
        var random = new Random(4);
        double t = -0.2, tDot = 0.7;
        double[] a = LayerChecks.Random(random, f.StateCount), yDot = LayerChecks.Random(random, f.StateCount), pDot = LayerChecks.Random(random, f.ParameterCount);
        double[] dydt = new double[f.StateCount], dydtDot = new double[f.StateCount], expected = new double[f.StateCount];
        f.Jvp(t, y, p, tDot, yDot, pDot, dydt, dydtDot);
        f.Evaluate(t, y, p, expected);
        Assert.Equal(expected, dydt);
        double[] yBar = new double[f.StateCount], pBar = new double[f.ParameterCount];
        double tBar = f.Vjp(t, y, p, a, yBar, pBar);
        double left = LayerChecks.Dot(a, dydtDot), right = LayerChecks.Dot(yBar, yDot) + LayerChecks.Dot(pBar, pDot) + (tBar * tDot);
        Assert.True(Math.Abs(left - right) <= 1e-11 * (1 + Math.Abs(left)), $"⟨a, J·v⟩ = {left}, ⟨Jᵀ·a, v⟩ = {right}");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void Jacobian_MatchesCentralDifferencesOfEvaluate(int hidden)
    {
        var (f, y, p) = Case(5, channels: 2, height: 2, width: 3, groups: 1, hidden: hidden);
        int n = f.StateCount, m = f.ParameterCount;
        double[] dfdy = new double[n * n], dfdp = new double[n * m];
        f.Jacobian(0.1, y, p, dfdy, dfdp);
        double[] plus = new double[n], minus = new double[n];
        for (int j = 0; j < n + m; j += 3)
        {
            double[] yp = j < n ? LayerChecks.Nudge(y, j, 1e-6) : y, ym = j < n ? LayerChecks.Nudge(y, j, -1e-6) : y;
            double[] pp = j < n ? p : LayerChecks.Nudge(p, j - n, 1e-6), pm = j < n ? p : LayerChecks.Nudge(p, j - n, -1e-6);
            f.Evaluate(0.1, yp, pp, plus);
            f.Evaluate(0.1, ym, pm, minus);
            for (int i = 0; i < n; i++)
            {
                double entry = j < n ? dfdy[(i * n) + j] : dfdp[(i * m) + j - n];
                LayerChecks.AssertClose((plus[i] - minus[i]) / 2e-6, entry, 1e-6, $"J[{i},{j}]");
            }
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    public void AsAnOdeBlock_TheModelGradientMatchesCentralDifferences(int hidden)
    {
        var f = new OdeNetDynamics(4, 3, 3, groups: 2, hidden: hidden);
        var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.25 };
        var model = new Model(
            new OdeBlock<OdeNetDynamics>(f, 0, 1, Sensitivity.DiscreteAdjoint, options, f.Initialize),
            new GlobalAveragePool(4, 9),
            new Linear(4, 3)) { MaxDegreeOfParallelism = 1 };
        var random = new Random(6);
        double[] p = model.CreateParameters(seed: 2), inputs = LayerChecks.Random(random, 2 * 36), targets = [0, 2], gradient = new double[p.Length];
        model.Gradient(p, inputs, targets, Loss.SoftmaxCrossEntropy, gradient);
        for (int k = 0; k < p.Length; k += 11)
        {
            double central = LayerChecks.Central(e => model.Evaluate(LayerChecks.Nudge(p, k, e), inputs, targets, Loss.SoftmaxCrossEntropy), 1e-5);
            LayerChecks.AssertClose(central, gradient[k], 1e-6, $"dL/dθ[{k}]");
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(96)]
    public void EvaluateJvpAndVjp_AllocateNothing_AfterTheFirstCall(int hidden)
    {
        var (f, y, p) = Case(7, channels: 64, height: 7, width: 7, groups: 32, hidden: hidden);
        double[] a = new double[f.StateCount], dydt = new double[f.StateCount], dydtDot = new double[f.StateCount], yBar = new double[f.StateCount], pBar = new double[f.ParameterCount];
        a.AsSpan().Fill(0.01);
        void All()
        {
            f.Evaluate(0.5, y, p, dydt);
            f.Jvp(0.5, y, p, 1.0, a, pBar, dydt, dydtDot);
            f.Vjp(0.5, y, p, a, yBar, pBar);
            f.EvaluateVjp(0.5, y, p, a, dydt, yBar, pBar);
        }

        All();
        Assert.Equal(0, Allocations.Least(All, windows: 3));
    }
}
