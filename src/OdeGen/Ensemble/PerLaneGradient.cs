using System.Runtime.InteropServices;
using OdeGen.Lanes;
using OdeGen.Solvers;

namespace OdeGen.Ensemble;

/// <summary>
/// The discrete adjoint of an ensemble solved with a step size per lane (<see cref="EnsembleOptions.PerLaneSteps"/>): each
/// trajectory's gradient is the scalar discrete adjoint's (<c>Ode.Gradient</c> with <see cref="Sensitivity.DiscreteAdjoint"/>
/// on that trajectory alone), the same bits, computed in SIMD lanes forwards and backwards.
/// </summary>
/// <remarks>
/// <para>Forward: every thread runs one register through <see cref="FusedAdaptiveSteps"/> as the per-lane solve does, each
/// lane restarting at every observation time as the scalar discrete adjoint's forward pass restarts its integrator there
/// (f at the point, a fresh first step, the controller and MaxSteps reset). Each accepted step of each lane is appended to
/// the thread's record: its size, its start state and the arguments of its live stages after the first, linked to the
/// previous step of the same trajectory (lanes change trajectories, so the steps of one trajectory are not contiguous).</para>
/// <para>Backward: the record's trajectories are swept back in lanes too, each lane with its own trajectory, step and step
/// size, one <see cref="IOdeLaneSystem.VjpLanes{TLane}"/> per live stage at the kept stage arguments; a lane whose trajectory
/// reaches t0 writes its rows and takes the next one. The pull-back through a step is the scalar discrete adjoint's
/// (<c>RungeKuttaReverse.Pull</c>) with the step size per lane; it is copied here because that one takes one h for every
/// lane, and the tests hold every lane bit for bit to the scalar discrete adjoint (PerLaneGradientTests).</para>
/// <para>Memory: the record of a thread is bounded (<see cref="EnsembleOptions.PerLaneRecordBytes"/>). A thread stops taking
/// new trajectories once its record holds a round (<see cref="DefaultRoundBytes"/>, at most half the budget), finishes those in its lanes, sweeps them back and starts over
/// with an empty record. A trajectory that would push the record past the budget stops recording and, once its forward pass
/// is done, is differentiated by the scalar discrete adjoint itself (<c>Ode.Gradient</c>, which keeps its own record of that
/// one trajectory): the same numbers, more time, and its work counted in <see cref="EnsembleGradient.BackwardEvaluations"/>.</para>
/// </remarks>
internal static class PerLaneGradient
{
    /// <summary>The record budget of one thread when the options give none: 64 MiB.</summary>
    public const long DefaultRecordBytes = 64L << 20;

    /// <summary>
    /// Where a thread closes its round when the options say nothing (at most half the budget): 4 MiB. The backward sweep
    /// reads the record in an order of its own, so a round that stays in the cache it was written to is swept back faster
    /// (10,000 Lorenz gradients, BENCHMARKS.md); a smaller round leaves lanes idle longer while its last trajectories finish.
    /// </summary>
    public const long DefaultRoundBytes = 4L << 20;

    /// <summary>Fills <paramref name="output"/> (seeded with dLdy unless <paramref name="loss"/> is given) for the checked problem.</summary>
    public static void Compute<TSystem>(in TSystem system, EnsembleProblem problem, EnsembleOptions ensemble, EnsembleGradient output,
        EnsembleObservationLoss? loss)
        where TSystem : struct, IOdeLaneSystem
    {
        switch (output.Solution.Width)
        {
            case LaneWidth.Lane512: Run<TSystem, Lane512>(system, problem, ensemble, output, loss); break;
            case LaneWidth.Lane256: Run<TSystem, Lane256>(system, problem, ensemble, output, loss); break;
            case LaneWidth.Lane128: Run<TSystem, Lane128>(system, problem, ensemble, output, loss); break;
            default: Run<TSystem, Lane1>(system, problem, ensemble, output, loss); break;
        }
    }

    private static void Run<TSystem, TLane>(in TSystem system, EnsembleProblem problem, EnsembleOptions ensemble, EnsembleGradient output,
        EnsembleObservationLoss? loss)
        where TSystem : struct, IOdeLaneSystem
        where TLane : unmanaged, ILane<TLane>
    {
        var job = new PerLaneGradientJob(problem, output, loss);
        long budget = ensemble.PerLaneRecordBytes ?? DefaultRecordBytes, round = ensemble.PerLaneRoundBytes ?? DefaultRoundBytes;
        int workers = Math.Min(ensemble.MaxDegreeOfParallelism ?? Environment.ProcessorCount, (problem.Count + TLane.Count - 1) / TLane.Count);
        if (workers <= 1)
        {
            if (problem.Count > 0) new PerLaneGradientWorker<TSystem, TLane>(system, job, budget, round).Run();
        }
        else
        {
            TSystem copy = system;
            try
            {
                Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers },
                    _ => new PerLaneGradientWorker<TSystem, TLane>(copy, job, budget, round).Run());
            }
            catch (AggregateException e)
            {
                // As the per-lane solve: the system's (or the loss's) own exception, as the one-thread path throws it.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.Flatten().InnerExceptions[0]).Throw();
            }
        }
        job.Complete();
    }
}

/// <summary>
/// What the threads of one per-lane gradient share: the problem and the result, the queue of trajectories, and per
/// trajectory the steps before each observation time and the link to its last recorded step (each trajectory is written
/// by the one thread that solves it). Reusable for calls of the same shape (<see cref="PerLaneGradientWorkspace{TSystem}"/>).
/// </summary>
internal sealed class PerLaneGradientJob
{
    private long _vjps, _backward;

    public PerLaneGradientJob(EnsembleProblem problem, EnsembleGradient output, EnsembleObservationLoss? loss)
    {
        Problem = problem;
        Output = output;
        Loss = loss;
        int count = problem.Count;
        Marks = new int[count * output.Times.Length];
        Last = new int[count];
        Steps = new int[count];
        Fallback = new bool[count];
    }

    public EnsembleProblem Problem { get; }
    public EnsembleGradient Output { get; }
    public EnsembleObservationLoss? Loss { get; set; }
    public PerLaneQueue Queue { get; } = new();
    /// <summary>Marks[j·T + i]: the steps trajectory j took before times[i].</summary>
    public int[] Marks { get; }
    /// <summary>The record index of trajectory j's last recorded step (−1: none), in the record of the thread that solved it.</summary>
    public int[] Last { get; }
    /// <summary>Trajectory j's accepted steps.</summary>
    public int[] Steps { get; }
    /// <summary>True for a trajectory that did not fit in its thread's record (differentiated by the scalar discrete adjoint).</summary>
    public bool[] Fallback { get; }

    /// <summary>Adds a thread's work (any thread).</summary>
    public void AddWork(long vjps, long backwardEvaluations)
    {
        Interlocked.Add(ref _vjps, vjps);
        Interlocked.Add(ref _backward, backwardEvaluations);
    }

    /// <summary>Starts the job over (the queue and the work; rows are overwritten by the run).</summary>
    public void Reset()
    {
        Queue.Reset();
        _vjps = _backward = 0;
    }

    /// <summary>After every thread: the work, the block statistics and, in trajectory order, the shared-θ sum and the loss.</summary>
    public void Complete()
    {
        EnsembleGradient output = Output;
        output.VjpEvaluations = _vjps;
        output.BackwardEvaluations = _backward;
        PerLaneEnsemble.SumBlocks(output.Solution);
        output.SumSharedParametersByTrajectory();
        if (output.HasLoss)
        {
            double sum = 0;
            for (int j = 0; j < output.Count; j++)
                if (output.Statuses[j] == OdeStatus.Success) sum += output.Losses[j];
            output.Loss = sum;
        }
    }
}

/// <summary>
/// One thread of a per-lane gradient: the register run forwards (recording), the record, and the register swept backwards
/// (see <see cref="PerLaneGradient"/>). All its memory is allocated in the constructor or while its record grows to the
/// longest round it has seen; a run on a problem of the same shape allocates nothing.
/// </summary>
internal sealed class PerLaneGradientWorker<TSystem, TLane> : FusedAdaptiveRun<TLane>
    where TSystem : struct, IOdeLaneSystem
    where TLane : unmanaged, ILane<TLane>
{
    private readonly TSystem _system;
    private readonly IOdeFusedLaneSystem _fused;   // boxed once per worker
    private readonly FusedStepPlan _plan;
    private readonly PerLaneGradientJob _job;
    private readonly EnsembleProblem _problem;
    private readonly double[] _times, _parameters, _y;
    private readonly PerLaneStart<TSystem> _start;
    private readonly int[] _observation;   // per lane: the observation its current interval ends at

    // The record: per step its size, start state and live stage arguments (stride doubles), and the trajectory's previous step.
    private readonly int _stride;
    private readonly int _maxSteps, _softSteps;
    private double[] _record = [];
    private int[] _previous = [];
    private int _used;
    private int[] _round = new int[16];   // the trajectories of this round, in the order they were taken
    private int _roundCount;
    private bool _closed;

    // The backward register.
    private readonly TLane[] _ry, _rStages, _lambda, _pBar, _rp, _yBar, _kBar;
    private readonly double[] _rh;
    private readonly int[] _rTrajectory, _rCursor, _rOrdinal, _rNext;
    private long _vjps, _backward;

    public PerLaneGradientWorker(in TSystem system, PerLaneGradientJob job, long recordBytes, long roundBytes)
        : base(job.Problem.Options.Method.Tableau, job.Problem.Options, job.Problem.StateCount, job.Problem.ParameterCount)
    {
        EnsembleProblem problem = job.Problem;
        int n = problem.StateCount, m = problem.ParameterCount, w = TLane.Count, s = Stages;
        _system = system;
        _fused = (IOdeFusedLaneSystem)system;
        _plan = FusedStepPlan.ForAdaptiveRun(this);
        _job = job;
        _problem = problem;
        _times = job.Output.Times;
        _parameters = new double[m];
        _y = new double[n];
        _start = new PerLaneStart<TSystem>(system, _parameters, problem.Options);
        _observation = new int[w];
        Time = problem.T0;
        RecordStages();
        _stride = 1 + (1 + StageRows) * n;
        long stepBytes = sizeof(double) * (long)_stride + sizeof(int);
        _maxSteps = (int)Math.Min(int.MaxValue / _stride, Math.Max(recordBytes, 0) / stepBytes);
        _softSteps = (int)Math.Min(_maxSteps / 2, Math.Max(roundBytes, 0) / stepBytes);
        _ry = new TLane[n];
        _rStages = new TLane[Math.Max(StageRows * n, 1)];
        _lambda = new TLane[n];
        _pBar = new TLane[m];
        _rp = new TLane[m];
        _yBar = new TLane[n];
        _kBar = new TLane[s * n];
        _rh = new double[w];
        _rTrajectory = new int[w];
        _rCursor = new int[w];
        _rOrdinal = new int[w];
        _rNext = new int[w];
    }

    /// <summary>Differentiates trajectories from the job's queue until none is left, one round (a record's worth) at a time.</summary>
    public void Run()
    {
        do
        {
            _closed = false;
            _used = 0;
            _roundCount = 0;
            _fused.FusedFixedSteps<TLane>(_plan, 0, 0, 0, default, default);   // the round's forward pass (FusedAdaptiveSteps)
            Reverse();
        }
        while (_closed);
        _job.AddWork(_vjps, _backward);
        _vjps = _backward = 0;
    }

    protected override bool TryLoad(int lane)
    {
        if (_closed) return false;
        if (_roundCount > 0 && _used >= _softSteps)
        {
            // Half the budget is used: the lanes finish what they hold, the round is swept back, and the next round starts.
            _closed = true;
            return false;
        }
        EnsembleProblem problem = _problem;
        int n = problem.StateCount, m = problem.ParameterCount, times = _times.Length;
        double t0 = problem.T0;
        while (true)
        {
            int j = _job.Queue.Take();
            if (j >= problem.Count) return false;
            problem.Y0s.AsSpan(j * n, n).CopyTo(_y);
            problem.Ps.AsSpan(problem.SharedParameters ? 0 : j * m, m).CopyTo(_parameters);
            _job.Last[j] = -1;
            _job.Steps[j] = 0;
            _job.Fallback[j] = false;
            if (!problem.InputFinite[j])
            {
                Finish(j, _y, t0, OdeStatus.NonFiniteValue, default);
                continue;
            }
            AddToRound(j);
            // Observations at t0 take y0 (no step before them); the first interval runs to the first time after t0.
            int i = 0;
            for (; i < times && _times[i] == t0; i++) Observe(j, i, _y);
            if (i == times)
            {
                Finish(j, _y, t0, OdeStatus.Success, default);
                continue;
            }
            var stats = new SolverStats();
            if (_start.Begin(_y, t0, _times[i], ref stats, out double first) is { } ended)
            {
                Finish(j, _y, t0, ended, stats);
                continue;
            }
            _observation[lane] = i;
            Begin(lane, j, _y, _parameters, _start.F0, t0, _times[i], first, stats);
            return true;
        }
    }

    // The lane's interval ends at an observation: keep the state there; restart towards the next time as the scalar
    // discrete adjoint's forward pass restarts its integrator (ObservationShell.SolveToObservations).
    protected override OdeStatus? Reached(int lane, int trajectory)
    {
        int i = _observation[lane], n = _problem.StateCount, m = _problem.ParameterCount;
        StateOf(lane, _y);
        Observe(trajectory, i, _y);
        if (++i == _times.Length) return OdeStatus.Success;
        _problem.Ps.AsSpan(_problem.SharedParameters ? 0 : trajectory * m, m).CopyTo(_parameters);
        SolverStats stats = StatsOf(lane);
        long before = stats.FunctionEvaluations;
        if (_start.Begin(_y, _times[i - 1], _times[i], ref stats, out double first) is { } ended)
        {
            AddEvaluations(lane, stats.FunctionEvaluations - before);
            return ended;
        }
        _observation[lane] = i;
        Begin(lane, trajectory, _y, _parameters, _start.F0, _times[i - 1], _times[i], first, stats);
        return null;
    }

    private void Observe(int trajectory, int i, ReadOnlySpan<double> y)
    {
        int n = _problem.StateCount, times = _times.Length;
        y.CopyTo(_job.Output.States.AsSpan((trajectory * times + i) * n, n));
        _job.Marks[trajectory * times + i] = _job.Steps[trajectory];
    }

    protected override void Accepted(int lane, int trajectory, double h)
    {
        if (_job.Fallback[trajectory]) return;
        if (_used == _previous.Length && !Grow())
        {
            // Past the budget: this trajectory records no more; the scalar discrete adjoint differentiates it after its forward pass.
            _job.Fallback[trajectory] = true;
            return;
        }
        int e = _used++, n = StateCount, w = TLane.Count;
        Span<double> step = _record.AsSpan(e * _stride, _stride);
        step[0] = h;
        ReadOnlySpan<double> y = MemoryMarshal.Cast<TLane, double>(Y), stages = MemoryMarshal.Cast<TLane, double>(PendingStages);
        for (int q = 0; q < n; q++) step[1 + q] = y[q * w + lane];
        for (int r = 0; r < StageRows * n; r++) step[1 + n + r] = stages[r * w + lane];
        _previous[e] = _job.Last[trajectory];
        _job.Last[trajectory] = e;
        _job.Steps[trajectory]++;
    }

    private bool Grow()
    {
        if (_previous.Length >= _maxSteps) return false;
        int steps = (int)Math.Min(_maxSteps, Math.Max(256L, 2L * _previous.Length));
        Array.Resize(ref _record, steps * _stride);
        Array.Resize(ref _previous, steps);
        return true;
    }

    private void AddToRound(int trajectory)
    {
        if (_roundCount == _round.Length) Array.Resize(ref _round, 2 * _round.Length);
        _round[_roundCount++] = trajectory;
    }

    protected override void Finish(int trajectory, ReadOnlySpan<double> y, double time, OdeStatus status, in SolverStats stats)
    {
        EnsembleGradient output = _job.Output;
        EnsembleSolution solution = output.Solution;
        int n = _problem.StateCount, m = _problem.ParameterCount, rows = _times.Length * n;
        y.CopyTo(solution.FinalStates.AsSpan(trajectory * n, n));
        solution.FinalTimes[trajectory] = time;
        solution.Statuses[trajectory] = status;
        solution.TrajectoryStats[trajectory] = stats;
        if (status != OdeStatus.Success)
        {
            // As the shared-step gradient: NaN rows for a trajectory that did not reach the last time.
            output.Y0.AsSpan(trajectory * n, n).Fill(double.NaN);
            output.Parameters.AsSpan(trajectory * m, m).Fill(double.NaN);
            return;
        }
        if (_job.Loss is { } loss)
        {
            Span<double> dLdy = output.DLdy.AsSpan(trajectory * rows, rows);
            dLdy.Clear();
            output.Losses[trajectory] = loss(trajectory, output.States.AsSpan(trajectory * rows, rows), dLdy);
            Guard.FiniteLoss(output.Losses[trajectory], dLdy, n, trajectory);
        }
    }

    // The backward sweep of the round: every lane takes a recorded trajectory, reverses its steps from the last, adding
    // ∂L/∂y(times[i]) just before the last step that precedes times[i] (the scalar discrete adjoint adds row i before
    // reversing interval i), and at t0 writes its rows and takes the next trajectory.
    private void Reverse()
    {
        int w = TLane.Count, take = 0, active = 0;
        for (int l = 0; l < w; l++)
            if (LoadReverse(l, ref take)) active++;
        int times = _times.Length;
        while (active > 0)
        {
            for (int l = 0; l < w; l++)
            {
                int j = _rTrajectory[l];
                if (j < 0) continue;
                for (; _rNext[l] >= 0 && _job.Marks[j * times + _rNext[l]] > _rOrdinal[l]; _rNext[l]--) Seed(l, j, _rNext[l]);
            }
            Gather();
            ReverseStep();
            for (int l = 0; l < w; l++)
            {
                if (_rTrajectory[l] < 0) continue;
                _rCursor[l] = _previous[_rCursor[l]];
                if (--_rOrdinal[l] >= 0) continue;
                Complete(l);
                if (!LoadReverse(l, ref take)) active--;
            }
        }
    }

    // Puts the round's next successful trajectory into backward lane l (λ and p̄ zero, its θ); trajectories without steps
    // (every time at t0) and those past the budget are finished on the way.
    private bool LoadReverse(int l, ref int take)
    {
        EnsembleProblem problem = _problem;
        int n = problem.StateCount, m = problem.ParameterCount, w = TLane.Count;
        Span<double> lambda = MemoryMarshal.Cast<TLane, double>(_lambda.AsSpan()), pBar = MemoryMarshal.Cast<TLane, double>(_pBar.AsSpan()),
            p = MemoryMarshal.Cast<TLane, double>(_rp.AsSpan());
        while (take < _roundCount)
        {
            int j = _round[take++];
            if (_job.Output.Statuses[j] != OdeStatus.Success) continue;
            if (_job.Fallback[j])
            {
                ScalarGradient(j);
                continue;
            }
            _rTrajectory[l] = j;
            _rCursor[l] = _job.Last[j];
            _rOrdinal[l] = _job.Steps[j] - 1;
            _rNext[l] = _times.Length - 1;
            for (int q = 0; q < n; q++) lambda[q * w + l] = 0;
            ReadOnlySpan<double> theta = problem.Ps.AsSpan(problem.SharedParameters ? 0 : j * m, m);
            for (int k = 0; k < m; k++)
            {
                pBar[k * w + l] = 0;
                p[k * w + l] = theta[k];
            }
            if (_rOrdinal[l] >= 0) return true;
            Complete(l);
        }
        _rTrajectory[l] = -1;
        return false;
    }

    // λ_l += ∂L/∂y(times[i]) of trajectory j, lane l alone (the scalar adjoint's own additions).
    private void Seed(int l, int j, int i)
    {
        int n = _problem.StateCount, w = TLane.Count;
        Span<double> lambda = MemoryMarshal.Cast<TLane, double>(_lambda.AsSpan());
        ReadOnlySpan<double> seed = _job.Output.DLdy.AsSpan((j * _times.Length + i) * n, n);
        for (int q = 0; q < n; q++) lambda[q * w + l] += seed[q];
    }

    // Lane l's trajectory is back at t0: the observations there, then its rows of dL/dy0 and dL/dθ.
    private void Complete(int l)
    {
        int j = _rTrajectory[l], n = _problem.StateCount, m = _problem.ParameterCount, w = TLane.Count;
        for (; _rNext[l] >= 0; _rNext[l]--) Seed(l, j, _rNext[l]);
        ReadOnlySpan<double> lambda = MemoryMarshal.Cast<TLane, double>(_lambda.AsSpan()), pBar = MemoryMarshal.Cast<TLane, double>(_pBar.AsSpan());
        Span<double> y0 = _job.Output.Y0.AsSpan(j * n, n), parameters = _job.Output.Parameters.AsSpan(j * m, m);
        bool finite = true;
        for (int q = 0; q < n; q++) finite &= double.IsFinite(y0[q] = lambda[q * w + l]);
        for (int k = 0; k < m; k++) finite &= double.IsFinite(parameters[k] = pBar[k * w + l]);
        if (!finite)
        {
            // A derivative of f was NaN or ∞ where f was finite (the reverse sweep has no error control to see it): a failure,
            // as the scalar discrete adjoint reports it, not rows returned with Success.
            _job.Output.Statuses[j] = OdeStatus.NonFiniteValue;
            y0.Fill(double.NaN);
            parameters.Fill(double.NaN);
        }
        _rTrajectory[l] = -1;
    }

    // Each active lane's step: its size, start state and stage arguments from the record into the lanes. An idle lane keeps
    // the values it had (finite) with h = 0; its results are discarded.
    private void Gather()
    {
        int n = StateCount, w = TLane.Count, stageValues = StageRows * n;
        Span<double> y = MemoryMarshal.Cast<TLane, double>(_ry.AsSpan()), stages = MemoryMarshal.Cast<TLane, double>(_rStages.AsSpan());
        for (int l = 0; l < w; l++)
        {
            if (_rTrajectory[l] < 0)
            {
                _rh[l] = 0;
                continue;
            }
            ReadOnlySpan<double> step = _record.AsSpan(_rCursor[l] * _stride, _stride);
            _rh[l] = step[0];
            for (int q = 0; q < n; q++) y[q * w + l] = step[1 + q];
            for (int r = 0; r < stageValues; r++) stages[r * w + l] = step[1 + n + r];
        }
    }

    // The pull-back of one step in every lane, each with its own h: RungeKuttaReverse.Pull's operations in its order, lane by
    // lane the same IEEE operations (h·b_i and h·a_ij are each one product, as the scalar's h * b[i]), without time derivatives.
    private void ReverseStep()
    {
        int n = StateCount, s = Stages;
        ButcherTableau tableau = Tableau;
        double[] a = tableau.A, b = tableau.B;
        bool[] live = tableau.Terms.Live;
        ReadOnlySpan<int> slots = StageSlots;
        TLane h = TLane.Load(_rh);
        Span<TLane> lambda = _lambda, kBar = _kBar, yBar = _yBar;
        for (int i = 0; i < s; i++)
        {
            TLane weight = h * TLane.Create(b[i]);
            Span<TLane> kBarI = kBar.Slice(i * n, n);
            for (int q = 0; q < n; q++) kBarI[q] = weight * lambda[q];
        }
        for (int i = s - 1; i >= 0; i--)
        {
            if (!live[i]) continue;
            ReadOnlySpan<TLane> argument = i == 0 ? _ry : _rStages.AsSpan(slots[i] * n, n);
            yBar.Clear();
            _system.VjpLanes(Time, argument, _rp, kBar.Slice(i * n, n), yBar, _pBar);   // f does not depend on t (checked)
            _vjps++;
            for (int q = 0; q < n; q++) lambda[q] = lambda[q] + yBar[q];
            for (int j = 0; j < i; j++)
            {
                double aij = a[i * s + j];
                if (aij == 0) continue;
                Span<TLane> kBarJ = kBar.Slice(j * n, n);
                TLane weight = h * TLane.Create(aij);
                for (int q = 0; q < n; q++) kBarJ[q] = kBarJ[q] + weight * yBar[q];
            }
        }
    }

    // The documented fallback past the record budget: the scalar discrete adjoint of the trajectory (its own forward pass
    // again, the same steps), whose rows are the ones the lanes would have written.
    private void ScalarGradient(int j)
    {
        EnsembleProblem problem = _problem;
        int n = problem.StateCount, m = problem.ParameterCount, rows = _times.Length * n;
        OdeGradient g = Ode.Gradient(_system, problem.Y0s.AsSpan(j * n, n), problem.Ps.AsSpan(problem.SharedParameters ? 0 : j * m, m),
            problem.T0, _times, _job.Output.DLdy.AsSpan(j * rows, rows), Sensitivity.DiscreteAdjoint, problem.Options);
        g.Y0.AsSpan(0, n).CopyTo(_job.Output.Y0.AsSpan(j * n, n));
        g.Parameters.AsSpan(0, m).CopyTo(_job.Output.Parameters.AsSpan(j * m, m));
        if (!g.IsSuccess) _job.Output.Statuses[j] = g.Status;   // its NaN rows are a failure, as the lanes' are (Complete)
        _vjps += g.Stats.VjpEvaluations;
        _backward += g.Stats.FunctionEvaluations;
    }
}
