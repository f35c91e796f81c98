using OdeGen.Neural;
using OdeGen.Tests.Implicit;

namespace OdeGen.Tests.Neural;

/// <summary>Batches and layouts the trainer must refuse with a message, never train on or crash inside.</summary>
public class TrainerInputTests
{
    // dy/dt = A·y + b with A = −I: a stable linear flow, 3 states, 12 parameters.
    private static double[] Parameters()
    {
        double[] p = new double[12];
        for (int i = 0; i < 3; i++) p[i * 4] = -1;
        return p;
    }

    private static NeuralOdeTrainer<ImplicitCells.LinearFlowSystem> Trainer() => new(new ImplicitCells.LinearFlowSystem());

    public static TheoryData<string> BadSamples => ["nan target", "unsorted times", "times before t0", "no times", "null sample", "null target", "nan y0", "nan t0"];

    private static TrajectorySample? Sample(string name) => name switch
    {
        "nan target" => new([1, 1, 1], 0, [0.5, 1.0], [1, 1, 1, double.NaN, 1, 1]),
        "unsorted times" => new([1, 1, 1], 0, [1.0, 0.5], [1, 1, 1, 1, 1, 1]),
        "times before t0" => new([1, 1, 1], 1, [0.5, 2.0], [1, 1, 1, 1, 1, 1]),
        "no times" => new([1, 1, 1], 0, [], []),
        "null sample" => null,
        "null target" => new([1, 1, 1], 0, [0.5], null!),
        "nan y0" => new([double.NaN, 1, 1], 0, [0.5, 1.0], [1, 1, 1, 1, 1, 1]),
        "nan t0" => new([1, 1, 1], double.NaN, [0.5, 1.0], [1, 1, 1, 1, 1, 1]),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    // Was: a NaN target gave a NaN loss (and a finite gradient) with Success; Evaluate took unsorted times or times before T0
    // and returned a loss with Success while Gradient refused them; a sample without times failed inside the loss with a
    // message about an internal "count"; a null sample was a NullReferenceException. Now both refuse the same batches,
    // naming the sample.
    [Theory]
    [MemberData(nameof(BadSamples))]
    public void GradientAndEvaluate_RefuseABadSample_Alike(string name)
    {
        var trainer = Trainer();
        double[] p = Parameters();
        TrajectorySample good = new([1, 1, 1], 0, [0.5, 1.0], [1, 1, 1, 1, 1, 1]);
        TrajectorySample[] batch = [good, Sample(name)!];
        var g = Assert.Throws<ArgumentException>(() => trainer.Gradient(p, batch, new double[12]));
        var e = Assert.Throws<ArgumentException>(() => trainer.Evaluate(p, batch));
        Assert.StartsWith("Sample 1", g.Message, StringComparison.Ordinal);
        Assert.Equal(g.Message, e.Message);
    }

    [Fact]
    public void NaNParameters_AreRefusedByEvaluateAsByGradient()
    {
        var trainer = Trainer();
        double[] p = Parameters();
        p[11] = double.NaN;
        TrajectorySample[] batch = [new([1, 1, 1], 0, [0.5, 1.0], [1, 1, 1, 1, 1, 1])];
        Assert.Throws<ArgumentException>(() => trainer.Gradient(p, batch, new double[12]));
        Assert.Contains("parameters[11] is NaN", Assert.Throws<ArgumentException>(() => trainer.Evaluate(p, batch)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BackwardInTimeSamples_StillTrain()
    {
        var trainer = Trainer();
        TrajectorySample[] batch = [new([1, 1, 1], 1, [0.5, 0.0], [1, 1, 1, 1, 1, 1])];
        Assert.True(trainer.Gradient(Parameters(), batch, new double[12]).IsSuccess);
        Assert.True(trainer.Evaluate(Parameters(), batch).IsSuccess);
    }

    // Was: zero iterations returned default(BatchResult), which reads as Success with loss 0 and gradient norm 0.
    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Train_WithoutAnIteration_IsRefused(int iterations)
    {
        double[] p = Parameters();
        var sample = new TrajectorySample([1, 1, 1], 0, [0.5], [1, 1, 1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => Trainer().Train(p, new Adam(1e-3), iterations, _ => [sample]));
        Assert.Equal(Parameters(), p);
    }
}
