using System.Diagnostics;
using OdeGen.Latent;
using OdeGen.Neural;

namespace OdeGen.Samples.LatentOde;

/// <summary>How a model is trained: Adam with a cosine decay to a tenth of the rate, KL annealed as Rubanova's latent_ode (w = 1 − 0.99^k).</summary>
public sealed record TrainingSettings(int Iterations, int Batch, double LearningRate, int Seed);

/// <summary>Training, scoring on held-out points, and posterior bands, the same for the latent ODE and the RNN-Δt baseline.</summary>
public static class Experiment
{
    /// <summary>Trains from <see cref="LatentOdeModel.CreateParameters"/>(seed); returns θ and the mean time of one iteration.</summary>
    public static (double[] Theta, double MsPerIteration) Train(LatentOdeModel model, ExperimentSeries[] train, TrainingSettings settings, Action<int, LatentElbo>? progress = null)
    {
        double[] theta = model.CreateParameters(settings.Seed), gradient = new double[theta.Length];
        var adam = new Adam(settings.LearningRate);
        var schedule = LearningRateSchedule.Cosine(settings.Iterations, 0.1);
        var random = new Random(settings.Seed + 1);
        int batch = Math.Min(settings.Batch, train.Length), cursor = train.Length;
        int[] order = Enumerable.Range(0, train.Length).ToArray();
        var inputs = new IrregularSeries[batch];
        double[] eps = new double[batch * model.Options.LatentSize];
        var clock = Stopwatch.StartNew();
        for (int k = 0; k < settings.Iterations; k++)
        {
            if (cursor + batch > train.Length)
            {
                random.Shuffle(order);
                cursor = 0;
            }

            for (int j = 0; j < batch; j++) inputs[j] = train[order[cursor + j]].Observed;
            cursor += batch;
            Initializers.Normal(eps, random);
            model.KlWeight = 1 - Math.Pow(0.99, k);
            adam.LearningRate = schedule.RateAt(k + 1, settings.LearningRate);
            LatentElbo elbo = model.Elbo(theta, inputs, eps, gradient);
            adam.Step(theta, gradient);
            progress?.Invoke(k + 1, elbo);
        }

        model.KlWeight = 1;
        return (theta, clock.Elapsed.TotalMilliseconds / Math.Max(1, settings.Iterations));
    }

    /// <summary>
    /// RMSE of the posterior-mean prediction (ε = 0) against the noiseless values at the held-out points only. Each
    /// series is decoded through the union of its observed and held-out times (what an RNN decoder was trained on: its
    /// state is driven by the gaps between consecutive queries), and only the held-out points are scored.
    /// </summary>
    public static (double Interp, double Extrap) Rmse(LatentOdeModel model, double[] theta, ExperimentSeries[] test)
    {
        IrregularSeries[] inputs = test.Select(s => s.Observed).ToArray();
        return (Score(model, theta, inputs, test.Select(s => s.InterpTimes).ToArray(), test.SelectMany(s => s.InterpTruth).ToArray(),
                    test.SelectMany(s => s.InterpMask ?? Enumerable.Repeat(1.0, s.InterpTruth.Length)).ToArray()),
                Score(model, theta, inputs, test.Select(s => s.ExtrapTimes).ToArray(), test.SelectMany(s => s.ExtrapTruth).ToArray(),
                    test.SelectMany(s => s.ExtrapMask ?? Enumerable.Repeat(1.0, s.ExtrapTruth.Length)).ToArray()));
    }

    private static double Score(LatentOdeModel model, double[] theta, IrregularSeries[] inputs, double[][] heldOut, double[] truth, double[] mask)
    {
        int d = model.Options.Features;
        double[][] times = inputs.Select((s, j) => s.Times.ToArray().Concat(heldOut[j]).Order().ToArray()).ToArray();
        double[] predictions = new double[times.Sum(t => t.Length) * d];
        model.Predict(theta, inputs, times, new double[inputs.Length * model.Options.LatentSize], predictions);
        double sum = 0;
        int offset = 0, k = 0, count = 0;
        for (int j = 0; j < inputs.Length; j++)
        {
            foreach (double t in heldOut[j])
            {
                int row = Array.BinarySearch(times[j], t);
                for (int q = 0; q < d; q++, k++)
                {
                    if (mask[k] == 0) continue;
                    double e = predictions[offset + (row * d) + q] - truth[k];
                    sum += e * e;
                    count++;
                }
            }

            offset += times[j].Length * d;
        }

        return count == 0 ? double.NaN : Math.Sqrt(sum / count);
    }

    /// <summary>Mean and standard deviation of the decoded mean over <paramref name="samples"/> draws of z₀ ~ q(z₀ | x) at <paramref name="times"/>.</summary>
    public static (double[] Mean, double[] Std) Band(LatentOdeModel model, double[] theta, IrregularSeries observed, double[] times, int samples, int seed)
    {
        int l = model.Options.LatentSize, n = times.Length * model.Options.Features;
        var random = new Random(seed);
        var inputs = Enumerable.Repeat(observed, samples).ToArray();
        double[] eps = new double[samples * l], predictions = new double[samples * n];
        Initializers.Normal(eps, random);
        model.Predict(theta, inputs, Enumerable.Repeat(times, samples).ToArray(), eps, predictions);
        double[] mean = new double[n], std = new double[n];
        for (int s = 0; s < samples; s++)
            for (int i = 0; i < n; i++) mean[i] += predictions[(s * n) + i] / samples;
        for (int s = 0; s < samples; s++)
            for (int i = 0; i < n; i++) std[i] += (predictions[(s * n) + i] - mean[i]) * (predictions[(s * n) + i] - mean[i]) / samples;
        for (int i = 0; i < n; i++) std[i] = Math.Sqrt(std[i]);
        return (mean, std);
    }
}
