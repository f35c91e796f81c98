namespace OdeGen;

/// <summary>
/// Second derivatives of a differentiable function y = g(x, p), generated for a
/// <c>[Differentiable(SecondOrder = true)]</c> method by differentiating its own Vjp once more (forward over reverse).
/// </summary>
/// <remarks>
/// The shape is <see cref="IOdeSystemSecondOrder.Hvp"/>'s without t. With yBar the gradient of a scalar loss with respect
/// to y, <see cref="Hvp"/> applies the curvature of g weighted by yBar (yBarᵀ∂²g) to a direction, the term a Newton or
/// Newton–Krylov step needs beside the Gauss–Newton part that Jvp and Vjp already give.
/// </remarks>
public interface IDifferentiableFunctionSecondOrder : IDifferentiableFunction
{
    /// <summary>
    /// Forward over reverse: the derivative of <see cref="IDifferentiableFunction.Vjp"/>(x, p, yBar) along (xDot, pDot)
    /// with yBar fixed: xBarDot += d/dε[yBarᵀ∂g/∂x], pBarDot += d/dε[yBarᵀ∂g/∂p] (the Hessian of yBarᵀg with respect to
    /// (x, p) times the direction). Accumulates, as Vjp does.
    /// </summary>
    void Hvp(ReadOnlySpan<double> x, ReadOnlySpan<double> p, ReadOnlySpan<double> yBar,
             ReadOnlySpan<double> xDot, ReadOnlySpan<double> pDot, Span<double> xBarDot, Span<double> pBarDot);
}
