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

/// <summary>
/// y' = −k·y in as many states as its constructor says: a system sized at run time, which silos register as an instance
/// (LorenzSilo registers it with 4 states), so a client that builds it with other sizes is told so by the silo.
/// </summary>
public readonly struct SizedDecay(int states) : IOdeLaneSystem
{
    public int StateCount { get; } = states;
    public int ParameterCount => 1;

    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        for (int i = 0; i < StateCount; i++) dydt[i] = -p[0] * y[i];
    }

    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot,
        Span<double> dydt, Span<double> dydtDot)
    {
        for (int i = 0; i < StateCount; i++)
        {
            dydt[i] = -p[0] * y[i];
            dydtDot[i] = -pDot[0] * y[i] - p[0] * yDot[i];
        }
    }

    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
    {
        for (int i = 0; i < StateCount; i++)
        {
            yBar[i] -= p[0] * a[i];
            pBar[0] -= a[i] * y[i];
        }
        return 0;
    }

    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp)
    {
        dfdy[..(StateCount * StateCount)].Clear();
        for (int i = 0; i < StateCount; i++)
        {
            dfdy[i * StateCount + i] = -p[0];
            dfdp[i] = -y[i];
        }
    }

    public void EvaluateLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, Span<TLane> dydt)
        where TLane : unmanaged, OdeGen.Lanes.ILane<TLane>
    {
        for (int i = 0; i < StateCount; i++) dydt[i] = TLane.Zero - p[0] * y[i];
    }

    public void JvpLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, double tDot, ReadOnlySpan<TLane> yDot,
        ReadOnlySpan<TLane> pDot, Span<TLane> dydt, Span<TLane> dydtDot)
        where TLane : unmanaged, OdeGen.Lanes.ILane<TLane>
    {
        for (int i = 0; i < StateCount; i++)
        {
            dydt[i] = TLane.Zero - p[0] * y[i];
            dydtDot[i] = TLane.Zero - pDot[0] * y[i] - p[0] * yDot[i];
        }
    }

    public TLane VjpLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, ReadOnlySpan<TLane> a, Span<TLane> yBar, Span<TLane> pBar)
        where TLane : unmanaged, OdeGen.Lanes.ILane<TLane>
    {
        for (int i = 0; i < StateCount; i++)
        {
            yBar[i] = yBar[i] - p[0] * a[i];
            pBar[0] = pBar[0] - a[i] * y[i];
        }
        return TLane.Zero;
    }
}
