using OdeGen.Lanes;

namespace OdeGen;

/// <summary>
/// The float flavour of <see cref="IOdeLaneSystem"/>: lane-batched dynamics of a float <c>[OdeDynamics]</c> method,
/// <c>TLane.Count</c> trajectories at once in structure-of-arrays form (<c>y[i]</c> holds state i of every lane,
/// <c>p[k]</c> parameter k of every lane). The generator implements it beside <see cref="IOdeSystemSingle"/> for every
/// float method; each method has the meaning of its scalar namesake, lane by lane, and the lanes of one call share t.
/// </summary>
[System.Diagnostics.CodeAnalysis.Experimental(FloatLanesExperimental.DiagnosticId, UrlFormat = FloatLanesExperimental.Url)]
public interface IOdeLaneSystemSingle : IOdeSystemSingle
{
    /// <summary>dydt = f(t, y, p) in every lane (overwrites dydt).</summary>
    void EvaluateLanes<TLane>(float t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, Span<TLane> dydt)
        where TLane : unmanaged, ILaneSingle<TLane>;

    /// <summary>dydt = f; dydtDot = ∂f/∂t·tDot + ∂f/∂y·yDot + ∂f/∂p·pDot in every lane (both overwritten).</summary>
    void JvpLanes<TLane>(float t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p,
        float tDot, ReadOnlySpan<TLane> yDot, ReadOnlySpan<TLane> pDot, Span<TLane> dydt, Span<TLane> dydtDot)
        where TLane : unmanaged, ILaneSingle<TLane>;

    /// <summary>yBar += aᵀ∂f/∂y; pBar += aᵀ∂f/∂p in every lane; returns aᵀ∂f/∂t per lane.</summary>
    TLane VjpLanes<TLane>(float t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p,
        ReadOnlySpan<TLane> a, Span<TLane> yBar, Span<TLane> pBar)
        where TLane : unmanaged, ILaneSingle<TLane>;
}
