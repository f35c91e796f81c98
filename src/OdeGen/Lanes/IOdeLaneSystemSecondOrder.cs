using OdeGen.Lanes;

namespace OdeGen;

/// <summary>
/// The lane forms of <see cref="IOdeSystemSecondOrder"/>: <c>TLane.Count</c> trajectories at once, one per SIMD lane,
/// in the layout of <see cref="IOdeLaneSystem"/>; each method means its scalar namesake, lane by lane.
/// </summary>
public interface IOdeLaneSystemSecondOrder : IOdeLaneSystem, IOdeSystemSecondOrder
{
    /// <summary>tr(∂f/∂y) in every lane.</summary>
    TLane DivergenceLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p)
        where TLane : unmanaged, ILane<TLane>;

    /// <summary>yBar += s·∂tr/∂y; pBar += s·∂tr/∂p in every lane; returns s·∂tr/∂t per lane.</summary>
    TLane DivergenceVjpLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p,
        TLane s, Span<TLane> yBar, Span<TLane> pBar)
        where TLane : unmanaged, ILane<TLane>;

    /// <summary>yBarDot += d/dε[aᵀ∂f/∂y]; pBarDot += d/dε[aᵀ∂f/∂p] in every lane.</summary>
    void HvpLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, ReadOnlySpan<TLane> a,
        double tDot, ReadOnlySpan<TLane> yDot, ReadOnlySpan<TLane> pDot, Span<TLane> yBarDot, Span<TLane> pBarDot)
        where TLane : unmanaged, ILane<TLane>;
}
