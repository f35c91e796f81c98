namespace OdeGen.Solvers;

/// <summary>
/// Steps an explicit Runge–Kutta method (any <see cref="ButcherTableau"/>) through a vector field,
/// forwards or backwards in time. All workspace is allocated in the constructor, so
/// <see cref="Reset"/> and <see cref="Step"/> allocate nothing: one integrator serves many solves.
/// </summary>
/// <remarks>
/// The stepper computes stages and the error estimate; <see cref="StepSizeController"/> decides
/// whether to accept and how large the next step is. Dense output covers the last accepted step
/// only (<see cref="Interpolate"/>); callers that need more copy it out (see <c>OdeSolution</c>).
/// </remarks>
public sealed class RungeKuttaIntegrator<TField> where TField : struct, IVectorField
{
    private readonly ButcherTableau _tableau;
    private readonly SolverOptions _options;
    private readonly int _n;
    private readonly double[] _k;        // stages, row i = k_i (Stages × n)
    private readonly double[] _y;        // current state
    private readonly double[] _yPrev;    // state at the start of the last accepted step
    private readonly double[] _yStage;   // stage argument, then candidate solution
    private readonly double[] _fNext;    // f(t, y) at the current point: the next step's first stage
    private readonly double[] _fPrev;    // f at the start of the last accepted step (Hermite output)
    private readonly double[] _dense;    // b_i(θ) scratch for interpolation
    private TField _field;
    private StepSizeController _controller;
    private double _tEnd, _h, _direction;
    private bool _done;

    /// <summary>Allocates the workspace for fields of <paramref name="dimension"/> components.</summary>
    public RungeKuttaIntegrator(int dimension, SolverOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(dimension);
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _tableau = options.Method.Tableau;
        if (!_tableau.IsAdaptive && options.FixedStep is null)
            throw new ArgumentException($"{_tableau.Name} has no error estimate: set SolverOptions.FixedStep.", nameof(options));
        if (options.FixedStep is { } fs && !(fs > 0 && double.IsFinite(fs)))
            throw new ArgumentException($"FixedStep must be positive and finite, not {fs}.", nameof(options));
        _n = dimension;
        _k = new double[_tableau.Stages * dimension];
        _y = new double[dimension];
        _yPrev = new double[dimension];
        _yStage = new double[dimension];
        _fNext = new double[dimension];
        _fPrev = new double[dimension];
        _dense = new double[_tableau.Stages];
        _controller = new StepSizeController(options, _tableau);
        _errorComponents = dimension;
    }

    private int _errorComponents;

    /// <summary>
    /// How many leading components enter the error norm and the automatic first step (default: all). Augmented systems put the
    /// state first and can leave trailing components (sensitivities, quadratures) out of step-size
    /// control; those then ride along on the steps the controlled components choose.
    /// </summary>
    public int ErrorComponents
    {
        get => _errorComponents;
        set
        {
            if (value < Math.Min(1, _n) || value > _n)
                throw new ArgumentOutOfRangeException(nameof(value), value, $"ErrorComponents must be between {Math.Min(1, _n)} and the dimension {_n}.");
            _errorComponents = value;
        }
    }

    /// <summary>The method being stepped.</summary>
    public ButcherTableau Tableau => _tableau;
    /// <summary>The vector field (settable between solves, e.g. to change parameters).</summary>
    public ref TField Field => ref _field;
    /// <summary>Current time.</summary>
    public double Time { get; private set; }
    /// <summary>Time at the start of the last accepted step.</summary>
    public double PreviousTime { get; private set; }
    /// <summary>Current state.</summary>
    public ReadOnlySpan<double> State => _y;
    /// <summary>State at the start of the last accepted step.</summary>
    public ReadOnlySpan<double> PreviousState => _yPrev;
    /// <summary>F(Time, State), already evaluated (it is the next step's first stage).</summary>
    public ReadOnlySpan<double> Derivative => _fNext;
    /// <summary>Ok while running and after reaching the end; otherwise why the integration stopped.</summary>
    public OdeStatus Status { get; private set; }
    /// <summary>True once the end time is reached or the integration failed.</summary>
    public bool IsFinished => _done;
    /// <summary>Work counters, cumulative over every <see cref="Reset"/> until <see cref="ClearStats"/>.</summary>
    public SolverStats Stats;
    /// <summary>Size of the next step attempt (signed).</summary>
    public double NextStep => _h;
    /// <summary>Size of the last accepted step (signed).</summary>
    public double LastStep => Time - PreviousTime;

    /// <summary>Sets the counters to zero.</summary>
    public void ClearStats() => Stats = default;

    /// <summary>
    /// Starts an integration of <paramref name="field"/> from (t0, y0) towards tEnd (either direction).
    /// Evaluates F once at the start, and once more to choose the first step when it is automatic.
    /// </summary>
    public void Reset(in TField field, ReadOnlySpan<double> y0, double t0, double tEnd)
    {
        if (y0.Length != _n) throw new ArgumentException($"Expected a state of length {_n}, got {y0.Length}.", nameof(y0));
        if (!double.IsFinite(t0) || !double.IsFinite(tEnd)) throw new ArgumentException($"Times must be finite: t0 = {t0}, tEnd = {tEnd}.");
        _field = field;
        y0.CopyTo(_y);
        y0.CopyTo(_yPrev);
        Time = PreviousTime = t0;
        _tEnd = tEnd;
        _direction = tEnd >= t0 ? 1.0 : -1.0;
        _controller.Reset();
        Status = OdeStatus.Success;
        _done = t0 == tEnd;
        if (_done) return;
        Evaluate(t0, _y, _fNext);
        if (!AllFinite(_fNext)) { Fail(OdeStatus.NonFiniteValue); return; }
        _fNext.CopyTo(_fPrev);
        _h = _direction * InitialStepMagnitude(t0);
    }

    /// <summary>
    /// Takes one accepted step towards the end time (retrying rejected attempts inside).
    /// Returns false when there is nothing more to do: the end was reached or the integration failed.
    /// </summary>
    public bool Step()
    {
        if (_done) return false;
        while (true)
        {
            if (Stats.Steps + Stats.RejectedSteps >= _options.MaxSteps) return Fail(OdeStatus.MaxStepsExceeded);
            double h = ClampToEnd(_h);
            if (Math.Abs(h) < MinimumStep(Time)) return Fail(_controller.LastWasNonFinite ? OdeStatus.NonFiniteValue : OdeStatus.StepSizeTooSmall);
            bool finite = Attempt(h, out double error);
            if (!_tableau.IsAdaptive)
            {
                if (!finite) return Fail(OdeStatus.NonFiniteValue);
                Accept(h);
                _h = _options.FixedStep!.Value * _direction;
                return true;
            }
            if (_controller.Decide(finite ? error : double.NaN, h, out double hNext))
            {
                Accept(h);
                _h = hNext;
                return true;
            }
            Stats.RejectedSteps++;
            _h = hNext;
        }
    }

    /// <summary>Steps until the end time or a failure; returns the final status.</summary>
    public OdeStatus Run()
    {
        while (Step()) { }
        return Status;
    }

    /// <summary>
    /// Dense output inside the last accepted step [PreviousTime, Time]: the method's own continuous
    /// extension where it has one, cubic Hermite otherwise.
    /// </summary>
    public void Interpolate(double t, Span<double> y)
    {
        double h = Time - PreviousTime;
        if (h == 0) { _y.CopyTo(y); return; }
        double theta = (t - PreviousTime) / h;
        if (_tableau.Dense is { } dense) InterpolateContinuous(dense, theta, h, y);
        else InterpolateHermite(theta, h, y);
    }

    private void InterpolateContinuous(double[][] dense, double theta, double h, Span<double> y)
    {
        int s = _tableau.Stages;
        for (int i = 0; i < s; i++)
        {
            // Horner in θ for b_i(θ) = Σ_j dense[i][j] θ^(j+1).
            double[] row = dense[i];
            double acc = 0;
            for (int j = row.Length - 1; j >= 0; j--) acc = acc * theta + row[j];
            _dense[i] = h * acc * theta;
        }
        _yPrev.AsSpan().CopyTo(y);
        for (int i = 0; i < s; i++)
        {
            double w = _dense[i];
            if (w == 0) continue;
            ReadOnlySpan<double> ki = _k.AsSpan(i * _n, _n);
            for (int c = 0; c < _n; c++) y[c] += w * ki[c];
        }
    }

    private void InterpolateHermite(double theta, double h, Span<double> y)
    {
        double t2 = theta * theta, t3 = t2 * theta;
        double h00 = 2 * t3 - 3 * t2 + 1, h10 = t3 - 2 * t2 + theta, h01 = -2 * t3 + 3 * t2, h11 = t3 - t2;
        for (int c = 0; c < _n; c++)
            y[c] = h00 * _yPrev[c] + h10 * h * _fPrev[c] + h01 * _y[c] + h11 * h * _fNext[c];
    }

    // Computes every stage and the candidate solution in _yStage; returns false on a non-finite value.
    private bool Attempt(double h, out double error)
    {
        int s = _tableau.Stages, n = _n;
        double[] a = _tableau.A, c = _tableau.C, b = _tableau.B;
        _fNext.AsSpan().CopyTo(_k.AsSpan(0, n));
        for (int i = 1; i < s; i++)
        {
            Span<double> arg = _yStage;
            _y.AsSpan().CopyTo(arg);
            for (int j = 0; j < i; j++)
            {
                double w = h * a[i * s + j];
                if (w == 0) continue;
                ReadOnlySpan<double> kj = _k.AsSpan(j * n, n);
                for (int q = 0; q < n; q++) arg[q] += w * kj[q];
            }
            Evaluate(Time + c[i] * h, arg, _k.AsSpan(i * n, n));
        }
        // Candidate solution y + h Σ b_i k_i; for FSAL methods it equals the last stage argument already.
        Span<double> yNew = _yStage;
        if (!_tableau.IsFsal)
        {
            _y.AsSpan().CopyTo(yNew);
            for (int i = 0; i < s; i++)
            {
                double w = h * b[i];
                if (w == 0) continue;
                ReadOnlySpan<double> ki = _k.AsSpan(i * n, n);
                for (int q = 0; q < n; q++) yNew[q] += w * ki[q];
            }
        }
        error = _tableau.IsAdaptive ? ErrorNorm(h, yNew) : 0.0;
        return AllFinite(yNew) && AllFinite(_k) && !double.IsNaN(error);
    }

    // RMS over components of the local error estimate scaled by atol + rtol·max(|y|, |y_new|).
    private double ErrorNorm(double h, ReadOnlySpan<double> yNew)
    {
        int s = _tableau.Stages, n = _n;
        double[] e = _tableau.ErrorWeights!;
        double rtol = _options.RelTol, atol = _options.AbsTol, sum = 0;
        int m = _errorComponents;
        for (int q = 0; q < m; q++)
        {
            double err = 0;
            for (int i = 0; i < s; i++) err += e[i] * _k[i * n + q];
            double scale = atol + rtol * Math.Max(Math.Abs(_y[q]), Math.Abs(yNew[q]));
            double r = h * err / scale;
            sum += r * r;
        }
        return m == 0 ? 0 : Math.Sqrt(sum / m);
    }

    private void Accept(double h)
    {
        int n = _n, s = _tableau.Stages;
        _y.AsSpan().CopyTo(_yPrev);
        _fNext.AsSpan().CopyTo(_fPrev);
        _yStage.AsSpan().CopyTo(_y);
        PreviousTime = Time;
        bool reachedEnd = h == _tEnd - Time;
        Time = reachedEnd ? _tEnd : Time + h;
        Stats.Steps++;
        if (_tableau.IsFsal) _k.AsSpan((s - 1) * n, n).CopyTo(_fNext);
        else Evaluate(Time, _y, _fNext);
        if (!AllFinite(_fNext)) { Fail(OdeStatus.NonFiniteValue); return; }
        if (reachedEnd) _done = true;
    }

    private double ClampToEnd(double h)
    {
        double remaining = _tEnd - Time;
        double magnitude = Math.Min(Math.Abs(h), _options.MaxStep);
        // Take the end exactly when it is within reach (or within a hair of it, to avoid a sliver step).
        return magnitude >= Math.Abs(remaining) * (1 - 1e-12) ? remaining : _direction * magnitude;
    }

    // A step shorter than a few units in the last place of t would not move t at all.
    private double MinimumStep(double t)
    {
        double at = Math.Abs(t);
        return Math.Max(_options.MinStep, 4 * (Math.BitIncrement(at) - at));
    }

    private bool Fail(OdeStatus status)
    {
        Status = status;
        _done = true;
        return false;
    }

    private void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt)
    {
        Stats.FunctionEvaluations++;
        _field.Evaluate(t, y, dydt);
    }

    // Hairer, Nørsett & Wanner, Solving ODEs I, II.4: a step whose Euler error matches the tolerance.
    private double InitialStepMagnitude(double t0)
    {
        if (_options.FixedStep is { } fixedStep) return fixedStep;
        if (_options.InitialStep is { } given) return Math.Abs(given);
        int n = _n, m = _errorComponents;
        double d0 = 0, d1 = 0;
        for (int q = 0; q < m; q++)
        {
            double scale = _options.AbsTol + _options.RelTol * Math.Abs(_y[q]);
            d0 += Sq(_y[q] / scale);
            d1 += Sq(_fNext[q] / scale);
        }
        d0 = Math.Sqrt(d0 / Math.Max(m, 1));
        d1 = Math.Sqrt(d1 / Math.Max(m, 1));
        double h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * d0 / d1;
        h0 = Math.Min(h0, Math.Min(Math.Abs(_tEnd - t0), _options.MaxStep));
        Span<double> y1 = _yStage;
        for (int q = 0; q < n; q++) y1[q] = _y[q] + _direction * h0 * _fNext[q];
        Span<double> f1 = _k.AsSpan(0, n);
        Evaluate(t0 + _direction * h0, y1, f1);
        double d2 = 0;
        for (int q = 0; q < m; q++)
        {
            double scale = _options.AbsTol + _options.RelTol * Math.Abs(_y[q]);
            d2 += Sq((f1[q] - _fNext[q]) / scale);
        }
        d2 = Math.Sqrt(d2 / Math.Max(m, 1)) / h0;
        if (!double.IsFinite(d2)) return h0 * 1e-3;
        double dMax = Math.Max(d1, d2);
        double h1 = dMax <= 1e-15 ? Math.Max(1e-6, h0 * 1e-3) : Math.Pow(0.01 / dMax, 1.0 / _tableau.Order);
        return Math.Min(100 * h0, h1);
    }

    private static double Sq(double x) => x * x;

    private static bool AllFinite(ReadOnlySpan<double> v)
    {
        // NaN and ±∞ both make x − x non-zero (NaN), so one pass with a running sum detects either.
        double acc = 0;
        foreach (double x in v) acc += x - x;
        return acc == 0;
    }
}
