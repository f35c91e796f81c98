namespace OdeGen;

/// <summary>
/// A differentiable function y = g(x, p) with its forward (Jvp) and reverse (Vjp) derivatives, implemented by the
/// struct the generator adds for a <c>[Differentiable]</c> method (<c>{Type}.{M}Function</c>).
/// </summary>
/// <remarks>
/// <see cref="Evaluate"/> and <see cref="Jvp"/> overwrite their outputs; <see cref="Vjp"/> accumulates (<c>+=</c>) into
/// xBar and pBar, so gradients compose over layers, samples and loss terms. The spans must have the lengths
/// <see cref="InputCount"/>, <see cref="ParameterCount"/> and <see cref="OutputCount"/>.
/// </remarks>
public interface IDifferentiableFunction
{
    /// <summary>Number of inputs (length of x, xDot and xBar).</summary>
    int InputCount { get; }

    /// <summary>Number of parameters (length of p, pDot and pBar).</summary>
    int ParameterCount { get; }

    /// <summary>Number of outputs (length of y, yDot and yBar).</summary>
    int OutputCount { get; }

    /// <summary>y = g(x, p) (overwrites y).</summary>
    void Evaluate(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y);

    /// <summary>y = g(x, p); yDot = ∂g/∂x·xDot + ∂g/∂p·pDot (both overwritten).</summary>
    void Jvp(ReadOnlySpan<double> x, ReadOnlySpan<double> p,
        ReadOnlySpan<double> xDot, ReadOnlySpan<double> pDot, Span<double> y, Span<double> yDot);

    /// <summary>xBar += yBarᵀ∂g/∂x; pBar += yBarᵀ∂g/∂p.</summary>
    void Vjp(ReadOnlySpan<double> x, ReadOnlySpan<double> p,
        ReadOnlySpan<double> yBar, Span<double> xBar, Span<double> pBar);
}
