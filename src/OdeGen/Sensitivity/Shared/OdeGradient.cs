namespace OdeGen;

/// <summary>
/// The gradient of a loss L(y(times[0]), …, y(times[N−1])) with respect to everything the solve depends on,
/// as computed by <see cref="Ode.Gradient{TSystem}(in TSystem, ReadOnlySpan{double}, ReadOnlySpan{double}, double, ReadOnlySpan{double}, ReadOnlySpan{double}, Sensitivity?, SolverOptions?)"/>.
/// </summary>
/// <remarks>
/// When a forward or backward solve fails, <see cref="Status"/> says why and every gradient entry is NaN,
/// so a failed gradient cannot pass for a small one. Bad arguments throw instead (see <see cref="Ode.Gradient{TSystem}(in TSystem, ReadOnlySpan{double}, ReadOnlySpan{double}, double, ReadOnlySpan{double}, ReadOnlySpan{double}, Sensitivity?, SolverOptions?)"/>).
/// </remarks>
public sealed class OdeGradient
{
    internal OdeGradient(double[] y0, double[] parameters, double t0, double[] times, GradientStats stats, OdeStatus status, Sensitivity sensitivity)
    {
        Y0 = y0;
        Parameters = parameters;
        T0 = t0;
        Times = times;
        Stats = stats;
        Status = status;
        Sensitivity = sensitivity;
    }

    /// <summary>dL/dy0 (length StateCount).</summary>
    public double[] Y0 { get; }

    /// <summary>dL/dp (length ParameterCount).</summary>
    public double[] Parameters { get; }

    /// <summary>dL/dt0: the effect of moving the initial time with y0 held fixed.</summary>
    public double T0 { get; }

    /// <summary>dL/dtimes[i] = ∂L/∂y(times[i]) · f(times[i], y(times[i])) (length N).</summary>
    public double[] Times { get; }

    /// <summary>Work done by each pass and the number of calls into the system.</summary>
    public GradientStats Stats { get; }

    /// <summary><see cref="OdeStatus.Success"/>, or why a pass stopped (then every gradient entry is NaN).</summary>
    public OdeStatus Status { get; }

    /// <summary>True when <see cref="Status"/> is <see cref="OdeStatus.Success"/> (or a terminal event ended the solve).</summary>
    public bool IsSuccess => OdeStatusText.IsSuccess(Status);

    /// <summary>A sentence that says how the computation ended and, on failure, what to try.</summary>
    public string Message => IsSuccess
        ? $"The gradient by {Sensitivity.Name} was computed ({Stats})."
        : $"The gradient by {Sensitivity.Name} could not be computed, so every entry is NaN: a pass stopped because {OdeStatusText.Cause(Status)} ({Stats}).";

    /// <summary>Throws an <see cref="OdeSolverException"/> (with <see cref="Message"/>) unless the gradient was computed; returns this gradient for chaining.</summary>
    public OdeGradient EnsureSuccess() => IsSuccess ? this : throw new OdeSolverException(Status, double.NaN, Message);

    /// <summary>
    /// The events the forward pass located (<see cref="SolverOptions.Events"/>), in time order. After a terminal event the
    /// state is held at its value there: loss rows at later times apply to it and their <see cref="Times"/> entries are zero.
    /// </summary>
    public IReadOnlyList<OdeEventOccurrence> Events { get; internal set; } = [];

    /// <summary>The sensitivity that computed this gradient.</summary>
    public Sensitivity Sensitivity { get; }

    /// <summary>Obsolete: <see cref="Sensitivity"/> (Method means <see cref="OdeMethod"/> everywhere else).</summary>
    [Obsolete("Use OdeGradient.Sensitivity (Method means OdeMethod everywhere else). This name will be removed in the next release.")]
    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    public Sensitivity Method => Sensitivity;

    /// <summary>
    /// The forward pass's states at the observation times, row i = y(times[i]) (times.Length × StateCount, row-major):
    /// the states the gradient is taken at. NaN when the forward pass failed.
    /// </summary>
    public double[] States { get; internal set; } = [];

    /// <summary>
    /// The loss that <see cref="ObservationLoss"/> returned, with <see cref="Ode.LossGradient{TSystem}(in TSystem, ReadOnlySpan{double}, ReadOnlySpan{double}, double, ReadOnlySpan{double}, ObservationLoss, Sensitivity?, SolverOptions?)"/>;
    /// NaN when dLdy was given, or when the forward pass failed.
    /// </summary>
    public double Loss { get; internal set; } = double.NaN;
}

/// <summary>Work counters of a gradient computation, per pass and per kind of call into the system.</summary>
public readonly struct GradientStats
{
    internal GradientStats(SolverStats forward, SolverStats backward, long functions, long jvps, long vjps, long jacobians,
        SolverStats recompute = default)
    {
        Forward = forward;
        Recompute = recompute;
        Backward = backward;
        FunctionEvaluations = functions;
        JvpEvaluations = jvps;
        VjpEvaluations = vjps;
        JacobianEvaluations = jacobians;
    }

    /// <summary>The forward solve (for forward sensitivities: the one augmented solve). Its FunctionEvaluations count evaluations of the integrated, possibly augmented, field.</summary>
    public SolverStats Forward { get; }

    /// <summary>The backward solve of the adjoint methods (empty for forward sensitivities).</summary>
    public SolverStats Backward { get; }

    /// <summary>
    /// The forward re-solves of the checkpointed adjoint (<see cref="Sensitivity.InterpolatingAdjoint"/>), which
    /// recompute each segment's dense output during the backward pass (empty for the other methods).
    /// </summary>
    public SolverStats Recompute { get; }

    /// <summary>Calls of <see cref="IOdeSystem.Evaluate"/> in all passes, including the few outside any solve.</summary>
    public long FunctionEvaluations { get; }

    /// <summary>Calls of <see cref="IOdeSystem.Jvp"/>.</summary>
    public long JvpEvaluations { get; }

    /// <summary>Calls of <see cref="IOdeSystem.Vjp"/>.</summary>
    public long VjpEvaluations { get; }

    /// <summary>Calls of <see cref="IOdeSystem.Jacobian"/>.</summary>
    public long JacobianEvaluations { get; }

    /// <summary>
    /// Bytes of the buffers the computation keeps between its passes and from one call to the next on its thread: for the
    /// adjoints the states at the observation times, the discrete adjoint's record of its steps, the interpolating adjoint's
    /// checkpoints and its longest segment's dense output, with the integrators' and the result's workspace (0 for the
    /// methods that keep no workspace: forward sensitivities, and the adjoints through events). The buffers that grow with
    /// the steps keep their largest size until the thread's workspace is rebuilt for other options or settings.
    /// </summary>
    public long WorkspaceBytes { get; internal init; }

    /// <inheritdoc/>
    public override string ToString() =>
        $"forward: {Forward}; recompute: {Recompute}; backward: {Backward}; f {FunctionEvaluations}, jvp {JvpEvaluations}, vjp {VjpEvaluations}, jacobian {JacobianEvaluations}";
}
