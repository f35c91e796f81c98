namespace OdeGen;

/// <summary>The float flavour of <see cref="IOdeSystemSecondOrder"/>, for a float <c>[OdeDynamics(SecondOrder = true)]</c> method.</summary>
public interface IOdeSystemSingleSecondOrder : IOdeSystemSingle
{
    /// <summary>tr(∂f/∂y), from generated code that builds the diagonal of ∂f/∂y only.</summary>
    float Divergence(float t, ReadOnlySpan<float> y, ReadOnlySpan<float> p);

    /// <summary>yBar += s·∂tr/∂y; pBar += s·∂tr/∂p; returns s·∂tr/∂t.</summary>
    float DivergenceVjp(float t, ReadOnlySpan<float> y, ReadOnlySpan<float> p, float s, Span<float> yBar, Span<float> pBar);

    /// <summary>Forward over reverse: yBarDot += d/dε[aᵀ∂f/∂y], pBarDot += d/dε[aᵀ∂f/∂p] along (tDot, yDot, pDot), a fixed.</summary>
    void Hvp(float t, ReadOnlySpan<float> y, ReadOnlySpan<float> p, ReadOnlySpan<float> a,
             float tDot, ReadOnlySpan<float> yDot, ReadOnlySpan<float> pDot, Span<float> yBarDot, Span<float> pBarDot);
}
