using OdeGen.Lanes;

namespace OdeGen;

/// <summary>The float flavour of <see cref="IDifferentiableLaneFunctionSecondOrder"/>.</summary>
[System.Diagnostics.CodeAnalysis.Experimental(global::OdeGen.Lanes.FloatLanesExperimental.DiagnosticId, UrlFormat = global::OdeGen.Lanes.FloatLanesExperimental.Url)]
public interface IDifferentiableLaneFunctionSingleSecondOrder : IDifferentiableLaneFunctionSingle, IDifferentiableFunctionSingleSecondOrder
{
    /// <summary>xBarDot += d/dε[yBarᵀ∂g/∂x]; pBarDot += d/dε[yBarᵀ∂g/∂p] in every lane.</summary>
    void HvpLanes<TLane>(ReadOnlySpan<TLane> x, ReadOnlySpan<TLane> p, ReadOnlySpan<TLane> yBar,
        ReadOnlySpan<TLane> xDot, ReadOnlySpan<TLane> pDot, Span<TLane> xBarDot, Span<TLane> pBarDot)
        where TLane : unmanaged, ILaneSingle<TLane>;
}
