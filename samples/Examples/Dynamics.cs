using OdeGen;

namespace OdeGen.Samples.Examples;

/// <summary>Newton's law of cooling: dT/dt = −k·(T − T_ambient); p = (k, T_ambient).</summary>
public static partial class Cooling
{
    [OdeDynamics]
    public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) =>
        dydt[0] = -p[0] * (y[0] - p[1]);
}

/// <summary>The rate law of an n-th order reaction: dA/dt = −k·Aⁿ; p = (k, n).</summary>
public static partial class RateLaw
{
    [OdeDynamics]
    public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) =>
        dydt[0] = -p[0] * Math.Pow(y[0], p[1]);
}

/// <summary>The damped pendulum: θ'' = −(g/L)·sin θ − c·θ'; y = (θ, ω), p = (c, L, g).</summary>
public static partial class Pendulum
{
    [OdeDynamics]
    public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        double damping = p[0], length = p[1], gravity = p[2];
        dydt[0] = y[1];
        dydt[1] = -gravity / length * Math.Sin(y[0]) - damping * y[1];
    }
}
