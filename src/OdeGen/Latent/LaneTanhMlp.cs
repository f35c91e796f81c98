using OdeGen.Layers;

namespace OdeGen.Latent;

/// <summary>
/// f(z) = W₂·tanh(W₁·z + b₁) + b₂ in lanes, composed of the generated <see cref="LayerFunctions.LinearFunction"/> and
/// <see cref="LayerFunctions.TanhFunction"/> (no derivative here is written by hand: the VJP chains the generated ones).
/// Parameters W₁ [hidden][n], b₁, W₂ [n][hidden], b₂, the layout of <see cref="Neural.TanhMlpSystem"/> with u(y) = y.
/// </summary>
internal sealed class LaneTanhMlp
{
    private readonly LayerFunctions.LinearFunction _first, _second;
    private readonly LayerFunctions.TanhFunction _tanh;
    private readonly int _firstCount;

    public LaneTanhMlp(int size, int hidden)
    {
        // In long: (2·hidden + 1)·size + hidden wrapped around in int for a large latent or hidden size.
        long parameters = (2L * hidden * size) + hidden + size;
        if (parameters > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(hidden), $"Dynamics of {size} states and {hidden} hidden units make {parameters} parameters, more than an array holds.");
        Size = size;
        Hidden = hidden;
        _firstCount = (hidden * size) + hidden;
        _first = new LayerFunctions.LinearFunction(size, _firstCount, hidden);
        _second = new LayerFunctions.LinearFunction(hidden, (size * hidden) + size, size);
        _tanh = new LayerFunctions.TanhFunction(hidden, hidden);
        ParameterCount = _firstCount + (size * hidden) + size;
    }

    public int Size { get; }

    public int Hidden { get; }

    public int ParameterCount { get; }

    /// <summary>Scratch lanes the two methods need.</summary>
    public int ScratchCount => 4 * Hidden;

    public void Evaluate<TLane>(ReadOnlySpan<TLane> z, ReadOnlySpan<TLane> p, Span<TLane> dz, Span<TLane> scratch)
        where TLane : unmanaged, Lanes.ILane<TLane>
    {
        Span<TLane> a = scratch[..Hidden], th = scratch.Slice(Hidden, Hidden);
        _first.EvaluateLanes(z, p[.._firstCount], a);
        _tanh.EvaluateLanes<TLane>(a, default, th);
        _second.EvaluateLanes<TLane>(th, p[_firstCount..], dz);
    }

    /// <summary>zBar += dzBarᵀ∂f/∂z; pBar += dzBarᵀ∂f/∂p.</summary>
    public void Vjp<TLane>(ReadOnlySpan<TLane> z, ReadOnlySpan<TLane> p, ReadOnlySpan<TLane> dzBar, Span<TLane> zBar, Span<TLane> pBar, Span<TLane> scratch)
        where TLane : unmanaged, Lanes.ILane<TLane>
    {
        Span<TLane> a = scratch[..Hidden], th = scratch.Slice(Hidden, Hidden), thBar = scratch.Slice(2 * Hidden, Hidden), aBar = scratch.Slice(3 * Hidden, Hidden);
        _first.EvaluateLanes(z, p[.._firstCount], a);
        _tanh.EvaluateLanes<TLane>(a, default, th);
        thBar.Clear();
        aBar.Clear();
        _second.VjpLanes<TLane>(th, p[_firstCount..], dzBar, thBar, pBar[_firstCount..]);
        _tanh.VjpLanes<TLane>(a, default, thBar, aBar, default);
        _first.VjpLanes(z, p[.._firstCount], aBar, zBar, pBar[.._firstCount]);
    }
}
