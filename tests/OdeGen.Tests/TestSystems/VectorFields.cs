using OdeGen.Solvers;

namespace OdeGen.Tests.TestSystems;

// Plain vector fields (no parameters, no derivatives) for the solvers' own tests.

/// <summary>y' = 1 up to t = Limit, NaN after it (a vector field, no parameters).</summary>
internal readonly struct NaNAfterField(double limit) : IVectorField
{
    public int Dimension => 1;
    public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt) => dydt[0] = t > limit ? double.NaN : 1.0;
}

/// <summary>y' = k·t^(k−1): y = t^k is a polynomial of degree k, reproduced exactly by interpolants of degree ≥ k.</summary>
internal readonly struct MonomialField(int k) : IVectorField
{
    public int Dimension => 1;
    public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt) => dydt[0] = k * Math.Pow(t, k - 1);
}

/// <summary>y_q' = −(q + 1)/n·y_q for q &lt; n: n independent decays, a field of any size.</summary>
internal readonly struct DecoupledDecayField(int n) : IVectorField
{
    public int Dimension => n;
    public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt)
    {
        for (int q = 0; q < n; q++) dydt[q] = -(q + 1.0) / n * y[q];
    }
}

/// <summary>Lorenz as a plain vector field with σ = 10, ρ = 28, β = 8/3.</summary>
internal readonly struct LorenzField : IVectorField
{
    public int Dimension => 3;
    public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt)
    {
        dydt[0] = 10 * (y[1] - y[0]);
        dydt[1] = y[0] * (28 - y[2]) - y[1];
        dydt[2] = y[0] * y[1] - 8.0 / 3 * y[2];
    }
}
