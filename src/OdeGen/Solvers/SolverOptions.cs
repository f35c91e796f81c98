namespace OdeGen;

/// <summary>
/// How to solve: the method, tolerances, what to save and the limits that turn a runaway solve
/// into a status instead of a hang. Immutable; one instance can serve many solves.
/// </summary>
public sealed class SolverOptions
{
    /// <summary>The default options: Dopri5, rtol = 1e-6, atol = 1e-9.</summary>
    public static SolverOptions Default { get; } = new();

    /// <summary>The method (default <see cref="OdeMethod.Dopri5"/>); a stiff one (<see cref="OdeMethod.IsStiff"/>, e.g. <see cref="OdeMethod.Rodas4"/>) uses the Jacobian.</summary>
    /// <exception cref="ArgumentNullException">Set to null (every solve and gradient would otherwise fail with a NullReferenceException).</exception>
    public OdeMethod Method
    {
        get => _method;
        init => _method = value ?? throw new ArgumentNullException(nameof(Method), "SolverOptions.Method cannot be null: choose one of OdeMethod.All (Dopri5 is the default).");
    }

    private readonly OdeMethod _method = OdeMethod.Dopri5;

    /// <summary>Relative tolerance of the local error (adaptive methods).</summary>
    public double RelTol { get; init; } = 1e-6;

    /// <summary>Absolute tolerance of the local error (adaptive methods).</summary>
    public double AbsTol { get; init; } = 1e-9;

    /// <summary>
    /// Absolute tolerances per component (length: the dimension of the integrated state); when set, used
    /// instead of <see cref="AbsTol"/>. For states whose components have very different scales.
    /// </summary>
    public double[]? AbsTolVector { get; init; }

    /// <summary>
    /// Times at which to save the state, in the direction of integration, inside [t0, t1].
    /// Values come from the method's dense output, so saving does not shorten steps.
    /// When null, the solution holds t0 and t1 only (unless <see cref="SaveSteps"/>).
    /// </summary>
    public double[]? SaveAt { get; init; }

    /// <summary>Save the state after every accepted step (grows with the number of steps).</summary>
    public bool SaveSteps { get; init; }

    /// <summary>
    /// Keep the dense output of every step so <c>OdeSolution.Interpolate</c> works anywhere in
    /// [t0, t1]. Memory grows with the number of steps; off by default.
    /// </summary>
    public bool Dense { get; init; }

    /// <summary>
    /// Events to locate (zero crossings of g(t, y)), found on each step's dense output; a terminal one ends the solve, one
    /// with a <see cref="OdeEvent.Reset"/> replaces the state and restarts the integrator there.
    /// Results are in <c>OdeSolution.Events</c>. See <see cref="OdeEvent"/>. The differentiating calls differentiate
    /// through them (event times, terminal events, resets) when every event has its <see cref="OdeEvent.Gradient"/>;
    /// the methods that cannot throw <see cref="NotSupportedException"/> (docs/sensitivity.md, "Events").
    /// </summary>
    public IReadOnlyList<OdeEvent>? Events { get; init; }

    /// <summary>
    /// How many equally spaced points inside each accepted step the <see cref="Events"/> are also evaluated at, on the step's
    /// dense output (default 8; 0 checks the step's ends only). A crossing and its return within one step leave g with the
    /// same sign at both ends; a sign change between two neighbouring points finds them (the earliest is located first).
    /// Crossings closer together than the spacing h/(points + 1) can still be missed: bound the step with
    /// <see cref="MaxStep"/> for faster ones. Events built with <see cref="OdeEvent.AtTime"/> are monotone in t and are
    /// checked at the ends only. Must lie in [0, 1000].
    /// </summary>
    public int EventInteriorPoints { get; init; } = EventLocator.DefaultInteriorPoints;

    /// <summary>
    /// How the scaled local errors of the components combine into the one number the step-size controller
    /// compares with 1: <see cref="ErrorNorm.Rms"/> (the default, as in Hairer's codes, torchdiffeq and Diffrax)
    /// or <see cref="ErrorNorm.Max"/> (every component within tolerance; stricter for large systems).
    /// </summary>
    public ErrorNorm Norm { get; init; } = ErrorNorm.Rms;

    /// <summary>Maximum number of step attempts (accepted and rejected) before <see cref="OdeStatus.MaxStepsExceeded"/>.</summary>
    public int MaxSteps { get; init; } = 100_000;

    /// <summary>
    /// The step of a fixed-step solve; required for methods without an error estimate (RK4, Euler). When set,
    /// every method takes steps of exactly this size (the last one may be shorter to land on t1) and the
    /// error estimate of adaptive methods is not used.
    /// </summary>
    public double? FixedStep { get; init; }

    /// <summary>
    /// The first step of an adaptive solve, as a magnitude (the step takes the direction from t0 to t1, so −0.01 and 0.01 are
    /// the same); when null it is chosen automatically (Hairer's procedure).
    /// </summary>
    public double? InitialStep { get; init; }

    /// <summary>Smallest step magnitude an adaptive solve may take before <see cref="OdeStatus.StepSizeTooSmall"/>.</summary>
    public double MinStep { get; init; }

    /// <summary>Largest step magnitude.</summary>
    public double MaxStep { get; init; } = double.PositiveInfinity;

    /// <summary>Safety factor of the step-size controller.</summary>
    public double Safety { get; init; } = 0.9;

    /// <summary>Smallest factor by which one step may shrink the next.</summary>
    public double MinFactor { get; init; } = 0.2;

    /// <summary>Largest factor by which one step may grow the next.</summary>
    public double MaxFactor { get; init; } = 10.0;

    /// <summary>
    /// How the step-size controller turns the error of an accepted step into the next step (adaptive methods):
    /// <see cref="StepSizeControl.ProportionalIntegral"/> (the default) or <see cref="StepSizeControl.Integral"/>, the
    /// controller of torchdiffeq and SciPy, for comparing step counts with them like for like.
    /// </summary>
    public StepSizeControl Controller { get; init; } = StepSizeControl.ProportionalIntegral;

    /// <summary>
    /// The lower end b of a band [b, 1] of scaled errors in which an accepted step keeps its size instead of the controller's
    /// choice (adaptive methods); null (the default) for no band. Boost.Odeint's controlled steppers hold from 0.5. A step in
    /// the band needs no power of its error, so the next step can start before the controller would have finished: with
    /// <see cref="StepSizeControl.Integral"/> and b = 0.5, Ode.Solve's Dopri5 on a small generated system runs its attempts
    /// about 35 % faster, in a few more steps at the same accuracy (BENCHMARKS.md, 6 December 2026, afternoon). The steps, and
    /// so the results' last digits, differ from those without the band. Must lie in (0, 1].
    /// </summary>
    public double? HoldBand { get; init; }
}

/// <summary>
/// The step-size controller of adaptive methods, for an error estimate that behaves like O(h^q) (q = 5 for Dopri5).
/// Both multiply the step by Safety·(…), clamp the factor to [MinFactor, MaxFactor], never grow the step right after a
/// rejection, and shrink a rejected step by Safety·err^(−1/q)·… alike up to the exponent.
/// </summary>
public enum StepSizeControl
{
    /// <summary>
    /// Proportional–integral (Gustafsson; Hairer &amp; Wanner, Solving ODEs II, IV.2): h·Safety·err^(−0.7/q)·errPrev^(0.4/q).
    /// Smoother step sequences and fewer rejections on problems whose error jumps; it grows the step more slowly than
    /// <see cref="Integral"/> (and, starting from errPrev = 1e-4 as Hairer's DOPRI5 does, more slowly still after the first step).
    /// </summary>
    ProportionalIntegral = 0,

    /// <summary>
    /// Integral (elementary) control: h·Safety·err^(−1/q), as torchdiffeq, SciPy's solve_ivp and Diffrax's default
    /// PIDController. On smooth problems with small error (an ODE-Net's block) it reaches long steps sooner:
    /// 32 instead of 50 evaluations for docs/odenet.md's block at rtol = atol = 1e-3.
    /// </summary>
    Integral,
}

/// <summary>How scaled component errors e_i / (atol_i + rtol·|y_i|) combine into one error.</summary>
public enum ErrorNorm
{
    /// <summary>Root mean square: √(Σ e_i² / n).</summary>
    Rms = 0,
    /// <summary>Largest magnitude: max |e_i|.</summary>
    Max,
}
