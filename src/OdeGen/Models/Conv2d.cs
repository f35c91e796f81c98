using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using OdeGen.Layers;

namespace OdeGen.Models;

/// <summary>
/// A 2-D convolution (PyTorch's <c>Conv2d</c>: cross-correlation, square kernel, zero padding, one stride for both axes) of
/// a channel-major image [channels][height][width]. Parameters "weight" [outChannels][inChannels·k·k] (PyTorch's
/// [out][in][k][k] flattened) then "bias" [outChannels].
/// </summary>
/// <remarks>
/// <para>
/// The arithmetic is three matrix products of one sample (<see cref="Gemm"/>): the image is unfolded into its patches
/// (im2col, a [patch][pixel] matrix that moves values and adds none), then y = W·cols + b, ∂L/∂W += ∂L/∂y·colsᵀ and
/// ∂L/∂cols = Wᵀ·∂L/∂y, folded back onto the image (col2im). The generated <see cref="LayerFunctions.LinearFunction"/>
/// applied pixel by pixel computes the same thing (the layer's first formulation, kept as
/// <see cref="ForwardPerPixel"/>/<see cref="BackwardPerPixel"/>: the tests hold the products to it and to finite
/// differences), but a matrix-vector product per pixel reads all of W from cache for 2·|W| flops, while the blocked product
/// keeps a 6 × 16 tile of y in registers: LayerConvolutionBenchmarks measures the gain on the ODE-Net's shapes
/// (BENCHMARKS.md).
/// </para>
/// <para>
/// With <see cref="TimeChannel"/> set, input channel 0 is a constant plane of t (torchdiffeq's <c>ConcatConv2d</c>), see
/// <see cref="TimeConv2d"/>; its adjoint is the sum of the time rows of ∂L/∂cols.
/// </para>
/// </remarks>
public class Conv2d : Layer
{
    [ThreadStatic]
    private static double[]? t_laneWork;

    [ThreadStatic]
    private static double[]? t_padded;


    private readonly int[] _gather;

    // The direct passes' addressing (DirectConvolution): tap q = (plane, ky, kx) of output pixel j reads the zero-padded frame
    // ([plane][Height + 2·Padding][Width + 2·Padding], the time plane first) at _tapOffset[q] + _pixelOffset[j].
    private readonly int[] _tapOffset;
    private readonly int[] _pixelOffset;

    // The forward passes' taps each tile of output pixels reads inside the image (the others read the frame's zero padding
    // only, and the kernels skip them: the same bits).
    private readonly DirectConvolution.PaddingSkips _skips;

    private readonly LayerFunctions.LinearFunction _pixel;
    private readonly int _scratchSize;
    private readonly ThreadLocal<PackedWeights> _packed;

    // This layer's frames on each thread (the direct passes' zero-padded images): only their insides are ever written, so the
    // zero borders stay zero and a call copies the image in without clearing the frame first.
    private readonly ThreadLocal<FrameBuffers> _frames = new(() => new FrameBuffers());

    // The single-precision input gradient of a convolution whose input gradient does not run direct (a strided one), by
    // phases of the input pixels (null with a time channel, whose ∂L/∂t the patch adjoints give).
    private readonly PhasedInputGradient? _phased;

    /// <summary>Creates the convolution.</summary>
    /// <param name="inChannels">Input channels (without the time channel).</param>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="height">Input height.</param>
    /// <param name="width">Input width.</param>
    /// <param name="kernel">Kernel size k (k×k).</param>
    /// <param name="stride">Stride.</param>
    /// <param name="padding">Zero padding on each side.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, the padding is negative, or the kernel does not fit the padded image.</exception>
    public Conv2d(int inChannels, int outChannels, int height, int width, int kernel, int stride = 1, int padding = 0)
        : this(inChannels, outChannels, height, width, kernel, stride, padding, timeChannel: false)
    {
    }

    private protected Conv2d(int inChannels, int outChannels, int height, int width, int kernel, int stride, int padding, bool timeChannel)
        : base(Product("input", Positive(inChannels, nameof(inChannels)), Positive(height, nameof(height)), Positive(width, nameof(width))),
               Product("output", Positive(outChannels, nameof(outChannels)), OutputExtent(height, kernel, stride, padding, nameof(height)), OutputExtent(width, kernel, stride, padding, nameof(width))),
               new ParameterShape("weight", outChannels, Product("patch", inChannels + (timeChannel ? 1L : 0L), kernel, kernel)), new ParameterShape("bias", outChannels))
    {
        InChannels = inChannels;
        OutChannels = outChannels;
        Height = height;
        Width = width;
        Kernel = kernel;
        Stride = stride;
        Padding = padding;
        TimeChannel = timeChannel;
        OutHeight = (int)OutputExtent(height, kernel, stride, padding, nameof(height));
        OutWidth = (int)OutputExtent(width, kernel, stride, padding, nameof(width));
        PatchSize = (inChannels + (timeChannel ? 1 : 0)) * kernel * kernel;
        Pixels = OutHeight * OutWidth;
        Product("unfolded patches", PatchSize, Pixels, 1);
        _pixel = new LayerFunctions.LinearFunction(PatchSize, ParameterCount, outChannels);
        int product = Math.Max(Gemm.WorkspaceSize(outChannels, Pixels, PatchSize),
            Math.Max(Gemm.WorkspaceSize(outChannels, PatchSize, Pixels), Gemm.WorkspaceSize(PatchSize, Pixels, outChannels)));
        _scratchSize = checked((PatchSize * Pixels) + product);
        _gather = BuildGatherMap();
        (_tapOffset, _pixelOffset) = BuildFrameOffsets();
        _skips = new DirectConvolution.PaddingSkips(_tapOffset, _pixelOffset, (height + (2 * padding)) * FrameWidth, FrameWidth, padding, padding, height, width);
        if (!DirectInput && !timeChannel) _phased = new PhasedInputGradient(outChannels, inChannels, height, width, kernel, stride, padding);
        int weightCount = outChannels * PatchSize, patchSize = PatchSize;
        _packed = new ThreadLocal<PackedWeights>(() => new PackedWeights(weightCount, Gemm.PackedSize(outChannels, patchSize), Gemm.PackedSize(patchSize, outChannels),
            DirectConvolution.PackedSize(outChannels, patchSize), DirectInput ? DirectConvolution.InputPackedSize(outChannels, inChannels + (timeChannel ? 1 : 0), kernel * kernel, timeChannel) : 0));
    }

    /// <summary>
    /// The arithmetic of the passes (default <see cref="ConvolutionPrecision.Double"/>). With <see cref="ConvolutionPrecision.Single"/>
    /// the forward product, the weight gradient and the input gradient run in float (one sample's <see cref="Layer.Forward"/>
    /// and <see cref="Layer.Backward"/> as a batch of one; a strided convolution's input gradient runs by phases of the input
    /// pixels, <see cref="PhasedInputGradient"/>, its sums added to ∂L/∂x in double); the bias, the tangent inside dynamics' Jvp and the lane passes stay double (a model runs such a layer
    /// batch-major, not in lanes: <see cref="HasLanes"/> is false).
    /// </summary>
    /// <exception cref="ArgumentException">The value is not a <see cref="ConvolutionPrecision"/> (it ran in double).</exception>
    public ConvolutionPrecision Precision
    {
        get => _precision;
        init => _precision = value is ConvolutionPrecision.Double or ConvolutionPrecision.Single ? value
            : throw new ArgumentException($"Precision {(int)value} is not a ConvolutionPrecision.", nameof(value));
    }

    private readonly ConvolutionPrecision _precision;

    /// <summary>Input channels (without the time channel).</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Input height.</summary>
    public int Height { get; }

    /// <summary>Input width.</summary>
    public int Width { get; }

    /// <summary>Kernel size.</summary>
    public int Kernel { get; }

    /// <summary>Stride.</summary>
    public int Stride { get; }

    /// <summary>Zero padding on each side.</summary>
    public int Padding { get; }

    /// <summary>Output height, (height + 2·padding − kernel)/stride + 1.</summary>
    public int OutHeight { get; }

    /// <summary>Output width.</summary>
    public int OutWidth { get; }

    /// <summary>Whether input channel 0 of the kernel sees a constant plane of t.</summary>
    public bool TimeChannel { get; }

    /// <summary>Length of one patch: (channels [+ 1 for t])·k·k.</summary>
    private int PatchSize { get; }

    /// <summary>Output pixels per channel.</summary>
    private int Pixels { get; }

    /// <inheritdoc/>
    /// <remarks>The unfolded patches ([patch][pixel]) and the matrix product's packed blocks.</remarks>
    public override int ScratchSize => Precision == ConvolutionPrecision.Single ? Math.Max(_scratchSize, BatchScratchSize(1)) : _scratchSize;

    /// <summary>Scratch the per-pixel reference (<see cref="ForwardPerPixel"/>, <see cref="BackwardPerPixel"/>) needs.</summary>
    internal int PerPixelScratchSize => (2 * PatchSize) + (2 * OutChannels);

    /// <inheritdoc/>
    public override void Forward(ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, Span<double> y, Span<double> scratch) =>
        ForwardAt(0.0, x, parameters, y, scratch);

    /// <inheritdoc/>
    public override void Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, ReadOnlySpan<double> yBar,
        Span<double> xBar, Span<double> parameterBar, Span<double> scratch) =>
        BackwardAt(0.0, x, parameters, yBar, xBar, parameterBar, scratch);

    /// <summary>The forward pass with the time plane at <paramref name="t"/> (ignored without a time channel): y = W·cols + b.</summary>
    private protected void ForwardAt(double t, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, Span<double> y, Span<double> scratch)
    {
        if (Precision == ConvolutionPrecision.Single) ForwardBatchAt(t, 1, x, parameters, y, scratch);
        else ForwardProductAt(t, x, parameters, y, scratch);
    }

    // ForwardAt in double through the matrix product on the unfolded patches (left in scratch for JvpAt).
    private void ForwardProductAt(double t, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, Span<double> y, Span<double> scratch)
    {
        RequireSizes(x.Length, parameters.Length, y.Length, scratch.Length, ScratchSize);
        int patch = PatchSize, pixels = Pixels, weights = OutChannels * patch;
        Span<double> cols = scratch[..(patch * pixels)], work = scratch[cols.Length..];
        Unfold(t, x, cols);
        for (int o = 0; o < OutChannels; o++) y.Slice(o * pixels, pixels).Fill(parameters[weights + o]);
        Gemm.MultiplyPacked(OutChannels, pixels, patch, Packed(parameters).Forward, cols, pixels, 1, y, pixels, accumulate: true, work);
    }

    /// <summary>
    /// The tangent of the forward pass: y = conv(t, x; W, b) and yDot = conv(tDot, xDot; W, 0) + conv(t, x; WDot, bDot), the
    /// convolution being linear in (t, x) and in (W, b) separately (both overwritten; in double whatever the <see cref="Precision"/>).
    /// </summary>
    internal void JvpAt(double t, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, double tDot, ReadOnlySpan<double> xDot,
        ReadOnlySpan<double> parameterDot, Span<double> y, Span<double> yDot, Span<double> scratch)
    {
        RequireSizes(xDot.Length, parameterDot.Length, yDot.Length, scratch.Length, ScratchSize);
        int patch = PatchSize, pixels = Pixels, weights = OutChannels * patch;
        Span<double> cols = scratch[..(patch * pixels)], work = scratch[cols.Length..];
        ForwardProductAt(t, x, parameters, y, scratch);              // leaves cols = unfold(t, x)
        for (int o = 0; o < OutChannels; o++) yDot.Slice(o * pixels, pixels).Fill(parameterDot[weights + o]);
        Gemm.Multiply(OutChannels, pixels, patch, parameterDot, patch, 1, cols, pixels, 1, yDot, pixels, accumulate: true, work);
        Unfold(tDot, xDot, cols);
        Gemm.Multiply(OutChannels, pixels, patch, parameters, patch, 1, cols, pixels, 1, yDot, pixels, accumulate: true, work);
    }

    /// <summary>
    /// The backward pass with the time plane at <paramref name="t"/>: ∂L/∂b += Σ_pixels ∂L/∂y, ∂L/∂W += ∂L/∂y·colsᵀ,
    /// ∂L/∂x += col2im(Wᵀ·∂L/∂y); returns ∂L/∂t (0 without a time channel).
    /// </summary>
    private protected double BackwardAt(double t, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, ReadOnlySpan<double> yBar,
        Span<double> xBar, Span<double> parameterBar, Span<double> scratch)
    {
        if (Precision == ConvolutionPrecision.Single) return BackwardBatchAt(t, 1, x, parameters, yBar, xBar, parameterBar, scratch);
        RequireSizes(x.Length, parameters.Length, yBar.Length, scratch.Length, ScratchSize, nameof(yBar));
        if ((xBar.Length != InputSize && !NoInputGradient(xBar)) || parameterBar.Length != ParameterCount)
            throw new ArgumentException($"{Kind} backward: xBar has {xBar.Length} entries (needs {InputSize}), parameterBar {parameterBar.Length} (needs {ParameterCount}).",
                parameterBar.Length != ParameterCount ? nameof(parameterBar) : nameof(xBar));
        int patch = PatchSize, pixels = Pixels, weights = OutChannels * patch;
        Span<double> cols = scratch[..(patch * pixels)], work = scratch[cols.Length..];
        for (int o = 0; o < OutChannels; o++)
        {
            double sum = 0.0;
            foreach (double v in yBar.Slice(o * pixels, pixels)) sum += v;
            parameterBar[weights + o] += sum;
        }

        // ∂L/∂W[o][q] += Σ_pixel ∂L/∂y[o][pixel]·cols[q][pixel]: colsᵀ is cols read with its strides swapped.
        Unfold(t, x, cols);
        Gemm.Multiply(OutChannels, patch, pixels, yBar, pixels, 1, cols, 1, pixels, parameterBar[..weights], patch, accumulate: true, work);
        if (xBar.IsEmpty) return 0.0;

        // ∂L/∂cols = Wᵀ·∂L/∂y overwrites the patches (no longer needed), then folds onto the image.
        Gemm.MultiplyPacked(patch, pixels, OutChannels, Packed(parameters).Transposed, yBar, pixels, 1, cols, pixels, accumulate: false, work);
        return Fold(cols, xBar);
    }

    // im2col: cols[q][pixel] is what the kernel's tap q = (channel, ky, kx) sees at output pixel (oy, ox): x, zero in the
    // padding, t on the time plane. Each entry is `lanes` values (one per sample in SIMD lanes, structure of arrays), so
    // the same unfolding serves one sample (lanes = 1) and a lane group, whose patches form a [patch][pixel·lanes] matrix.
    // rowStride (0: the row's length) places row q at q·rowStride, so a batch's samples unfold side by side into one
    // [patch][sample·pixel] matrix, each sample at its own column offset. The gather map (built once) says where each entry
    // comes from: the input copied into a buffer with a zero and t after it, so the loop is one branch-free indexed read
    // (on the ODE-Net's 6×6 images the rows are 6 values long and per-row slicing cost more than the moves).
    private void Unfold(double t, ReadOnlySpan<double> x, Span<double> cols, int lanes = 1, int rowStride = 0)
    {
        int rowLength = Pixels * lanes, n = InputSize * lanes;
        if (rowStride == 0) rowStride = rowLength;
        Span<double> source = Padded((InputSize + 2) * lanes);
        x[..n].CopyTo(source);
        source.Slice(n, lanes).Clear();
        source.Slice(n + lanes, lanes).Fill(t);
        ReadOnlySpan<int> map = _gather;
        for (int q = 0; q < PatchSize; q++)
        {
            Span<double> row = cols.Slice(q * rowStride, rowLength);
            ReadOnlySpan<int> from = map.Slice(q * Pixels, Pixels);
            if (lanes == 1)
            {
                for (int j = 0; j < from.Length; j++) row[j] = source[from[j]];
            }
            else
            {
                for (int j = 0; j < from.Length; j++) source.Slice(from[j] * lanes, lanes).CopyTo(row.Slice(j * lanes, lanes));
            }
        }
    }

    // col2im, Unfold's adjoint: adds each entry of colsBar to the input value it was read from (in the order q, then pixel);
    // returns the sum over the time plane's entries inside the image (∂L/∂t, all lanes together). rowStride as for Unfold.
    private double Fold(ReadOnlySpan<double> colsBar, Span<double> xBar, int lanes = 1, int rowStride = 0) => Fold<double>(colsBar, xBar, lanes, rowStride);

    // Fold of patch adjoints in double or float (each float widened exactly, the sums in double).
    private double Fold<T>(ReadOnlySpan<T> colsBar, Span<double> xBar, int lanes = 1, int rowStride = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rowLength = Pixels * lanes, n = InputSize * lanes;
        if (rowStride == 0) rowStride = rowLength;
        Span<double> target = Padded((InputSize + 2) * lanes);
        xBar[..n].CopyTo(target);
        target[n..].Clear();
        ReadOnlySpan<int> map = _gather;
        for (int q = 0; q < PatchSize; q++)
        {
            ReadOnlySpan<T> row = colsBar.Slice(q * rowStride, rowLength);
            ReadOnlySpan<int> to = map.Slice(q * Pixels, Pixels);
            if (lanes == 1)
            {
                // Unchecked (a twentieth of an ODE-Net step): map entries are below InputSize + 2, the length of target.
                ref double into = ref MemoryMarshal.GetReference(target);
                ref T value = ref MemoryMarshal.GetReference(row);
                ref int entry = ref MemoryMarshal.GetReference(to);
                for (int j = 0; j < to.Length; j++) Unsafe.Add(ref into, Unsafe.Add(ref entry, j)) += double.CreateTruncating(Unsafe.Add(ref value, j));
            }
            else
            {
                for (int j = 0; j < to.Length; j++)
                {
                    Span<double> entry = target.Slice(to[j] * lanes, lanes);
                    ReadOnlySpan<T> value = row.Slice(j * lanes, lanes);
                    for (int l = 0; l < lanes; l++) entry[l] += double.CreateTruncating(value[l]);
                }
            }
        }

        target[..n].CopyTo(xBar);
        double tBar = 0.0;
        foreach (double v in target.Slice(n + lanes, lanes)) tBar += v;
        return tBar;
    }

    // For each tap q and output pixel, the input entry it reads: channel·H·W + iy·W + ix inside the image, InputSize for the
    // zero padding, InputSize + 1 on the time plane.
    private int[] BuildGatherMap()
    {
        int k = Kernel, first = TimeChannel ? 1 : 0, q = 0;
        int[] map = new int[checked(PatchSize * Pixels)];
        for (int c = 0; c < InChannels + first; c++)
        {
            for (int ky = 0; ky < k; ky++)
            {
                for (int kx = 0; kx < k; kx++, q++)
                {
                    for (int oy = 0; oy < OutHeight; oy++)
                    {
                        int iy = (oy * Stride) - Padding + ky;
                        for (int ox = 0; ox < OutWidth; ox++)
                        {
                            int ix = (ox * Stride) - Padding + kx;
                            bool inside = (uint)iy < (uint)Height && (uint)ix < (uint)Width;
                            map[(q * Pixels) + (oy * OutWidth) + ox] = !inside ? InputSize : c < first ? InputSize + 1 : ((((c - first) * Height) + iy) * Width) + ix;
                        }
                    }
                }
            }
        }

        return map;
    }

    // The frame's extents and where each tap and each output pixel sit in it (DirectConvolution's addressing).
    private int FrameWidth => Width + (2 * Padding);

    private int FrameSize => (InChannels + (TimeChannel ? 1 : 0)) * (Height + (2 * Padding)) * FrameWidth;

    private (int[] Taps, int[] Pixels) BuildFrameOffsets()
    {
        int k = Kernel, width = FrameWidth, plane = (Height + (2 * Padding)) * width, q = 0;
        int[] taps = new int[PatchSize], pixels = new int[Pixels];
        for (int c = 0; c < InChannels + (TimeChannel ? 1 : 0); c++)
        {
            for (int ky = 0; ky < k; ky++)
            {
                for (int kx = 0; kx < k; kx++, q++) taps[q] = (c * plane) + (ky * width) + kx;
            }
        }

        for (int oy = 0; oy < OutHeight; oy++)
        {
            for (int ox = 0; ox < OutWidth; ox++) pixels[(oy * OutWidth) + ox] = (oy * Stride * width) + (ox * Stride);
        }

        return (taps, pixels);
    }

    // Sample s of x (count of them) in frame s of this layer's frames on this thread: zero padding around each plane (never written), t inside the time
    // plane: the values the gather map reads, so the direct passes multiply what the unfolded patches held.
    private Span<double> Frames(double t, int count, ReadOnlySpan<double> x) => Frames(t, count, x, ref _frames.Value!.Input);

    // Frames of x into `buffer` (grown, never shrunk), in x's type or rounded to float on the way (each value as Narrow rounds it).
    private Span<T> Frames<TInput, T>(double t, int count, ReadOnlySpan<TInput> x, ref T[] buffer)
        where TInput : unmanaged, IFloatingPointIeee754<TInput>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int size = FrameSize, length = checked(count * size), width = FrameWidth, plane = (Height + (2 * Padding)) * width, first = TimeChannel ? 1 : 0;
        if (buffer.Length < length) buffer = new T[length];
        T time = T.CreateTruncating(t);
        Span<T> frames = buffer.AsSpan(0, length);
        for (int s = 0; s < count; s++)
        {
            Span<T> frame = frames.Slice(s * size, size);
            ReadOnlySpan<TInput> input = x.Slice(s * InputSize, InputSize);
            for (int c = 0; c < InChannels + first; c++)
            {
                Span<T> inside = frame[((c * plane) + (Padding * width) + Padding)..];
                if (c >= first) ConvertPlane(input.Slice((c - first) * Height * Width, Height * Width), Height, Width, inside, width);
                else
                {
                    for (int iy = 0; iy < Height; iy++) inside.Slice(iy * width, Width).Fill(time);
                }
            }
        }

        return frames;
    }

    // A plane of `rows` rows of `width` values, one after another in `from`, into rows `stride` apart from the start of `to`:
    // copied, or rounded to float (to nearest, as Narrow rounds; four at a time, the last four of a row overlapping the ones
    // before them, so a 6-value row is two conversions). One call and one bounds check a plane, not a call and two slices a
    // row: 4.8 million 6-value rows a 64-channel RK-Net step, forward and backward (with the row calls kept out of line, a
    // profile put 4.7 % of the step in them).
    private static void ConvertPlane<TInput, T>(ReadOnlySpan<TInput> from, int rows, int width, Span<T> to, int stride)
        where TInput : unmanaged, IFloatingPointIeee754<TInput>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (rows <= 0 || width <= 0) return;
        if (from.Length < rows * width || stride < width || to.Length < ((rows - 1) * stride) + width)
            throw new ArgumentException("Conv2d: a plane does not fit its source or its frame.");
        ref TInput source = ref MemoryMarshal.GetReference(from);
        ref T target = ref MemoryMarshal.GetReference(to);
        if (typeof(TInput) == typeof(double) && typeof(T) == typeof(float) && Vector128.IsHardwareAccelerated && width >= 4)
        {
            ref double s0 = ref Unsafe.As<TInput, double>(ref source);
            ref float t0 = ref Unsafe.As<T, float>(ref target);
            for (int r = 0; r < rows; r++)
            {
                ref double rowFrom = ref Unsafe.Add(ref s0, r * width);
                ref float rowTo = ref Unsafe.Add(ref t0, r * stride);
                for (int i = 0; ; i += 4)
                {
                    i = Math.Min(i, width - 4);   // the last four overlap the ones before them: the same values written twice
                    Vector128.Narrow(Vector128.LoadUnsafe(ref rowFrom, (nuint)i), Vector128.LoadUnsafe(ref rowFrom, (nuint)(i + 2))).StoreUnsafe(ref rowTo, (nuint)i);
                    if (i == width - 4) break;
                }
            }

            return;
        }

        for (int r = 0; r < rows; r++)
        {
            ref TInput rowFrom = ref Unsafe.Add(ref source, r * width);
            ref T rowTo = ref Unsafe.Add(ref target, r * stride);
            for (int i = 0; i < width; i++) Unsafe.Add(ref rowTo, i) = T.CreateTruncating(Unsafe.Add(ref rowFrom, i));
        }
    }

    // destination[i] = mask[i] > 0 ? 0 + (double)source[i] : 0, a vector at a time: DirectConvolution.SetWidened(source, 0, ·)
    // then the ReLU's overwriting adjoint (Relu.Backward, whose select and 0 + this computes) in one pass.
    private static void SetWidenedThroughRelu(ReadOnlySpan<float> source, ReadOnlySpan<double> mask, Span<double> destination)
    {
        int n = source.Length, i = 0;
        if (mask.Length < n || destination.Length < n) throw new ArgumentException("Conv2d: the ReLU's outputs or the destination are shorter than the sums.", nameof(destination));
        ref float from = ref MemoryMarshal.GetReference(source);
        ref double m0 = ref MemoryMarshal.GetReference(mask), to = ref MemoryMarshal.GetReference(destination);
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<double> zero = Vector256<double>.Zero;
            for (; i + 8 <= n; i += 8)
            {
                (Vector256<double> lower, Vector256<double> upper) = Vector256.Widen(Vector256.LoadUnsafe(ref from, (nuint)i));
                Vector256.ConditionalSelect(Vector256.GreaterThan(Vector256.LoadUnsafe(ref m0, (nuint)i), zero), zero + lower, zero).StoreUnsafe(ref to, (nuint)i);
                Vector256.ConditionalSelect(Vector256.GreaterThan(Vector256.LoadUnsafe(ref m0, (nuint)(i + 4)), zero), zero + upper, zero).StoreUnsafe(ref to, (nuint)(i + 4));
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            Vector128<double> zero = Vector128<double>.Zero;
            for (; i + 4 <= n; i += 4)
            {
                (Vector128<double> lower, Vector128<double> upper) = Vector128.Widen(Vector128.LoadUnsafe(ref from, (nuint)i));
                Vector128.ConditionalSelect(Vector128.GreaterThan(Vector128.LoadUnsafe(ref m0, (nuint)i), zero), zero + lower, zero).StoreUnsafe(ref to, (nuint)i);
                Vector128.ConditionalSelect(Vector128.GreaterThan(Vector128.LoadUnsafe(ref m0, (nuint)(i + 2)), zero), zero + upper, zero).StoreUnsafe(ref to, (nuint)(i + 2));
            }
        }

        for (; i < n; i++) Unsafe.Add(ref to, i) = Unsafe.Add(ref m0, i) > 0 ? 0.0 + Unsafe.Add(ref from, i) : 0.0;
    }

    // This thread's frames and, for the single-precision passes, their float buffers. Fields, so Frames can grow them by reference.
#pragma warning disable SA1401 // a private nested holder of buffers
    private sealed class FrameBuffers
    {
        public double[] Input = [];
        public double[] Output = [];
        public float[] InputSingle = [];      // the frames
        public float[] OutputSingle = [];     // ∂L/∂Y in its zero frame, then the time plane's patch adjoints
        public float[] Result = [];           // one sample's y or xBar
        public float[] Bars = [];             // one sample's ∂L/∂Y
        public float[] BarsT = [];            // a chunk's ∂L/∂Y transposed
        public float[] WeightBar = [];        // a chunk's ∂L/∂W
        public double[] WideWeightBar = [];   // a batch's ∂L/∂W in the kernel's tiles (one depth block of columns a chunk)
        public float[] ChannelBars = [];      // a chunk's ∂L/∂Y, [channel][sample·pixel] (the stride-2 input gradient)
        public float[] Cols = [];             // its patch adjoints
        public float[] Work = [];             // the product's packing
        public float[] PhaseFrame = [];       // one sample's ∂L/∂Y in the phased input gradient's zero frame
        public float[] PhaseResult = [];      // one phase's input gradient
    }
#pragma warning restore SA1401

    // This thread's packed weights (W for the forward product, Wᵀ for the input gradient's), packed again only when the
    // weights differ from the copy they were packed from. The bit-for-bit comparison is one sequential pass, far cheaper than
    // the packing's strided moves (which took 7 % of an ODE-Net step when every image and every evaluation repacked the
    // same weights), and it keeps the cache invisible: a caller that updates the parameters in place (an optimizer step)
    // or passes another parameter vector gets them packed again, with no call to say the weights changed. The products
    // read the packed copy in the order they would have packed it, so the results are the same to the bit.
    private PackedWeights Packed(ReadOnlySpan<double> parameters)
    {
        PackedWeights packed = _packed.Value!;
        ReadOnlySpan<double> weights = parameters[..packed.Source.Length];
        if (packed.Valid && MemoryMarshal.Cast<double, long>(weights).SequenceEqual(MemoryMarshal.Cast<double, long>(packed.Source))) return packed;
        weights.CopyTo(packed.Source);
        Gemm.Pack(OutChannels, PatchSize, weights, PatchSize, 1, packed.Forward);
        Gemm.Pack(PatchSize, OutChannels, weights, 1, PatchSize, packed.Transposed);
        DirectConvolution.Pack(OutChannels, PatchSize, weights, packed.ByTap);
        if (DirectInput) DirectConvolution.PackForInput(OutChannels, InChannels + (TimeChannel ? 1 : 0), Kernel * Kernel, TimeChannel, weights, packed.ForInput);
        if (Precision == ConvolutionPrecision.Single)
        {
            int tile = DirectConvolution.SingleChannelTile(OutChannels), planes = InChannels + (TimeChannel ? 1 : 0);
            packed.ByTapSingle ??= new LineAlignedFloats(DirectConvolution.RoundUp(OutChannels, tile) * PatchSize);
            DirectConvolution.Pack(OutChannels, PatchSize, weights, packed.ByTapSingle.Span, tile);
            if (_phased is not null)
            {
                packed.PhasedSingle ??= new LineAlignedFloats(_phased.PackedSize);
                packed.PhaseMatrix ??= new double[_phased.MatrixLength];
                _phased.Pack(weights, packed.PhasedSingle.Span, packed.PhaseMatrix);
            }
            else if (!DirectInput)
            {
                packed.Rounded ??= new float[weights.Length];
                DirectConvolution.Narrow(weights, packed.Rounded);
                packed.TransposedSingle ??= new LineAlignedFloats(Gemm.PackedSize(PatchSize, OutChannels));
                Gemm.Pack<float>(PatchSize, OutChannels, packed.Rounded, 1, PatchSize, packed.TransposedSingle.Span);
            }
            else
            {
                int inputTile = DirectConvolution.SingleChannelTile(InChannels);
                packed.ForInputSingle ??= new LineAlignedFloats(DirectConvolution.InputPackedSize(OutChannels, planes, Kernel * Kernel, TimeChannel, inputTile));
                DirectConvolution.PackForInput(OutChannels, planes, Kernel * Kernel, TimeChannel, weights, packed.ForInputSingle.Span, inputTile);
            }
        }

        packed.Valid = true;
        return packed;
    }

    // This thread's copy of an input (or its adjoint) with the zero and t entries after it. Grown, never shrunk.
    private static Span<double> Padded(int length)
    {
        double[]? buffer = t_padded;
        if (buffer is null || buffer.Length < length) t_padded = buffer = new double[length];
        return buffer.AsSpan(0, length);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// A lane group's patches side by side are one [patch][pixel·lanes] matrix (the lanes' structure of arrays is already
    /// that layout), so a group is the same three products with lanes times the columns: wider products, the same code.
    /// </remarks>
    public override bool HasLanes => Precision == ConvolutionPrecision.Double;

    /// <inheritdoc/>
    /// <remarks>Without a time channel (whose ∂L/∂t comes from the input gradient): an empty xBar skips the input gradient, the weight gradient is unchanged.</remarks>
    public override bool AcceptsNoInputGradient => !TimeChannel;

    // Whether a backward pass was asked for no ∂L/∂x (an empty xBar, when AcceptsNoInputGradient).
    private bool NoInputGradient(Span<double> xBar) => xBar.IsEmpty && AcceptsNoInputGradient;

    /// <inheritdoc/>
    public override void ForwardLanes<TLane>(ReadOnlySpan<TLane> x, ReadOnlySpan<TLane> parameters, Span<TLane> y)
    {
        int lanes = TLane.Count, patch = PatchSize, columns = Pixels * lanes, weights = OutChannels * patch;
        ReadOnlySpan<double> xs = MemoryMarshal.Cast<TLane, double>(x), ps = MemoryMarshal.Cast<TLane, double>(parameters);
        Span<double> ys = MemoryMarshal.Cast<TLane, double>(y);
        RequireSizes(x.Length, parameters.Length, y.Length, int.MaxValue, 0);
        Span<double> work = LaneWork(lanes, out int colsLength);
        Span<double> cols = work[..colsLength], product = work[colsLength..];
        Unfold(0.0, xs, cols, lanes);
        for (int o = 0; o < OutChannels; o++) ys.Slice(o * columns, columns).Fill(ps[(weights + o) * lanes]);
        // The broadcast parameters are read from lane 0: W[o][q] at (o·patch + q)·lanes.
        Gemm.Multiply(OutChannels, columns, patch, ps, patch * lanes, lanes, cols, columns, 1, ys, columns, accumulate: true, product);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The weight and bias gradients are summed over the group's samples by the products themselves and added to lane 0 of
    /// <paramref name="parameterBar"/> (the model adds a parameter's lanes, so where the sum sits does not matter).
    /// </remarks>
    public override void BackwardLanes<TLane>(ReadOnlySpan<TLane> x, ReadOnlySpan<TLane> parameters, ReadOnlySpan<TLane> yBar,
        Span<TLane> xBar, Span<TLane> parameterBar)
    {
        int lanes = TLane.Count, patch = PatchSize, columns = Pixels * lanes, weights = OutChannels * patch;
        RequireSizes(x.Length, parameters.Length, yBar.Length, int.MaxValue, 0, nameof(yBar));
        // The lane passes always fold the input gradient: xBar is never empty here.
        if (xBar.Length != InputSize) throw SizeError(nameof(xBar), xBar.Length, InputSize, "InputSize");
        RequireParameters(parameterBar.Length, nameof(parameterBar));
        ReadOnlySpan<double> xs = MemoryMarshal.Cast<TLane, double>(x), ps = MemoryMarshal.Cast<TLane, double>(parameters);
        ReadOnlySpan<double> yBars = MemoryMarshal.Cast<TLane, double>(yBar);
        Span<double> xBars = MemoryMarshal.Cast<TLane, double>(xBar), pBars = MemoryMarshal.Cast<TLane, double>(parameterBar);
        Span<double> work = LaneWork(lanes, out int colsLength);
        Span<double> cols = work[..colsLength], weightBar = work.Slice(colsLength, weights), product = work[(colsLength + weights)..];
        for (int o = 0; o < OutChannels; o++)
        {
            double sum = 0.0;
            foreach (double v in yBars.Slice(o * columns, columns)) sum += v;
            pBars[(weights + o) * lanes] += sum;
        }

        Unfold(0.0, xs, cols, lanes);
        Gemm.Multiply(OutChannels, patch, columns, yBars, columns, 1, cols, 1, columns, weightBar, patch, accumulate: false, product);
        for (int i = 0; i < weights; i++) pBars[i * lanes] += weightBar[i];
        Gemm.Multiply(patch, columns, OutChannels, ps, lanes, patch * lanes, yBars, columns, 1, cols, columns, accumulate: false, product);
        Fold(cols, xBars, lanes);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// A batch runs the direct passes (<see cref="DirectConvolution"/>): no unfolded patches, the packed weights reused across
    /// the whole batch, and tiles of output channels that run full where the products' tiles over one 6×6 image ran a third
    /// empty. The weight gradient sums over a chunk's columns (<see cref="ChunkLength"/> samples) as the product over their
    /// patches side by side did; a strided convolution's input gradient is still the product and the folding.
    /// </remarks>
    public override bool HasBatch => true;

    /// <summary>
    /// Samples the backward pass takes together: enough to fill one column block of the products (<see cref="Gemm.ColumnBlock"/>),
    /// no more, so a chunk's patch adjoints stay in cache between the product and the folding (14 of the ODE-Net's 6×6
    /// images), and the weight gradient's sums run over the chunk's columns in the product's depth blocks. An image of
    /// a quarter block or more (its 13×13 and 26×26 ones) goes alone: unfolding several at once spilled their patches out of
    /// cache and ran 1.1–1.4× slower than one at a time (measured on the stem's 4×4 stride-2 convolution, 16 channels).
    /// </summary>
    private int ChunkLength => 4 * Pixels > Gemm.ColumnBlock ? 1 : Gemm.ColumnBlock / Pixels;

    /// <inheritdoc/>
    /// <remarks>
    /// A chunk's patch adjoints ([patch][sample·pixel]), its ∂L/∂Y in channel-major order and transposed, and the input
    /// gradient's product's packing (the direct passes read the inputs from this thread's frames).
    /// </remarks>
    public override int BatchScratchSize(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        int columns = checked(Pixels * Math.Min(count, ChunkLength));
        int product = Math.Max(Gemm.WorkspaceSize(OutChannels, columns, PatchSize),
            Math.Max(Gemm.WorkspaceSize(OutChannels, PatchSize, columns), Gemm.WorkspaceSize(PatchSize, columns, OutChannels)));
        return checked((PatchSize * columns) + (OutChannels * columns) + (columns * TransposedRow) + product);
    }

    // Whether the batch's input gradient runs direct (DirectConvolution.InputGradient): stride 1, as the ODE block's convolutions.
    private bool DirectInput => Stride == 1 && Padding < Kernel && OutChannels <= Gemm.DepthBlock;

    // Length of a row of ∂L/∂Y transposed ([column][channel]) as DirectConvolution.WeightGradient reads it.
    private int TransposedRow => DirectConvolution.RoundUp(OutChannels, DirectConvolution.ChannelTile);

    /// <inheritdoc/>
    public override void ForwardBatch(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, Span<double> y, Span<double> scratch) =>
        ForwardBatchAt(0.0, count, x, parameters, y, scratch);

    /// <inheritdoc/>
    public override void BackwardBatch(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, ReadOnlySpan<double> yBar,
        Span<double> xBar, Span<double> parameterBar, Span<double> scratch) =>
        BackwardBatchAt(0.0, count, x, parameters, yBar, xBar, parameterBar, scratch);

    /// <inheritdoc/>
    /// <remarks>The single-precision stride-1 passes: each sample's input gradient is widened into xBar in one pass (0 + sum).</remarks>
    internal override bool OverwritesBatchInputGradient => Precision == ConvolutionPrecision.Single && DirectInput;

    /// <inheritdoc/>
    internal override void BackwardBatchOverwriting(int count, ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> parameters,
        ReadOnlySpan<double> yBar, Span<double> xBar, Span<double> parameterBar, Span<double> scratch)
    {
        if (!OverwritesBatchInputGradient || xBar.IsEmpty) throw new InvalidOperationException($"{Kind} backward: only the single-precision stride-1 passes overwrite a (non-empty) xBar.");
        BackwardBatchAt(0.0, count, x, parameters, yBar, xBar, parameterBar, scratch, InputTarget.Overwrite);
    }

    /// <summary>
    /// The backward pass of <paramref name="count"/> samples (at time t with a time channel) whose input x is a ReLU's output:
    /// xBar = x &gt; 0 ? ∂L/∂x : 0, the adjoint of the ReLU's input, overwritten; returns ∂L/∂t. The bits of
    /// <see cref="Layer.BackwardBatchInto"/> then <see cref="Relu.BackwardBatchOverwriting(int, ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double})"/>
    /// on x (a ReLU's adjoint may test its output: x &gt; 0 exactly where the ReLU's input is), in one pass over xBar where the
    /// single-precision passes widen their sums (the ReLU's 0 + on an entry that is already 0 + a sum changes no bit); the
    /// double passes clear, add and mask in place. xBar must not overlap x.
    /// </summary>
    internal double BackwardBatchThroughRelu(double t, int count, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, ReadOnlySpan<double> yBar,
        Span<double> xBar, Span<double> parameterBar, Span<double> scratch)
    {
        if (xBar.IsEmpty) throw new ArgumentException($"{Kind} backward through a ReLU: xBar is empty.", nameof(xBar));
        if (OverwritesBatchInputGradient) return BackwardBatchAt(t, count, x, parameters, yBar, xBar, parameterBar, scratch, InputTarget.ThroughRelu);
        xBar.Clear();
        double tBar = BackwardBatchAt(t, count, x, parameters, yBar, xBar, parameterBar, scratch);
        Relu.Backward(x, xBar, xBar, accumulate: false);
        return tBar;
    }

    // What a batch's backward pass does with its input gradient: adds it to xBar, overwrites xBar with it (0 + each sum), or
    // overwrites xBar with the adjoint of the ReLU whose output the input is (x > 0 ? 0 + sum : 0).
    private protected enum InputTarget
    {
        Add,
        Overwrite,
        ThroughRelu,
    }

    /// <summary>
    /// <see cref="ForwardAt"/> for <paramref name="count"/> samples, sample by sample through <see cref="DirectConvolution.Forward(int, int, ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{int}, ReadOnlySpan{int}, Span{double})"/>,
    /// which reads each patch entry from the zero-padded image instead of unfolding it and sums the product's terms in the
    /// product's order: equal to <see cref="ForwardAt"/> to the bit (on the stem's 26×26 and 13×13 images too: the classifier's
    /// ResNet step took 0.89–0.91× the time of the products with their unfolding).
    /// </summary>
    private protected void ForwardBatchAt(double t, int count, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, Span<double> y, Span<double> scratch)
    {
        RequireBatch(count, x.Length, y.Length, nameof(y));
        RequireParametersAndScratch(parameters.Length, scratch.Length, count);
        if (Precision == ConvolutionPrecision.Single)
        {
            ForwardBatchSingle(t, count, x, parameters, y);
            return;
        }

        // Sample by sample, straight from each one's padded frame (DirectConvolution: the product's sums, without the patches).
        int weights = OutChannels * PatchSize, pixels = Pixels;
        double[] packed = Packed(parameters).ByTap;
        // The backward pass of these samples will want all their frames at once: made here, so that it allocates nothing
        // (Model counts what a backward pass allocates as memory held per sample).
        FrameBuffers buffers = _frames.Value!;
        if (buffers.Input.Length < checked(count * FrameSize)) buffers.Input = new double[count * FrameSize];
        for (int s = 0; s < count; s++)
        {
            Span<double> frame = Frames(t, 1, x.Slice(s * InputSize, InputSize)), ys = y.Slice(s * OutputSize, OutputSize);
            for (int o = 0; o < OutChannels; o++) ys.Slice(o * pixels, pixels).Fill(parameters[weights + o]);
            DirectConvolution.Forward(OutChannels, packed, frame, _skips, ys);
        }
    }

    /// <summary>
    /// <see cref="BackwardAt"/> for <paramref name="count"/> samples, a chunk at a time: ∂L/∂W += ∂L/∂Y·colsᵀ over the chunk
    /// (<see cref="DirectConvolution.WeightGradient(int, ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{int}, ReadOnlySpan{int}, Span{double})"/>, the product's sum over every sample's pixels read straight from the padded
    /// images: equal to the per-sample sums to rounding, and to one sample's product to the bit), ∂L/∂cols = Wᵀ·∂L/∂Y
    /// folded back onto each sample's image; returns ∂L/∂t summed over the samples.
    /// </summary>
    private protected double BackwardBatchAt(double t, int count, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, ReadOnlySpan<double> yBar,
        Span<double> xBar, Span<double> parameterBar, Span<double> scratch, InputTarget target = InputTarget.Add)
    {
        RequireBatch(count, x.Length, yBar.Length, nameof(yBar));
        RequireParametersAndScratch(parameters.Length, scratch.Length, count);
        if ((xBar.Length != count * InputSize && !NoInputGradient(xBar)) || parameterBar.Length != ParameterCount)
            throw new ArgumentException($"{Kind} backward: xBar has {xBar.Length} entries (needs {count * InputSize}), parameterBar {parameterBar.Length} (needs {ParameterCount}).",
                parameterBar.Length != ParameterCount ? nameof(parameterBar) : nameof(xBar));
        // The packed weights' check once for the batch, not once a chunk: it compares every weight, and a chunk of the stem's
        // 13×13 images is one sample (2 % of the 64-channel ResNet step went to comparing the same weights again).
        PackedWeights? packed = xBar.IsEmpty ? null : Packed(parameters);
        // The float weight gradient over one depth block of columns a chunk (the stem's 26×26 images: one sample's 169) adds its
        // sums in double as the kernel makes them, into ∂L/∂W laid out as the kernel's tiles: moved there and back once a batch.
        Span<double> wide = WideWeightBar(count);
        int weights = OutChannels * PatchSize, tile = DirectConvolution.SingleChannelTile(OutChannels);
        if (!wide.IsEmpty) DirectConvolution.Pack(OutChannels, PatchSize, parameterBar[..weights], wide, tile);
        double tBar = 0.0;
        for (int first = 0, chunk = ChunkLength; first < count; first += chunk)
        {
            int samples = Math.Min(chunk, count - first);
            tBar += BackwardChunk(t, samples, x.Slice(first * InputSize, samples * InputSize), parameters, packed, yBar.Slice(first * OutputSize, samples * OutputSize),
                xBar.IsEmpty ? default : xBar.Slice(first * InputSize, samples * InputSize), parameterBar, scratch, target, wide);
        }

        if (!wide.IsEmpty) DirectConvolution.Unpack(OutChannels, PatchSize, wide, parameterBar[..weights], tile);
        return tBar;
    }

    // The tiled ∂L/∂W of the single-precision weight gradient (DirectConvolution.WeightGradientWidened) for a batch of `count`
    // samples, or empty: in double, or when a chunk's columns pass one depth block (their float sums are added first).
    private Span<double> WideWeightBar(int count)
    {
        if (Precision != ConvolutionPrecision.Single || Pixels * Math.Min(count, ChunkLength) > Gemm.DepthBlock) return default;
        return SingleBuffers(count).WideWeightBar.AsSpan(0, DirectConvolution.RoundUp(OutChannels, DirectConvolution.SingleChannelTile(OutChannels)) * PatchSize);
    }

    // Whether the float forward pass runs a vector of pixels at a time (DirectConvolution.ForwardByPixels): stride 1 and few taps,
    // as the first convolution's nine (one plane, 3×3), where the six-pixel tiles' store per nine taps took most of the pass.
    private bool ByPixels => Stride == 1 && PatchSize <= 16;

    // ForwardBatchAt in float: each sample's frame rounded to float, the float sums, y = bias + sum in double.
    private void ForwardBatchSingle(double t, int count, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, Span<double> y)
    {
        int weights = OutChannels * PatchSize, pixels = Pixels;
        ReadOnlySpan<float> packed = Packed(parameters).ByTapSingle!.Span;
        FrameBuffers buffers = SingleBuffers(count);
        Span<float> sums = buffers.Result.AsSpan(0, OutputSize);
        for (int s = 0; s < count; s++)
        {
            Span<float> frame = Frames(t, 1, x.Slice(s * InputSize, InputSize), ref buffers.InputSingle);
            if (ByPixels) DirectConvolution.ForwardByPixels(OutChannels, OutWidth, packed, frame, _tapOffset, _pixelOffset, sums);   // written whole
            else
            {
                sums.Clear();
                DirectConvolution.Forward(OutChannels, packed, frame, _skips, sums);
            }

            Span<double> ys = y.Slice(s * OutputSize, OutputSize);
            for (int o = 0; o < OutChannels; o++) DirectConvolution.SetWidened(sums.Slice(o * pixels, pixels), parameters[weights + o], ys.Slice(o * pixels, pixels));
        }
    }

    // This thread's float buffers, sized in the forward pass for the backward pass of `count` samples (which then allocates nothing).
    // Column j = (sample s, pixel) of a chunk's product reads frame s at this offset. On the heap, one array per thread grown
    // as needed: pixels × samples can be far too large for the stack (a 224×224 image in a run of 32 is 1.6 M entries).
    [ThreadStatic]
    private static int[]? t_columnOffsets;

    private Span<int> ColumnOffsets(int count)
    {
        int pixels = Pixels, columns = pixels * count;
        int[] buffer = t_columnOffsets is { } kept && kept.Length >= columns ? kept : (t_columnOffsets = new int[columns]);
        Span<int> offsets = buffer.AsSpan(0, columns);
        for (int s = 0, j = 0, frameSize = FrameSize; s < count; s++)
        {
            for (int pixel = 0; pixel < pixels; pixel++, j++) offsets[j] = (s * frameSize) + _pixelOffset[pixel];
        }

        return offsets;
    }

    private FrameBuffers SingleBuffers(int count)
    {
        FrameBuffers b = _frames.Value!;
        int columns = Pixels * Math.Min(count, ChunkLength), row = DirectConvolution.RoundUp(OutChannels, DirectConvolution.SingleChannelTile(OutChannels));
        int margin = Kernel - 1 - Padding, outputFrame = OutChannels * (OutHeight + (2 * margin)) * (OutWidth + (2 * margin));
        if (b.InputSingle.Length < checked(count * FrameSize)) b.InputSingle = new float[count * FrameSize];
        if (b.Result.Length < Math.Max(InputSize, OutputSize)) b.Result = new float[Math.Max(InputSize, OutputSize)];
        if (b.Bars.Length < OutputSize) b.Bars = new float[OutputSize];
        if (b.BarsT.Length < checked(columns * row)) b.BarsT = new float[columns * row];
        if (b.WeightBar.Length < OutChannels * PatchSize) b.WeightBar = new float[OutChannels * PatchSize];
        if (b.WideWeightBar.Length < row * PatchSize) b.WideWeightBar = new double[row * PatchSize];
        if (DirectInput && b.OutputSingle.Length < outputFrame + (Kernel * Kernel * Pixels)) b.OutputSingle = new float[outputFrame + (Kernel * Kernel * Pixels)];   // borders stay zero
        if (_phased is not null)
        {
            if (b.PhaseFrame.Length < _phased.FrameLength) b.PhaseFrame = new float[_phased.FrameLength];   // borders stay zero
            if (b.PhaseResult.Length < _phased.ResultLength) b.PhaseResult = new float[_phased.ResultLength];
        }
        else if (!DirectInput)
        {
            int work = Gemm.WorkspaceSize(PatchSize, columns, OutChannels);
            if (b.ChannelBars.Length < checked(OutChannels * columns)) b.ChannelBars = new float[OutChannels * columns];
            if (b.Cols.Length < checked(PatchSize * columns)) b.Cols = new float[PatchSize * columns];
            if (b.Work.Length < work) b.Work = new float[work];
        }
        return b;
    }

    // ∂L/∂Y of a chunk's samples transposed ([sample·pixel][channel], rows `row` long, zero past the last channel; in double or
    // rounded to float), its channel-major copy ([channel][sample·pixel], when `copy` is not empty), and the bias's sums.
    private void TransposeBars<T>(int count, ReadOnlySpan<double> yBar, Span<double> copy, Span<T> barsT, int row, Span<double> parameterBar)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int pixels = Pixels, columns = pixels * count, weights = OutChannels * PatchSize;
        if (row != OutChannels) barsT.Clear();   // else every entry is written below
        for (int s = 0; s < count; s++)
        {
            ReadOnlySpan<double> sample = yBar.Slice(s * OutputSize, OutputSize);
            if (!copy.IsEmpty)
            {
                for (int o = 0; o < OutChannels; o++) sample.Slice(o * pixels, pixels).CopyTo(copy.Slice((o * columns) + (s * pixels), pixels));
            }

            // Eight channels at a time, then four: independent chains of the bias's sums (each still pixel after pixel, the same
            // bits), where one chain at a time waited on each addition (four chains still waited: 2 % of the 64-channel ResNet
            // step), and adjacent entries of each transposed row. In float with AVX, four pixels of eight channels at a time
            // (TransposeEight).
            int o0 = 0;
            if (typeof(T) == typeof(float) && Avx.IsSupported)
            {
                for (; o0 + 8 <= OutChannels; o0 += 8)
                    TransposeEight(sample[(o0 * pixels)..], pixels, MemoryMarshal.Cast<T, float>(barsT)[((s * pixels * row) + o0)..], row, parameterBar.Slice(weights + o0, 8));
            }

            for (; o0 + 8 <= OutChannels; o0 += 8)
            {
                ref double c0 = ref Unsafe.AsRef(in sample[o0 * pixels]);
                ref T row0 = ref barsT[(s * pixels * row) + o0];
                double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0, s5 = 0.0, s6 = 0.0, s7 = 0.0;
                for (int j = 0; j < pixels; j++)
                {
                    double v0 = Unsafe.Add(ref c0, j), v1 = Unsafe.Add(ref c0, pixels + j), v2 = Unsafe.Add(ref c0, (2 * pixels) + j), v3 = Unsafe.Add(ref c0, (3 * pixels) + j);
                    double v4 = Unsafe.Add(ref c0, (4 * pixels) + j), v5 = Unsafe.Add(ref c0, (5 * pixels) + j), v6 = Unsafe.Add(ref c0, (6 * pixels) + j), v7 = Unsafe.Add(ref c0, (7 * pixels) + j);
                    s0 += v0;
                    s1 += v1;
                    s2 += v2;
                    s3 += v3;
                    s4 += v4;
                    s5 += v5;
                    s6 += v6;
                    s7 += v7;
                    ref T entries = ref Unsafe.Add(ref row0, j * row);
                    entries = T.CreateTruncating(v0);
                    Unsafe.Add(ref entries, 1) = T.CreateTruncating(v1);
                    Unsafe.Add(ref entries, 2) = T.CreateTruncating(v2);
                    Unsafe.Add(ref entries, 3) = T.CreateTruncating(v3);
                    Unsafe.Add(ref entries, 4) = T.CreateTruncating(v4);
                    Unsafe.Add(ref entries, 5) = T.CreateTruncating(v5);
                    Unsafe.Add(ref entries, 6) = T.CreateTruncating(v6);
                    Unsafe.Add(ref entries, 7) = T.CreateTruncating(v7);
                }

                Span<double> biasBar = parameterBar.Slice(weights + o0, 8);
                biasBar[0] += s0;
                biasBar[1] += s1;
                biasBar[2] += s2;
                biasBar[3] += s3;
                biasBar[4] += s4;
                biasBar[5] += s5;
                biasBar[6] += s6;
                biasBar[7] += s7;
            }

            for (; o0 + 4 <= OutChannels; o0 += 4)
            {
                ReadOnlySpan<double> c0 = sample.Slice(o0 * pixels, pixels), c1 = sample.Slice((o0 + 1) * pixels, pixels);
                ReadOnlySpan<double> c2 = sample.Slice((o0 + 2) * pixels, pixels), c3 = sample.Slice((o0 + 3) * pixels, pixels);
                double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
                for (int j = 0; j < pixels; j++)
                {
                    double v0 = c0[j], v1 = c1[j], v2 = c2[j], v3 = c3[j];
                    s0 += v0;
                    s1 += v1;
                    s2 += v2;
                    s3 += v3;
                    Span<T> entries = barsT.Slice((((s * pixels) + j) * row) + o0, 4);
                    entries[0] = T.CreateTruncating(v0);
                    entries[1] = T.CreateTruncating(v1);
                    entries[2] = T.CreateTruncating(v2);
                    entries[3] = T.CreateTruncating(v3);
                }

                parameterBar[weights + o0] += s0;
                parameterBar[weights + o0 + 1] += s1;
                parameterBar[weights + o0 + 2] += s2;
                parameterBar[weights + o0 + 3] += s3;
            }

            for (int o = o0; o < OutChannels; o++)
            {
                ReadOnlySpan<double> channel = sample.Slice(o * pixels, pixels);
                double sum = 0.0;
                for (int j = 0; j < pixels; j++)
                {
                    sum += channel[j];
                    barsT[(((s * pixels) + j) * row) + o] = T.CreateTruncating(channel[j]);
                }

                parameterBar[weights + o] += sum;
            }
        }
    }

    /// <summary>
    /// Eight channels of one sample's ∂L/∂Y (<paramref name="bars"/>: eight rows of <paramref name="pixels"/>) rounded to float
    /// into the transposed rows (pixel j's eight at <paramref name="barsT"/>[j·<paramref name="row"/>]), and biasBar[k] += the
    /// sum of channel k: four pixels at a time, two 4×4 transpositions in registers, each lane's sum pixel after pixel as the
    /// scalar loop adds it (the same bits; the first convolution's 676 pixels by 64 channels, 5.5 M values a batch, took four
    /// times its weight-gradient kernel one value at a time).
    /// </summary>
    internal static void TransposeEight(ReadOnlySpan<double> bars, int pixels, Span<float> barsT, int row, Span<double> biasBar)
    {
        if (!Avx.IsSupported) throw new PlatformNotSupportedException();
        if (pixels <= 0 || bars.Length < 8 * pixels || row < 8 || barsT.Length < ((pixels - 1) * row) + 8 || biasBar.Length < 8)
            throw new ArgumentException("TransposeEight: a buffer is too short.");
        ref double c0 = ref MemoryMarshal.GetReference(bars);
        ref float t0 = ref MemoryMarshal.GetReference(barsT);
        Vector256<double> low = Vector256<double>.Zero, high = Vector256<double>.Zero;
        int j = 0;
        for (; j + 4 <= pixels; j += 4)
        {
            Transpose(Vector256.LoadUnsafe(ref c0, (nuint)j), Vector256.LoadUnsafe(ref c0, (nuint)(pixels + j)),
                Vector256.LoadUnsafe(ref c0, (nuint)((2 * pixels) + j)), Vector256.LoadUnsafe(ref c0, (nuint)((3 * pixels) + j)),
                out Vector256<double> l0, out Vector256<double> l1, out Vector256<double> l2, out Vector256<double> l3);
            Transpose(Vector256.LoadUnsafe(ref c0, (nuint)((4 * pixels) + j)), Vector256.LoadUnsafe(ref c0, (nuint)((5 * pixels) + j)),
                Vector256.LoadUnsafe(ref c0, (nuint)((6 * pixels) + j)), Vector256.LoadUnsafe(ref c0, (nuint)((7 * pixels) + j)),
                out Vector256<double> h0, out Vector256<double> h1, out Vector256<double> h2, out Vector256<double> h3);
            low += l0;
            high += h0;
            Vector256.Narrow(l0, h0).StoreUnsafe(ref t0, (nuint)(j * row));
            low += l1;
            high += h1;
            Vector256.Narrow(l1, h1).StoreUnsafe(ref t0, (nuint)((j + 1) * row));
            low += l2;
            high += h2;
            Vector256.Narrow(l2, h2).StoreUnsafe(ref t0, (nuint)((j + 2) * row));
            low += l3;
            high += h3;
            Vector256.Narrow(l3, h3).StoreUnsafe(ref t0, (nuint)((j + 3) * row));
        }

        Span<double> sums = stackalloc double[8];
        low.CopyTo(sums);
        high.CopyTo(sums[4..]);
        for (; j < pixels; j++)
        {
            for (int k = 0; k < 8; k++)
            {
                double v = Unsafe.Add(ref c0, (k * pixels) + j);
                sums[k] += v;
                Unsafe.Add(ref t0, (j * row) + k) = (float)v;
            }
        }

        for (int k = 0; k < 8; k++) biasBar[k] += sums[k];
    }

    // Rows a, b, c, d of a 4×4 block of doubles as its columns (unpacking pairs, then swapping 128-bit halves).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose(Vector256<double> a, Vector256<double> b, Vector256<double> c, Vector256<double> d,
        out Vector256<double> r0, out Vector256<double> r1, out Vector256<double> r2, out Vector256<double> r3)
    {
        Vector256<double> ab0 = Avx.UnpackLow(a, b), ab1 = Avx.UnpackHigh(a, b), cd0 = Avx.UnpackLow(c, d), cd1 = Avx.UnpackHigh(c, d);
        r0 = Avx.Permute2x128(ab0, cd0, 0x20);
        r1 = Avx.Permute2x128(ab1, cd1, 0x20);
        r2 = Avx.Permute2x128(ab0, cd0, 0x31);
        r3 = Avx.Permute2x128(ab1, cd1, 0x31);
    }

    // BackwardChunk in float: the weight gradient and the direct input gradient on float frames, added to the double gradients.
    // With InputTarget.Overwrite (the direct input gradient only), xBar = 0 + each entry's sum: the bits adding it to a cleared
    // xBar leaves; with ThroughRelu, x > 0 ? 0 + sum : 0 (BackwardBatchThroughRelu).
    private double BackwardChunkSingle(double t, int count, ReadOnlySpan<double> x, PackedWeights? packedWeights, ReadOnlySpan<double> yBar,
        Span<double> xBar, Span<double> parameterBar, Span<double> scratch, InputTarget target, Span<double> wide)
    {
        int patch = PatchSize, pixels = Pixels, columns = pixels * count, weights = OutChannels * patch;
        int row = DirectConvolution.RoundUp(OutChannels, DirectConvolution.SingleChannelTile(OutChannels));
        FrameBuffers buffers = SingleBuffers(count);
        Span<double> barsCopy = scratch.Slice(patch * columns, OutChannels * columns);   // where the double pass keeps it
        Span<float> barsT = buffers.BarsT.AsSpan(0, columns * row);
        TransposeBars(count, yBar, DirectInput || _phased is not null || count == 1 ? default : barsCopy, barsT, row, parameterBar);

        Span<float> frames = Frames(t, count, x, ref buffers.InputSingle);
        Span<int> columnOffset = ColumnOffsets(count);

        if (!wide.IsEmpty) DirectConvolution.WeightGradientWidened(OutChannels, barsT, frames, _tapOffset, columnOffset, wide);
        else
        {
            Span<float> weightBar = buffers.WeightBar.AsSpan(0, weights);
            weightBar.Clear();
            DirectConvolution.WeightGradient(OutChannels, barsT, frames, _tapOffset, columnOffset, weightBar);
            DirectConvolution.AddWidened(weightBar, parameterBar[..weights]);
        }

        double tBar = 0.0;
        if (xBar.IsEmpty) return tBar;
        if (_phased is not null)
        {
            // Phase by phase, sample by sample: each input entry written once (no patch adjoints to fold).
            ReadOnlySpan<float> phasedWeights = packedWeights!.PhasedSingle!.Span;
            for (int s = 0; s < count; s++)
                _phased.Apply(phasedWeights, yBar.Slice(s * OutputSize, OutputSize), buffers.PhaseFrame, buffers.PhaseResult, xBar.Slice(s * InputSize, InputSize));
            return tBar;
        }

        if (!DirectInput)
        {
            // ∂L/∂cols = Wᵀ·∂L/∂Y in float (the product's kernel), folded back onto each sample's image in double.
            Span<float> barsF = buffers.ChannelBars.AsSpan(0, OutChannels * columns), colsF = buffers.Cols.AsSpan(0, patch * columns);
            DirectConvolution.Narrow(count == 1 ? yBar : barsCopy, barsF);
            Gemm.MultiplyPacked(patch, columns, OutChannels, packedWeights!.TransposedSingle!.Span, barsF, columns, 1, colsF, columns, accumulate: false, buffers.Work);
            for (int s = 0; s < count; s++) tBar += Fold<float>(colsF[(s * pixels)..], xBar.Slice(s * InputSize, InputSize), rowStride: columns);
            return tBar;
        }

        int planes = InChannels + (TimeChannel ? 1 : 0), taps = Kernel * Kernel, margin = Kernel - 1 - Padding;
        int frameWidth = OutWidth + (2 * margin), framePlane = (OutHeight + (2 * margin)) * frameWidth, frameLength = OutChannels * framePlane;
        Span<float> frame = buffers.OutputSingle.AsSpan(0, frameLength), timeValues = buffers.OutputSingle.AsSpan(frameLength, taps * pixels);
        Span<float> bar = buffers.Bars.AsSpan(0, OutputSize), sums = buffers.Result.AsSpan(0, InputSize);
        ReadOnlySpan<float> packed = packedWeights!.ForInputSingle!.Span;
        for (int s = 0; s < count; s++)
        {
            // ∂L/∂Y rounded into its frame; with a time plane, also rounded whole (the time plane's sums read it unframed).
            ReadOnlySpan<double> sample = yBar.Slice(s * OutputSize, OutputSize);
            if (TimeChannel) DirectConvolution.Narrow(sample, bar);
            for (int o = 0; o < OutChannels; o++)
            {
                Span<float> inside = frame[((o * framePlane) + (margin * frameWidth) + margin)..];
                if (TimeChannel) ConvertPlane<float, float>(bar.Slice(o * pixels, pixels), OutHeight, OutWidth, inside, frameWidth);
                else ConvertPlane(sample.Slice(o * pixels, pixels), OutHeight, OutWidth, inside, frameWidth);
            }

            sums.Clear();
            tBar += DirectConvolution.InputGradient(OutChannels, planes, Height, Width, Kernel, Padding, TimeChannel, packed, bar, frame, sums, timeValues);
            if (target == InputTarget.ThroughRelu) SetWidenedThroughRelu(sums, x.Slice(s * InputSize, InputSize), xBar.Slice(s * InputSize, InputSize));
            else if (target == InputTarget.Overwrite) DirectConvolution.SetWidened(sums, 0.0, xBar.Slice(s * InputSize, InputSize));
            else DirectConvolution.AddWidened(sums, xBar.Slice(s * InputSize, InputSize));
        }

        return tBar;
    }

    // packedWeights: Packed(parameters), null when xBar is empty (the weight gradient does not read them).
    private double BackwardChunk(double t, int count, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, PackedWeights? packedWeights, ReadOnlySpan<double> yBar,
        Span<double> xBar, Span<double> parameterBar, Span<double> scratch, InputTarget target, Span<double> wide)
    {
        if (Precision == ConvolutionPrecision.Single) return BackwardChunkSingle(t, count, x, packedWeights, yBar, xBar, parameterBar, scratch, target, wide);
        if (target != InputTarget.Add) throw new InvalidOperationException("Conv2d: only the single-precision passes overwrite xBar.");
        int patch = PatchSize, pixels = Pixels, columns = pixels * count, weights = OutChannels * patch, row = TransposedRow;
        Span<double> cols = scratch[..(patch * columns)], barsCopy = scratch.Slice(cols.Length, OutChannels * columns);
        Span<double> barsT = scratch.Slice(cols.Length + barsCopy.Length, columns * row), work = scratch[(cols.Length + barsCopy.Length + barsT.Length)..];

        // ∂L/∂Y in channel-major order, [channel][sample·pixel] (one sample's yBar already is), and transposed,
        // [sample·pixel][channel]; the bias sums sample by sample as one sample's pass does.
        ReadOnlySpan<double> bars = count == 1 ? yBar : barsCopy;
        TransposeBars(count, yBar, count > 1 ? barsCopy : default, barsT, row, parameterBar);

        // ∂L/∂W += ∂L/∂Y·colsᵀ, straight from the chunk's frames: column j = (sample s, pixel) reads frame s at its pixel's offset.
        Span<double> frames = Frames(t, count, x);
        Span<int> columnOffset = ColumnOffsets(count);

        DirectConvolution.WeightGradient(OutChannels, barsT, frames, _tapOffset, columnOffset, parameterBar[..weights]);

        double tBar = 0.0;
        if (xBar.IsEmpty) return tBar;   // no ∂L/∂x wanted (AcceptsNoInputGradient)
        if (DirectInput)
        {
            // Sample by sample, Wᵀ·∂L/∂Y folded onto the image in one pass (the product's and the folding's sums, same bits).
            int planes = InChannels + (TimeChannel ? 1 : 0), taps = Kernel * Kernel, margin = Kernel - 1 - Padding;
            int frameWidth = OutWidth + (2 * margin), framePlane = (OutHeight + (2 * margin)) * frameWidth, frameLength = OutChannels * framePlane;
            FrameBuffers buffers = _frames.Value!;
            if (buffers.Output.Length < frameLength + (taps * pixels)) buffers.Output = new double[frameLength + (taps * pixels)];   // borders stay zero
            Span<double> frame = buffers.Output.AsSpan(0, frameLength), timeValues = buffers.Output.AsSpan(frameLength, taps * pixels);
            double[] packed = packedWeights!.ForInput;
            for (int s = 0; s < count; s++)
            {
                for (int o = 0; o < OutChannels; o++)
                    ConvertPlane(yBar.Slice((s * OutputSize) + (o * pixels), pixels), OutHeight, OutWidth, frame[((o * framePlane) + (margin * frameWidth) + margin)..], frameWidth);

                tBar += DirectConvolution.InputGradient(OutChannels, planes, Height, Width, Kernel, Padding, TimeChannel, packed, yBar.Slice(s * OutputSize, OutputSize), frame,
                    xBar.Slice(s * InputSize, InputSize), timeValues);
            }

            return tBar;
        }

        // ∂L/∂cols = Wᵀ·∂L/∂Y, folded back onto each sample's image.
        Gemm.MultiplyPacked(patch, columns, OutChannels, packedWeights!.Transposed, bars, columns, 1, cols, columns, accumulate: false, work);
        for (int s = 0; s < count; s++) tBar += Fold(cols[(s * pixels)..], xBar.Slice(s * InputSize, InputSize), rowStride: columns);
        return tBar;
    }

    private void RequireParametersAndScratch(int parameters, int scratch, int count)
    {
        if (parameters != ParameterCount || scratch < BatchScratchSize(count))
            throw new ArgumentException($"{Kind} on {count} samples takes {ParameterCount} parameters and scratch of at least {BatchScratchSize(count)}; got {parameters}, {scratch}.",
                parameters != ParameterCount ? nameof(parameters) : nameof(scratch));
    }

    // This thread's lane buffers: the group's patches, the weight gradient, the products' packing. Grown, never shrunk.
    private Span<double> LaneWork(int lanes, out int colsLength)
    {
        int patch = PatchSize, columns = Pixels * lanes;
        colsLength = checked(patch * columns);
        int product = Math.Max(Gemm.WorkspaceSize(OutChannels, columns, patch),
            Math.Max(Gemm.WorkspaceSize(OutChannels, patch, columns), Gemm.WorkspaceSize(patch, columns, OutChannels)));
        int length = checked(colsLength + (OutChannels * patch) + product);
        double[]? work = t_laneWork;
        if (work is null || work.Length < length) t_laneWork = work = new double[length];
        return work.AsSpan(0, length);
    }

    private void RequireSizes(int x, int parameters, int y, int scratch, int scratchNeeded, string outputName = "y")
    {
        if (x != InputSize || parameters != ParameterCount || y != OutputSize || scratch < scratchNeeded)
            throw new ArgumentException($"{Kind} takes x of {InputSize}, {ParameterCount} parameters, y of {OutputSize} and scratch of at least {scratchNeeded}; got {x}, {parameters}, {y}, {scratch}.",
                x != InputSize ? "x" : parameters != ParameterCount ? "parameters" : y != OutputSize ? outputName : "scratch");
    }

    /// <summary>
    /// The first formulation, kept as the reference the matrix products are tested and benchmarked against: the generated
    /// <see cref="LayerFunctions.LinearFunction"/> applied to each output pixel's patch.
    /// </summary>
    internal void ForwardPerPixel(double t, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, Span<double> y, Span<double> scratch)
    {
        RequireSizes(x.Length, parameters.Length, y.Length, scratch.Length, PerPixelScratchSize);
        Span<double> patch = scratch[..PatchSize], pixel = scratch.Slice(2 * PatchSize, OutChannels);
        int pixels = Pixels;
        for (int oy = 0; oy < OutHeight; oy++)
        {
            for (int ox = 0; ox < OutWidth; ox++)
            {
                Gather(t, x, oy, ox, patch);
                _pixel.Evaluate(patch, parameters, pixel);
                int at = (oy * OutWidth) + ox;
                for (int c = 0; c < OutChannels; c++) y[(c * pixels) + at] = pixel[c];
            }
        }
    }

    /// <summary>The backward pass of <see cref="ForwardPerPixel"/> (the generated Vjp per pixel); returns ∂L/∂t.</summary>
    internal double BackwardPerPixel(double t, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, ReadOnlySpan<double> yBar,
        Span<double> xBar, Span<double> parameterBar, Span<double> scratch)
    {
        RequireSizes(x.Length, parameters.Length, yBar.Length, scratch.Length, PerPixelScratchSize, nameof(yBar));
        Span<double> patch = scratch[..PatchSize], patchBar = scratch.Slice(PatchSize, PatchSize);
        Span<double> pixelBar = scratch.Slice((2 * PatchSize) + OutChannels, OutChannels);
        int pixels = Pixels;
        double tBar = 0.0;
        for (int oy = 0; oy < OutHeight; oy++)
        {
            for (int ox = 0; ox < OutWidth; ox++)
            {
                int at = (oy * OutWidth) + ox;
                for (int c = 0; c < OutChannels; c++) pixelBar[c] = yBar[(c * pixels) + at];
                Gather(t, x, oy, ox, patch);
                patchBar.Clear();
                _pixel.Vjp(patch, parameters, pixelBar, patchBar, parameterBar);
                tBar += Scatter(patchBar, oy, ox, xBar);
            }
        }

        return tBar;
    }

    // The patch of output pixel (oy, ox): [channel][ky][kx], zero outside the image (the padding), t on the time plane.
    private void Gather(double t, ReadOnlySpan<double> x, int oy, int ox, Span<double> patch)
    {
        int k = Kernel, first = TimeChannel ? 1 : 0, i = 0;
        for (int c = 0; c < InChannels + first; c++)
        {
            for (int ky = 0; ky < k; ky++)
            {
                int iy = (oy * Stride) - Padding + ky;
                for (int kx = 0; kx < k; kx++, i++)
                {
                    int ix = (ox * Stride) - Padding + kx;
                    bool inside = (uint)iy < (uint)Height && (uint)ix < (uint)Width;
                    patch[i] = !inside ? 0.0 : c < first ? t : x[(((c - first) * Height) + iy) * Width + ix];
                }
            }
        }
    }

    // Adds the patch's adjoint into xBar where Gather read x; returns the sum over the time plane's entries (∂L/∂t).
    private double Scatter(ReadOnlySpan<double> patchBar, int oy, int ox, Span<double> xBar)
    {
        int k = Kernel, first = TimeChannel ? 1 : 0, i = 0;
        double tBar = 0.0;
        for (int c = 0; c < InChannels + first; c++)
        {
            for (int ky = 0; ky < k; ky++)
            {
                int iy = (oy * Stride) - Padding + ky;
                for (int kx = 0; kx < k; kx++, i++)
                {
                    int ix = (ox * Stride) - Padding + kx;
                    if ((uint)iy >= (uint)Height || (uint)ix >= (uint)Width) continue;
                    if (c < first) tBar += patchBar[i];
                    else xBar[(((c - first) * Height) + iy) * Width + ix] += patchBar[i];
                }
            }
        }

        return tBar;
    }

    private static int Positive(int value, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, name);
        return value;
    }

    // One thread's packed weights and the weights they were packed from.
    private sealed class PackedWeights(int weights, int forward, int transposed, int byTap, int forInput)
    {
        public double[] Source { get; } = new double[weights];

        public double[] Forward { get; } = new double[forward];

        public double[] Transposed { get; } = new double[transposed];

        public double[] ByTap { get; } = new double[byTap];

        public double[] ForInput { get; } = new double[forInput];

        // The float kernels' packed weights, each on a 64-byte line (LineAlignedFloats says why).
        public LineAlignedFloats? ByTapSingle { get; set; }

        public LineAlignedFloats? ForInputSingle { get; set; }

        public LineAlignedFloats? TransposedSingle { get; set; }

        public float[]? Rounded { get; set; }

        public LineAlignedFloats? PhasedSingle { get; set; }

        public double[]? PhaseMatrix { get; set; }

        public bool Valid { get; set; }
    }

    private static long OutputExtent(int size, int kernel, int stride, int padding, string name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kernel);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stride);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        long span = size + (2L * padding) - kernel;   // long: 2·padding overflowed int
        if (span < 0) throw new ArgumentOutOfRangeException(name, size, $"A {kernel}×{kernel} kernel does not fit an extent of {size} with padding {padding}.");
        return (span / stride) + 1;
    }

    // a·b·c as an array length, refused by name when no array holds it: in int the products overflowed (an
    // OverflowException) or, for the weight's patch size, wrapped around to a wrong parameter count.
    private static int Product(string what, long a, long b, long c)
    {
        if (a > Array.MaxLength || b > Array.MaxLength || c > Array.MaxLength || a * b > Array.MaxLength || a * b * c > Array.MaxLength)
            throw new ArgumentOutOfRangeException(what, $"The convolution's {what} would hold {(Int128)a * b * c} values, more than an array holds.");
        return (int)(a * b * c);
    }
}

/// <summary>
/// A convolution that also sees t, as a constant input plane before the image's channels (torchdiffeq's
/// <c>ConcatConv2d</c>), for the dynamics of an ODE block over images. As a <see cref="Layer"/> it runs at t = 0; inside
/// dynamics call <see cref="Forward(double, ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, Span{double})"/> and
/// <see cref="Backward(double, ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, Span{double}, Span{double})"/>,
/// whose result is ∂L/∂t. The weight has inChannels + 1 input channels, the time plane first.
/// </summary>
public sealed class TimeConv2d : Conv2d
{
    /// <summary>Creates the convolution (arguments as for <see cref="Conv2d"/>; the time channel is added).</summary>
    public TimeConv2d(int inChannels, int outChannels, int height, int width, int kernel, int stride = 1, int padding = 0)
        : base(inChannels, outChannels, height, width, kernel, stride, padding, timeChannel: true)
    {
    }

    /// <summary>y = conv([t-plane, x]) (overwrites y).</summary>
    public void Forward(double t, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, Span<double> y, Span<double> scratch) =>
        ForwardAt(t, x, parameters, y, scratch);

    /// <summary>xBar += yBarᵀ∂y/∂x, parameterBar += yBarᵀ∂y/∂θ; returns yBarᵀ∂y/∂t.</summary>
    public double Backward(double t, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, ReadOnlySpan<double> yBar,
        Span<double> xBar, Span<double> parameterBar, Span<double> scratch) =>
        BackwardAt(t, x, parameters, yBar, xBar, parameterBar, scratch);

    /// <summary>The forward pass of <paramref name="count"/> samples (rows) at time t, one matrix product (scratch: <see cref="Layer.BatchScratchSize"/>).</summary>
    public void ForwardBatch(double t, int count, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, Span<double> y, Span<double> scratch) =>
        ForwardBatchAt(t, count, x, parameters, y, scratch);

    /// <summary>The backward pass of <paramref name="count"/> samples at time t; returns Σ_s yBar_sᵀ∂y_s/∂t.</summary>
    public double BackwardBatch(double t, int count, ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, ReadOnlySpan<double> yBar,
        Span<double> xBar, Span<double> parameterBar, Span<double> scratch) =>
        BackwardBatchAt(t, count, x, parameters, yBar, xBar, parameterBar, scratch);
}
