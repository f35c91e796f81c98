using OdeGen.Neural;

namespace OdeGen.Tests.Neural;

/// <summary>Short training runs on a small spiral, losses, seeded initializers, determinism across threads.</summary>
public sealed class TrainingTests
{
    private const int Hidden = 12;

    /// <summary>The spiral over [0, 5] at 100 points, segments of 5, batches of 8 (a small, fast version of the demo).</summary>
    internal static (TanhMlpSystem Model, double[] P, SegmentSampler Sampler, double[] Times, double[] Truth) SmallSpiral(int seed)
    {
        var truth = default(TrueSpiral.RhsSystem);
        double[] times = Enumerable.Range(0, 100).Select(i => 5.0 * i / 99).ToArray();
        OdeSolution solution = Ode.Solve(truth, [2.0, 0.0], [], 0, 5, new SolverOptions { RelTol = 1e-8, AbsTol = 1e-10, SaveAt = times }).EnsureSuccess();
        double[] states = new double[200];
        for (int i = 0; i < 100; i++) solution.State(i).CopyTo(states.AsSpan(2 * i, 2));
        var model = new TanhMlpSystem(2, Hidden, MlpInput.Cube);
        ParameterLayout layout = model.CreateLayout();
        double[] p = layout.CreateVector();
        var random = new Random(seed);
        Initializers.GlorotNormal(layout["W1"], p, random);
        Initializers.GlorotNormal(layout["W2"], p, random);
        return (model, p, new SegmentSampler(times, states, 2, segmentLength: 5, batchSize: 8, seed), times, states);
    }

    private static (double[] Losses, double[] P) Train(int seed, int iterations, int threads, Sensitivity sensitivity)
    {
        var (model, p, sampler, _, _) = SmallSpiral(seed);
        var trainer = new NeuralOdeTrainer<TanhMlpSystem>(model)
        {
            Solver = new SolverOptions { RelTol = 1e-6, AbsTol = 1e-8 },
            Sensitivity = sensitivity,
            MaxDegreeOfParallelism = threads,
        };
        var losses = new List<double>();
        BatchResult last = trainer.Train(p, new Adam(0.01), iterations, _ => sampler.Next(), progress => losses.Add(progress.Batch.Loss));
        Assert.True(last.IsSuccess, last.Status.ToString());
        return (losses.ToArray(), p);
    }

    [Fact]
    public void FiftyIterations_LowerTheLoss()
    {
        var (model, p0, _, times, truth) = SmallSpiral(seed: 1);
        var (losses, p) = Train(seed: 1, iterations: 50, threads: 1, Sensitivity.DiscreteAdjoint);
        // Batches differ, so compare averages of the first and last ten batch losses, and the loss on a fixed
        // batch of every segment start before and after.
        double first = losses.Take(10).Average(), last = losses.TakeLast(10).Average();
        Assert.True(last < 0.5 * first, $"batch loss {first:G4} → {last:G4}");

        var everySegment = new SegmentSampler(times, truth, 2, 5, 8, 0);
        TrajectorySample[] all = Enumerable.Range(0, 95).Select(everySegment.Segment).ToArray();
        var trainer = new NeuralOdeTrainer<TanhMlpSystem>(model) { Solver = new SolverOptions { RelTol = 1e-6, AbsTol = 1e-8 } };
        double before = trainer.Evaluate(p0, all).Loss, after = trainer.Evaluate(p, all).Loss;
        Assert.True(after < 0.5 * before, $"loss over every segment {before:G4} → {after:G4}");
    }

    [Fact]
    public void SameSeed_SameNumbers_OnOneOrManyThreads()
    {
        var (lossesA, pA) = Train(seed: 4, iterations: 6, threads: 1, Sensitivity.InterpolatingAdjoint());
        var (lossesB, pB) = Train(seed: 4, iterations: 6, threads: 1, Sensitivity.InterpolatingAdjoint());
        var (lossesC, pC) = Train(seed: 4, iterations: 6, threads: 4, Sensitivity.InterpolatingAdjoint());
        Assert.Equal(lossesA, lossesB);
        Assert.Equal(pA, pB);
        Assert.Equal(lossesA, lossesC); // exact: per-sample slots reduced in sample order
        Assert.Equal(pA, pC);
        var (lossesD, _) = Train(seed: 5, iterations: 6, threads: 1, Sensitivity.InterpolatingAdjoint());
        Assert.NotEqual(lossesA, lossesD);
    }

    [Fact]
    public void BatchGradient_IsTheSumOfSampleGradients_AndMatchesFiniteDifferences()
    {
        var (model, p, sampler, _, _) = SmallSpiral(seed: 2);
        IReadOnlyList<TrajectorySample> batch = sampler.Next();
        var options = new SolverOptions { RelTol = 1e-11, AbsTol = 1e-12 };
        var trainer = new NeuralOdeTrainer<TanhMlpSystem>(model) { Solver = options, Sensitivity = Sensitivity.DiscreteAdjoint, Loss = TrajectoryLossKind.MeanSquared };
        var gradient = new double[model.ParameterCount];
        BatchResult result = trainer.Gradient(p, batch, gradient);
        Assert.True(result.IsSuccess);
        foreach (int k in new[] { 0, 5, 30, model.ParameterCount - 1 })
        {
            const double h = 1e-5;
            double[] plus = (double[])p.Clone(), minus = (double[])p.Clone();
            plus[k] += h;
            minus[k] -= h;
            double fd = (trainer.Evaluate(plus, batch).Loss - trainer.Evaluate(minus, batch).Loss) / (2 * h);
            Assert.True(Math.Abs(fd - gradient[k]) <= 1e-6 * Math.Max(1e-3, Math.Abs(fd)) + 1e-9, $"dL/dp[{k}]: {gradient[k]:R} vs finite difference {fd:R}");
        }
    }

    [Fact]
    public void Losses_ReturnTheMeanAndItsGradient()
    {
        double[] predicted = [1, 2, 3, 4], target = [0, 2, 5, 3.5], dLdy = new double[4];
        // |d| = (1, 0, 2, 0.5): mean over 4 entries = 0.875; over a batch of 8 entries = 0.4375.
        Assert.Equal(0.875, TrajectoryLoss.MeanAbsoluteError(predicted, target, dLdy));
        Assert.Equal([0.25, 0, -0.25, 0.25], dLdy);
        Assert.Equal(0.4375, TrajectoryLoss.MeanAbsoluteError(predicted, target, dLdy, count: 8));
        Assert.Equal([0.125, 0, -0.125, 0.125], dLdy);
        // d² = (1, 0, 4, 0.25): mean 1.3125; gradient 2d/4 = (0.5, 0, −1, 0.25).
        Assert.Equal(1.3125, TrajectoryLoss.MeanSquaredError(predicted, target, dLdy));
        Assert.Equal([0.5, 0, -1, 0.25], dLdy);
        Assert.Throws<ArgumentException>(() => TrajectoryLoss.MeanSquaredError(predicted, target, dLdy, count: 3));
    }

    [Fact]
    public void Initializers_AreSeeded_AndHaveTheirMoments()
    {
        double[] a = new double[20_000], b = new double[20_000];
        Initializers.Normal(a, new Random(3), mean: 1.0, std: 0.5);
        Initializers.Normal(b, new Random(3), mean: 1.0, std: 0.5);
        Assert.Equal(a, b);
        double mean = a.Average(), std = Math.Sqrt(a.Select(x => (x - mean) * (x - mean)).Average());
        Assert.InRange(mean, 0.98, 1.02);
        Assert.InRange(std, 0.49, 0.51);

        var layout = new ParameterLayout();
        ParameterSlice w = layout.AddMatrix("W", 30, 20);
        double[] p = layout.CreateVector();
        Initializers.GlorotUniform(w, p, new Random(1));
        double bound = Math.Sqrt(6.0 / 50);
        Assert.All(p, x => Assert.InRange(x, -bound, bound));
        Assert.True(p.Max() > 0.9 * bound && p.Min() < -0.9 * bound);
    }

    public static TheoryData<string> AdjointMethods => ["InterpolatingAdjoint", "InterpolatingAdjoint(1), interpolated observations", "BacksolveAdjoint", "DiscreteAdjoint"];

    // One thread: the batch goes sample by sample through the thread's gradient workspace, so after the first call of a
    // shape an iteration's gradient allocates nothing (the trainer hands out no per-sample results).
    [Theory]
    [MemberData(nameof(AdjointMethods))]
    public void Gradient_OnOneThread_AllocatesNothingAfterTheFirstCall(string method)
    {
        var (model, p, sampler, _, _) = SmallSpiral(seed: 3);
        Sensitivity sensitivity = method switch
        {
            "InterpolatingAdjoint" => Sensitivity.InterpolatingAdjoint(),
            "InterpolatingAdjoint(1), interpolated observations" => new InterpolatingAdjointSensitivity(1) { InterpolateObservations = true },
            "BacksolveAdjoint" => Sensitivity.BacksolveAdjoint,
            _ => Sensitivity.DiscreteAdjoint,
        };
        var trainer = new NeuralOdeTrainer<TanhMlpSystem>(model) { Solver = new SolverOptions { RelTol = 1e-6, AbsTol = 1e-8 }, Sensitivity = sensitivity };
        IReadOnlyList<TrajectorySample> batch = sampler.Next();
        var gradient = new double[model.ParameterCount];
        BatchResult first = trainer.Gradient(p, batch, gradient);
        Assert.True(first.IsSuccess, first.Status.ToString());
        double[] expected = (double[])gradient.Clone();
        long before = GC.GetAllocatedBytesForCurrentThread();
        BatchResult second = trainer.Gradient(p, batch, gradient);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(first.Loss, second.Loss);
        Assert.Equal(expected, gradient);
    }
}
