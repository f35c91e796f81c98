namespace OdeGen.Solvers;

/// <summary>
/// A solver options object as the key of what was built or checked from it: the same instance, and the same contents of
/// its two arrays (<see cref="SolverOptions.AbsTolVector"/>, <see cref="SolverOptions.SaveAt"/>) and of its event list
/// (<see cref="SolverOptions.Events"/>, which may be a caller's List). SolverOptions is immutable but for those contents,
/// which a caller can change in place between two calls with the same object; a workspace that kept tolerances, save
/// times or the verdict of the option checks from the first call must then not serve the second with them (an event
/// added in place would otherwise be ignored by a path that refuses events).
/// </summary>
internal sealed class SolverOptionsKey
{
    private readonly double[]? _absTol, _saveAt;
    private readonly OdeEvent[]? _events;

    /// <summary>Copies the arrays of <paramref name="options"/> (once, when a workspace is built or checks pass).</summary>
    public SolverOptionsKey(SolverOptions options)
    {
        Options = options;
        _absTol = options.AbsTolVector is { } a ? (double[])a.Clone() : null;
        _saveAt = options.SaveAt is { } s ? (double[])s.Clone() : null;
        _events = options.Events is { } e ? [.. e] : null;
    }

    /// <summary>The options object.</summary>
    public SolverOptions Options { get; }

    /// <summary>True for the same object with the same array contents (nothing allocated).</summary>
    public bool Matches(SolverOptions? options) =>
        options is not null && ReferenceEquals(options, Options) && SameValues(_absTol, options.AbsTolVector) && SameValues(_saveAt, options.SaveAt)
        && SameEvents(_events, options.Events);

    /// <summary>True when <paramref name="current"/> holds what <paramref name="copy"/> was copied from (both null, or equal values).</summary>
    public static bool SameValues(double[]? copy, double[]? current) =>
        copy is null ? current is null : current is not null && copy.AsSpan().SequenceEqual(current);

    // The same events in the same order (by reference: an OdeEvent is immutable), read through the list's indexer so
    // that nothing is allocated.
    private static bool SameEvents(OdeEvent[]? copy, IReadOnlyList<OdeEvent>? current)
    {
        if (copy is null || current is null) return copy is null && current is null;
        if (copy.Length != current.Count) return false;
        for (int i = 0; i < copy.Length; i++)
        {
            if (!ReferenceEquals(copy[i], current[i])) return false;
        }
        return true;
    }
}
