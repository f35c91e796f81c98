using OdeGen.Solvers;
using OdeGen.Threading;

namespace OdeGen.Neural;

/// <summary>
/// One training example: a trajectory that starts from <see cref="Y0"/> at <see cref="T0"/> and should pass
/// through the rows of <see cref="Target"/> at <see cref="Times"/> (times.Length × StateCount, row-major).
/// <see cref="Times"/>[0] may equal <see cref="T0"/> (the loss then also sees y0, as the demo's segments do).
/// </summary>
/// <param name="Y0">Initial state.</param>
/// <param name="T0">Initial time.</param>
/// <param name="Times">Observation times, strictly increasing from T0.</param>
/// <param name="Target">Target states at the observation times, row by row.</param>
public sealed record TrajectorySample(double[] Y0, double T0, double[] Times, double[] Target);

/// <summary>Loss, gradient norm and work of one batch (see <see cref="NeuralOdeTrainer{TSystem}.Gradient"/>).</summary>
/// <param name="Loss">The batch loss (the mean runs over every entry of every sample).</param>
/// <param name="GradientNorm">Euclidean norm of dL/dθ.</param>
/// <param name="FunctionEvaluations">Evaluations of f in every pass (with a gradient, the loss comes from the gradient's own forward pass; without, from forward solves alone).</param>
/// <param name="VjpEvaluations">Vector-Jacobian products of the backward passes.</param>
/// <param name="Status">The first failure among the samples, or Success.</param>
public readonly record struct BatchResult(double Loss, double GradientNorm, long FunctionEvaluations, long VjpEvaluations, OdeStatus Status)
{
    /// <summary>True when every solve succeeded.</summary>
    public bool IsSuccess => Status == OdeStatus.Success;

    // A gradient pass's result: on failure the loss and every gradient entry become NaN, so nothing downstream takes
    // them for numbers; otherwise the gradient's norm. (One place for the three gradient paths of the trainer.)
    internal static BatchResult OfGradient(double loss, Span<double> gradient, long evaluations, long vjps, OdeStatus status)
    {
        if (status != OdeStatus.Success)
        {
            gradient.Fill(double.NaN);
            loss = double.NaN;
        }
        double norm = 0;
        foreach (double g in gradient) norm += g * g;
        return new BatchResult(loss, Math.Sqrt(norm), evaluations, vjps, status);
    }

    /// <summary>A sentence that says how the batch went and, on failure, what to try.</summary>
    public string Message => IsSuccess
        ? FormattableString.Invariant($"Batch loss {Loss:G6}, gradient norm {GradientNorm:G6} ({FunctionEvaluations} f evaluations, {VjpEvaluations} VJPs).")
        : $"A sample's solve failed, so the loss and gradient are not usable: it stopped because {OdeStatusText.Cause(Status)}.";

    /// <summary>Throws an <see cref="OdeSolverException"/> (with <see cref="Message"/>) unless every solve succeeded; returns this result for chaining.</summary>
    public BatchResult EnsureSuccess() => IsSuccess ? this : throw new OdeSolverException(Status, double.NaN, Message);
}

/// <summary>What <c>NeuralOdeTrainer.Train</c> reports after each iteration.</summary>
/// <param name="Iteration">1-based iteration number.</param>
/// <param name="Batch">The batch's loss and work, measured before the update.</param>
public readonly record struct TrainingProgress(int Iteration, BatchResult Batch)
{
    /// <summary>The learning rate of this iteration's step (the schedule's, when training with one).</summary>
    public double LearningRate { get; init; }
}

/// <summary>
/// Fits the parameters of ODE dynamics to trajectories: for each sample, a forward solve gives the predicted
/// states at the observation times, the loss gives ∂L/∂ŷ, and <see cref="Ode.Gradient{TSystem}(in TSystem, ReadOnlySpan{double}, ReadOnlySpan{double}, double, ReadOnlySpan{double}, ReadOnlySpan{double}, Sensitivity?, SolverOptions?)"/> turns that
/// into dL/dθ with the chosen <see cref="OdeGen.Sensitivity"/>; an <see cref="Optimizer"/> takes the step.
/// Generic over the system, so a generated <c>{Type}.{Method}System</c> and a hand-written struct serve alike.
/// </summary>
/// <remarks>
/// <para>
/// Determinism: samples may run on several threads (<see cref="MaxDegreeOfParallelism"/>), but each writes
/// its loss and gradient into a slot of its own and the batch sums the slots in sample order, so the numbers
/// are bit-for-bit those of a single-threaded run.
/// </para>
/// <para>
/// <see cref="Gradient"/> takes each sample's loss from the gradient's own forward pass
/// (<see cref="Ode.LossGradient{TSystem}(in TSystem, ReadOnlySpan{double}, ReadOnlySpan{double}, double, ReadOnlySpan{double}, ObservationLoss, Sensitivity?, SolverOptions?)"/>), so one forward solve serves both and the gradient is that of the
/// reported loss (for the discrete adjoint, to rounding). <see cref="Evaluate"/> solves as those forward passes
/// do, restarting the integrator at each observation time, so it reports the same loss (for the interpolating
/// adjoint with checkpoints between observation times, to the solver's tolerance); it uses the explicit
/// Runge–Kutta methods only.
/// </para>
/// </remarks>
/// <typeparam name="TSystem">The dynamics.</typeparam>
public sealed class NeuralOdeTrainer<TSystem> where TSystem : struct, IOdeSystem
{
    private readonly TSystem _system;

    /// <summary>Creates a trainer for <paramref name="system"/>.</summary>
    public NeuralOdeTrainer(in TSystem system)
    {
        _system = system;
    }

    /// <summary>The dynamics.</summary>
    public TSystem System => _system;

    /// <summary>Solver options of every solve (default: Dopri5 at rtol 1e-7, atol 1e-9, torchdiffeq's spiral demo).</summary>
    public SolverOptions Solver { get; init; } = new() { RelTol = 1e-7, AbsTol = 1e-9 };

    /// <summary>
    /// How gradients are computed. Default: the interpolating adjoint, or, with <see cref="LaneBlocks"/>, the discrete
    /// adjoint of the lane steps (the only sensitivity lane blocks compute). Setting another sensitivity together with
    /// <see cref="LaneBlocks"/> throws, so one never silently overrides the other.
    /// </summary>
    /// <exception cref="ArgumentException">Set to anything but <see cref="Sensitivity.DiscreteAdjoint"/> while <see cref="LaneBlocks"/> is set.</exception>
    public Sensitivity Sensitivity
    {
        get => _sensitivity ?? (_laneBlocks is null ? DefaultSensitivity : Sensitivity.DiscreteAdjoint);
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            _sensitivity = value;
            CheckLaneBlocks();
        }
    }

    /// <summary>The loss (default: mean absolute error).</summary>
    public TrajectoryLossKind Loss { get; init; } = TrajectoryLossKind.MeanAbsolute;

    /// <summary>
    /// Null (default): <see cref="Gradient"/> solves and differentiates each sample on its own with
    /// <see cref="Sensitivity"/>. Set (<c>LaneBlocks = LaneBlockBatching.For(system)</c>, for a lane-batched system):
    /// samples that share their times go through lane blocks, one per SIMD lane, as one ensemble gradient
    /// (<c>Ode.LossGradient</c> on an <see cref="EnsembleBatch"/>) with <see cref="Sensitivity.DiscreteAdjoint"/>, which
    /// <see cref="Sensitivity"/> then reports (see <see cref="LaneBlockBatching{TSystem}"/>). <see cref="Evaluate"/> stays per sample.
    /// </summary>
    /// <exception cref="ArgumentException">Set while <see cref="Sensitivity"/> is set to another sensitivity than the discrete adjoint.</exception>
    public LaneBlockBatching<TSystem>? LaneBlocks
    {
        get => _laneBlocks;
        init
        {
            _laneBlocks = value;
            CheckLaneBlocks();
        }
    }

    private static readonly Sensitivity DefaultSensitivity = Sensitivity.InterpolatingAdjoint();
    private readonly Sensitivity? _sensitivity;
    private readonly LaneBlockBatching<TSystem>? _laneBlocks;

    // Lane blocks compute the discrete adjoint of their steps (every step kept): any other explicit choice is a conflict,
    // reported where the trainer is configured rather than resolved silently in favour of one of the two.
    private void CheckLaneBlocks()
    {
        if (_laneBlocks is null || _sensitivity is null or DiscreteAdjointSensitivity { StepsPerCheckpoint: 1 }) return;
        throw new ArgumentException(
            $"LaneBlocks differentiates the lane steps with Sensitivity.DiscreteAdjoint, but Sensitivity is {_sensitivity.Name}: " +
            $"set Sensitivity = Sensitivity.DiscreteAdjoint (or leave it unset) to train in lane blocks, or leave LaneBlocks unset to train with {_sensitivity.Name} one sample at a time.",
            nameof(Sensitivity));
    }

    /// <summary>Samples solved at once (default 1); in lane-block mode, the threads over blocks. Results do not depend on it.</summary>
    public int MaxDegreeOfParallelism
    {
        get;
        init => field = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "At least one thread.");
    } = 1;

    /// <summary>
    /// The batch loss (mean over every entry of every sample) and its gradient dL/dθ, written to
    /// <paramref name="gradient"/> (overwritten). On a failed solve the loss and gradient are NaN and the
    /// status says why.
    /// </summary>
    /// <exception cref="ArgumentException">A size does not match the system, or the batch is empty.</exception>
    public BatchResult Gradient(ReadOnlySpan<double> parameters, IReadOnlyList<TrajectorySample> batch, Span<double> gradient)
    {
        int m = _system.ParameterCount;
        CheckBatch(parameters, batch);
        if (gradient.Length != m) throw new ArgumentException($"gradient has {gradient.Length} entries; the system has {m} parameters.", nameof(gradient));
        int count = EntryCount(batch);
        if (LaneBlocks is { } lanes)
        {
            // The lane blocks' buffers and ensemble workspaces, kept between calls (taken, so that concurrent calls never share them).
            object? workspace = Interlocked.Exchange(ref _laneWorkspace, null);
            try
            {
                return lanes.Gradient(_system, parameters, batch, count, Loss, Sensitivity, Solver, MaxDegreeOfParallelism, gradient, ref workspace);
            }
            finally
            {
                _laneWorkspace = workspace;
            }
        }
        return MaxDegreeOfParallelism == 1 || batch.Count == 1
            ? SequentialGradient(parameters, batch, count, gradient)
            : ParallelGradient(parameters, batch, count, gradient);
    }

    // Samples on several threads, each into a slot of its own; the slots are reduced in sample order, so the sums are the
    // sequential path's bits. The threads, their gradient workspaces and the slots are kept between calls (taken, so that
    // concurrent calls never share them): after the first call of a shape nothing is allocated.
    private BatchResult ParallelGradient(ReadOnlySpan<double> parameters, IReadOnlyList<TrajectorySample> batch, int count, Span<double> gradient)
    {
        int m = _system.ParameterCount;
        ParallelSamples run = Interlocked.Exchange(ref _parallel, null) ?? new ParallelSamples(this);
        try
        {
            run.Gradients(parameters, batch, count, Math.Min(MaxDegreeOfParallelism, batch.Count));
            gradient.Clear();
            double loss = 0;
            long evaluations = 0, vjps = 0;
            OdeStatus status = OdeStatus.Success;
            for (int i = 0; i < batch.Count; i++)
            {
                loss += run.Losses[i];
                evaluations += run.Stats[i].FunctionEvaluations;
                vjps += run.Stats[i].VjpEvaluations;
                if (status == OdeStatus.Success) status = run.Statuses[i];
                if (OdeStatusText.IsSuccess(run.Statuses[i]))
                {
                    double[] g = run.Slots[i];
                    for (int k = 0; k < m; k++) gradient[k] += g[k];
                }
            }
            return BatchResult.OfGradient(loss, gradient, evaluations, vjps, status);
        }
        finally
        {
            run.Release();
            _parallel = run;
        }
    }

    // One sample after another on this thread, through the thread's gradient workspace: each sample's gradient is read from
    // the workspace's buffers and added to the batch's as it comes (the parallel path's reduction, in the same order, so the
    // same bits), its loss through one reused callback. After the first call of a shape nothing is allocated.
    private BatchResult SequentialGradient(ReadOnlySpan<double> parameters, IReadOnlyList<TrajectorySample> batch, int count, Span<double> gradient)
    {
        int m = _system.ParameterCount;
        SampleLoss sampleLoss = Interlocked.Exchange(ref _sampleLoss, null) ?? new SampleLoss();
        GradientWorkspace<TSystem> workspace = GradientWorkspace<TSystem>.Rent();
        gradient.Clear();
        double loss = 0;
        long evaluations = 0, vjps = 0;
        OdeStatus status = OdeStatus.Success;
        try
        {
            sampleLoss.Kind = Loss;
            sampleLoss.Count = count;
            for (int i = 0; i < batch.Count; i++)   // indexed: an IReadOnlyList's enumerator is an allocation
            {
                double sampleValue = SampleGradient(workspace, sampleLoss, parameters, batch[i], out double[] g, out OdeStatus sampleStatus, out GradientStats stats);
                loss += sampleValue;
                evaluations += stats.FunctionEvaluations;
                vjps += stats.VjpEvaluations;
                if (status == OdeStatus.Success) status = sampleStatus;
                if (OdeStatusText.IsSuccess(sampleStatus)) for (int k = 0; k < m; k++) gradient[k] += g[k];
            }
        }
        finally
        {
            workspace.Return();
            sampleLoss.Target = [];
            _sampleLoss = sampleLoss;
        }
        return BatchResult.OfGradient(loss, gradient, evaluations, vjps, status);
    }

    // One sample's loss (NaN when a solve failed) and gradient through workspace: the gradient is read from the workspace's
    // buffer (or, for a sensitivity without a workspace, the result it returns) and is valid until the workspace's next use.
    // A failure is not thrown: the batch reports the first failed sample's status and leaves its gradient out.
    private double SampleGradient(GradientWorkspace<TSystem> workspace, SampleLoss sampleLoss, ReadOnlySpan<double> parameters, TrajectorySample sample,
        out double[] gradient, out OdeStatus status, out GradientStats stats)
    {
        sampleLoss.Target = sample.Target;
        workspace.Inputs = GradientInputs.Create(_system, sample.Y0, parameters, sample.T0, sample.Times, sampleLoss.Callback, workspace.Inputs);
        GradientOutcome<TSystem> g = workspace.Compute(_system, Sensitivity, Solver);
        (gradient, status, stats) = (g.Parameters, g.Status, g.Stats);
        return g.Loss;
    }

    private SampleLoss? _sampleLoss;
    private ParallelSamples? _parallel;
    private object? _laneWorkspace;

    /// <summary>
    /// What the parallel paths keep between calls: the thread runner, one gradient workspace and loss callback per worker
    /// (a worker differentiates one sample at a time), and one slot per sample for its gradient, loss, status and work.
    /// </summary>
    private sealed class ParallelSamples
    {
        private readonly NeuralOdeTrainer<TSystem> _trainer;
        private readonly Action<int, int> _gradientBody;
        private GradientWorkspace<TSystem>[] _workspaces = [];
        private SampleLoss[] _losses = [];
        private double[] _parameters = [];
        private IReadOnlyList<TrajectorySample> _batch = [];

        public ParallelSamples(NeuralOdeTrainer<TSystem> trainer)
        {
            _trainer = trainer;
            _gradientBody = GradientOfSample;
        }

        public PartitionRunner Runner { get; } = new();
        public double[][] Slots { get; private set; } = [];
        public double[] Losses { get; private set; } = [];
        public OdeStatus[] Statuses { get; private set; } = [];
        public GradientStats[] Stats { get; private set; } = [];

        /// <summary>Differentiates every sample of <paramref name="batch"/> on up to <paramref name="threads"/> threads into its slot.</summary>
        public void Gradients(ReadOnlySpan<double> parameters, IReadOnlyList<TrajectorySample> batch, int count, int threads)
        {
            int m = _trainer._system.ParameterCount;
            if (_parameters.Length != parameters.Length) _parameters = new double[parameters.Length];
            parameters.CopyTo(_parameters);
            if (Slots.Length < batch.Count)
            {
                int old = Slots.Length;
                Slots = [.. Slots, .. new double[batch.Count - old][]];
                for (int i = old; i < Slots.Length; i++) Slots[i] = new double[m];
                Losses = new double[batch.Count];
                Statuses = new OdeStatus[batch.Count];
                Stats = new GradientStats[batch.Count];
            }
            if (_workspaces.Length < threads)
            {
                int old = _workspaces.Length;
                Array.Resize(ref _workspaces, threads);
                Array.Resize(ref _losses, threads);
                for (int w = old; w < threads; w++)
                {
                    _workspaces[w] = new GradientWorkspace<TSystem>();
                    _losses[w] = new SampleLoss();
                }
            }
            for (int w = 0; w < threads; w++)
            {
                _losses[w].Kind = _trainer.Loss;
                _losses[w].Count = count;
            }
            _batch = batch;
            Runner.Run(batch.Count, threads, _gradientBody);
        }

        /// <summary>Drops the call's references to the caller's data.</summary>
        public void Release()
        {
            _batch = [];
            foreach (SampleLoss loss in _losses) loss.Target = [];
        }

        private void GradientOfSample(int worker, int i)
        {
            Losses[i] = _trainer.SampleGradient(_workspaces[worker], _losses[worker], _parameters, _batch[i], out double[] g, out OdeStatus status, out GradientStats stats);
            Statuses[i] = status;
            Stats[i] = stats;
            if (OdeStatusText.IsSuccess(status)) g.AsSpan(0, Slots[i].Length).CopyTo(Slots[i]);
        }
    }

    /// <summary>The loss of the sample being differentiated, as one callback made once (the sequential path sets its target).</summary>
    private sealed class SampleLoss
    {
        public SampleLoss() => Callback = Compute;

        public TrajectoryLossKind Kind;
        public double[] Target = [];
        public int Count;
        public readonly ObservationLoss Callback;

        private double Compute(ReadOnlySpan<double> states, Span<double> dLdy) => TrajectoryLoss.Compute(Kind, states, Target, dLdy, Count);
    }

    /// <summary>The batch loss without the gradient (forward solves only).</summary>
    /// <exception cref="ArgumentException">A size does not match the system, or the batch is empty.</exception>
    public BatchResult Evaluate(ReadOnlySpan<double> parameters, IReadOnlyList<TrajectorySample> batch)
    {
        CheckBatch(parameters, batch);
        int count = EntryCount(batch);
        var slots = new SampleResult[batch.Count];
        double[] p = parameters.ToArray();
        Run(batch.Count, i => slots[i] = EvaluateSample(p, batch[i], count));
        double loss = 0;
        long evaluations = 0;
        OdeStatus status = OdeStatus.Success;
        foreach (SampleResult slot in slots)
        {
            loss += slot.Loss;
            evaluations += slot.FunctionEvaluations;
            if (status == OdeStatus.Success) status = slot.Status;
        }
        return new BatchResult(status == OdeStatus.Success ? loss : double.NaN, double.NaN, evaluations, 0, status);
    }

    /// <summary>
    /// One optimization step: the batch gradient at <paramref name="parameters"/>, then
    /// <paramref name="optimizer"/> updates them in place. Returns the batch's loss before the update; on a failed
    /// solve the parameters are left unchanged.
    /// </summary>
    public BatchResult Step(Span<double> parameters, Optimizer optimizer, IReadOnlyList<TrajectorySample> batch)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        // The gradient buffer is kept between steps (taken, as the other buffers), so that an iteration allocates nothing.
        double[] gradient = Interlocked.Exchange(ref _stepGradient, null) ?? new double[_system.ParameterCount];
        try
        {
            BatchResult result = Gradient(parameters, batch, gradient);
            if (result.IsSuccess) optimizer.Step(parameters, gradient);
            return result;
        }
        finally
        {
            _stepGradient = gradient;
        }
    }

    private double[]? _stepGradient;

    /// <summary>
    /// Minibatch training: for iteration 1..<paramref name="iterations"/>, takes the batch
    /// <paramref name="batches"/>(iteration) and one <see cref="Step"/>, then calls <paramref name="progress"/>.
    /// Stops early (and returns the failed result) when a solve fails.
    /// </summary>
    /// <returns>The last iteration's result.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="iterations"/> is below 1 (there would be no result to return).</exception>
    public BatchResult Train(Span<double> parameters, Optimizer optimizer, int iterations,
        Func<int, IReadOnlyList<TrajectorySample>> batches, Action<TrainingProgress>? progress = null) =>
        TrainCore(parameters, optimizer, schedule: null, iterations, batches, progress);

    /// <summary>
    /// Minibatch training with a learning-rate schedule: as
    /// <see cref="Train(Span{double}, Optimizer, int, Func{int, IReadOnlyList{TrajectorySample}}, Action{TrainingProgress}?)"/>,
    /// but before iteration k the optimizer's <see cref="Optimizer.LearningRate"/> is set to
    /// <paramref name="schedule"/>.<see cref="LearningRateSchedule.RateAt"/>(k, lr₀), where lr₀ is its rate when
    /// the call starts. The optimizer gets lr₀ back when the call returns, so a second call starts the schedule over.
    /// </summary>
    /// <returns>The last iteration's result.</returns>
    public BatchResult Train(Span<double> parameters, Optimizer optimizer, LearningRateSchedule schedule, int iterations,
        Func<int, IReadOnlyList<TrajectorySample>> batches, Action<TrainingProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        return TrainCore(parameters, optimizer, schedule, iterations, batches, progress);
    }

    private BatchResult TrainCore(Span<double> parameters, Optimizer optimizer, LearningRateSchedule? schedule, int iterations,
        Func<int, IReadOnlyList<TrajectorySample>> batches, Action<TrainingProgress>? progress)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(batches);
        // At least one: zero iterations returned default(BatchResult), which reads as Success with loss 0.
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        double initialRate = optimizer.LearningRate;
        BatchResult last = default;
        try
        {
            for (int it = 1; it <= iterations; it++)
            {
                if (schedule is not null) optimizer.LearningRate = schedule.RateAt(it, initialRate);
                double rate = optimizer.LearningRate;
                last = Step(parameters, optimizer, batches(it));
                progress?.Invoke(new TrainingProgress(it, last) { LearningRate = rate });
                if (!last.IsSuccess) break;
            }
        }
        finally
        {
            if (schedule is not null) optimizer.LearningRate = initialRate;
        }
        return last;
    }

    // One sample's loss from forward solves alone (Evaluate).
    private SampleResult EvaluateSample(double[] p, TrajectorySample sample, int count)
    {
        int n = _system.StateCount;
        var predicted = new double[sample.Times.Length * n];
        var integrator = new RungeKuttaIntegrator<SystemField<TSystem>>(n, Solver);
        var field = new SystemField<TSystem>(_system, p);
        OdeStatus status = ObservationShell.SolveToObservations(integrator, field, sample.Y0, sample.T0, sample.Times, predicted);
        long evaluations = integrator.Stats.FunctionEvaluations;
        if (status != OdeStatus.Success) return new SampleResult(double.NaN, evaluations, status);
        var dLdy = new double[predicted.Length];
        double loss = TrajectoryLoss.Compute(Loss, predicted, sample.Target, dLdy, count);
        return new SampleResult(loss, evaluations, status);
    }

    // Evaluate's samples on the parallel path's runner (taken as there); an exception is rethrown as itself.
    private void Run(int count, Action<int> body)
    {
        if (MaxDegreeOfParallelism == 1 || count == 1)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        ParallelSamples run = Interlocked.Exchange(ref _parallel, null) ?? new ParallelSamples(this);
        try
        {
            run.Runner.Run(count, Math.Min(MaxDegreeOfParallelism, count), body);
        }
        finally
        {
            _parallel = run;
        }
    }

    // Every check a sample's solve would make, made up front for both Gradient and Evaluate (which solves without
    // Ode.Gradient's checks: unsorted times or a NaN target gave it a loss with Success), so the two refuse the same batches
    // with the same messages. Nothing is formatted unless a check fails (a training step allocates nothing).
    private void CheckBatch(ReadOnlySpan<double> parameters, IReadOnlyList<TrajectorySample> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0) throw new ArgumentException("The batch is empty.", nameof(batch));
        int n = _system.StateCount, m = _system.ParameterCount;
        if (parameters.Length != m) throw new ArgumentException($"parameters has {parameters.Length} entries; the system has {m} (ParameterCount).", nameof(parameters));
        for (int k = 0; k < m; k++)
        {
            if (!double.IsFinite(parameters[k])) throw new ArgumentException($"parameters[{k}] is {parameters[k]}; every entry must be finite.", nameof(parameters));
        }

        for (int i = 0; i < batch.Count; i++)
        {
            TrajectorySample? s = batch[i];
            if (s is null) throw new ArgumentException($"Sample {i} is null.", nameof(batch));
            if (s.Y0 is null || s.Times is null || s.Target is null)
                throw new ArgumentException($"Sample {i}: {(s.Y0 is null ? "Y0" : s.Times is null ? "Times" : "Target")} is null.", nameof(batch));
            if (s.Y0.Length != n) throw new ArgumentException($"Sample {i}: Y0 has {s.Y0.Length} entries; the system has {n} states.", nameof(batch));
            if (s.Target.Length != (long)s.Times.Length * n)
                throw new ArgumentException($"Sample {i}: Target has {s.Target.Length} entries; expected Times.Length × StateCount = {(long)s.Times.Length * n}.", nameof(batch));
            try
            {
                Guard.FiniteVector(s.Y0, n, nameof(TrajectorySample.Y0), "StateCount");
                Guard.FiniteVector(s.Target, s.Target.Length, nameof(TrajectorySample.Target), "Times.Length × StateCount");
                Guard.FiniteTime(s.T0, nameof(TrajectorySample.T0));
                ObservationTimes.Check(s.T0, s.Times, nameof(TrajectorySample.Times));
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"Sample {i}: {e.Message}", nameof(batch), e);
            }
        }
    }

    private int EntryCount(IReadOnlyList<TrajectorySample> batch)
    {
        int count = 0;
        for (int i = 0; i < batch.Count; i++) count = checked(count + batch[i].Target.Length);
        return count;
    }

    private readonly record struct SampleResult(double Loss, long FunctionEvaluations, OdeStatus Status);
}
