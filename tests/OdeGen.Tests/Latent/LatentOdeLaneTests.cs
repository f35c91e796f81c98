using OdeGen.Latent;
using OdeGen.Neural;

namespace OdeGen.Tests.Latent;

/// <summary>Each series on its own time grid in a SIMD lane gives what it gives alone, and what Ode.Solve gives on the same steps.</summary>
public class LatentOdeLaneTests
{
    [Theory]
    [InlineData(LatentEncoder.OdeRnn, LatentDecoder.Ode)]
    [InlineData(LatentEncoder.RnnDeltaT, LatentDecoder.RnnDeltaT)]
    public void LanesEqualOneSeriesAtATime(LatentEncoder encoder, LatentDecoder decoder)
    {
        IrregularSeries[] batch = LatentTestData.Series(11, seed: 11);   // blocks with a partial last one, series of 3 to 8 points
        double[] eps = LatentTestData.Epsilon(11, 3, 12);
        var results = new List<(LatentElbo Elbo, double[] Gradient, double[] Predictions)>();
        foreach (LaneWidth width in new[] { LaneWidth.Lane1, LaneWidth.Lane128, LaneWidth.Lane256, LaneWidth.Lane512 })
        {
            if (width == LaneWidth.Lane512 && !System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated) continue;
            var model = new LatentOdeModel(LatentTestData.Options(encoder, decoder, learnNoise: true, width));
            double[] theta = model.CreateParameters(13), gradient = new double[theta.Length];
            LatentElbo elbo = model.Elbo(theta, batch, eps, gradient);
            double[][] queries = batch.Select((s, j) => new[] { 0.0, 0.5 + (0.1 * j), 3.0 + j }).ToArray();
            double[] predictions = new double[11 * 3 * 2];
            model.Predict(theta, batch, queries, eps, predictions);
            results.Add((elbo, gradient, predictions));
        }

        var (reference, referenceGradient, referencePredictions) = results[0];
        double scale = referenceGradient.Max(Math.Abs);
        foreach (var (elbo, gradient, predictions) in results.Skip(1))
        {
            Assert.Equal(reference.Loss, elbo.Loss, 1e-11 * Math.Abs(reference.Loss));
            Assert.Equal(reference.ObservedValues, elbo.ObservedValues);
            for (int k = 0; k < gradient.Length; k++) Assert.Equal(referenceGradient[k], gradient[k], 1e-11 * scale);
            for (int k = 0; k < predictions.Length; k++) Assert.Equal(referencePredictions[k], predictions[k], 1e-12);
        }
    }

    [Fact]
    public void EachLaneFollowsOdeSolveOnItsOwnTimes()
    {
        // The decoded mean at each series' own times is W·z(t) + b with z from Ode.Solve (RK4, the same fixed steps per interval).
        var options = LatentTestData.Options(LatentEncoder.OdeRnn, LatentDecoder.Ode, learnNoise: false, LaneWidth.Auto);
        var model = new LatentOdeModel(options);
        IrregularSeries[] batch = LatentTestData.Series(10, seed: 21);
        double[] theta = model.CreateParameters(22);
        for (int k = 0; k < theta.Length; k++) theta[k] *= 2;
        double[] mean = new double[10 * 3], logVar = new double[10 * 3], predictions = new double[batch.Sum(s => s.Count) * 2];
        model.Encode(theta, batch, mean, logVar);
        model.Predict(theta, batch, batch.Select(s => s.Times.ToArray()).ToArray(), new double[30], predictions);

        var system = new TanhMlpSystem(3, 6);
        ReadOnlySpan<double> p = model.Layout["latent.ode"].Of(theta), w = model.Layout["decoder.weight"].Of(theta), b = model.Layout["decoder.bias"].Of(theta);
        int offset = 0;
        for (int j = 0; j < batch.Length; j++)
        {
            double[] z = mean.AsSpan(j * 3, 3).ToArray();
            double previous = 0;
            foreach (double t in batch[j].Times)
            {
                int steps = (int)Math.Ceiling((t - previous) / options.MaxStep);
                OdeSolution s = Ode.Solve(system, z, p, previous, t, new SolverOptions { Method = OdeMethod.RK4, FixedStep = (t - previous) / steps });
                Assert.Equal(steps, s.Stats.Steps);
                z = s.FinalState.ToArray();
                previous = t;
                for (int q = 0; q < 2; q++)
                {
                    double expected = b[q] + (w[q * 3] * z[0]) + (w[(q * 3) + 1] * z[1]) + (w[(q * 3) + 2] * z[2]);
                    Assert.Equal(expected, predictions[offset++], 1e-12);
                }
            }
        }
    }
}
