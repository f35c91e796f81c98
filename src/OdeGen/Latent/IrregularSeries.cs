namespace OdeGen.Latent;

/// <summary>
/// One irregularly sampled multivariate time series: its own strictly increasing observation times, and at each time a
/// value and a mask for every feature (mask 1 = observed, 0 = missing). Missing values are stored as 0 and never read by
/// the latent ODE's encoder or likelihood, so a series with a missing feature behaves as if that value did not exist.
/// </summary>
public sealed class IrregularSeries
{
    private readonly double[] _times, _values, _mask;

    /// <summary>
    /// Creates a series from its times (M, strictly increasing, finite), values (M × features, row-major) and mask
    /// (M × features, each 0 or 1; null: everything observed). A value whose mask is 0 may be anything (NaN too): it is
    /// replaced by 0. Copies its arguments.
    /// </summary>
    /// <exception cref="ArgumentException">Sizes disagree, a time is not finite or not after the previous one, a mask entry
    /// is not 0 or 1, or an observed value is not finite.</exception>
    public IrregularSeries(string id, ReadOnlySpan<double> times, ReadOnlySpan<double> values, ReadOnlySpan<double> mask = default, int features = -1)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (times.Length == 0) throw new ArgumentException($"Series '{id}' has no observation times.", nameof(times));
        if (features == 0 || features < -1)
            throw new ArgumentOutOfRangeException(nameof(features), features, $"Series '{id}': features is the number of values per time (positive), or -1 to infer it from the lengths.");
        int d = features > 0 ? features : values.Length / times.Length;
        if (d <= 0 || values.Length != (long)times.Length * d)   // long: the int product wrapped around to a small length
            throw new ArgumentException($"Series '{id}': values must hold times.Length × features = {times.Length} × {d} = {(long)times.Length * d} numbers, not {values.Length}.", nameof(values));
        if (!mask.IsEmpty && mask.Length != values.Length)
            throw new ArgumentException($"Series '{id}': mask must have the length of values ({values.Length}), not {mask.Length}.", nameof(mask));
        Id = id;
        FeatureCount = d;
        _times = times.ToArray();
        _values = new double[values.Length];
        _mask = new double[values.Length];
        for (int i = 0; i < times.Length; i++)
        {
            if (!double.IsFinite(times[i])) throw new ArgumentException($"Series '{id}': time {i} is {times[i]}; times must be finite.", nameof(times));
            if (i > 0 && !(times[i] > times[i - 1]))
                throw new ArgumentException($"Series '{id}': time {i} ({times[i]}) is not after time {i - 1} ({times[i - 1]}); times must increase strictly.", nameof(times));
            for (int q = 0; q < d; q++)
            {
                int k = (i * d) + q;
                double m = mask.IsEmpty ? 1.0 : mask[k];
                if (m != 0.0 && m != 1.0) throw new ArgumentException($"Series '{id}': mask of feature {q} at time {i} is {m}; a mask is 0 or 1.", nameof(mask));
                if (m == 1.0 && !double.IsFinite(values[k]))
                    throw new ArgumentException($"Series '{id}': observed value of feature {q} at time {i} is {values[k]}; observed values must be finite (mask it with 0 if it is missing).", nameof(values));
                _mask[k] = m;
                _values[k] = m == 1.0 ? values[k] : 0.0;
            }
        }
    }

    /// <summary>The series' identifier (the CSV's first column).</summary>
    public string Id { get; }

    /// <summary>Number of observation times M.</summary>
    public int Count => _times.Length;

    /// <summary>Number of features per observation.</summary>
    public int FeatureCount { get; }

    /// <summary>The observation times, strictly increasing.</summary>
    public ReadOnlySpan<double> Times => _times;

    /// <summary>Values, M × features row-major; 0 where missing.</summary>
    public ReadOnlySpan<double> Values => _values;

    /// <summary>Mask, M × features row-major: 1 observed, 0 missing.</summary>
    public ReadOnlySpan<double> Mask => _mask;

    /// <summary>Number of observed values (mask entries equal to 1).</summary>
    public int ObservedCount
    {
        get
        {
            int n = 0;
            foreach (double m in _mask) n += m == 1.0 ? 1 : 0;
            return n;
        }
    }

    /// <summary>The observations at indices <paramref name="indices"/> (increasing), as a new series with the same id.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is not an observation's.</exception>
    /// <exception cref="ArgumentException">No indices, or they do not increase strictly.</exception>
    public IrregularSeries Subset(ReadOnlySpan<int> indices)
    {
        int d = FeatureCount;
        double[] t = new double[indices.Length], v = new double[indices.Length * d], m = new double[indices.Length * d];
        for (int i = 0; i < indices.Length; i++)
        {
            if ((uint)indices[i] >= (uint)_times.Length)
                throw new ArgumentOutOfRangeException(nameof(indices), indices[i], $"Series '{Id}': indices[{i}] is not an observation index (0 … {_times.Length - 1}).");
            t[i] = _times[indices[i]];
            _values.AsSpan(indices[i] * d, d).CopyTo(v.AsSpan(i * d));
            _mask.AsSpan(indices[i] * d, d).CopyTo(m.AsSpan(i * d));
        }

        return new IrregularSeries(Id, t, v, m, d);
    }
}
