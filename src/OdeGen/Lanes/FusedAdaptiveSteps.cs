using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using OdeGen.Solvers;

namespace OdeGen.Lanes;

/// <summary>
/// Adaptive explicit Runge–Kutta steps (Dopri5, Tsit5, any single-estimate tableau of at most seven stages) in one SIMD
/// register of trajectories, each lane with a step size of its own: the stages, the candidate and the error sums run on
/// the system's register form (<see cref="ILaneRegisters{TSelf, TLane}"/>, f inlined), then every lane accepts or rejects
/// its own attempt with its own controller; a lane whose trajectory is done takes the next one from its run
/// (<see cref="FusedAdaptiveRun{TLane}"/>), so no lane idles while trajectories are left.
/// </summary>
/// <remarks>
/// The arithmetic is the scalar solve's (<c>Ode.Solve</c> with the register stages, <c>RegisterStages</c>) term for term: the
/// same terms in the same order, each weight h·a_ij rounded, each product rounded before it is added (no fused multiply-add),
/// the error Σ (b_i − b̂_i) k_i summed stage by stage, its norm component by component; lane by lane these are the same IEEE
/// operations as the one-lane code, so each lane computes the scalar solve's bits. The decisions are the scalar solve's own
/// code (<see cref="StepControl"/>, <see cref="StepSizeController"/>), called per lane, with the controllers' powers
/// computed for the whole register at once by the kernel the scalar controller runs at one lane (LaneMath.PowPositive). This is therefore a third copy of the
/// stage sums (after <c>RungeKuttaKernel</c> and <c>RegisterStages</c>), kept because the step size differs from lane to
/// lane; <c>tests/OdeGen.Tests/Ensemble/PerLaneStepTests.cs</c> holds every lane bit for bit to <c>Ode.Solve</c> at every width.
/// f sees one time for the whole register (the generated register form takes a scalar t), so only dynamics that do not
/// depend on t may run here (the caller checks). One difference is left: where a weight h·a_ij underflows to 0 (|h| near
/// 1e-300, far below any step a solve reaches) the scalar solve leaves the term out and this adds 0·k_j, the same value
/// unless y_i is −0 or k_j is not finite.
/// </remarks>
internal static class FusedAdaptiveSteps
{
    /// <summary>Runs <paramref name="run"/> until it has no trajectory left, with <typeparamref name="TState"/> the system's register type.</summary>
    // Compiled optimized at once: one call runs for long, and its unoptimized first tier would not inline f.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TState, TLane>(FusedAdaptiveRun<TLane> run)
        where TState : unmanaged, ILaneRegisters<TState, TLane>
        where TLane : unmanaged, ILane<TLane>
    {
        if (TState.StateCount != run.StateCount)
            throw new ArgumentException($"The register form has {TState.StateCount} states; the run was built for {run.StateCount}.", nameof(run));
        run.Start();
        while (run.PrepareAttempts())
        {
            Attempt<TState, TLane>(run);
            run.Decide();
        }
    }

    // Stages, candidate and error sums of every lane's attempt with its own h (0 in an idle lane).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Attempt<TState, TLane>(FusedAdaptiveRun<TLane> run)
        where TState : unmanaged, ILaneRegisters<TState, TLane>
        where TLane : unmanaged, ILane<TLane>
    {
        int n = TState.StateCount, s = run.Stages;
        TLane h = TLane.Load(run.StepSizes);
        Span<TLane> rows = run.K;
        ReadOnlySpan<TLane> p = run.P;
        ReadOnlySpan<TLane> e = run.ErrorWeights;
        int[][] aIndex = run.AIndex;
        double[][] aCoefficient = run.ACoefficient;
        double t = run.Time;   // f does not depend on t (checked by the caller); the lanes' own times are in the run
        TState y0 = TState.Load(run.Y);
        TState last = TState.Load(run.Derivative);
        TState.Store(last, rows.Slice(0, n));
        TState err = TState.AddProduct(default, e[0], last);
        TLane bad = TState.NonFinite(last);
        TState arg = y0;
        // A gradient's run keeps the arguments of the live stages after the first (what its reverse sweep takes VJPs at).
        bool record = run.RecordsStages;
        Span<TLane> pending = run.PendingStages;
        ReadOnlySpan<int> slots = run.StageSlots;
        for (int i = 1; i < s; i++)
        {
            arg = Sum(y0, rows, last, i - 1, aIndex[i], aCoefficient[i], h);
            if (record && slots[i] >= 0) TState.Store(arg, pending.Slice(slots[i] * n, n));
            last = TState.Derivative(t, arg, p);
            TState.Store(last, rows.Slice(i * n, n));
            err = TState.AddProduct(err, e[i], last);
            bad += TState.NonFinite(last);
        }
        // FSAL methods: the last stage's argument is the candidate, and the last stage f there.
        if (!run.IsFsal)
        {
            arg = Sum(y0, rows, last, s - 1, run.BIndex, run.BCoefficient, h);
            TState.Store(TState.Derivative(t, arg, p), run.EndDerivative);
        }
        bad += TState.NonFinite(arg);
        TState.Store(arg, run.Candidate);
        TState.Store(err, run.Error);
        TLane.Store(bad, run.NonFinite);

        // The scaled error norm's accumulator, component by component (RegisterStages.StepErrorNorm, lane by lane).
        ReadOnlySpan<TLane> y = run.Y, yNew = run.Candidate, error = run.Error;
        ReadOnlySpan<TLane> atol = run.AbsoluteTolerances;
        TLane rtol = TLane.Create(run.RelativeTolerance), sum = TLane.Zero;
        bool max = run.Norm == ErrorNorm.Max;
        for (int q = 0; q < run.ErrorComponents; q++)
        {
            TLane scale = atol[q] + rtol * TLane.Max(TLane.Abs(y[q]), TLane.Abs(yNew[q]));
            TLane se = h * error[q] / scale;
            sum = max ? TLane.Max(sum, TLane.Abs(se)) : sum + se * se;
        }
        TLane.Store(sum, run.ErrorSums);
    }

    // y + Σ_t (h·coefficient_t)·k_{index_t}, term after term in increasing index order (RegisterStages' Sum, h per lane).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TState Sum<TState, TLane>(in TState y, Span<TLane> rows, in TState last, int latest, int[] index, double[] coefficient, TLane h)
        where TState : unmanaged, ILaneRegisters<TState, TLane>
        where TLane : unmanaged, ILane<TLane>
    {
        int n = TState.StateCount;
        TState acc = y;
        for (int t = 0; t < index.Length; t++)
        {
            int j = index[t];
            TState kj = j == latest ? last : TState.Load(rows.Slice(j * n, n));
            acc = TState.AddProduct(acc, h * TLane.Create(coefficient[t]), kj);
        }
        return acc;
    }
}

/// <summary>
/// One register of trajectories stepped by <see cref="FusedAdaptiveSteps"/>: the workspace, and each lane's step loop (the
/// scalar solve's <c>StepLoop</c>, lane by lane: step budget, landing on the end, step-size underflow, the controller). Which
/// trajectories it solves and where their results go is the subclass's (<see cref="TryLoad"/>, <see cref="Finish"/>).
/// All workspace is allocated in the constructor: a run allocates nothing.
/// </summary>
internal abstract class FusedAdaptiveRun<TLane> where TLane : unmanaged, ILane<TLane>
{
    private readonly SolverOptions _options;
    private readonly TLane[] _y, _derivative, _k, _p, _candidate, _error, _endDerivative, _atol;
    private readonly double[] _h, _errorSums, _nonFinite, _errors, _errorPowers, _previousPowers;
    // DecideInRegisters' controller state, lane by lane: errPrev, and masks (all bits set: true) of "the last attempt was
    // rejected" and "... rejected for a non-finite value"; and its results, the accepted lanes (a mask) and the next steps.
    private readonly double[] _previousErrors, _lastRejected, _lastNonFinite, _accepted, _nextSteps;
    private readonly double _safety, _minFactor, _maxFactor, _holdFrom;
    private readonly StepSizeController[] _controllers;
    private readonly LaneState[] _lanes;
    private int _active;
    private TLane[] _pendingStages = [];
    private int[] _stageSlots = [];

    /// <summary>Each lane's step loop: where it stands, its trajectory and its work.</summary>
    private struct LaneState
    {
        public int Trajectory;      // −1: idle
        public double Time, End, Direction, NextStep, H;
        public bool ToEnd;
        public long Attempts;
        public SolverStats Stats;
    }

    protected FusedAdaptiveRun(ButcherTableau tableau, SolverOptions options, int states, int parameters)
    {
        if (Unsafe.SizeOf<TLane>() != TLane.Count * sizeof(double))
            throw new InvalidOperationException($"{typeof(TLane).Name} is not {TLane.Count} doubles side by side.");
        _options = options;
        Tableau = tableau;
        Stages = tableau.Stages;
        IsFsal = tableau.IsFsal;
        RungeKuttaTerms terms = tableau.Terms;
        AIndex = terms.AIndex;
        ACoefficient = terms.ACoefficient;
        BIndex = terms.BIndex;
        BCoefficient = terms.BCoefficient;
        ErrorWeights = tableau.ErrorWeights!.Select(TLane.Create).ToArray();
        StateCount = states;
        ParameterCount = parameters;
        ErrorComponents = states;
        RelativeTolerance = options.RelTol;
        Norm = options.Norm;
        int w = TLane.Count;
        _y = new TLane[states];
        _derivative = new TLane[states];
        _k = new TLane[tableau.Stages * states];
        _p = new TLane[parameters];
        _candidate = new TLane[states];
        _error = new TLane[states];
        _endDerivative = new TLane[states];
        _atol = StepControl.AbsoluteTolerances(options, states).Select(TLane.Create).ToArray();
        _h = new double[w];
        _errorSums = new double[w];
        _nonFinite = new double[w];
        _errors = new double[w];
        _errorPowers = new double[w];
        _previousPowers = new double[w];
        _previousErrors = new double[w];
        _previousErrors.AsSpan().Fill(1e-4);   // a lane that never starts still takes finite powers
        _lastRejected = new double[w];
        _lastNonFinite = new double[w];
        _accepted = new double[w];
        _nextSteps = new double[w];
        _safety = options.Safety;
        _minFactor = options.MinFactor;
        _maxFactor = options.MaxFactor;
        _holdFrom = options.HoldBand ?? double.PositiveInfinity;
        _controllers = new StepSizeController[w];
        for (int l = 0; l < w; l++) _controllers[l] = new StepSizeController(options, tableau);
        _lanes = new LaneState[w];
    }

    /// <summary>The method.</summary>
    public ButcherTableau Tableau { get; }
    /// <summary>Stages of the method.</summary>
    public int Stages { get; }
    /// <summary>The last stage is f at the candidate.</summary>
    public bool IsFsal { get; }
    /// <summary>Per stage, the j with a_ij ≠ 0, and those a_ij (the kernel's terms).</summary>
    public int[][] AIndex { get; }
    /// <inheritdoc cref="AIndex"/>
    public double[][] ACoefficient { get; }
    /// <summary>The i with b_i ≠ 0, and those b_i.</summary>
    public int[] BIndex { get; }
    /// <inheritdoc cref="BIndex"/>
    public double[] BCoefficient { get; }
    /// <summary>b_i − b̂_i, broadcast.</summary>
    public TLane[] ErrorWeights { get; }
    /// <summary>States and parameters of the system.</summary>
    public int StateCount { get; }
    /// <inheritdoc cref="StateCount"/>
    public int ParameterCount { get; }
    /// <summary>Components in the error norm (all).</summary>
    public int ErrorComponents { get; }
    /// <summary>RelTol.</summary>
    public double RelativeTolerance { get; }
    /// <summary>The error norm.</summary>
    public ErrorNorm Norm { get; }
    /// <summary>The time handed to f (which does not depend on it).</summary>
    public double Time { get; protected set; }

    /// <summary>Each lane's current state, state q in <c>Y[q]</c>.</summary>
    public Span<TLane> Y => _y;
    /// <summary>f at each lane's current state (the next attempt's first stage).</summary>
    public Span<TLane> Derivative => _derivative;
    /// <summary>The stages of the last attempt, row i = k_i.</summary>
    public Span<TLane> K => _k;
    /// <summary>Each lane's parameters.</summary>
    public Span<TLane> P => _p;
    /// <summary>The last attempt's candidate.</summary>
    public Span<TLane> Candidate => _candidate;
    /// <summary>The last attempt's Σ (b_i − b̂_i) k_i.</summary>
    public Span<TLane> Error => _error;
    /// <summary>f at the candidate (methods that are not FSAL).</summary>
    public Span<TLane> EndDerivative => _endDerivative;
    /// <summary>Absolute tolerance of each component, broadcast.</summary>
    public ReadOnlySpan<TLane> AbsoluteTolerances => _atol;
    /// <summary>Each lane's step for the next attempt (0 in idle lanes).</summary>
    public ReadOnlySpan<double> StepSizes => _h;
    /// <summary>Each lane's error accumulator of the last attempt (before <see cref="StepControl.Finish"/>).</summary>
    public Span<double> ErrorSums => _errorSums;
    /// <summary>0 in each lane whose stages and candidate were finite, NaN elsewhere.</summary>
    public Span<double> NonFinite => _nonFinite;

    /// <summary>True when the run keeps each attempt's stage arguments (<see cref="RecordStages"/>).</summary>
    public bool RecordsStages { get; private set; }
    /// <summary>The last attempt's arguments of the live stages after the first, row <see cref="StageSlots"/>[i] for stage i (empty unless recording).</summary>
    public Span<TLane> PendingStages => _pendingStages;
    /// <summary>Stage i's row among <see cref="PendingStages"/>, or −1 (stage 0, whose argument is the step's start, and dead stages).</summary>
    public ReadOnlySpan<int> StageSlots => _stageSlots;
    /// <summary>Rows of <see cref="PendingStages"/>: the live stages after the first.</summary>
    public int StageRows { get; private set; }

    /// <summary>
    /// From now on every attempt keeps the arguments of its live stages after the first (<see cref="PendingStages"/>) and
    /// every accepted step is reported to <see cref="Accepted"/> before the lane moves on: what a discrete adjoint records.
    /// </summary>
    protected void RecordStages()
    {
        bool[] live = Tableau.Terms.Live;
        _stageSlots = new int[Stages];
        _stageSlots[0] = -1;
        int rows = 0;
        for (int i = 1; i < Stages; i++) _stageSlots[i] = live[i] ? rows++ : -1;
        StageRows = rows;
        _pendingStages = new TLane[Math.Max(rows * StateCount, 1)];
        RecordsStages = true;
    }

    /// <summary>
    /// (Recording runs.) <paramref name="lane"/> accepted a step of size <paramref name="h"/> (the size its stages used) from
    /// its current state (<see cref="Y"/>, not yet moved), with its stage arguments in <see cref="PendingStages"/>.
    /// </summary>
    protected virtual void Accepted(int lane, int trajectory, double h) { }

    /// <summary>
    /// <paramref name="lane"/>'s trajectory reached the end of its interval. Return <see cref="OdeStatus.Success"/> or a
    /// failure to end the trajectory with it, or null after restarting the lane on a next interval (<see cref="Begin"/>).
    /// </summary>
    protected virtual OdeStatus? Reached(int lane, int trajectory) => OdeStatus.Success;

    /// <summary>The work of <paramref name="lane"/>'s trajectory so far.</summary>
    protected SolverStats StatsOf(int lane) => _lanes[lane].Stats;

    /// <summary>Adds <paramref name="count"/> evaluations of f to <paramref name="lane"/>'s work (a restart's, before it fails).</summary>
    protected void AddEvaluations(int lane, long count) => _lanes[lane].Stats.FunctionEvaluations += count;

    /// <summary>Copies <paramref name="lane"/>'s current state into <paramref name="y"/>.</summary>
    protected void StateOf(int lane, Span<double> y)
    {
        int w = TLane.Count;
        ReadOnlySpan<double> all = Lanes(_y);
        for (int q = 0; q < StateCount; q++) y[q] = all[q * w + lane];
    }

    /// <summary>
    /// Loads the run's next trajectory into <paramref name="lane"/>, or returns false when none is left. It calls
    /// <see cref="Begin"/> with the trajectory's start: its y0, parameters and f(t0, y0), and the first step.
    /// </summary>
    protected abstract bool TryLoad(int lane);

    /// <summary>Trajectory <paramref name="trajectory"/> ended: its state (<paramref name="y"/>), time, status and work go to its row.</summary>
    protected abstract void Finish(int trajectory, ReadOnlySpan<double> y, double time, OdeStatus status, in SolverStats stats);

    /// <summary>
    /// Puts trajectory <paramref name="trajectory"/> into <paramref name="lane"/>: its state, parameters and f at the start
    /// (finite), the first step's magnitude and the work done so far (the evaluations at the start).
    /// </summary>
    protected void Begin(int lane, int trajectory, ReadOnlySpan<double> y0, ReadOnlySpan<double> p, ReadOnlySpan<double> f0,
        double t0, double tEnd, double firstStep, in SolverStats stats)
    {
        int w = TLane.Count;
        Span<double> y = Lanes(_y), f = Lanes(_derivative), pl = Lanes(_p);
        for (int q = 0; q < StateCount; q++)
        {
            y[q * w + lane] = y0[q];
            f[q * w + lane] = f0[q];
        }
        for (int j = 0; j < ParameterCount; j++) pl[j * w + lane] = p[j];
        double direction = tEnd >= t0 ? 1.0 : -1.0;
        _lanes[lane] = new LaneState
        {
            Trajectory = trajectory, Time = t0, End = tEnd, Direction = direction, NextStep = direction * firstStep, Stats = stats,
        };
        _controllers[lane].Reset();
        // StepSizeController.Reset's state, for DecideInRegisters.
        _previousErrors[lane] = 1e-4;
        _lastRejected[lane] = 0;
        _lastNonFinite[lane] = 0;
    }

    /// <summary>Fills every lane (the first trajectories of the run).</summary>
    public void Start()
    {
        _active = 0;
        for (int l = 0; l < TLane.Count; l++)
        {
            _lanes[l].Trajectory = -1;
            Refill(l);
        }
    }

    private void Refill(int lane)
    {
        if (TryLoad(lane))
        {
            if (_lanes[lane].Trajectory < 0) throw new InvalidOperationException("TryLoad returned true without Begin.");
            _active++;
            return;
        }
        _lanes[lane].Trajectory = -1;
        // An idle lane keeps stepping with h = 0 on finite values (the last trajectory's), discarded.
    }

    private void End(int lane, OdeStatus status)
    {
        ref LaneState s = ref _lanes[lane];
        int w = TLane.Count;
        Span<double> row = stackalloc double[StateCount];
        ReadOnlySpan<double> y = Lanes(_y);
        for (int q = 0; q < StateCount; q++) row[q] = y[q * w + lane];
        Finish(s.Trajectory, row, s.Time, status, s.Stats);
        s.Trajectory = -1;
        _active--;
        Refill(lane);
    }

    /// <summary>
    /// Each lane's next attempt (<c>StepLoop.Step</c> up to the attempt): a lane out of budget or whose step underflows ends
    /// and takes the next trajectory. False when no lane has a trajectory left.
    /// </summary>
    public bool PrepareAttempts()
    {
        for (int l = 0; l < _lanes.Length; l++)
        {
            while (true)
            {
                ref LaneState s = ref _lanes[l];
                if (s.Trajectory < 0)
                {
                    _h[l] = 0;
                    break;
                }
                if (s.Attempts >= _options.MaxSteps)
                {
                    End(l, OdeStatus.MaxStepsExceeded);
                    continue;
                }
                double h = StepControl.ClampToEnd(s.NextStep, s.Time, s.End, s.Direction, _options.MaxStep);
                bool toEnd = h == s.End - s.Time;
                if (!toEnd && Math.Abs(h) < StepControl.MinimumStep(_options.MinStep, s.Time))
                {
                    bool nonFinite = DecidesInRegisters ? _lastNonFinite[l] != 0 : _controllers[l].LastWasNonFinite;
                    End(l, nonFinite ? OdeStatus.NonFiniteValue : OdeStatus.StepSizeTooSmall);
                    continue;
                }
                s.Attempts++;
                s.H = h;
                s.ToEnd = toEnd;
                _h[l] = h;
                break;
            }
        }
        return _active > 0;
    }

    /// <summary>Each lane's decision on its attempt (<c>StepLoop.Step</c> after it): accept and move on, or retry with a smaller step.</summary>
    public void Decide()
    {
        if (DecidesInRegisters)
        {
            DecideInRegisters();
            return;
        }
        int w = TLane.Count, n = StateCount, s = Stages;
        Span<double> y = Lanes(_y), f = Lanes(_derivative);
        ReadOnlySpan<double> yNew = Lanes(_candidate), fNew = IsFsal ? Lanes(_k).Slice((s - 1) * n * w, n * w) : Lanes(_endDerivative);
        // The errors first, then every lane's controller powers in one register (LaneMath.PowPositive: the bits the scalar
        // controller's own Pow gives), then the decisions.
        Span<double> errors = _errors, errorPowers = _errorPowers, previousPowers = _previousPowers;
        for (int l = 0; l < w; l++)
        {
            ref LaneState lane = ref _lanes[l];
            errorPowers[l] = 1.0;
            previousPowers[l] = 1.0;
            if (lane.Trajectory < 0) continue;
            lane.Stats.FunctionEvaluations += s - 1;
            double error = StepControl.Finish(_errorSums[l], ErrorComponents, Norm);
            bool finite = _nonFinite[l] == 0 && !double.IsNaN(error);
            if (!IsFsal && finite && error <= 1.0)
            {
                // The scalar solve evaluates f at the candidate only for a step that passes the error test.
                lane.Stats.FunctionEvaluations++;
                double bad = 0;
                for (int q = 0; q < n; q++) bad += fNew[q * w + l] - fNew[q * w + l];
                finite = bad == 0;
            }
            errors[l] = finite ? error : double.NaN;
            errorPowers[l] = StepSizeController.PowerArgument(errors[l]);
            previousPowers[l] = _controllers[l].PreviousError;
        }
        // Every controller has the run's options and tableau, hence the same α and β.
        double alpha = _controllers[0].Alpha, beta = _controllers[0].Beta;
        TLane.Store(LaneMath.PowPositiveAnyLane(TLane.Load(errorPowers), TLane.Create(-alpha)), errorPowers);
        if (beta != 0) TLane.Store(LaneMath.PowPositiveAnyLane(TLane.Load(previousPowers), TLane.Create(beta)), previousPowers);
        else previousPowers.Fill(1.0);
        for (int l = 0; l < w; l++)
        {
            ref LaneState lane = ref _lanes[l];
            if (lane.Trajectory < 0) continue;
            if (_controllers[l].Decide(errors[l], lane.H, errorPowers[l], previousPowers[l], out double hNext))
            {
                if (RecordsStages) Accepted(l, lane.Trajectory, lane.H);
                for (int q = 0; q < n; q++)
                {
                    y[q * w + l] = yNew[q * w + l];
                    f[q * w + l] = fNew[q * w + l];
                }
                lane.Time = lane.ToEnd ? lane.End : lane.Time + lane.H;
                lane.Stats.Steps++;
                lane.NextStep = hNext;
                if (lane.Time == lane.End && Reached(l, lane.Trajectory) is { } status) End(l, status);
                continue;
            }
            lane.Stats.RejectedSteps++;
            lane.NextStep = hNext;
        }
    }

    // FSAL methods without a stage record (Dopri5, Tsit5 and BogackiShampine3 solves) decide in registers; a method that is not
    // FSAL (its finiteness test evaluates f at the candidate for the lanes that pass) and a gradient's recording run (which
    // reports each accepted step) decide lane by lane.
    private bool DecidesInRegisters => IsFsal && !RecordsStages;

    /// <summary>
    /// <see cref="Decide"/> for every lane at once: the error norm, the controller (<see cref="StepSizeController.Decide(double,
    /// double, double, double, out double)"/>'s arithmetic, the same IEEE operations in the same order, lane by lane, as selects
    /// where it branches) and the move of the accepted lanes run as register operations; what is left lane by lane is each
    /// lane's time, work and the hand-over of a finished trajectory. This copies the controller's decision, which the scalar
    /// solves keep in <see cref="StepSizeController"/>: lane by lane it took two thirds of a per-lane Lorenz solve's time (#20
    /// item 4, BENCHMARKS.md "7 December 2026"). PerLaneStepTests holds every lane to Ode.Solve bit for bit (every width, both
    /// controllers, the hold band, safety and factor limits, non-finite values), so the two cannot drift apart.
    /// </summary>
    private void DecideInRegisters()
    {
        int w = TLane.Count, n = StateCount, s = Stages;
        TLane one = TLane.Create(1.0), zero = TLane.Zero;
        // StepControl.Finish (the components are at least one), then NaN where the stages or the candidate were not finite.
        TLane sums = TLane.Load(_errorSums);
        TLane norm = Norm == ErrorNorm.Max ? sums : TLane.Sqrt(sums / TLane.Create(ErrorComponents));
        TLane finite = TLane.And(TLane.Equal(TLane.Load(_nonFinite), zero), TLane.Equal(norm, norm));
        TLane error = TLane.Select(finite, norm, TLane.Create(double.NaN));
        // The powers of StepSizeController.PowerArgument(error) and of errPrev (LaneMath.PowPositive: the scalar controller's bits).
        TLane usable = TLane.And(TLane.GreaterThan(error, zero), TLane.LessThan(error, TLane.Create(double.PositiveInfinity)));
        TLane errorPower = LaneMath.PowPositiveAnyLane(TLane.Select(usable, error, one), TLane.Create(-_controllers[0].Alpha));
        double beta = _controllers[0].Beta;
        TLane previousError = TLane.Load(_previousErrors);
        TLane previousPower = beta != 0 ? LaneMath.PowPositiveAnyLane(previousError, TLane.Create(beta)) : one;
        // StepSizeController.Decide, its branches as masks: hold, non-finite, accepted (error ≤ 1), rejected (the rest).
        TLane h = TLane.Load(_h), safety = TLane.Create(_safety), minFactor = TLane.Create(_minFactor), maxFactor = TLane.Create(_maxFactor);
        TLane hold = TLane.And(TLane.GreaterThanOrEqual(error, TLane.Create(_holdFrom)), TLane.LessThanOrEqual(error, one));
        TLane nonFinite = TLane.NotEqual(error, error);
        TLane withinTolerance = TLane.LessThanOrEqual(error, one);   // false for NaN; includes the hold band
        TLane grown = TLane.Select(TLane.Equal(error, zero), maxFactor, safety * errorPower * previousPower);
        TLane upper = TLane.Select(TLane.Load(_lastRejected), one, maxFactor);
        TLane factor = TLane.Select(TLane.LessThan(grown, minFactor), minFactor, TLane.Select(TLane.GreaterThan(grown, upper), upper, grown));
        TLane shrunk = safety * errorPower;
        TLane shrink = TLane.Select(TLane.Equal(error, TLane.Create(double.PositiveInfinity)), minFactor,
            TLane.Select(TLane.GreaterThan(shrunk, minFactor), shrunk, minFactor));
        TLane next = TLane.Select(hold, h, TLane.Select(nonFinite, h * minFactor, TLane.Select(withinTolerance, h * factor, h * shrink)));
        TLane floor = TLane.Create(1e-4);
        TLane.Store(TLane.Select(withinTolerance, TLane.Select(TLane.GreaterThan(error, floor), error, floor), previousError), _previousErrors);
        TLane.Store(TLane.AndNot(TLane.Equal(zero, zero), withinTolerance), _lastRejected);   // all bits where rejected
        TLane.Store(nonFinite, _lastNonFinite);
        TLane.Store(withinTolerance, _accepted);
        TLane.Store(next, _nextSteps);

        // Lane by lane: times and work; idle lanes move nothing.
        Span<double> accepted = _accepted;
        bool anyReached = false;
        for (int l = 0; l < w; l++)
        {
            ref LaneState lane = ref _lanes[l];
            if (lane.Trajectory < 0)
            {
                accepted[l] = 0;
                continue;
            }
            lane.Stats.FunctionEvaluations += s - 1;
            lane.NextStep = _nextSteps[l];
            if (accepted[l] != 0)
            {
                lane.Time = lane.ToEnd ? lane.End : lane.Time + lane.H;
                lane.Stats.Steps++;
                anyReached |= lane.Time == lane.End;
            }
            else lane.Stats.RejectedSteps++;
        }
        // The accepted lanes move to their candidates, one select per component (FSAL: f there is the last stage).
        TLane move = TLane.Load(accepted);
        Span<TLane> y = _y, f = _derivative;
        ReadOnlySpan<TLane> candidate = _candidate, fNew = _k.AsSpan((s - 1) * n, n);
        for (int q = 0; q < n; q++)
        {
            y[q] = TLane.Select(move, candidate[q], y[q]);
            f[q] = TLane.Select(move, fNew[q], f[q]);
        }
        // Then the lanes that reached their end hand over (End loads the next trajectory into the lane: after the move).
        if (!anyReached) return;
        for (int l = 0; l < w; l++)
        {
            ref LaneState lane = ref _lanes[l];
            if (lane.Trajectory >= 0 && accepted[l] != 0 && lane.Time == lane.End && Reached(l, lane.Trajectory) is { } status) End(l, status);
        }
    }

    private static Span<double> Lanes(TLane[] values) => MemoryMarshal.Cast<TLane, double>(values.AsSpan());
}
