using OdeGen.Lanes;

namespace OdeGen;

/// <summary>
/// The float flavour of <see cref="IDifferentiableLaneFunction"/>: <c>TLane.Count</c> samples of a float
/// <c>[Differentiable]</c> method at once, in structure-of-arrays form; each method means its scalar namesake of
/// <see cref="IDifferentiableFunctionSingle"/>, lane by lane.
/// </summary>
[System.Diagnostics.CodeAnalysis.Experimental(global::OdeGen.Lanes.FloatLanesExperimental.DiagnosticId, UrlFormat = global::OdeGen.Lanes.FloatLanesExperimental.Url)]
public interface IDifferentiableLaneFunctionSingle : IDifferentiableFunctionSingle
{
    /// <summary>y = g(x, p) in every lane (overwrites y).</summary>
    void EvaluateLanes<TLane>(ReadOnlySpan<TLane> x, ReadOnlySpan<TLane> p, Span<TLane> y)
        where TLane : unmanaged, ILaneSingle<TLane>;

    /// <summary>y = g(x, p); yDot = ∂g/∂x·xDot + ∂g/∂p·pDot in every lane (both overwritten).</summary>
    void JvpLanes<TLane>(ReadOnlySpan<TLane> x, ReadOnlySpan<TLane> p,
        ReadOnlySpan<TLane> xDot, ReadOnlySpan<TLane> pDot, Span<TLane> y, Span<TLane> yDot)
        where TLane : unmanaged, ILaneSingle<TLane>;

    /// <summary>xBar += yBarᵀ∂g/∂x; pBar += yBarᵀ∂g/∂p in every lane.</summary>
    void VjpLanes<TLane>(ReadOnlySpan<TLane> x, ReadOnlySpan<TLane> p,
        ReadOnlySpan<TLane> yBar, Span<TLane> xBar, Span<TLane> pBar)
        where TLane : unmanaged, ILaneSingle<TLane>;
}
