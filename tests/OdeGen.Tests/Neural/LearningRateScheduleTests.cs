using OdeGen.Neural;

namespace OdeGen.Tests.Neural;

/// <summary>The schedules' rates against values worked out by hand, and the trainer applying them.</summary>
public sealed class LearningRateScheduleTests
{
    private static void Near(double expected, double actual) =>
        Assert.True(Math.Abs(actual - expected) <= 1e-14 * Math.Max(1, Math.Abs(expected)), $"expected {expected:R}, got {actual:R}");

    [Fact]
    public void Step_HalvesEveryThreeIterations()
    {
        LearningRateSchedule s = LearningRateSchedule.Step(3, 0.5);
        double[] rates = Enumerable.Range(1, 7).Select(k => s.RateAt(k, 0.2)).ToArray();
        Assert.Equal([0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.05], rates);
    }

    [Fact]
    public void Exponential_And_Constant()
    {
        LearningRateSchedule s = LearningRateSchedule.Exponential(0.9);
        Near(1.0, s.RateAt(1, 1.0));
        Near(0.9, s.RateAt(2, 1.0));
        Near(0.81, s.RateAt(3, 1.0));
        Assert.Equal(0.3, LearningRateSchedule.Constant.RateAt(1234, 0.3));
    }

    [Fact]
    public void Cosine_FallsFromTheStartToTheMinimum()
    {
        // Over 4 iterations down to 0.1·lr0: factor = 0.1 + 0.9·(1 + cos(πc/4))/2 after c completed iterations.
        LearningRateSchedule s = LearningRateSchedule.Cosine(4, 0.1);
        Near(1.0, s.RateAt(1, 1.0));                                   // c = 0
        Near(0.1 + 0.45 * (1 + Math.Sqrt(0.5)), s.RateAt(2, 1.0));     // c = 1: 0.868198…
        Near(0.55, s.RateAt(3, 1.0));                                  // c = 2: cos(π/2) = 0
        Near(0.1 + 0.45 * (1 - Math.Sqrt(0.5)), s.RateAt(4, 1.0));     // c = 3: 0.231801…
        Near(0.1, s.RateAt(5, 1.0));                                   // c = 4: the minimum
        Near(0.1, s.RateAt(50, 1.0));                                  // and after
        Near(0.2 * 0.55, s.RateAt(3, 0.2));
    }

    [Fact]
    public void Sequential_HoldsThenStartsTheSecondAfresh()
    {
        // Constant for 3 iterations, then cosine over 2 down to 0: 1, 1, 1, then (1 + cos 0)/2 = 1, (1 + cos π/2)/2 = 0.5, 0.
        LearningRateSchedule s = LearningRateSchedule.Sequential(LearningRateSchedule.Constant, 3, LearningRateSchedule.Cosine(2));
        double[] rates = Enumerable.Range(1, 7).Select(k => s.RateAt(k, 2.0)).ToArray();
        Assert.Equal(7, rates.Length);
        double[] expected = [2, 2, 2, 2, 1, 0, 0];
        for (int k = 0; k < 7; k++) Near(expected[k], rates[k]);
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Sequential(LearningRateSchedule.Constant, -1, LearningRateSchedule.Constant));
    }

    [Fact]
    public void BadArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Step(0, 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Step(10, 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Exponential(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Cosine(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Cosine(10, -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Constant.RateAt(0, 0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Constant.RateAt(1, double.NaN));
    }

    [Fact]
    public void Trainer_SetsEachIterationsRate_AndGivesTheStartingRateBack()
    {
        // A tiny problem: a 1→2→1 tanh network fitted to e^{−t} at three points; the trainer with a schedule must take the
        // same steps as a hand loop that sets the rate itself.
        var system = new TanhMlpSystem(1, 2, MlpInput.Identity);
        double[] p0 = [0.3, -0.2, 0.1, 0.05, 0.4, -0.6, 0.0];
        Assert.Equal(system.ParameterCount, p0.Length);
        double[] times = [0.0, 0.5, 1.0];
        var sample = new TrajectorySample([1.0], 0.0, times, times.Select(t => Math.Exp(-t)).ToArray());
        var trainer = new NeuralOdeTrainer<TanhMlpSystem>(system) { Sensitivity = Sensitivity.DiscreteAdjoint };
        LearningRateSchedule schedule = LearningRateSchedule.Step(2, 0.5);

        double[] p = (double[])p0.Clone();
        var optimizer = new Sgd(0.1);
        var rates = new List<double>();
        trainer.Train(p, optimizer, schedule, 5, _ => [sample], progress => rates.Add(progress.LearningRate));
        Assert.Equal([0.1, 0.1, 0.05, 0.05, 0.025], rates);
        Assert.Equal(0.1, optimizer.LearningRate);

        double[] q = (double[])p0.Clone();
        var manual = new Sgd(0.1);
        for (int k = 1; k <= 5; k++)
        {
            manual.LearningRate = schedule.RateAt(k, 0.1);
            trainer.Step(q, manual, [sample]);
        }
        Assert.Equal(q, p);
        Assert.NotEqual(p0, p);
    }
}
