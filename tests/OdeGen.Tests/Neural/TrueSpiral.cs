namespace OdeGen.Tests.Neural;

/// <summary>The spiral demo's truth, dy/dt = (y³)·A with A = [[-0.1, 2.0], [-2.0, -0.1]] (row-vector form).</summary>
public static partial class TrueSpiral
{
    [OdeDynamics(States = 2, Parameters = 0)]
    public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        double u0 = y[0] * y[0] * y[0], u1 = y[1] * y[1] * y[1];
        dydt[0] = -0.1 * u0 - 2.0 * u1;
        dydt[1] = 2.0 * u0 - 0.1 * u1;
    }
}
