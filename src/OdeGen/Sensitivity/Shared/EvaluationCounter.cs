namespace OdeGen;

/// <summary>
/// Counts calls into the system made by the augmented vector fields. The fields are structs copied
/// into the integrator, so they share one of these by reference; a workspace keeps one and clears it for each call.
/// </summary>
internal sealed class EvaluationCounter
{
    public long Function;
    public long Jvp;
    public long Vjp;
    public long Jacobian;

    /// <summary>Every count back to zero.</summary>
    public void Clear() => Function = Jvp = Vjp = Jacobian = 0;
}
