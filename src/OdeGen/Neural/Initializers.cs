namespace OdeGen.Neural;

/// <summary>
/// Seeded parameter initializers. Each draws from the <see cref="Random"/> it is given, in slice order, so a
/// seed fixes every value (<c>new Random(seed)</c> is reproducible across runs and .NET versions).
/// </summary>
public static class Initializers
{
    /// <summary>Fills <paramref name="values"/> with independent normal draws N(<paramref name="mean"/>, <paramref name="std"/>²) (Box–Muller).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The standard deviation is negative or not finite.</exception>
    public static void Normal(Span<double> values, Random random, double mean = 0.0, double std = 1.0)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (!(std >= 0 && double.IsFinite(std))) throw new ArgumentOutOfRangeException(nameof(std), std, "The standard deviation must be finite and non-negative.");
        if (!double.IsFinite(mean)) throw new ArgumentOutOfRangeException(nameof(mean), mean, "The mean must be finite.");
        for (int i = 0; i < values.Length; i += 2)
        {
            // 1 − NextDouble() lies in (0, 1], so the logarithm is finite.
            double radius = Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble()));
            double angle = 2.0 * Math.PI * random.NextDouble();
            values[i] = mean + std * radius * Math.Cos(angle);
            if (i + 1 < values.Length) values[i + 1] = mean + std * radius * Math.Sin(angle);
        }
    }

    /// <summary>Fills <paramref name="values"/> with independent uniform draws on [<paramref name="low"/>, <paramref name="high"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The bounds are not finite or <paramref name="high"/> is below <paramref name="low"/>.</exception>
    public static void Uniform(Span<double> values, Random random, double low, double high)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (!(double.IsFinite(low) && double.IsFinite(high) && high >= low && double.IsFinite(high - low)))
            throw new ArgumentOutOfRangeException(nameof(high), high, $"Uniform needs finite bounds with low ≤ high, not [{low}, {high}).");
        for (int i = 0; i < values.Length; i++) values[i] = low + (high - low) * random.NextDouble();
    }

    /// <summary>
    /// Glorot (Xavier) uniform for a weight matrix [out][in] = [Rows][Columns]: U(−a, a) with
    /// a = gain·√(6 / (fan_in + fan_out)), fan_in = Columns, fan_out = Rows (PyTorch's <c>xavier_uniform_</c>).
    /// </summary>
    public static void GlorotUniform(ParameterSlice weight, Span<double> parameters, Random random, double gain = 1.0)
    {
        double a = gain * Math.Sqrt(6.0 / FanSum(weight));
        Uniform(weight.Of(parameters), random, -a, a);
    }

    /// <summary>
    /// Glorot (Xavier) normal for a weight matrix [out][in]: N(0, σ²) with σ = gain·√(2 / (fan_in + fan_out))
    /// (PyTorch's <c>xavier_normal_</c>).
    /// </summary>
    public static void GlorotNormal(ParameterSlice weight, Span<double> parameters, Random random, double gain = 1.0) =>
        Normal(weight.Of(parameters), random, 0.0, gain * Math.Sqrt(2.0 / FanSum(weight)));

    private static double FanSum(ParameterSlice weight)
    {
        if (weight.Length == 0) throw new ArgumentException($"Slice '{weight.Name}' is empty; Glorot needs fan_in + fan_out > 0.", nameof(weight));
        return weight.Rows + weight.Columns;
    }
}
