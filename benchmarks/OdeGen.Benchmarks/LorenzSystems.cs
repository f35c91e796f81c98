using OdeGen;

namespace OdeGen.Benchmarks;

/// <summary>The design document's Lorenz dynamics; the generator adds <c>RhsSystem</c>.</summary>
public static partial class Lorenz
{
    [OdeDynamics]
    public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        double sigma = p[0], rho = p[1], beta = p[2];
        dydt[0] = sigma * (y[1] - y[0]);
        dydt[1] = y[0] * (rho - y[2]) - y[1];
        dydt[2] = y[0] * y[1] - beta * y[2];
    }
}

/// <summary>
/// The baseline: Lorenz with its derivatives written by hand, as a careful engineer would,
/// so the benchmarks measure what the generator costs relative to doing it yourself.
/// </summary>
public readonly struct HandWrittenLorenz : IOdeSystem
{
    public int StateCount => 3;
    public int ParameterCount => 3;

    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        double s = p[0], r = p[1], b = p[2], x = y[0], v = y[1], z = y[2];
        dydt[2] = x * v - b * z;
        dydt[1] = x * (r - z) - v;
        dydt[0] = s * (v - x);
    }

    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot,
        ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot, Span<double> dydt, Span<double> dydtDot)
    {
        double s = p[0], r = p[1], b = p[2], x = y[0], v = y[1], z = y[2];
        double dx = yDot[0], dv = yDot[1], dz = yDot[2], ds = pDot[0], dr = pDot[1], db = pDot[2];
        dydt[2] = x * v - b * z;
        dydt[1] = x * (r - z) - v;
        dydt[0] = s * (v - x);
        dydtDot[2] = dx * v + x * dv - db * z - b * dz;
        dydtDot[1] = dx * (r - z) + x * (dr - dz) - dv;
        dydtDot[0] = ds * (v - x) + s * (dv - dx);
    }

    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p,
        ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
    {
        double s = p[0], r = p[1], b = p[2], x = y[0], v = y[1], z = y[2];
        double a0 = a[0], a1 = a[1], a2 = a[2];
        pBar[2] += -a2 * z;
        pBar[1] += a1 * x;
        pBar[0] += a0 * (v - x);
        yBar[2] += -a1 * x - a2 * b;
        yBar[1] += a0 * s - a1 + a2 * x;
        yBar[0] += -a0 * s + a1 * (r - z) + a2 * v;
        return 0;
    }

    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp)
    {
        double s = p[0], r = p[1], b = p[2], x = y[0], v = y[1], z = y[2];
        dfdy[8] = -b; dfdy[7] = x; dfdy[6] = v;
        dfdy[5] = -x; dfdy[4] = -1; dfdy[3] = r - z;
        dfdy[2] = 0; dfdy[1] = s; dfdy[0] = -s;
        dfdp[8] = -z; dfdp[7] = 0; dfdp[6] = 0;
        dfdp[5] = 0; dfdp[4] = x; dfdp[3] = 0;
        dfdp[2] = 0; dfdp[1] = 0; dfdp[0] = v - x;
    }
}
