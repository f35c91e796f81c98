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

    /// <inheritdoc/>
    public override string Name => $"InterpolatingAdjoint({Checkpoints})" + SettingsSuffix() + (InterpolateObservations ? " [interpolated observations]" : "");

    internal override OdeGradient Compute<TSystem>(in TSystem system, GradientInputs inputs, SolverOptions options) =>
        options.Events is { Count: > 0 }
            ? InterpolatingAdjointSolver.Gradient(system, inputs, options, this)
            : ComputeInWorkspace(system, inputs, options);

    // Through events the adjoint keeps no workspace (InterpolatingAdjointEvents allocates its own per call).
    internal override bool ComputeInto<TSystem>(in TSystem system, GradientWorkspace<TSystem> workspace, SolverOptions options)
    {
        if (options.Events is { Count: > 0 }) return false;
        InterpolatingAdjointSolver.Gradient(system, workspace, options, this);
        return true;
    }
}
