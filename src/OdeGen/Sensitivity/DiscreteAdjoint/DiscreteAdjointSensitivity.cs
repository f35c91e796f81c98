namespace OdeGen;

/// <summary>The discrete adjoint (see <see cref="Sensitivity.DiscreteAdjoint"/>); <see cref="Sensitivity.Discrete"/> sets its setting.</summary>
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
    /// and size) plus n doubles a checkpoint plus n·min(StepsPerCheckpoint, steps) of workspace, instead of n + 2 doubles a
    /// step; about √steps minimizes it. Costs one more evaluation of the live stages for most steps.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public int StepsPerCheckpoint
    {
        get => _stepsPerCheckpoint;
        init
        {
            // Named for the setting: ThrowIfLessThan(value, 1) named the setter's own parameter, "value".
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1, nameof(StepsPerCheckpoint));
            _stepsPerCheckpoint = value;
        }
    }

    private readonly long _keptBytes = DefaultKeptBytes;

    /// <summary>The default of <see cref="KeptBytes"/>: 256 MiB.</summary>
    public const long DefaultKeptBytes = 256L << 20;

    /// <summary>
    /// Most bytes the forward pass may keep of its evaluations of f for the reverse sweep, for systems that can keep what their
    /// VJP reads (<see cref="Models.IBatchOdeSystemKept"/>: the ODE-Net's batch keeps its two convolutions' outputs, 2·n
    /// doubles an evaluation), per workspace (one per thread and block). Default <see cref="DefaultKeptBytes"/> (256 MiB); 0
    /// keeps nothing. The first steps of a pass that fit keep a row per live stage; the reverse sweep then takes those
    /// stages' f and VJP from it instead of evaluating f twice more (to form the stage, and inside the VJP), as a
    /// tape-based framework keeps activations. Later steps are recomputed. The gradient has the same bits either way; only
    /// time and memory change. Kept only with <see cref="StepsPerCheckpoint"/> 1, for FSAL methods whose last stage the
    /// reverse sweep skips (Dopri5, Tsit5) and for fixed steps.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public long KeptBytes
    {
        get => _keptBytes;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(KeptBytes));
            _keptBytes = value;
        }
    }

    /// <inheritdoc/>
    public override string Name => _stepsPerCheckpoint == 1 ? "DiscreteAdjoint" : $"DiscreteAdjoint [checkpoint every {_stepsPerCheckpoint} steps]";

    /// <exception cref="NotSupportedException">The options' method does not support it (<see cref="OdeMethod.SupportsDiscreteAdjoint"/>).</exception>
    internal OdeGradient ComputeGradient<TSystem>(in TSystem system, GradientInputs inputs, SolverOptions options)
        where TSystem : struct, IOdeSystem =>
        ComputeInWorkspace(system, inputs, options);

    /// <exception cref="NotSupportedException">The options' method does not support it (<see cref="OdeMethod.SupportsDiscreteAdjoint"/>).</exception>
    internal bool ComputeGradientInto<TSystem>(in TSystem system, GradientWorkspace<TSystem> workspace, SolverOptions options)
        where TSystem : struct, IOdeSystem
    {
        RejectEvents(options, "The discrete adjoint");
        options.Method.Require(m => m.SupportsDiscreteAdjoint, "The discrete adjoint (it differentiates explicit Runge–Kutta steps)",
            "Or use Sensitivity.InterpolatingAdjoint(...) or Sensitivity.Forward with stiff methods.");
        DiscreteAdjointSolver.Gradient(system, workspace, options, this);
        return true;
    }
}
