using OdeGen.Solvers;

namespace OdeGen;

/// <summary>
/// How <see cref="Ode.Gradient{TSystem}(in TSystem, ReadOnlySpan{double}, ReadOnlySpan{double}, double, ReadOnlySpan{double}, ReadOnlySpan{double}, Sensitivity?, SolverOptions?)"/> differentiates a solve. The choices are static members and factories
/// (<see cref="Forward"/>, <see cref="InterpolatingAdjoint"/>, the default; <see cref="BacksolveAdjoint"/>,
/// <see cref="Backsolve"/>; <see cref="DiscreteAdjoint"/>); each is an immutable object that carries its own
/// settings, so a new method is a new member and a new subclass, and existing call sites keep compiling and
/// meaning the same thing.
/// </summary>
/// <remarks>
/// Only this assembly can derive from <see cref="Sensitivity"/>: the set of methods is closed, which lets
/// each one be a generic, JIT-specialized algorithm over the system type rather than a virtual call per step.
/// </remarks>
public abstract class Sensitivity
{
    private protected Sensitivity() { }

    /// <summary>
    /// Forward sensitivities: integrates the state together with the full matrices ∂y/∂y0 and ∂y/∂p
    /// (n(n + m) extra components, built from the generated Jacobian); the sensitivities take part in
    /// error control. Cost grows with the number of inputs; accurate and stable, also for chaotic systems
    /// over long spans. See <see cref="ForwardSensitivity"/> for the settings. Works with stiff methods (Rodas4, Kvaerno5).
    /// </summary>
    public static ForwardSensitivity Forward { get; } = new();

    /// <summary>
    /// The adjoint method by back-solving (Chen et al. 2018, Algorithm 2): a forward pass that keeps only
    /// the states at the observation times, then one backward solve of [y; a; a_p; a_t]. Memory does not
    /// grow with the number of steps and the cost does not grow with the number of parameters, but
    /// integrating the state backwards is unstable for chaotic or strongly dissipative systems over long spans.
    /// Explicit methods only: with a stiff method it throws
    /// <see cref="NotSupportedException"/> (a stiff state integrated backwards is unstable; use <see cref="InterpolatingAdjoint"/>).
    /// </summary>
    public static BacksolveAdjointSensitivity BacksolveAdjoint { get; } = new();

    /// <summary>
    /// The interpolating adjoint with checkpoints: the forward pass keeps the state at
    /// <paramref name="checkpoints"/> evenly spaced times (and at the observation times); the backward pass
    /// re-solves each segment forwards from its checkpoint and integrates the adjoint backwards against that
    /// segment's dense output. The state is never integrated backwards, so it is stable where
    /// <see cref="BacksolveAdjoint"/> is not (chaotic, stiff or dissipative systems, long spans). Costs a second
    /// forward solve; memory is O((checkpoints + observations)·n) plus one segment's dense output, so more
    /// checkpoints mean less memory per segment. Works with stiff methods (Rodas4, Kvaerno5) in every pass; the backward
    /// pass then uses the exact Jacobian of the adjoint system, built from the system's generated Jacobian.
    /// </summary>
    /// <param name="checkpoints">Number of evenly spaced segments over [t0, t_N] (at least 1).</param>
    public static InterpolatingAdjointSensitivity InterpolatingAdjoint(int checkpoints = InterpolatingAdjointSensitivity.DefaultCheckpoints) =>
        checkpoints == InterpolatingAdjointSensitivity.DefaultCheckpoints ? DefaultInterpolatingAdjoint : new(checkpoints);

    /// <summary>
    /// The back-solve adjoint with settings for its backward pass (torchdiffeq's <c>adjoint_rtol</c>/<c>adjoint_atol</c>,
    /// Diffrax's backward step-size controller): see <see cref="AdjointSensitivity"/>. With no arguments it is
    /// <see cref="BacksolveAdjoint"/>.
    /// </summary>
    /// <param name="relTol">Relative tolerance of the backward pass; null: the forward pass's <see cref="SolverOptions.RelTol"/>.</param>
    /// <param name="absTol">Absolute tolerance of the backward pass; null: the forward pass's.</param>
    /// <param name="seminorm">Leave the parameter and time adjoints out of the backward step-size control (see <see cref="AdjointSensitivity.Seminorm"/>).</param>
    public static BacksolveAdjointSensitivity Backsolve(double? relTol = null, double? absTol = null, bool seminorm = false) =>
        relTol is null && absTol is null && !seminorm
            ? BacksolveAdjoint
            : new() { RelTol = relTol, AbsTol = absTol, Seminorm = seminorm };

    private static readonly InterpolatingAdjointSensitivity DefaultInterpolatingAdjoint = new(InterpolatingAdjointSensitivity.DefaultCheckpoints);

    /// <summary>
    /// The discrete adjoint: reverse mode through the Runge–Kutta stages the forward pass actually took, giving the
    /// exact gradient of the discrete solution (RK-Net in Chen et al. 2018) rather than an approximation of the
    /// continuous gradient. For adaptive methods the accepted step sequence is frozen (the step-size controller is
    /// not differentiated). Costs one forward solve plus, per step, a recomputation of its stages and one VJP per
    /// stage; memory is one state per accepted step, O(steps·n) (see <see cref="DiscreteAdjointSensitivity.StepsPerCheckpoint"/>
    /// to keep fewer). Explicit methods only (a stiff method throws <see cref="NotSupportedException"/>). Use it when the discrete solution is the model
    /// (fixed-step Neural ODEs, loose tolerances, where the continuous adjoints' gradient would not match the
    /// computed loss), and for gradients that must agree with finite differences of the solver itself.
    /// </summary>
    public static DiscreteAdjointSensitivity DiscreteAdjoint { get; } = new();

    /// <summary>A short name for logs and test output.</summary>
    public abstract string Name { get; }

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>
    /// Computes the gradient for inputs that <see cref="Ode.Gradient{TSystem}(in TSystem, ReadOnlySpan{double}, ReadOnlySpan{double}, double, ReadOnlySpan{double}, ReadOnlySpan{double}, Sensitivity?, SolverOptions?)"/> has already checked:
    /// sizes match, everything is finite, times are monotone away from t0.
    /// </summary>
    internal abstract OdeGradient Compute<TSystem>(in TSystem system, GradientInputs inputs, SolverOptions options)
        where TSystem : struct, IOdeSystem;

    /// <summary>
    /// Throws for a method that cannot differentiate through events when the options have some that change the solution
    /// (terminal, or with a reset; with <paramref name="anyEvent"/>, any event): ignoring them would give the gradient of a
    /// different solve with a Success status. Events that only observe the solution do not change the gradient.
    /// </summary>
    internal static void RejectEvents(SolverOptions options, string what, bool anyEvent = false)
    {
        if (options.Events is not { Count: > 0 } events) return;
        foreach (OdeEvent? ev in events)
        {
            if (ev is null || anyEvent || ev.Terminal || ev.Reset is not null)
                throw new NotSupportedException(
                    $"{what} does not differentiate through events (SolverOptions.Events{(ev is null || anyEvent ? "" : $": {ev} is {(ev.Terminal ? "terminal" : "a reset")}")}): " +
                    "use Sensitivity.InterpolatingAdjoint() or Sensitivity.Forward, which differentiate event times, terminal events and resets.");
        }
    }
}

/// <summary>
/// Forward sensitivities (see <see cref="Sensitivity.Forward"/>). Construct one to change the settings:
/// <c>new ForwardSensitivity { SensitivitiesInErrorControl = false }</c>.
/// </summary>
public sealed class ForwardSensitivity : Sensitivity
{
    /// <summary>
    /// When true (the default) the step-size controller sees the sensitivity components as well as the
    /// state, which keeps the derivatives as accurate as the solution. When false only the state controls
    /// the steps: cheaper, the state is bit-for-bit what a plain solve with the same options would take
    /// (same steps), and the sensitivities are then only as accurate as those steps happen to make them.
    /// False is for explicit methods only (a stiff method with it throws <see cref="NotSupportedException"/>).
    /// </summary>
    public bool SensitivitiesInErrorControl { get; init; } = true;

    /// <inheritdoc/>
    public override string Name => SensitivitiesInErrorControl ? "Forward" : "Forward (state-only error control)";

    internal override OdeGradient Compute<TSystem>(in TSystem system, GradientInputs inputs, SolverOptions options) =>
        ForwardSensitivitySolver.Gradient(system, inputs, options, this);
}

/// <summary>
/// The back-solve adjoint (see <see cref="Sensitivity.BacksolveAdjoint"/>). Construct one, or call
/// <see cref="Sensitivity.Backsolve"/>, to give the backward pass its own tolerances or seminorm error control.
/// </summary>
public sealed class BacksolveAdjointSensitivity : AdjointSensitivity
{
    /// <inheritdoc/>
    public override string Name => "BacksolveAdjoint" + SettingsSuffix();

    /// <exception cref="NotSupportedException">The options' method is stiff (<see cref="OdeMethod.IsStiff"/>).</exception>
    internal override OdeGradient Compute<TSystem>(in TSystem system, GradientInputs inputs, SolverOptions options)
    {
        RejectEvents(options, "The back-solve adjoint");
        if (options.Method.IsStiff)
            throw new NotSupportedException(
                $"The back-solve adjoint does not support the stiff method {options.Method.Name}: integrating a stiff state backwards is unstable, " +
                "and its backward Jacobian would need second derivatives of f. Use Sensitivity.InterpolatingAdjoint(...) or Sensitivity.Forward with stiff methods.");
        return BacksolveAdjointSolver.Gradient(system, inputs, options, this);
    }
}

/// <summary>The interpolating adjoint with checkpoints (see <see cref="Sensitivity.InterpolatingAdjoint"/>).</summary>
public sealed class InterpolatingAdjointSensitivity : AdjointSensitivity
{
    /// <summary>The number of checkpoint segments when none is given.</summary>
    public const int DefaultCheckpoints = 16;

    /// <summary>Creates the method with <paramref name="checkpoints"/> evenly spaced segments (at least 1).</summary>
    public InterpolatingAdjointSensitivity(int checkpoints = DefaultCheckpoints)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(checkpoints, 1);
        Checkpoints = checkpoints;
    }

    /// <summary>Number of evenly spaced segments over [t0, t_N]; observation times add boundaries of their own (unless <see cref="InterpolateObservations"/>).</summary>
    public int Checkpoints { get; }

    /// <summary>
    /// False (the default): the forward pass and the re-solves stop at every observation time, as the other methods'
    /// forward passes do, so each y(t_i) is a step end point. True: they stop only at the checkpoints and take the
    /// states at the observation times from the dense output of the steps that cross them (as torchdiffeq does); the
    /// backward pass still stops at each observation time to add its loss term. Fewer forward steps when the
    /// observations are closer together than the solver's steps (the Neural-ODE spiral demo: 10 points in 0.225 time
    /// units); the states then carry the interpolant's error, of the order of the step's local error.
    /// </summary>
    public bool InterpolateObservations { get; init; }

    /// <inheritdoc/>
    public override string Name => $"InterpolatingAdjoint({Checkpoints})" + SettingsSuffix() + (InterpolateObservations ? " [interpolated observations]" : "");

    internal override OdeGradient Compute<TSystem>(in TSystem system, GradientInputs inputs, SolverOptions options) =>
        InterpolatingAdjointSolver.Gradient(system, inputs, options, this);
}

/// <summary>The discrete adjoint (see <see cref="Sensitivity.DiscreteAdjoint"/>).</summary>
/// <remarks>
/// With respect to the times it differentiates the solver's output with the step sequence frozen: inside each
/// interval between observation times, the steps keep their recorded sizes and move with the interval's start, and
/// the last step ends on the interval's end, its size absorbing the move. For fixed-step solves that is exactly
/// how the solver places its steps, so dL/dt0 and dL/dtimes are the derivatives of the computed loss (while the
/// number of steps does not change).
/// </remarks>
public sealed class DiscreteAdjointSensitivity : Sensitivity
{
    private readonly int _stepsPerCheckpoint = 1;

    /// <summary>
    /// Keep the state of every this-many-th step only (default 1: every step). The backward pass then recomputes
    /// the states of one run of steps at a time from its checkpoint, replaying the recorded step sizes with the
    /// solver's own arithmetic, so the gradient is the same (to rounding). Memory becomes 2 doubles a step (time
    /// and size) plus n doubles a checkpoint plus n·StepsPerCheckpoint of workspace, instead of n + 2 doubles a
    /// step; about √steps minimizes it. Costs one more evaluation of the live stages for most steps.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int StepsPerCheckpoint
    {
        get => _stepsPerCheckpoint;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _stepsPerCheckpoint = value;
        }
    }

    /// <inheritdoc/>
    public override string Name => _stepsPerCheckpoint == 1 ? "DiscreteAdjoint" : $"DiscreteAdjoint [checkpoint every {_stepsPerCheckpoint} steps]";

    /// <exception cref="NotSupportedException">The options' method is stiff (<see cref="OdeMethod.IsStiff"/>).</exception>
    internal override OdeGradient Compute<TSystem>(in TSystem system, GradientInputs inputs, SolverOptions options)
    {
        RejectEvents(options, "The discrete adjoint");
        if (options.Method.IsStiff)
            throw new NotSupportedException(
                $"The discrete adjoint differentiates explicit Runge–Kutta steps and does not support the stiff method {options.Method.Name}. " +
                "Use Sensitivity.InterpolatingAdjoint(...) or Sensitivity.Forward with stiff methods.");
        return DiscreteAdjointSolver.Gradient(system, inputs, options, this);
    }
}

/// <summary>
/// Settings shared by the continuous adjoint methods (<see cref="BacksolveAdjointSensitivity"/>,
/// <see cref="InterpolatingAdjointSensitivity"/>): how the backward pass controls its step size.
/// </summary>
/// <remarks>
/// The backward pass integrates a different system from the forward pass (the adjoint a = ∂L/∂y and the
/// quadratures a_p = ∂L/∂p, a_t = ∂L/∂t0, plus the state itself for the back-solve), so it may deserve its own
/// tolerances. When <see cref="SolverOptions.AbsTolVector"/> is set (it is sized for the state), the back-solve
/// applies it to its copy of the state and the scalar absolute tolerance to the adjoint components.
/// </remarks>
public abstract class AdjointSensitivity : Sensitivity
{
    private readonly double? _relTol, _absTol;

    private protected AdjointSensitivity() { }

    /// <summary>Relative tolerance of the backward pass; null (the default) uses the forward pass's <see cref="SolverOptions.RelTol"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative or not finite.</exception>
    public double? RelTol
    {
        get => _relTol;
        init => _relTol = CheckTolerance(value, nameof(RelTol));
    }

    /// <summary>Absolute tolerance of the backward pass; null (the default) uses the forward pass's <see cref="SolverOptions.AbsTol"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative or not finite.</exception>
    public double? AbsTol
    {
        get => _absTol;
        init => _absTol = CheckTolerance(value, nameof(AbsTol));
    }

    /// <summary>
    /// Seminorm error control (Kidger, Chen &amp; Lyons 2021, "Hey, that's not an ODE"): the backward step-size
    /// controller measures the error of the state and the adjoint a only, not of the parameter adjoint a_p and
    /// the time adjoint a_t. Those are quadratures: nothing else in the backward system depends on them, so their
    /// local error does not propagate, and controlling it only shortens steps (most when there are many
    /// parameters). Off by default; the gradient is then as accurate as the tolerances make every component.
    /// Explicit methods only: the stiff integrators control every component (a stiff method with it throws <see cref="NotSupportedException"/>).
    /// </summary>
    public bool Seminorm { get; init; }

    private static double? CheckTolerance(double? value, string name)
    {
        if (value is { } v && !(v >= 0 && double.IsFinite(v)))
            throw new ArgumentOutOfRangeException(name, v, $"{name} must be finite and non-negative.");
        return value;
    }

    /// <summary>", rtol …, atol …, seminorm" for the settings that differ from the defaults, in parentheses.</summary>
    private protected string SettingsSuffix()
    {
        var parts = new List<string>(3);
        if (_relTol is { } r) parts.Add(FormattableString.Invariant($"rtol {r:G3}"));
        if (_absTol is { } a) parts.Add(FormattableString.Invariant($"atol {a:G3}"));
        if (Seminorm) parts.Add("seminorm");
        return parts.Count == 0 ? "" : " [" + string.Join(", ", parts) + "]";
    }

    /// <summary>
    /// The options of the backward pass: the forward options with this method's tolerances, and an absolute
    /// tolerance vector laid out for the backward state (its first <paramref name="stateComponents"/> components
    /// are a copy of the state and take the forward vector; the rest take the scalar absolute tolerance).
    /// With <see cref="Seminorm"/>, only the leading <paramref name="controlled"/> components will enter the error
    /// norm (see <see cref="ApplyErrorControl{TField}(RungeKuttaIntegrator{TField}, int)"/>), and the tolerances are scaled by √(dimension / controlled).
    /// </summary>
    /// <remarks>
    /// Why the scaling: the integrator's norm is the RMS over the components it controls, so controlling fewer of
    /// them would divide by a smaller count and make the norm larger, not smaller (with few parameters, a
    /// seminorm done that way takes more steps than the full norm). The seminorm of Kidger et al. is the full RMS
    /// norm with the quadrature components set to zero: Σ over the controlled components, divided by the full
    /// dimension. Scaling every tolerance by k = √(dimension / controlled) turns the first into the second exactly
    /// (each scaled error shrinks by k, the mean of squares by k² = dimension / controlled), so the seminorm is
    /// never larger than the norm it comes from.
    /// </remarks>
    internal SolverOptions BackwardOptions(SolverOptions forward, int dimension, int stateComponents, int controlled)
    {
        double k = Seminorm && controlled < dimension ? Math.Sqrt((double)dimension / controlled) : 1.0;
        double relTol = k * (_relTol ?? forward.RelTol), absTol = k * (_absTol ?? forward.AbsTol);
        double[]? atolVector = forward.AbsTolVector is { } v && _absTol is null && stateComponents > 0
            ? AugmentedOptions.Expand(v, dimension, stateComponents, absTol, k)
            : null;
        if (_relTol is null && _absTol is null && forward.AbsTolVector is null && k == 1.0) return forward;
        return AugmentedOptions.WithTolerances(forward, relTol, absTol, atolVector);
    }

    /// <summary>
    /// Applies <see cref="Seminorm"/>: the backward state's leading <paramref name="controlled"/> components
    /// (the state copy and the adjoint a) stay in the error norm, the quadratures after them leave it. Pair with
    /// <see cref="BackwardOptions"/> given the same count.
    /// </summary>
    internal void ApplyErrorControl<TField>(RungeKuttaIntegrator<TField> backward, int controlled) where TField : struct, IVectorField
    {
        if (Seminorm) backward.ErrorComponents = controlled;
    }

    /// <inheritdoc cref="ApplyErrorControl{TField}(RungeKuttaIntegrator{TField}, int)"/>
    internal void ApplyErrorControl<TField>(Stepper<TField> backward, int controlled) where TField : struct, IJacobianField
    {
        if (Seminorm) backward.ErrorComponents = controlled;
    }
}
