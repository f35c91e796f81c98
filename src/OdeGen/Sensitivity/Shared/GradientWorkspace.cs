using OdeGen.Solvers;

namespace OdeGen;

/// <summary>
/// What a gradient computation of one system type reuses from one call to the next: the copied inputs, the result
/// buffers, the evaluation counter and the method's own workspace (its integrators, tape, dense segment, checkpoints),
/// so that after the first call of a shape a gradient allocates nothing but the result it hands out (and an ODE block,
/// which reads the result buffers, nothing at all).
/// </summary>
/// <remarks>
/// <para>Ode.Gradient rents its thread's workspace (<see cref="Rent"/>); an <c>OdeBlock</c> keeps one per thread of its
/// own. A workspace whose method part was built for other options or settings builds a new one (the method decides,
/// <see cref="IGradientWork.Fits"/>), so alternating settings on one thread cost what every call cost before. Buffers
/// that grow with the steps (a tape, a dense segment) keep their largest size: <see cref="HeldBytes"/> reports it.</para>
/// <para>A workspace is used by one computation at a time: a loss that computes a gradient of the same system type
/// inside a gradient gets a fresh workspace.</para>
/// </remarks>
internal sealed class GradientWorkspace<TSystem> where TSystem : struct, IOdeSystem
{
    [ThreadStatic]
    private static GradientWorkspace<TSystem>? t_workspace;

    private bool _rented;

    /// <summary>The checked copies of the current call's arguments (null before the first).</summary>
    public GradientInputs? Inputs { get; set; }

    /// <summary>Calls into the system, cleared by each computation.</summary>
    public EvaluationCounter Counter { get; } = new();

    /// <summary>The method's workspace, built by the method for its options and settings.</summary>
    public IGradientWork? Work { get; set; }

    /// <summary>dL/dy0, dL/dp and dL/dtimes of the last computation (sized by <see cref="Start"/>); NaN when it failed.</summary>
    public double[] Y0 { get; private set; } = [];

    /// <inheritdoc cref="Y0"/>
    public double[] Parameters { get; private set; } = [];

    /// <inheritdoc cref="Y0"/>
    public double[] Times { get; private set; } = [];

    /// <summary>dL/dt0 of the last computation.</summary>
    public double T0 { get; set; }

    /// <summary>How the last computation ended.</summary>
    public OdeStatus Status { get; set; }

    /// <summary>The work of the last computation.</summary>
    public GradientStats Stats { get; set; }

    /// <summary>
    /// The events the last computation's forward pass located (events that only observe the solution: the methods with a
    /// workspace path do not go through the others); a list of its own per computation, handed to the result as it is.
    /// </summary>
    public IReadOnlyList<OdeEventOccurrence> Events { get; set; } = [];

    /// <summary>Bytes held between calls: the method's buffers (<see cref="IGradientWork.HeldBytes"/>), the inputs and the results.</summary>
    public long HeldBytes =>
        (Work?.HeldBytes ?? 0) + sizeof(double) * ((long)Y0.Length + Parameters.Length + Times.Length
            + (Inputs is { } i ? i.Y0.Length + i.P.Length + i.Times.Length + i.DLdy.Length + i.States.Length : 0));

    /// <summary>This thread's workspace, or a fresh one when it is in use (a gradient inside a loss); give it back with <see cref="Return"/>.</summary>
    public static GradientWorkspace<TSystem> Rent()
    {
        GradientWorkspace<TSystem> w = t_workspace ??= new GradientWorkspace<TSystem>();
        if (w._rented) w = new GradientWorkspace<TSystem>();
        w._rented = true;
        return w;
    }

    /// <summary>Ends a <see cref="Rent"/>.</summary>
    public void Return() => _rented = false;

    /// <summary>Sizes the result buffers for a computation with the current <see cref="Inputs"/> and clears the counter.</summary>
    public void Start()
    {
        GradientInputs inputs = Inputs!;
        if (Y0.Length != inputs.StateCount) Y0 = new double[inputs.StateCount];
        if (Parameters.Length != inputs.ParameterCount) Parameters = new double[inputs.ParameterCount];
        if (Times.Length != inputs.Count) Times = new double[inputs.Count];
        Array.Clear(Y0);
        Array.Clear(Parameters);
        Array.Clear(Times);
        T0 = 0;
        Events = [];
        Counter.Clear();
    }

    /// <summary>
    /// Ends a computation with <paramref name="status"/>: every gradient entry NaN unless it succeeded, so a failed gradient cannot
    /// pass for a small one. A successful pass whose gradient is not finite ends as <see cref="OdeStatus.NonFiniteValue"/>: the
    /// discrete adjoint reverses the forward pass's steps without an error control that would see a NaN or ∞ coming from the
    /// derivatives alone (a VJP infinite where f is finite, √θ at θ = 0), and returned such a gradient with Success.
    /// </summary>
    public void Finish(double gT0, GradientStats stats, OdeStatus status)
    {
        if (status == OdeStatus.Success && !(double.IsFinite(gT0) && AllFinite(Y0) && AllFinite(Parameters) && AllFinite(Times)))
            status = OdeStatus.NonFiniteValue;
        T0 = gT0;
        Status = status;
        Stats = stats;
        if (status == OdeStatus.Success) return;
        Array.Fill(Y0, double.NaN);
        Array.Fill(Parameters, double.NaN);
        Array.Fill(Times, double.NaN);
        T0 = double.NaN;
    }

    private static bool AllFinite(double[] values)
    {
        foreach (double v in values) if (!double.IsFinite(v)) return false;
        return true;
    }

    /// <summary>
    /// The gradient of <see cref="Inputs"/> (set them first), the one place that chooses how: <see cref="Start"/>, then the
    /// method's workspace path into this workspace's buffers (the adjoints: nothing allocated after the first call of a
    /// shape), or, when the method keeps no workspace for these options (forward sensitivities, events), the method's own
    /// computation, which allocates its result. Null settings are Ode.Gradient's defaults. The caller decides what a
    /// failure does (<see cref="GradientOutcome{TSystem}.EnsureSuccess"/>) and whether to copy the result out
    /// (<see cref="GradientOutcome{TSystem}.ToGradient"/>) or read it in place.
    /// </summary>
    /// <param name="system">The dynamics.</param>
    /// <param name="sensitivity">The method; null: Ode.Gradient's default.</param>
    /// <param name="options">The solver options; null: <see cref="SolverOptions.Default"/>.</param>
    /// <param name="states">
    /// The forward pass's states at the observation times when the caller has them with these options (row i), or empty:
    /// a back-solve adjoint then starts its backward pass from them and does not solve forward again.
    /// </param>
    public GradientOutcome<TSystem> Compute(in TSystem system, Sensitivity? sensitivity, SolverOptions? options, ReadOnlySpan<double> states = default)
    {
        options ??= SolverOptions.Default;
        sensitivity ??= Ode.DefaultSensitivity;
        Start();
        bool inWorkspace = !states.IsEmpty && sensitivity is BacksolveAdjointSensitivity backsolve
            ? backsolve.ComputeFromStatesInto(system, this, options, states)
            : sensitivity.ComputeInto(system, this, options);
        return new GradientOutcome<TSystem>(this, sensitivity, inWorkspace ? null : sensitivity.Compute(system, Inputs!, options));
    }

    /// <summary>The result handed to a caller: copies of the buffers (the next call overwrites them), the states and the loss.</summary>
    public OdeGradient ToGradient(Sensitivity sensitivity)
    {
        GradientInputs inputs = Inputs!;
        return new OdeGradient((double[])Y0.Clone(), (double[])Parameters.Clone(), T0, (double[])Times.Clone(), Stats, Status, sensitivity)
        {
            States = (double[])inputs.States.Clone(),
            Loss = OdeStatusText.IsSuccess(Status) ? inputs.LossValue : double.NaN,
            Events = Events,
        };
    }
}

/// <summary>
/// What <see cref="GradientWorkspace{TSystem}.Compute"/> computed, read the same way whichever path computed it: the
/// workspace's buffers, or the method's own result when it keeps no workspace. A value, so reading it allocates nothing;
/// its arrays are valid until the workspace's next computation.
/// </summary>
internal readonly struct GradientOutcome<TSystem> where TSystem : struct, IOdeSystem
{
    private readonly GradientWorkspace<TSystem> _workspace;
    private readonly Sensitivity _sensitivity;
    private readonly OdeGradient? _own; // the method's own result; null: the result is in the workspace's buffers

    internal GradientOutcome(GradientWorkspace<TSystem> workspace, Sensitivity sensitivity, OdeGradient? own)
    {
        _workspace = workspace;
        _sensitivity = sensitivity;
        _own = own;
    }

    /// <summary>dL/dy0 (NaN when the computation failed).</summary>
    public double[] Y0 => _own is { } g ? g.Y0 : _workspace.Y0;

    /// <summary>dL/dp (NaN when the computation failed).</summary>
    public double[] Parameters => _own is { } g ? g.Parameters : _workspace.Parameters;

    /// <summary>How the computation ended.</summary>
    public OdeStatus Status => _own is { } g ? g.Status : _workspace.Status;

    /// <summary>The work of the computation.</summary>
    public GradientStats Stats => _own is { } g ? g.Stats : _workspace.Stats;

    /// <summary>True when <see cref="Status"/> counts as success (<see cref="OdeGradient.IsSuccess"/>).</summary>
    public bool IsSuccess => OdeStatusText.IsSuccess(Status);

    /// <summary>The loss the inputs' <see cref="ObservationLoss"/> returned (NaN with dLdy given, or when the computation failed).</summary>
    public double Loss => IsSuccess ? _workspace.Inputs!.LossValue : double.NaN;

    /// <summary>
    /// Throws the <see cref="OdeSolverException"/> that <see cref="OdeGradient.EnsureSuccess"/> of <see cref="ToGradient"/>
    /// would (nothing is allocated unless it throws); returns this outcome for chaining.
    /// </summary>
    public GradientOutcome<TSystem> EnsureSuccess()
    {
        if (!IsSuccess) (_own ?? _workspace.ToGradient(_sensitivity)).EnsureSuccess();
        return this;
    }

    /// <summary>
    /// The result as Ode.Gradient hands it out, its arrays the caller's: copies of the workspace's buffers, or the method's
    /// own result with a copy of the states (the workspace's inputs are overwritten by its next call) and the loss.
    /// </summary>
    public OdeGradient ToGradient()
    {
        if (_own is not { } g) return _workspace.ToGradient(_sensitivity);
        GradientInputs inputs = _workspace.Inputs!;
        g.States = (double[])inputs.States.Clone();
        g.Loss = g.IsSuccess ? inputs.LossValue : double.NaN;
        return g;
    }
}

/// <summary>A gradient method's reusable workspace (integrators, tapes, buffers), kept in a <see cref="GradientWorkspace{TSystem}"/>.</summary>
internal interface IGradientWork
{
    /// <summary>True when this workspace was built for these options, these settings and these sizes.</summary>
    bool Fits(Sensitivity sensitivity, SolverOptions options, int n, int m);

    /// <summary>Bytes of the buffers this workspace holds between calls (the ones that grow with steps, checkpoints or observations).</summary>
    long HeldBytes { get; }
}

/// <summary>The option checks a workspace's <see cref="IGradientWork.Fits"/> makes.</summary>
internal static class WorkKey
{
    /// <summary>
    /// The same options object (they are immutable, but an absolute tolerance vector is an array the caller could change
    /// in place: its values are compared with the copy taken when the workspace was built).
    /// </summary>
    public static bool SameOptions(SolverOptions built, double[]? builtAbsTol, SolverOptions options) =>
        ReferenceEquals(built, options) && SolverOptionsKey.SameValues(builtAbsTol, options.AbsTolVector);

    /// <summary>A copy of the options' absolute tolerance vector, for <see cref="SameOptions"/>.</summary>
    public static double[]? AbsTolCopy(SolverOptions options) => options.AbsTolVector is { } v ? (double[])v.Clone() : null;
}
