namespace OdeGen;

/// <summary>
/// Thrown by <see cref="OdeSolution.EnsureSuccess"/> (and the EnsureSuccess of every result with a status) when a solve stopped before its end time:
/// carries the status and the time at which the solve stopped.
/// </summary>
public sealed class OdeSolverException : Exception
{
    /// <summary>Creates the exception for a solve that ended with <paramref name="status"/> at <paramref name="time"/>.</summary>
    public OdeSolverException(OdeStatus status, double time, string message) : base(message)
    {
        Status = status;
        Time = time;
    }

    /// <summary>Why the solve stopped (never <see cref="OdeStatus.Success"/>).</summary>
    public OdeStatus Status { get; }

    /// <summary>
    /// The time of the last accepted state: where the failing step started. NaN from the results that do not keep it
    /// (gradients, tangents, sensitivities).
    /// </summary>
    public double Time { get; }
}
