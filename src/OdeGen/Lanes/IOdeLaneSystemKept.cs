using OdeGen.Lanes;

namespace OdeGen;

/// <summary>
/// A lane system whose VJP can reuse the primal values of an evaluation at the same (t, y, p) instead of computing them
/// again, as a tape-based framework stores activations: <see cref="EvaluateKeepingLanes{TLane}"/> is
/// <see cref="IOdeLaneSystem.EvaluateLanes{TLane}"/> that also writes the values its reverse sweep reads (for an MLP, the
/// activations) into a caller's span of <see cref="KeptCount"/> lane values, and <see cref="VjpKeptLanes{TLane}"/> is
/// <see cref="IOdeLaneSystem.VjpLanes{TLane}"/> reading them back. Both give their namesakes' bits. The generator implements
/// it beside <see cref="IOdeAugmentedLaneSystem"/> when the reverse sweep reads something worth keeping and every such
/// value can be kept as a number (no branch on the values, see docs/lanes.md); a system without it takes today's path.
/// The lane discrete adjoint of the ensembles keeps them on its tape (EnsembleOptions.KeptBytes bounds the memory).
/// </summary>
public interface IOdeLaneSystemKept : IOdeLaneSystem
{
    /// <summary>Lane values <see cref="EvaluateKeepingLanes{TLane}"/> writes per call (the length of its kept span).</summary>
    int KeptCount { get; }

    /// <summary>dydt = f(t, y, p) in every lane (overwrites dydt, with EvaluateLanes's bits); kept[0 … KeptCount) = the values VjpKeptLanes reads.</summary>
    void EvaluateKeepingLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, Span<TLane> dydt, Span<TLane> kept)
        where TLane : unmanaged, ILane<TLane>;

    /// <summary>
    /// VjpLanes at (t, y, p) with the values an EvaluateKeepingLanes call at the same (t, y, p) kept: yBar += aᵀ∂f/∂y,
    /// pBar += aᵀ∂f/∂p in every lane; returns aᵀ∂f/∂t per lane (VjpLanes's bits).
    /// </summary>
    TLane VjpKeptLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, ReadOnlySpan<TLane> kept,
        ReadOnlySpan<TLane> a, Span<TLane> yBar, Span<TLane> pBar)
        where TLane : unmanaged, ILane<TLane>;
}
