using OdeGen.Lanes;

namespace OdeGen;

/// <summary>
/// The lane forms of <see cref="IOdeAugmentedSystemSecondOrder"/>, in the layout of <see cref="IOdeLaneSystem"/>; each
/// method means its scalar namesake, lane by lane.
/// </summary>
public interface IOdeAugmentedLaneSystemSecondOrder : IOdeAugmentedLaneSystem, IOdeLaneSystemSecondOrder, IOdeAugmentedSystemSecondOrder
{
    /// <summary>dydt = f in every lane (overwritten); returns tr(∂f/∂y) per lane.</summary>
    TLane EvaluateDivergenceLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, Span<TLane> dydt)
        where TLane : unmanaged, ILane<TLane>;

    /// <summary>yBar += aᵀ∂f/∂y + s·∂tr/∂y; pBar += aᵀ∂f/∂p + s·∂tr/∂p in every lane; returns aᵀ∂f/∂t + s·∂tr/∂t per lane.</summary>
    TLane VjpDivergenceVjpLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, ReadOnlySpan<TLane> a, TLane s,
        Span<TLane> yBar, Span<TLane> pBar)
        where TLane : unmanaged, ILane<TLane>;
}
