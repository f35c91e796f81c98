using OdeGen.Solvers;

namespace OdeGen.Tests.Solvers;

// Hand-written systems with exact derivatives, so the solver tests do not depend on the generator.

/// <summary>y' = −k·y (one state, p = [k]); y(t) = y0·exp(−k(t − t0)).</summary>
internal readonly struct DecaySystem : IOdeSystem
{
    public int StateCount => 1;
    public int ParameterCount => 1;
    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = -p[0] * y[0];
    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot, Span<double> dydt, Span<double> dydtDot)
    {
        dydt[0] = -p[0] * y[0];
        dydtDot[0] = -p[0] * yDot[0] - pDot[0] * y[0];
    }
    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
    {
        yBar[0] += -p[0] * a[0];
        pBar[0] += -y[0] * a[0];
        return 0;
    }
    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp)
    {
        dfdy[0] = -p[0];
        dfdp[0] = -y[0];
    }
}

/// <summary>Harmonic oscillator x'' = −ω²x as y = (x, v), p = [ω]; x = cos ωt, v = −ω sin ωt from (1, 0).</summary>
internal readonly struct OscillatorSystem : IOdeSystem
{
    public int StateCount => 2;
    public int ParameterCount => 1;
    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        dydt[0] = y[1];
        dydt[1] = -p[0] * p[0] * y[0];
    }
    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot, Span<double> dydt, Span<double> dydtDot)
    {
        Evaluate(t, y, p, dydt);
        dydtDot[0] = yDot[1];
        dydtDot[1] = -p[0] * p[0] * yDot[0] - 2 * p[0] * pDot[0] * y[0];
    }
    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
    {
        yBar[0] += -p[0] * p[0] * a[1];
        yBar[1] += a[0];
        pBar[0] += -2 * p[0] * y[0] * a[1];
        return 0;
    }
    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp)
    {
        dfdy[0] = 0; dfdy[1] = 1;
        dfdy[2] = -p[0] * p[0]; dfdy[3] = 0;
        dfdp[0] = 0;
        dfdp[1] = -2 * p[0] * y[0];
    }

    public static void Exact(double omega, double t, Span<double> y)
    {
        y[0] = Math.Cos(omega * t);
        y[1] = -omega * Math.Sin(omega * t);
    }
}

/// <summary>Lorenz system, p = [σ, ρ, β].</summary>
internal readonly struct LorenzSystem : IOdeSystem
{
    public int StateCount => 3;
    public int ParameterCount => 3;
    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        dydt[0] = p[0] * (y[1] - y[0]);
        dydt[1] = y[0] * (p[1] - y[2]) - y[1];
        dydt[2] = y[0] * y[1] - p[2] * y[2];
    }
    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot, Span<double> dydt, Span<double> dydtDot)
    {
        Evaluate(t, y, p, dydt);
        dydtDot[0] = pDot[0] * (y[1] - y[0]) + p[0] * (yDot[1] - yDot[0]);
        dydtDot[1] = yDot[0] * (p[1] - y[2]) + y[0] * (pDot[1] - yDot[2]) - yDot[1];
        dydtDot[2] = yDot[0] * y[1] + y[0] * yDot[1] - pDot[2] * y[2] - p[2] * yDot[2];
    }
    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
    {
        yBar[0] += -p[0] * a[0] + (p[1] - y[2]) * a[1] + y[1] * a[2];
        yBar[1] += p[0] * a[0] - a[1] + y[0] * a[2];
        yBar[2] += -y[0] * a[1] - p[2] * a[2];
        pBar[0] += (y[1] - y[0]) * a[0];
        pBar[1] += y[0] * a[1];
        pBar[2] += -y[2] * a[2];
        return 0;
    }
    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp)
    {
        dfdy[0] = -p[0]; dfdy[1] = p[0]; dfdy[2] = 0;
        dfdy[3] = p[1] - y[2]; dfdy[4] = -1; dfdy[5] = -y[0];
        dfdy[6] = y[1]; dfdy[7] = y[0]; dfdy[8] = -p[2];
        dfdp[0] = y[1] - y[0]; dfdp[1] = 0; dfdp[2] = 0;
        dfdp[3] = 0; dfdp[4] = y[0]; dfdp[5] = 0;
        dfdp[6] = 0; dfdp[7] = 0; dfdp[8] = -y[2];
    }
}

/// <summary>y' = y² (no parameters): from y0 = 1 at t = 0, y = 1/(1 − t) blows up at t = 1.</summary>
internal readonly struct BlowUpSystem : IOdeSystem
{
    public int StateCount => 1;
    public int ParameterCount => 0;
    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = y[0] * y[0];
    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot, Span<double> dydt, Span<double> dydtDot)
    {
        dydt[0] = y[0] * y[0];
        dydtDot[0] = 2 * y[0] * yDot[0];
    }
    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
    {
        yBar[0] += 2 * y[0] * a[0];
        return 0;
    }
    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp) => dfdy[0] = 2 * y[0];
}

/// <summary>y' = 1 up to t = Limit, NaN after it (a vector field, no parameters).</summary>
internal readonly struct NaNAfterField(double limit) : IVectorField
{
    public int Dimension => 1;
    public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt) => dydt[0] = t > limit ? double.NaN : 1.0;
}

/// <summary>y' = k·t^(k−1): y = t^k is a polynomial of degree k, reproduced exactly by interpolants of degree ≥ k.</summary>
internal readonly struct MonomialField(int k) : IVectorField
{
    public int Dimension => 1;
    public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt) => dydt[0] = k * Math.Pow(t, k - 1);
}

/// <summary>Lorenz as a plain vector field with σ = 10, ρ = 28, β = 8/3.</summary>
internal readonly struct LorenzField : IVectorField
{
    public int Dimension => 3;
    public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt)
    {
        dydt[0] = 10 * (y[1] - y[0]);
        dydt[1] = y[0] * (28 - y[2]) - y[1];
        dydt[2] = y[0] * y[1] - 8.0 / 3 * y[2];
    }
}

internal static class Fit
{
    /// <summary>Least-squares slope of log(error) against log(h): the empirical order.</summary>
    public static double Order(IReadOnlyList<double> h, IReadOnlyList<double> error)
    {
        int m = h.Count;
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (int i = 0; i < m; i++)
        {
            double x = Math.Log(h[i]), y = Math.Log(error[i]);
            sx += x; sy += y; sxx += x * x; sxy += x * y;
        }
        return (m * sxy - sx * sy) / (m * sxx - sx * sx);
    }
}
