namespace OdeGen;

/// <summary>
/// Dynamics that give f and its VJP from one sweep: what the augmented adjoint dynamics (Chen et al. 2018, Algorithm 2)
/// need at every stage. The generator implements it for every double <c>[OdeDynamics]</c> method; the runtime uses it
/// where it would call <see cref="IOdeSystem.Evaluate"/> and then <see cref="IOdeSystem.Vjp"/> at the same (t, y, p),
/// and keeps those two calls for systems without it (a hand-written <see cref="IOdeSystem"/> needs nothing more).
/// </summary>
public interface IOdeAugmentedSystem : IOdeSystem
{
    /// <summary>
    /// dydt = f(t, y, p) (overwritten); yBar += aᵀ∂f/∂y; pBar += aᵀ∂f/∂p; returns aᵀ∂f/∂t: the results of
    /// <see cref="IOdeSystem.Evaluate"/> and <see cref="IOdeSystem.Vjp"/>, bit for bit, with the primal computed once.
    /// </summary>
    double EvaluateVjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a,
        Span<double> dydt, Span<double> yBar, Span<double> pBar);
}
