namespace OdeGen.Models;

/// <summary>
/// Dynamics that can evaluate many samples' states at once, batch-major (each sample a row of StateCount values), with one
/// matrix product per layer instead of one per sample: what an <see cref="OdeBlock{TSystem}"/> with
/// <see cref="OdeBlock{TSystem}.BatchAsOneSystem"/> calls. <see cref="OdeNetDynamics"/> implements it.
/// </summary>
public interface IBatchOdeSystem : IOdeSystem
{
    /// <summary>dydt = f(t, y_s, p) for each of the <paramref name="count"/> rows of <paramref name="y"/> (overwrites dydt).</summary>
    void EvaluateBatch(int count, double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt);

    /// <summary>
    /// For each row s: yBar_s += a_sᵀ∂f/∂y at y_s; pBar += Σ_s a_sᵀ∂f/∂p; returns Σ_s a_sᵀ∂f/∂t.
    /// </summary>
    double VjpBatch(int count, double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar);

    /// <summary>
    /// <see cref="EvaluateBatch"/> then <see cref="VjpBatch"/>, bit for bit, from one forward pass where the dynamics can
    /// (<see cref="OdeNetDynamics"/>): what the adjoint's back-solve of a batch needs at every point. The default makes the
    /// two calls.
    /// </summary>
    double EvaluateVjpBatch(int count, double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> dydt,
        Span<double> yBar, Span<double> pBar)
    {
        EvaluateBatch(count, t, y, p, dydt);
        return VjpBatch(count, t, y, p, a, yBar, pBar);
    }
}
