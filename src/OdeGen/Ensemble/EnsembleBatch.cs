namespace OdeGen;

/// <summary>How the parameters of an <see cref="EnsembleBatch"/> are laid out.</summary>
public enum EnsembleParameters
{
    /// <summary>One row of θ per trajectory: parameters are row-major N × ParameterCount (a parameter sweep).</summary>
    PerTrajectory = 0,
    /// <summary>One θ for every trajectory, length ParameterCount (a minibatch through one model).</summary>
    Shared = 1,
}

/// <summary>
/// The trajectories of an ensemble: their initial states and parameters, and how the parameters are laid out. Pass it
/// to <see cref="Ode.Solve{TSystem}(in TSystem, EnsembleBatch, double, double, SolverOptions?, EnsembleOptions?)"/>,
/// <see cref="Ode.Gradient{TSystem}(in TSystem, EnsembleBatch, double, ReadOnlySpan{double}, ReadOnlySpan{double}, Sensitivity?, SolverOptions?, EnsembleOptions?)"/>
/// or <see cref="Ode.LossGradient{TSystem}(in TSystem, EnsembleBatch, double, ReadOnlySpan{double}, EnsembleObservationLoss, Sensitivity?, SolverOptions?, EnsembleOptions?)"/>
/// in place of a single trajectory's y0 and p.
/// </summary>
/// <remarks>
/// A view, not a copy: it holds the caller's spans (so building one allocates nothing, and stack memory works), and the
/// calls copy what they keep. The number of trajectories N follows from the length of <see cref="InitialStates"/>
/// once the system's StateCount is known; the calls check every size against the system and name what to fix.
/// </remarks>
/// <example>
/// <code>
/// var sweep = new EnsembleBatch(y0s, ps);                 // N trajectories, N rows of θ
/// EnsembleSolution s = Ode.Solve(system, sweep, 0.0, 10.0);
/// var minibatch = EnsembleBatch.Shared(y0s, theta);       // N samples through one θ
/// EnsembleGradient g = Ode.Gradient(system, minibatch, 0.0, times, dLdy, Sensitivity.DiscreteAdjoint);
/// </code>
/// </example>
public readonly ref struct EnsembleBatch
{
    /// <summary>A batch of trajectories with one row of θ each (<see cref="EnsembleParameters.PerTrajectory"/>) or one shared θ.</summary>
    /// <param name="initialStates">Initial states, row-major N × StateCount.</param>
    /// <param name="parameters">Parameters: N × ParameterCount per trajectory, or ParameterCount values when shared.</param>
    /// <param name="layout">How <paramref name="parameters"/> is laid out.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="layout"/> is not an <see cref="EnsembleParameters"/> value.</exception>
    public EnsembleBatch(ReadOnlySpan<double> initialStates, ReadOnlySpan<double> parameters, EnsembleParameters layout = EnsembleParameters.PerTrajectory)
    {
        if (layout is not (EnsembleParameters.PerTrajectory or EnsembleParameters.Shared))
            throw new ArgumentOutOfRangeException(nameof(layout), layout, "Use EnsembleParameters.PerTrajectory or EnsembleParameters.Shared.");
        InitialStates = initialStates;
        Parameters = parameters;
        Layout = layout;
    }

    /// <summary>N trajectories, each with its own θ: <paramref name="ps"/> is row-major N × ParameterCount.</summary>
    /// <param name="y0s">Initial states, row-major N × StateCount.</param>
    /// <param name="ps">Parameters, row-major N × ParameterCount.</param>
    public static EnsembleBatch PerTrajectory(ReadOnlySpan<double> y0s, ReadOnlySpan<double> ps) => new(y0s, ps, EnsembleParameters.PerTrajectory);

    /// <summary>N trajectories through one θ (a minibatch): the gradients also sum dL/dθ over the batch.</summary>
    /// <param name="y0s">Initial states, row-major N × StateCount.</param>
    /// <param name="p">The shared parameters, length ParameterCount.</param>
    public static EnsembleBatch Shared(ReadOnlySpan<double> y0s, ReadOnlySpan<double> p) => new(y0s, p, EnsembleParameters.Shared);

    /// <summary>Initial states, row-major N × StateCount.</summary>
    public ReadOnlySpan<double> InitialStates { get; }

    /// <summary>Parameters: N × ParameterCount, or one shared row (see <see cref="Layout"/>).</summary>
    public ReadOnlySpan<double> Parameters { get; }

    /// <summary>How <see cref="Parameters"/> is laid out.</summary>
    public EnsembleParameters Layout { get; }

    /// <summary>True when every trajectory uses the same θ.</summary>
    public bool SharesParameters => Layout == EnsembleParameters.Shared;
}
