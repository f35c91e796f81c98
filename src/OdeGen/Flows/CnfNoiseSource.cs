namespace OdeGen.Flows;

/// <summary>
/// Draws the noise vectors of one solve from a seed: the same seed gives the same ε for every sample, whatever the
/// chunking or the number of threads (the whole batch is drawn first, in sample order).
/// </summary>
internal static class CnfNoiseSource
{
    public static double[] Draw(CnfNoise kind, int seed, int count)
    {
        var values = new double[count];
        Fill(kind, seed, values);
        return values;
    }

    /// <summary>Fills <paramref name="values"/> as <see cref="Draw"/> would (nothing to do when it is empty).</summary>
    public static void Fill(CnfNoise kind, int seed, Span<double> values)
    {
        if (values.IsEmpty) return;
        int count = values.Length;
        var random = new Random(seed);
        if (kind == CnfNoise.Rademacher)
        {
            for (int i = 0; i < count; i++) values[i] = random.Next(2) == 0 ? -1.0 : 1.0;
        }
        else
        {
            FillGaussian(random, values);
        }
    }

    /// <summary>Standard normal values by the Box–Muller transform (two per pair of uniforms).</summary>
    public static void FillGaussian(Random random, Span<double> values)
    {
        for (int i = 0; i < values.Length; i += 2)
        {
            double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
            double r = Math.Sqrt(-2.0 * Math.Log(u1)), angle = 2.0 * Math.PI * u2;
            values[i] = r * Math.Cos(angle);
            if (i + 1 < values.Length) values[i + 1] = r * Math.Sin(angle);
        }
    }
}
