using System.Runtime.InteropServices;
using OdeGen.Lanes;
using OdeGen.Solvers;

namespace OdeGen;

/// <summary>
/// The discrete adjoint: reverse-mode differentiation of the Runge–Kutta steps the forward pass took, so the
/// result is the exact gradient (to rounding) of the discrete solution rather than an approximation of the
/// continuous one.
/// </summary>
/// <remarks>
/// <para>Forward pass: the plain solve, restarted at each observation time (as every method does), recording for
/// each accepted step its start time t_k, its size h_k and its start state y_k: O(steps·n) memory.</para>
/// <para>Backward pass, step by step from the last: recompute the step's stages from y_k,
/// Y_i = y_k + h Σ_j a_ij K_j, K_i = f(t_k + c_i h, Y_i), then reverse y_{k+1} = y_k + h Σ_i b_i K_i with
/// λ = ∂L/∂y_{k+1}: K̄_i = h b_i λ; for i from the last stage down, one VJP at (t_k + c_i h, Y_i) with K̄_i gives
/// Ȳ_i (and adds to p̄ and to t̄_k, h̄_k through the stage time); Ȳ_i flows to ȳ_k and, through Y_i's
/// dependence on the earlier stages, to K̄_j += h a_ij Ȳ_i and h̄_k += a_ij Ȳ_i·K_j. Stages that feed neither y_{k+1}
/// nor a later live stage (the FSAL stage of Dopri5 and Tsit5) are skipped.</para>
/// <para>What is differentiated with respect to the times. The step sequence is frozen: the step-size
/// controller's dependence on the state and the tolerances is not differentiated (its decisions are piecewise
/// constant; their derivative is zero almost everywhere). Within an interval [s, e] between observation times
/// the steps start at s_k = s + Σ_{j&lt;k} h_j with the recorded sizes h_j, and the last step ends exactly at e,
/// its size e − s_last absorbing any move of either end. So ∂/∂e = h̄_last and ∂/∂s = Σ_k t̄_k − h̄_last. For a
/// fixed-step solve (t_k = s + k·FixedStep, last step shortened to land on e) this is exactly the derivative of
/// the solver's output, as long as the move does not change the number of steps. An interval of length zero
/// (times[0] = t0) is a step of size zero, whose derivative with respect to its size is f(t0, y0).</para>
/// </remarks>
internal static class DiscreteAdjointSolver
{
    /// <summary>Computes the gradient of <paramref name="workspace"/>'s inputs into its result buffers.</summary>
    public static void Gradient<TSystem>(in TSystem system, GradientWorkspace<TSystem> workspace, SolverOptions options, DiscreteAdjointSensitivity sensitivity)
        where TSystem : struct, IOdeSystem
    {
        GradientInputs inputs = workspace.Inputs!;
        int n = inputs.StateCount, m = inputs.ParameterCount, count = inputs.Count, keptCount = KeptCalls<TSystem>.KeptCount(system);
        if (workspace.Work is not Work<TSystem> work || !work.Fits(sensitivity, options, n, m, keptCount))
            workspace.Work = work = new Work<TSystem>(system, n, m, options, sensitivity, workspace.Counter, keptCount);
        // The parameters of this call (its reverse step's); a recorded forward pass ran on a bitwise-equal copy.
        work.Bind(system, inputs.P, workspace.Counter, count);
        EvaluationCounter counter = workspace.Counter;
        double[] p = inputs.P;
        int every = sensitivity.StepsPerCheckpoint;
        StepRecord tape = work.Tape;
        int[] marks = work.Marks;
        double[] ys = work.Ys;
        OdeStatus status;
        SolverStats forwardStats;
        if (work.Recorded.Matches(inputs))
        {
            // The forward pass already ran on these inputs (Record, in an ODE block's forward pass): its tape, kept stages and
            // states are these inputs' to the bit.
            (status, forwardStats) = (OdeStatus.Success, work.Recorded.Stats);
        }
        else
        {
            work.Recorded.Clear();
            status = Forward(work, inputs.Y0, inputs.T0, inputs.Times, out forwardStats, options);
        }
        workspace.Events = work.Events;
        ObservationShell.Observe(inputs, status, ys);
        double[] gTimes = workspace.Times;

        double[] gY0 = workspace.Y0;
        double[] gP = workspace.Parameters;
        double gT0 = 0;
        var backward = new SolverStats();
        var recompute = new SolverStats();
        if (status == OdeStatus.Success)
        {
            ReverseStep<TSystem> stepper = work.Stepper;
            // With checkpoints, the states of one run of steps at a time, replayed from its checkpoint.
            double[] run = every > 1 ? work.RunFor(Math.Min(every, tape.Count)) : [];
            int cachedRun = -1;
            double[] lambda = gY0;   // ∂L/∂y at the current point of the backward sweep; ends as dL/dy0
            double[] f = work.F;
            for (int i = count - 1; i >= 0; i--)
            {
                ReadOnlySpan<double> w = inputs.DLdyRow(i);
                for (int q = 0; q < n; q++) lambda[q] += w[q];
                double tSum = 0, hLast = 0;
                int first = i > 0 ? marks[i - 1] : 0, last = marks[i] - 1;
                if (last < first)
                {
                    // Empty interval (times[0] = t0): a step of size zero, ∂y/∂h = f(t0, y0).
                    counter.Function++;
                    system.Evaluate(inputs.T0, inputs.Y0, p, f);
                    hLast = ForwardSensitivitySolver.Dot(lambda, f);
                }
                for (int k = last; k >= first; k--)
                {
                    ReadOnlySpan<double> yk;
                    if (every == 1) yk = tape.Checkpoint(k);
                    else
                    {
                        int r = k / every, start = r * every;
                        if (r != cachedRun)
                        {
                            // Steps are reversed in decreasing order, so each run is replayed once.
                            long before = counter.Function;
                            tape.Checkpoint(r).CopyTo(run);
                            int length = Math.Min(every, tape.Count - start);
                            for (int j = 1; j < length; j++)
                                stepper.Advance(tape.Time(start + j - 1), tape.Size(start + j - 1), run.AsSpan((j - 1) * n, n), run.AsSpan(j * n, n));
                            recompute.Steps += length - 1;
                            recompute.FunctionEvaluations += counter.Function - before;
                            cachedRun = r;
                        }
                        yk = run.AsSpan((k - start) * n, n);
                    }
                    work.Keeper?.Reversing(k);
                    stepper.Reverse(tape.Time(k), tape.Size(k), yk, lambda, gP, out double tBar, out double hBar);
                    tSum += tBar;
                    if (k == last) hLast = hBar;
                    backward.Steps++;
                }
                gTimes[i] += hLast;
                double startBar = tSum - hLast;
                if (i > 0) gTimes[i - 1] += startBar;
                else gT0 = startBar;
            }
            backward.FunctionEvaluations = counter.Function - recompute.FunctionEvaluations;
        }
        var stats = new GradientStats(forwardStats, backward,
            forwardStats.FunctionEvaluations + counter.Function, counter.Jvp, counter.Vjp, counter.Jacobian, recompute)
        { WorkspaceBytes = workspace.HeldBytes };
        workspace.Finish(gT0, stats, status);
    }

    /// <summary>
    /// Runs now the forward pass that a later <see cref="Gradient"/> on the same y0, p, t0 and times (bit for bit) would run, and
    /// hands it y(times[i]) in row i of <paramref name="ys"/>: an ODE block's forward pass, whose output is then the forward
    /// pass's own (the same steps and bits as a plain solve), so that its backward pass does not solve forward again, as a
    /// tape-based framework differentiates the forward pass it ran. The workspace must already hold this method's work for
    /// these options and sizes (a first gradient made it), so that a model only evaluated never grows a tape; false
    /// otherwise, or when the pass failed (the caller then solves as before and reports the failure).
    /// </summary>
    public static bool Record<TSystem>(in TSystem system, GradientWorkspace<TSystem> workspace, SolverOptions options, DiscreteAdjointSensitivity sensitivity,
        ReadOnlySpan<double> y0, ReadOnlySpan<double> p, double t0, double[] times, out ReadOnlySpan<double> ys)
        where TSystem : struct, IOdeSystem
    {
        ys = default;
        if (workspace.Work is not Work<TSystem> work || !work.Fits(sensitivity, options, y0.Length, p.Length, KeptCalls<TSystem>.KeptCount(system))
            || work.Marks.Length != times.Length)
            return false;
        double[] parameters = work.Recorded.Start(y0, p, t0, times);
        work.Bind(system, parameters, workspace.Counter, times.Length);
        OdeStatus status = Forward(work, work.Recorded.Y0, t0, times, out SolverStats stats, options);
        if (status != OdeStatus.Success) return false;
        work.Recorded.Finish(stats);
        ys = work.Ys;
        return true;
    }

    // The forward pass: the shell's, with the tape observing every accepted step (as a lane block's tape observes the
    // ensemble's); marks[i] = steps taken before times[i]; y(times[i]) in row i of work.Ys; the located events (which can only
    // observe the solution here: RejectEvents) in work.Events.
    private static OdeStatus Forward<TSystem>(Work<TSystem> work, ReadOnlySpan<double> y0, double t0, ReadOnlySpan<double> times, out SolverStats stats,
        SolverOptions options)
        where TSystem : struct, IOdeSystem
    {
        OdeStatus status;
        ObservedEvents? events = ObservedEvents.For(options, t0, y0);
        if (work.Keeper is { } keeper)
        {
            // The same loop with the field keeping each stage's values (KeptStages), told when the integrator restarts and steps.
            work.Tape.Started();
            var run = new KeepingIntervals<TSystem>(work.Tape, keeper, events);
            var rows = new Rows(work.Ys, 0, y0.Length, work.Tape, work.Marks);
            status = ObservationShell.SolveToObservations(work.KeepingForward!, work.KeepingField, y0, t0, times, ref run, ref rows);
            stats = work.KeepingForward!.Stats;
        }
        else
        {
            status = ObservationShell.SolveToObservations(work.Forward, work.Field, y0, t0, times, work.Ys, 0, work.Tape, work.Marks, events);
            stats = work.Forward.Stats;
        }
        work.Events = events is null ? Array.Empty<OdeEventOccurrence>() : events.Occurrences;   // not "?? []": that is a new List per call

        return status;
    }

    /// <summary>
    /// The inputs of a forward pass run ahead of its gradient (<see cref="Record"/>), bit for bit, and its counters; a gradient
    /// whose inputs match reverses that pass instead of running it again.
    /// </summary>
    private sealed class Recording
    {
        private double[] _times = [];
        private double _t0;
        private bool _valid;

        public double[] Y0 { get; private set; } = [];
        public double[] P { get; private set; } = [];
        public SolverStats Stats { get; private set; }

        public long HeldBytes => sizeof(double) * ((long)Y0.Length + P.Length + _times.Length);

        /// <summary>Copies the inputs (invalid until <see cref="Finish"/>); returns the parameter copy the pass runs on.</summary>
        public double[] Start(ReadOnlySpan<double> y0, ReadOnlySpan<double> p, double t0, ReadOnlySpan<double> times)
        {
            _valid = false;
            if (Y0.Length != y0.Length) Y0 = new double[y0.Length];
            if (P.Length != p.Length) P = new double[p.Length];
            if (_times.Length != times.Length) _times = new double[times.Length];
            y0.CopyTo(Y0);
            p.CopyTo(P);
            times.CopyTo(_times);
            _t0 = t0;
            return P;
        }

        public void Finish(SolverStats stats)
        {
            Stats = stats;
            _valid = true;
        }

        /// <summary>The tape no longer holds the recorded pass (another forward pass is about to overwrite it).</summary>
        public void Clear() => _valid = false;

        public bool Matches(GradientInputs inputs) =>
            _valid && Same(Y0, inputs.Y0) && Same(P, inputs.P) && Same(_times, inputs.Times)
            && BitConverter.DoubleToInt64Bits(_t0) == BitConverter.DoubleToInt64Bits(inputs.T0);

        private static bool Same(ReadOnlySpan<double> a, ReadOnlySpan<double> b) =>
            MemoryMarshal.Cast<double, long>(a).SequenceEqual(MemoryMarshal.Cast<double, long>(b));
    }

    /// <summary>The forward integrator, the tape, the reverse step and the buffers, kept between calls with the same options and settings.</summary>
    private sealed class Work<TSystem> : IGradientWork where TSystem : struct, IOdeSystem
    {
        private readonly SolverOptions _options;
        private readonly double[]? _absTol;
        private readonly int _n, _m, _every, _keptCount;
        private readonly long _keptBytes;

        public Work(in TSystem system, int n, int m, SolverOptions options, DiscreteAdjointSensitivity sensitivity, EvaluationCounter counter, int keptCount)
        {
            (_options, _absTol, _n, _m, _every) = (options, WorkKey.AbsTolCopy(options), n, m, sensitivity.StepsPerCheckpoint);
            (_keptCount, _keptBytes) = (keptCount, sensitivity.KeptBytes);
            Forward = new RungeKuttaIntegrator<SystemField<TSystem>>(n, options);
            Tape = new StepRecord(n, _every);
            // Stage values are kept only where every step's state is (with checkpoints the reverse sweep replays runs of steps).
            Keeper = _every == 1 ? KeptStages.Create(options.Method.Tableau, options.FixedStep is not null, keptCount, _keptBytes) : null;
            if (Keeper is not null) KeepingForward = new RungeKuttaIntegrator<KeepingField<TSystem>>(n, options);
            Tape.Keeper = Keeper;
            Stepper = new ReverseStep<TSystem>(system, [], options.Method.Tableau, counter, Keeper);
            F = new double[n];
        }

        public RungeKuttaIntegrator<SystemField<TSystem>> Forward { get; }
        public SystemField<TSystem> Field { get; private set; }
        /// <summary>What the forward pass keeps of its stages for the reverse sweep (null: nothing, the system or method cannot, or no budget).</summary>
        public KeptStages? Keeper { get; }
        /// <summary>The forward integrator when stage values are kept (its field keeps them), else null.</summary>
        public RungeKuttaIntegrator<KeepingField<TSystem>>? KeepingForward { get; }
        public KeepingField<TSystem> KeepingField { get; private set; }
        /// <summary>A forward pass run ahead of its gradient (<see cref="Record"/>), if any.</summary>
        public Recording Recorded { get; } = new();
        public StepRecord Tape { get; }
        public ReverseStep<TSystem> Stepper { get; }
        /// <summary>The states of one run of steps replayed from its checkpoint (empty without checkpoints; see <see cref="RunFor"/>).</summary>
        public double[] Run { get; private set; } = [];

        /// <summary>
        /// <see cref="Run"/> with room for <paramref name="steps"/> states: the longest run the tape holds, at most
        /// StepsPerCheckpoint, so a setting above the steps taken (int.MaxValue: replay everything from y0) holds the steps
        /// there are. It keeps its largest size.
        /// </summary>
        public double[] RunFor(int steps)
        {
            long length = (long)steps * _n;
            if (Run.Length < length) Run = new double[length];
            return Run;
        }
        /// <summary>f at t0 for an empty first interval.</summary>
        public double[] F { get; }
        /// <summary>The events the last forward pass located (a list of its own per pass; empty without events).</summary>
        public IReadOnlyList<OdeEventOccurrence> Events { get; set; } = [];
        /// <summary>Steps taken before each observation time, and y(times[i]) as row i.</summary>
        public int[] Marks { get; private set; } = [];
        /// <inheritdoc cref="Marks"/>
        public double[] Ys { get; private set; } = [];

        public long HeldBytes => Tape.HeldBytes + (Keeper?.HeldBytes ?? 0) + Recorded.HeldBytes + sizeof(double) * ((long)Run.Length + F.Length + Ys.Length)
            + sizeof(int) * (long)Marks.Length;

        public bool Fits(Sensitivity sensitivity, SolverOptions options, int n, int m) =>
            sensitivity is DiscreteAdjointSensitivity s && s.StepsPerCheckpoint == _every && s.KeptBytes == _keptBytes
            && n == _n && m == _m && WorkKey.SameOptions(_options, _absTol, options);

        /// <summary><see cref="Fits(Sensitivity, SolverOptions, int, int)"/> for a system that keeps <paramref name="keptCount"/> doubles an evaluation.</summary>
        public bool Fits(Sensitivity sensitivity, SolverOptions options, int n, int m, int keptCount) =>
            keptCount == _keptCount && Fits(sensitivity, options, n, m);

        /// <summary>Points the field and the reverse step at this call's system and parameters, clears the counters, sizes the observation rows.</summary>
        public void Bind(in TSystem system, double[] p, EvaluationCounter counter, int count)
        {
            Field = Field.Rebind(system, p);
            if (Keeper is not null) KeepingField = new KeepingField<TSystem>(system, p, Keeper);
            Stepper.Bind(system, p, counter);
            Forward.ClearStats();
            KeepingForward?.ClearStats();
            if (Marks.Length != count)
            {
                Marks = new int[count];
                Ys = new double[count * _n];
            }
        }
    }

    /// <summary>
    /// The accepted steps of the forward pass: start time and signed size of each, and the start state of every
    /// <c>every</c>-th step (checkpoint r holds step r·every's), in arrays that grow by doubling. The forward pass
    /// fills it as the observer of its steps (the scalar twin of the ensemble's <c>LaneTape</c>, which keeps every state).
    /// </summary>
    private sealed class StepRecord(int n, int every) : IStepObserver<Lane1>
    {
        private double[] _times = new double[64], _sizes = new double[64], _states = new double[16 * n];
        private int _checkpoints;

        /// <summary>Bytes of the record (its capacity: it keeps the size of the longest pass so far).</summary>
        public long HeldBytes => sizeof(double) * ((long)_times.Length + _sizes.Length + _states.Length);

        public int Count { get; private set; }

        /// <summary>What the forward pass keeps of each step's stages, told of every start and accepted step (null: nothing).</summary>
        public KeptStages? Keeper { get; set; }

        public void Started()
        {
            Count = _checkpoints = 0;
            Keeper?.Started();
        }

        public void Accepted(double t, double h, ReadOnlySpan<Lane1> yStart)
        {
            Keeper?.Accepted(Count, t, h);
            ReadOnlySpan<double> y = MemoryMarshal.Cast<Lane1, double>(yStart);
            if (Count == _times.Length)
            {
                Array.Resize(ref _times, 2 * Count);
                Array.Resize(ref _sizes, 2 * Count);
            }
            _times[Count] = t;
            _sizes[Count] = h;
            if (Count % every == 0)
            {
                if ((_checkpoints + 1) * n > _states.Length) Array.Resize(ref _states, 2 * _states.Length);
                y.CopyTo(_states.AsSpan(_checkpoints * n, n));
                _checkpoints++;
            }
            Count++;
        }

        public double Time(int k) => _times[k];
        public double Size(int k) => _sizes[k];
        /// <summary>The start state of step r·every.</summary>
        public ReadOnlySpan<double> Checkpoint(int r) => _states.AsSpan(r * n, n);
    }
}

/// <summary>
/// One explicit Runge–Kutta step of a system in reverse (see <see cref="DiscreteAdjointSolver"/>): the shared
/// <see cref="RungeKuttaReverse{TLane}"/> on the scalar state (<see cref="Lane1"/>), with the system's f and VJP at the
/// stages, counted. <see cref="Reverse"/> allocates nothing.
/// </summary>
internal sealed class ReverseStep<TSystem> where TSystem : struct, IOdeSystem
{
    private readonly RungeKuttaReverse<Lane1> _reverse;
    private readonly KeptStages? _kept;
    private double[] _p;
    private Stages _stages;

    // kept: the forward pass's kept stage values, read by Reverse after KeptStages.Reversing (null: none).
    public ReverseStep(in TSystem system, double[] p, ButcherTableau tableau, EvaluationCounter counter, KeptStages? kept = null)
    {
        _reverse = new RungeKuttaReverse<Lane1>(tableau, system.StateCount);
        _kept = kept;
        _p = p;
        _stages = new Stages(system, counter, kept);
    }

    /// <summary>Points the step at another call's system value, parameters and counter (a workspace keeps it between calls).</summary>
    public void Bind(in TSystem system, double[] p, EvaluationCounter counter)
    {
        _p = p;
        _stages = new Stages(system, counter, _kept);
    }

    /// <summary>One forward step from (t, y0) with size h, summed as the integrator sums it (replays a recorded step).</summary>
    public void Advance(double t, double h, ReadOnlySpan<double> y0, Span<double> y1) =>
        _reverse.Advance(ref _stages, t, h, L(y0), L(_p), L(y1));

    /// <summary>
    /// Given λ = ∂L/∂y_{k+1} in <paramref name="lambda"/>, overwrites it with ∂L/∂y_k, adds ∂L/∂p to
    /// <paramref name="pBar"/>, and returns ∂L/∂t_k (step size held) and ∂L/∂h_k (start time held).
    /// </summary>
    public void Reverse(double t, double h, ReadOnlySpan<double> y0, Span<double> lambda, Span<double> pBar, out double tBar, out double hBar) =>
        _reverse.Reverse(ref _stages, t, h, L(y0), L(_p), L(lambda), L(pBar), out tBar, out hBar);

    private static ReadOnlySpan<Lane1> L(ReadOnlySpan<double> v) => MemoryMarshal.Cast<double, Lane1>(v);
    private static Span<Lane1> L(Span<double> v) => MemoryMarshal.Cast<double, Lane1>(v);

    // f and the VJP at the stages; with kept values (the reverse step forms the live stages in order, then takes their VJPs in
    // reverse order, and KeptStages follows that order) each reads its stage's row where the forward pass kept one: f from it
    // is not an evaluation of f (not counted), the VJP is.
    private readonly struct Stages(TSystem system, EvaluationCounter counter, KeptStages? kept) : IStageAdjoint<Lane1>
    {
        private readonly TSystem _system = system;

        public static bool DifferentiatesTime => true;

        public void Evaluate(double t, ReadOnlySpan<Lane1> y, ReadOnlySpan<Lane1> p, Span<Lane1> dydt)
        {
            if (kept is not null && kept.NextEvaluation() is { IsEmpty: false } row)
            {
                KeptCalls<TSystem>.EvaluateFromKept(_system, t, MemoryMarshal.Cast<Lane1, double>(y), MemoryMarshal.Cast<Lane1, double>(p), row,
                    MemoryMarshal.Cast<Lane1, double>(dydt));
                return;
            }

            counter.Function++;
            _system.Evaluate(t, MemoryMarshal.Cast<Lane1, double>(y), MemoryMarshal.Cast<Lane1, double>(p), MemoryMarshal.Cast<Lane1, double>(dydt));
        }

        public double Vjp(double t, ReadOnlySpan<Lane1> y, ReadOnlySpan<Lane1> p, ReadOnlySpan<Lane1> a, Span<Lane1> yBar, Span<Lane1> pBar)
        {
            counter.Vjp++;
            if (kept is not null && kept.NextVjp() is { IsEmpty: false } row)
            {
                return KeptCalls<TSystem>.VjpKept(_system, t, MemoryMarshal.Cast<Lane1, double>(y), MemoryMarshal.Cast<Lane1, double>(p), row,
                    MemoryMarshal.Cast<Lane1, double>(a), MemoryMarshal.Cast<Lane1, double>(yBar), MemoryMarshal.Cast<Lane1, double>(pBar));
            }

            return _system.Vjp(t, MemoryMarshal.Cast<Lane1, double>(y), MemoryMarshal.Cast<Lane1, double>(p), MemoryMarshal.Cast<Lane1, double>(a),
                MemoryMarshal.Cast<Lane1, double>(yBar), MemoryMarshal.Cast<Lane1, double>(pBar));
        }
    }
}
