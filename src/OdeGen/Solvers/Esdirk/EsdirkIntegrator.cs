using System.Runtime.InteropServices;
using OdeGen.Lanes;

namespace OdeGen.Solvers;

/// <summary>
/// Steps an ESDIRK method (<see cref="EsdirkTableau"/>, e.g. Kvaerno5) through a field that supplies its Jacobian,
/// forwards or backwards in time, with the contract of the other integrators (Reset, Step, Interpolate; workspace
/// allocated in the constructor, nothing per step).
/// </summary>
/// <remarks>
/// Each implicit stage is solved by simplified Newton iterations with M = I − hγJ: J = ∂F/∂y is evaluated once per
/// step at its starting point and reused by every Newton iteration, stage and rejected attempt from that point; M is
/// factored once per attempt (dense LU). An iteration converges when its predicted remaining error η‖ΔY‖ (η = θ/(1 − θ),
/// θ the contraction rate; Hairer &amp; Wanner II, IV.8) is below 1% of the tolerance; a contraction rate θ ≥ 1 or ten
/// iterations reject the attempt and halve h (with <see cref="SolverOptions.FixedStep"/> they end the solve with
/// <see cref="OdeStatus.ConvergenceFailure"/>; the tolerances then still set the Newton tolerance). The stage derivative is recovered as k_i = (Y_i − ψ_i)/(hγ), not by
/// another evaluation, which keeps stiff components from amplifying the Newton error. The error estimate is filtered
/// by M⁻¹ (Shampine), as in RADAU5, so that stiff components do not reject good steps.
/// Dense output: cubic Hermite through both ends of the step (values and slopes, the slope at the new point being the
/// last stage's k); ESDIRK methods have no cheap higher-order continuous extension of their own.
/// </remarks>
public sealed class EsdirkIntegrator<TField> : IOdeIntegrator<TField> where TField : struct, IJacobianField
{
    private const int MaxNewtonIterations = 10;
    private const double NewtonKappa = 0.01;

    private readonly EsdirkTableau _tab;
    private readonly SolverOptions _options;
    private readonly int _n, _s;
    private readonly double[] _k;                 // stage derivatives k_i, row i
    private readonly double[] _y, _yPrev, _yNew, _psi, _stage, _delta, _residual;
    private readonly double[] _f, _fPrev;         // F at the current point and at the start of the last step
    private readonly double[] _jac, _lu;
    private readonly int[] _pivots;
    private readonly double[] _atol;
    private TField _field;
    private StepLoop _loop;                       // the shared step loop: budget, end, underflow, fixed steps, accept or reject
    private double _origin = double.NaN;          // t0 of the last Reset (NaN before the first): a Restart stays in [t0, tEnd]
    private double _eta = 1;
    private bool _jacobianCurrent;
    private SolverStats _stats;

    /// <summary>Allocates the workspace for fields of <paramref name="dimension"/> components.</summary>
    public EsdirkIntegrator(int dimension, SolverOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(dimension);
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _tab = options.Method.Esdirk
            ?? throw new ArgumentException($"{options.Method.Name} is not an ESDIRK method.", nameof(options));
        if (!_tab.IsStifflyAccurate) throw new ArgumentException($"{_tab.Name}: the integrator needs a stiffly accurate tableau.", nameof(options));
        StepControl.ValidateOptions(options);
        _n = dimension;
        _s = _tab.Stages;
        _k = new double[_s * dimension];
        _y = new double[dimension];
        _yPrev = new double[dimension];
        _yNew = new double[dimension];
        _psi = new double[dimension];
        _stage = new double[dimension];
        _delta = new double[dimension];
        _residual = new double[dimension];
        _f = new double[dimension];
        _fPrev = new double[dimension];
        _jac = new double[dimension * dimension];
        _lu = new double[dimension * dimension];
        _pivots = new int[dimension];
        _atol = StepControl.AbsoluteTolerances(options, dimension);
        _loop = new StepLoop(options, new StepSizeController(options, Math.Min(_tab.Order, _tab.EmbeddedOrder) + 1));
    }

    /// <summary>The method being stepped.</summary>
    public EsdirkTableau Tableau => _tab;
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
    /// <inheritdoc/>
    public OdeStatus Status => _loop.Status;
    /// <inheritdoc/>
    public bool IsFinished => _loop.Done;
    /// <summary>Work counters (f and Jacobian evaluations, LU factorizations), cumulative until <see cref="ClearStats"/>.</summary>
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
        _eta = 1;
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
                throw new NotSupportedException($"{_tab.Name} controls the error of every component (OdeMethod.SupportsPartialErrorControl is false); ErrorComponents must stay {_n}.");
        }
    }

    /// <inheritdoc/>
    public bool Step() => _loop.Step(new Kernel(this), ref _stats);

    /// <summary>Steps until the end time or a failure; returns the final status.</summary>
    public OdeStatus Run()
    {
        while (Step()) { }
        return Status;
    }

    /// <inheritdoc/>
    /// <remarks>Cubic Hermite through (PreviousTime, PreviousState, F there) and (Time, State, F there).</remarks>
    public void Interpolate(double t, Span<double> y)
    {
        StepControl.CheckInterpolation(t, PreviousTime, Time, y.Length, _n);
        double h = Time - PreviousTime;
        if (h == 0) { _y.CopyTo(y); return; }
        HermiteDense.Interpolate<Lane1>((t - PreviousTime) / h, h, L(_yPrev), L(_fPrev), L(_y), L(_f), L(y));
    }

    /// <inheritdoc/>
    public void CopyDenseCoefficients(Span<double> destination)
    {
        int n = _n;
        if (destination.Length < 4 * n)
            throw new ArgumentException($"destination must have length at least {4 * n} ((DenseDegree + 1)·n), but has length {destination.Length}.", nameof(destination));
        HermiteDense.Coefficients(Time - PreviousTime, _yPrev, _fPrev, _y, _f, destination);
    }

    private static Span<Lane1> L(Span<double> values) => MemoryMarshal.Cast<double, Lane1>(values);

    // M = I − hγJ, factored in place.
    private bool FactorNewtonMatrix(double h)
    {
        int n = _n;
        double hg = h * _tab.Gamma;
        Span<double> m = _lu;
        for (int i = 0; i < m.Length; i++) m[i] = -hg * _jac[i];
        for (int i = 0; i < n; i++) m[i * n + i] += 1;
        _stats.Factorizations++;
        return DenseLU.Factor(m, n, _pivots);
    }

    // Stages 1 … s−1 by simplified Newton; the new solution is the last stage value (stiffly accurate).
    private bool SolveStages(double h)
    {
        int n = _n, s = _s;
        double[] a = _tab.A, c = _tab.C;
        double hg = h * _tab.Gamma;
        _f.AsSpan().CopyTo(_k.AsSpan(0, n));   // explicit first stage: F(t, y)
        for (int i = 1; i < s; i++)
        {
            // ψ = y + h Σ_{j<i} a_ij k_j; the stage solves Y = ψ + hγ F(t + c_i h, Y).
            Span<double> psi = _psi, stage = _stage;
            _y.AsSpan().CopyTo(psi);
            for (int j = 0; j < i; j++)
            {
                double w = h * a[i * s + j];
                if (w == 0) continue;
                ReadOnlySpan<double> kj = _k.AsSpan(j * n, n);
                for (int q = 0; q < n; q++) psi[q] += w * kj[q];
            }
            // Predictor: the previous stage's slope.
            ReadOnlySpan<double> kPrev = _k.AsSpan((i - 1) * n, n);
            for (int q = 0; q < n; q++) stage[q] = psi[q] + hg * kPrev[q];
            if (!Newton(Time + c[i] * h, hg)) return false;
            Span<double> ki = _k.AsSpan(i * n, n);
            for (int q = 0; q < n; q++) ki[q] = (stage[q] - psi[q]) / hg;
        }
        _stage.AsSpan().CopyTo(_yNew);
        return StepControl.AllFinite(_yNew);
    }

    private bool Newton(double t, double hg)
    {
        int n = _n;
        Span<double> stage = _stage, residual = _residual, delta = _delta;
        double previousNorm = 0, eta = Math.Max(_eta, 2.2e-16);
        for (int iteration = 0; iteration < MaxNewtonIterations; iteration++)
        {
            Evaluate(t, stage, residual);
            // −G(Y) = ψ + hγF(Y) − Y.
            for (int q = 0; q < n; q++) residual[q] = _psi[q] + hg * residual[q] - stage[q];
            residual.CopyTo(delta);
            DenseLU.Solve(_lu, n, _pivots, delta);
            double norm = ScaledNorm(delta);
            if (!double.IsFinite(norm)) return false;
            for (int q = 0; q < n; q++) stage[q] += delta[q];
            if (iteration > 0)
            {
                double theta = norm / previousNorm;
                if (theta >= 1) return false;   // diverging: smaller h
                eta = theta / (1 - theta);
            }
            if (eta * norm <= NewtonKappa || norm == 0)
            {
                _eta = Math.Pow(Math.Max(eta, 2.2e-16), 0.8);
                return true;
            }
            previousNorm = norm;
        }
        return false;
    }

    // Filtered estimate M⁻¹·h Σ (b_i − b̂_i) k_i, RMS-scaled.
    private double ErrorNorm(double h)
    {
        int n = _n, s = _s;
        double[] b = _tab.B, bHat = _tab.BHat;
        Span<double> err = _delta;
        err.Clear();
        for (int i = 0; i < s; i++)
        {
            double w = h * (b[i] - bHat[i]);
            if (w == 0) continue;
            ReadOnlySpan<double> ki = _k.AsSpan(i * n, n);
            for (int q = 0; q < n; q++) err[q] += w * ki[q];
        }
        DenseLU.Solve(_lu, n, _pivots, err);
        double rtol = _options.RelTol, sum = 0;
        for (int q = 0; q < n; q++)
        {
            double scale = _atol[q] + rtol * Math.Max(Math.Abs(_y[q]), Math.Abs(_yNew[q]));
            sum = StepControl.Accumulate(sum, err[q] / scale, _options.Norm);
        }
        return StepControl.Finish(sum, n, _options.Norm);
    }

    private double ScaledNorm(ReadOnlySpan<double> v)
    {
        double rtol = _options.RelTol, sum = 0;
        for (int q = 0; q < _n; q++)
        {
            double r = v[q] / (_atol[q] + rtol * Math.Abs(_y[q]));
            sum += r * r;
        }
        return _n == 0 ? 0 : Math.Sqrt(sum / _n);
    }

    // One attempt: J once per step (rejected attempts from this point reuse it), M factored for h, the stages by
    // Newton, and (adaptive solves only) the filtered error estimate.
    private StepOutcome Attempt(double h, out double error)
    {
        error = 0;
        if (!_jacobianCurrent)
        {
            _stats.JacobianEvaluations++;
            _field.Jacobian(Time, _y, _jac);
            if (!StepControl.AllFinite(_jac)) return StepOutcome.Failed;
            _jacobianCurrent = true;
        }
        if (!FactorNewtonMatrix(h)) return StepOutcome.Singular;
        // Newton did not converge (or produced non-finite values): a smaller step makes the stages easier.
        if (!SolveStages(h)) return StepOutcome.NotConverged;
        if (_loop.IsFixed) return StepOutcome.Finite;
        error = ErrorNorm(h);
        return double.IsFinite(error) ? StepOutcome.Finite : StepOutcome.NonFinite;
    }

    private bool Begin(double t0)
    {
        Evaluate(t0, _y, _f);
        _f.AsSpan().CopyTo(_fPrev);
        return StepControl.AllFinite(_f);
    }

    /// <summary>The ESDIRK step as the shared <see cref="StepLoop"/> drives it.</summary>
    private readonly struct Kernel(EsdirkIntegrator<TField> owner) : IStepKernel
    {
        public bool Begin(double t0) => owner.Begin(t0);
        public double InitialStepMagnitude(double t0, double tEnd, double direction) => owner.InitialStepMagnitude(t0, tEnd, direction);
        public double Attempt(double h, out StepOutcome outcome)
        {
            outcome = owner.Attempt(h, out double error);
            return error;
        }
        // Stiffly accurate with c_s = 1: the last stage's k is F at the new point already.
        public bool EndpointDerivative(double tNew) => true;
        public void Accept() => owner.Accept();
    }

    private void Accept()
    {
        int n = _n;
        _y.AsSpan().CopyTo(_yPrev);
        _f.AsSpan().CopyTo(_fPrev);
        _yNew.AsSpan().CopyTo(_y);
        // Stiffly accurate with c_s = 1: the last stage's k is F at the new point (to Newton accuracy).
        _k.AsSpan((_s - 1) * n, n).CopyTo(_f);
        _jacobianCurrent = false;
    }

    private void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt)
    {
        _stats.FunctionEvaluations++;
        _field.Evaluate(t, y, dydt);
    }

    private double InitialStepMagnitude(double t0, double tEnd, double direction) =>
        StepControl.InitialStep(ref _field, _options, _atol, _tab.Order, _n, t0, tEnd, direction, _y, _f, _stage, _residual, ref _stats.FunctionEvaluations);
}
