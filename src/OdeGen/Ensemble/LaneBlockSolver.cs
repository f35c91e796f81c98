using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using OdeGen.Lanes;
using OdeGen.Solvers;

namespace OdeGen.Ensemble;

/// <summary>
/// Solves one block of trajectories at a time with an explicit Runge–Kutta tableau, one trajectory per lane, in
/// structure-of-arrays form: a block is <see cref="EnsembleLayout.Registers"/> registers of <c>TLane.Count</c> lanes, register g's
/// states at <c>y[g·n .. g·n + n)</c> (<c>y[g·n + q]</c> holds state q of register g's lanes). Fixed-step solves put
/// several registers in a block so that their independent arithmetic overlaps in the CPU (a single register's RK step
/// is one long dependency chain); adaptive solves use one, so fewer lanes share each step. The step is shared by the lanes;
/// for adaptive methods its error is the largest of the lanes' error norms (each the scalar solver's norm), so every
/// lane meets its own tolerance. One instance per worker: all workspace is allocated in the constructor, a step
/// allocates nothing.
/// </summary>
/// <remarks>
/// The arithmetic is the scalar integrator's: both call <see cref="RungeKuttaKernel{TLane}"/> (stages, candidate, error
/// norm, dense output), so with one lane the step sequence and the states equal the scalar solver's. Lanes that fail
/// (non-finite values, a step the lane cannot take) retire with their own status and stop counting in the shared
/// decisions; padding lanes of the last block carry a copy of a real trajectory and are never reported.
/// </remarks>
internal sealed partial class LaneBlockSolver<TSystem, TLane>
    where TSystem : struct, IOdeLaneSystem
    where TLane : unmanaged, ILane<TLane>
{
    private readonly TSystem _system;
    private EnsembleProblem _problem;   // replaced by Rebind between calls of the same shape
    private readonly SolverOptions _options;
    private readonly ButcherTableau _tableau;
    private readonly int _n, _m, _w, _g, _lanes;   // states, parameters, lanes per register, registers, lanes per block
    private readonly TLane[] _k, _ySave, _p;
    // Rotated, not copied, when a step is accepted (see Accept).
    private TLane[] _y, _yPrev, _yStage, _fNext, _fPrev, _fTrial;
    private readonly RungeKuttaKernel<TLane> _kernel;   // the Runge–Kutta arithmetic, shared with the scalar integrator
    private readonly IOdeLaneSystemKept? _keptSystem;   // the system once boxed, when it keeps primal values for a tape (else null)
    private readonly double[] _atol;
    private readonly double[] _scratch, _scratch2, _measured, _laneError;
    private readonly bool[] _alive, _valid;
    private readonly bool _fixed;
    private StepSizeController _controller;
    private double _time, _previousTime, _h, _t0, _tEnd, _direction;
    private long _attempts, _fixedSteps;
    private int _block, _nextSave, _live;
    private bool _anyNonFinite;        // the last attempt (or endpoint derivative) had a non-finite value in some lane
    private bool _extraStagesReady;
    private SolverStats _stats;

    public LaneBlockSolver(in TSystem system, EnsembleProblem problem)
    {
        _system = system;
        _problem = problem;
        _options = problem.Options;
        _tableau = _options.Method.Tableau;
        _n = problem.StateCount;
        _m = problem.ParameterCount;
        _w = TLane.Count;
        _g = EnsembleLayout.Registers(_options);
        _lanes = _g * _w;
        _fixed = _options.FixedStep is not null;
        int gn = _g * _n;
        _k = new TLane[_tableau.DenseStages * gn];
        _y = new TLane[gn];
        _yPrev = new TLane[gn];
        _yStage = new TLane[gn];
        _fNext = new TLane[gn];
        _fPrev = new TLane[gn];
        _fTrial = new TLane[gn];
        _ySave = new TLane[gn];
        _p = new TLane[_g * _m];
        _atol = StepControl.AbsoluteTolerances(_options, _n);
        _scratch = new double[_lanes];
        _scratch2 = new double[_lanes];
        _measured = new double[_lanes];
        _laneError = new double[_lanes];
        _alive = new bool[_lanes];
        _valid = new bool[_lanes];
        _kernel = new RungeKuttaKernel<TLane>(_tableau);
        _controller = new StepSizeController(_options, _tableau);
        if (system is IOdeLaneSystemKept keeping) _keptSystem = keeping;
        if (problem.FusedSteps && system is IOdeFusedLaneSystem fused && FusedPlan(_tableau, _options, 1.0) is { } forward)
        {
            _fusedSystem = fused;
            _fusedRun = new TLane[_g * (_n + _m)];
            _forwardPlan = forward;
            _backwardPlan = FusedPlan(_tableau, _options, -1.0);
        }
    }

    /// <summary>
    /// Solves the blocks of <paramref name="problem"/> from now on: a later call's problem of the shape this solver was
    /// made for (its options instance, sizes and fused-step choice; what the constructor derived from the problem), so
    /// that a kept solver serves the next call (<see cref="KeptEnsembleWorkers{TSystem, TLane}"/>). Everything a block
    /// reads of the problem — inputs, count, t0, t1 — is read when the block starts.
    /// </summary>
    public void Rebind(EnsembleProblem problem)
    {
        System.Diagnostics.Debug.Assert(ReferenceEquals(problem.Options, _options) && problem.StateCount == _n && problem.ParameterCount == _m
            && problem.FusedSteps == _problem.FusedSteps);
        _problem = problem;
    }

    /// <summary>Registers per block of this solver.</summary>
    public int RegisterCount => _g;

    /// <summary>Sees each accepted step when set (a gradient's tape); a solve without one records nothing.</summary>
    public IStepObserver<TLane>? Observer { get; set; }

    /// <summary>The parameters of the block being solved (register g's parameter j at <c>P[g·m + j]</c>).</summary>
    public ReadOnlySpan<TLane> P => _p;
    /// <summary>The current state of every lane.</summary>
    public ReadOnlySpan<TLane> State => _y;
    /// <summary>The statuses the last block's lanes ended with (padding lanes: Success, never reported).</summary>
    public OdeStatus[] LaneStatus { get; private set; } = [];
    /// <summary>The work of the last block.</summary>
    public SolverStats Stats => _stats;

    /// <summary>Solves block <paramref name="block"/> and writes its valid lanes' rows of <paramref name="output"/>.</summary>
    public void SolveBlock(int block, EnsembleSolution output)
    {
        if (LaneStatus.Length != _lanes) LaneStatus = new OdeStatus[_lanes];
        _block = block;
        Load(block);
        Reset(output, _problem.T1);
        while (AnyAlive() && Step(output)) { }
        for (int l = 0; l < _lanes; l++)
            if (_alive[l]) Retire(l, OdeStatus.Success, output);
        output.BlockStats[block] = _stats;
    }

    // Lane L of the block is lane L mod w of register L / w.
    private int Trajectory(int lane) => _block * _lanes + lane;

    private void Load(int block)
    {
        int n = _n, m = _m, count = _problem.Count;
        double[] y0s = _problem.Y0s, ps = _problem.Ps;
        int first = block * _lanes;
        for (int l = 0; l < _lanes; l++)
        {
            int j = first + l;
            _valid[l] = j < count;
            _alive[l] = _valid[l];
            LaneStatus[l] = OdeStatus.Success;
        }
        _live = Math.Min(_lanes, count - first);
        StartFused(_live);
        // Padding lanes solve a copy of the block's first trajectory: finite, typical values, discarded.
        Span<double> lane = _scratch.AsSpan(0, _w);
        for (int g = 0; g < _g; g++)
        {
            int firstOfRegister = first + g * _w;
            for (int q = 0; q < n; q++)
            {
                for (int l = 0; l < _w; l++) lane[l] = y0s[Source(first, firstOfRegister + l) * n + q];
                _y[g * n + q] = TLane.Load(lane);
            }
            for (int k = 0; k < m; k++)
            {
                if (_problem.SharedParameters)
                {
                    _p[g * m + k] = TLane.Create(ps[k]);
                    continue;
                }
                for (int l = 0; l < _w; l++) lane[l] = ps[Source(first, firstOfRegister + l) * m + k];
                _p[g * m + k] = TLane.Load(lane);
            }
        }
    }

    private int Source(int first, int trajectory) => trajectory < _problem.Count ? trajectory : first;

    // Starts the block at t0 towards tEnd (t1, or the first observation time of LaneBlockSolver.Observations.cs).
    private void Reset(EnsembleSolution output, double tEnd)
    {
        _stats = default;
        _t0 = _time = _previousTime = _problem.T0;
        _tEnd = tEnd;
        _direction = _tEnd >= _t0 ? 1.0 : -1.0;
        _controller.Reset();
        _attempts = 0;
        _fixedSteps = 0;
        _extraStagesReady = false;
        _nextSave = 0;
        _laneError.AsSpan().Clear();   // no attempt yet: nothing to blame on a lane if the first step is already too small
        _anyNonFinite = false;
        Observer?.Started();
        _y.AsSpan().CopyTo(_yPrev);
        EvaluateAtStart(_t0);
        _fNext.AsSpan().CopyTo(_fPrev);
        for (int l = 0; l < _lanes; l++)
            if (_alive[l] && !_problem.InputFinite[Trajectory(l)]) Retire(l, OdeStatus.NonFiniteValue, output);
        SaveThrough(_t0, output, atStart: true);
        if (_t0 == _tEnd) return;
        LaneFinite(_fNext, _scratch);
        for (int l = 0; l < _lanes; l++)
            if (_alive[l] && _scratch[l] != 0) Retire(l, OdeStatus.NonFiniteValue, output);
        if (!AnyAlive()) return;
        _h = _direction * InitialStepMagnitude();
    }

    private int LiveLanes() => _live;

    private bool AnyAlive() => _live > 0;

    // One accepted shared step (retrying rejected attempts); false when the block is done.
    private bool Step(EnsembleSolution output)
    {
        if (_time == _tEnd) return false;
        if (_fixed && TryFusedSteps(output)) return true;
        while (true)
        {
            if (_attempts >= _options.MaxSteps)
            {
                RetireAll(OdeStatus.MaxStepsExceeded, output);
                return false;
            }
            double h = StepControl.ClampToEnd(_h, _time, _tEnd, _direction, _options.MaxStep);
            bool toEnd = h == _tEnd - _time;
            if (!toEnd && Math.Abs(h) < StepControl.MinimumStep(_options.MinStep, _time))
            {
                // The lanes that forced the step down retire: those whose last attempt failed (non-finite, or error
                // above 1), else the one with the largest error, which shrank the step through accepted steps. The
                // others go on with a first step chosen afresh for them at the current point.
                bool retired = false;
                if (!_fixed && LiveLanes() > 1)
                {
                    int worst = -1;
                    for (int l = 0; l < _lanes; l++)
                    {
                        if (!_alive[l]) continue;
                        double e = _laneError[l];
                        if (double.IsNaN(e)) { Retire(l, OdeStatus.NonFiniteValue, output); retired = true; }
                        else if (e > 1.0) { Retire(l, OdeStatus.StepSizeTooSmall, output); retired = true; }
                        else if (worst < 0 || e > _laneError[worst]) worst = l;
                    }
                    if (!retired && worst >= 0)
                    {
                        Retire(worst, OdeStatus.StepSizeTooSmall, output);
                        retired = true;
                    }
                }
                if (!retired || !AnyAlive())
                {
                    RetireAll(_controller.LastWasNonFinite ? OdeStatus.NonFiniteValue : OdeStatus.StepSizeTooSmall, output);
                    return false;
                }
                _controller.Reset();
                _h = _direction * InitialStepMagnitude();
                continue;
            }
            _attempts++;
            Attempt(h);
            double tNew = NewTime(h, toEnd);
            if (_fixed)
            {
                // RungeKuttaIntegrator's rule: the last step leaves f at its end unevaluated unless a save time inside it
                // needs the end's slope (Hermite output); no later step needs it (a restart evaluates f afresh). When it is
                // read there and is not finite, the step's finite end stands and the lane fails after it, as the scalar
                // solve does (final time t1, the step counted).
                // A lane whose stages failed retires before f at the end is evaluated, as the scalar solve stops there.
                bool last = tNew == _tEnd, endpoint = !_tableau.IsFsal && (!last || SaveBefore(output, tNew));
                RetireNonFinite(output);
                if (!AnyAlive()) return false;
                if (endpoint && !last)
                {
                    EndpointDerivative(tNew);
                    RetireNonFinite(output);
                    if (!AnyAlive()) return false;
                }
                if (endpoint && last) EndpointDerivative(tNew);
                Accept(tNew, h, output);
                if (endpoint && last) RetireNonFinite(output);
                _h = _options.FixedStep!.Value * _direction;
                return true;
            }
            double error = SharedError();
            if (error <= 1.0 && !_tableau.IsFsal)
            {
                EndpointDerivative(tNew);
                error = SharedError();
            }
            if (_controller.Decide(error, h, out double hNext))
            {
                Accept(tNew, h, output);
                _h = hNext;
                return true;
            }
            _stats.RejectedSteps++;
            _h = hNext;
        }
    }

    // Retires the live lanes whose last attempt or endpoint derivative was not finite (a fixed step's lanes fail at once).
    private void RetireNonFinite(EnsembleSolution output)
    {
        if (!_anyNonFinite) return;
        for (int l = 0; l < _lanes; l++)
            if (_alive[l] && double.IsNaN(_laneError[l])) Retire(l, OdeStatus.NonFiniteValue, output);
    }

    // The largest error norm of the live lanes; NaN when one of them is not finite.
    private double SharedError()
    {
        double max = 0;
        for (int l = 0; l < _lanes; l++)
        {
            if (!_alive[l]) continue;
            double e = _laneError[l];
            if (double.IsNaN(e)) return double.NaN;
            if (e > max) max = e;
        }
        return max;
    }

    private void RetireAll(OdeStatus status, EnsembleSolution output)
    {
        for (int l = 0; l < _lanes; l++)
            if (_alive[l]) Retire(l, status, output);
    }

    // A lane leaves the block: its row gets the last accepted state and time, its status and the block's work so far.
    private void Retire(int lane, OdeStatus status, EnsembleSolution output)
    {
        if (_alive[lane]) _live--;
        _alive[lane] = false;
        LaneStatus[lane] = status;
        if (!_valid[lane]) return;
        int j = Trajectory(lane), n = _n, g = lane / _w, l = lane % _w;
        Span<double> row = output.FinalStates.AsSpan(j * n, n);
        for (int q = 0; q < n; q++) row[q] = TLane.GetLane(_y[g * n + q], l);
        output.FinalTimes[j] = _time;
        output.Statuses[j] = status;
        output.TrajectoryStats[j] = _stats;
    }

    // Stages, candidate (in _yStage) and each lane's error norm in _laneError (NaN where a value is not finite).
    private void Attempt(double h)
    {
        int n = _g * _n;
        _fNext.AsSpan().CopyTo(_k.AsSpan(0, n));
        if (_fma)
        {
            var f = new Stages(this);
            _kernel.FusedStep(ref f, _time, h, _y, _k, _yStage);
        }
        else
        {
            if (Observer is LaneTape<TLane> tape)
            {
                // A gradient's pass: the tape keeps the stage arguments, so the reverse sweep need not form them again.
                tape.BeginAttempt();
                var f = new RecordingStages(this, tape);
                _kernel.Stages(ref f, _time, h, _y, _k, _yStage);
            }
            else
            {
                var f = new Stages(this);
                _kernel.Stages(ref f, _time, h, _y, _k, _yStage);
            }
            // Candidate solution y + h Σ b_i k_i; for FSAL methods it equals the last stage argument already.
            _kernel.Candidate(_yStage, _y, _k, h);
        }
        // x − x is 0 for finite x and NaN for NaN and ±∞: one running sum per lane finds either. The scalar integrator
        // checks every stage and y_new; a non-finite stage with b_i ≠ 0 makes y_new non-finite (its weight h·b_i is
        // not 0), so y_new and the stages with b_i = 0 decide the same.
        TLane acc = TLane.Zero;
        foreach (TLane v in _yStage) acc += v - v;
        foreach (int i in _kernel.ZeroWeightStages)
            foreach (TLane v in _k.AsSpan(i * n, n)) acc += v - v;
        bool adaptive = _tableau.IsAdaptive && !_fixed;
        if (adaptive) _kernel.ErrorNorms(h, _k, _y, _yStage, _n, _n, _atol, _options.RelTol, _options.Norm, _laneError, _scratch2);
        _anyNonFinite = !TLane.AllFinite(acc);
        if (!_anyNonFinite)
        {
            if (!adaptive) _laneError.AsSpan().Clear();
            return;
        }
        if (!adaptive) _laneError.AsSpan().Clear();
        // Which lanes: per register (the one-register sum above only says whether any is).
        for (int g = 0; g < _g; g++)
        {
            TLane r = TLane.Zero;
            foreach (TLane v in _yStage.AsSpan(g * _n, _n)) r += v - v;
            foreach (int i in _kernel.ZeroWeightStages)
                foreach (TLane v in _k.AsSpan(i * n + g * _n, _n)) r += v - v;
            TLane.Store(r, _scratch.AsSpan(g * _w, _w));
        }
        for (int l = 0; l < _lanes; l++)
            if (_scratch[l] != 0 || double.IsNaN(_laneError[l])) _laneError[l] = double.NaN;
    }

    // f at the candidate of a non-FSAL method into _fTrial; lanes where it is not finite get a NaN error.
    private void EndpointDerivative(double tNew)
    {
        Span<TLane> kept = Observer is LaneTape<TLane> tape ? tape.CandidateKept(tNew) : default;
        if (kept.IsEmpty) Evaluate(tNew, _yStage, _fTrial);
        else EvaluateKeeping(tNew, _yStage, _fTrial, kept);   // f at the next step's start: its stage-0 values
        TLane acc = TLane.Zero;
        foreach (TLane x in _fTrial) acc += x - x;
        if (TLane.AllFinite(acc)) return;
        _anyNonFinite = true;
        LaneFinite(_fTrial, _scratch);
        for (int l = 0; l < _lanes; l++)
            if (_scratch[l] != 0) _laneError[l] = double.NaN;
    }

    // Whether a save time not yet written lies before t (in the direction of integration): accepting a step to t interpolates it.
    private bool SaveBefore(EnsembleSolution output, double t) =>
        _nextSave < output.SaveAt.Length && _direction * (output.SaveAt[_nextSave] - t) < 0;

    // Per lane of the block: 0 where every component of v is finite, NaN elsewhere.
    private void LaneFinite(ReadOnlySpan<TLane> v, Span<double> destination)
    {
        for (int g = 0; g < _g; g++)
        {
            TLane acc = TLane.Zero;
            foreach (TLane x in v.Slice(g * _n, _n)) acc += x - x;
            TLane.Store(acc, destination.Slice(g * _w, _w));
        }
    }

    private double NewTime(double h, bool toEnd)
    {
        if (toEnd) return _tEnd;
        if (_fixed) return _t0 + (_fixedSteps + 1) * (_direction * _options.FixedStep!.Value);
        return _time + h;
    }

    private void Accept(double tNew, double h, EnsembleSolution output)
    {
        int n = _g * _n, s = _tableau.Stages;
        // y_prev ← y ← candidate, f_prev ← f ← f(candidate): a rotation of the buffers (the third becomes scratch).
        (_yPrev, _y, _yStage) = (_y, _yStage, _yPrev);
        if (_tableau.IsFsal)
        {
            (_fPrev, _fNext) = (_fNext, _fPrev);
            _k.AsSpan((s - 1) * n, n).CopyTo(_fNext);
        }
        else
        {
            // After a last fixed step that left f at its end unevaluated (Step), _fNext holds no value; nothing reads it (no
            // save time inside that step, no further step).
            (_fPrev, _fNext, _fTrial) = (_fNext, _fTrial, _fPrev);
        }
        _previousTime = _time;
        _time = tNew;
        _stats.Steps++;
        if (_fixed) _fixedSteps++;
        _extraStagesReady = false;
        // The size the stages used (tNew − t may differ from it by rounding, and a fixed step's tNew is counted from t0):
        // the reverse sweep pulls back through the step that was taken.
        Observer?.Accepted(_previousTime, h, _yPrev);
        SaveThrough(tNew, output, atStart: false);
    }

    // Writes every save time up to t (in the direction of integration) of the live lanes.
    private void SaveThrough(double t, EnsembleSolution output, bool atStart)
    {
        double[] saveAt = output.SaveAt;
        int count = saveAt.Length, n = _n;
        Span<double> lane = _scratch.AsSpan(0, _w);
        while (_nextSave < count && (atStart ? saveAt[_nextSave] == t : _direction * (saveAt[_nextSave] - t) <= 0))
        {
            int si = _nextSave++;
            double ts = saveAt[si];
            ReadOnlySpan<TLane> state = _y;
            if (!atStart && ts != _time)
            {
                Interpolate(ts, _ySave);
                state = _ySave;
            }
            for (int g = 0; g < _g; g++)
                for (int q = 0; q < n; q++)
                {
                    TLane.Store(state[g * n + q], lane);
                    for (int l = 0; l < _w; l++)
                        if (_alive[g * _w + l]) output.SavedStates[(Trajectory(g * _w + l) * count + si) * n + q] = lane[l];
                }
        }
    }

    // Dense output inside the last accepted step (h ≠ 0: save times at the step's end take the state itself).
    private void Interpolate(double t, Span<TLane> y)
    {
        double h = _time - _previousTime;
        EnsureExtraStages();
        _kernel.Interpolate((t - _previousTime) / h, h, _yPrev, _y, _fPrev, _fNext, _k, y);
    }

    private void EnsureExtraStages()
    {
        if (_tableau.DenseStageC.Length == 0 || _extraStagesReady || _time == _previousTime) return;
        _extraStagesReady = true;
        var f = new Stages(this);
        _kernel.ExtraStages(ref f, _previousTime, _time - _previousTime, _yPrev, _fNext, _k, _yStage);
    }

    /// <summary>f through the kernel: every register of the block.</summary>
    private readonly struct Stages(LaneBlockSolver<TSystem, TLane> owner) : IStageFunction<TLane>
    {
        public void Evaluate(double t, ReadOnlySpan<TLane> y, Span<TLane> dydt) => owner.Evaluate(t, y, dydt);
    }

    /// <summary>
    /// <see cref="Stages"/> that also copies each stage's argument into the tape's pending entry (stages 1 … s − 1, in order)
    /// and, where the tape keeps them, lets the system write the stage's primal values beside it
    /// (<see cref="IOdeLaneSystemKept.EvaluateKeepingLanes{TLane}"/>: f with EvaluateLanes's bits).
    /// </summary>
    private struct RecordingStages(LaneBlockSolver<TSystem, TLane> owner, LaneTape<TLane> tape) : IStageFunction<TLane>
    {
        private int _stage = 1;

        public void Evaluate(double t, ReadOnlySpan<TLane> y, Span<TLane> dydt)
        {
            Span<TLane> argument = tape.PendingStage(_stage);
            if (!argument.IsEmpty) y.CopyTo(argument);
            Span<TLane> values = tape.PendingKept(_stage);
            // An FSAL method's last stage is f at the candidate, the next step's stage 0: its values are that step's too.
            Span<TLane> next = owner._tableau.IsFsal && _stage == owner._tableau.Stages - 1 ? tape.CandidateKept(t) : default;
            _stage++;
            if (values.IsEmpty && next.IsEmpty) owner.Evaluate(t, y, dydt);
            else if (values.IsEmpty) owner.EvaluateKeeping(t, y, dydt, next);
            else
            {
                owner.EvaluateKeeping(t, y, dydt, values);
                if (!next.IsEmpty) values.CopyTo(next);
            }
        }
    }

    // f at the current point into _fNext (a start or restart); a gradient's tape keeps its values for the step's stage 0.
    private void EvaluateAtStart(double t)
    {
        Span<TLane> kept = Observer is LaneTape<TLane> tape ? tape.StartKept(t) : default;
        if (kept.IsEmpty) Evaluate(t, _y, _fNext);
        else EvaluateKeeping(t, _y, _fNext, kept);
    }

    // Evaluate, with each register's primal values for the reverse sweep written to its share of kept.
    private void EvaluateKeeping(double t, ReadOnlySpan<TLane> y, Span<TLane> dydt, Span<TLane> kept)
    {
        _stats.FunctionEvaluations++;
        int n = _n, m = _m, per = kept.Length / _g;
        IOdeLaneSystemKept system = _keptSystem!;
        for (int g = 0; g < _g; g++)
            system.EvaluateKeepingLanes(t, y.Slice(g * n, n), _p.AsSpan(g * m, m), dydt.Slice(g * n, n), kept.Slice(g * per, per));
    }

    // f for every register of the block (one lane evaluation counted per call, whatever the registers).
    private void Evaluate(double t, ReadOnlySpan<TLane> y, Span<TLane> dydt)
    {
        _stats.FunctionEvaluations++;
        int n = _n, m = _m;
        for (int g = 0; g < _g; g++)
            _system.EvaluateLanes(t, y.Slice(g * n, n), _p.AsSpan(g * m, m), dydt.Slice(g * n, n));
    }

    // Hairer's automatic first step (StepControl.InitialStep) from the current point for each live lane; the block takes
    // the smallest. The trial Euler step that refines it is shared (the lanes share t), of the smallest first guess.
    // Used at t0, and again after lanes retired for forcing the step below the minimum.
    private double InitialStepMagnitude()
    {
        if (_options.FixedStep is { } fixedStep) return fixedStep;
        if (_options.InitialStep is { } given) return Math.Abs(given);
        int n = _n, w = _lanes, gn = _g * _n;
        TLane rtol = TLane.Create(_options.RelTol), smallest = TLane.Create(StepControl.SmallestNormal), one = TLane.Create(1.0);
        // As StepControl.InitialStep: only the components with a scale count (a zero under pure relative control has none),
        // each lane its own; _measured holds how many, per lane.
        for (int g = 0; g < _g; g++)
        {
            TLane d0 = TLane.Zero, d1 = TLane.Zero, measured = TLane.Zero;
            for (int q = 0; q < n; q++)
            {
                TLane scale = TLane.Create(_atol[q]) + rtol * TLane.Abs(_y[g * n + q]);
                TLane has = TLane.GreaterThanOrEqual(scale, smallest);
                TLane u = _y[g * n + q] / scale, v = _fNext[g * n + q] / scale;
                d0 += TLane.Select(has, u * u, TLane.Zero);
                d1 += TLane.Select(has, v * v, TLane.Zero);
                measured += TLane.Select(has, one, TLane.Zero);
            }
            TLane.Store(d0, _scratch.AsSpan(g * _w, _w));
            TLane.Store(d1, _scratch2.AsSpan(g * _w, _w));
            TLane.Store(measured, _measured.AsSpan(g * _w, _w));
        }
        double h0 = double.PositiveInfinity;
        for (int l = 0; l < w; l++)
        {
            double count = Math.Max(_measured[l], 1);
            double a = Math.Sqrt(_scratch[l] / count), b = Math.Sqrt(_scratch2[l] / count);
            _scratch2[l] = b;   // d1 of the lane, kept for the second stage
            double hl = a < 1e-5 || b < 1e-5 ? 1e-6 : 0.01 * a / b;
            hl = Math.Min(hl, Math.Min(Math.Abs(_tEnd - _time), _options.MaxStep));
            if (_alive[l]) h0 = Math.Min(h0, hl);
        }
        TLane step = TLane.Create(_direction * h0);
        for (int q = 0; q < gn; q++) _yStage[q] = _y[q] + step * _fNext[q];
        Evaluate(_time + _direction * h0, _yStage, _fTrial);
        for (int g = 0; g < _g; g++)
        {
            TLane d2 = TLane.Zero;
            for (int q = 0; q < n; q++)
            {
                TLane scale = TLane.Create(_atol[q]) + rtol * TLane.Abs(_y[g * n + q]);
                TLane u = (_fTrial[g * n + q] - _fNext[g * n + q]) / scale;
                d2 += TLane.Select(TLane.GreaterThanOrEqual(scale, smallest), u * u, TLane.Zero);
            }
            TLane.Store(d2, _scratch.AsSpan(g * _w, _w));
        }
        double result = double.PositiveInfinity;
        for (int l = 0; l < w; l++)
        {
            if (!_alive[l]) continue;
            double d2l = Math.Sqrt(_scratch[l] / Math.Max(_measured[l], 1)) / h0, hl;
            if (!double.IsFinite(d2l)) hl = h0 * 1e-3;
            else
            {
                double dMax = Math.Max(_scratch2[l], d2l);
                double h1 = dMax <= 1e-15 ? Math.Max(1e-6, h0 * 1e-3) : StepSizeController.Pow(0.01 / dMax, 1.0 / (_tableau.Order + 1));
                hl = Math.Min(100 * h0, h1);
            }
            result = Math.Min(result, hl);
        }
        return result;
    }
}
