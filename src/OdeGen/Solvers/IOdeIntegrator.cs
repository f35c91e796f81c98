namespace OdeGen.Solvers;

/// <summary>
/// What every integrator offers between steps, whatever its method: step, where it is, and the dense output of
/// the last accepted step. <c>Ode.Solve</c> drives saving, dense output and events through it.
/// </summary>
public interface IOdeIntegrator
{
    /// <summary>Current time.</summary>
    double Time { get; }
    /// <summary>Time at the start of the last accepted step.</summary>
    double PreviousTime { get; }
    /// <summary>Current state.</summary>
    ReadOnlySpan<double> State { get; }
    /// <summary>Success while running and after reaching the end; otherwise why the integration stopped.</summary>
    OdeStatus Status { get; }
    /// <summary>True once the end time is reached or the integration failed.</summary>
    bool IsFinished { get; }
    /// <summary>Work counters.</summary>
    SolverStats Stats { get; }
    /// <summary>Degree in θ of the dense output of one step.</summary>
    int DenseDegree { get; }
    /// <summary>Takes one accepted step; false when the end was reached or the integration failed.</summary>
    bool Step();
    /// <summary>Dense output inside the last accepted step [PreviousTime, Time].</summary>
    void Interpolate(double t, Span<double> y);
    /// <summary>
    /// The dense output of the last accepted step as coefficients c_0..c_D (each n long) of
    /// y(θ) = Σ θ^j c_j, θ = (t − PreviousTime)/(Time − PreviousTime).
    /// </summary>
    void CopyDenseCoefficients(Span<double> destination);
}

/// <summary>
/// An integrator that continues from a new state at a new time towards the same end, with the same field: how a solve
/// goes on after an event's reset. Each integrator implements it by its own <c>Reset</c> (the step size is chosen
/// afresh, as at a start: the solution's derivatives jump at a reset, so the old step size says little).
/// </summary>
internal interface IRestartable
{
    /// <summary>Restarts from (<paramref name="t"/>, <paramref name="y"/>); work counters keep accumulating.</summary>
    void Restart(double t, ReadOnlySpan<double> y);
}
