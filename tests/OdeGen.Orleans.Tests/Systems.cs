namespace OdeGen.Orleans.Tests;

// The Lorenz system of DESIGN.md: the silos of the test cluster register Lorenz.RhsSystem.
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

// A system no silo registers: the client knows it, the silos answer that they cannot solve it.
public static partial class Unregistered
{
    [OdeDynamics]
    public static void Decay(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        dydt[0] = -p[0] * y[0];
    }
}

// A tank that drains: y0' = −k·√y0 empties at t = 2√y0(0)/k, after which √ of a negative level makes f NaN, so a
// trajectory fails mid-run (NonFiniteValue or a collapsing step) depending on its own y0 and k; y1 follows the level.
// Straight-line and independent of t, so per-lane steps accept it.
public static partial class Drain
{
    [OdeDynamics]
    public static void Tank(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        dydt[0] = -p[0] * Math.Sqrt(y[0]);
        dydt[1] = p[1] * y[0] - y[1];
    }
}
