namespace OdeGen.Samples.Cluster;

// The model: silos and client both reference this assembly; the silos register Lorenz.RhsSystem.
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
