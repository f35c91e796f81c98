using System.Diagnostics;
using OdeGen.Flows;
using OdeGen.Neural;

namespace OdeGen.Samples.Cnf;

/// <summary>What a training run measured.</summary>
public sealed record TrainingReport(int Iterations, double Seconds, double ForwardEvaluations, double BackwardEvaluations, double LastLoss)
{
    /// <summary>Mean wall time of one iteration (loss, gradient, Adam step), in milliseconds.</summary>
    public double MillisecondsPerIteration => Iterations == 0 ? 0 : 1000 * Seconds / Iterations;
}

/// <summary>
/// The sample's experiment, shared with its test: train a flow on minibatches of a toy density with Adam, then measure
/// the held-out NLL with the exact trace, the density on a grid (and its mass) and samples.
/// </summary>
public static class CnfExperiment
{
    /// <summary>
    /// Trains <paramref name="p"/> in place: per iteration a fresh batch from <paramref name="data"/>, the loss gradient
    /// (noise seeded by the iteration) and an Adam step. <paramref name="progress"/> sees (iteration, loss) after each.
    /// The learning rate follows a cosine from <paramref name="learningRate"/> down to <paramref name="finalLearningRate"/>
    /// (equal: constant): late steps of the minibatch noise then average out instead of keeping the NLL a few hundredths
    /// of a nat above where it could be.
    /// </summary>
    public static TrainingReport Train(CnfFlow flow, ToyDensity data, double[] p, int iterations, int batch,
        double learningRate, int seed, Action<int, CnfLoss>? progress = null, double? finalLearningRate = null)
    {
        var random = new Random(seed);
        var adam = new Adam(learningRate);
        double last = finalLearningRate ?? learningRate;
        var gradient = new double[p.Length];
        double forward = 0, backward = 0, lastLoss = double.NaN;
        var clock = Stopwatch.StartNew();
        for (int i = 1; i <= iterations; i++)
        {
            adam.LearningRate = CosineRate(learningRate, last, i - 1, iterations);
            double[] points = data.Sample(random, batch);
            CnfLoss loss = flow.LossGradient(points, p, gradient, seed: (seed * 1_000_003) + i);
            adam.Step(p, gradient);
            forward += loss.Forward.EvaluationsPerSolve;
            backward += loss.Backward.EvaluationsPerSolve;
            lastLoss = loss.Loss;
            progress?.Invoke(i, loss);
        }
        double seconds = clock.Elapsed.TotalSeconds;
        return new TrainingReport(iterations, seconds, iterations == 0 ? 0 : forward / iterations, iterations == 0 ? 0 : backward / iterations, lastLoss);
    }

    /// <summary>The rate of step <paramref name="step"/> (0-based) of <paramref name="steps"/>: first + (last − first)·(1 − cos(π·step/(steps − 1)))/2.</summary>
    public static double CosineRate(double first, double last, int step, int steps) =>
        steps <= 1 ? first : last + ((first - last) * 0.5 * (1 + Math.Cos(Math.PI * step / (steps - 1))));

    /// <summary>Mean −log p over <paramref name="points"/> with its standard error.</summary>
    public static (double Nll, double StandardError) HeldOutNll(CnfFlow flow, double[] points, double[] p)
    {
        var log = new double[points.Length / 2];
        flow.LogDensity(points, p, log);
        double mean = -log.Average();
        double variance = log.Sum(v => (-v - mean) * (-v - mean)) / Math.Max(1, log.Length - 1);
        return (mean, Math.Sqrt(variance / log.Length));
    }

    /// <summary>log p at the centres of a <paramref name="side"/> × <paramref name="side"/> grid over [−extent, extent]² (row i = x index), and the grid's mass Σ p·h².</summary>
    public static (double[] LogDensity, double Mass) Grid(CnfFlow flow, double[] p, int side, double extent)
    {
        double h = 2 * extent / side;
        var points = new double[2 * side * side];
        for (int i = 0; i < side; i++)
        {
            for (int j = 0; j < side; j++)
            {
                points[2 * ((i * side) + j)] = -extent + ((i + 0.5) * h);
                points[(2 * ((i * side) + j)) + 1] = -extent + ((j + 0.5) * h);
            }
        }
        var log = new double[side * side];
        flow.LogDensity(points, p, log);
        return (log, log.Sum(Math.Exp) * h * h);
    }

    /// <summary><paramref name="count"/> samples of the model (base draws seeded by <paramref name="seed"/>).</summary>
    public static double[] Samples(CnfFlow flow, double[] p, int count, int seed)
    {
        var z = new double[2 * count];
        CnfFlow.DrawBase(new Random(seed), z);
        var x = new double[z.Length];
        flow.Sample(z, p, x);
        return x;
    }
}
