using OdeGen.Latent;

namespace OdeGen.Tests.Latent;

/// <summary>Small irregular series and models for the latent-ODE tests.</summary>
internal static class LatentTestData
{
    /// <summary>
    /// <paramref name="count"/> two-feature series, each with its own number of observations (3 to 8) at its own random
    /// times in [0.05, 2.5], a damped rotation with noise, and about one value in six missing.
    /// </summary>
    public static IrregularSeries[] Series(int count, int seed, bool withMissing = true)
    {
        var random = new Random(seed);
        var result = new IrregularSeries[count];
        for (int j = 0; j < count; j++)
        {
            int m = 3 + random.Next(6);
            double[] times = new double[m];
            double t = 0.05 + (0.3 * random.NextDouble());
            for (int i = 0; i < m; i++)
            {
                times[i] = t;
                t += 0.05 + (0.35 * random.NextDouble());
            }

            double phase = 2 * Math.PI * random.NextDouble(), radius = 0.5 + random.NextDouble();
            double[] values = new double[2 * m], mask = new double[2 * m];
            for (int i = 0; i < m; i++)
            {
                double r = radius * Math.Exp(-0.3 * times[i]);
                values[2 * i] = (r * Math.Cos(phase + (2 * times[i]))) + (0.05 * random.NextDouble());
                values[(2 * i) + 1] = (r * Math.Sin(phase + (2 * times[i]))) + (0.05 * random.NextDouble());
                mask[2 * i] = withMissing && i > 0 && random.Next(6) == 0 ? 0 : 1;
                mask[(2 * i) + 1] = withMissing && i > 1 && random.Next(6) == 0 ? 0 : 1;
            }

            result[j] = new IrregularSeries($"s{j}", times, values, mask, features: 2);
        }

        return result;
    }

    public static LatentOdeOptions Options(LatentEncoder encoder, LatentDecoder decoder, bool learnNoise, LaneWidth lanes) => new()
    {
        Features = 2,
        LatentSize = 3,
        EncoderHidden = 5,
        EncoderOdeHidden = 4,
        DynamicsHidden = 6,
        Encoder = encoder,
        Decoder = decoder,
        LearnNoise = learnNoise,
        NoiseStd = 0.3,
        MaxStep = 0.15,
        EncoderMaxStep = 0.2,
        Lanes = lanes,
    };

    public static double[] Epsilon(int count, int latent, int seed)
    {
        var random = new Random(seed);
        double[] eps = new double[count * latent];
        OdeGen.Neural.Initializers.Normal(eps, random);
        return eps;
    }
}
