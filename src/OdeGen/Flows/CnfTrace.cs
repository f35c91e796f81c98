namespace OdeGen.Flows;

/// <summary>How a <see cref="ContinuousNormalizingFlow{TSystem}"/> computes tr(∂f/∂z) along the solve.</summary>
public enum CnfTrace
{
    /// <summary>The exact trace, by the system's generated <see cref="IOdeSystemSecondOrder.Divergence"/>; its gradient by <see cref="IOdeSystemSecondOrder.DivergenceVjp"/>.</summary>
    Exact,

    /// <summary>
    /// Hutchinson's unbiased estimate εᵀ(∂f/∂z)ε with one noise vector ε per sample, drawn once per solve from the seed
    /// (never redrawn inside a solve, so the augmented dynamics stay smooth); its gradient by <see cref="IOdeSystemSecondOrder.Hvp"/>.
    /// </summary>
    Hutchinson,
}

/// <summary>The distribution of Hutchinson's noise ε (and of the probe of the Jacobian Frobenius regularizer).</summary>
public enum CnfNoise
{
    /// <summary>Independent ±1 entries: the lowest variance of the estimate for a given matrix.</summary>
    Rademacher,

    /// <summary>Independent standard normal entries.</summary>
    Gaussian,
}

/// <summary>The number type of the per-sample field's arithmetic (<see cref="CnfOptions.Precision"/>).</summary>
public enum CnfPrecision
{
    /// <summary>Double precision throughout (the default).</summary>
    Double,

    /// <summary>
    /// The per-sample field's generated lane methods run in float, 16 samples per 512-bit register, as torch runs its
    /// float32 fields; the solver's state, the hypernetwork, the sums over the batch and the gradients stay double. Results
    /// move at float rounding (relative 1e-6 to 1e-5 in log-densities and gradients; a tolerance such as 1e-5 stays meaningful,
    /// 1e-8 does not). Only for flows made by <see cref="ContinuousNormalizingFlow.WithLanes"/> or
    /// <see cref="ContinuousNormalizingFlow.WithHypernetwork"/> (LaneWidth.Auto).
    /// </summary>
    Single,
}
