using OdeGen.Solvers;

namespace OdeGen.Tests.TestSystems;

// Hand-written stiff systems with exact Jacobians (no generator), for the Rosenbrock tests.

/// <summary>Robertson's chemical kinetics, p = [k1, k2, k3] = [0.04, 3e7, 1e4].</summary>
internal readonly struct RobertsonSystem : IOdeSystem
{
    public int StateCount => 3;
    public int ParameterCount => 3;
    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        double r1 = p[0] * y[0], r2 = p[1] * y[1] * y[1], r3 = p[2] * y[1] * y[2];
        dydt[0] = -r1 + r3;
        dydt[1] = r1 - r2 - r3;
        dydt[2] = r2;
    }
    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot, Span<double> dydt, Span<double> dydtDot)
    {
        Evaluate(t, y, p, dydt);
        double r1 = pDot[0] * y[0] + p[0] * yDot[0];
        double r2 = pDot[1] * y[1] * y[1] + 2 * p[1] * y[1] * yDot[1];
        double r3 = pDot[2] * y[1] * y[2] + p[2] * (yDot[1] * y[2] + y[1] * yDot[2]);
        dydtDot[0] = -r1 + r3;
        dydtDot[1] = r1 - r2 - r3;
        dydtDot[2] = r2;
    }
    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
    {
        Span<double> j = stackalloc double[9];
        Span<double> jp = stackalloc double[9];
        Jacobian(t, y, p, j, jp);
        for (int c = 0; c < 3; c++)
            for (int r = 0; r < 3; r++) { yBar[c] += a[r] * j[r * 3 + c]; pBar[c] += a[r] * jp[r * 3 + c]; }
        return 0;
    }
    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp)
    {
        dfdy[0] = -p[0]; dfdy[1] = p[2] * y[2]; dfdy[2] = p[2] * y[1];
        dfdy[3] = p[0]; dfdy[4] = -2 * p[1] * y[1] - p[2] * y[2]; dfdy[5] = -p[2] * y[1];
        dfdy[6] = 0; dfdy[7] = 2 * p[1] * y[1]; dfdy[8] = 0;
        dfdp[0] = -y[0]; dfdp[1] = 0; dfdp[2] = y[1] * y[2];
        dfdp[3] = y[0]; dfdp[4] = -y[1] * y[1]; dfdp[5] = -y[1] * y[2];
        dfdp[6] = 0; dfdp[7] = y[1] * y[1]; dfdp[8] = 0;
    }
}

/// <summary>Van der Pol, x'' − μ(1 − x²)x' + x = 0 as x' = v, v' = μ(1 − x²)v − x; p = [μ]. Stiff for large μ.</summary>
internal readonly struct VanDerPolSystem : IOdeSystem
{
    public int StateCount => 2;
    public int ParameterCount => 1;
    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        dydt[0] = y[1];
        dydt[1] = p[0] * (1 - y[0] * y[0]) * y[1] - y[0];
    }
    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot, Span<double> dydt, Span<double> dydtDot)
    {
        Evaluate(t, y, p, dydt);
        dydtDot[0] = yDot[1];
        dydtDot[1] = pDot[0] * (1 - y[0] * y[0]) * y[1] + (-2 * p[0] * y[0] * y[1] - 1) * yDot[0] + p[0] * (1 - y[0] * y[0]) * yDot[1];
    }
    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
    {
        yBar[0] += a[1] * (-2 * p[0] * y[0] * y[1] - 1);
        yBar[1] += a[0] + a[1] * p[0] * (1 - y[0] * y[0]);
        pBar[0] += a[1] * (1 - y[0] * y[0]) * y[1];
        return 0;
    }
    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp)
    {
        dfdy[0] = 0; dfdy[1] = 1;
        dfdy[2] = -2 * p[0] * y[0] * y[1] - 1; dfdy[3] = p[0] * (1 - y[0] * y[0]);
        dfdp[0] = 0; dfdp[1] = (1 - y[0] * y[0]) * y[1];
    }
}

/// <summary>
/// Prothero–Robinson: y' = λ(y − φ(t)) + φ'(t) with φ = cos t (p = [λ]); y = φ(t) + (y0 − φ(t0))e^{λ(t − t0)}.
/// Non-autonomous, so it exercises ∂f/∂t (here λ sin t − cos t... computed exactly).
/// </summary>
internal readonly struct ProtheroRobinsonSystem : IOdeSystem
{
    public int StateCount => 1;
    public int ParameterCount => 1;
    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) =>
        dydt[0] = p[0] * (y[0] - Math.Cos(t)) - Math.Sin(t);
    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot, Span<double> dydt, Span<double> dydtDot)
    {
        Evaluate(t, y, p, dydt);
        dydtDot[0] = pDot[0] * (y[0] - Math.Cos(t)) + p[0] * yDot[0] + tDot * (p[0] * Math.Sin(t) - Math.Cos(t));
    }
    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
    {
        yBar[0] += a[0] * p[0];
        pBar[0] += a[0] * (y[0] - Math.Cos(t));
        return a[0] * (p[0] * Math.Sin(t) - Math.Cos(t));
    }
    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp)
    {
        dfdy[0] = p[0];
        dfdp[0] = y[0] - Math.Cos(t);
    }
    public static double Exact(double lambda, double t0, double y0, double t) => Math.Cos(t) + (y0 - Math.Cos(t0)) * Math.Exp(lambda * (t - t0));
}

/// <summary>
/// y' = A·y with A = [[−1, 1], [0, −1000]] (p unused): exp(At) is known in closed form —
/// y1 = e^{−t}(y1₀ + y2₀/999) − y2₀ e^{−1000t}/999, y2 = y2₀ e^{−1000t}.
/// </summary>
internal readonly struct StiffLinearSystem : IOdeSystem
{
    public int StateCount => 2;
    public int ParameterCount => 0;
    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        dydt[0] = -y[0] + y[1];
        dydt[1] = -1000 * y[1];
    }
    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot, Span<double> dydt, Span<double> dydtDot)
    {
        Evaluate(t, y, p, dydt);
        dydtDot[0] = -yDot[0] + yDot[1];
        dydtDot[1] = -1000 * yDot[1];
    }
    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
    {
        yBar[0] += -a[0];
        yBar[1] += a[0] - 1000 * a[1];
        return 0;
    }
    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp)
    {
        dfdy[0] = -1; dfdy[1] = 1; dfdy[2] = 0; dfdy[3] = -1000;
    }
    public static void Exact(double t, ReadOnlySpan<double> y0, Span<double> y)
    {
        double slow = Math.Exp(-t), fast = Math.Exp(-1000 * t);
        y[0] = slow * (y0[0] + y0[1] / 999) - y0[1] * fast / 999;
        y[1] = y0[1] * fast;
    }
}

/// <summary>
/// f(y) = −s·(y₀ + y₁)·(1, 1) with s = 1e20: J = −s·[[1, 1], [1, 1]] is rank one and so large that
/// I/(hγ) − J is singular in floating point for every moderate h. From y0 = (1, −1) f is zero.
/// </summary>
internal readonly struct SingularJacobianField : IJacobianField
{
    private const double S = 1e20;
    public int Dimension => 2;
    public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt) => dydt[0] = dydt[1] = -S * (y[0] + y[1]);
    public void Jacobian(double t, ReadOnlySpan<double> y, Span<double> dfdy) => dfdy.Fill(-S);
    public void TimeDerivative(double t, ReadOnlySpan<double> y, Span<double> dfdt) => dfdt.Clear();
}
