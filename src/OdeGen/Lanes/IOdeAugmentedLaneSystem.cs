using OdeGen.Lanes;

namespace OdeGen;

/// <summary>
/// The lane form of <see cref="IOdeAugmentedSystem"/>: <c>TLane.Count</c> trajectories at once, one per SIMD lane, in the
/// layout of <see cref="IOdeLaneSystem"/>; generated beside it for every double <c>[OdeDynamics]</c> method.
/// </summary>
public interface IOdeAugmentedLaneSystem : IOdeLaneSystem, IOdeAugmentedSystem
{
    /// <summary>dydt = f; yBar += aᵀ∂f/∂y; pBar += aᵀ∂f/∂p in every lane; returns aᵀ∂f/∂t per lane (EvaluateLanes and VjpLanes, bit for bit).</summary>
    TLane EvaluateVjpLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, ReadOnlySpan<TLane> a,
        Span<TLane> dydt, Span<TLane> yBar, Span<TLane> pBar)
        where TLane : unmanaged, ILane<TLane>;
}
