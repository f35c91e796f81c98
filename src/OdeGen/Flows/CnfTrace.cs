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
