namespace OdeGen.Tests.Ensemble;

internal static class EnsembleTestSupport
{
    public static readonly LaneWidth[] Widths = [LaneWidth.Lane1, LaneWidth.Lane128, LaneWidth.Lane256, LaneWidth.Lane512];

    public static IEnumerable<object[]> AllWidths() => Widths.Select(w => new object[] { w });

    /// <summary>N Lorenz parameter rows: σ ~ U(9, 11), ρ ~ U(27, 29), β = 8/3.</summary>
    public static double[] LorenzParameters(int count, int seed = 7)
    {
        var rng = new Random(seed);
        var p = new double[3 * count];
        for (int j = 0; j < count; j++)
        {
            p[3 * j] = 9 + 2 * rng.NextDouble();
            p[3 * j + 1] = 27 + 2 * rng.NextDouble();
            p[3 * j + 2] = 8.0 / 3;
        }
        return p;
    }

    /// <summary>N initial states near (1, 1, 1), different per trajectory.</summary>
    public static double[] LorenzStates(int count, int seed = 11)
    {
        var rng = new Random(seed);
        var y = new double[3 * count];
        for (int i = 0; i < y.Length; i++) y[i] = 1 + 0.5 * (rng.NextDouble() - 0.5);
        return y;
    }

    /// <summary>max_i |a_i − b_i| / max(|b_i|, floor).</summary>
    public static double MaxRelative(ReadOnlySpan<double> a, ReadOnlySpan<double> b, double floor = 1.0)
    {
        Assert.Equal(b.Length, a.Length);
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]) / Math.Max(Math.Abs(b[i]), floor));
        return max;
    }

    public static EnsembleOptions Force(LaneWidth width, int? threads = null) => new() { Width = width, MaxDegreeOfParallelism = threads };
}
