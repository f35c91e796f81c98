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

/// <summary>
/// Batch dynamics whose VJP can read what an evaluation at the same point computed instead of computing it again, as a
/// tape-based framework keeps activations (the batch form of <see cref="OdeGen.IOdeLaneSystemKept"/>):
/// <see cref="EvaluateBatchKeeping"/> is <see cref="IBatchOdeSystem.EvaluateBatch"/> that also writes the values its reverse
/// sweep reads into a caller's span of count·<see cref="KeptPerSample"/> doubles, and <see cref="VjpBatchKept"/> is
/// <see cref="IBatchOdeSystem.VjpBatch"/> reading them back; <see cref="EvaluateBatchFromKept"/> gives f again from them
/// (the discrete adjoint's reverse step needs each stage's f too). Each gives its namesake's bits. The discrete adjoint of an
/// <see cref="OdeBlock{TSystem}"/> with <see cref="OdeBlock{TSystem}.BatchAsOneSystem"/> keeps them for every stage of every
/// step within <see cref="DiscreteAdjointSensitivity.KeptBytes"/>. <see cref="OdeNetDynamics"/> implements it.
/// </summary>
public interface IBatchOdeSystemKept : IBatchOdeSystem
{
    /// <summary>Doubles one sample's evaluation keeps (the kept span of a batch call is count times as long).</summary>
    int KeptPerSample { get; }

    /// <summary><see cref="IBatchOdeSystem.EvaluateBatch"/> (its bits), writing kept[0 … count·KeptPerSample) for <see cref="VjpBatchKept"/>.</summary>
    void EvaluateBatchKeeping(int count, double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt, Span<double> kept);

    /// <summary>dydt = f(t, y_s, p) from what <see cref="EvaluateBatchKeeping"/> kept at the same (t, y, p): its dydt, bit for bit, at a fraction of its cost.</summary>
    void EvaluateBatchFromKept(int count, double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> kept, Span<double> dydt);

    /// <summary>
    /// <see cref="IBatchOdeSystem.VjpBatch"/> at (t, y, p) (its bits) with what an <see cref="EvaluateBatchKeeping"/> call at the
    /// same (t, y, p) kept: yBar_s += a_sᵀ∂f/∂y, pBar += Σ_s a_sᵀ∂f/∂p; returns Σ_s a_sᵀ∂f/∂t.
    /// </summary>
    double VjpBatchKept(int count, double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> kept, ReadOnlySpan<double> a,
        Span<double> yBar, Span<double> pBar);
}
