namespace OdeGen;

/// <summary>
/// Second derivatives of ODE dynamics, generated for an <c>[OdeDynamics(SecondOrder = true)]</c> method by
/// differentiating its own first-order code once more: what a continuous normalizing flow needs (the trace of
/// ∂f/∂y and its gradient) and Hessian-vector products of aᵀf.
/// </summary>
public interface IOdeSystemSecondOrder : IOdeSystem
{
    /// <summary>
    /// tr(∂f/∂y) = Σ_i ∂f_i/∂y_i, computed by generated code that builds the diagonal of ∂f/∂y only
    /// (never by n runtime Jvp calls or finite differences).
    /// </summary>
    double Divergence(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p);

    /// <summary>Reverse mode of <see cref="Divergence"/>: yBar += s·∂tr/∂y; pBar += s·∂tr/∂p; returns s·∂tr/∂t.</summary>
    double DivergenceVjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p,
                         double s, Span<double> yBar, Span<double> pBar);

    /// <summary>
    /// Forward over reverse: the derivative of <see cref="IOdeSystem.Vjp"/>(t, y, p, a) along (tDot, yDot, pDot) with
    /// a fixed: yBarDot += d/dε[aᵀ∂f/∂y], pBarDot += d/dε[aᵀ∂f/∂p] (the Hessian of aᵀf times the direction).
    /// With a = yDot = ε it gives the gradient of Hutchinson's estimate εᵀ(∂f/∂y)ε.
    /// </summary>
    void Hvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a,
             double tDot, ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot,
             Span<double> yBarDot, Span<double> pBarDot);
}
