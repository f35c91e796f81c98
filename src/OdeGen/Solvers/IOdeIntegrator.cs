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
    /// <summary>
    /// Signed size h of the last accepted step, the h its stages were formed with (0 before the first step). Time −
    /// PreviousTime equals it only up to rounding (Time is PreviousTime + h rounded, or the end time, or t0 + k·h for
    /// fixed steps): a replay of the step (the discrete adjoint's) must use this to reproduce its stages bit for bit.
    /// </summary>
    /// <remarks>The default, Time − PreviousTime, is for integrators written elsewhere; OdeGen's own return the h they used.</remarks>
    double LastStep => Time - PreviousTime;
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
/// An integrator of one family for one vector field type: what every caller (Ode.Solve, the sensitivities) drives,
/// whatever the method. Create one with <see cref="OdeMethod.CreateIntegrator{TField}"/>; all workspace is allocated
/// then, so <see cref="Reset"/> and <see cref="IOdeIntegrator.Step"/> allocate nothing and one integrator serves many solves.
/// </summary>
/// <typeparam name="TField">The vector field (a struct, so the JIT specializes the integrator for it).</typeparam>
public interface IOdeIntegrator<TField> : IOdeIntegrator where TField : struct, IVectorField
{
    /// <summary>The vector field being stepped (settable between solves, e.g. to change parameters).</summary>
    ref TField Field { get; }

    /// <summary>State at the start of the last accepted step.</summary>
    ReadOnlySpan<double> PreviousState { get; }

    /// <summary>
    /// How many leading components enter the error norm (default: all). Augmented systems put the state first and can
    /// leave trailing components (sensitivities, quadratures) to ride along on the steps the state chooses; methods
    /// without <see cref="OdeMethod.SupportsPartialErrorControl"/> accept only the dimension.
    /// </summary>
    int ErrorComponents { get; set; }

    /// <summary>Starts an integration of <paramref name="field"/> from (t0, y0) towards tEnd (either direction).</summary>
    void Reset(in TField field, ReadOnlySpan<double> y0, double t0, double tEnd);

    /// <summary>Steps until the end time or a failure; returns the final status.</summary>
    OdeStatus Run();

    /// <summary>Sets the work counters (<see cref="IOdeIntegrator.Stats"/>, cumulative over every <see cref="Reset"/>) back to zero, for an integrator reused by another computation.</summary>
    void ClearStats();

    /// <summary>
    /// Continues from (<paramref name="t"/>, <paramref name="y"/>) towards the same end with the same field (after an event's reset);
    /// the step attempts since the last <see cref="Reset"/> still count against <see cref="SolverOptions.MaxSteps"/>.
    /// </summary>
    void Restart(double t, ReadOnlySpan<double> y);
}
