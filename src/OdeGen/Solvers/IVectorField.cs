namespace OdeGen.Solvers;

/// <summary>
/// A first-order system dy/dt = F(t, y) of fixed dimension: what the integrators step.
/// The runtime wraps an <see cref="IOdeSystem"/> and its parameters in one of these, and the
/// sensitivity methods wrap augmented systems (state + tangents, state + adjoints) the same way.
/// Implementations are structs so that the JIT specializes the integrator for each of them.
/// </summary>
public interface IVectorField
{
    /// <summary>Length of y.</summary>
    int Dimension { get; }

    /// <summary>dydt = F(t, y) (overwrites dydt).</summary>
    void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt);
}
