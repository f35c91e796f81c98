using OdeGen.Lanes;

namespace OdeGen;

/// <summary>The float flavour of <see cref="IOdeLaneSystemSecondOrder"/>.</summary>
[System.Diagnostics.CodeAnalysis.Experimental(global::OdeGen.Lanes.FloatLanesExperimental.DiagnosticId, UrlFormat = global::OdeGen.Lanes.FloatLanesExperimental.Url)]
public interface IOdeLaneSystemSingleSecondOrder : IOdeLaneSystemSingle, IOdeSystemSingleSecondOrder
{
    /// <summary>tr(∂f/∂y) in every lane.</summary>
    TLane DivergenceLanes<TLane>(float t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p)
        where TLane : unmanaged, ILaneSingle<TLane>;

    /// <summary>yBar += s·∂tr/∂y; pBar += s·∂tr/∂p in every lane; returns s·∂tr/∂t per lane.</summary>
    TLane DivergenceVjpLanes<TLane>(float t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p,
        TLane s, Span<TLane> yBar, Span<TLane> pBar)
        where TLane : unmanaged, ILaneSingle<TLane>;

    /// <summary>yBarDot += d/dε[aᵀ∂f/∂y]; pBarDot += d/dε[aᵀ∂f/∂p] in every lane.</summary>
    void HvpLanes<TLane>(float t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, ReadOnlySpan<TLane> a,
        float tDot, ReadOnlySpan<TLane> yDot, ReadOnlySpan<TLane> pDot, Span<TLane> yBarDot, Span<TLane> pBarDot)
        where TLane : unmanaged, ILaneSingle<TLane>;
}
