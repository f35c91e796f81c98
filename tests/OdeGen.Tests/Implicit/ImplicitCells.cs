namespace OdeGen.Tests.Implicit;

/// <summary>Maps and dynamics for the implicit-layer tests, differentiated by the generator.</summary>
public static partial class ImplicitCells
{
    /// <summary>g(z) = A·z + c for z of length 4 (no injected input), p = [A (4×4, row-major), c (4)]: a linear fixed point.</summary>
    [Differentiable(Inputs = 4, Parameters = 20, Outputs = 4)]
    public static void Affine(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
    {
        for (int i = 0; i < 4; i++)
        {
            double s = p[16 + i];
            for (int j = 0; j < 4; j++)
            {
                s += p[(i * 4) + j] * x[j];
            }

            y[i] = s;
        }
    }

    /// <summary>g(z) = cos(z) in one dimension: the fixed point is the Dottie number 0.739085…</summary>
    [Differentiable(Inputs = 1, Parameters = 0, Outputs = 1)]
    public static void Cosine(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
    {
        y[0] = Math.Cos(x[0]);
    }

    /// <summary>g(z) = exp(z) + θ: no real fixed point, and the iteration overflows.</summary>
    [Differentiable(Inputs = 1, Parameters = 1, Outputs = 1)]
    public static void Exponential(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
    {
        y[0] = Math.Exp(x[0]) + p[0];
    }

    /// <summary>g(z) = z + θ: no fixed point for θ ≠ 0, and every residual is the same.</summary>
    [Differentiable(Inputs = 1, Parameters = 1, Outputs = 1)]
    public static void Shift(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
    {
        y[0] = x[0] + p[0];
    }

    /// <summary>dy/dt = A·y + b, 3 states, p = [A (3×3, row-major), b (3)]: the equilibrium is y* = −A⁻¹b.</summary>
    [OdeDynamics(States = 3, Parameters = 12)]
    public static void LinearFlow(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        for (int i = 0; i < 3; i++)
        {
            double s = p[9 + i];
            for (int j = 0; j < 3; j++)
            {
                s += p[(i * 3) + j] * y[j];
            }

            dydt[i] = s;
        }
    }

    /// <summary>A stable nonlinear ring, dyᵢ/dt = θᵢ − tanh(yᵢ) − yᵢ/2 + y₍ᵢ₊₁₎/10, 4 states.</summary>
    [OdeDynamics(States = 4, Parameters = 4)]
    public static void Ring(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        for (int i = 0; i < 4; i++)
        {
            dydt[i] = p[i] - Math.Tanh(y[i]) - (0.5 * y[i]) + (0.1 * y[(i + 1) % 4]);
        }
    }
}
