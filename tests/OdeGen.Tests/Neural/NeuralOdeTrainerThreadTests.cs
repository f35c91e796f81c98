using OdeGen.Neural;
using OdeGen.Tests.Threading;

namespace OdeGen.Tests.Neural;

/// <summary>
/// The trainer's samples on several threads: its runner, one gradient workspace per worker and one slot per sample are
/// kept between calls, so after the first calls an iteration allocates nothing on any thread, and the slots are summed in
/// sample order, so the numbers are the one-thread path's bits.
/// </summary>
[Collection(WholeProcessAllocations.Name)]
public sealed class NeuralOdeTrainerThreadTests
{
    private static NeuralOdeTrainer<TanhMlpSystem> Trainer(TanhMlpSystem model, Sensitivity sensitivity, int threads) => new(model)
    {
        Solver = new SolverOptions { RelTol = 1e-6, AbsTol = 1e-8 },
        Sensitivity = sensitivity,
        MaxDegreeOfParallelism = threads,
    };

    public static TheoryData<string> Methods => ["InterpolatingAdjoint", "DiscreteAdjoint"];

    private static Sensitivity Method(string name) => name == "DiscreteAdjoint" ? Sensitivity.DiscreteAdjoint : Sensitivity.InterpolatingAdjoint();

    // Whole process: what the pool thread allocates is not on the caller's count. Several calls first, so that each worker
    // has met the batch's longest sample (its tape keeps its largest size).
    [Theory]
    [MemberData(nameof(Methods))]
    public void Gradient_OnTwoThreads_AllocatesNothingAfterItsFirstCalls_AndGivesOneThreadsBits(string method)
    {
        var (model, p, sampler, _, _) = TrainingTests.SmallSpiral(seed: 6);
        IReadOnlyList<TrajectorySample> batch = sampler.Next();
        var one = new double[p.Length];
        BatchResult expected = Trainer(model, Method(method), threads: 1).Gradient(p, batch, one);
        Assert.True(expected.IsSuccess, expected.Status.ToString());

        NeuralOdeTrainer<TanhMlpSystem> trainer = Trainer(model, Method(method), threads: 2);
        var two = new double[p.Length];
        for (int call = 0; call < 5; call++)
        {
            Assert.Equal(expected, trainer.Gradient(p, batch, two));
            Assert.Equal(one, two);
        }
        Assert.Equal(0, WholeProcessAllocations.Least(() =>
        {
            for (int call = 0; call < 4; call++) trainer.Gradient(p, batch, two);
        }));
        Assert.Equal(one, two);
    }

    // An iteration (Step: gradient and update) allocates nothing either, and three threads take the same steps as one.
    [Fact]
    public void Steps_OnTwoThreads_AllocateNothing_AndThreeThreadsTakeOneThreadsSteps()
    {
        var (model, p0, sampler, _, _) = TrainingTests.SmallSpiral(seed: 7);
        IReadOnlyList<TrajectorySample> batch = sampler.Next();
        double[] p1 = (double[])p0.Clone(), p3 = (double[])p0.Clone();
        NeuralOdeTrainer<TanhMlpSystem> single = Trainer(model, Sensitivity.InterpolatingAdjoint(), 1), three = Trainer(model, Sensitivity.InterpolatingAdjoint(), 3);
        Optimizer adam1 = new Adam(0.01), adam3 = new Adam(0.01);
        for (int step = 0; step < 4; step++)
        {
            Assert.Equal(single.Step(p1, adam1, batch), three.Step(p3, adam3, batch));
            Assert.Equal(p1, p3);
        }

        NeuralOdeTrainer<TanhMlpSystem> two = Trainer(model, Sensitivity.InterpolatingAdjoint(), 2);
        var sgd = new Sgd(1e-4);
        double[] p2 = (double[])p0.Clone();
        for (int step = 0; step < 5; step++) two.Step(p2, sgd, batch);
        Assert.Equal(0, WholeProcessAllocations.Least(() =>
        {
            for (int step = 0; step < 4; step++) two.Step(p2, sgd, batch);
        }));
    }

    // A sample whose dynamics throw: the exception itself reaches the caller, as on one thread (Parallel.For wrapped it
    // in an AggregateException), and the trainer works afterwards.
    [Fact]
    public void AnExceptionOfTheDynamics_IsRethrownAsItself_AndTheTrainerWorksAfterwards()
    {
        var trainer = new NeuralOdeTrainer<ThrowingDecay>(default) { MaxDegreeOfParallelism = 2 };
        double[] times = [0.5, 1.0];
        List<TrajectorySample> good = [.. Enumerable.Range(0, 6).Select(i => new TrajectorySample([1.0 + i, 0.5], 0, times, new double[4]))];
        List<TrajectorySample> bad = [.. good];
        bad[3] = bad[3] with { Y0 = [ThrowingDecay.Threshold * 2, 0] };
        var gradient = new double[1];
        var e = Assert.Throws<InvalidOperationException>(() => trainer.Gradient([0.7], bad, gradient));
        Assert.Equal(ThrowingDecay.Message, e.Message);
        Assert.Throws<InvalidOperationException>(() => trainer.Evaluate([0.7], bad));

        var expected = new double[1];
        BatchResult a = new NeuralOdeTrainer<ThrowingDecay>(default).Gradient([0.7], good, expected);
        Assert.Equal(a, trainer.Gradient([0.7], good, gradient));
        Assert.Equal(expected, gradient);
    }

    /// <summary>y' = −p₀·y, which throws on a state above <see cref="Threshold"/>.</summary>
    private readonly struct ThrowingDecay : IOdeSystem
    {
        public const double Threshold = 1e3;
        public const string Message = "The state is out of range.";

        public int StateCount => 2;

        public int ParameterCount => 1;

        public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
        {
            if (y[0] > Threshold) throw new InvalidOperationException(Message);
            dydt[0] = -p[0] * y[0];
            dydt[1] = -p[0] * y[1];
        }

        public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot,
            Span<double> dydt, Span<double> dydtDot)
        {
            Evaluate(t, y, p, dydt);
            for (int i = 0; i < 2; i++) dydtDot[i] = (-p[0] * yDot[i]) - (pDot[0] * y[i]);
        }

        public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
        {
            if (y[0] > Threshold) throw new InvalidOperationException(Message);
            for (int i = 0; i < 2; i++)
            {
                yBar[i] += -p[0] * a[i];
                pBar[0] += -y[i] * a[i];
            }
            return 0;
        }

        public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp)
        {
            dfdy.Clear();
            dfdy[0] = dfdy[3] = -p[0];
            dfdp[0] = -y[0];
            dfdp[1] = -y[1];
        }
    }
}
