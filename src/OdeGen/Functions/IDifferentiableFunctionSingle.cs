namespace OdeGen;

/// <summary>
/// The <c>float</c> flavour of <see cref="IDifferentiableFunction"/>, implemented by the struct generated for a
/// <c>[Differentiable]</c> method whose parameters are <c>ReadOnlySpan&lt;float&gt; x, ReadOnlySpan&lt;float&gt; p,
/// Span&lt;float&gt; y</c>. Evaluate and Jvp overwrite; Vjp accumulates.
/// </summary>
public interface IDifferentiableFunctionSingle
{
    /// <summary>Number of inputs (length of x, xDot and xBar).</summary>
    int InputCount { get; }

    /// <summary>Number of parameters (length of p, pDot and pBar).</summary>
    int ParameterCount { get; }

    /// <summary>Number of outputs (length of y, yDot and yBar).</summary>
    int OutputCount { get; }

    /// <summary>y = g(x, p) (overwrites y).</summary>
    void Evaluate(ReadOnlySpan<float> x, ReadOnlySpan<float> p, Span<float> y);

    /// <summary>y = g(x, p); yDot = ∂g/∂x·xDot + ∂g/∂p·pDot (both overwritten).</summary>
    void Jvp(ReadOnlySpan<float> x, ReadOnlySpan<float> p,
        ReadOnlySpan<float> xDot, ReadOnlySpan<float> pDot, Span<float> y, Span<float> yDot);

    /// <summary>xBar += yBarᵀ∂g/∂x; pBar += yBarᵀ∂g/∂p.</summary>
    void Vjp(ReadOnlySpan<float> x, ReadOnlySpan<float> p,
        ReadOnlySpan<float> yBar, Span<float> xBar, Span<float> pBar);
}
