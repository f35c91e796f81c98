namespace OdeGen.Solvers;

/// <summary>
/// Steps a Rosenbrock method (<see cref="RosenbrockTableau"/>, e.g. Rodas4) through a field that supplies its
/// Jacobian, forwards or backwards in time: the stiff counterpart of <see cref="RungeKuttaIntegrator{TField}"/>,
/// with the same contract (Reset, Step, Interpolate; workspace allocated in the constructor, nothing per step).
/// </summary>
/// <remarks>
/// Each step solves s linear systems with the one matrix E = I/(hγ) − J, factored once per attempt (dense LU with
/// partial pivoting, <see cref="DenseLU"/>). J = ∂F/∂y and ∂F/∂t are evaluated once per step, at its starting point,
/// and reused by every rejected attempt from that point: only E is refactored for the new h.
/// A singular E (zero or non-finite pivot) halves the step; five singular attempts in a row end the integration
/// with <see cref="OdeStatus.SingularMatrix"/> (a fixed-step solve, <see cref="SolverOptions.FixedStep"/>, fails at once).
/// </remarks>
public sealed class RosenbrockIntegrator<TField> : IOdeIntegrator<TField> where TField : struct, IJacobianField
{

    private readonly RosenbrockTableau _tab;
    private readonly SolverOptions _options;
    private readonly int _n, _s;
    private readonly double[] _u;          // stage increments U_i, row i
    private readonly double[] _y, _yPrev, _yNew, _arg, _rhs;
    private readonly double[] _f;          // F(Time, State): the first stage's right-hand side
    private readonly double[] _fTrial;     // F at a candidate point, before acceptance
    private readonly double[] _jac, _dfdt; // ∂F/∂y and ∂F/∂t at (Time, State)
    private readonly double[] _lu;         // E = I/(hγ) − J, then its LU factors
    private readonly int[] _pivots;
    private readonly double[] _atol;
    private readonly double[] _dense;      // c1, c2, c3 of the last accepted step (c0 = PreviousState)
    private TField _field;
    private StepLoop _loop;                // the shared step loop: budget, end, underflow, fixed steps, accept or reject
    private double _origin = double.NaN;   // t0 of the last Reset (NaN before the first): a Restart stays in [t0, tEnd]
    private bool _jacobianCurrent;         // _jac and _dfdt belong to (Time, State)
    private SolverStats _stats;

    /// <summary>Allocates the workspace for fields of <paramref name="dimension"/> components.</summary>
    public RosenbrockIntegrator(int dimension, SolverOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(dimension);
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _tab = options.Method.Rosenbrock
            ?? throw new ArgumentException($"{options.Method.Name} is not a Rosenbrock method; use RungeKuttaIntegrator.", nameof(options));
        StepControl.ValidateOptions(options);
        _n = dimension;
        _s = _tab.Stages;
        _u = new double[_s * dimension];
        _y = new double[dimension];
        _yPrev = new double[dimension];
        _yNew = new double[dimension];
        _arg = new double[dimension];
        _rhs = new double[dimension];
        _f = new double[dimension];
        _fTrial = new double[dimension];
        _jac = new double[dimension * dimension];
        _dfdt = new double[dimension];
        _lu = new double[dimension * dimension];
        _pivots = new int[dimension];
        _dense = new double[3 * dimension];
        _atol = StepControl.AbsoluteTolerances(options, dimension);
        // The embedded solution has order p̂, so the error estimate is O(h^(p̂+1)).
        _loop = new StepLoop(options, new StepSizeController(options, Math.Min(_tab.Order, _tab.EmbeddedOrder) + 1));
    }

    /// <summary>The method being stepped.</summary>
    public RosenbrockTableau Tableau => _tab;
    /// <summary>The vector field (settable between solves).</summary>
    public ref TField Field => ref _field;
    /// <inheritdoc/>
    public double Time => _loop.Time;
    /// <inheritdoc/>
    public double PreviousTime => _loop.PreviousTime;
    /// <inheritdoc/>
    public double LastStep => _loop.LastStep;
    /// <inheritdoc/>
    public ReadOnlySpan<double> State => _y;
    /// <summary>State at the start of the last accepted step.</summary>
    public ReadOnlySpan<double> PreviousState => _yPrev;
    /// <summary>F(Time, State), already evaluated.</summary>
    public ReadOnlySpan<double> Derivative => _f;
    /// <inheritdoc/>
    public OdeStatus Status => _loop.Status;
    /// <inheritdoc/>
    public bool IsFinished => _loop.Done;
    /// <summary>Work counters (f, Jacobian and ∂F/∂t evaluations, LU factorizations), cumulative until <see cref="ClearStats"/>.</summary>
    public SolverStats Stats => _stats;
    /// <summary>Size of the next step attempt (signed).</summary>
    public double NextStep => _loop.NextStep;
    /// <inheritdoc/>
    public int DenseDegree => 3;

    /// <summary>Sets the counters to zero.</summary>
    public void ClearStats() => _stats = default;

    /// <summary>Starts an integration from (t0, y0) towards tEnd (either direction).</summary>
    public void Reset(in TField field, ReadOnlySpan<double> y0, double t0, double tEnd) => Reset(field, y0, t0, tEnd, continueBudget: false);

    // continueBudget: a restart (Restart), whose attempts count on from the runs before it against MaxSteps.
    private void Reset(in TField field, ReadOnlySpan<double> y0, double t0, double tEnd, bool continueBudget)
    {
        if (y0.Length != _n) throw new ArgumentException($"Expected a state of length {_n}, got {y0.Length}.", nameof(y0));
        if (field.Dimension != _n)
            throw new ArgumentException($"The field has Dimension {field.Dimension}, but this integrator was created for {_n} components: create it with the field's dimension.", nameof(field));
        _field = field;
        y0.CopyTo(_y);
        y0.CopyTo(_yPrev);
        _dense.AsSpan().Clear();
        _jacobianCurrent = false;
        _loop.Begin(new Kernel(this), t0, tEnd, continueBudget: continueBudget);
        if (!continueBudget) _origin = t0;   // after Begin: a Reset it refuses leaves the last interval
        RestartGuard.FailOnNonFiniteState(ref _loop, y0);
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException"><paramref name="t"/> is not finite, or lies outside the interval of the last Reset.</exception>
    /// <exception cref="InvalidOperationException">No Reset has started an integration to continue.</exception>
    public void Restart(double t, ReadOnlySpan<double> y)
    {
        RestartGuard.Arguments(t, y, _n, _origin, _loop.End);
        Reset(_field, y, t, _loop.End, continueBudget: true);
    }

    /// <inheritdoc/>
    /// <exception cref="NotSupportedException">Set to fewer than every component: the stiff integrators control the error of all of them.</exception>
    public int ErrorComponents
    {
        get => _n;
        set
        {
            if (value != _n)
                throw new NotSupportedException($"{Name} controls the error of every component (OdeMethod.SupportsPartialErrorControl is false); ErrorComponents must stay {_n}.");
        }
    }

    private string Name => _options.Method.Name;

    /// <inheritdoc/>
    public bool Step() => _loop.Step(new Kernel(this), ref _stats);

    /// <summary>Steps until the end time or a failure; returns the final status.</summary>
    public OdeStatus Run()
    {
        while (Step()) { }
        return Status;
    }

    /// <inheritdoc/>
    /// <remarks>The method's own third-order continuous extension; valid after a successful <see cref="Step"/>.</remarks>
    public void Interpolate(double t, Span<double> y)
    {
        StepControl.CheckInterpolation(t, PreviousTime, Time, y.Length, _n);
        double h = Time - PreviousTime;
        if (h == 0) { _y.CopyTo(y); return; }
        double theta = (t - PreviousTime) / h;
        int n = _n;
        ReadOnlySpan<double> c1 = _dense.AsSpan(0, n), c2 = _dense.AsSpan(n, n), c3 = _dense.AsSpan(2 * n, n);
        for (int q = 0; q < n; q++) y[q] = _yPrev[q] + theta * (c1[q] + theta * (c2[q] + theta * c3[q]));
    }

    /// <inheritdoc/>
    public void CopyDenseCoefficients(Span<double> destination)
    {
        int n = _n;
        if (destination.Length < 4 * n)
            throw new ArgumentException($"destination must have length at least {4 * n} ((DenseDegree + 1)·n), but has length {destination.Length}.", nameof(destination));
        _yPrev.AsSpan().CopyTo(destination);
        _dense.AsSpan().CopyTo(destination.Slice(n));
    }

    // E = I/(hγ) − J, factored in place. False when singular to working precision.
    private bool FactorIterationMatrix(double h)
    {
        int n = _n;
        double diagonal = 1.0 / (h * _tab.Gamma);
        Span<double> e = _lu;
        for (int i = 0; i < e.Length; i++) e[i] = -_jac[i];
        for (int i = 0; i < n; i++) e[i * n + i] += diagonal;
        _stats.Factorizations++;
        return DenseLU.Factor(e, n, _pivots);
    }

    // One attempt: J and ∂F/∂t once per step (every rejected attempt from this point reuses them), E factored for h,
    // then the stages.
    private StepOutcome Attempt(double h, out double error)
    {
        error = 0;
        if (!_jacobianCurrent)
        {
            _stats.JacobianEvaluations++;
            _field.Jacobian(Time, _y, _jac);
            _field.TimeDerivative(Time, _y, _dfdt);
            if (!StepControl.AllFinite(_jac) || !StepControl.AllFinite(_dfdt)) return StepOutcome.Failed;
            _jacobianCurrent = true;
        }
        if (!FactorIterationMatrix(h)) return StepOutcome.Singular;
        return Stages(h, out error) ? StepOutcome.Finite : StepOutcome.NonFinite;
    }

    // All stages, the candidate in _yNew and the scaled error norm; false on a non-finite value.
    private bool Stages(double h, out double error)
    {
        int n = _n, s = _s;
        double[] a = _tab.A, c = _tab.C, alpha = _tab.Alpha, d = _tab.D;
        for (int i = 0; i < s; i++)
        {
            Span<double> rhs = _rhs;
            if (i == 0)
            {
                _f.AsSpan().CopyTo(rhs);
            }
            else
            {
                Span<double> arg = _arg;
                _y.AsSpan().CopyTo(arg);
                for (int j = 0; j < i; j++)
                {
                    double w = a[i * s + j];
                    if (w == 0) continue;
                    ReadOnlySpan<double> uj = _u.AsSpan(j * n, n);
                    for (int q = 0; q < n; q++) arg[q] += w * uj[q];
                }
                Evaluate(Time + alpha[i] * h, arg, rhs);
                for (int j = 0; j < i; j++)
                {
                    double w = c[i * s + j] / h;
                    if (w == 0) continue;
                    ReadOnlySpan<double> uj = _u.AsSpan(j * n, n);
                    for (int q = 0; q < n; q++) rhs[q] += w * uj[q];
                }
            }
            double hd = h * d[i];
            if (hd != 0)
                for (int q = 0; q < n; q++) rhs[q] += hd * _dfdt[q];
            DenseLU.Solve(_lu, n, _pivots, rhs);
            rhs.CopyTo(_u.AsSpan(i * n, n));
        }
        double[] m = _tab.M, e = _tab.ErrorWeights;
        Span<double> yNew = _yNew;
        _y.AsSpan().CopyTo(yNew);
        for (int i = 0; i < s; i++)
        {
            double w = m[i];
            if (w == 0) continue;
            ReadOnlySpan<double> ui = _u.AsSpan(i * n, n);
            for (int q = 0; q < n; q++) yNew[q] += w * ui[q];
        }
        double rtol = _options.RelTol, sum = 0;
        for (int q = 0; q < n; q++)
        {
            double err = 0;
            for (int i = 0; i < s; i++) err += e[i] * _u[i * n + q];
            double scale = _atol[q] + rtol * Math.Max(Math.Abs(_y[q]), Math.Abs(yNew[q]));
            sum = StepControl.Accumulate(sum, err / scale, _options.Norm);
        }
        error = StepControl.Finish(sum, n, _options.Norm);
        return StepControl.AllFinite(yNew) && !double.IsNaN(error) && !double.IsInfinity(error);
    }

    private bool EndpointDerivative(double tNew)
    {
        Evaluate(tNew, _yNew, _fTrial);
        return StepControl.AllFinite(_fTrial);
    }

    private bool Begin(double t0)
    {
        Evaluate(t0, _y, _f);
        return StepControl.AllFinite(_f);
    }

    /// <summary>The Rosenbrock step as the shared <see cref="StepLoop"/> drives it.</summary>
    private readonly struct Kernel(RosenbrockIntegrator<TField> owner) : IStepKernel
    {
        public bool Begin(double t0) => owner.Begin(t0);
        public double InitialStepMagnitude(double t0, double tEnd, double direction) => owner.InitialStepMagnitude(t0, tEnd, direction);
        public double Attempt(double h, out StepOutcome outcome)
        {
            outcome = owner.Attempt(h, out double error);
            return error;
        }
        public bool EndpointDerivative(double tNew) => owner.EndpointDerivative(tNew);
        public void Accept() => owner.Accept();
    }

    private void Accept()
    {
        int n = _n, s = _s;
        // Dense output y(θ) = y0 + θ·c1 + θ²·c2 + θ³·c3, expanded from (1 − θ)y0 + θ(y1 + (1 − θ)(q1 + θ q2)).
        Span<double> c1 = _dense.AsSpan(0, n), c2 = _dense.AsSpan(n, n), c3 = _dense.AsSpan(2 * n, n);
        double[] h1 = _tab.Dense1, h2 = _tab.Dense2;
        for (int q = 0; q < n; q++)
        {
            double q1 = 0, q2 = 0;
            for (int i = 0; i < s; i++)
            {
                double ui = _u[i * n + q];
                q1 += h1[i] * ui;
                q2 += h2[i] * ui;
            }
            c1[q] = _yNew[q] - _y[q] + q1;
            c2[q] = q2 - q1;
            c3[q] = -q2;
        }
        _y.AsSpan().CopyTo(_yPrev);
        _yNew.AsSpan().CopyTo(_y);
        _fTrial.AsSpan().CopyTo(_f);
        _jacobianCurrent = false;
    }

    private void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt)
    {
        _stats.FunctionEvaluations++;
        _field.Evaluate(t, y, dydt);
    }

    private double InitialStepMagnitude(double t0, double tEnd, double direction) =>
        StepControl.InitialStep(ref _field, _options, _atol, _tab.Order, _n, t0, tEnd, direction, _y, _f, _arg, _fTrial, ref _stats.FunctionEvaluations);
}
