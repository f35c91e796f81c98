using OdeGen.Lanes;
using OdeGen.Solvers;

namespace OdeGen.Ensemble;

// Fused fixed steps (EnsembleOptions.FusedSteps, IOdeFusedLaneSystem): runs of ordinary fixed steps go to the
// generated stepper, which keeps each register's stages in registers; everything else (the first and last steps,
// steps that reach a save time, lanes that fail) stays with the general step. With fusion on, the general step's
// sums are fused multiply-adds over every weight of the tableau, in the stepper's order (RungeKuttaKernel.FusedStep), so both paths compute the
// same bits and a run's results do not depend on where it switched (nor, therefore, on the width or the block).
internal sealed partial class LaneBlockSolver<TSystem, TLane>
{
    // Steps per call of the fused stepper: long enough that the call, the copies in and out of the run array and the
    // endpoint derivative vanish against the steps; short enough that a replay after a failure costs little.
    private const int FusedChunk = 128;

    private readonly IOdeFusedLaneSystem? _fusedSystem;   // boxed once per solver (construction), never per step
    private readonly FusedStepPlan? _forwardPlan, _backwardPlan;
    private readonly TLane[] _fusedRun = [];              // a run's states, then its parameters (see TryFusedSteps)
    private bool _fma;                                    // this block's sums are fused multiply-adds
    private long _replayUntil;                            // fixed steps before this count go through the general step
    private int _validLanes;

    private bool CanFuse => _fusedSystem is not null;

    /// <summary>The steps of the last block that the fused stepper took (the others went through the general step).</summary>
    public long FusedStepCount { get; private set; }

    // Called by the constructor: decides whether this solver may fuse, and builds its plans.
    private static FusedStepPlan? FusedPlan(ButcherTableau tableau, SolverOptions options, double sign) =>
        options.FixedStep is { } h ? FusedStepPlan.For(tableau, sign * h) : null;

    // Before each block: fuse only without a tape (gradients replay the unfused forward arithmetic).
    private void StartFused(int validLanes)
    {
        _fma = CanFuse && Observer is null;
        _replayUntil = 0;
        _validLanes = validLanes;
        FusedStepCount = 0;
    }

    // Takes a run of fused steps when one is due; true when it did (the block then stands after the run).
    private bool TryFusedSteps(EnsembleSolution output)
    {
        if (!_fma || _live != _validLanes || _fixedSteps < _replayUntil) return false;
        int k = FusibleSteps(output);
        if (k < 2) return false;
        FusedStepPlan plan = _direction > 0 ? _forwardPlan! : _backwardPlan!;
        // The run works on a copy of the block's states and parameters side by side in one array, so the states stay as
        // they were if the run has to be undone, and the layout is the same for every block and call. With the solver's
        // separate arrays the time of 10,000 Lorenz trajectories went from 9.5 to 12.5 ms from one process to the next
        // (likely 4 KB aliasing: arrays a multiple of 4 KB apart, where the loads of one wait on the stores to the
        // other); with one array it is 8.4-9.0 ms in every process.
        int gn = _g * _n;
        Span<TLane> y = _fusedRun.AsSpan(0, gn), p = _fusedRun.AsSpan(gn);
        _y.AsSpan().CopyTo(y);
        _p.AsSpan().CopyTo(p);
        TLane bad = _fusedSystem!.FusedFixedSteps(plan, _t0, _fixedSteps, k, y, p);
        double tNew = _t0 + (_fixedSteps + k) * plan.H;
        // The general step leaves f(t_new, y_new) in _fNext; compute it aside, and keep the run only if all is finite.
        for (int g = 0; g < _g; g++)
            _system.EvaluateLanes(tNew, y.Slice(g * _n, _n), p.Slice(g * _m, _m), _fTrial.AsSpan(g * _n, _n));
        foreach (TLane v in _fTrial) bad += v - v;
        if (!TLane.AllFinite(bad))
        {
            // Some lane failed inside the run: drop it, and let the general step take these steps and retire the lane.
            _replayUntil = _fixedSteps + k;
            return false;
        }
        y.CopyTo(_y);
        (_fNext, _fTrial) = (_fTrial, _fNext);
        _previousTime = _t0 + (_fixedSteps + k - 1) * plan.H;
        _time = tNew;
        _fixedSteps += k;
        FusedStepCount += k;
        _attempts += k;
        _stats.Steps += k;
        _stats.FunctionEvaluations += (long)k * _tableau.Stages;
        _extraStagesReady = false;
        return true;
    }

    // How many of the next steps the general step would take as plain full steps: h the fixed step (not clamped to
    // the end or by MaxStep, not below the minimum), no save time reached, within MaxSteps.
    private int FusibleSteps(EnsembleSolution output)
    {
        long budget = _options.MaxSteps - _attempts;
        int limit = (int)Math.Min(FusedChunk, Math.Max(budget, 0));
        // Every condition is monotone along the run (the remaining time shrinks while it is positive, the save time comes
        // nearer, |t| and with it the minimum step are largest at an end), so a whole run is plain when its first and last steps are; only
        // the run that meets the end or a save time is counted step by step.
        if (limit >= 2 && PlainStep(output, 0) && PlainStep(output, limit - 1)) return limit;
        int k = 0;
        while (k < limit && PlainStep(output, k)) k++;
        return k;
    }

    // Whether the general step would take step _fixedSteps + j (from its start time) as a plain full step.
    private bool PlainStep(EnsembleSolution output, int j)
    {
        double hs = _direction * _options.FixedStep!.Value;
        double time = j == 0 ? _time : _t0 + (_fixedSteps + j) * hs;
        // Past the end ClampToEnd measures |t_end − t| and would allow a full step again: not monotone there.
        if (_direction * (_tEnd - time) <= 0) return false;
        double h = StepControl.ClampToEnd(_h, time, _tEnd, _direction, _options.MaxStep);
        if (h != hs || h == _tEnd - time || Math.Abs(h) < StepControl.MinimumStep(_options.MinStep, time)) return false;
        double tNew = _t0 + (_fixedSteps + j + 1) * hs;
        double[] saveAt = output.SaveAt;
        return _nextSave >= saveAt.Length || _direction * (saveAt[_nextSave] - tNew) > 0;
    }
}
