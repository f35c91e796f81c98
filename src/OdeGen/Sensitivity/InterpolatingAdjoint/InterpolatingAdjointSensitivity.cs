namespace OdeGen;

/// <summary>The interpolating adjoint with checkpoints (see <see cref="Sensitivity.InterpolatingAdjoint"/>, whose optional arguments are its settings).</summary>
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

    /// <summary>The default <see cref="RecordBudgetBytes"/>: 1 MiB.</summary>
    public const long DefaultRecordBudgetBytes = 1 << 20;

    private readonly long _recordBudgetBytes = DefaultRecordBudgetBytes;

    /// <summary>
    /// While the dense output of the whole forward pass fits in this many bytes (about (d + 3)·n·8 bytes a step for an
    /// interpolant of degree d: 136 bytes a step for Lorenz with Dopri5, so 1 MiB holds ~7,700 steps), the forward pass keeps
    /// it and stops only at the observation times: no checkpoints, no re-solve, one backward sweep per observation interval.
    /// Past the budget the method falls back to the checkpoints (<see cref="Checkpoints"/>): re-solving each segment costs a
    /// second forward solve but bounds the memory. A call whose forward pass outgrows the budget starts again with checkpoints
    /// (the work of the abandoned pass is at most the budget's steps), and its workspace remembers it until a checkpointed
    /// forward pass shows that the whole solve would fit (the abandoned pass's steps are not in the result's statistics, which
    /// are those of the checkpointed computation). 0: always checkpoint. Default <see cref="DefaultRecordBudgetBytes"/>.
    /// </summary>
    /// <remarks>
    /// Why it is on by default: for the Lorenz gradient at rtol 1e-8 (benchmarks/run-peers.sh, BENCHMARKS.md, 4 December 2026)
    /// the re-solve is a third of the steps; without it the method costs about what the discrete adjoint does. Julia's
    /// SciMLSensitivity makes the same choice: its InterpolatingAdjoint keeps the whole forward solution unless asked to checkpoint.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public long RecordBudgetBytes
    {
        get => _recordBudgetBytes;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(RecordBudgetBytes));
            _recordBudgetBytes = value;
        }
    }

    /// <inheritdoc/>
    public override string Name => $"InterpolatingAdjoint({Checkpoints})" + SettingsSuffix() + (InterpolateObservations ? " [interpolated observations]" : "")
        + (RecordBudgetBytes == DefaultRecordBudgetBytes ? "" : RecordBudgetBytes == 0 ? " [always checkpoints]" : $" [record up to {RecordBudgetBytes} B]");

    internal OdeGradient ComputeGradient<TSystem>(in TSystem system, GradientInputs inputs, SolverOptions options)
        where TSystem : struct, IOdeSystem =>
        options.Events is { Count: > 0 }
            ? InterpolatingAdjointSolver.Gradient(system, inputs, options, this)
            : ComputeInWorkspace(system, inputs, options);

    // Through events the adjoint keeps no workspace (InterpolatingAdjointEvents allocates its own per call).
    internal bool ComputeGradientInto<TSystem>(in TSystem system, GradientWorkspace<TSystem> workspace, SolverOptions options)
        where TSystem : struct, IOdeSystem
    {
        if (options.Events is { Count: > 0 }) return false;
        InterpolatingAdjointSolver.Gradient(system, workspace, options, this);
        return true;
    }
}
