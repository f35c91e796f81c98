using System.Diagnostics;
using OdeGen.Solvers;

namespace OdeGen;

/// <summary>
/// How <see cref="Ode.Gradient{TSystem}(in TSystem, ReadOnlySpan{double}, ReadOnlySpan{double}, double, ReadOnlySpan{double}, ReadOnlySpan{double}, Sensitivity?, SolverOptions?)"/>
/// (and the ensemble gradients on an <see cref="EnsembleBatch"/>) differentiates a solve. Each method is a static member
/// with its defaults and a factory whose optional arguments are its settings:
/// <list type="table">
/// <item><term>default (null)</term><description><see cref="InterpolatingAdjoint"/>: stable; keeps the forward dense output up to 1 MiB, past that 16 checkpoints (memory independent of the steps).</description></item>
/// <item><term><see cref="Forward"/> / <see cref="ForwardWith"/></term><description>forward sensitivities; cost grows with the inputs.</description></item>
/// <item><term><see cref="InterpolatingAdjoint"/></term><description>checkpoints, backward tolerances, seminorm, interpolated observations.</description></item>
/// <item><term><see cref="BacksolveAdjoint"/> / <see cref="Backsolve"/></term><description>the seeds' Algorithm 2; backward tolerances, seminorm.</description></item>
/// <item><term><see cref="DiscreteAdjoint"/> / <see cref="Discrete"/></term><description>the exact gradient of the discrete solution; steps per checkpoint.</description></item>
/// </list>
/// The factories are the one way to configure a method: each returns an immutable object that carries its settings (the
/// settings classes, e.g. <see cref="InterpolatingAdjointSensitivity"/>, expose them as properties to read; their
/// initializers keep older code compiling). A new method is a new member with a factory and a new subclass in a folder of
/// its own under Sensitivity/, and existing call sites keep compiling and meaning the same thing. Every parameter that
/// takes one is named <c>sensitivity</c> (<c>method</c> means <see cref="OdeMethod"/>).
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
    /// checkpoints mean less memory per segment. While the whole forward dense output fits in
    /// <paramref name="recordBudgetBytes"/> (1 MiB by default) the forward pass keeps it instead, and there is no re-solve
    /// and no checkpoint. Works with stiff methods (Rodas4, Kvaerno5) in every pass; the backward
    /// pass then uses the exact Jacobian of the adjoint system, built from the system's generated Jacobian.
    /// </summary>
    /// <param name="checkpoints">Number of evenly spaced segments over [t0, t_N] (at least 1).</param>
    /// <param name="relTol">Relative tolerance of the backward pass; null: the forward pass's <see cref="SolverOptions.RelTol"/>.</param>
    /// <param name="absTol">Absolute tolerance of the backward pass; null: the forward pass's.</param>
    /// <param name="seminorm">Leave the parameter and time adjoints out of the backward step-size control (see <see cref="AdjointSensitivity.Seminorm"/>).</param>
    /// <param name="interpolateObservations">Take the states at the observation times from the dense output (see <see cref="InterpolatingAdjointSensitivity.InterpolateObservations"/>).</param>
    /// <param name="recordBudgetBytes">Keep the whole forward dense output (no re-solve) while it fits in this many bytes; 0: always checkpoint (see <see cref="InterpolatingAdjointSensitivity.RecordBudgetBytes"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="checkpoints"/> is less than 1, a tolerance is negative or not finite, or <paramref name="recordBudgetBytes"/> is negative.</exception>
    public static InterpolatingAdjointSensitivity InterpolatingAdjoint(int checkpoints = InterpolatingAdjointSensitivity.DefaultCheckpoints,
        double? relTol = null, double? absTol = null, bool seminorm = false, bool interpolateObservations = false,
        long recordBudgetBytes = InterpolatingAdjointSensitivity.DefaultRecordBudgetBytes) =>
        checkpoints == InterpolatingAdjointSensitivity.DefaultCheckpoints && relTol is null && absTol is null && !seminorm && !interpolateObservations
            && recordBudgetBytes == InterpolatingAdjointSensitivity.DefaultRecordBudgetBytes
            ? DefaultInterpolatingAdjoint
            : new(checkpoints)
            {
                RelTol = relTol, AbsTol = absTol, Seminorm = seminorm, InterpolateObservations = interpolateObservations,
                RecordBudgetBytes = recordBudgetBytes,
            };

    /// <summary>
    /// Forward sensitivities with settings (see <see cref="Forward"/>); with no arguments it is <see cref="Forward"/>.
    /// </summary>
    /// <param name="sensitivitiesInErrorControl">
    /// False: only the state controls the step size (see <see cref="ForwardSensitivity.SensitivitiesInErrorControl"/>).
    /// </param>
    public static ForwardSensitivity ForwardWith(bool sensitivitiesInErrorControl = true) =>
        sensitivitiesInErrorControl ? Forward : new() { SensitivitiesInErrorControl = false };

    /// <summary>
    /// The discrete adjoint with settings (see <see cref="DiscreteAdjoint"/>); with no arguments it is <see cref="DiscreteAdjoint"/>.
    /// </summary>
    /// <param name="stepsPerCheckpoint">Keep every this-many-th step's state only (see <see cref="DiscreteAdjointSensitivity.StepsPerCheckpoint"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="stepsPerCheckpoint"/> is less than 1.</exception>
    public static DiscreteAdjointSensitivity Discrete(int stepsPerCheckpoint = 1) =>
        stepsPerCheckpoint == 1 ? DiscreteAdjoint : new() { StepsPerCheckpoint = stepsPerCheckpoint };

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
    /// <remarks>
    /// A type switch over this assembly's sealed methods rather than a generic virtual method (here and in
    /// <see cref="ComputeInto{TSystem}"/>): crossgen2 (.NET 10) does not follow a generic virtual call to its overrides, so an
    /// application's ReadyToRun image held none of the gradient's code over the user's system and the first gradient was
    /// left to the JIT (BENCHMARKS.md, 6 December 2026, 06:50). The constructor is private protected: no other subclass exists.
    /// </remarks>
    internal OdeGradient Compute<TSystem>(in TSystem system, GradientInputs inputs, SolverOptions options)
        where TSystem : struct, IOdeSystem => this switch
    {
        InterpolatingAdjointSensitivity interpolating => interpolating.ComputeGradient(system, inputs, options),
        DiscreteAdjointSensitivity discrete => discrete.ComputeGradient(system, inputs, options),
        BacksolveAdjointSensitivity backsolve => backsolve.ComputeGradient(system, inputs, options),
        ForwardSensitivity forward => forward.ComputeGradient(system, inputs, options),
        _ => throw new UnreachableException($"{GetType().Name} is not one of OdeGen's sensitivity methods."),
    };

    /// <summary>
    /// Computes the gradient of <paramref name="workspace"/>'s checked inputs into its result buffers, reusing the
    /// workspace's integrators and buffers (<see cref="GradientWorkspace{TSystem}.Start"/> called); false when this method
    /// keeps no workspace for these options (the caller then uses <see cref="Compute{TSystem}"/>, which allocates its own).
    /// </summary>
    internal bool ComputeInto<TSystem>(in TSystem system, GradientWorkspace<TSystem> workspace, SolverOptions options)
        where TSystem : struct, IOdeSystem => this switch
    {
        InterpolatingAdjointSensitivity interpolating => interpolating.ComputeGradientInto(system, workspace, options),
        DiscreteAdjointSensitivity discrete => discrete.ComputeGradientInto(system, workspace, options),
        BacksolveAdjointSensitivity backsolve => backsolve.ComputeGradientInto(system, workspace, options),
        _ => false,
    };

    /// <summary><see cref="Compute{TSystem}"/> for a method with a workspace path: through this thread's workspace, the result copied out.</summary>
    private protected OdeGradient ComputeInWorkspace<TSystem>(in TSystem system, GradientInputs inputs, SolverOptions options)
        where TSystem : struct, IOdeSystem
    {
        GradientWorkspace<TSystem> workspace = GradientWorkspace<TSystem>.Rent();
        // The caller's inputs for this call only: the workspace must not keep them (its next call would overwrite them).
        GradientInputs? own = workspace.Inputs;
        try
        {
            workspace.Inputs = inputs;
            workspace.Start();
            if (!ComputeInto(system, workspace, options))
                throw new InvalidOperationException($"{Name} has no workspace path for these options, but its Compute asked for one.");
            return workspace.ToGradient(this);
        }
        finally
        {
            workspace.Inputs = own;
            workspace.Return();
        }
    }

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
