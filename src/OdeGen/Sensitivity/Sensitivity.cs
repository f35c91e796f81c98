namespace OdeGen;

/// <summary>
/// How <see cref="Ode.Gradient{TSystem}"/> differentiates a solve. The choices are static members
/// (<see cref="Forward"/>, <see cref="BacksolveAdjoint"/>); each is an immutable object that can carry its
/// own settings, so new methods (an interpolating adjoint with checkpoints, a discrete adjoint) are new
/// members and new subclasses, and existing call sites keep compiling and meaning the same thing.
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
    /// over long spans. See <see cref="ForwardSensitivity"/> for the settings.
    /// </summary>
    public static ForwardSensitivity Forward { get; } = new();

    /// <summary>
    /// The adjoint method by back-solving (Chen et al. 2018, Algorithm 2): a forward pass that keeps only
    /// the states at the observation times, then one backward solve of [y; a; a_p; a_t]. Memory does not
    /// grow with the number of steps and the cost does not grow with the number of parameters, but
    /// integrating the state backwards is unstable for chaotic or strongly dissipative systems over long spans.
    /// The default of <see cref="Ode.Gradient{TSystem}"/>.
    /// </summary>
    public static BacksolveAdjointSensitivity BacksolveAdjoint { get; } = new();

    /// <summary>
    /// The interpolating adjoint with checkpoints: the forward pass keeps the state at
    /// <paramref name="checkpoints"/> evenly spaced times (and at the observation times); the backward pass
    /// re-solves each segment forwards from its checkpoint and integrates the adjoint backwards against that
    /// segment's dense output. The state is never integrated backwards, so it is stable where
    /// <see cref="BacksolveAdjoint"/> is not (chaotic, stiff or dissipative systems, long spans). Costs a second
    /// forward solve; memory is O((checkpoints + observations)·n) plus one segment's dense output, so more
    /// checkpoints mean less memory per segment.
    /// </summary>
    /// <param name="checkpoints">Number of evenly spaced segments over [t0, t_N] (at least 1).</param>
    public static InterpolatingAdjointSensitivity InterpolatingAdjoint(int checkpoints = InterpolatingAdjointSensitivity.DefaultCheckpoints) =>
        checkpoints == InterpolatingAdjointSensitivity.DefaultCheckpoints ? DefaultInterpolatingAdjoint : new(checkpoints);

    private static readonly InterpolatingAdjointSensitivity DefaultInterpolatingAdjoint = new(InterpolatingAdjointSensitivity.DefaultCheckpoints);

    /// <summary>A short name for logs and test output.</summary>
    public abstract string Name { get; }

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>
    /// Computes the gradient for inputs that <see cref="Ode.Gradient{TSystem}"/> has already checked:
    /// sizes match, everything is finite, times are monotone away from t0.
    /// </summary>
    internal abstract OdeGradient Compute<TSystem>(in TSystem system, GradientInputs inputs, SolverOptions options)
        where TSystem : struct, IOdeSystem;
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
    /// </summary>
    public bool SensitivitiesInErrorControl { get; init; } = true;

    /// <inheritdoc/>
    public override string Name => SensitivitiesInErrorControl ? "Forward" : "Forward (state-only error control)";

    internal override OdeGradient Compute<TSystem>(in TSystem system, GradientInputs inputs, SolverOptions options) =>
        ForwardSensitivitySolver.Gradient(system, inputs, options, this);
}

/// <summary>The back-solve adjoint (see <see cref="Sensitivity.BacksolveAdjoint"/>).</summary>
public sealed class BacksolveAdjointSensitivity : Sensitivity
{
    /// <inheritdoc/>
    public override string Name => "BacksolveAdjoint";

    internal override OdeGradient Compute<TSystem>(in TSystem system, GradientInputs inputs, SolverOptions options) =>
        BacksolveAdjointSolver.Gradient(system, inputs, options, this);
}

/// <summary>The interpolating adjoint with checkpoints (see <see cref="Sensitivity.InterpolatingAdjoint"/>).</summary>
public sealed class InterpolatingAdjointSensitivity : Sensitivity
{
    /// <summary>The number of checkpoint segments when none is given.</summary>
    public const int DefaultCheckpoints = 16;

    /// <summary>Creates the method with <paramref name="checkpoints"/> evenly spaced segments (at least 1).</summary>
    public InterpolatingAdjointSensitivity(int checkpoints = DefaultCheckpoints)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(checkpoints, 1);
        Checkpoints = checkpoints;
    }

    /// <summary>Number of evenly spaced segments over [t0, t_N]; observation times add boundaries of their own.</summary>
    public int Checkpoints { get; }

    /// <inheritdoc/>
    public override string Name => $"InterpolatingAdjoint({Checkpoints})";

    internal override OdeGradient Compute<TSystem>(in TSystem system, GradientInputs inputs, SolverOptions options) =>
        InterpolatingAdjointSolver.Gradient(system, inputs, options, this);
}
