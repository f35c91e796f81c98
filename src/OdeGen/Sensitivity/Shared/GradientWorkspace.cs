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
        Counter.Clear();
    }

    /// <summary>Ends a computation with <paramref name="status"/>: every gradient entry NaN unless it succeeded, so a failed gradient cannot pass for a small one.</summary>
    public void Finish(double gT0, GradientStats stats, OdeStatus status)
    {
        T0 = gT0;
        Status = status;
        Stats = stats;
        if (status == OdeStatus.Success) return;
        Array.Fill(Y0, double.NaN);
        Array.Fill(Parameters, double.NaN);
        Array.Fill(Times, double.NaN);
        T0 = double.NaN;
    }

    /// <summary>The result handed to a caller: copies of the buffers (the next call overwrites them), the states and the loss.</summary>
    public OdeGradient ToGradient(Sensitivity sensitivity)
    {
        GradientInputs inputs = Inputs!;
        return new OdeGradient((double[])Y0.Clone(), (double[])Parameters.Clone(), T0, (double[])Times.Clone(), Stats, Status, sensitivity)
        {
            States = (double[])inputs.States.Clone(),
            Loss = OdeStatusText.IsSuccess(Status) ? inputs.LossValue : double.NaN,
        };
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
        ReferenceEquals(built, options) && (builtAbsTol is null || builtAbsTol.AsSpan().SequenceEqual(options.AbsTolVector));

    /// <summary>A copy of the options' absolute tolerance vector, for <see cref="SameOptions"/>.</summary>
    public static double[]? AbsTolCopy(SolverOptions options) => options.AbsTolVector is { } v ? (double[])v.Clone() : null;
}
