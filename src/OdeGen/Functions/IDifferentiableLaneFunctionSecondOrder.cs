using OdeGen.Lanes;

namespace OdeGen;

/// <summary>
/// The lane form of <see cref="IDifferentiableFunctionSecondOrder"/>: <c>TLane.Count</c> samples at once, one per SIMD
/// lane, in the layout of <see cref="IDifferentiableLaneFunction"/>; HvpLanes means Hvp, lane by lane.
/// </summary>
public interface IDifferentiableLaneFunctionSecondOrder : IDifferentiableLaneFunction, IDifferentiableFunctionSecondOrder
{
    /// <summary>xBarDot += d/dε[yBarᵀ∂g/∂x]; pBarDot += d/dε[yBarᵀ∂g/∂p] in every lane.</summary>
    void HvpLanes<TLane>(ReadOnlySpan<TLane> x, ReadOnlySpan<TLane> p, ReadOnlySpan<TLane> yBar,
        ReadOnlySpan<TLane> xDot, ReadOnlySpan<TLane> pDot, Span<TLane> xBarDot, Span<TLane> pBarDot)
        where TLane : unmanaged, ILane<TLane>;
}
