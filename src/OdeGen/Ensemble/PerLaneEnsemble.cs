using OdeGen.Lanes;
using OdeGen.Solvers;

namespace OdeGen.Ensemble;

/// <summary>
/// Adaptive ensembles with a step size per lane (<see cref="EnsembleOptions.PerLaneSteps"/>): every thread runs one register
/// of trajectories through <see cref="FusedAdaptiveSteps"/>, each lane taking the next unsolved trajectory when its own ends,
/// so that lanes do not wait for the slowest trajectory of a block. Each trajectory's result is <c>Ode.Solve</c>'s, bit for
/// bit, whatever the width, the threads or which lane solved it.
/// </summary>
internal static class PerLaneEnsemble
{
    /// <summary>Checks that the problem can run with per-lane steps; throws a NotSupportedException that says why not.</summary>
    public static void Check<TSystem>(in TSystem system, EnsembleProblem problem) where TSystem : struct, IOdeLaneSystem
    {
        SolverOptions o = problem.Options;
        string why =
            system is not IOdeFusedLaneSystem ? $"{typeof(TSystem).Name} has no register form (the generator writes one for straight-line dynamics with constant state indices)"
            : o.Method is not ExplicitRungeKuttaMethod ? $"{o.Method.Name} is not an explicit Runge–Kutta method"
            : o.FixedStep is not null ? "the solve has a fixed step (lanes then share their steps anyway: leave PerLaneSteps off)"
            : !o.Method.Tableau.IsAdaptive ? $"{o.Method.Name} has no error estimate"
            : o.Method.Tableau.SecondErrorWeights is not null ? $"{o.Method.Name} combines two error estimates (Dopri5, Tsit5 or BogackiShampine3 have one)"
            : o.SaveAt is not null ? "SaveAt is set (per-lane steps return the final states only)"
            : DependsOnTime(system, problem) ? "f depends on t (the register form evaluates a whole register at one time, and each lane has its own)"
            : "";
        if (why.Length > 0)
            throw new NotSupportedException($"EnsembleOptions.PerLaneSteps: {why}. Turn PerLaneSteps off to solve this ensemble with shared steps.");
    }

    // The register form takes one t for all lanes: per-lane times are only right for f that ignores t. A probe at the start, the
    // end, between them and at NaN, for the first trajectory: any difference in any bit (NaN spreads through arithmetic on t)
    // means f reads t. A dependence the probe cannot see (a branch on t outside those times) stays the caller's responsibility.
    private static bool DependsOnTime<TSystem>(in TSystem system, EnsembleProblem problem) where TSystem : struct, IOdeSystem
    {
        int n = problem.StateCount, m = problem.ParameterCount;
        int j = Array.IndexOf(problem.InputFinite, true, 0, problem.Count);
        if (j < 0) return false;
        ReadOnlySpan<double> y = problem.Y0s.AsSpan(j * n, n), p = problem.Ps.AsSpan(problem.SharedParameters ? 0 : j * m, m);
        Span<double> first = n <= 64 ? stackalloc double[n] : new double[n], other = n <= 64 ? stackalloc double[n] : new double[n];
        system.Evaluate(problem.T0, y, p, first);
        ReadOnlySpan<double> times = [problem.T1, 0.5 * (problem.T0 + problem.T1), double.NaN, 1e300];
        foreach (double t in times)
        {
            system.Evaluate(t, y, p, other);
            for (int q = 0; q < n; q++)
                if (BitConverter.DoubleToInt64Bits(first[q]) != BitConverter.DoubleToInt64Bits(other[q])) return true;
        }
        return false;
    }

    public static void Solve<TSystem>(in TSystem system, EnsembleProblem problem, EnsembleOptions ensemble, EnsembleSolution solution)
        where TSystem : struct, IOdeLaneSystem
    {
        Check(system, problem);
        switch (solution.Width)
        {
            case LaneWidth.Lane512: Run<TSystem, Lane512>(system, problem, ensemble, solution); break;
            case LaneWidth.Lane256: Run<TSystem, Lane256>(system, problem, ensemble, solution); break;
            case LaneWidth.Lane128: Run<TSystem, Lane128>(system, problem, ensemble, solution); break;
            default: Run<TSystem, Lane1>(system, problem, ensemble, solution); break;
        }
        SumBlocks(solution);
    }

    /// <summary>Block b's work: the sum of its trajectories' (blocks of LanesPerBlock, as the shared-step solver reports them).</summary>
    public static void SumBlocks(EnsembleSolution solution)
    {
        SolverStats[] blocks = solution.BlockStats;
        blocks.AsSpan().Clear();
        for (int j = 0; j < solution.Count; j++) blocks[j / solution.LanesPerBlock].Add(solution.TrajectoryStats[j]);
    }

    private static void Run<TSystem, TLane>(in TSystem system, EnsembleProblem problem, EnsembleOptions ensemble, EnsembleSolution solution)
        where TSystem : struct, IOdeLaneSystem
        where TLane : unmanaged, ILane<TLane>
    {
        var queue = new PerLaneQueue();
        int workers = Math.Min(ensemble.MaxDegreeOfParallelism ?? Environment.ProcessorCount, (problem.Count + TLane.Count - 1) / TLane.Count);
        if (workers <= 1)
        {
            if (problem.Count > 0) new PerLaneWorker<TSystem, TLane>(system, problem, solution, queue).Run();
            return;
        }
        TSystem copy = system;
        try
        {
            Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers },
                _ => new PerLaneWorker<TSystem, TLane>(copy, problem, solution, queue).Run());
        }
        catch (AggregateException e)
        {
            // As the shared-step runner: the system's own exception, as the one-thread path throws it.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.Flatten().InnerExceptions[0]).Throw();
        }
    }
}

/// <summary>The next unsolved trajectory of a per-lane run, shared by its workers.</summary>
internal sealed class PerLaneQueue
{
    private int _next;

    /// <summary>The next trajectory's index (past the end when none is left).</summary>
    public int Take() => Interlocked.Increment(ref _next) - 1;

    /// <summary>Starts over from trajectory 0 (a worker run again on the same problem).</summary>
    public void Reset() => _next = 0;
}

/// <summary>
/// <c>Ode.Solve</c>'s start of a run on the scalar system (RungeKuttaIntegrator.Begin, StepLoop.Begin): f at the start, then
/// the automatic (or given) first step. Shared by the per-lane solve and the per-lane gradient, which starts every
/// interval between observation times this way, as the scalar discrete adjoint restarts its integrator there.
/// </summary>
internal sealed class PerLaneStart<TSystem> where TSystem : struct, IOdeSystem
{
    private readonly SolverOptions _options;
    private readonly int _order;
    private readonly double[] _f0, _y1, _f1, _atol;
    private SystemField<TSystem> _field;

    /// <param name="system">The scalar dynamics.</param>
    /// <param name="parameters">The parameters f is evaluated with (held by reference: the caller copies each trajectory's in).</param>
    /// <param name="options">The solve's options.</param>
    public PerLaneStart(in TSystem system, double[] parameters, SolverOptions options)
    {
        _options = options;
        _order = options.Method.Tableau.Order;
        int n = system.StateCount;
        _f0 = new double[n];
        _y1 = new double[n];
        _f1 = new double[n];
        _atol = StepControl.AbsoluteTolerances(options, n);
        _field = new SystemField<TSystem>(system, parameters);
    }

    /// <summary>f at the last start (<see cref="Begin"/>).</summary>
    public ReadOnlySpan<double> F0 => _f0;

    /// <summary>
    /// Evaluates f at (<paramref name="t0"/>, <paramref name="y0"/>) into <see cref="F0"/> and chooses the first step's
    /// magnitude, counting the evaluations in <paramref name="stats"/>. Returns null when the run goes on, or how it ends at
    /// its start: <see cref="OdeStatus.Success"/> for an empty interval, <see cref="OdeStatus.NonFiniteValue"/> when f is not finite.
    /// </summary>
    public OdeStatus? Begin(ReadOnlySpan<double> y0, double t0, double t1, ref SolverStats stats, out double firstStep)
    {
        firstStep = 0;
        stats.FunctionEvaluations++;
        _field.Evaluate(t0, y0, _f0);
        if (t0 == t1) return OdeStatus.Success;
        if (!StepControl.AllFinite(_f0)) return OdeStatus.NonFiniteValue;
        double direction = t1 >= t0 ? 1.0 : -1.0;
        firstStep = StepControl.InitialStep(ref _field, _options, _atol, _order, y0.Length, t0, t1, direction, y0, _f0, _y1, _f1,
            ref stats.FunctionEvaluations);
        return null;
    }
}

/// <summary>
/// One thread's register of a per-lane run: loads trajectories as <c>Ode.Solve</c> starts them (f at t0 and the automatic first
/// step, on the scalar system, <see cref="PerLaneStart{TSystem}"/>), and writes each one's row when its lane finishes it.
/// </summary>
internal sealed class PerLaneWorker<TSystem, TLane> : FusedAdaptiveRun<TLane>
    where TSystem : struct, IOdeLaneSystem
    where TLane : unmanaged, ILane<TLane>
{
    private readonly IOdeFusedLaneSystem _fused;   // boxed once per worker
    private readonly FusedStepPlan _plan;
    private readonly EnsembleProblem _problem;
    private readonly EnsembleSolution _solution;
    private readonly PerLaneQueue _queue;
    private readonly double[] _parameters, _y0;
    private readonly PerLaneStart<TSystem> _start;

    public PerLaneWorker(in TSystem system, EnsembleProblem problem, EnsembleSolution solution, PerLaneQueue queue)
        : base(problem.Options.Method.Tableau, problem.Options, problem.StateCount, problem.ParameterCount)
    {
        _fused = (IOdeFusedLaneSystem)system;
        _plan = FusedStepPlan.ForAdaptiveRun(this);
        _problem = problem;
        _solution = solution;
        _queue = queue;
        _parameters = new double[problem.ParameterCount];
        _y0 = new double[problem.StateCount];
        _start = new PerLaneStart<TSystem>(system, _parameters, problem.Options);
        Time = problem.T0;
    }

    /// <summary>Solves trajectories from the queue until none is left.</summary>
    public void Run() => _fused.FusedFixedSteps<TLane>(_plan, 0, 0, 0, default, default);

    protected override bool TryLoad(int lane)
    {
        EnsembleProblem problem = _problem;
        int n = problem.StateCount, m = problem.ParameterCount;
        double t0 = problem.T0, t1 = problem.T1;
        while (true)
        {
            int j = _queue.Take();
            if (j >= problem.Count) return false;
            problem.Y0s.AsSpan(j * n, n).CopyTo(_y0);
            problem.Ps.AsSpan(problem.SharedParameters ? 0 : j * m, m).CopyTo(_parameters);
            if (!problem.InputFinite[j])
            {
                Finish(j, _y0, t0, OdeStatus.NonFiniteValue, default);
                continue;
            }
            var stats = new SolverStats();
            if (_start.Begin(_y0, t0, t1, ref stats, out double first) is { } ended)
            {
                Finish(j, _y0, t0, ended, stats);
                continue;
            }
            Begin(lane, j, _y0, _parameters, _start.F0, t0, t1, first, stats);
            return true;
        }
    }

    protected override void Finish(int trajectory, ReadOnlySpan<double> y, double time, OdeStatus status, in SolverStats stats)
    {
        int n = _problem.StateCount;
        y.CopyTo(_solution.FinalStates.AsSpan(trajectory * n, n));
        _solution.FinalTimes[trajectory] = time;
        _solution.Statuses[trajectory] = status;
        _solution.TrajectoryStats[trajectory] = stats;
    }
}
