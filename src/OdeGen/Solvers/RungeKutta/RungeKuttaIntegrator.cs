using System.Runtime.InteropServices;
using OdeGen.Lanes;

namespace OdeGen.Solvers;

/// <summary>
/// Steps an explicit Runge–Kutta method (any <see cref="ButcherTableau"/>) through a vector field,
/// forwards or backwards in time. All workspace is allocated in the constructor, so
/// <see cref="Reset"/> and <see cref="Step"/> allocate nothing: one integrator serves many solves.
/// </summary>
/// <remarks>
/// <see cref="RungeKuttaKernel{TLane}"/> computes the stages, the candidate, the error norm and the dense output (the
/// same code the ensembles' lanes run); the shared <see cref="StepLoop"/> decides whether to accept and how large the
/// next step is. Dense output covers the last accepted step only (<see cref="Interpolate"/>); callers that need more
/// copy it out (see <c>OdeSolution</c>).
/// </remarks>
public sealed class RungeKuttaIntegrator<TField> : IOdeIntegrator<TField> where TField : struct, IVectorField
{
    private readonly ButcherTableau _tableau;
    private readonly SolverOptions _options;
    private readonly int _n;
    private readonly double[] _k;        // stages, row i = k_i (DenseStages × n: the method's, then any dense-only stages)
    private readonly double[] _y;        // current state
    private readonly double[] _yPrev;    // state at the start of the last accepted step
    private readonly double[] _yStage;   // stage argument, then candidate solution
    private readonly double[] _fNext;    // f(t, y) at the current point: the next step's first stage (see _fNextPending)
    private readonly double[] _fPrev;    // f at the start of the last accepted step (Hermite output)
    private readonly RungeKuttaKernel<Lane1> _kernel;   // the stages, error norm and dense output every explicit path shares
    private readonly double[] _atol;     // absolute tolerance of each component
    private readonly double[] _fTrial;   // f at a candidate point of a non-FSAL method, before acceptance
    private readonly bool _fixed;        // FixedStep given: every step has that size (the last one may be shorter)
    private bool _endpointDeferred;      // the fixed step being accepted is the last, and leaves f at its end for later (Accept)
    private bool _fNextPending;          // _fNext is not yet f at the current point: the end, after a deferred last step
    private TField _field;
    private StepLoop _loop;              // the shared step loop: budget, end, underflow, fixed steps, accept or reject
    private double _origin = double.NaN; // t0 of the last Reset (NaN before the first): a Restart stays in [t0, tEnd]
    private bool _extraStagesReady;      // dense-only stages of the last accepted step are evaluated

    /// <summary>Allocates the workspace for fields of <paramref name="dimension"/> components.</summary>
    public RungeKuttaIntegrator(int dimension, SolverOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(dimension);
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _tableau = options.Method.Tableau;
        if (!_tableau.IsAdaptive && options.FixedStep is null)
            throw new ArgumentException($"{_tableau.Name} has no error estimate: set SolverOptions.FixedStep.", nameof(options));
        StepControl.ValidateOptions(options);
        _fixed = options.FixedStep is not null;
        _n = dimension;
        _k = new double[_tableau.DenseStages * dimension];
        _y = new double[dimension];
        _yPrev = new double[dimension];
        _yStage = new double[dimension];
        _fNext = new double[dimension];
        _fPrev = new double[dimension];
        _kernel = new RungeKuttaKernel<Lane1>(_tableau);
        _fTrial = new double[dimension];
        _atol = StepControl.AbsoluteTolerances(options, dimension);
        _loop = new StepLoop(options, new StepSizeController(options, _tableau));
        _errorComponents = dimension;
    }

    private int _errorComponents;
    private RegisterStages? _registers;   // the stages in the system's register type (Ode.Solve, small generated systems), or null

    /// <summary>
    /// Computes the stages through <paramref name="stages"/> from now on: the same bits as the kernel, with f evaluated as
    /// the generated register form bound to its parameters. Only for an integrator whose field is, for its whole life, the
    /// <c>SystemField</c> of that system over those parameters (<c>Ode.Solve</c> creates one per call).
    /// </summary>
    internal void UseRegisterStages(RegisterStages stages)
    {
        if (stages.Tableau != _tableau || stages.StateCount != _n)
            throw new ArgumentException($"The register stages are for {stages.Tableau.Name} with {stages.StateCount} states; this integrator steps {_tableau.Name} with {_n}.", nameof(stages));
        _registers = stages;
    }

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
    public double Time => _loop.Time;
    /// <summary>Time at the start of the last accepted step.</summary>
    public double PreviousTime => _loop.PreviousTime;
    /// <summary>Current state.</summary>
    public ReadOnlySpan<double> State => _y;
    /// <summary>State at the start of the last accepted step.</summary>
    public ReadOnlySpan<double> PreviousState => _yPrev;
    /// <summary>
    /// F(Time, State): the next step's first stage. After the last fixed step of a method without FSAL (RK4), which no further
    /// step needs it for, it is evaluated on first read (here or by the dense output of that step; counted in
    /// <see cref="Stats"/> then), so a solve that reads only its final state does not pay for f at the end. If it is not
    /// finite, <see cref="Status"/> becomes <see cref="OdeStatus.NonFiniteValue"/>, as an eager evaluation would have failed the step.
    /// </summary>
    public ReadOnlySpan<double> Derivative
    {
        get
        {
            EnsureDerivative();
            return _fNext;
        }
    }
    /// <summary>Ok while running and after reaching the end; otherwise why the integration stopped.</summary>
    public OdeStatus Status => _loop.Status;
    /// <summary>True once the end time is reached or the integration failed.</summary>
    public bool IsFinished => _loop.Done;
    /// <summary>Work counters, cumulative over every <see cref="Reset"/> until <see cref="ClearStats"/>.</summary>
    public SolverStats Stats;
    SolverStats IOdeIntegrator.Stats => Stats;
    /// <summary>Size of the next step attempt (signed).</summary>
    public double NextStep => _loop.NextStep;
    /// <inheritdoc/>
    public double LastStep => _loop.LastStep;

    /// <summary>
    /// Degree in θ of the dense output of one step (see <see cref="CopyDenseCoefficients"/>): the degree of the
    /// method's continuous extension, or 3 for cubic Hermite.
    /// </summary>
    public int DenseDegree => _tableau.Dense is { } d ? d[0].Length : 3;

    /// <summary>
    /// Writes the dense output of the last accepted step as polynomial coefficients in θ = (t − PreviousTime)/(Time − PreviousTime):
    /// y(θ) = Σ_{j=0..DenseDegree} θ^j·c_j, with c_j = destination[j·n .. (j+1)·n) and c_0 = PreviousState.
    /// Lets callers keep every step's continuous extension (<c>OdeSolution.Interpolate</c>) at (DenseDegree + 1)·n doubles a step.
    /// </summary>
    public void CopyDenseCoefficients(Span<double> destination)
    {
        int n = _n, degree = DenseDegree;
        if (destination.Length < (degree + 1) * n)
            throw new ArgumentException($"destination must have length at least {(degree + 1) * n} ((DenseDegree + 1)·n), but has length {destination.Length}.", nameof(destination));
        // The extension's dense-only stages, or Hermite's slope at the end, before the shared arithmetic.
        if (_tableau.Dense is not null) EnsureExtraStages();
        else EnsureDerivative();
        RungeKuttaDense.Coefficients(_tableau, Time - PreviousTime, _yPrev, _y, _fPrev, _fNext, _k, destination);
    }

    /// <summary>Sets the counters to zero.</summary>
    public void ClearStats() => Stats = default;

    /// <summary>
    /// Starts an integration of <paramref name="field"/> from (t0, y0) towards tEnd (either direction).
    /// Evaluates F once at the start, and once more to choose the first step when it is automatic.
    /// </summary>
    public void Reset(in TField field, ReadOnlySpan<double> y0, double t0, double tEnd) => ResetWithFirstStep(field, y0, t0, tEnd, 0);

    /// <summary>
    /// <see cref="Reset"/> with the first step's magnitude given
    /// (<paramref name="firstStep"/> &gt; 0; adaptive steps only): a caller that continues an integration across a jump of
    /// its state (the interpolating adjoint at an observation) starts from the step its last run's controller proposed
    /// instead of choosing one afresh, which costs an evaluation of F. Error control accepts or shrinks it as any step.
    /// </summary>
    internal void ResetWithFirstStep(in TField field, ReadOnlySpan<double> y0, double t0, double tEnd, double firstStep, bool continueBudget = false)
    {
        if (y0.Length != _n) throw new ArgumentException($"Expected a state of length {_n}, got {y0.Length}.", nameof(y0));
        if (field.Dimension != _n)
            throw new ArgumentException($"The field has Dimension {field.Dimension}, but this integrator was created for {_n} components: create it with the field's dimension.", nameof(field));
        Guard.Interval(t0, tEnd, nameof(t0), nameof(tEnd));
        _field = field;
        y0.CopyTo(_y);
        y0.CopyTo(_yPrev);
        _extraStagesReady = false;
        _loop.Begin(new Kernel(this), t0, tEnd, firstStep, continueBudget);
        if (!continueBudget) _origin = t0;   // after Begin: a Reset it refuses leaves the last interval
        RestartGuard.FailOnNonFiniteState(ref _loop, y0);
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException"><paramref name="t"/> is not finite, or lies outside the interval of the last Reset.</exception>
    /// <exception cref="InvalidOperationException">No Reset has started an integration to continue.</exception>
    public void Restart(double t, ReadOnlySpan<double> y)
    {
        RestartGuard.Arguments(t, y, _n, _origin, _loop.End);
        ResetWithFirstStep(_field, y, t, _loop.End, 0, continueBudget: true);
    }

    /// <summary>
    /// Takes one accepted step towards the end time (retrying rejected attempts inside).
    /// Returns false when there is nothing more to do: the end was reached or the integration failed.
    /// </summary>
    public bool Step() => _loop.Step(new Kernel(this), ref Stats);

    /// <summary>Steps until the end time or a failure; returns the final status.</summary>
    public OdeStatus Run()
    {
        while (Step()) { }
        return Status;
    }

    /// <summary>
    /// Dense output inside the last accepted step [PreviousTime, Time]: the method's own continuous
    /// extension where it has one, cubic Hermite otherwise. Valid after a <see cref="Step"/> that returned
    /// true and before the next call to it (a failed step overwrites the stages).
    /// </summary>
    public void Interpolate(double t, Span<double> y)
    {
        StepControl.CheckInterpolation(t, PreviousTime, Time, y.Length, _n);
        double h = Time - PreviousTime;
        if (h == 0) { _y.CopyTo(y); return; }
        EnsureDerivative();
        EnsureExtraStages();
        _kernel.Interpolate((t - PreviousTime) / h, h, L(_yPrev), L(_y), L(_fPrev), L(_fNext), L(_k), L(y));
    }

    // Methods whose continuous extension needs more stages than the step (DOP853) evaluate them once per
    // accepted step, on the first request for dense output, from the step's start and its stages.
    private void EnsureExtraStages()
    {
        if (_tableau.DenseStageC.Length == 0 || _extraStagesReady || Time == PreviousTime) return;
        _extraStagesReady = true;
        EnsureDerivative();
        var f = new Stages(this);
        // _yStage is free between steps: its candidate was copied into _y on acceptance.
        _kernel.ExtraStages(ref f, PreviousTime, Time - PreviousTime, L(_yPrev), L(_fNext), L(_k), L(_yStage));
    }

    private static Span<Lane1> L(Span<double> values) => MemoryMarshal.Cast<double, Lane1>(values);

    /// <summary>f through the kernel: the field, counted, on the kernel's <see cref="Lane1"/> view of the arrays.</summary>
    private readonly struct Stages(RungeKuttaIntegrator<TField> owner) : IStageFunction<Lane1>
    {
        public void Evaluate(double t, ReadOnlySpan<Lane1> y, Span<Lane1> dydt) =>
            owner.Evaluate(t, MemoryMarshal.Cast<Lane1, double>(y), MemoryMarshal.Cast<Lane1, double>(dydt));
    }

    // Computes every stage and the candidate solution in _yStage; returns the error norm, finite false on a non-finite value.
    private double Attempt(double h, out bool finite) =>
        _registers is { } registers ? RegisterAttempt(registers, h, out finite) : KernelAttempt(h, out finite);

    private double KernelAttempt(double h, out bool finite)
    {
        int s = _tableau.Stages, n = _n;
        Copy(_fNext, _k.AsSpan(0, n));
        var f = new Stages(this);
        _kernel.Stages(ref f, Time, h, L(_y), L(_k), L(_yStage));
        _kernel.Candidate(L(_yStage), L(_y), L(_k), h);
        ReadOnlySpan<double> yNew = _yStage;
        double error = 0.0;
        if (_tableau.IsAdaptive && !_fixed)
        {
            error = _kernel.SingleErrorNorm(h, L(_k), L(_y), L(_yStage), _errorComponents, _atol, _options.RelTol, _options.Norm);
        }
        finite = StepControl.AllFinite(yNew) && StepControl.AllFinite(_k.AsSpan(0, s * n)) && !double.IsNaN(error);
        return error;
    }

    // The same attempt with the stages in the system's register type (the kernel's bits, RegisterStages), their finiteness
    // checked and, for methods with one error estimate, their error summed on the way. A step whose weights underflow goes to
    // the kernel. Its own method, so that the kernel's path compiles as it did before.
    private double RegisterAttempt(RegisterStages registers, double h, out bool finite)
    {
        Copy(_fNext, _k.AsSpan(0, _n));
        if (!registers.TryStep(Time, h, _y, _k, _yStage, out bool stagesFinite)) return KernelAttempt(h, out finite);
        Stats.FunctionEvaluations += _tableau.Stages - 1;
        double error = 0.0;
        if (_tableau.IsAdaptive && !_fixed)
        {
            error = registers.HasStepErrorNorm
                ? registers.StepErrorNorm(h, _y, _yStage, _errorComponents, _atol, _options.RelTol, _options.Norm)
                : _kernel.SingleErrorNorm(h, L(_k), L(_y), L(_yStage), _errorComponents, _atol, _options.RelTol, _options.Norm);
        }
        finite = stagesFinite && !double.IsNaN(error);
        return error;
    }

    // F at the candidate point: FSAL methods already have it (the last stage, checked with the stages); others evaluate it
    // into _fTrial, except on the last fixed step, where only a reader needs it (EnsureDerivative): a solve to its end costs
    // s·steps evaluations, not one more (torchdiffeq's fixed grid evaluates the same). Adaptive steps always evaluate it: a
    // non-finite value there rejects the step, and so decides the steps. False when it is not finite.
    private bool EndpointDerivative(double tNew)
    {
        if (_tableau.IsFsal) return true;
        if (_fixed && tNew == _loop.End)
        {
            _endpointDeferred = true;
            return true;
        }
        Evaluate(tNew, _yStage, _fTrial);
        return StepControl.AllFinite(_fTrial);
    }

    private void Accept()
    {
        int n = _n, s = _tableau.Stages;
        Copy(_y, _yPrev);
        Copy(_fNext, _fPrev);
        Copy(_yStage, _y);
        if (_endpointDeferred)
        {
            _endpointDeferred = false;
            _fNextPending = true;
        }
        else Copy(_tableau.IsFsal ? _k.AsSpan((s - 1) * n, n) : _fTrial, _fNext);
        _extraStagesReady = false;
    }

    // f at the end into _fNext when the last fixed step left it for a reader (EndpointDerivative): the same call on the same
    // values as the evaluation at the candidate it replaces, so the same bits. A non-finite value fails the solve, as it would
    // have failed the step, but the state stays the step's (finite) end.
    private void EnsureDerivative()
    {
        if (!_fNextPending) return;
        _fNextPending = false;
        Evaluate(Time, _y, _fNext);
        if (!StepControl.AllFinite(_fNext)) _loop.Fail(OdeStatus.NonFiniteValue);
    }

    private const int SmallState = 16;

    // The state copies of every step: a plain loop for a few components, which costs less than the call to a block copy.
    private static void Copy(ReadOnlySpan<double> source, Span<double> destination)
    {
        if (source.Length > SmallState || source.Length > destination.Length)
        {
            source.CopyTo(destination);
            return;
        }
        for (int q = 0; q < source.Length; q++) destination[q] = source[q];
    }

    // Begin: f at the start (Derivative always holds F at the current point, even for an empty interval).
    private bool Begin(double t0)
    {
        _fNextPending = _endpointDeferred = false;
        Evaluate(t0, _y, _fNext);
        _fNext.CopyTo(_fPrev);
        return StepControl.AllFinite(_fNext);
    }

    /// <summary>The explicit Runge–Kutta step as the shared <see cref="StepLoop"/> drives it.</summary>
    private readonly struct Kernel(RungeKuttaIntegrator<TField> owner) : IStepKernel
    {
        public bool Begin(double t0) => owner.Begin(t0);
        public double InitialStepMagnitude(double t0, double tEnd, double direction) => owner.InitialStepMagnitude(t0, tEnd, direction);
        public double Attempt(double h, out StepOutcome outcome)
        {
            double error = owner.Attempt(h, out bool finite);
            outcome = finite ? StepOutcome.Finite : StepOutcome.NonFinite;
            return error;
        }
        public bool EndpointDerivative(double tNew) => owner.EndpointDerivative(tNew);
        public void Accept() => owner.Accept();
    }

    private void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt)
    {
        Stats.FunctionEvaluations++;
        _field.Evaluate(t, y, dydt);
    }

    private double InitialStepMagnitude(double t0, double tEnd, double direction) =>
        StepControl.InitialStep(ref _field, _options, _atol, _tableau.Order, _errorComponents, t0, tEnd, direction, _y, _fNext, _yStage, _k.AsSpan(0, _n), ref Stats.FunctionEvaluations);
}
