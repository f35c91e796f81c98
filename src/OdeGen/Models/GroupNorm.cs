using OdeGen.Lanes;
using OdeGen.Layers;

namespace OdeGen.Models;

/// <summary>
/// Group normalization of an image (PyTorch's <c>GroupNorm</c>, eps = 1e-5): the channels split into
/// <see cref="Groups"/> groups, each normalized to mean 0 and variance 1 over its channels and pixels, then scaled and
/// shifted per channel. The generated <see cref="LayerFunctions.GroupNormGroupFunction"/> defines it and runs its lanes and its Jvp;
/// Forward, Backward and their batches run <see cref="GroupNormKernel"/>, the same map and its closed-form derivative in SIMD
/// sums (held to the generated function to 1e-12 by the tests; <see cref="ForwardGenerated"/>/<see cref="BackwardGenerated"/>
/// keep the generated passes for them).
/// </summary>
/// <remarks>
/// Parameters: one block "affine" [groups][2·channels/groups], row g = γ of group g's channels then their β, so each group's
/// slice is contiguous (PyTorch keeps all γ, then all β: reorder when loading its weights). Initialized γ = 1, β = 0.
/// A batch is one call over all its samples (<see cref="HasBatch"/>), so a model runs it batch-major with the convolutions, and
/// a sample and a batch give the same bits.
/// </remarks>
public sealed class GroupNorm : Layer
{
    private readonly LayerFunctions.GroupNormGroupFunction _group;

    /// <summary>Creates the layer for images of <paramref name="channels"/> × <paramref name="pixels"/> values (channel-major).</summary>
    /// <exception cref="ArgumentException">The channels do not divide into <paramref name="groups"/>.</exception>
    public GroupNorm(int groups, int channels, int pixels)
        : base(Size(channels, pixels), Size(channels, pixels), new ParameterShape("affine", groups, 2 * (channels / Math.Max(groups, 1))))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(groups);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pixels);
        if (channels % groups != 0) throw new ArgumentException($"{channels} channels do not split into {groups} groups of equal size.", nameof(groups));
        Groups = groups;
        Channels = channels;
        Pixels = pixels;
        int perGroup = channels / groups;
        _group = new LayerFunctions.GroupNormGroupFunction(perGroup * pixels, 2 * perGroup, perGroup * pixels);
    }

    // channels × pixels as an array length, refused by name when no array holds it (checked int arithmetic threw OverflowException).
    private static int Size(int channels, int pixels)
    {
        long size = (long)channels * pixels;
        return size <= Array.MaxLength
            ? (int)size
            : throw new ArgumentOutOfRangeException(nameof(pixels), $"{channels} channels × {pixels} pixels = {size} values, more than an array holds.");
    }

    /// <summary>Number of groups.</summary>
    public int Groups { get; }

    /// <summary>Number of channels.</summary>
    public int Channels { get; }

    /// <summary>Values per channel.</summary>
    public int Pixels { get; }

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, Span<double> y, Span<double> scratch) =>
        ForwardBatch(1, x, parameters, y, scratch);

    /// <inheritdoc/>
    public override void Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, ReadOnlySpan<double> yBar,
        Span<double> xBar, Span<double> parameterBar, Span<double> scratch) =>
        BackwardBatch(1, x, parameters, yBar, xBar, parameterBar, scratch);

    /// <inheritdoc/>
    public override bool HasBatch => true;

    /// <inheritdoc/>
    public override void ForwardBatch(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, Span<double> y, Span<double> scratch)
    {
        RequireBatch(count, x.Length, y.Length, nameof(y));
        RequireParameters(parameters.Length);
        GroupNormKernel.Forward(count, Groups, Channels, Pixels, x, parameters, y);
    }

    /// <inheritdoc/>
    public override void BackwardBatch(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, ReadOnlySpan<double> yBar,
        Span<double> xBar, Span<double> parameterBar, Span<double> scratch)
    {
        RequireBatch(count, x.Length, yBar.Length, nameof(yBar));
        if (xBar.Length != x.Length) throw new ArgumentException($"GroupNorm backward: xBar has {xBar.Length} entries; {count} samples need {x.Length}.", nameof(xBar));
        RequireParameters(parameters.Length);
        if (parameterBar.Length != ParameterCount) throw new ArgumentException($"GroupNorm backward: parameterBar has {parameterBar.Length} entries, not {ParameterCount}.", nameof(parameterBar));
        GroupNormKernel.Backward(count, Groups, Channels, Pixels, x, parameters, yBar, xBar, parameterBar);
    }

    /// <inheritdoc/>
    internal override bool OverwritesBatchInputGradient => true;

    /// <inheritdoc/>
    internal override void BackwardBatchOverwriting(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> parameters,
        ReadOnlySpan<double> yBar, Span<double> xBar, Span<double> parameterBar, Span<double> scratch)
    {
        RequireBatch(count, x.Length, yBar.Length, nameof(yBar));
        if (xBar.Length != x.Length) throw new ArgumentException($"GroupNorm backward: xBar has {xBar.Length} entries; {count} samples need {x.Length}.", nameof(xBar));
        RequireParameters(parameters.Length);
        if (parameterBar.Length != ParameterCount) throw new ArgumentException($"GroupNorm backward: parameterBar has {parameterBar.Length} entries, not {ParameterCount}.", nameof(parameterBar));
        GroupNormKernel.Backward(count, Groups, Channels, Pixels, x, parameters, yBar, xBar, parameterBar, overwrite: true);
    }

    /// <summary>Doubles of the moments <see cref="ForwardBatchKeepingMoments"/> keeps for <paramref name="count"/> samples.</summary>
    internal int MomentsSize(int count) => checked(2 * count * Groups);

    /// <summary>
    /// ReLU(<see cref="ForwardBatch"/>) in one pass (the same bits as <see cref="Relu.ForwardBatch"/> after it), keeping each
    /// group's mean and inverse deviation in <paramref name="moments"/> when it is not empty.
    /// </summary>
    internal void ForwardBatchRelu(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, Span<double> y, Span<double> moments)
    {
        RequireBatch(count, x.Length, y.Length, nameof(y));
        RequireParameters(parameters.Length);
        GroupNormKernel.Forward(count, Groups, Channels, Pixels, x, parameters, y, moments.IsEmpty ? default : moments[..MomentsSize(count)], relu: true);
    }

    /// <summary><see cref="ForwardBatch"/>, keeping each group's mean and inverse deviation for <see cref="BackwardBatchWithMoments"/> on the same x.</summary>
    internal void ForwardBatchKeepingMoments(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, Span<double> y, Span<double> moments)
    {
        RequireBatch(count, x.Length, y.Length, nameof(y));
        RequireParameters(parameters.Length);
        GroupNormKernel.Forward(count, Groups, Channels, Pixels, x, parameters, y, moments[..MomentsSize(count)]);
    }

    /// <summary>
    /// <see cref="BackwardBatch"/> with the moments <see cref="ForwardBatchKeepingMoments"/> kept for this x (the same bits, without
    /// computing them again; empty: computed again); with <paramref name="overwrite"/>, into an xBar it overwrites
    /// (<see cref="BackwardBatchOverwriting"/>).
    /// </summary>
    internal void BackwardBatchWithMoments(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, ReadOnlySpan<double> yBar,
        Span<double> xBar, Span<double> parameterBar, ReadOnlySpan<double> moments, bool overwrite = false)
    {
        RequireBatch(count, x.Length, yBar.Length, nameof(yBar));
        if (xBar.Length != x.Length) throw new ArgumentException($"GroupNorm backward: xBar has {xBar.Length} entries; {count} samples need {x.Length}.", nameof(xBar));
        RequireParameters(parameters.Length);
        if (parameterBar.Length != ParameterCount) throw new ArgumentException($"GroupNorm backward: parameterBar has {parameterBar.Length} entries, not {ParameterCount}.", nameof(parameterBar));
        GroupNormKernel.Backward(count, Groups, Channels, Pixels, x, parameters, yBar, xBar, parameterBar, moments.IsEmpty ? default : moments[..MomentsSize(count)], overwrite);
    }

    /// <summary>One sample through the generated function, group by group: the definition the kernel is held to.</summary>
    internal void ForwardGenerated(ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, Span<double> y)
    {
        int n = _group.InputCount, m = _group.ParameterCount;
        for (int g = 0; g < Groups; g++)
            _group.Evaluate(x.Slice(g * n, n), parameters.Slice(g * m, m), y.Slice(g * n, n));
    }

    /// <summary>One sample's backward pass through the generated Vjp, group by group.</summary>
    internal void BackwardGenerated(ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, ReadOnlySpan<double> yBar, Span<double> xBar, Span<double> parameterBar)
    {
        int n = _group.InputCount, m = _group.ParameterCount;
        for (int g = 0; g < Groups; g++)
            _group.Vjp(x.Slice(g * n, n), parameters.Slice(g * m, m), yBar.Slice(g * n, n), xBar.Slice(g * n, n), parameterBar.Slice(g * m, m));
    }

    private void RequireParameters(int length)
    {
        if (length != ParameterCount) throw new ArgumentException($"GroupNorm: parameters have {length} entries, not {ParameterCount}.", "parameters");
    }

    /// <summary>
    /// y = g(x, θ) and its tangent along (xDot, θDot) (both overwritten): the tangent group by group through the generated Jvp,
    /// y then from the kernel, so that it is <see cref="Forward"/>'s to the bit (the generated primal differs in rounding).
    /// </summary>
    internal void Jvp(ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, ReadOnlySpan<double> xDot, ReadOnlySpan<double> parameterDot,
        Span<double> y, Span<double> yDot)
    {
        int n = _group.InputCount, m = _group.ParameterCount;
        for (int g = 0; g < Groups; g++)
        {
            _group.Jvp(x.Slice(g * n, n), parameters.Slice(g * m, m), xDot.Slice(g * n, n), parameterDot.Slice(g * m, m),
                y.Slice(g * n, n), yDot.Slice(g * n, n));
        }

        GroupNormKernel.Forward(1, Groups, Channels, Pixels, x, parameters, y);
    }

    /// <inheritdoc/>
    public override bool HasLanes => true;

    /// <inheritdoc/>
    public override void ForwardLanes<TLane>(ReadOnlySpan<TLane> x, ReadOnlySpan<TLane> parameters, Span<TLane> y)
    {
        RequireSample(x.Length, parameters.Length, y.Length, nameof(y));
        int n = _group.InputCount, m = _group.ParameterCount;
        for (int g = 0; g < Groups; g++)
            _group.EvaluateLanes(x.Slice(g * n, n), parameters.Slice(g * m, m), y.Slice(g * n, n));
    }

    /// <inheritdoc/>
    public override void BackwardLanes<TLane>(ReadOnlySpan<TLane> x, ReadOnlySpan<TLane> parameters, ReadOnlySpan<TLane> yBar,
        Span<TLane> xBar, Span<TLane> parameterBar)
    {
        RequireSample(x.Length, parameters.Length, yBar.Length, nameof(yBar));
        RequireBars(1, xBar.Length, parameterBar.Length);
        int n = _group.InputCount, m = _group.ParameterCount;
        for (int g = 0; g < Groups; g++)
            _group.VjpLanes(x.Slice(g * n, n), parameters.Slice(g * m, m), yBar.Slice(g * n, n), xBar.Slice(g * n, n), parameterBar.Slice(g * m, m));
    }

    /// <inheritdoc/>
    public override void Initialize(Span<double> parameters, Random random)
    {
        RequireParameters(parameters.Length);
        int half = _group.ParameterCount / 2;
        for (int g = 0; g < Groups; g++)
        {
            parameters.Slice(g * 2 * half, half).Fill(1.0);
            parameters.Slice((g * 2 * half) + half, half).Clear();
        }
    }
}
