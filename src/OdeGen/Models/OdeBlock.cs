using OdeGen.Solvers;

namespace OdeGen.Models;

/// <summary>Fills a layer's parameters with initial values drawn from <paramref name="random"/>.</summary>
/// <param name="parameters">The layer's slice of the parameter vector.</param>
/// <param name="random">The source of randomness (seeded by the model).</param>
public delegate void ParameterInitializer(Span<double> parameters, Random random);

/// <summary>
/// An ODE block (the ODE-Net's middle): y = z(t1) where dz/dt = f(t, z, θ), z(t0) = x. Forward solves with
/// <see cref="Options"/>; backward computes dL/dx and dL/dθ from ∂L/∂z(t1) with <see cref="Sensitivity"/> through
/// <see cref="Ode.Gradient{TSystem}(in TSystem, ReadOnlySpan{double}, ReadOnlySpan{double}, double, ReadOnlySpan{double}, ReadOnlySpan{double}, OdeGen.Sensitivity?, SolverOptions?)"/>.
/// </summary>
/// <remarks>
/// <para>The block keeps nothing between the passes but the discrete adjoint's tape (below). The back-solve adjoint starts its backward pass from the block's output
/// z(t1) when it is given one (<see cref="BackwardFromOutput"/>: a <see cref="Model"/> keeps it as the next layer's input, so
/// it costs no memory) and re-solves forward for it otherwise (<see cref="Backward"/>); both give the same bits, as the
/// forward pass and the re-solve take the same steps. The other sensitivities re-solve forward in the backward pass, and
/// what they store there (checkpoints and one segment's dense output for the interpolating adjoint; every step for the
/// discrete adjoint; nothing per step for the back-solve adjoint) is what <see cref="Model.Memory"/> reports. The discrete
/// adjoint is the exception once a thread has taken one gradient through the block: its forward pass then runs in the
/// block's forward pass (the same steps and bits), keeping its tape and, for dynamics with <see cref="IBatchOdeSystemKept"/>,
/// each stage's kept values (within <see cref="DiscreteAdjointSensitivity.KeptBytes"/>) for the backward pass, which reverses
/// it when its input and parameters are the forward pass's (else it solves forward again). A failed solve throws
/// <see cref="OdeSolverException"/> with the solver's reason rather than handing on NaN.</para>
/// <para>Each thread that runs the block keeps its integrator and its sensitivity's workspace (tape, dense segment,
/// checkpoints) from one sample to the next, so after the first sample neither pass allocates: the adjoints' buffers keep
/// the size of the longest solve so far. Forward sensitivities, and options with events or save times, go through
/// <see cref="Ode.Solve{TSystem}(in TSystem, ReadOnlySpan{double}, ReadOnlySpan{double}, double, double, SolverOptions?)"/>
/// and Ode.Gradient, which allocate their results.</para>
/// </remarks>
/// <typeparam name="TSystem">The dynamics, e.g. a generated <c>{Type}.{Method}System</c>.</typeparam>
public class OdeBlock<TSystem> : Layer, IBackwardMemory
    where TSystem : struct, IOdeSystem
{
    private readonly TSystem _system;
    private readonly double[] _times;
    private readonly ParameterInitializer? _initialize;
    private readonly ThreadLocal<BlockWorkspace<TSystem>> _workspaces;
    private readonly ThreadLocal<BatchWorkspaces> _batchWorkspaces;
    private readonly IBatchOdeSystem? _batchSystem;

    /// <summary>Creates the block.</summary>
    /// <param name="system">The dynamics f(t, z, θ); the block's parameters are its θ.</param>
    /// <param name="t0">Start time.</param>
    /// <param name="t1">End time (after t0, or before it to integrate backwards).</param>
    /// <param name="sensitivity">How the backward pass differentiates (null: the interpolating adjoint, as Ode.Gradient).</param>
    /// <param name="options">Solver options of every pass (null: <see cref="SolverOptions.Default"/>).</param>
    /// <param name="initialize">How to draw θ (null: normal with standard deviation 0.1, small dynamics to start near the identity).</param>
    /// <exception cref="ArgumentException">The times are not finite or equal, or the system has no state (a runtime-sized system made with default).</exception>
    public OdeBlock(in TSystem system, double t0, double t1, Sensitivity? sensitivity = null, SolverOptions? options = null,
        ParameterInitializer? initialize = null)
        : base(RequireStates(system), system.StateCount, system.ParameterCount == 0 ? [] : [new ParameterShape("theta", system.ParameterCount)])
    {
        if (!double.IsFinite(t0) || !double.IsFinite(t1) || t0 == t1)
            throw new ArgumentException($"An ODE block needs finite, different start and end times, not t0 = {t0}, t1 = {t1}.", nameof(t1));
        _system = system;
        T0 = t0;
        T1 = t1;
        Sensitivity = sensitivity ?? Sensitivity.InterpolatingAdjoint();
        Options = options ?? SolverOptions.Default;
        _times = [t1];
        _initialize = initialize;
        _workspaces = new ThreadLocal<BlockWorkspace<TSystem>>(() => new BlockWorkspace<TSystem>(_system.StateCount, _system.ParameterCount, Options));
        _batchWorkspaces = new ThreadLocal<BatchWorkspaces>(() => new BatchWorkspaces());
        _batchSystem = system is IBatchOdeSystem batch ? batch : null;   // boxed once: the batch calls go through it
    }

    // The block's size, refused by name when the system has no state (a runtime-sized system made with default): the layer's
    // own check only said "inputSize ('0') must be a non-negative and non-zero value".
    private static int RequireStates(in TSystem system)
    {
        Guard.Sizes(system);
        return system.StateCount;
    }

    /// <summary>
    /// Whether a batch of samples is solved as one system (default false): the batch's states side by side, one adaptive
    /// step size for all of them and one error norm over all their states, as torchdiffeq's odeint solves a batch tensor.
    /// Dynamics with <see cref="IBatchOdeSystem"/> (<see cref="OdeNetDynamics"/>) then evaluate the whole batch at once (one
    /// matrix product per convolution per evaluation). The block then runs batches (<see cref="HasBatch"/>), so a
    /// <see cref="Model"/> hands it each run of samples at once (<see cref="Model.BatchMajor"/>). The numbers change: a
    /// sample's trajectory is computed on the batch's steps, not its own, so its accuracy and the number of evaluations
    /// depend on the other samples of its run (the runs are fixed by the batch size, so not on the thread count).
    /// </summary>
    public bool BatchAsOneSystem { get; init; }

    /// <summary>The dynamics.</summary>
    public TSystem System => _system;

    /// <summary>Start time.</summary>
    public double T0 { get; }

    /// <summary>End time.</summary>
    public double T1 { get; }

    /// <summary>How the backward pass differentiates.</summary>
    public Sensitivity Sensitivity { get; }

    /// <summary>Solver options of every pass.</summary>
    public SolverOptions Options { get; }

    /// <inheritdoc/>
    public override string Kind => "OdeBlock";

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, Span<double> y, Span<double> scratch)
    {
        // A short parameter span was copied over the front of the last call's and solved with its tail.
        RequireSample(x.Length, parameters.Length, y.Length, nameof(y));
        Solve(_system, _workspaces.Value!, x, parameters, y);
    }

    // The steps Ode.Solve takes (same integrator, same options), without its solution object, in this thread's workspace.
    private void Solve<TS>(in TS system, BlockWorkspace<TS> w, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, Span<double> y)
        where TS : struct, IOdeSystem
    {
        if (w.Integrator is { } integrator)
        {
            // The discrete adjoint runs its forward pass here once its workspace exists (after the thread's first gradient with
            // these sizes): the same steps and output bits, and the backward pass then reverses it instead of solving again.
            if (Sensitivity is DiscreteAdjointSensitivity discrete
                && DiscreteAdjointSolver.Record(system, w.Gradient, Options, discrete, x, parameters, T0, _times, out ReadOnlySpan<double> recorded))
            {
                recorded.CopyTo(y);
                return;
            }

            parameters.CopyTo(w.Parameters);
            w.Field = w.Field.Rebind(system, w.Parameters);
            integrator.Reset(w.Field, x, T0, T1);
            if (integrator.Run() == OdeStatus.Success)
            {
                integrator.State.CopyTo(y);
                return;
            }
        }
        // Events or save times, or a failure (Ode.Solve then throws with the solver's reason).
        OdeSolution solution = Ode.Solve(system, x, parameters, T0, T1, Options).EnsureSuccess();
        solution.FinalState.CopyTo(y);
    }

    /// <inheritdoc/>
    /// <remarks>The back-solve adjoint re-solves forward for z(t1) here; <see cref="BackwardFromOutput"/> starts from the output instead.</remarks>
    public override void Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, ReadOnlySpan<double> yBar,
        Span<double> xBar, Span<double> parameterBar, Span<double> scratch) =>
        BackwardCore(x, default, parameters, yBar, xBar, parameterBar);

    /// <inheritdoc/>
    /// <remarks>The back-solve adjoint starts its backward pass from <paramref name="y"/> = z(t1) and does not re-solve forward.</remarks>
    public override void BackwardFromOutput(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> parameters, ReadOnlySpan<double> yBar,
        Span<double> xBar, Span<double> parameterBar, Span<double> scratch)
    {
        if (y.Length != OutputSize) throw new ArgumentException($"OdeBlock backward: y has {y.Length} entries; the block's output has {OutputSize}.", nameof(y));
        BackwardCore(x, y, parameters, yBar, xBar, parameterBar);
    }

    private void BackwardCore(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> parameters, ReadOnlySpan<double> yBar,
        Span<double> xBar, Span<double> parameterBar)
    {
        RequireSample(x.Length, parameters.Length, yBar.Length, nameof(yBar));
        RequireBars(1, xBar.Length, parameterBar.Length);
        Differentiate(x, y, parameters, yBar, out double[] gY0, out double[] gP);
        for (int i = 0; i < xBar.Length; i++) xBar[i] += gY0[i];
        for (int k = 0; k < parameterBar.Length; k++) parameterBar[k] += gP[k];
    }

    /// <summary>
    /// dL/dx and dL/dθ of one sample into <paramref name="gY0"/> and <paramref name="gP"/>: this thread's workspace buffers
    /// when the sensitivity keeps one (valid until the thread's next call), otherwise Ode.Gradient's result.
    /// </summary>
    /// <exception cref="OdeSolverException">A pass failed (the message says why).</exception>
    private protected void Differentiate(ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, ReadOnlySpan<double> yBar,
        out double[] gY0, out double[] gP) =>
        Differentiate(x, default, parameters, yBar, out gY0, out gP);

    private void Differentiate(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> parameters, ReadOnlySpan<double> yBar,
        out double[] gY0, out double[] gP)
    {
        BlockWorkspace<TSystem> w = _workspaces.Value!;
        Differentiate(_system, w.Gradient, w.Integrator is null ? default : y, x, parameters, yBar, out gY0, out gP);
    }

    // y: the forward pass's z(t1) (empty: not known, or computed through Ode.Solve, whose steps the back-solve would not repeat).
    private void Differentiate<TS>(in TS system, GradientWorkspace<TS> w, ReadOnlySpan<double> y, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters,
        ReadOnlySpan<double> yBar, out double[] gY0, out double[] gP)
        where TS : struct, IOdeSystem
    {
        w.Inputs = GradientInputs.Create(system, x, parameters, T0, _times, yBar, w.Inputs);
        // A layer's backward pass has no status to return, so a failure throws; the result is read in place, not copied
        // (a block's backward pass allocates nothing after its first call), and is valid until this thread's next call.
        GradientOutcome<TS> g = w.Compute(system, Sensitivity, Options, y).EnsureSuccess();
        gY0 = g.Y0;
        gP = g.Parameters;
    }

    /// <inheritdoc/>
    public override bool HasBatch => BatchAsOneSystem;

    /// <inheritdoc/>
    /// <remarks>With <see cref="BatchAsOneSystem"/>, one solve of the batch's states as one system; otherwise one solve per sample.</remarks>
    public override void ForwardBatch(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, Span<double> y, Span<double> scratch)
    {
        if (!BatchAsOneSystem)
        {
            base.ForwardBatch(count, x, parameters, y, scratch);
            return;
        }

        RequireBatch(count, x.Length, y.Length, nameof(y));
        RequireParameters(parameters.Length);
        BlockWorkspace<BatchSystem<TSystem>> w = BatchWorkspace(count);
        Solve(w.System, w, x, parameters, y);
    }

    /// <inheritdoc/>
    /// <remarks>With <see cref="BatchAsOneSystem"/>, one gradient of the batch system (its adjoint runs backwards on the batch's shared steps).</remarks>
    public override void BackwardBatch(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, ReadOnlySpan<double> yBar,
        Span<double> xBar, Span<double> parameterBar, Span<double> scratch)
    {
        if (!BatchAsOneSystem)
        {
            base.BackwardBatch(count, x, parameters, yBar, xBar, parameterBar, scratch);
            return;
        }

        BackwardBatchCore(count, x, default, parameters, yBar, xBar, parameterBar);
    }

    /// <inheritdoc/>
    /// <remarks>Each sample through <see cref="BackwardFromOutput"/>, or with <see cref="BatchAsOneSystem"/> the batch system's gradient from the outputs.</remarks>
    public override void BackwardBatchFromOutput(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> parameters,
        ReadOnlySpan<double> yBar, Span<double> xBar, Span<double> parameterBar, Span<double> scratch)
    {
        RequireBatch(count, x.Length, yBar.Length, nameof(yBar));
        if (y.Length != yBar.Length) throw new ArgumentException($"OdeBlock backward: y has {y.Length} entries; {count} samples need {yBar.Length}.", nameof(y));
        if (BatchAsOneSystem)
        {
            BackwardBatchCore(count, x, y, parameters, yBar, xBar, parameterBar);
            return;
        }

        if (xBar.Length != x.Length) throw new ArgumentException($"OdeBlock backward: xBar has {xBar.Length} entries; {count} samples need {x.Length}.", nameof(xBar));
        int n = InputSize;
        for (int s = 0; s < count; s++)
        {
            BackwardFromOutput(x.Slice(s * n, n), y.Slice(s * n, n), parameters, yBar.Slice(s * n, n), xBar.Slice(s * n, n), parameterBar, scratch);
        }
    }

    private void BackwardBatchCore(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> parameters, ReadOnlySpan<double> yBar,
        Span<double> xBar, Span<double> parameterBar)
    {
        RequireBatch(count, x.Length, yBar.Length, nameof(yBar));
        if (xBar.Length != x.Length) throw new ArgumentException($"OdeBlock backward: xBar has {xBar.Length} entries; {count} samples need {x.Length}.", nameof(xBar));
        RequireParameters(parameters.Length);
        RequireParameters(parameterBar.Length, nameof(parameterBar));
        BlockWorkspace<BatchSystem<TSystem>> w = BatchWorkspace(count);
        Differentiate(w.System, w.Gradient, w.Integrator is null ? default : y, x, parameters, yBar, out double[] gY0, out double[] gP);
        for (int i = 0; i < xBar.Length; i++) xBar[i] += gY0[i];
        for (int k = 0; k < parameterBar.Length; k++) parameterBar[k] += gP[k];
    }

    // This thread's workspace for batches of `count` samples (a model's runs differ by at most one sample, so a thread keeps
    // one or two), made on first use.
    private BlockWorkspace<BatchSystem<TSystem>> BatchWorkspace(int count)
    {
        BatchWorkspaces all = _batchWorkspaces.Value!;
        if (!all.ByCount.TryGetValue(count, out BlockWorkspace<BatchSystem<TSystem>>? w))
        {
            var system = new BatchSystem<TSystem>(_system, _batchSystem, count);
            w = new BlockWorkspace<BatchSystem<TSystem>>(system.StateCount, system.ParameterCount, Options) { System = system };
            all.ByCount.Add(count, w);
        }

        all.Last = w;
        return w;
    }

    /// <summary>
    /// Bytes this thread's gradient workspace holds (the sensitivity's tape, checkpoints, dense output and buffers), or null
    /// when the sensitivity keeps no workspace (forward sensitivities, events): the model then measures what a backward pass allocates.
    /// </summary>
    long? IBackwardMemory.HeldBackwardBytes => BatchAsOneSystem
        ? _batchWorkspaces.Value!.Last?.Gradient is { Work: not null } b ? b.HeldBytes : null
        : _workspaces.Value!.Gradient is { Work: not null } g ? g.HeldBytes : null;

    /// <inheritdoc/>
    public override void Initialize(Span<double> parameters, Random random)
    {
        RequireParameters(parameters.Length);
        if (_initialize is not null) _initialize(parameters, random);
        else Neural.Initializers.Normal(parameters, random, 0.0, 0.1);
    }

    // What a thread keeps for this block (or for its batches of one size): the forward integrator (null when the options need
    // Ode.Solve's own loop: events, save times) with its parameter copy, and the gradient workspace.
    private sealed class BlockWorkspace<TS>
        where TS : struct, IOdeSystem
    {
        public BlockWorkspace(int states, int parameters, SolverOptions options)
        {
            if (options.Events is not { Count: > 0 } && options.SaveAt is null)
                Integrator = options.Method.CreateIntegrator<SystemField<TS>>(states, options);
            Parameters = new double[parameters];
        }

        public TS System { get; init; }
        public IOdeIntegrator<SystemField<TS>>? Integrator { get; }
        public SystemField<TS> Field;
        public double[] Parameters { get; }
        public GradientWorkspace<TS> Gradient { get; } = new();
    }

    private sealed class BatchWorkspaces
    {
        public Dictionary<int, BlockWorkspace<BatchSystem<TSystem>>> ByCount { get; } = [];
        public BlockWorkspace<BatchSystem<TSystem>>? Last { get; set; }
    }
}
