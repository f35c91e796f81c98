using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OdeGen.Models;

/// <summary>
/// A pre-activation residual block over images (He et al. 2016; torchdiffeq's <c>ResBlock</c> in <c>odenet_mnist.py</c>):
/// y = x + conv₂(ReLU(GN₂(conv₁(ReLU(GN₁(x)))))), each conv a 3×3, padding 1 <see cref="Conv2d"/> from channels to
/// channels, each GN a <see cref="GroupNorm"/> of min(32, channels) groups. The ODE-Net's block is its continuous
/// counterpart: one Euler step of length 1 of dynamics of the same shape.
/// </summary>
/// <remarks>
/// <para>
/// Parameters, in order: GN₁ "norm1", conv₁ "conv1.weight" and "conv1.bias", GN₂ "norm2", conv₂ "conv2.weight" and
/// "conv2.bias", each drawn as its layer draws it (PyTorch's defaults). The convolutions have a bias (torchdiffeq's have
/// none): 2·channels parameters more, which a GroupNorm after conv₁ cancels and conv₂'s keeps.
/// </para>
/// <para>
/// The block is composed of the layers, not written again: its arithmetic is theirs, batch-major (one sample is a batch of
/// one), so its convolutions are one matrix product per batch. The backward pass needs ReLU(GN₁), conv₁'s output and
/// ReLU(GN₂) (each GroupNorm and its ReLU run as one pass, and the ReLUs' adjoints test their outputs). With
/// <see cref="KeepsConvOutput"/> (the default) the forward pass keeps conv₁'s output on its thread and the backward pass of
/// the same batch recomputes only the two GroupNorm passes; without it the block keeps nothing but its input (what
/// <see cref="Model.Memory"/> counts) and the backward pass recomputes conv₁ too, the first half of a second forward pass,
/// with no memory that grows with depth.
/// </para>
/// </remarks>
public sealed class ResidualBlock : Layer, IBackwardMemory
{
    private const int Intermediates = 2;   // ReLU(GN₁), conv₁'s output (ReLU(GN₂) reuses a buffer; each GN and its ReLU are one pass)
    private readonly GroupNorm _norm1, _norm2;
    private readonly Conv2d _conv1, _conv2;
    private readonly int[] _offsets;

    // This thread's last forward batch: its input, its parameters and conv₁'s output (see KeepsConvOutput).
    private readonly ThreadLocal<KeptForward> _kept = new(() => new KeptForward());

    /// <summary>Creates the block for <paramref name="channels"/> × <paramref name="height"/> × <paramref name="width"/> images.</summary>
    /// <param name="channels">Channels in and out.</param>
    /// <param name="height">Image height.</param>
    /// <param name="width">Image width.</param>
    /// <param name="groups">Groups of each GroupNorm (0: min(32, channels)).</param>
    /// <param name="precision">The convolutions' arithmetic (<see cref="Conv2d.Precision"/>).</param>
    /// <exception cref="ArgumentException">A size is not positive, or the channels do not split into the groups.</exception>
    public ResidualBlock(int channels, int height, int width, int groups = 0, ConvolutionPrecision precision = ConvolutionPrecision.Double)
        : this(Parts.Create(channels, height, width, groups, precision))
    {
    }

    private ResidualBlock(Parts parts)
        : base(parts.Norm1.InputSize, parts.Norm1.InputSize, parts.Shapes())
    {
        (_norm1, _conv1, _norm2, _conv2) = (parts.Norm1, parts.Conv1, parts.Norm2, parts.Conv2);
        Channels = parts.Channels;
        _offsets = new int[5];
        Layer[] layers = [_norm1, _conv1, _norm2, _conv2];
        for (int i = 0; i < 4; i++) _offsets[i + 1] = _offsets[i] + layers[i].ParameterCount;
    }

    /// <summary>Channels in and out.</summary>
    public int Channels { get; }

    /// <summary>
    /// Whether a forward pass keeps conv₁'s output, with a copy of its input and parameters, on its thread for the backward pass
    /// of the same batch (default true). That backward pass then runs no convolution forward (a seventh of the block's
    /// convolution work; PyTorch keeps every intermediate too), at the price of two images per sample and the parameters, held
    /// per block and thread until the next forward pass. It uses them only when its x and parameters are bit for bit the kept
    /// ones, else it recomputes conv₁: the same bits either way. False: nothing kept, memory that does not grow with depth.
    /// </summary>
    public bool KeepsConvOutput { get; init; } = true;

    /// <inheritdoc/>
    // Per sample, as the model counts it: the copy of x and conv₁'s output, two images, and the parameters' copy, counted
    // whole as an ODE block counts its own (the buffers are a batch's; the model adds the blocks, which all hold theirs).
    long? IBackwardMemory.HeldBackwardBytes => KeepsConvOutput ? (2L * InputSize + ParameterCount) * sizeof(double) : null;

    /// <inheritdoc/>
    public override string Kind => "ResidualBlock";

    /// <inheritdoc/>
    /// <remarks>Two intermediate images and two adjoint images, then the convolutions' scratch.</remarks>
    public override int ScratchSize => BatchScratchSize(1);

    /// <inheritdoc/>
    /// <remarks>The convolutions run the whole batch as one matrix product each (<see cref="Conv2d.HasBatch"/>).</remarks>
    public override bool HasBatch => true;

    /// <inheritdoc/>
    /// <remarks>Two intermediate images and two adjoint images per sample, the GroupNorms' moments, then the convolutions' scratch for the batch.</remarks>
    public override int BatchScratchSize(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return checked(((Intermediates + 2) * count * InputSize) + _norm1.MomentsSize(count) + _norm2.MomentsSize(count)
            + Math.Max(_conv1.BatchScratchSize(count), _conv2.BatchScratchSize(count)));
    }

    /// <inheritdoc/>
    /// <remarks>One sample is a batch of one: the block has one implementation.</remarks>
    public override void Forward(ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, Span<double> y, Span<double> scratch) =>
        ForwardBatch(1, x, parameters, y, scratch);

    /// <inheritdoc/>
    public override void Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, ReadOnlySpan<double> yBar,
        Span<double> xBar, Span<double> parameterBar, Span<double> scratch) =>
        BackwardBatch(1, x, parameters, yBar, xBar, parameterBar, scratch);

    /// <inheritdoc/>
    public override void ForwardBatch(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, Span<double> y, Span<double> scratch)
    {
        RequireBatch(count, x.Length, y.Length, nameof(y));
        RequireParameters(parameters.Length);
        RequireApart(x, y, nameof(x), nameof(y));   // the shortcut adds x to y after the branch has written y
        RequireScratch(scratch, count);
        Span<double> r2 = Intermediate(scratch, 0, count);   // ReLU(GN₂) overwrites ReLU(GN₁), no longer needed
        KeptForward? kept = KeepsConvOutput ? _kept.Value! : null;
        Span<double> c1 = kept is null ? Intermediate(scratch, 1, count) : kept.Start(count, x, parameters);
        RunToSecondRelu(count, x, parameters, scratch, c1, r2);
        kept?.Finish(count);
        _conv2.ForwardBatch(count, r2, Slice(parameters, 3), y, ConvScratch(scratch, count));
        AddShortcut(x, y, overwrite: false);
    }

    /// <inheritdoc/>
    public override void BackwardBatch(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, ReadOnlySpan<double> yBar,
        Span<double> xBar, Span<double> parameterBar, Span<double> scratch)
    {
        RequireBatch(count, x.Length, yBar.Length, nameof(yBar));
        RequireScratch(scratch, count);
        if (xBar.Length != yBar.Length) throw new ArgumentException($"ResidualBlock backward: xBar has {xBar.Length} entries; {count} samples need {yBar.Length}.", nameof(xBar));
        RequireParameters(parameters.Length);
        RequireParameters(parameterBar.Length, nameof(parameterBar));
        RequireApart(x, xBar, nameof(x), nameof(xBar));
        RequireApart(yBar, xBar, nameof(yBar), nameof(xBar));   // the shortcut writes xBar before the branch reads yBar
        AddShortcut(yBar, xBar, overwrite: false);
        BackThroughBranch(count, x, parameters, yBar, xBar, parameterBar, scratch);
    }

    /// <inheritdoc/>
    /// <remarks>xBar = 0 + ∂L/∂y (the shortcut), then the branch's adjoint added: the bits of the shortcut added to a cleared xBar.</remarks>
    internal override bool OverwritesBatchInputGradient => true;

    /// <inheritdoc/>
    internal override void BackwardBatchOverwriting(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> parameters,
        ReadOnlySpan<double> yBar, Span<double> xBar, Span<double> parameterBar, Span<double> scratch)
    {
        RequireBatch(count, x.Length, yBar.Length, nameof(yBar));
        RequireScratch(scratch, count);
        if (xBar.Length != yBar.Length) throw new ArgumentException($"ResidualBlock backward: xBar has {xBar.Length} entries; {count} samples need {yBar.Length}.", nameof(xBar));
        RequireParameters(parameters.Length);
        RequireParameters(parameterBar.Length, nameof(parameterBar));
        RequireApart(x, xBar, nameof(x), nameof(xBar));
        RequireApart(yBar, xBar, nameof(yBar), nameof(xBar));   // the shortcut writes xBar before the branch reads yBar
        AddShortcut(yBar, xBar, overwrite: true);
        BackThroughBranch(count, x, parameters, yBar, xBar, parameterBar, scratch);
    }

    // Back through conv₂, ReLU, GN₂, conv₁, ReLU, GN₁ (after the shortcut), adding GN₁'s adjoint to xBar. Each inner target is
    // overwritten (GN₂, and each convolution with the ReLU before it: Conv2d.BackwardBatchThroughRelu, whose ReLU adjoint tests
    // the convolution's input r, > 0 exactly where the normalized value is): the same bits as adding to zeros.
    private void BackThroughBranch(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, ReadOnlySpan<double> yBar,
        Span<double> xBar, Span<double> parameterBar, Span<double> scratch)
    {
        Span<double> r1 = Intermediate(scratch, 0, count);
        Span<double> barA = Intermediate(scratch, 2, count), barB = Intermediate(scratch, 3, count), convScratch = ConvScratch(scratch, count);
        Span<double> r2 = barA;   // free until GN₂'s adjoint is taken; keeps r1 intact for conv₁'s
        KeptForward? kept = KeepsConvOutput ? _kept.Value! : null;
        Span<double> c1;
        if (kept is not null && kept.Holds(count, x, parameters))
        {
            // conv₁'s output as the forward pass of this x and these parameters left it: only the GroupNorms run again.
            c1 = kept.C1.AsSpan(0, count * InputSize);
            _norm1.ForwardBatchRelu(count, x, Slice(parameters, 0), r1, Moments(scratch, 0, count));
            _norm2.ForwardBatchRelu(count, c1, Slice(parameters, 2), r2, Moments(scratch, 1, count));
        }
        else
        {
            c1 = Intermediate(scratch, 1, count);
            RunToSecondRelu(count, x, parameters, scratch, c1, r2, keepMoments: true);
        }

        _conv2.BackwardBatchThroughRelu(0.0, count, r2, Slice(parameters, 3), yBar, barB, Slice(parameterBar, 3), convScratch);
        _norm2.BackwardBatchWithMoments(count, c1, Slice(parameters, 2), barB, barA, Slice(parameterBar, 2), Moments(scratch, 1, count), overwrite: true);
        _conv1.BackwardBatchThroughRelu(0.0, count, r1, Slice(parameters, 1), barA, barB, Slice(parameterBar, 1), convScratch);
        _norm1.BackwardBatchWithMoments(count, x, Slice(parameters, 0), barB, xBar, Slice(parameterBar, 0), Moments(scratch, 0, count));
    }

    /// <inheritdoc/>
    public override void Initialize(Span<double> parameters, Random random)
    {
        RequireParameters(parameters.Length);
        Layer[] layers = [_norm1, _conv1, _norm2, _conv2];
        for (int i = 0; i < layers.Length; i++) layers[i].Initialize(Slice(parameters, i), random);
    }

    // ReLU(GN₁) → conv₁ → ReLU(GN₂) into r2, keeping ReLU(GN₁) in image 0 and conv₁'s output in c1 (and, for the backward
    // pass, the GroupNorms' moments, which their adjoints would otherwise compute again from the same inputs). Each GroupNorm
    // and its ReLU are one pass (GroupNorm.ForwardBatchRelu, the same bits as the two).
    private void RunToSecondRelu(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, Span<double> scratch, Span<double> c1, Span<double> r2,
        bool keepMoments = false)
    {
        Span<double> r1 = Intermediate(scratch, 0, count);
        _norm1.ForwardBatchRelu(count, x, Slice(parameters, 0), r1, keepMoments ? Moments(scratch, 0, count) : default);
        _conv1.ForwardBatch(count, r1, Slice(parameters, 1), c1, ConvScratch(scratch, count));
        _norm2.ForwardBatchRelu(count, c1, Slice(parameters, 2), r2, keepMoments ? Moments(scratch, 1, count) : default);
    }

    // target = (overwrite ? +0 : target) + source, entry by entry, a vector at a time (the same additions as the scalar loop).
    private static void AddShortcut(ReadOnlySpan<double> source, Span<double> target, bool overwrite)
    {
        if (target.Length != source.Length) throw new ArgumentException("ResidualBlock: the shortcut's lengths differ.", nameof(target));
        ref double s0 = ref MemoryMarshal.GetReference(source), t0 = ref MemoryMarshal.GetReference(target);
        int n = source.Length, w = Vector<double>.Count, i = 0;
        for (; i <= n - w; i += w)
            ((overwrite ? Vector<double>.Zero : Vector.LoadUnsafe(ref t0, (nuint)i)) + Vector.LoadUnsafe(ref s0, (nuint)i)).StoreUnsafe(ref t0, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref t0, i) = (overwrite ? 0.0 : Unsafe.Add(ref t0, i)) + Unsafe.Add(ref s0, i);
    }

    // Image `index` of the scratch for `count` samples (count·InputSize values).
    private Span<double> Intermediate(Span<double> scratch, int index, int count) => scratch.Slice(index * count * InputSize, count * InputSize);

    private Span<double> ConvScratch(Span<double> scratch, int count) =>
        scratch[(((Intermediates + 2) * count * InputSize) + _norm1.MomentsSize(count) + _norm2.MomentsSize(count))..];

    // GroupNorm `index`'s moments (0: GN₁, 1: GN₂), after the images.
    private Span<double> Moments(Span<double> scratch, int index, int count) =>
        scratch.Slice(((Intermediates + 2) * count * InputSize) + (index * _norm1.MomentsSize(count)), _norm1.MomentsSize(count));

    private ReadOnlySpan<double> Slice(ReadOnlySpan<double> p, int stage) => p[_offsets[stage].._offsets[stage + 1]];

    private Span<double> Slice(Span<double> p, int stage) => p[_offsets[stage].._offsets[stage + 1]];

    private void RequireScratch(Span<double> scratch, int count)
    {
        if (scratch.Length < BatchScratchSize(count))
            throw new ArgumentException($"ResidualBlock on {count} samples needs {BatchScratchSize(count)} doubles of scratch, got {scratch.Length}.", nameof(scratch));
    }

    // One thread's last forward batch: a copy of x and of the parameters, and conv₁'s output. Grown, never shrunk.
    private sealed class KeptForward
    {
        private double[] _x = [], _parameters = [];
        private int _count;

        public double[] C1 { get; private set; } = [];

        // Copies x and the parameters and returns where conv₁'s output goes; the kept values count once Finish says so.
        public Span<double> Start(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters)
        {
            _count = 0;
            if (_x.Length < x.Length) _x = new double[x.Length];
            if (C1.Length < x.Length) C1 = new double[x.Length];
            if (_parameters.Length != parameters.Length) _parameters = new double[parameters.Length];
            x.CopyTo(_x);
            parameters.CopyTo(_parameters);
            return C1.AsSpan(0, x.Length);
        }

        public void Finish(int count) => _count = count;

        // Whether the kept values are those of a forward pass on these count samples and parameters, bit for bit.
        public bool Holds(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters) =>
            _count == count && parameters.Length == _parameters.Length
            && MemoryMarshal.Cast<double, long>(x).SequenceEqual(MemoryMarshal.Cast<double, long>(_x.AsSpan(0, x.Length)))
            && MemoryMarshal.Cast<double, long>(parameters).SequenceEqual(MemoryMarshal.Cast<double, long>(_parameters));
    }

    // The four layers, built before the base constructor so their shapes name the block's parameters.
    private sealed record Parts(int Channels, GroupNorm Norm1, Conv2d Conv1, GroupNorm Norm2, Conv2d Conv2)
    {
        public static Parts Create(int channels, int height, int width, int groups, ConvolutionPrecision precision)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
            ArgumentOutOfRangeException.ThrowIfNegative(groups);
            int g = groups == 0 ? Math.Min(32, channels) : groups, pixels = checked(height * width);
            return new Parts(channels, new GroupNorm(g, channels, pixels), new Conv2d(channels, channels, height, width, kernel: 3, padding: 1) { Precision = precision },
                new GroupNorm(g, channels, pixels), new Conv2d(channels, channels, height, width, kernel: 3, padding: 1) { Precision = precision });
        }

        public ParameterShape[] Shapes() =>
        [
            new("norm1", Norm1.ParameterShapes[0].Rows, Norm1.ParameterShapes[0].Columns),
            new("conv1.weight", Conv1.ParameterShapes[0].Rows, Conv1.ParameterShapes[0].Columns),
            new("conv1.bias", Conv1.ParameterShapes[1].Rows),
            new("norm2", Norm2.ParameterShapes[0].Rows, Norm2.ParameterShapes[0].Columns),
            new("conv2.weight", Conv2.ParameterShapes[0].Rows, Conv2.ParameterShapes[0].Columns),
            new("conv2.bias", Conv2.ParameterShapes[1].Rows),
        ];
    }
}
