namespace OdeGen;

/// <summary>
/// The <c>float</c> flavour of <see cref="IOdeSystem"/>: the same four methods on single-precision
/// spans, implemented by the struct generated for an <c>[OdeDynamics]</c> method whose parameters are
/// <c>float t, ReadOnlySpan&lt;float&gt; y, ReadOnlySpan&lt;float&gt; p, Span&lt;float&gt; dydt</c>.
/// </summary>
public interface IOdeSystemSingle
{
    /// <summary>Number of states (length of y and dydt).</summary>
    int StateCount { get; }

    /// <summary>Number of parameters (length of p).</summary>
    int ParameterCount { get; }

    /// <summary>dydt = f(t, y, p).</summary>
    void Evaluate(float t, ReadOnlySpan<float> y, ReadOnlySpan<float> p, Span<float> dydt);

    /// <summary>dydt = f; dydtDot = ∂f/∂t·tDot + ∂f/∂y·yDot + ∂f/∂p·pDot.</summary>
    void Jvp(float t, ReadOnlySpan<float> y, ReadOnlySpan<float> p, float tDot, ReadOnlySpan<float> yDot, ReadOnlySpan<float> pDot,
        Span<float> dydt, Span<float> dydtDot);

    /// <summary>yBar += aᵀ∂f/∂y; pBar += aᵀ∂f/∂p; returns aᵀ∂f/∂t.</summary>
    float Vjp(float t, ReadOnlySpan<float> y, ReadOnlySpan<float> p, ReadOnlySpan<float> a, Span<float> yBar, Span<float> pBar);

    /// <summary>Row-major: dfdy[i*n + j] = ∂f_i/∂y_j, dfdp[i*m + k] = ∂f_i/∂p_k.</summary>
    void Jacobian(float t, ReadOnlySpan<float> y, ReadOnlySpan<float> p, Span<float> dfdy, Span<float> dfdp);
}
