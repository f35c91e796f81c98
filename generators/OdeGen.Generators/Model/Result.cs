namespace OdeGen.Generators.Model;

/// <summary>
/// A pipeline value with the diagnostics found while producing it. Diagnostics travel beside the
/// value, not inside it, so they can be reported through their own output; <see cref="Value"/> is
/// null when an error stopped the step.
/// </summary>
internal sealed record Result<T>(T? Value, EquatableArray<DiagnosticInfo> Diagnostics)
    where T : class
{
    /// <summary>A successful result without diagnostics.</summary>
    public static Result<T> Ok(T value) => new(value, EquatableArray<DiagnosticInfo>.Empty);

    /// <summary>A failed result carrying <paramref name="diagnostic"/>.</summary>
    public static Result<T> Fail(DiagnosticInfo diagnostic) => new(null, new EquatableArray<DiagnosticInfo>(new[] { diagnostic }));
}
