namespace OdeGen.Tests.TestSystems;

/// <summary>A system whose sizes are known only at run time (its loops run over y.Length and p.Length).</summary>
public static partial class RuntimeSizedChain
{
    [OdeDynamics]
    public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        int n = y.Length;
        for (int i = 0; i < n; i++) dydt[i] = -p[i % p.Length] * y[i];
    }
}

/// <summary>y' = θ·y², which blows up at t = 1/(θ·y0): a solve past that fails.</summary>
public static partial class LaneBlowUp
{
    [OdeDynamics]
    public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = p[0] * y[0] * y[0];
}
