using OdeGen.Lanes;

namespace OdeGen;

/// <summary>
/// Lane-batched <see cref="IDifferentiableFunction"/>: the same g(x, p) for <c>TLane.Count</c> independent samples
/// at once, one per SIMD lane, in structure-of-arrays form (<c>x[i]</c> holds input i of every lane, <c>p[k]</c>
/// parameter k of every lane: broadcast it for weights shared by a minibatch). The generator implements it beside
/// <see cref="IDifferentiableFunction"/> for every double <c>[Differentiable]</c> method; each method means its scalar
/// namesake, lane by lane.
/// </summary>
public interface IDifferentiableLaneFunction : IDifferentiableFunction
{
    /// <summary>y = g(x, p) in every lane (overwrites y).</summary>
    void EvaluateLanes<TLane>(ReadOnlySpan<TLane> x, ReadOnlySpan<TLane> p, Span<TLane> y)
        where TLane : unmanaged, ILane<TLane>;

    /// <summary>y = g(x, p); yDot = ∂g/∂x·xDot + ∂g/∂p·pDot in every lane (both overwritten).</summary>
    void JvpLanes<TLane>(ReadOnlySpan<TLane> x, ReadOnlySpan<TLane> p,
        ReadOnlySpan<TLane> xDot, ReadOnlySpan<TLane> pDot, Span<TLane> y, Span<TLane> yDot)
        where TLane : unmanaged, ILane<TLane>;

    /// <summary>xBar += yBarᵀ∂g/∂x; pBar += yBarᵀ∂g/∂p in every lane.</summary>
    void VjpLanes<TLane>(ReadOnlySpan<TLane> x, ReadOnlySpan<TLane> p,
        ReadOnlySpan<TLane> yBar, Span<TLane> xBar, Span<TLane> pBar)
        where TLane : unmanaged, ILane<TLane>;
}
