using OdeGen.Solvers;

namespace OdeGen;

/// <summary>
/// The backward pass of the interpolating adjoint, shared by its two forms (stopping at every observation time,
/// or solving segments through them): the re-solve of a segment from its checkpoint into a dense segment, the
/// augmented state x = (λ, θ̄, t̄) integrated backwards against it, and the gradient and statistics at the end.
/// </summary>
internal sealed class InterpolatingAdjointSweep<TSystem> where TSystem : struct, IOdeSystem
{
    private readonly int _n, _m;
    private readonly IOdeIntegrator<SystemField<TSystem>> _recompute;
    private readonly DenseSegment _segment;
    private InterpolatedAdjointField<TSystem> _field;
    private readonly IOdeIntegrator<InterpolatedAdjointField<TSystem>> _backward;
    private double _nextStep;   // |the step the backward controller proposed last| (0: none yet in this call: choose automatically)

    public InterpolatingAdjointSweep(in TSystem system, double[] p, int n, int m, SolverOptions options,
        InterpolatingAdjointSensitivity sensitivity, EvaluationCounter counter)
    {
        _n = n;
        _m = m;
        _recompute = options.Method.CreateIntegrator<SystemField<TSystem>>(n, options);
        _segment = new DenseSegment(n, options.Method);
        _field = new InterpolatedAdjointField<TSystem>(system, p, _segment, counter, withDerivatives: options.Method.IsStiff);
        _backward = options.Method.CreateIntegrator<InterpolatedAdjointField<TSystem>>(_field.Dimension, sensitivity.BackwardOptions(options, _field.Dimension, 0, n));
        sensitivity.ApplyErrorControl(_backward, n);
        X = new double[n + m + 1];
    }

    /// <summary>The augmented adjoint state (λ, θ̄, t̄), length n + m + 1.</summary>
    public double[] X { get; }

    /// <summary>
    /// Points the sweep at another call's system value, parameters and counter, for a workspace that keeps it between calls:
    /// clears the adjoint state and the passes' counters (the integrators and the dense segment keep their buffers).
    /// </summary>
    public void Bind(in TSystem system, double[] p, EvaluationCounter counter)
    {
        _field = _field.Rebind(system, p, counter);
        _nextStep = 0;
        Array.Clear(X);
        _recompute.ClearStats();
        _backward.ClearStats();
    }

    /// <summary>Bytes of the dense output and the adjoint state this sweep holds.</summary>
    public long HeldBytes => _segment.HeldBytes + sizeof(double) * (long)X.Length;

    /// <summary>The dense record the backward field interpolates from: one re-solved segment, or the whole forward pass (<see cref="Record"/>).</summary>
    public DenseSegment Record => _segment;

    /// <summary>How many steps fit in <paramref name="budgetBytes"/> of dense record (its step times, 1/h and coefficients).</summary>
    public int RecordCapacity(long budgetBytes) => (int)Math.Min(int.MaxValue / 2, budgetBytes / _segment.BytesPerStep);

    /// <summary>Re-solves the segment [<paramref name="from"/>, <paramref name="to"/>] from its checkpoint, recording its dense output.</summary>
    public OdeStatus Resolve(in SystemField<TSystem> field, ReadOnlySpan<double> checkpoint, double from, double to)
    {
        _recompute.Reset(field, checkpoint, from, to);
        _segment.Clear();
        while (_recompute.Step()) _segment.Add(_recompute);
        return _recompute.Status;
    }

    /// <summary>
    /// Integrates <see cref="X"/> backwards from <paramref name="from"/> to <paramref name="to"/> inside the re-solved segment.
    /// After the first interval of a call, an explicit method starts from the step its controller proposed at the end of the
    /// previous one (the adjoint goes on from there, only λ has jumped by an observation's ∂L/∂y), instead of choosing a
    /// first step afresh: that choice costs a VJP and two norms over the n + m + 1 components at every observation, and
    /// error control still accepts or shrinks the carried step like any other.
    /// </summary>
    public OdeStatus Integrate(double from, double to)
    {
        if (_nextStep > 0 && _backward is RungeKuttaIntegrator<InterpolatedAdjointField<TSystem>> explicitMethod)
            explicitMethod.ResetWithFirstStep(_field, X, from, to, _nextStep);
        else
            _backward.Reset(_field, X, from, to);
        OdeStatus status;
        if (_backward is RungeKuttaIntegrator<InterpolatedAdjointField<TSystem>> stepped)
        {
            // The last step usually lands on the interval's end, shorter than the controller proposed, and the controller's
            // next proposal grows from that short step: carry the larger of that and the proposal the last step started from.
            double proposed = 0;
            while (true)
            {
                double before = Math.Abs(stepped.NextStep);
                if (!stepped.Step()) break;
                proposed = Math.Max(before, Math.Abs(stepped.NextStep));
            }
            status = stepped.Status;
            if (proposed > 0) _nextStep = proposed;
        }
        else
        {
            status = _backward.Run();
        }
        if (status == OdeStatus.Success) _backward.State.CopyTo(X);
        return status;
    }

    /// <summary>Adds the loss term of an observation: λ += ∂L/∂y(t_i), t̄ −= ∂L/∂t_i.</summary>
    public void AddObservation(ReadOnlySpan<double> dLdy, double dLdt)
    {
        for (int q = 0; q < _n; q++) X[q] += dLdy[q];
        X[_n + _m] -= dLdt;
    }

    /// <summary>The gradient from <see cref="X"/> (NaN everywhere when a pass failed) with the work of every pass.</summary>
    public OdeGradient Result(SolverStats forward, EvaluationCounter counter, OdeMethod solver, double[] gTimes, OdeStatus status,
        InterpolatingAdjointSensitivity sensitivity)
    {
        double[] gY0 = X.AsSpan(0, _n).ToArray();
        double[] gP = X.AsSpan(_n, _m).ToArray();
        double gT0 = X[_n + _m];
        return ObservationShell.Result(gY0, gP, gT0, gTimes, Stats(forward, counter, solver), status, sensitivity);
    }

    /// <summary><see cref="Result"/> into a workspace's result buffers.</summary>
    public void Finish<TS>(GradientWorkspace<TS> workspace, SolverStats forward, SolverOptions options, OdeStatus status)
        where TS : struct, IOdeSystem
    {
        X.AsSpan(0, _n).CopyTo(workspace.Y0);
        X.AsSpan(_n, _m).CopyTo(workspace.Parameters);
        GradientStats stats = Stats(forward, workspace.Counter, options.Method);
        workspace.Finish(X[_n + _m], stats with { WorkspaceBytes = workspace.HeldBytes }, status);
    }

    private GradientStats Stats(SolverStats forward, EvaluationCounter counter, OdeMethod solver)
    {
        // With a stiff method the state passes call the system's Jacobian once per step (SystemField), and Rosenbrock
        // methods its JVP once per step as well (∂f/∂t); the adjoint field counts its own calls.
        SolverStats recompute = _recompute.Stats;
        long stateJacobians = forward.JacobianEvaluations + recompute.JacobianEvaluations;
        long stateJvps = solver.UsesTimeDerivative ? stateJacobians : 0;
        return new GradientStats(forward, _backward.Stats,
            forward.FunctionEvaluations + recompute.FunctionEvaluations + counter.Function,
            counter.Jvp + stateJvps, counter.Vjp, counter.Jacobian + stateJacobians, recompute);
    }
}
