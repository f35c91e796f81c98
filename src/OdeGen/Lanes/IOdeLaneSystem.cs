using OdeGen.Lanes;

namespace OdeGen;

/// <summary>
/// Lane-batched dynamics: the same f(t, y, θ) for <c>TLane.Count</c> independent trajectories at once, one
/// per SIMD lane, in structure-of-arrays form: <c>y[i]</c> holds state i of every lane, <c>p[k]</c> parameter k
/// of every lane (broadcast it for weights shared by a minibatch). The generator implements it beside
/// <see cref="IOdeSystem"/> for every double <c>[OdeDynamics]</c> method (float methods get
/// <see cref="IOdeLaneSystemSingle"/>); each method has the meaning of its scalar namesake, lane by lane. The lanes of
/// one call share the time t.
/// </summary>
public interface IOdeLaneSystem : IOdeSystem
{
    /// <summary>dydt = f(t, y, p) in every lane (overwrites dydt).</summary>
    void EvaluateLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, Span<TLane> dydt)
        where TLane : unmanaged, ILane<TLane>;

    /// <summary>dydt = f; dydtDot = ∂f/∂t·tDot + ∂f/∂y·yDot + ∂f/∂p·pDot in every lane (both overwritten).</summary>
    void JvpLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p,
        double tDot, ReadOnlySpan<TLane> yDot, ReadOnlySpan<TLane> pDot, Span<TLane> dydt, Span<TLane> dydtDot)
        where TLane : unmanaged, ILane<TLane>;

    /// <summary>yBar += aᵀ∂f/∂y; pBar += aᵀ∂f/∂p in every lane; returns aᵀ∂f/∂t per lane.</summary>
    TLane VjpLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p,
        ReadOnlySpan<TLane> a, Span<TLane> yBar, Span<TLane> pBar)
        where TLane : unmanaged, ILane<TLane>;
}
