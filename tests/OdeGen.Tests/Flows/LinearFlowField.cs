namespace OdeGen.Tests.Flows;

/// <summary>
/// f(t, z) = A·z with A = [[p0, p1], [p2, p3]] and a time-dependent drift p4·t in both components (which moves the
/// density without changing its volume): z(t1) = e^{A(t1−t0)}z(t0) + drift, and log p changes by exactly −(t1 − t0)·tr(A).
/// </summary>
public static partial class LinearFlowField
{
    [OdeDynamics(States = 2, Parameters = 5, SecondOrder = true)]
    public static void Rhs(double t, ReadOnlySpan<double> z, ReadOnlySpan<double> p, Span<double> dzdt)
    {
        dzdt[0] = (p[0] * z[0]) + (p[1] * z[1]) + (p[4] * t);
        dzdt[1] = (p[2] * z[0]) + (p[3] * z[1]) + (p[4] * t);
    }
}

/// <summary>A one-dimensional flow dz/dt = a·z + b with log p changing by −a·(t1 − t0).</summary>
public static partial class AffineFlowField1D
{
    [OdeDynamics(States = 1, Parameters = 2, SecondOrder = true)]
    public static void Rhs(double t, ReadOnlySpan<double> z, ReadOnlySpan<double> p, Span<double> dzdt)
    {
        dzdt[0] = (p[0] * z[0]) + p[1];
    }
}
