namespace OdeGen;

/// <summary>
/// Second-order dynamics whose paired calls also come in one sweep: f with its divergence, and the VJP of f with that of
/// the divergence, which is what a continuous normalizing flow's field evaluates and differentiates (the primal, a
/// network's activations, then computed once instead of twice). The generator implements it for every double
/// <c>[OdeDynamics(SecondOrder = true)]</c> method; the runtime uses it when the system has it.
/// </summary>
public interface IOdeAugmentedSystemSecondOrder : IOdeAugmentedSystem, IOdeSystemSecondOrder
{
    /// <summary>
    /// dydt = f(t, y, p) (overwritten); returns tr(∂f/∂y): <see cref="IOdeSystem.Evaluate"/> and
    /// <see cref="IOdeSystemSecondOrder.Divergence"/> in one sweep.
    /// </summary>
    double EvaluateDivergence(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt);

    /// <summary>
    /// yBar += aᵀ∂f/∂y + s·∂tr/∂y; pBar += aᵀ∂f/∂p + s·∂tr/∂p; returns aᵀ∂f/∂t + s·∂tr/∂t: <see cref="IOdeSystem.Vjp"/>
    /// and <see cref="IOdeSystemSecondOrder.DivergenceVjp"/> in one reverse sweep (equal to their sum up to rounding).
    /// </summary>
    double VjpDivergenceVjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, double s,
        Span<double> yBar, Span<double> pBar);
}
