using OdeGen.Lanes;

namespace OdeGen.Ensemble;

// Solving a block through a list of observation times, for the ensemble gradients of a loss on the states at those
// times (Ode.Gradient and Ode.LossGradient on an EnsembleBatch with the discrete adjoint). The block stops at each time and restarts there,
// exactly as the scalar discrete adjoint's forward pass restarts its integrator at every observation time (a fresh
// derivative at the point, a fresh automatic first step, the controller and MaxSteps reset, fixed steps counted from
// the restart), so with Lane1 — or any width with a fixed step — every lane takes the scalar steps. With
// EnsembleOptions.ContinueAtObservations an adaptive block goes on through each time instead (see Restart).
internal sealed partial class LaneBlockSolver<TSystem, TLane>
{
    /// <summary>
    /// Solves block <paramref name="block"/> from t0 through <paramref name="times"/> (monotone away from t0; times[0]
    /// may equal t0). At times[i] it writes the state of every lane still alive into row i of its trajectory in
    /// <paramref name="observed"/> (Count × times.Length × StateCount, trajectory-major; rows of failed lanes are left
    /// as they are) and the tape's length into <paramref name="tapeMarks"/>[i]: the steps recorded before times[i] are
    /// tape entries 0 … tapeMarks[i] − 1. Final states, statuses and work go to <paramref name="output"/> as for
    /// <see cref="SolveBlock"/>, the final state being the state at the last time.
    /// </summary>
    public void SolveBlockThrough(int block, EnsembleSolution output, double[] times, double[] observed, int[] tapeMarks)
    {
        if (LaneStatus.Length != _lanes) LaneStatus = new OdeStatus[_lanes];
        _block = block;
        Load(block);
        double t0 = _problem.T0;
        int i = 0;
        while (i < times.Length && times[i] == t0) i++;
        // The first interval starts as SolveBlock starts (input checks, first derivative); later ones restart.
        Reset(output, i < times.Length ? times[i] : t0);
        for (int k = 0; k < i; k++) Observe(k, times.Length, observed, tapeMarks);
        for (int first = i; i < times.Length; i++)
        {
            if (i > first && AnyAlive()) Restart(times[i], output);
            while (AnyAlive() && Step(output)) { }
            Observe(i, times.Length, observed, tapeMarks);
        }
        for (int l = 0; l < _lanes; l++)
            if (_alive[l]) Retire(l, OdeStatus.Success, output);
        output.BlockStats[block] = _stats;
    }

    // From the current point (the observation just reached) towards tEnd, as RungeKuttaIntegrator.Reset starts: the
    // work so far and the tape are kept.
    private void Restart(double tEnd, EnsembleSolution output)
    {
        if (_problem.ContinueAtObservations && !_fixed)
        {
            // EnsembleOptions.ContinueAtObservations: on as between two steps. _fNext is f at the current point already
            // (the accepted step's last stage or endpoint derivative, whose kept values the tape holds for the next
            // step's stage 0), _h the controller's proposal; only the target moves (and the work limit counts afresh, as
            // at a restart). The times are monotone, so the direction stays.
            _tEnd = tEnd;
            _attempts = 0;
            return;
        }
        _t0 = _previousTime = _time;
        _tEnd = tEnd;
        _direction = _tEnd >= _t0 ? 1.0 : -1.0;
        _controller.Reset();
        _attempts = 0;
        _fixedSteps = 0;
        _extraStagesReady = false;
        _laneError.AsSpan().Clear();
        _anyNonFinite = false;
        _y.AsSpan().CopyTo(_yPrev);
        EvaluateAtStart(_t0);
        _fNext.AsSpan().CopyTo(_fPrev);
        if (_t0 == _tEnd) return;
        LaneFinite(_fNext, _scratch);
        for (int l = 0; l < _lanes; l++)
            if (_alive[l] && _scratch[l] != 0) Retire(l, OdeStatus.NonFiniteValue, output);
        if (!AnyAlive()) return;
        _h = _direction * InitialStepMagnitude();
    }

    private void Observe(int index, int timeCount, double[] observed, int[] tapeMarks)
    {
        tapeMarks[index] = Observer?.Count ?? 0;
        int n = _n;
        Span<double> lane = _scratch.AsSpan(0, _w);
        for (int g = 0; g < _g; g++)
            for (int q = 0; q < n; q++)
            {
                TLane.Store(_y[g * n + q], lane);
                for (int l = 0; l < _w; l++)
                    if (_alive[g * _w + l]) observed[(Trajectory(g * _w + l) * timeCount + index) * n + q] = lane[l];
            }
    }
}
