using OdeGen;

namespace OdeGen.Tests.Generated;

// DESIGN.md's Lorenz in float: the generator gives it IOdeSystemSingle and, beside it, IOdeLaneSystemSingle.
public static partial class LorenzSingle
{
    [OdeDynamics]
    public static void Rhs(float t, ReadOnlySpan<float> y, ReadOnlySpan<float> p, Span<float> dydt)
    {
        float sigma = p[0], rho = p[1], beta = p[2];
        dydt[0] = sigma * (y[1] - y[0]);
        dydt[1] = y[0] * (rho - y[2]) - y[1];
        dydt[2] = y[0] * y[1] - beta * y[2];
    }
}
