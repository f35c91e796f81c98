namespace OdeGen;

/// <summary>
/// ODE dynamics dy/dt = f(t, y, p) with their derivatives. The generator implements it for every
/// <see cref="OdeDynamicsAttribute"/> method; the runtime's entry points are generic over
/// <c>TSystem : struct, IOdeSystem</c> so the JIT specializes and inlines the calls.
/// </summary>
public interface IOdeSystem
{
    /// <summary>Length of y and dydt.</summary>
    int StateCount { get; }

    /// <summary>Length of p.</summary>
    int ParameterCount { get; }

    /// <summary>dydt = f(t, y, p) (overwrites dydt).</summary>
    void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt);

    /// <summary>
    /// Forward mode: dydt = f; dydtDot = ∂f/∂t·tDot + ∂f/∂y·yDot + ∂f/∂p·pDot (both overwritten).
    /// </summary>
    void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p,
             double tDot, ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot,
             Span<double> dydt, Span<double> dydtDot);

    /// <summary>
    /// Reverse mode: yBar += aᵀ∂f/∂y; pBar += aᵀ∂f/∂p; returns aᵀ∂f/∂t.
    /// Accumulates so results compose over stages, lanes and loss terms.
    /// </summary>
    double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p,
               ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar);

    /// <summary>Dense Jacobians, row-major: dfdy[i*n + j] = ∂f_i/∂y_j, dfdp[i*m + k] = ∂f_i/∂p_k (overwritten).</summary>
    void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p,
                  Span<double> dfdy, Span<double> dfdp);
}
