namespace OdeGen;

/// <summary>The float flavour of <see cref="IDifferentiableFunctionSecondOrder"/>, for a float <c>[Differentiable(SecondOrder = true)]</c> method.</summary>
public interface IDifferentiableFunctionSingleSecondOrder : IDifferentiableFunctionSingle
{
    /// <summary>Forward over reverse: xBarDot += d/dε[yBarᵀ∂g/∂x], pBarDot += d/dε[yBarᵀ∂g/∂p] along (xDot, pDot), yBar fixed.</summary>
    void Hvp(ReadOnlySpan<float> x, ReadOnlySpan<float> p, ReadOnlySpan<float> yBar,
             ReadOnlySpan<float> xDot, ReadOnlySpan<float> pDot, Span<float> xBarDot, Span<float> pBarDot);
}
