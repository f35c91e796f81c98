using OdeGen.Models;
using OdeGen.Neural;

namespace OdeGen.Tests.Models;

/// <summary>
/// The discrete adjoint of a batch solved as one system keeps each stage's convolution outputs
/// (<see cref="IBatchOdeSystemKept"/>, <see cref="DiscreteAdjointSensitivity.KeptBytes"/>) and its reverse sweep reads them:
/// the kept forms give the plain forms' bits, the gradient has the same bits kept, partly kept and recomputed (Dopri5 and
/// fixed RK4, double and single precision), every VJP reads a kept row when the budget allows, and nothing is allocated per
/// batch after the first; once a thread has taken one gradient, the block's forward pass runs the discrete adjoint's and the
/// backward pass does not solve forward again (the same bits).
/// </summary>
public class OdeBlockKeptTests
{
    public static TheoryData<bool> Precisions => new(false, true);

    // Precision, and whether the dynamics' hidden width is 1.5× the state's channels (the kept c1 is then wider than c2).
    public static TheoryData<bool, bool> PrecisionsAndWidths => new() { { false, false }, { true, false }, { false, true }, { true, true } };

    [Theory]
    [MemberData(nameof(PrecisionsAndWidths))]
    public void KeptForms_GiveThePlainFormsBits(bool single, bool wider)
    {
        var f = new OdeNetDynamics(6, 4, 4, groups: 3, precision: single ? ConvolutionPrecision.Single : ConvolutionPrecision.Double, hidden: wider ? 9 : 0);
        var random = new Random(11);
        double[] p = new double[f.ParameterCount];
        f.Initialize(p, random);
        const int Count = 3;
        double t = 0.35;
        double[] y = LayerChecks.Random(random, Count * f.StateCount), a = LayerChecks.Random(random, y.Length);
        double[] kept = new double[Count * f.KeptPerSample];
        double[] dydt = new double[y.Length], keptDydt = new double[y.Length], fromKept = new double[y.Length];
        f.EvaluateBatch(Count, t, y, p, dydt);
        f.EvaluateBatchKeeping(Count, t, y, p, keptDydt, kept);
        f.EvaluateBatchFromKept(Count, t, y, p, kept, fromKept);
        AssertBits(dydt, keptDydt, "EvaluateBatchKeeping");
        AssertBits(dydt, fromKept, "EvaluateBatchFromKept");

        double[] yBar = LayerChecks.Random(random, y.Length), pBar = LayerChecks.Random(random, p.Length);
        double[] keptYBar = (double[])yBar.Clone(), keptPBar = (double[])pBar.Clone();
        double tBar = f.VjpBatch(Count, t, y, p, a, yBar, pBar);
        double keptTBar = f.VjpBatchKept(Count, t, y, p, kept, a, keptYBar, keptPBar);
        AssertBits(yBar, keptYBar, "yBar");
        AssertBits(pBar, keptPBar, "pBar");
        Assert.Equal(BitConverter.DoubleToInt64Bits(tBar), BitConverter.DoubleToInt64Bits(keptTBar));
    }

    public static TheoryData<string, bool> Cases => new()
    {
        { "Dopri5", false }, { "Dopri5", true }, { "RK4", false }, { "RK4", true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gradient_KeptPartlyKeptAndRecomputed_SameBits(string method, bool single)
    {
        SolverOptions options = method == "RK4"
            ? new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.25 }
            : new SolverOptions { RelTol = 1e-5, AbsTol = 1e-5 };
        const int Batch = 7;
        var random = new Random(13);
        double[] inputs = LayerChecks.Random(random, Batch * 36), targets = Enumerable.Range(0, Batch).Select(i => (double)(i % 3)).ToArray();

        (double Loss, double[] Gradient, long Kept, long Plain, long Bytes) Run(long keptBytes)
        {
            Model model = ImageModel(new DiscreteAdjointSensitivity { KeptBytes = keptBytes }, options, single);
            model.MaxDegreeOfParallelism = 1;
            double[] p = model.CreateParameters(seed: 17), gradient = new double[p.Length], again = new double[p.Length];
            CountingKept.Reset();
            double loss = model.Gradient(p, inputs, targets, Loss.SoftmaxCrossEntropy, gradient);
            var first = (loss, gradient, CountingKept.KeptVjps, CountingKept.PlainVjps, model.Memory.OdeBlockBytes);
            long evaluations = CountingKept.Evaluations;

            // Now the workspace exists, the block's forward pass runs the discrete adjoint's (Record) and the backward pass
            // reverses it: no forward solve there, the same bits.
            CountingKept.Reset();
            double lossAgain = model.Gradient(p, inputs, targets, Loss.SoftmaxCrossEntropy, again);
            Assert.Equal(BitConverter.DoubleToInt64Bits(loss), BitConverter.DoubleToInt64Bits(lossAgain));
            AssertBits(gradient, again, $"{method}, second gradient");
            if (first.KeptVjps > 0 && first.PlainVjps == 0) Assert.Equal(evaluations / 2, CountingKept.Evaluations);
            else Assert.True(CountingKept.Evaluations < evaluations, $"{CountingKept.Evaluations} evaluations the second time, {evaluations} the first");
            return first;
        }

        var recomputed = Run(0);
        var kept = Run(DiscreteAdjointSensitivity.DefaultKeptBytes);
        // One step's rows: a row per live stage (Dopri5's 6, its FSAL stage skipped; RK4's 4), 2 images of Batch samples of 4·3·3.
        long oneStep = (method == "RK4" ? 4 : 6) * 2 * Batch * 36 * sizeof(double);
        var partly = Run(oneStep + (oneStep / 2));

        Assert.Equal(0, recomputed.Kept);
        Assert.True(recomputed.Plain > 0);
        Assert.True(kept.Kept > 0 && kept.Plain == 0, $"{method}: {kept.Kept} kept VJPs, {kept.Plain} recomputed; every stage of every step should be kept");
        Assert.True(partly.Kept > 0 && partly.Plain > 0, $"{method}: {partly.Kept} kept VJPs, {partly.Plain} recomputed with one step's budget");
        Assert.True(kept.Bytes > recomputed.Bytes, "the kept rows are held for the backward pass and reported");
        foreach (var other in new[] { kept, partly })
        {
            Assert.Equal(BitConverter.DoubleToInt64Bits(recomputed.Loss), BitConverter.DoubleToInt64Bits(other.Loss));
            AssertBits(recomputed.Gradient, other.Gradient, method);
        }
    }

    [Theory]
    [MemberData(nameof(PrecisionsAndWidths))]
    public void OneSolvePerSample_KeptAndRecomputed_SameBits(bool single, bool wider)
    {
        // OdeNetDynamics keeps its one-sample evaluations too (an OdeBlock without BatchAsOneSystem).
        const int Batch = 3;
        var random = new Random(19);
        double[] inputs = LayerChecks.Random(random, Batch * 36), targets = Enumerable.Range(0, Batch).Select(i => (double)(i % 3)).ToArray();
        (double Loss, double[] Gradient, long Bytes) Run(long keptBytes)
        {
            var f = new OdeNetDynamics(4, 3, 3, groups: 2, precision: single ? ConvolutionPrecision.Single : ConvolutionPrecision.Double, hidden: wider ? 6 : 0);
            var model = new Model(
                new Conv2d(1, 4, 6, 6, kernel: 4, stride: 2, padding: 1), new Relu(36),
                new OdeBlock<OdeNetDynamics>(f, 0, 1, new DiscreteAdjointSensitivity { KeptBytes = keptBytes }, new SolverOptions { RelTol = 1e-5, AbsTol = 1e-5 }, f.Initialize),
                new GlobalAveragePool(4, 9), new Linear(4, 3)) { MaxDegreeOfParallelism = 1 };
            double[] p = model.CreateParameters(seed: 23), gradient = new double[p.Length], again = new double[p.Length];
            double loss = model.Gradient(p, inputs, targets, Loss.SoftmaxCrossEntropy, gradient);
            Assert.Equal(BitConverter.DoubleToInt64Bits(loss), BitConverter.DoubleToInt64Bits(model.Gradient(p, inputs, targets, Loss.SoftmaxCrossEntropy, again)));
            AssertBits(gradient, again, "second gradient");
            return (loss, gradient, model.Memory.OdeBlockBytes);
        }

        var recomputed = Run(0);
        var kept = Run(DiscreteAdjointSensitivity.DefaultKeptBytes);
        Assert.True(kept.Bytes > recomputed.Bytes, "the kept rows are held for the backward pass and reported");
        Assert.Equal(BitConverter.DoubleToInt64Bits(recomputed.Loss), BitConverter.DoubleToInt64Bits(kept.Loss));
        AssertBits(recomputed.Gradient, kept.Gradient, "kept against recomputed");
    }

    [Fact]
    public void KeptGradient_AllocatesNothingPerBatch_AfterTheFirst()
    {
        Model model = ImageModel(Sensitivity.DiscreteAdjoint, new SolverOptions { RelTol = 1e-4, AbsTol = 1e-4 }, single: true);
        model.MaxDegreeOfParallelism = 1;
        var random = new Random(7);
        double[] p = model.CreateParameters(seed: 8), inputs = LayerChecks.Random(random, 40 * 36), gradient = new double[p.Length];
        double[] targets = Enumerable.Range(0, 40).Select(i => (double)(i % 3)).ToArray();
        CountingKept.Reset();
        model.Gradient(p, inputs, targets, Loss.SoftmaxCrossEntropy, gradient);
        Assert.True(CountingKept.KeptVjps > 0);
        Assert.Equal(0, Allocations.Least(() => model.Gradient(p, inputs, targets, Loss.SoftmaxCrossEntropy, gradient), windows: 3));
    }

    [Fact]
    public void KeptBytes_RejectsNegative_AndDefaultsTo256MiB()
    {
        Assert.Equal(256L << 20, Sensitivity.DiscreteAdjoint.KeptBytes);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DiscreteAdjointSensitivity { KeptBytes = -1 });
        Assert.Equal(0, new DiscreteAdjointSensitivity { KeptBytes = 0 }.KeptBytes);
    }

    // A stem to a 4 × 3 × 3 image, the ODE-Net's dynamics over it (counted), a head; the batch solved as one system.
    private static Model ImageModel(Sensitivity sensitivity, SolverOptions options, bool single)
    {
        var f = new CountingKept(new OdeNetDynamics(4, 3, 3, groups: 2, precision: single ? ConvolutionPrecision.Single : ConvolutionPrecision.Double));
        return new Model(
            new Conv2d(1, 4, 6, 6, kernel: 4, stride: 2, padding: 1), new Relu(36),
            new OdeBlock<CountingKept>(f, 0, 1, sensitivity, options, f.Inner.Initialize) { BatchAsOneSystem = true },
            new GlobalAveragePool(4, 9), new Linear(4, 3));
    }

    private static void AssertBits(double[] expected, double[] actual, string what) =>
        Assert.True(expected.Select(BitConverter.DoubleToInt64Bits).SequenceEqual(actual.Select(BitConverter.DoubleToInt64Bits)), $"{what}: not the same bits");

    // The ODE-Net's dynamics, counting the batch VJPs that read kept rows and those that recompute (one thread: the tests above set it).
    private readonly struct CountingKept(OdeNetDynamics inner) : IBatchOdeSystemKept
    {
        private static long s_kept, s_plain, s_evaluations;

        public static long Evaluations => Interlocked.Read(ref s_evaluations);

        public static long KeptVjps => Interlocked.Read(ref s_kept);

        public static long PlainVjps => Interlocked.Read(ref s_plain);

        public static void Reset() => s_kept = s_plain = s_evaluations = 0;

        public OdeNetDynamics Inner => inner;

        public int StateCount => inner.StateCount;

        public int ParameterCount => inner.ParameterCount;

        public int KeptPerSample => inner.KeptPerSample;

        public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => inner.Evaluate(t, y, p, dydt);

        public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot,
            Span<double> dydt, Span<double> dydtDot) => inner.Jvp(t, y, p, tDot, yDot, pDot, dydt, dydtDot);

        public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
        {
            Interlocked.Increment(ref s_plain);
            return inner.Vjp(t, y, p, a, yBar, pBar);
        }

        public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp) => inner.Jacobian(t, y, p, dfdy, dfdp);

        public void EvaluateBatch(int count, double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
        {
            Interlocked.Increment(ref s_evaluations);
            inner.EvaluateBatch(count, t, y, p, dydt);
        }

        public double VjpBatch(int count, double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
        {
            Interlocked.Increment(ref s_plain);
            return inner.VjpBatch(count, t, y, p, a, yBar, pBar);
        }

        public void EvaluateBatchKeeping(int count, double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt, Span<double> kept)
        {
            Interlocked.Increment(ref s_evaluations);
            inner.EvaluateBatchKeeping(count, t, y, p, dydt, kept);
        }

        public void EvaluateBatchFromKept(int count, double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> kept, Span<double> dydt) =>
            inner.EvaluateBatchFromKept(count, t, y, p, kept, dydt);

        public double VjpBatchKept(int count, double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> kept, ReadOnlySpan<double> a,
            Span<double> yBar, Span<double> pBar)
        {
            Interlocked.Increment(ref s_kept);
            return inner.VjpBatchKept(count, t, y, p, kept, a, yBar, pBar);
        }
    }
}
