using OdeGen.Latent;

namespace OdeGen.Samples.LatentOde;

/// <summary>
/// One series of an experiment: the noisy points the model sees (a random subset of the fit window), and the held-out
/// points it is scored on: the rest of the fit window (interpolation) and the whole extrapolation window, with their
/// noiseless values.
/// </summary>
/// <remarks>From a CSV (<see cref="Datasets.FromCsv"/>) the "truth" is the recorded values, the masks say which of them
/// exist, and there is no noiseless curve (<see cref="GridTruth"/> null).</remarks>
public sealed record ExperimentSeries(IrregularSeries Observed, double[] InterpTimes, double[] InterpTruth, double[] ExtrapTimes, double[] ExtrapTruth, double[] GridTimes, double[]? GridTruth)
{
    /// <summary>1 where an interpolation target exists (null: all).</summary>
    public double[]? InterpMask { get; init; }

    /// <summary>1 where an extrapolation target exists (null: all).</summary>
    public double[]? ExtrapMask { get; init; }
}

/// <summary>The two synthetic data sets: irregularly sampled spirals and damped oscillators.</summary>
public static class Datasets
{
    /// <summary>Number of grid points per series (half fit window, half extrapolation).</summary>
    public const int GridPoints = 100;

    /// <summary>Length of a series in time; the fit window is the first half.</summary>
    public const double Duration = 4.0;

    /// <summary>
    /// Spirals r = 0.3 + 0.15·θ: half counter-clockwise and outward (θ = θ₀ + ωt), half clockwise and inward
    /// (θ = θ₀ − ωt), one turn over the series (ω = 2π/4), θ₀ drawn per series; noise N(0, noise²) on each observed value.
    /// </summary>
    public static ExperimentSeries[] Spirals(int count, int observed, double noise, int seed)
    {
        return Make(count, observed, noise, new Random(seed), spiral: true);
    }

    /// <summary>
    /// Damped oscillators x'' + 2ζω·x' + ω²·x = 0, ω ∈ [1.5, 3], ζ ∈ [0.05, 0.2], random amplitude and phase; the two
    /// features are x and x'/ω.
    /// </summary>
    public static ExperimentSeries[] Oscillators(int count, int observed, double noise, int seed)
    {
        return Make(count, observed, noise, new Random(seed), spiral: false);
    }

    /// <summary>
    /// Your series: the observations at or before <paramref name="split"/> form the fit window, of which a random
    /// <paramref name="holdOut"/> fraction (never the first) is held out for interpolation; those after it are extrapolation
    /// targets. Missing values (mask 0) are never scored.
    /// </summary>
    public static ExperimentSeries[] FromCsv(IReadOnlyList<IrregularSeries> series, double split, double holdOut, int seed)
    {
        var random = new Random(seed);
        var result = new List<ExperimentSeries>();
        double first = series.Min(s => s.Times[0]), last = series.Max(s => s.Times[^1]);
        double[] grid = Enumerable.Range(0, GridPoints).Select(i => first + ((last - first) * i / (GridPoints - 1))).ToArray();
        foreach (IrregularSeries s in series)
        {
            int d = s.FeatureCount, fit = 0;
            while (fit < s.Count && s.Times[fit] <= split) fit++;
            if (fit == 0) continue;   // nothing to encode
            int[] held = Enumerable.Range(1, fit - 1).Where(_ => random.NextDouble() < holdOut).ToArray();
            int[] kept = Enumerable.Range(0, fit).Except(held).ToArray();
            double[] Rows(IEnumerable<int> rows, ReadOnlySpan<double> v)
            {
                var list = new List<double>();
                foreach (int i in rows) list.AddRange(v.Slice(i * d, d).ToArray());
                return list.ToArray();
            }

            int[] after = Enumerable.Range(fit, s.Count - fit).ToArray();
            result.Add(new ExperimentSeries(s.Subset(kept), held.Select(i => s.Times[i]).ToArray(), Rows(held, s.Values),
                after.Select(i => s.Times[i]).ToArray(), Rows(after, s.Values), grid, null)
            {
                InterpMask = Rows(held, s.Mask),
                ExtrapMask = Rows(after, s.Mask),
            });
        }

        return result.ToArray();
    }

    private static ExperimentSeries[] Make(int count, int observed, double noise, Random random, bool spiral)
    {
        var result = new ExperimentSeries[count];
        int fit = GridPoints / 2;
        if (observed < 1 || observed > fit) throw new ArgumentOutOfRangeException(nameof(observed), $"observed points must be in [1, {fit}].");
        double[] grid = Enumerable.Range(0, GridPoints).Select(i => Duration * (i + 0.5) / GridPoints).ToArray();
        for (int j = 0; j < count; j++)
        {
            Func<double, (double X, double Y)> curve = spiral ? Spiral(j, random) : Oscillator(random);
            double[] truth = new double[2 * GridPoints];
            for (int i = 0; i < GridPoints; i++) (truth[2 * i], truth[(2 * i) + 1]) = curve(grid[i]);

            // Each series its own random subset of the fit window's grid points.
            int[] chosen = Enumerable.Range(0, fit).OrderBy(_ => random.Next()).Take(observed).Order().ToArray();
            double[] values = new double[2 * observed];
            for (int i = 0; i < observed; i++)
            {
                values[2 * i] = truth[2 * chosen[i]] + (noise * Gaussian(random));
                values[(2 * i) + 1] = truth[(2 * chosen[i]) + 1] + (noise * Gaussian(random));
            }

            var series = new IrregularSeries($"{(spiral ? "spiral" : "oscillator")}-{j}", chosen.Select(i => grid[i]).ToArray(), values, default, 2);
            int[] rest = Enumerable.Range(0, fit).Except(chosen).ToArray();
            result[j] = new ExperimentSeries(series,
                rest.Select(i => grid[i]).ToArray(), rest.SelectMany(i => new[] { truth[2 * i], truth[(2 * i) + 1] }).ToArray(),
                grid[fit..], truth[(2 * fit)..], grid, truth);
        }

        return result;
    }

    private static Func<double, (double, double)> Spiral(int j, Random random)
    {
        double omega = 2 * Math.PI / Duration;
        bool clockwise = j % 2 == 1;
        double theta0 = clockwise ? (2.5 * Math.PI) + (2.5 * Math.PI * random.NextDouble()) : (0.5 * Math.PI) + (2.5 * Math.PI * random.NextDouble());
        return t =>
        {
            double theta = clockwise ? theta0 - (omega * t) : theta0 + (omega * t);
            double r = 0.3 + (0.15 * theta);
            return (r * Math.Cos(theta), clockwise ? -r * Math.Sin(theta) : r * Math.Sin(theta));
        };
    }

    private static Func<double, (double, double)> Oscillator(Random random)
    {
        double omega = 1.5 + (1.5 * random.NextDouble()), zeta = 0.05 + (0.15 * random.NextDouble());
        double amplitude = 0.5 + (1.5 * random.NextDouble()), phase = 2 * Math.PI * random.NextDouble();
        double wd = omega * Math.Sqrt(1 - (zeta * zeta));
        return t =>
        {
            double decay = amplitude * Math.Exp(-zeta * omega * t);
            double x = decay * Math.Cos((wd * t) + phase);
            double v = decay * ((-zeta * omega * Math.Cos((wd * t) + phase)) - (wd * Math.Sin((wd * t) + phase)));
            return (x, v / omega);
        };
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
