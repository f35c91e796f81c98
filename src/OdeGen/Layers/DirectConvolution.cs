using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace OdeGen.Layers;

/// <summary>
/// A convolution's forward product and weight gradient read straight from a zero-padded image, without unfolding its patches
/// (no im2col): a patch entry is <c>input[tapOffset[q] + pixelOffset[pixel]]</c>, one indexed broadcast in the kernel.
/// </summary>
/// <remarks>
/// <para>
/// The sums are <see cref="Gemm"/>'s, term for term and in the same order, so the results are the product's to the bit:
/// each output is a chain of fused multiply-adds from zero over one depth block (<see cref="Gemm.DepthBlock"/> terms) in
/// order, added to what the output held, block after block. Only the tiling differs: the kernel keeps <see cref="Gemm.RowTile"/>
/// rows (pixels, or taps for the weight gradient) by two vectors of output channels, so the channels fill the vectors (16
/// of them fill a Vector512 tile exactly, where the product's 6-row tiles over 16 channels and 16-column tiles over 36 pixels
/// ran two thirds full) and nothing is copied per call but the image into its padded frame. On the ODE-Net's 6×6 images
/// the unfolding took as long as the product itself (BENCHMARKS.md, 5 December 2026). The float kernels over 64 channels
/// (or planes) take two such blocks at once, four Vector512 a row (the "Wide" kernels): each broadcast then feeds four
/// fused multiply-adds, which a core with two 512-bit FMA pipes needs to keep them busy; every output's chain is the same.
/// Their tile of results (y, xBar or ∂L/∂W: six rows by 64 channels) goes to and from its [channel][pixel or tap] target
/// transposed in AVX-512 registers, and the forward product's runs through every depth block before it goes back: an entry
/// at a time, the transposition had taken a quarter of the 6×6 blocks' forward product.
/// </para>
/// <para>
/// Weights are read as <see cref="PackedSize"/> lays them out (<see cref="Pack(int, int, ReadOnlySpan{double}, Span{double})"/>): for each block of two vectors of output
/// channels, [tap][channel], zero past the last channel. Padding zeros and the time plane's t are in the padded image, so
/// the kernel multiplies exactly the values the unfolded patches held.
/// </para>
/// </remarks>
internal static class DirectConvolution
{
    /// <summary>Output channels per kernel tile (two vectors of the width the hardware accelerates, as <see cref="Gemm.PanelWidth{T}"/>).</summary>
    public static int ChannelTile => Gemm.PanelWidth<double>();

    /// <summary>Doubles the packed weights of <paramref name="outChannels"/> × <paramref name="taps"/> take.</summary>
    public static int PackedSize(int outChannels, int taps) => checked(RoundUp(outChannels, ChannelTile) * taps);

    /// <summary>Packs W ([outChannel][tap], row-major) as the kernels read it: per channel tile, [tap][channel].</summary>
    public static void Pack(int outChannels, int taps, ReadOnlySpan<double> weights, Span<double> packed) =>
        Pack(outChannels, taps, weights, packed, ChannelTile);

    /// <summary><see cref="Pack(int, int, ReadOnlySpan{double}, Span{double})"/> for tiles of <paramref name="tile"/> channels (another width's).</summary>
    internal static void Pack<T>(int outChannels, int taps, ReadOnlySpan<double> weights, Span<T> packed, int tile)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        packed[..checked(RoundUp(outChannels, tile) * taps)].Clear();
        for (int o = 0; o < outChannels; o++)
        {
            int block = o / tile, lane = o - (block * tile);
            Span<T> target = packed[(block * tile * taps)..];
            ReadOnlySpan<double> row = weights.Slice(o * taps, taps);
            for (int q = 0; q < taps; q++) target[(q * tile) + lane] = T.CreateTruncating(row[q]);
        }
    }

    /// <summary>
    /// y[o·pixels + j] += Σ_q W[o][q]·input[tapOffset[q] + pixelOffset[j]] for every output channel o and pixel j, summed as
    /// <see cref="Gemm.MultiplyPacked{T}"/>(outChannels, pixels, taps, W, patches, …, accumulate: true) sums them.
    /// </summary>
    public static void Forward(int outChannels, int pixels, ReadOnlySpan<double> packedWeights, ReadOnlySpan<double> input,
        ReadOnlySpan<int> tapOffset, ReadOnlySpan<int> pixelOffset, Span<double> y)
    {
        int taps = tapOffset.Length;
        if (packedWeights.Length < PackedSize(outChannels, taps) || pixelOffset.Length < pixels || y.Length < outChannels * pixels)
            throw new ArgumentException("Direct convolution: the packed weights, pixel offsets or output are too short.");
        RequireInside(input.Length, tapOffset, pixelOffset[..pixels]);
        ForwardAtWidth(outChannels, pixels, packedWeights, input, tapOffset, pixelOffset, y, skips: null);
    }

    /// <summary>
    /// <see cref="Forward(int, int, ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{int}, ReadOnlySpan{int}, Span{double})"/>
    /// with <paramref name="skips"/>' offsets, skipping the taps a tile of pixels reads only in the frame's zero margin: the
    /// same bits (<see cref="PaddingSkips"/>). The margins of <paramref name="input"/> must be zero.
    /// </summary>
    public static void Forward(int outChannels, ReadOnlySpan<double> packedWeights, ReadOnlySpan<double> input, PaddingSkips skips, Span<double> y)
    {
        int pixels = skips.PixelOffset.Length;
        if (packedWeights.Length < PackedSize(outChannels, skips.TapOffset.Length) || y.Length < outChannels * pixels)
            throw new ArgumentException("Direct convolution: the packed weights or output are too short.");
        RequireInside(input.Length, skips);
        ForwardAtWidth(outChannels, pixels, packedWeights, input, skips.TapOffset, skips.PixelOffset, y, skips);
    }

    private static void ForwardAtWidth(int outChannels, int pixels, ReadOnlySpan<double> packedWeights, ReadOnlySpan<double> input,
        ReadOnlySpan<int> tapOffset, ReadOnlySpan<int> pixelOffset, Span<double> y, PaddingSkips? skips)
    {
        if (Vector512.IsHardwareAccelerated) Forward<Double512, Vector512<double>, double>(outChannels, pixels, packedWeights, input, tapOffset, pixelOffset, y, skips);
        else if (Vector256.IsHardwareAccelerated) Forward<Double256, Vector256<double>, double>(outChannels, pixels, packedWeights, input, tapOffset, pixelOffset, y, skips);
        else if (Vector128.IsHardwareAccelerated) Forward<Double128, Vector128<double>, double>(outChannels, pixels, packedWeights, input, tapOffset, pixelOffset, y, skips);
        else Forward<Double1, double, double>(outChannels, pixels, packedWeights, input, tapOffset, pixelOffset, y, skips);
    }

    /// <summary>
    /// weightBar[o·taps + q] += Σ_j yBarT[j][o]·input[tapOffset[q] + columnOffset[j]] over the columns j (a chunk's pixels,
    /// sample after sample), summed as <see cref="Gemm.MultiplyPackedB{T}"/>(outChannels, taps, columns, ∂L/∂Y, colsᵀ, …,
    /// accumulate: true) sums them. <paramref name="yBarT"/> is ∂L/∂Y transposed, [column][channel], its rows
    /// <see cref="RoundUp"/>(outChannels, <see cref="ChannelTile"/>) long (zero past the last channel).
    /// </summary>
    public static void WeightGradient(int outChannels, ReadOnlySpan<double> yBarT, ReadOnlySpan<double> input, ReadOnlySpan<int> tapOffset,
        ReadOnlySpan<int> columnOffset, Span<double> weightBar)
    {
        int taps = tapOffset.Length, columns = columnOffset.Length;
        if (yBarT.Length < columns * RoundUp(outChannels, ChannelTile) || weightBar.Length < outChannels * taps)
            throw new ArgumentException("Direct convolution: the transposed output adjoint or the weight gradient is too short.");
        RequireInside(input.Length, tapOffset, columnOffset);
        if (Vector512.IsHardwareAccelerated) WeightGradient<Double512, Vector512<double>, double>(outChannels, yBarT, input, tapOffset, columnOffset, weightBar);
        else if (Vector256.IsHardwareAccelerated) WeightGradient<Double256, Vector256<double>, double>(outChannels, yBarT, input, tapOffset, columnOffset, weightBar);
        else if (Vector128.IsHardwareAccelerated) WeightGradient<Double128, Vector128<double>, double>(outChannels, yBarT, input, tapOffset, columnOffset, weightBar);
        else WeightGradient<Double1, double, double>(outChannels, yBarT, input, tapOffset, columnOffset, weightBar);
    }

    /// <summary>Doubles the input gradient's packed weights take (<see cref="PackForInput(int, int, int, bool, ReadOnlySpan{double}, Span{double})"/>).</summary>
    public static int InputPackedSize(int outChannels, int planes, int taps, bool timePlane) => InputPackedSize(outChannels, planes, taps, timePlane, ChannelTile);

    /// <summary>
    /// Packs W ([outChannel][plane·taps + tap], the time plane first when there is one) for the input gradient: per tile of the
    /// image's planes, [tap][outChannel][plane], zero past the last plane; then the time plane's weights as [tap][outChannel].
    /// </summary>
    public static void PackForInput(int outChannels, int planes, int taps, bool timePlane, ReadOnlySpan<double> weights, Span<double> packed) =>
        PackForInput(outChannels, planes, taps, timePlane, weights, packed, ChannelTile);

    /// <summary><see cref="InputPackedSize(int, int, int, bool)"/> for tiles of <paramref name="tile"/> planes (another width's).</summary>
    internal static int InputPackedSize(int outChannels, int planes, int taps, bool timePlane, int tile)
    {
        int first = timePlane ? 1 : 0;
        return checked((RoundUp(planes - first, tile) + first) * taps * outChannels);
    }

    /// <summary><see cref="PackForInput(int, int, int, bool, ReadOnlySpan{double}, Span{double})"/> for tiles of <paramref name="tile"/> planes (another width's).</summary>
    internal static void PackForInput<T>(int outChannels, int planes, int taps, bool timePlane, ReadOnlySpan<double> weights, Span<T> packed, int tile)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int first = timePlane ? 1 : 0, images = planes - first, tiles = RoundUp(images, tile) * taps * outChannels;
        packed[..InputPackedSize(outChannels, planes, taps, timePlane, tile)].Clear();
        for (int c = 0; c < images; c++)
        {
            int block = c / tile, lane = c - (block * tile);
            Span<T> target = packed[(block * tile * taps * outChannels)..];
            for (int o = 0; o < outChannels; o++)
            {
                for (int k = 0; k < taps; k++) target[(((k * outChannels) + o) * tile) + lane] = T.CreateTruncating(weights[(o * planes * taps) + ((first + c) * taps) + k]);
            }
        }

        for (int o = 0; o < first * outChannels; o++)
        {
            for (int k = 0; k < taps; k++) packed[tiles + (k * outChannels) + o] = T.CreateTruncating(weights[(o * planes * taps) + k]);
        }
    }

    /// <summary>
    /// The input gradient of a stride-1 convolution (<paramref name="kernel"/>², zero padding <paramref name="padding"/> &lt;
    /// kernel, at most <see cref="Gemm.DepthBlock"/> output channels) of one sample: xBar += col2im(Wᵀ·∂L/∂Y), summed as the
    /// product and the folding sum it, so the same bits: each patch adjoint is a chain of fused multiply-adds over the output
    /// channels from zero (Wᵀ·∂L/∂Y, one depth block), and each input entry adds its patch adjoints in tap order. With
    /// <paramref name="timePlane"/>, plane 0 of the weights is t's: its patch adjoints are summed in the folding's order (tap,
    /// then output pixel) and returned as ∂L/∂t (0 otherwise); <paramref name="xBar"/> holds the image's planes.
    /// <paramref name="yBar"/> is the sample's ∂L/∂Y ([channel][pixel]) and <paramref name="yBarFrame"/> the same in a frame of
    /// kernel − 1 − padding zeros around each channel's image; <paramref name="timeValues"/> is scratch of
    /// kernel²·outHeight·outWidth values (with a time plane).
    /// </summary>
    public static double InputGradient(int outChannels, int planes, int height, int width, int kernel, int padding, bool timePlane,
        ReadOnlySpan<double> packedWeights, ReadOnlySpan<double> yBar, ReadOnlySpan<double> yBarFrame, Span<double> xBar, Span<double> timeValues)
    {
        var shape = new InputShape(outChannels, planes - (timePlane ? 1 : 0), height, width, kernel, padding, timePlane);
        if (outChannels > Gemm.DepthBlock || padding >= kernel || packedWeights.Length < InputPackedSize(outChannels, planes, kernel * kernel, timePlane)
            || yBar.Length < outChannels * shape.OutHeight * shape.OutWidth || yBarFrame.Length < outChannels * shape.FramePlane || xBar.Length < shape.Images * height * width
            || (timePlane && timeValues.Length < kernel * kernel * shape.OutHeight * shape.OutWidth))
            throw new ArgumentException("Direct input gradient: a size does not fit (stride 1, padding below the kernel, at most one depth block of output channels).");
        if (Vector512.IsHardwareAccelerated) return InputGradient<Double512, Vector512<double>, double>(shape, packedWeights, yBar, yBarFrame, xBar, timeValues);
        if (Vector256.IsHardwareAccelerated) return InputGradient<Double256, Vector256<double>, double>(shape, packedWeights, yBar, yBarFrame, xBar, timeValues);
        if (Vector128.IsHardwareAccelerated) return InputGradient<Double128, Vector128<double>, double>(shape, packedWeights, yBar, yBarFrame, xBar, timeValues);
        return InputGradient<Double1, double, double>(shape, packedWeights, yBar, yBarFrame, xBar, timeValues);
    }

    /// <summary>
    /// Channels per kernel tile of the single-precision passes over <paramref name="channels"/> channels: two vectors of the
    /// widest accelerated float width they fill (16 channels take two Vector256 of 8 floats, 64 two Vector512 of 16), else
    /// of the narrowest accelerated one (2: scalar). Pack the weights with it (<see cref="Pack{T}"/>, <see cref="PackForInput{T}"/>).
    /// </summary>
    public static int SingleChannelTile(int channels)
    {
        int tile = Vector128.IsHardwareAccelerated ? 2 * Vector128<float>.Count : 2;
        if (Vector256.IsHardwareAccelerated && channels >= 2 * Vector256<float>.Count) tile = 2 * Vector256<float>.Count;
        if (Vector512.IsHardwareAccelerated && channels >= 2 * Vector512<float>.Count) tile = 2 * Vector512<float>.Count;
        return tile;
    }

    /// <summary>
    /// <see cref="Forward(int, int, ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{int}, ReadOnlySpan{int}, Span{double})"/>
    /// in single precision: the weights packed with <see cref="SingleChannelTile"/>(outChannels), the image and y in float,
    /// each output the same chain of fused multiply-adds in float.
    /// </summary>
    public static void Forward(int outChannels, int pixels, ReadOnlySpan<float> packedWeights, ReadOnlySpan<float> input,
        ReadOnlySpan<int> tapOffset, ReadOnlySpan<int> pixelOffset, Span<float> y)
    {
        int taps = tapOffset.Length, tile = SingleChannelTile(outChannels);
        if (packedWeights.Length < RoundUp(outChannels, tile) * taps || pixelOffset.Length < pixels || y.Length < outChannels * pixels)
            throw new ArgumentException("Direct convolution: the packed weights, pixel offsets or output are too short.");
        RequireInside(input.Length, tapOffset, pixelOffset[..pixels]);
        ForwardAtWidth(outChannels, pixels, packedWeights, input, tapOffset, pixelOffset, y, tile, skips: null);
    }

    /// <summary>
    /// <see cref="Forward(int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{int}, ReadOnlySpan{int}, Span{float})"/>
    /// with <paramref name="skips"/>' offsets, skipping the taps a tile of pixels reads only in the frame's zero margin: the
    /// same bits (<see cref="PaddingSkips"/>). The margins of <paramref name="input"/> must be zero.
    /// </summary>
    public static void Forward(int outChannels, ReadOnlySpan<float> packedWeights, ReadOnlySpan<float> input, PaddingSkips skips, Span<float> y)
    {
        int pixels = skips.PixelOffset.Length, tile = SingleChannelTile(outChannels);
        if (packedWeights.Length < RoundUp(outChannels, tile) * skips.TapOffset.Length || y.Length < outChannels * pixels)
            throw new ArgumentException("Direct convolution: the packed weights or output are too short.");
        RequireInside(input.Length, skips);
        ForwardAtWidth(outChannels, pixels, packedWeights, input, skips.TapOffset, skips.PixelOffset, y, tile, skips);
    }

    private static void ForwardAtWidth(int outChannels, int pixels, ReadOnlySpan<float> packedWeights, ReadOnlySpan<float> input,
        ReadOnlySpan<int> tapOffset, ReadOnlySpan<int> pixelOffset, Span<float> y, int tile, PaddingSkips? skips, bool overwrite = false)
    {
        switch (tile)
        {
            case 32 when RoundUp(outChannels, 32) % 64 == 0: ForwardWide<Single512, Vector512<float>, float>(outChannels, pixels, packedWeights, input, tapOffset, pixelOffset, y, skips, overwrite); break;
            case 32: Forward<Single512, Vector512<float>, float>(outChannels, pixels, packedWeights, input, tapOffset, pixelOffset, y, skips, overwrite); break;
            case 16 when Vector512.IsHardwareAccelerated: ForwardTall<Single512, Vector512<float>, float>(outChannels, pixels, packedWeights, input, tapOffset, pixelOffset, y, skips, overwrite); break;
            case 16: Forward<Single256, Vector256<float>, float>(outChannels, pixels, packedWeights, input, tapOffset, pixelOffset, y, skips, overwrite); break;
            case 8: Forward<Single128, Vector128<float>, float>(outChannels, pixels, packedWeights, input, tapOffset, pixelOffset, y, skips, overwrite); break;
            default: Forward<Single1, float, float>(outChannels, pixels, packedWeights, input, tapOffset, pixelOffset, y, skips, overwrite); break;
        }
    }

    /// <summary>
    /// <see cref="Forward(int, ReadOnlySpan{float}, ReadOnlySpan{float}, PaddingSkips, Span{float})"/> writing y instead of adding to
    /// it: y = the sums, the bits that pass leaves in a cleared y (each output's first depth block is one chain from zero, never
    /// −0, and 0 + chain = chain), without clearing y and reading it back into each tile.
    /// </summary>
    public static void ForwardOverwriting(int outChannels, ReadOnlySpan<float> packedWeights, ReadOnlySpan<float> input, PaddingSkips skips, Span<float> y)
    {
        int pixels = skips.PixelOffset.Length, tile = SingleChannelTile(outChannels);
        if (packedWeights.Length < RoundUp(outChannels, tile) * skips.TapOffset.Length || y.Length < outChannels * pixels)
            throw new ArgumentException("Direct convolution: the packed weights or output are too short.");
        RequireInside(input.Length, skips);
        ForwardAtWidth(outChannels, pixels, packedWeights, input, skips.TapOffset, skips.PixelOffset, y, tile, skips, overwrite: true);
    }

    /// <summary>
    /// <see cref="Forward(int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{int}, ReadOnlySpan{int}, Span{float})"/>
    /// of a stride-1 product (each output row's pixels one after another in the input: pixelOffset[j] = the row's first +
    /// its column) of at most one depth block of taps, a vector of a row's pixels at a time instead of a tile of six pixels by
    /// two vectors of channels: y[o·pixels + j] = the chain of fused multiply-adds from zero over the taps in order, written,
    /// not added: the bits the kernel leaves in a cleared y (0 + chain = chain). For few taps (the first convolution's nine on
    /// 28×28), where the tile's transposing store into y, once per nine taps, took longer than its multiply-adds; the weights
    /// packed as for <see cref="Forward(int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{int}, ReadOnlySpan{int}, Span{float})"/>.
    /// </summary>
    public static void ForwardByPixels(int outChannels, int outWidth, ReadOnlySpan<float> packedWeights, ReadOnlySpan<float> input,
        ReadOnlySpan<int> tapOffset, ReadOnlySpan<int> pixelOffset, Span<float> y)
    {
        int taps = tapOffset.Length, pixels = pixelOffset.Length, tile = SingleChannelTile(outChannels);
        if (taps == 0 || taps > Gemm.DepthBlock || outWidth <= 0 || pixels % outWidth != 0 || packedWeights.Length < RoundUp(outChannels, tile) * taps
            || y.Length < outChannels * pixels)
            throw new ArgumentException("Direct convolution by pixels: no taps or more than one depth block, whole rows of pixels, or the packed weights or output are too short.");
        for (int j0 = 0; j0 < pixels; j0 += outWidth)
        {
            for (int column = 1; column < outWidth; column++)
            {
                if (pixelOffset[j0 + column] != pixelOffset[j0] + column) throw new ArgumentException("Direct convolution by pixels: a row's pixels are not one after another.", nameof(pixelOffset));
            }
        }

        RequireInside(input.Length, tapOffset, pixelOffset);
        if (Vector512.IsHardwareAccelerated && outWidth >= Vector512<float>.Count) ForwardByPixels<Single512, Vector512<float>>(outChannels, outWidth, tile, packedWeights, input, tapOffset, pixelOffset, y);
        else if (Vector256.IsHardwareAccelerated && outWidth >= Vector256<float>.Count) ForwardByPixels<Single256, Vector256<float>>(outChannels, outWidth, tile, packedWeights, input, tapOffset, pixelOffset, y);
        else if (Vector128.IsHardwareAccelerated && outWidth >= Vector128<float>.Count) ForwardByPixels<Single128, Vector128<float>>(outChannels, outWidth, tile, packedWeights, input, tapOffset, pixelOffset, y);
        else ForwardByPixels<Single1, float>(outChannels, outWidth, tile, packedWeights, input, tapOffset, pixelOffset, y);
    }

    /// <summary><see cref="ForwardByPixels(int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{int}, ReadOnlySpan{int}, Span{float})"/> at the width of <typeparamref name="TOps"/> (at most outWidth lanes), unchecked.</summary>
    /// <remarks>
    /// Eight channels at a time, eight independent chains (each vector of input read once per tap for all eight); a row's last
    /// vector overlaps the one before it where the width is not a multiple of the lanes: its pixels' chains are the same, so
    /// the values written twice are the same bits.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ForwardByPixels<TOps, TVector>(int outChannels, int outWidth, int tile, ReadOnlySpan<float> packedWeights, ReadOnlySpan<float> input,
        ReadOnlySpan<int> tapOffset, ReadOnlySpan<int> pixelOffset, Span<float> y)
        where TOps : struct, IGemmOps<TVector, float>
        where TVector : unmanaged
    {
        int w = TOps.Count, taps = tapOffset.Length, pixels = pixelOffset.Length, rows = pixels / outWidth;
        ref float x = ref MemoryMarshal.GetReference(input);
        ref float pw = ref MemoryMarshal.GetReference(packedWeights);
        ref float y0 = ref MemoryMarshal.GetReference(y);
        ref int offsets = ref MemoryMarshal.GetReference(tapOffset);
        Span<int> at = stackalloc int[8];
        for (int o0 = 0; o0 < outChannels; o0 += 8)
        {
            // Where channel o0 + k's weight of tap 0 sits in the packing (per channel tile, [tap][channel]); past the last
            // channel, the last one's (computed, never written).
            for (int k = 0; k < 8; k++)
            {
                int o = Math.Min(o0 + k, outChannels - 1), block = o / tile;
                at[k] = (block * tile * taps) + o - (block * tile);
            }

            nint b0 = at[0], b1 = at[1], b2 = at[2], b3 = at[3], b4 = at[4], b5 = at[5], b6 = at[6], b7 = at[7];
            int channels = Math.Min(8, outChannels - o0);
            for (int r = 0; r < rows; r++)
            {
                ref float row = ref Unsafe.Add(ref x, pixelOffset[r * outWidth]);
                for (int x0 = 0; x0 < outWidth; x0 += w)
                {
                    int start = Math.Min(x0, outWidth - w);
                    ref float from = ref Unsafe.Add(ref row, start);
                    TVector c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
                    for (nint q = 0; q < taps; q++)
                    {
                        TVector v = Load<TVector, float>(ref from, (nint)Unsafe.Add(ref offsets, q));
                        ref float wq = ref Unsafe.Add(ref pw, q * tile);
                        c0 = TOps.MultiplyAdd(v, TOps.Broadcast(Unsafe.Add(ref wq, b0)), c0);
                        c1 = TOps.MultiplyAdd(v, TOps.Broadcast(Unsafe.Add(ref wq, b1)), c1);
                        c2 = TOps.MultiplyAdd(v, TOps.Broadcast(Unsafe.Add(ref wq, b2)), c2);
                        c3 = TOps.MultiplyAdd(v, TOps.Broadcast(Unsafe.Add(ref wq, b3)), c3);
                        c4 = TOps.MultiplyAdd(v, TOps.Broadcast(Unsafe.Add(ref wq, b4)), c4);
                        c5 = TOps.MultiplyAdd(v, TOps.Broadcast(Unsafe.Add(ref wq, b5)), c5);
                        c6 = TOps.MultiplyAdd(v, TOps.Broadcast(Unsafe.Add(ref wq, b6)), c6);
                        c7 = TOps.MultiplyAdd(v, TOps.Broadcast(Unsafe.Add(ref wq, b7)), c7);
                    }

                    ref byte into = ref Unsafe.As<float, byte>(ref Unsafe.Add(ref y0, (o0 * pixels) + (r * outWidth) + start));
                    nint plane = (nint)pixels * sizeof(float);
                    Unsafe.WriteUnaligned(ref into, c0);
                    if (channels > 1) Unsafe.WriteUnaligned(ref Unsafe.Add(ref into, plane), c1);
                    if (channels > 2) Unsafe.WriteUnaligned(ref Unsafe.Add(ref into, 2 * plane), c2);
                    if (channels > 3) Unsafe.WriteUnaligned(ref Unsafe.Add(ref into, 3 * plane), c3);
                    if (channels > 4) Unsafe.WriteUnaligned(ref Unsafe.Add(ref into, 4 * plane), c4);
                    if (channels > 5) Unsafe.WriteUnaligned(ref Unsafe.Add(ref into, 5 * plane), c5);
                    if (channels > 6) Unsafe.WriteUnaligned(ref Unsafe.Add(ref into, 6 * plane), c6);
                    if (channels > 7) Unsafe.WriteUnaligned(ref Unsafe.Add(ref into, 7 * plane), c7);
                }
            }
        }
    }

    /// <summary>
    /// <see cref="WeightGradient(int, ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{int}, ReadOnlySpan{int}, Span{double})"/>
    /// in single precision: yBarT's rows RoundUp(outChannels, <see cref="SingleChannelTile"/>(outChannels)) long.
    /// </summary>
    public static void WeightGradient(int outChannels, ReadOnlySpan<float> yBarT, ReadOnlySpan<float> input, ReadOnlySpan<int> tapOffset,
        ReadOnlySpan<int> columnOffset, Span<float> weightBar)
    {
        int taps = tapOffset.Length, columns = columnOffset.Length, tile = SingleChannelTile(outChannels);
        if (yBarT.Length < columns * RoundUp(outChannels, tile) || weightBar.Length < outChannels * taps)
            throw new ArgumentException("Direct convolution: the transposed output adjoint or the weight gradient is too short.");
        RequireInside(input.Length, tapOffset, columnOffset);
        switch (tile)
        {
            case 32 when RoundUp(outChannels, 32) % 64 == 0: WeightGradientWide<Single512, Vector512<float>, float>(outChannels, yBarT, input, tapOffset, columnOffset, weightBar); break;
            case 32: WeightGradient<Single512, Vector512<float>, float>(outChannels, yBarT, input, tapOffset, columnOffset, weightBar); break;
            case 16 when Vector512.IsHardwareAccelerated: WeightGradientTall<Single512, Vector512<float>, float>(outChannels, yBarT, input, tapOffset, columnOffset, weightBar); break;
            case 16: WeightGradient<Single256, Vector256<float>, float>(outChannels, yBarT, input, tapOffset, columnOffset, weightBar); break;
            case 8: WeightGradient<Single128, Vector128<float>, float>(outChannels, yBarT, input, tapOffset, columnOffset, weightBar); break;
            default: WeightGradient<Single1, float, float>(outChannels, yBarT, input, tapOffset, columnOffset, weightBar); break;
        }
    }

    /// <summary>
    /// <see cref="WeightGradient(int, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{int}, ReadOnlySpan{int}, Span{float})"/>
    /// over at most one depth block of columns (<see cref="Gemm.DepthBlock"/>), its sums widened and added in double to
    /// <paramref name="wideWeightBar"/>, laid out as <see cref="Pack{T}"/> lays out weights with <see cref="SingleChannelTile"/>(outChannels):
    /// per tile of channels, [tap][channel]. The same bits as the float sums into a cleared ∂L/∂W, then widened and added
    /// (each is one chain from zero, 0 + chain = chain), without the float ∂L/∂W, its clearing, its transposing store and the
    /// pass that widens it: the kernel adds a tile's rows as they are, a vector at a time.
    /// </summary>
    public static void WeightGradientWidened(int outChannels, ReadOnlySpan<float> yBarT, ReadOnlySpan<float> input, ReadOnlySpan<int> tapOffset,
        ReadOnlySpan<int> columnOffset, Span<double> wideWeightBar)
    {
        int taps = tapOffset.Length, columns = columnOffset.Length, tile = SingleChannelTile(outChannels);
        if (columns > Gemm.DepthBlock || yBarT.Length < columns * RoundUp(outChannels, tile) || wideWeightBar.Length < RoundUp(outChannels, tile) * taps)
            throw new ArgumentException("Direct convolution: more than one depth block of columns, or the transposed output adjoint or the weight gradient is too short.");
        RequireInside(input.Length, tapOffset, columnOffset);
        switch (tile)
        {
            case 32 when RoundUp(outChannels, 32) % 64 == 0: WeightGradientWide<Single512, Vector512<float>, float>(outChannels, yBarT, input, tapOffset, columnOffset, default, wideWeightBar); break;
            case 32: WeightGradient<Single512, Vector512<float>, float>(outChannels, yBarT, input, tapOffset, columnOffset, default, wideWeightBar); break;
            case 16 when Vector512.IsHardwareAccelerated: WeightGradientTall<Single512, Vector512<float>, float>(outChannels, yBarT, input, tapOffset, columnOffset, default, wideWeightBar); break;
            case 16: WeightGradient<Single256, Vector256<float>, float>(outChannels, yBarT, input, tapOffset, columnOffset, default, wideWeightBar); break;
            case 8: WeightGradient<Single128, Vector128<float>, float>(outChannels, yBarT, input, tapOffset, columnOffset, default, wideWeightBar); break;
            default: WeightGradient<Single1, float, float>(outChannels, yBarT, input, tapOffset, columnOffset, default, wideWeightBar); break;
        }
    }

    /// <summary>The inverse of <see cref="Pack{T}"/> for doubles: weights[o·taps + q] = packed[per tile of <paramref name="tile"/> channels, q, lane].</summary>
    internal static void Unpack(int outChannels, int taps, ReadOnlySpan<double> packed, Span<double> weights, int tile)
    {
        for (int o = 0; o < outChannels; o++)
        {
            int block = o / tile, lane = o - (block * tile);
            ReadOnlySpan<double> source = packed[(block * tile * taps)..];
            Span<double> row = weights.Slice(o * taps, taps);
            for (int q = 0; q < taps; q++) row[q] = source[(q * tile) + lane];
        }
    }

    /// <summary>
    /// <see cref="InputGradient(int, int, int, int, int, int, bool, ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, Span{double})"/>
    /// in single precision: the weights packed for the input (<see cref="PackForInput{T}"/>) with <see cref="SingleChannelTile"/>
    /// of the image's planes (without t's).
    /// </summary>
    public static float InputGradient(int outChannels, int planes, int height, int width, int kernel, int padding, bool timePlane,
        ReadOnlySpan<float> packedWeights, ReadOnlySpan<float> yBar, ReadOnlySpan<float> yBarFrame, Span<float> xBar, Span<float> timeValues)
    {
        var shape = new InputShape(outChannels, planes - (timePlane ? 1 : 0), height, width, kernel, padding, timePlane);
        int tile = SingleChannelTile(shape.Images);
        if (outChannels > Gemm.DepthBlock || padding >= kernel || packedWeights.Length < InputPackedSize(outChannels, planes, kernel * kernel, timePlane, tile)
            || yBar.Length < outChannels * shape.OutHeight * shape.OutWidth || yBarFrame.Length < outChannels * shape.FramePlane || xBar.Length < shape.Images * height * width
            || (timePlane && timeValues.Length < kernel * kernel * shape.OutHeight * shape.OutWidth))
            throw new ArgumentException("Direct input gradient: a size does not fit (stride 1, padding below the kernel, at most one depth block of output channels).");
        return tile switch
        {
            32 when RoundUp(shape.Images, 32) % 64 == 0 => InputGradientWide<Single512, Vector512<float>, float>(shape, packedWeights, yBar, yBarFrame, xBar, timeValues),
            32 => InputGradient<Single512, Vector512<float>, float>(shape, packedWeights, yBar, yBarFrame, xBar, timeValues),
            16 when Vector512.IsHardwareAccelerated => InputGradientTall<Single512, Vector512<float>, float>(shape, packedWeights, yBar, yBarFrame, xBar, timeValues),
            16 => InputGradient<Single256, Vector256<float>, float>(shape, packedWeights, yBar, yBarFrame, xBar, timeValues),
            8 => InputGradient<Single128, Vector128<float>, float>(shape, packedWeights, yBar, yBarFrame, xBar, timeValues),
            _ => InputGradient<Single1, float, float>(shape, packedWeights, yBar, yBarFrame, xBar, timeValues),
        };
    }

    /// <summary>The geometry of the input gradient: the image (its planes without t's), the output and the output's zero frame.</summary>
    internal readonly struct InputShape(int outChannels, int images, int height, int width, int kernel, int padding, bool timePlane)
    {
        public int OutChannels => outChannels;
        public int Images => images;
        public int Height => height;
        public int Width => width;
        public int Kernel => kernel;
        public int Padding => padding;
        public bool TimePlane => timePlane;
        public int OutHeight => height + (2 * padding) - kernel + 1;
        public int OutWidth => width + (2 * padding) - kernel + 1;

        /// <summary>Width of the output's frame: kernel − 1 − padding zeros on each side.</summary>
        public int FrameWidth => OutWidth + (2 * (kernel - 1 - padding));

        public int FramePlane => (OutHeight + (2 * (kernel - 1 - padding))) * FrameWidth;
    }

    /// <summary><see cref="InputGradient(int, int, int, int, int, int, bool, ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{double}, Span{double}, Span{double})"/> at the width of <typeparamref name="TOps"/>, unchecked; the weights packed for that width.</summary>
    /// <remarks>
    /// A tile is <see cref="Gemm.RowTile"/> input pixels by two vectors of planes, its running xBar in twelve registers; for each
    /// tap in order, twelve more accumulate the patch adjoints over the output channels, read from the output's frame at the
    /// pixel's offset plus the tap's (zero outside the output image), and are added where the tap reaches an output pixel.
    /// The time plane's patch adjoints go apart, a vector of output pixels at a time, so they do not take a tile of their own.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static T InputGradient<TOps, TVector, T>(InputShape shape, ReadOnlySpan<T> packedWeights, ReadOnlySpan<T> yBar,
        ReadOnlySpan<T> yBarFrame, Span<T> xBar, Span<T> timeValues)
        where TOps : struct, IGemmOps<TVector, T>
        where TVector : unmanaged
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = TOps.Count, tile = 2 * w, k = shape.Kernel, taps = k * k, outChannels = shape.OutChannels, images = shape.Images;
        int height = shape.Height, width = shape.Width, pixels = height * width, outHeight = shape.OutHeight, outWidth = shape.OutWidth;
        int frameWidth = shape.FrameWidth, framePlane = shape.FramePlane, padding = shape.Padding;
        Span<T> sums = stackalloc T[Gemm.RowTile * 32];
        Span<int> at = stackalloc int[Gemm.RowTile], iy = stackalloc int[Gemm.RowTile], ix = stackalloc int[Gemm.RowTile];
        ref T bars = ref MemoryMarshal.GetReference(yBarFrame);
        for (int c0 = 0; c0 < images; c0 += tile)
        {
            ReadOnlySpan<T> block = packedWeights.Slice(c0 * taps * outChannels, taps * outChannels * tile);
            int lanes = Math.Min(tile, images - c0);
            for (int i0 = 0; i0 < pixels; i0 += Gemm.RowTile)
            {
                int rows = Math.Min(Gemm.RowTile, pixels - i0);
                InputTilePixels(i0, rows, width, frameWidth, iy, ix, at);
                GatherInputTile(xBar, sums, c0, lanes, pixels, i0, rows, tile);   // the tile's running xBar, [pixel][plane]

                ref T s0 = ref MemoryMarshal.GetReference(sums);
                TVector x00 = Load<TVector, T>(ref s0, 0), x01 = Load<TVector, T>(ref s0, w), x10 = Load<TVector, T>(ref s0, tile), x11 = Load<TVector, T>(ref s0, tile + w);
                TVector x20 = Load<TVector, T>(ref s0, 2 * tile), x21 = Load<TVector, T>(ref s0, (2 * tile) + w), x30 = Load<TVector, T>(ref s0, 3 * tile), x31 = Load<TVector, T>(ref s0, (3 * tile) + w);
                TVector x40 = Load<TVector, T>(ref s0, 4 * tile), x41 = Load<TVector, T>(ref s0, (4 * tile) + w), x50 = Load<TVector, T>(ref s0, 5 * tile), x51 = Load<TVector, T>(ref s0, (5 * tile) + w);
                int a0 = at[0], a1 = at[1], a2 = at[2], a3 = at[3], a4 = at[4], a5 = at[5];
                for (int q = 0; q < taps; q++)
                {
                    int ky = q / k, kx = q - (ky * k);
                    if (!ReachesAny(iy, ix, rows, padding - ky, padding - kx, outHeight, outWidth)) continue;   // every sum would be dropped below
                    ReadOnlySpan<T> panel = block.Slice(q * outChannels * tile, outChannels * tile);
                    ref T pw = ref MemoryMarshal.GetReference(panel);
                    ref T tap = ref Unsafe.Add(ref bars, ((k - 1 - ky) * frameWidth) + (k - 1 - kx));
                    TVector c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
                    TVector c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
                    for (int o = 0; o < outChannels; o++)
                    {
                        TVector b0 = Load<TVector, T>(ref pw, o * tile), b1 = Load<TVector, T>(ref pw, (o * tile) + w);
                        ref T channel = ref Unsafe.Add(ref tap, o * framePlane);
                        TVector a = TOps.Broadcast(Unsafe.Add(ref channel, a0));
                        c00 = TOps.MultiplyAdd(a, b0, c00);
                        c01 = TOps.MultiplyAdd(a, b1, c01);
                        a = TOps.Broadcast(Unsafe.Add(ref channel, a1));
                        c10 = TOps.MultiplyAdd(a, b0, c10);
                        c11 = TOps.MultiplyAdd(a, b1, c11);
                        a = TOps.Broadcast(Unsafe.Add(ref channel, a2));
                        c20 = TOps.MultiplyAdd(a, b0, c20);
                        c21 = TOps.MultiplyAdd(a, b1, c21);
                        a = TOps.Broadcast(Unsafe.Add(ref channel, a3));
                        c30 = TOps.MultiplyAdd(a, b0, c30);
                        c31 = TOps.MultiplyAdd(a, b1, c31);
                        a = TOps.Broadcast(Unsafe.Add(ref channel, a4));
                        c40 = TOps.MultiplyAdd(a, b0, c40);
                        c41 = TOps.MultiplyAdd(a, b1, c41);
                        a = TOps.Broadcast(Unsafe.Add(ref channel, a5));
                        c50 = TOps.MultiplyAdd(a, b0, c50);
                        c51 = TOps.MultiplyAdd(a, b1, c51);
                    }

                    // Tap (ky, kx) of input pixel (y, x) reads output pixel (y + padding − ky, x + padding − kx): added only where
                    // that pixel exists, as the folding adds only the patches' entries inside the image.
                    int dy = padding - ky, dx = padding - kx;
                    if (Reaches(iy[0] + dy, ix[0] + dx, outHeight, outWidth)) { x00 = TOps.Add(x00, c00); x01 = TOps.Add(x01, c01); }
                    if (rows > 1 && Reaches(iy[1] + dy, ix[1] + dx, outHeight, outWidth)) { x10 = TOps.Add(x10, c10); x11 = TOps.Add(x11, c11); }
                    if (rows > 2 && Reaches(iy[2] + dy, ix[2] + dx, outHeight, outWidth)) { x20 = TOps.Add(x20, c20); x21 = TOps.Add(x21, c21); }
                    if (rows > 3 && Reaches(iy[3] + dy, ix[3] + dx, outHeight, outWidth)) { x30 = TOps.Add(x30, c30); x31 = TOps.Add(x31, c31); }
                    if (rows > 4 && Reaches(iy[4] + dy, ix[4] + dx, outHeight, outWidth)) { x40 = TOps.Add(x40, c40); x41 = TOps.Add(x41, c41); }
                    if (rows > 5 && Reaches(iy[5] + dy, ix[5] + dx, outHeight, outWidth)) { x50 = TOps.Add(x50, c50); x51 = TOps.Add(x51, c51); }
                }

                StoreRows<TVector, T>(sums, tile, w, x00, x01, x10, x11, x20, x21, x30, x31, x40, x41, x50, x51);
                ScatterInputTile(sums, xBar, c0, lanes, pixels, i0, rows, tile);
            }
        }

        return TimePlaneGradient<TOps, TVector, T>(shape, packedWeights, tile, yBar, timeValues);
    }

    /// <summary>
    /// <see cref="InputGradient{TOps, TVector, T}"/> on tiles of <see cref="Gemm.RowTile"/> input pixels by four vectors of planes
    /// (two of its plane tiles: the weights packed for the input with 2·width): 24 accumulators, each broadcast feeding four
    /// multiply-adds (for Zen 5's two 512-bit FMA pipes). The running xBar stays in the tile's rows in memory, as there are not
    /// registers for it; each entry gets the same additions in the same order: the same bits. RoundUp(planes, 2·width) must be a
    /// multiple of 4·width.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static T InputGradientWide<TOps, TVector, T>(InputShape shape, ReadOnlySpan<T> packedWeights, ReadOnlySpan<T> yBar,
        ReadOnlySpan<T> yBarFrame, Span<T> xBar, Span<T> timeValues)
        where TOps : struct, IGemmOps<TVector, T>
        where TVector : unmanaged
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = TOps.Count, panelWidth = 2 * w, tile = 4 * w, k = shape.Kernel, taps = k * k, outChannels = shape.OutChannels, images = shape.Images;
        int height = shape.Height, width = shape.Width, pixels = height * width, outHeight = shape.OutHeight, outWidth = shape.OutWidth;
        int frameWidth = shape.FrameWidth, framePlane = shape.FramePlane, padding = shape.Padding;
        Span<T> sums = stackalloc T[Gemm.RowTile * 64];
        Span<int> at = stackalloc int[Gemm.RowTile], iy = stackalloc int[Gemm.RowTile], ix = stackalloc int[Gemm.RowTile];
        ref T bars = ref MemoryMarshal.GetReference(yBarFrame);
        nint second = (nint)panelWidth * taps * outChannels;   // from a panel of the first plane tile to the second tile's
        for (int c0 = 0; c0 < images; c0 += tile)
        {
            ReadOnlySpan<T> block = packedWeights.Slice(c0 * taps * outChannels, taps * outChannels * tile);
            int lanes = Math.Min(tile, images - c0);
            for (int i0 = 0; i0 < pixels; i0 += Gemm.RowTile)
            {
                int rows = Math.Min(Gemm.RowTile, pixels - i0);
                InputTilePixels(i0, rows, width, frameWidth, iy, ix, at);
                GatherInputTile(xBar, sums, c0, lanes, pixels, i0, rows, tile);   // the tile's running xBar, [pixel][plane]
                ref T s0 = ref MemoryMarshal.GetReference(sums);
                int a0 = at[0], a1 = at[1], a2 = at[2], a3 = at[3], a4 = at[4], a5 = at[5];
                for (int q = 0; q < taps; q++)
                {
                    int ky = q / k, kx = q - (ky * k);
                    if (!ReachesAny(iy, ix, rows, padding - ky, padding - kx, outHeight, outWidth)) continue;
                    ReadOnlySpan<T> panel = block.Slice(q * outChannels * panelWidth, outChannels * panelWidth);
                    ref T pw = ref MemoryMarshal.GetReference(panel);
                    ref T tap = ref Unsafe.Add(ref bars, ((k - 1 - ky) * frameWidth) + (k - 1 - kx));
                    TVector c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
                    TVector c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
                    TVector c40 = default, c41 = default, c42 = default, c43 = default, c50 = default, c51 = default, c52 = default, c53 = default;
                    for (int o = 0; o < outChannels; o++)
                    {
                        ref T wo = ref Unsafe.Add(ref pw, o * panelWidth);
                        TVector b0 = Load<TVector, T>(ref wo, 0), b1 = Load<TVector, T>(ref wo, w);
                        TVector b2 = Load<TVector, T>(ref wo, second), b3 = Load<TVector, T>(ref wo, second + w);
                        ref T channel = ref Unsafe.Add(ref tap, o * framePlane);
                        TVector a = TOps.Broadcast(Unsafe.Add(ref channel, a0));
                        c00 = TOps.MultiplyAdd(a, b0, c00);
                        c01 = TOps.MultiplyAdd(a, b1, c01);
                        c02 = TOps.MultiplyAdd(a, b2, c02);
                        c03 = TOps.MultiplyAdd(a, b3, c03);
                        a = TOps.Broadcast(Unsafe.Add(ref channel, a1));
                        c10 = TOps.MultiplyAdd(a, b0, c10);
                        c11 = TOps.MultiplyAdd(a, b1, c11);
                        c12 = TOps.MultiplyAdd(a, b2, c12);
                        c13 = TOps.MultiplyAdd(a, b3, c13);
                        a = TOps.Broadcast(Unsafe.Add(ref channel, a2));
                        c20 = TOps.MultiplyAdd(a, b0, c20);
                        c21 = TOps.MultiplyAdd(a, b1, c21);
                        c22 = TOps.MultiplyAdd(a, b2, c22);
                        c23 = TOps.MultiplyAdd(a, b3, c23);
                        a = TOps.Broadcast(Unsafe.Add(ref channel, a3));
                        c30 = TOps.MultiplyAdd(a, b0, c30);
                        c31 = TOps.MultiplyAdd(a, b1, c31);
                        c32 = TOps.MultiplyAdd(a, b2, c32);
                        c33 = TOps.MultiplyAdd(a, b3, c33);
                        a = TOps.Broadcast(Unsafe.Add(ref channel, a4));
                        c40 = TOps.MultiplyAdd(a, b0, c40);
                        c41 = TOps.MultiplyAdd(a, b1, c41);
                        c42 = TOps.MultiplyAdd(a, b2, c42);
                        c43 = TOps.MultiplyAdd(a, b3, c43);
                        a = TOps.Broadcast(Unsafe.Add(ref channel, a5));
                        c50 = TOps.MultiplyAdd(a, b0, c50);
                        c51 = TOps.MultiplyAdd(a, b1, c51);
                        c52 = TOps.MultiplyAdd(a, b2, c52);
                        c53 = TOps.MultiplyAdd(a, b3, c53);
                    }

                    // Added only where the tap reaches an output pixel, as InputGradient adds them.
                    int dy = padding - ky, dx = padding - kx;
                    if (Reaches(iy[0] + dy, ix[0] + dx, outHeight, outWidth)) AddRow<TOps, TVector, T>(ref s0, w, c00, c01, c02, c03);
                    if (rows > 1 && Reaches(iy[1] + dy, ix[1] + dx, outHeight, outWidth)) AddRow<TOps, TVector, T>(ref Unsafe.Add(ref s0, tile), w, c10, c11, c12, c13);
                    if (rows > 2 && Reaches(iy[2] + dy, ix[2] + dx, outHeight, outWidth)) AddRow<TOps, TVector, T>(ref Unsafe.Add(ref s0, 2 * tile), w, c20, c21, c22, c23);
                    if (rows > 3 && Reaches(iy[3] + dy, ix[3] + dx, outHeight, outWidth)) AddRow<TOps, TVector, T>(ref Unsafe.Add(ref s0, 3 * tile), w, c30, c31, c32, c33);
                    if (rows > 4 && Reaches(iy[4] + dy, ix[4] + dx, outHeight, outWidth)) AddRow<TOps, TVector, T>(ref Unsafe.Add(ref s0, 4 * tile), w, c40, c41, c42, c43);
                    if (rows > 5 && Reaches(iy[5] + dy, ix[5] + dx, outHeight, outWidth)) AddRow<TOps, TVector, T>(ref Unsafe.Add(ref s0, 5 * tile), w, c50, c51, c52, c53);
                }

                ScatterInputTile(sums, xBar, c0, lanes, pixels, i0, rows, tile);
            }
        }

        return TimePlaneGradient<TOps, TVector, T>(shape, packedWeights, panelWidth, yBar, timeValues);
    }

    // row[0 … 4w) += (c0, c1, c2, c3), a vector at a time.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRow<TOps, TVector, T>(ref T row, int w, TVector c0, TVector c1, TVector c2, TVector c3)
        where TOps : struct, IGemmOps<TVector, T>
        where TVector : unmanaged
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Unsafe.WriteUnaligned(ref Unsafe.As<T, byte>(ref row), TOps.Add(Load<TVector, T>(ref row, 0), c0));
        Unsafe.WriteUnaligned(ref Unsafe.As<T, byte>(ref Unsafe.Add(ref row, w)), TOps.Add(Load<TVector, T>(ref row, w), c1));
        Unsafe.WriteUnaligned(ref Unsafe.As<T, byte>(ref Unsafe.Add(ref row, 2 * w)), TOps.Add(Load<TVector, T>(ref row, 2 * w), c2));
        Unsafe.WriteUnaligned(ref Unsafe.As<T, byte>(ref Unsafe.Add(ref row, 3 * w)), TOps.Add(Load<TVector, T>(ref row, 3 * w), c3));
    }

    /// <summary>
    /// <see cref="InputGradient{TOps, TVector, T}"/> on tiles of <see cref="TallRows"/> input pixels by one vector of planes (the
    /// weights packed for the input with a tile of one vector): for 16 float planes on Vector512, where two Vector256 ran six
    /// rows below the FMA rate (as <see cref="ForwardTall{TOps, TVector, T}"/> for the forward pass). Each entry's sums are the
    /// same chains in the same order, so the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static T InputGradientTall<TOps, TVector, T>(InputShape shape, ReadOnlySpan<T> packedWeights, ReadOnlySpan<T> yBar,
        ReadOnlySpan<T> yBarFrame, Span<T> xBar, Span<T> timeValues)
        where TOps : struct, IGemmOps<TVector, T>
        where TVector : unmanaged
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int tile = TOps.Count, k = shape.Kernel, taps = k * k, outChannels = shape.OutChannels, images = shape.Images;
        int height = shape.Height, width = shape.Width, pixels = height * width, outHeight = shape.OutHeight, outWidth = shape.OutWidth;
        int frameWidth = shape.FrameWidth, framePlane = shape.FramePlane, padding = shape.Padding;
        Span<T> sums = stackalloc T[TallRows * 64];
        Span<int> at = stackalloc int[TallRows], iy = stackalloc int[TallRows], ix = stackalloc int[TallRows];
        ref T bars = ref MemoryMarshal.GetReference(yBarFrame);
        for (int c0 = 0; c0 < images; c0 += tile)
        {
            ReadOnlySpan<T> block = packedWeights.Slice(c0 * taps * outChannels, taps * outChannels * tile);
            int lanes = Math.Min(tile, images - c0);
            for (int i0 = 0; i0 < pixels; i0 += TallRows)
            {
                int rows = Math.Min(TallRows, pixels - i0);
                InputTilePixels(i0, rows, width, frameWidth, iy, ix, at);
                GatherInputTile(xBar, sums, c0, lanes, pixels, i0, rows, tile);   // the tile's running xBar, [pixel][plane]

                ref T s0 = ref MemoryMarshal.GetReference(sums);
                TVector x0 = Load<TVector, T>(ref s0, 0), x1 = Load<TVector, T>(ref s0, tile), x2 = Load<TVector, T>(ref s0, 2 * tile), x3 = Load<TVector, T>(ref s0, 3 * tile);
                TVector x4 = Load<TVector, T>(ref s0, 4 * tile), x5 = Load<TVector, T>(ref s0, 5 * tile), x6 = Load<TVector, T>(ref s0, 6 * tile), x7 = Load<TVector, T>(ref s0, 7 * tile);
                TVector x8 = Load<TVector, T>(ref s0, 8 * tile), x9 = Load<TVector, T>(ref s0, 9 * tile), x10 = Load<TVector, T>(ref s0, 10 * tile), x11 = Load<TVector, T>(ref s0, 11 * tile);
                int a0 = at[0], a1 = at[1], a2 = at[2], a3 = at[3], a4 = at[4], a5 = at[5], a6 = at[6], a7 = at[7], a8 = at[8], a9 = at[9], a10 = at[10], a11 = at[11];
                for (int q = 0; q < taps; q++)
                {
                    int ky = q / k, kx = q - (ky * k);
                    if (!ReachesAny(iy, ix, rows, padding - ky, padding - kx, outHeight, outWidth)) continue;   // every sum would be dropped below
                    ReadOnlySpan<T> panel = block.Slice(q * outChannels * tile, outChannels * tile);
                    ref T pw = ref MemoryMarshal.GetReference(panel);
                    ref T tap = ref Unsafe.Add(ref bars, ((k - 1 - ky) * frameWidth) + (k - 1 - kx));
                    TVector c0v = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
                    TVector c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
                    for (int o = 0; o < outChannels; o++)
                    {
                        TVector b = Load<TVector, T>(ref pw, o * tile);
                        ref T channel = ref Unsafe.Add(ref tap, o * framePlane);
                        c0v = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref channel, a0)), b, c0v);
                        c1 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref channel, a1)), b, c1);
                        c2 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref channel, a2)), b, c2);
                        c3 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref channel, a3)), b, c3);
                        c4 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref channel, a4)), b, c4);
                        c5 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref channel, a5)), b, c5);
                        c6 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref channel, a6)), b, c6);
                        c7 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref channel, a7)), b, c7);
                        c8 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref channel, a8)), b, c8);
                        c9 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref channel, a9)), b, c9);
                        c10 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref channel, a10)), b, c10);
                        c11 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref channel, a11)), b, c11);
                    }

                    // As in InputGradient: added only where the tap reaches an output pixel.
                    int dy = padding - ky, dx = padding - kx;
                    if (Reaches(iy[0] + dy, ix[0] + dx, outHeight, outWidth)) x0 = TOps.Add(x0, c0v);
                    if (rows > 1 && Reaches(iy[1] + dy, ix[1] + dx, outHeight, outWidth)) x1 = TOps.Add(x1, c1);
                    if (rows > 2 && Reaches(iy[2] + dy, ix[2] + dx, outHeight, outWidth)) x2 = TOps.Add(x2, c2);
                    if (rows > 3 && Reaches(iy[3] + dy, ix[3] + dx, outHeight, outWidth)) x3 = TOps.Add(x3, c3);
                    if (rows > 4 && Reaches(iy[4] + dy, ix[4] + dx, outHeight, outWidth)) x4 = TOps.Add(x4, c4);
                    if (rows > 5 && Reaches(iy[5] + dy, ix[5] + dx, outHeight, outWidth)) x5 = TOps.Add(x5, c5);
                    if (rows > 6 && Reaches(iy[6] + dy, ix[6] + dx, outHeight, outWidth)) x6 = TOps.Add(x6, c6);
                    if (rows > 7 && Reaches(iy[7] + dy, ix[7] + dx, outHeight, outWidth)) x7 = TOps.Add(x7, c7);
                    if (rows > 8 && Reaches(iy[8] + dy, ix[8] + dx, outHeight, outWidth)) x8 = TOps.Add(x8, c8);
                    if (rows > 9 && Reaches(iy[9] + dy, ix[9] + dx, outHeight, outWidth)) x9 = TOps.Add(x9, c9);
                    if (rows > 10 && Reaches(iy[10] + dy, ix[10] + dx, outHeight, outWidth)) x10 = TOps.Add(x10, c10);
                    if (rows > 11 && Reaches(iy[11] + dy, ix[11] + dx, outHeight, outWidth)) x11 = TOps.Add(x11, c11);
                }

                StoreTall<TVector, T>(sums, tile, x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11);
                ScatterInputTile(sums, xBar, c0, lanes, pixels, i0, rows, tile);
            }
        }

        return TimePlaneGradient<TOps, TVector, T>(shape, packedWeights, tile, yBar, timeValues);
    }

    // ∂L/∂t of the input gradient (0 without a time plane): the time plane's patch adjoints, each a chain over the output
    // channels, summed in the folding's order. `tile` is the packing's plane tile (the time weights follow the tiles).
    private static T TimePlaneGradient<TOps, TVector, T>(InputShape shape, ReadOnlySpan<T> packedWeights, int tile, ReadOnlySpan<T> yBar, Span<T> timeValues)
        where TOps : struct, IGemmOps<TVector, T>
        where TVector : unmanaged
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!shape.TimePlane) return T.Zero;
        int w = TOps.Count, k = shape.Kernel, taps = k * k, outChannels = shape.OutChannels, images = shape.Images;
        int height = shape.Height, width = shape.Width, outHeight = shape.OutHeight, outWidth = shape.OutWidth, padding = shape.Padding;

        // The time plane's patch adjoints, [tap][output pixel]: the same chains over the output channels (one lane each).
        int outPixels = outHeight * outWidth;
        ReadOnlySpan<T> timeWeights = packedWeights.Slice(RoundUp(images, tile) * taps * outChannels, taps * outChannels);
        ref T y0 = ref MemoryMarshal.GetReference(yBar);
        for (int q = 0; q < taps; q++)
        {
            ReadOnlySpan<T> weights = timeWeights.Slice(q * outChannels, outChannels);
            Span<T> values = timeValues.Slice(q * outPixels, outPixels);
            int j = 0;
            for (; j + w <= outPixels; j += w)
            {
                TVector sum = default;
                for (int o = 0; o < outChannels; o++) sum = TOps.MultiplyAdd(TOps.Broadcast(weights[o]), Load<TVector, T>(ref y0, (o * outPixels) + j), sum);
                Unsafe.WriteUnaligned(ref Unsafe.As<T, byte>(ref values[j]), sum);
            }

            if (j < outPixels && outPixels >= w)
            {
                // The last vector of pixels, overlapping the ones before it: each lane is its pixel's chain, so the values
                // written twice are the same bits (a scalar chain per remaining pixel cost more than the vectors).
                j = outPixels - w;
                TVector sum = default;
                for (int o = 0; o < outChannels; o++) sum = TOps.MultiplyAdd(TOps.Broadcast(weights[o]), Load<TVector, T>(ref y0, (o * outPixels) + j), sum);
                Unsafe.WriteUnaligned(ref Unsafe.As<T, byte>(ref values[j]), sum);
                j = outPixels;
            }

            for (; j < outPixels; j++)
            {
                T sum = T.Zero;
                for (int o = 0; o < outChannels; o++) sum = T.FusedMultiplyAdd(weights[o], yBar[(o * outPixels) + j], sum);
                values[j] = sum;
            }
        }

        // ∂L/∂t: the folding adds the time plane's entries tap by tap, output pixel by pixel, where the tap reads inside the image.
        T tBar = T.Zero;
        for (int q = 0; q < taps; q++)
        {
            int ky = q / k, kx = q - (ky * k);
            for (int oy = 0; oy < outHeight; oy++)
            {
                int y = oy - padding + ky;
                if ((uint)y >= (uint)height) continue;
                for (int ox = 0; ox < outWidth; ox++)
                {
                    int x = ox - padding + kx;
                    if ((uint)x < (uint)width) tBar += timeValues[(q * outPixels) + (oy * outWidth) + ox];
                }
            }
        }

        return T.Zero + tBar;
    }

    /// <summary>destination[i] = (float)source[i] (rounded to nearest), a vector at a time: the single-precision passes' inputs.</summary>
    public static void Narrow(ReadOnlySpan<double> source, Span<float> destination)
    {
        int n = source.Length, i = 0;
        if (destination.Length < n) throw new ArgumentException("Narrow: the destination is shorter than the source.", nameof(destination));
        ref double from = ref MemoryMarshal.GetReference(source);
        ref float to = ref MemoryMarshal.GetReference(destination);
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 8 <= n; i += 8)
                Vector256.Narrow(Vector256.LoadUnsafe(ref from, (nuint)i), Vector256.LoadUnsafe(ref from, (nuint)(i + 4))).StoreUnsafe(ref to, (nuint)i);
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            for (; i + 4 <= n; i += 4)
                Vector128.Narrow(Vector128.LoadUnsafe(ref from, (nuint)i), Vector128.LoadUnsafe(ref from, (nuint)(i + 2))).StoreUnsafe(ref to, (nuint)i);
        }

        for (; i < n; i++) Unsafe.Add(ref to, i) = (float)Unsafe.Add(ref from, i);
    }

    /// <summary>destination[i] += source[i] in double (each float widened exactly), a vector at a time: the single-precision passes' results.</summary>
    public static void AddWidened(ReadOnlySpan<float> source, Span<double> destination) => Widened(source, destination, accumulate: true, 0.0);

    // AddWidened for the kernels' generic tiles (T is float where it is called; a double tile is added as it is).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddWidened<T>(ReadOnlySpan<T> source, Span<double> destination)
        where T : unmanaged
    {
        if (typeof(T) == typeof(float)) Widened(MemoryMarshal.Cast<T, float>(source), destination, accumulate: true, 0.0);
        else
        {
            ReadOnlySpan<double> values = MemoryMarshal.Cast<T, double>(source);
            for (int i = 0; i < values.Length; i++) destination[i] += values[i];
        }
    }

    /// <summary>destination[i] = shift + source[i] in double (each float widened exactly): a forward pass's sums after its bias.</summary>
    public static void SetWidened(ReadOnlySpan<float> source, double shift, Span<double> destination) => Widened(source, destination, accumulate: false, shift);

    // destination[i] = (accumulate ? destination[i] : shift) + (double)source[i].
    private static void Widened(ReadOnlySpan<float> source, Span<double> destination, bool accumulate, double shift)
    {
        int n = source.Length, i = 0;
        if (destination.Length < n) throw new ArgumentException("Widened: the destination is shorter than the source.", nameof(destination));
        ref float from = ref MemoryMarshal.GetReference(source);
        ref double to = ref MemoryMarshal.GetReference(destination);
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<double> start = Vector256.Create(shift);
            for (; i + 8 <= n; i += 8)
            {
                (Vector256<double> lower, Vector256<double> upper) = Vector256.Widen(Vector256.LoadUnsafe(ref from, (nuint)i));
                ((accumulate ? Vector256.LoadUnsafe(ref to, (nuint)i) : start) + lower).StoreUnsafe(ref to, (nuint)i);
                ((accumulate ? Vector256.LoadUnsafe(ref to, (nuint)(i + 4)) : start) + upper).StoreUnsafe(ref to, (nuint)(i + 4));
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            Vector128<double> start = Vector128.Create(shift);
            for (; i + 4 <= n; i += 4)
            {
                (Vector128<double> lower, Vector128<double> upper) = Vector128.Widen(Vector128.LoadUnsafe(ref from, (nuint)i));
                ((accumulate ? Vector128.LoadUnsafe(ref to, (nuint)i) : start) + lower).StoreUnsafe(ref to, (nuint)i);
                ((accumulate ? Vector128.LoadUnsafe(ref to, (nuint)(i + 2)) : start) + upper).StoreUnsafe(ref to, (nuint)(i + 2));
            }
        }

        for (; i < n; i++) Unsafe.Add(ref to, i) = (accumulate ? Unsafe.Add(ref to, i) : shift) + Unsafe.Add(ref from, i);
    }

    // The input-gradient kernels' tile bookkeeping (both row counts): each row's input pixel, as (y, x) and as its offset in
    // the ∂L/∂Y frame; a short tile repeats its last pixel, and never adds it.
    private static void InputTilePixels(int i0, int rows, int width, int frameWidth, Span<int> iy, Span<int> ix, Span<int> at)
    {
        for (int r = 0; r < at.Length; r++)
        {
            int i = i0 + Math.Min(r, rows - 1);
            iy[r] = i / width;
            ix[r] = i - (iy[r] * width);
            at[r] = (iy[r] * frameWidth) + ix[r];
        }
    }

    // xBar's entries of a tile of input pixels by planes into sums ([pixel][plane], unused entries zero; a full tile of 64 float
    // planes, the wide kernel's, in AVX-512 registers and without the zeros, which no store reads), and back.
    private static void GatherInputTile<T>(ReadOnlySpan<T> xBar, Span<T> sums, int c0, int lanes, int pixels, int i0, int rows, int tile)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (InRegisters<T>(tile, lanes, rows))
        {
            if (xBar.Length < ((c0 + lanes - 1) * pixels) + i0 + rows) throw new ArgumentException("Direct input gradient: xBar is too short.");
            TransposeTile(ref Unsafe.As<T, float>(ref Unsafe.Add(ref MemoryMarshal.GetReference(xBar), (c0 * pixels) + i0)), pixels,
                ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(sums[..(TallRows * tile)])));
            return;
        }

        if (SixByFour<T>(tile, lanes, rows))
        {
            if (xBar.Length < ((c0 + lanes - 1) * pixels) + i0 + rows) throw new ArgumentException("Direct input gradient: xBar is too short.");
            LoadTransposed(xBar, (c0 * pixels) + i0, pixels, lanes, rows, sums, tile);
            return;
        }

        sums.Clear();
        for (int l = 0; l < lanes; l++)
        {
            ReadOnlySpan<T> plane = xBar.Slice((c0 + l) * pixels, pixels);
            for (int r = 0; r < rows; r++) sums[(r * tile) + l] = plane[i0 + r];
        }
    }

    private static void ScatterInputTile<T>(ReadOnlySpan<T> sums, Span<T> xBar, int c0, int lanes, int pixels, int i0, int rows, int tile)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (InRegisters<T>(tile, lanes, rows))
        {
            if (xBar.Length < ((c0 + lanes - 1) * pixels) + i0 + rows) throw new ArgumentException("Direct input gradient: xBar is too short.");
            StoreTransposed(ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(sums[..(TallRows * tile)])),
                ref Unsafe.As<T, float>(ref Unsafe.Add(ref MemoryMarshal.GetReference(xBar), (c0 * pixels) + i0)), pixels, add: false);
            return;
        }

        if (SixByFour<T>(tile, lanes, rows))
        {
            if (xBar.Length < ((c0 + lanes - 1) * pixels) + i0 + rows) throw new ArgumentException("Direct input gradient: xBar is too short.");
            StoreTransposed(sums, tile, lanes, rows, xBar, (c0 * pixels) + i0, pixels);
            return;
        }

        for (int l = 0; l < lanes; l++)
        {
            Span<T> plane = xBar.Slice((c0 + l) * pixels, pixels);
            for (int r = 0; r < rows; r++) plane[i0 + r] = sums[(r * tile) + l];
        }
    }

    private static bool Reaches(int y, int x, int height, int width) => (uint)y < (uint)height && (uint)x < (uint)width;

    // Whether a tap at (dy, dx) from the first `rows` pixels of a tile reaches an output pixel for any of them: when it reaches
    // none (a tile of pixels along the image's edge, a tap into the output's zero frame), the input-gradient kernels skip the
    // tap's multiply-adds, whose sums they would not add (3×3 taps, padding 1 on 6×6 images: a third of the taps of the first
    // and the last row of pixels, a ninth of all).
    private static bool ReachesAny(ReadOnlySpan<int> iy, ReadOnlySpan<int> ix, int rows, int dy, int dx, int height, int width)
    {
        for (int r = 0; r < rows; r++)
        {
            if (Reaches(iy[r] + dy, ix[r] + dx, height, width)) return true;
        }

        return false;
    }

    /// <summary>
    /// Which taps each tile of output pixels of a direct forward product reads inside the image, for the kernels to skip the
    /// others: a tap every pixel of a tile reads in the frame's zero margin adds fused multiply-adds by zero only (3×3 taps with
    /// padding 1 on 6×6 images: a tile of six pixels is a row of the image, and the first and the last row read a third of their
    /// taps in the margin).
    /// </summary>
    /// <remarks>
    /// Skipping keeps the bits: a chain of fused multiply-adds starts at +0, and in round-to-nearest it never holds −0 (an exact
    /// zero sum is +0 unless both terms are −0), so fma(0, w, c) = c + (±0) = c for every finite weight w. The kernels keep
    /// the depth blocks and each block's add to y, so every output is the same chain less its terms by zero. Built once per
    /// layer geometry from the offsets themselves (whether tapOffset[q] + pixelOffset[j] lands inside the image of its plane),
    /// so it assumes no tap order; the caller promises that the frame's margins hold zeros.
    /// </remarks>
    internal sealed class PaddingSkips
    {
        // Per tile of RowTile (Short) or TallRows (Tall) pixels its kind; per kind its taps (ascending, into Lists) from
        // BlockStarts[kind·(Blocks + 1) + block] to the next entry, block by depth block.
        private readonly int[] _short, _tall;

        // Whether the tiles of RowTile (TallRows) pixels skip any tap.
        private readonly bool _skipsShort, _skipsTall;

        /// <summary>
        /// Plans the skips of the product that reads tap q of pixel j at <paramref name="tapOffset"/>[q] + <paramref name="pixelOffset"/>[j]
        /// of frames whose planes are <paramref name="planeLength"/> values, rows <paramref name="frameWidth"/> long, the image
        /// the <paramref name="height"/> × <paramref name="width"/> rectangle at (<paramref name="top"/>, <paramref name="left"/>)
        /// of each plane, zero around it. The arrays are kept, not copied: they are the product's offsets.
        /// </summary>
        public PaddingSkips(int[] tapOffset, int[] pixelOffset, int planeLength, int frameWidth, int top, int left, int height, int width)
        {
            if (tapOffset.Length == 0 || pixelOffset.Length == 0 || planeLength <= 0 || frameWidth <= 0)
                throw new ArgumentException("Padding skips: no taps, no pixels or an empty frame.");
            TapOffset = tapOffset;
            PixelOffset = pixelOffset;
            (int tapMin, int tapMax) = Range(tapOffset);
            (int min, int max) = Range(pixelOffset);
            Lowest = (long)tapMin + min;
            Highest = (long)tapMax + max;
            Blocks = (tapOffset.Length + Gemm.DepthBlock - 1) / Gemm.DepthBlock;

            // Whether a read lands inside depends on the tap only through its offset within a plane: the taps fall into a few
            // residues (k² for a k×k kernel), and a tile's kind is the residues it reads inside.
            var residues = new Dictionary<int, int>();
            int[] residueOf = new int[tapOffset.Length];
            for (int q = 0; q < tapOffset.Length; q++)
            {
                int r = Mod(tapOffset[q], planeLength);
                if (!residues.TryGetValue(r, out int index)) residues.Add(r, index = residues.Count);
                residueOf[q] = index;
            }

            int[] residueValue = new int[residues.Count];
            foreach ((int r, int index) in residues) residueValue[index] = r;
            var kinds = new List<bool[]>();
            var lists = new List<int>();
            var starts = new List<int>();
            int[] Plan(int rowTile)
            {
                int[] kindOfTile = new int[(pixelOffset.Length + rowTile - 1) / rowTile];
                bool[] reads = new bool[residueValue.Length];
                for (int t = 0; t < kindOfTile.Length; t++)
                {
                    int j0 = t * rowTile, rows = Math.Min(rowTile, pixelOffset.Length - j0);
                    for (int i = 0; i < reads.Length; i++)
                    {
                        reads[i] = false;
                        for (int r = 0; r < rows && !reads[i]; r++)
                        {
                            int at = Mod(residueValue[i] + pixelOffset[j0 + r], planeLength), row = at / frameWidth, column = at - (row * frameWidth);
                            reads[i] = row >= top && row < top + height && column >= left && column < left + width;
                        }
                    }

                    int kind = kinds.FindIndex(k => k.AsSpan().SequenceEqual(reads));
                    if (kind < 0)
                    {
                        kind = kinds.Count;
                        kinds.Add((bool[])reads.Clone());
                        for (int block = 0; block < Blocks; block++)
                        {
                            starts.Add(lists.Count);
                            for (int q = block * Gemm.DepthBlock; q < Math.Min(tapOffset.Length, (block + 1) * Gemm.DepthBlock); q++)
                            {
                                if (reads[residueOf[q]]) lists.Add(q);
                            }
                        }

                        starts.Add(lists.Count);
                    }

                    kindOfTile[t] = kind;
                }

                return kindOfTile;
            }

            _short = Plan(Gemm.RowTile);
            _tall = Plan(TallRows);
            Lists = [.. lists];
            BlockStarts = [.. starts];
            _skipsShort = Reads(Gemm.RowTile) < (long)tapOffset.Length * pixelOffset.Length;
            _skipsTall = Reads(TallRows) < (long)tapOffset.Length * pixelOffset.Length;
        }

        /// <summary>
        /// The plan for the kernel with tiles of <paramref name="rowTile"/> pixels, or null where it skips nothing (no padding,
        /// or tiles too tall): the kernel then reads its taps in order without looking up a tile's list, which on nine taps a
        /// tile (the first convolution's one plane) cost 3–9 %.
        /// </summary>
        internal static PaddingSkips? For(PaddingSkips? skips, int rowTile) =>
            skips is not null && (rowTile == TallRows ? skips._skipsTall : skips._skipsShort) ? skips : null;

        /// <summary>The product's tap offsets (the array given).</summary>
        public int[] TapOffset { get; }

        /// <summary>The product's pixel offsets (the array given).</summary>
        public int[] PixelOffset { get; }

        /// <summary>The least and the greatest offset the product reads (the frame must hold Highest + 1 values).</summary>
        public long Lowest { get; }

        /// <inheritdoc cref="Lowest"/>
        public long Highest { get; }

        internal int Blocks { get; }

        internal int[] Lists { get; }

        internal int[] BlockStarts { get; }

        /// <summary>The kinds of the tiles of <paramref name="rowTile"/> pixels (<see cref="Gemm.RowTile"/> or <see cref="TallRows"/>).</summary>
        internal int[] KindsOf(int rowTile) => rowTile == TallRows ? _tall : rowTile == Gemm.RowTile ? _short : throw new ArgumentOutOfRangeException(nameof(rowTile));

        /// <summary>The tap-pixel pairs the kernel with tiles of <paramref name="rowTile"/> pixels multiplies (a short tile counts its pixels): the work left.</summary>
        public long Reads(int rowTile)
        {
            int[] kinds = KindsOf(rowTile);
            long total = 0;
            for (int t = 0; t < kinds.Length; t++)
            {
                int rows = Math.Min(rowTile, PixelOffset.Length - (t * rowTile));
                total += (long)rows * (BlockStarts[(kinds[t] * (Blocks + 1)) + Blocks] - BlockStarts[kinds[t] * (Blocks + 1)]);
            }

            return total;
        }

        private static int Mod(int value, int modulus) => ((value % modulus) + modulus) % modulus;
    }

    // 0, 1, 2, …: the tap order of a product without skips (shared, grown as needed; an array once published is never written).
    private static int[] s_identity = [];

    private static int[] Identity(int count)
    {
        int[] identity = Volatile.Read(ref s_identity);
        if (identity.Length >= count) return identity;
        identity = new int[Math.Max(count, 2 * identity.Length)];
        for (int i = 0; i < identity.Length; i++) identity[i] = i;
        Volatile.Write(ref s_identity, identity);
        return identity;
    }

    // Where a tile's taps of one depth block start and end in `list` (an identity list without skips).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (int Start, int End) TileTaps(PaddingSkips? skips, ReadOnlySpan<int> kinds, int tile, int block, int pc, int kc)
    {
        if (skips is null) return (pc, pc + kc);
        int at = (kinds[tile] * (skips.Blocks + 1)) + block;
        return (skips.BlockStarts[at], skips.BlockStarts[at + 1]);
    }

    /// <summary><paramref name="value"/> rounded up to a multiple of <paramref name="multiple"/>.</summary>
    public static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    private static void RequireInside(int length, PaddingSkips skips)
    {
        if (skips.Lowest < 0 || skips.Highest >= length)
            throw new ArgumentException($"Direct convolution: the offsets reach outside the padded input of {length} values.");
    }

    // Every read the kernels make is input[tapOffset[q] + offset[j]]: checked once here so the kernels can read unchecked.
    private static void RequireInside(int length, ReadOnlySpan<int> tapOffset, ReadOnlySpan<int> offset)
    {
        if (tapOffset.IsEmpty || offset.IsEmpty) return;
        (int tapMin, int tapMax) = Range(tapOffset);
        (int min, int max) = Range(offset);
        if (tapMin + min < 0 || (long)tapMax + max >= length)
            throw new ArgumentException($"Direct convolution: the offsets reach outside the padded input of {length} values.");
    }

    // The least and greatest of the values, eight at a time where the hardware has the vectors (the check ran a tenth as long
    // as the 16-channel forward kernel it guarded, one value after another).
    internal static (int Min, int Max) Range(ReadOnlySpan<int> values)
    {
        int i = 0, min = int.MaxValue, max = int.MinValue;
        if (Vector256.IsHardwareAccelerated && values.Length >= Vector256<int>.Count)
        {
            ref int v0 = ref MemoryMarshal.GetReference(values);
            Vector256<int> low = Vector256.Create(int.MaxValue), high = Vector256.Create(int.MinValue);
            for (; i + Vector256<int>.Count <= values.Length; i += Vector256<int>.Count)
            {
                Vector256<int> v = Vector256.LoadUnsafe(ref v0, (nuint)i);
                low = Vector256.Min(low, v);
                high = Vector256.Max(high, v);
            }

            for (int l = 0; l < Vector256<int>.Count; l++) (min, max) = (Math.Min(min, low[l]), Math.Max(max, high[l]));
        }

        for (; i < values.Length; i++) (min, max) = (Math.Min(min, values[i]), Math.Max(max, values[i]));
        return (min, max);
    }

    /// <summary><see cref="Forward(int, int, ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{int}, ReadOnlySpan{int}, Span{double})"/> at the width of <typeparamref name="TOps"/>, unchecked (tests hold every width to the others); the weights packed for that width.</summary>
    /// <remarks>Loop order: depth block, channel tile, pixel tile; a tile's sums over the block are added to y as the product's Store adds them.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Forward<TOps, TVector, T>(int outChannels, int pixels, ReadOnlySpan<T> packedWeights, ReadOnlySpan<T> input,
        ReadOnlySpan<int> tapOffset, ReadOnlySpan<int> pixelOffset, Span<T> y, PaddingSkips? skips = null, bool overwrite = false)
        where TOps : struct, IGemmOps<TVector, T>
        where TVector : unmanaged
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = TOps.Count, tile = 2 * w, taps = tapOffset.Length;
        Span<T> sums = stackalloc T[Gemm.RowTile * 32];
        Span<int> at = stackalloc int[Gemm.RowTile];
        ref T x = ref MemoryMarshal.GetReference(input);
        ref int offsets = ref MemoryMarshal.GetReference(tapOffset);
        skips = PaddingSkips.For(skips, Gemm.RowTile);
        ReadOnlySpan<int> kinds = skips is null ? default : skips.KindsOf(Gemm.RowTile);
        ref int list = ref MemoryMarshal.GetArrayDataReference(skips is null ? Identity(taps) : skips.Lists);
        for (int pc = 0, block = 0; pc < taps; pc += Gemm.DepthBlock, block++)
        {
            int kc = Math.Min(Gemm.DepthBlock, taps - pc);
            for (int o0 = 0; o0 < outChannels; o0 += tile)
            {
                ReadOnlySpan<T> panel = packedWeights.Slice(o0 * taps, taps * tile);
                ref T pw = ref MemoryMarshal.GetReference(panel);
                int channels = Math.Min(tile, outChannels - o0);
                for (int j0 = 0; j0 < pixels; j0 += Gemm.RowTile)
                {
                    int rows = Math.Min(Gemm.RowTile, pixels - j0);
                    for (int r = 0; r < Gemm.RowTile; r++) at[r] = pixelOffset[j0 + Math.Min(r, rows - 1)];   // a short tile repeats its last pixel
                    // Native-sized offsets: as ints the JIT sign-extended each of them again at every tap.
                    nint a0 = at[0], a1 = at[1], a2 = at[2], a3 = at[3], a4 = at[4], a5 = at[5];
                    (int start, int end) = TileTaps(skips, kinds, j0 / Gemm.RowTile, block, pc, kc);   // the block's taps, in order, less those skipped
                    TVector c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
                    TVector c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
                    for (nint i = start, stop = end; i < stop; i++)
                    {
                        nint q = Unsafe.Add(ref list, i);
                        TVector b0 = Load<TVector, T>(ref pw, q * tile), b1 = Load<TVector, T>(ref pw, (q * tile) + w);
                        ref T tap = ref Unsafe.Add(ref x, Unsafe.Add(ref offsets, q));
                        TVector a = TOps.Broadcast(Unsafe.Add(ref tap, a0));
                        c00 = TOps.MultiplyAdd(a, b0, c00);
                        c01 = TOps.MultiplyAdd(a, b1, c01);
                        a = TOps.Broadcast(Unsafe.Add(ref tap, a1));
                        c10 = TOps.MultiplyAdd(a, b0, c10);
                        c11 = TOps.MultiplyAdd(a, b1, c11);
                        a = TOps.Broadcast(Unsafe.Add(ref tap, a2));
                        c20 = TOps.MultiplyAdd(a, b0, c20);
                        c21 = TOps.MultiplyAdd(a, b1, c21);
                        a = TOps.Broadcast(Unsafe.Add(ref tap, a3));
                        c30 = TOps.MultiplyAdd(a, b0, c30);
                        c31 = TOps.MultiplyAdd(a, b1, c31);
                        a = TOps.Broadcast(Unsafe.Add(ref tap, a4));
                        c40 = TOps.MultiplyAdd(a, b0, c40);
                        c41 = TOps.MultiplyAdd(a, b1, c41);
                        a = TOps.Broadcast(Unsafe.Add(ref tap, a5));
                        c50 = TOps.MultiplyAdd(a, b0, c50);
                        c51 = TOps.MultiplyAdd(a, b1, c51);
                    }

                    StoreRows<TVector, T>(sums, tile, w, c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51);
                    // y is [channel][pixel]: the tile's row r is pixel j0 + r, its column l channel o0 + l.
                    if (overwrite && block == 0) StoreTransposed(sums, tile, channels, rows, y, (o0 * pixels) + j0, pixels);
                    else AddTransposed(sums, tile, channels, rows, y, (o0 * pixels) + j0, pixels);
                }
            }
        }
    }

    /// <summary>
    /// <see cref="Forward{TOps, TVector, T}"/> on tiles of six pixels by four vectors of channels: two of its channel tiles (two
    /// panels of weights packed for 2·width) at once, each broadcast feeding four multiply-adds and 24 accumulators in flight
    /// (for Zen 5's two 512-bit FMA pipes, where 12 kept them half idle). Each output the same chain: the same bits.
    /// RoundUp(outChannels, 2·width) must be a multiple of 4·width.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ForwardWide<TOps, TVector, T>(int outChannels, int pixels, ReadOnlySpan<T> packedWeights, ReadOnlySpan<T> input,
        ReadOnlySpan<int> tapOffset, ReadOnlySpan<int> pixelOffset, Span<T> y, PaddingSkips? skips = null, bool overwrite = false)
        where TOps : struct, IGemmOps<TVector, T>
        where TVector : unmanaged
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = TOps.Count, panelWidth = 2 * w, tile = 4 * w, taps = tapOffset.Length;
        Span<T> sums = stackalloc T[Gemm.RowTile * 64];
        Span<int> at = stackalloc int[Gemm.RowTile];
        ref T x = ref MemoryMarshal.GetReference(input);
        ref T running = ref MemoryMarshal.GetReference(sums);
        ref int offsets = ref MemoryMarshal.GetReference(tapOffset);
        skips = PaddingSkips.For(skips, Gemm.RowTile);
        ReadOnlySpan<int> kinds = skips is null ? default : skips.KindsOf(Gemm.RowTile);
        ref int list = ref MemoryMarshal.GetArrayDataReference(skips is null ? Identity(taps) : skips.Lists);
        for (int o0 = 0; o0 < outChannels; o0 += tile)
        {
            // The tile's two panels, [tap][2·width channels] each, one after the other.
            ReadOnlySpan<T> panels = packedWeights.Slice(o0 * taps, taps * tile);
            ref T pw = ref MemoryMarshal.GetReference(panels);
            nint second = (nint)panelWidth * taps;
            int channels = Math.Min(tile, outChannels - o0);
            for (int j0 = 0; j0 < pixels; j0 += Gemm.RowTile)
            {
                int rows = Math.Min(Gemm.RowTile, pixels - j0);
                for (int r = 0; r < Gemm.RowTile; r++) at[r] = pixelOffset[j0 + Math.Min(r, rows - 1)];   // a short tile repeats its last pixel
                nint a0 = at[0], a1 = at[1], a2 = at[2], a3 = at[3], a4 = at[4], a5 = at[5];

                // The tile's y, [row][4·width lanes], runs through every depth block here and goes back once: y += block 1's
                // chain, then block 2's, … as the blocks' transposing adds made it, one transposition each way instead of one a
                // block (a quarter of the 6×6 blocks' forward product went to those). Overwriting, the first block's chains are
                // stored, not added: the tile starts at zero.
                if (!overwrite) LoadTransposed(y, (o0 * pixels) + j0, pixels, channels, rows, sums, tile);
                for (int pc = 0, block = 0; pc < taps; pc += Gemm.DepthBlock, block++)
                {
                    int kc = Math.Min(Gemm.DepthBlock, taps - pc);
                    (int start, int end) = TileTaps(skips, kinds, j0 / Gemm.RowTile, block, pc, kc);
                    TVector c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
                    TVector c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
                    TVector c40 = default, c41 = default, c42 = default, c43 = default, c50 = default, c51 = default, c52 = default, c53 = default;
                    for (nint i = start, stop = end; i < stop; i++)
                    {
                        nint q = Unsafe.Add(ref list, i);
                        ref T wq = ref Unsafe.Add(ref pw, q * panelWidth);
                        TVector b0 = Load<TVector, T>(ref wq, 0), b1 = Load<TVector, T>(ref wq, w);
                        TVector b2 = Load<TVector, T>(ref wq, second), b3 = Load<TVector, T>(ref wq, second + w);
                        ref T tap = ref Unsafe.Add(ref x, Unsafe.Add(ref offsets, q));
                        TVector a = TOps.Broadcast(Unsafe.Add(ref tap, a0));
                        c00 = TOps.MultiplyAdd(a, b0, c00);
                        c01 = TOps.MultiplyAdd(a, b1, c01);
                        c02 = TOps.MultiplyAdd(a, b2, c02);
                        c03 = TOps.MultiplyAdd(a, b3, c03);
                        a = TOps.Broadcast(Unsafe.Add(ref tap, a1));
                        c10 = TOps.MultiplyAdd(a, b0, c10);
                        c11 = TOps.MultiplyAdd(a, b1, c11);
                        c12 = TOps.MultiplyAdd(a, b2, c12);
                        c13 = TOps.MultiplyAdd(a, b3, c13);
                        a = TOps.Broadcast(Unsafe.Add(ref tap, a2));
                        c20 = TOps.MultiplyAdd(a, b0, c20);
                        c21 = TOps.MultiplyAdd(a, b1, c21);
                        c22 = TOps.MultiplyAdd(a, b2, c22);
                        c23 = TOps.MultiplyAdd(a, b3, c23);
                        a = TOps.Broadcast(Unsafe.Add(ref tap, a3));
                        c30 = TOps.MultiplyAdd(a, b0, c30);
                        c31 = TOps.MultiplyAdd(a, b1, c31);
                        c32 = TOps.MultiplyAdd(a, b2, c32);
                        c33 = TOps.MultiplyAdd(a, b3, c33);
                        a = TOps.Broadcast(Unsafe.Add(ref tap, a4));
                        c40 = TOps.MultiplyAdd(a, b0, c40);
                        c41 = TOps.MultiplyAdd(a, b1, c41);
                        c42 = TOps.MultiplyAdd(a, b2, c42);
                        c43 = TOps.MultiplyAdd(a, b3, c43);
                        a = TOps.Broadcast(Unsafe.Add(ref tap, a5));
                        c50 = TOps.MultiplyAdd(a, b0, c50);
                        c51 = TOps.MultiplyAdd(a, b1, c51);
                        c52 = TOps.MultiplyAdd(a, b2, c52);
                        c53 = TOps.MultiplyAdd(a, b3, c53);
                    }

                    if (!overwrite || block > 0)
                    {
                        // Row r += its four vectors: channels o0 … o0 + 2w − 1 (the first panel), then the second panel's.
                        AddRow<TOps, TVector, T>(ref running, w, c00, c01, c02, c03);
                        AddRow<TOps, TVector, T>(ref Unsafe.Add(ref running, tile), w, c10, c11, c12, c13);
                        AddRow<TOps, TVector, T>(ref Unsafe.Add(ref running, 2 * tile), w, c20, c21, c22, c23);
                        AddRow<TOps, TVector, T>(ref Unsafe.Add(ref running, 3 * tile), w, c30, c31, c32, c33);
                        AddRow<TOps, TVector, T>(ref Unsafe.Add(ref running, 4 * tile), w, c40, c41, c42, c43);
                        AddRow<TOps, TVector, T>(ref Unsafe.Add(ref running, 5 * tile), w, c50, c51, c52, c53);
                    }
                    else
                    {
                        StoreRows<TVector, T>(sums, tile, w, c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51);
                        StoreRows<TVector, T>(sums[panelWidth..], tile, w, c02, c03, c12, c13, c22, c23, c32, c33, c42, c43, c52, c53);
                    }
                }

                StoreTransposed(sums, tile, channels, rows, y, (o0 * pixels) + j0, pixels);
            }
        }
    }

    // The transposing load and store of ForwardWide's running tile: tile[r·`tile` + l] and target[start + l·stride + r] for the
    // tile's `channels` lanes and `rows` rows. A full tile of 64 float lanes by six rows on AVX-512 moves 4 × 4 blocks in
    // registers (rows 0–3, then 2–5: rows 2 and 3 moved twice, the same values); the others an entry at a time. Moves only:
    // the same bits either way.
    private static void LoadTransposed<T>(ReadOnlySpan<T> target, int start, int stride, int channels, int rows, Span<T> tile, int tileWidth)
        where T : unmanaged
    {
        ref T t0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(target), start);
        ref T s0 = ref MemoryMarshal.GetReference(tile);
        if (SixByFour<T>(tileWidth, channels, rows))
        {
            for (int g = 0; g < 4; g++)
            {
                ref float from = ref Unsafe.As<T, float>(ref Unsafe.Add(ref t0, 16 * g * stride));
                ref float into = ref Unsafe.As<T, float>(ref Unsafe.Add(ref s0, 16 * g));
                LoadQuad(ref from, stride, ref into);
                LoadQuad(ref Unsafe.Add(ref from, 2), stride, ref Unsafe.Add(ref into, 2 * 64));
            }

            return;
        }

        for (int l = 0; l < channels; l++)
        {
            ref T row = ref Unsafe.Add(ref t0, l * stride);
            for (int r = 0; r < rows; r++) Unsafe.Add(ref s0, (r * tileWidth) + l) = Unsafe.Add(ref row, r);
        }
    }

    // The inverse of LoadTransposed.
    private static void StoreTransposed<T>(ReadOnlySpan<T> tile, int tileWidth, int channels, int rows, Span<T> target, int start, int stride)
        where T : unmanaged
    {
        ref T t0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(target), start);
        ref T s0 = ref MemoryMarshal.GetReference(tile);
        if (SixByFour<T>(tileWidth, channels, rows))
        {
            for (int g = 0; g < 4; g++)
            {
                ref float into = ref Unsafe.As<T, float>(ref Unsafe.Add(ref t0, 16 * g * stride));
                ref float from = ref Unsafe.As<T, float>(ref Unsafe.Add(ref s0, 16 * g));
                StoreQuad(ref from, ref into, stride);
                StoreQuad(ref Unsafe.Add(ref from, 2 * 64), ref Unsafe.Add(ref into, 2), stride);
            }

            return;
        }

        for (int l = 0; l < channels; l++)
        {
            ref T row = ref Unsafe.Add(ref t0, l * stride);
            for (int r = 0; r < rows; r++) Unsafe.Add(ref row, r) = Unsafe.Add(ref s0, (r * tileWidth) + l);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool SixByFour<T>(int tileWidth, int channels, int rows) =>
        typeof(T) == typeof(float) && Avx512F.IsSupported && tileWidth == 64 && channels == 64 && rows == Gemm.RowTile;

    // Four rows of 16 lanes (64 floats apart, from `rows`) to 16 target rows `stride` apart: lane l's four values to target row
    // l's first four entries.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreQuad(ref float rows, ref float target, int stride)
    {
        TransposeBlocks(Vector512.LoadUnsafe(ref rows), Vector512.LoadUnsafe(ref rows, 64), Vector512.LoadUnsafe(ref rows, 128), Vector512.LoadUnsafe(ref rows, 192),
            out Vector512<float> m0, out Vector512<float> m1, out Vector512<float> m2, out Vector512<float> m3);
        StoreColumns(ref target, stride, m0, add: false);
        StoreColumns(ref Unsafe.Add(ref target, stride), stride, m1, add: false);
        StoreColumns(ref Unsafe.Add(ref target, 2 * stride), stride, m2, add: false);
        StoreColumns(ref Unsafe.Add(ref target, 3 * stride), stride, m3, add: false);
    }

    // The inverse of StoreQuad.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LoadQuad(ref float source, int stride, ref float rows)
    {
        TransposeBlocks(LoadColumns(ref source, stride), LoadColumns(ref Unsafe.Add(ref source, stride), stride),
            LoadColumns(ref Unsafe.Add(ref source, 2 * stride), stride), LoadColumns(ref Unsafe.Add(ref source, 3 * stride), stride),
            out Vector512<float> r0, out Vector512<float> r1, out Vector512<float> r2, out Vector512<float> r3);
        r0.StoreUnsafe(ref rows);
        r1.StoreUnsafe(ref rows, 64);
        r2.StoreUnsafe(ref rows, 128);
        r3.StoreUnsafe(ref rows, 192);
    }

    /// <summary><see cref="WeightGradient(int, ReadOnlySpan{double}, ReadOnlySpan{double}, ReadOnlySpan{int}, ReadOnlySpan{int}, Span{double})"/> at the width of <typeparamref name="TOps"/>, unchecked; yBarT's rows RoundUp(outChannels, 2·width) long.</summary>
    /// <remarks>Loop order: depth block (of columns), channel tile, tap tile; a tile's sums are added to weightBar[o][q] block after block.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void WeightGradient<TOps, TVector, T>(int outChannels, ReadOnlySpan<T> yBarT, ReadOnlySpan<T> input, ReadOnlySpan<int> tapOffset,
        ReadOnlySpan<int> columnOffset, Span<T> weightBar, Span<double> wide = default)
        where TOps : struct, IGemmOps<TVector, T>
        where TVector : unmanaged
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = TOps.Count, tile = 2 * w, taps = tapOffset.Length, columns = columnOffset.Length, stride = RoundUp(outChannels, tile);
        nint step = stride;
        Span<T> sums = stackalloc T[Gemm.RowTile * 32];
        ref T x = ref MemoryMarshal.GetReference(input);
        for (int pc = 0; pc < columns; pc += Gemm.DepthBlock)
        {
            int kc = Math.Min(Gemm.DepthBlock, columns - pc);
            ref int columns0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(columnOffset), pc);
            for (int o0 = 0; o0 < outChannels; o0 += tile)
            {
                ReadOnlySpan<T> bars = yBarT.Slice((pc * stride) + o0, ((kc - 1) * stride) + tile);
                ref T pb = ref MemoryMarshal.GetReference(bars);
                int channels = Math.Min(tile, outChannels - o0);
                for (int q0 = 0; q0 < taps; q0 += Gemm.RowTile)
                {
                    int rows = Math.Min(Gemm.RowTile, taps - q0);
                    int last = taps - 1;
                    // Native-sized offsets and a moving pointer into yBarT: with int offsets and p·stride the JIT sign-extended at
                    // every column and, once the write-back chose between two targets, reloaded the loop's bound and base from
                    // the stack at every column (the 6×6 blocks' weight gradient ran 1.25× as long).
                    nint a0 = tapOffset[q0], a1 = tapOffset[Math.Min(q0 + 1, last)], a2 = tapOffset[Math.Min(q0 + 2, last)];
                    nint a3 = tapOffset[Math.Min(q0 + 3, last)], a4 = tapOffset[Math.Min(q0 + 4, last)], a5 = tapOffset[Math.Min(q0 + 5, last)];
                    TVector c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
                    TVector c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
                    ref T bar = ref pb;
                    for (nint p = 0, stop = kc; p < stop; p++)
                    {
                        TVector b0 = Load<TVector, T>(ref bar, 0), b1 = Load<TVector, T>(ref bar, w);
                        bar = ref Unsafe.Add(ref bar, step);
                        ref T column = ref Unsafe.Add(ref x, Unsafe.Add(ref columns0, p));
                        TVector a = TOps.Broadcast(Unsafe.Add(ref column, a0));
                        c00 = TOps.MultiplyAdd(a, b0, c00);
                        c01 = TOps.MultiplyAdd(a, b1, c01);
                        a = TOps.Broadcast(Unsafe.Add(ref column, a1));
                        c10 = TOps.MultiplyAdd(a, b0, c10);
                        c11 = TOps.MultiplyAdd(a, b1, c11);
                        a = TOps.Broadcast(Unsafe.Add(ref column, a2));
                        c20 = TOps.MultiplyAdd(a, b0, c20);
                        c21 = TOps.MultiplyAdd(a, b1, c21);
                        a = TOps.Broadcast(Unsafe.Add(ref column, a3));
                        c30 = TOps.MultiplyAdd(a, b0, c30);
                        c31 = TOps.MultiplyAdd(a, b1, c31);
                        a = TOps.Broadcast(Unsafe.Add(ref column, a4));
                        c40 = TOps.MultiplyAdd(a, b0, c40);
                        c41 = TOps.MultiplyAdd(a, b1, c41);
                        a = TOps.Broadcast(Unsafe.Add(ref column, a5));
                        c50 = TOps.MultiplyAdd(a, b0, c50);
                        c51 = TOps.MultiplyAdd(a, b1, c51);
                    }

                    StoreRows<TVector, T>(sums, tile, w, c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51);
                    // weightBar is [channel][tap]: the tile's row r is tap q0 + r, its column l channel o0 + l.
                    if (wide.IsEmpty) AddTransposed(sums, tile, channels, rows, weightBar, (o0 * taps) + q0, taps);
                    else AddWidened(sums[..(rows * tile)], wide.Slice((o0 * taps) + (q0 * tile), rows * tile));   // [tap][lane], as the tile
                }
            }
        }
    }

    /// <summary>Rows of the one-vector kernels (<see cref="ForwardTall{TOps, TVector, T}"/>): twelve accumulators, one vector of channels each.</summary>
    internal const int TallRows = 12;

    /// <summary>
    /// <see cref="Forward{TOps, TVector, T}"/> on tiles of <see cref="TallRows"/> pixels by one vector of output channels (the weights
    /// packed with a tile of one vector): for 16 float channels on Vector512, where two vectors would run half empty and two
    /// Vector256 ran below the FMA rate. The same sums in the same order, so the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void ForwardTall<TOps, TVector, T>(int outChannels, int pixels, ReadOnlySpan<T> packedWeights, ReadOnlySpan<T> input,
        ReadOnlySpan<int> tapOffset, ReadOnlySpan<int> pixelOffset, Span<T> y, PaddingSkips? skips = null, bool overwrite = false)
        where TOps : struct, IGemmOps<TVector, T>
        where TVector : unmanaged
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int tile = TOps.Count, taps = tapOffset.Length;
        Span<T> sums = stackalloc T[TallRows * 64];
        Span<int> at = stackalloc int[TallRows];
        ref T x = ref MemoryMarshal.GetReference(input);
        ref int offsets = ref MemoryMarshal.GetReference(tapOffset);
        skips = PaddingSkips.For(skips, TallRows);
        ReadOnlySpan<int> kinds = skips is null ? default : skips.KindsOf(TallRows);
        ref int list = ref MemoryMarshal.GetArrayDataReference(skips is null ? Identity(taps) : skips.Lists);
        for (int pc = 0, block = 0; pc < taps; pc += Gemm.DepthBlock, block++)
        {
            int kc = Math.Min(Gemm.DepthBlock, taps - pc);
            for (int o0 = 0; o0 < outChannels; o0 += tile)
            {
                ReadOnlySpan<T> panel = packedWeights.Slice(o0 * taps, taps * tile);
                ref T pw = ref MemoryMarshal.GetReference(panel);
                int channels = Math.Min(tile, outChannels - o0);
                for (int j0 = 0; j0 < pixels; j0 += TallRows)
                {
                    int rows = Math.Min(TallRows, pixels - j0);
                    for (int r = 0; r < TallRows; r++) at[r] = pixelOffset[j0 + Math.Min(r, rows - 1)];   // a short tile repeats its last pixel
                    nint a0 = at[0], a1 = at[1], a2 = at[2], a3 = at[3], a4 = at[4], a5 = at[5], a6 = at[6], a7 = at[7], a8 = at[8], a9 = at[9], a10 = at[10], a11 = at[11];
                    (int start, int end) = TileTaps(skips, kinds, j0 / TallRows, block, pc, kc);
                    TVector c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
                    for (nint i = start, stop = end; i < stop; i++)
                    {
                        nint q = Unsafe.Add(ref list, i);
                        TVector b = Load<TVector, T>(ref pw, q * tile);
                        ref T tap = ref Unsafe.Add(ref x, Unsafe.Add(ref offsets, q));
                        c0 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref tap, a0)), b, c0);
                        c1 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref tap, a1)), b, c1);
                        c2 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref tap, a2)), b, c2);
                        c3 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref tap, a3)), b, c3);
                        c4 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref tap, a4)), b, c4);
                        c5 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref tap, a5)), b, c5);
                        c6 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref tap, a6)), b, c6);
                        c7 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref tap, a7)), b, c7);
                        c8 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref tap, a8)), b, c8);
                        c9 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref tap, a9)), b, c9);
                        c10 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref tap, a10)), b, c10);
                        c11 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref tap, a11)), b, c11);
                    }

                    StoreTall<TVector, T>(sums, tile, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11);
                    if (overwrite && block == 0) StoreTransposed(sums, tile, channels, rows, y, (o0 * pixels) + j0, pixels);
                    else AddTransposed(sums, tile, channels, rows, y, (o0 * pixels) + j0, pixels);
                }
            }
        }
    }

    /// <summary>
    /// <see cref="WeightGradient{TOps, TVector, T}"/> on tiles of six taps by four vectors of channels (two of its channel tiles,
    /// yBarT's rows RoundUp(outChannels, 2·width) long, a multiple of 4·width): 24 accumulators, each broadcast feeding four
    /// multiply-adds (for Zen 5's two 512-bit FMA pipes). Each sum the same chain: the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void WeightGradientWide<TOps, TVector, T>(int outChannels, ReadOnlySpan<T> yBarT, ReadOnlySpan<T> input, ReadOnlySpan<int> tapOffset,
        ReadOnlySpan<int> columnOffset, Span<T> weightBar, Span<double> wide = default)
        where TOps : struct, IGemmOps<TVector, T>
        where TVector : unmanaged
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = TOps.Count, panelWidth = 2 * w, tile = 4 * w, taps = tapOffset.Length, columns = columnOffset.Length, stride = RoundUp(outChannels, panelWidth);
        nint step = stride;
        Span<T> sums = stackalloc T[Gemm.RowTile * 64];
        ref T running = ref MemoryMarshal.GetReference(sums);
        ref T x = ref MemoryMarshal.GetReference(input);
        for (int pc = 0; pc < columns; pc += Gemm.DepthBlock)
        {
            // Depth blocks outermost (unlike ForwardWide): a block's columns read a few samples' images, which stay in L2 while
            // every tap tile reads them (the stem's 13×13 images, 14 samples a chunk, did not when each tile ran all blocks).
            int kc = Math.Min(Gemm.DepthBlock, columns - pc);
            ref int columns0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(columnOffset), pc);
            for (int o0 = 0; o0 < outChannels; o0 += tile)
            {
                ReadOnlySpan<T> bars = yBarT.Slice((pc * stride) + o0, ((kc - 1) * stride) + tile);
                ref T pb = ref MemoryMarshal.GetReference(bars);
                int channels = Math.Min(tile, outChannels - o0), o1 = o0 + panelWidth;
                for (int q0 = 0; q0 < taps; q0 += Gemm.RowTile)
                {
                    int rows = Math.Min(Gemm.RowTile, taps - q0);
                    int last = taps - 1;
                    nint a0 = tapOffset[q0], a1 = tapOffset[Math.Min(q0 + 1, last)], a2 = tapOffset[Math.Min(q0 + 2, last)];
                    nint a3 = tapOffset[Math.Min(q0 + 3, last)], a4 = tapOffset[Math.Min(q0 + 4, last)], a5 = tapOffset[Math.Min(q0 + 5, last)];

                    // ∂L/∂W += the block's chains, where the tile is full on AVX-512: the tile of ∂L/∂W, [tap][4·width channels],
                    // in (before the chains: no call while they are live, or the JIT keeps them in memory), added, out, transposed
                    // in registers (a scalar add an entry took a sixth of the 6×6 blocks' weight gradient). Not where ∂L/∂W's rows
                    // lie a multiple of 4 KiB apart (the stems' 1,024 taps): all 64 in one L1 set, where the weight gradient took 1.5×
                    // as long so (BENCHMARKS.md, 5 December 2026, 20:41).
                    bool inRegisters = wide.IsEmpty && SixByFour<T>(tile, channels, rows) && taps % 1024 != 0;
                    if (inRegisters) LoadTransposed(weightBar, (o0 * taps) + q0, taps, channels, rows, sums, tile);
                    TVector c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
                    TVector c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
                    TVector c40 = default, c41 = default, c42 = default, c43 = default, c50 = default, c51 = default, c52 = default, c53 = default;
                    ref T bar = ref pb;
                    for (nint p = 0, stop = kc; p < stop; p++)
                    {
                        TVector b0 = Load<TVector, T>(ref bar, 0), b1 = Load<TVector, T>(ref bar, w), b2 = Load<TVector, T>(ref bar, 2 * w), b3 = Load<TVector, T>(ref bar, 3 * w);
                        bar = ref Unsafe.Add(ref bar, step);
                        ref T column = ref Unsafe.Add(ref x, Unsafe.Add(ref columns0, p));
                        TVector a = TOps.Broadcast(Unsafe.Add(ref column, a0));
                        c00 = TOps.MultiplyAdd(a, b0, c00);
                        c01 = TOps.MultiplyAdd(a, b1, c01);
                        c02 = TOps.MultiplyAdd(a, b2, c02);
                        c03 = TOps.MultiplyAdd(a, b3, c03);
                        a = TOps.Broadcast(Unsafe.Add(ref column, a1));
                        c10 = TOps.MultiplyAdd(a, b0, c10);
                        c11 = TOps.MultiplyAdd(a, b1, c11);
                        c12 = TOps.MultiplyAdd(a, b2, c12);
                        c13 = TOps.MultiplyAdd(a, b3, c13);
                        a = TOps.Broadcast(Unsafe.Add(ref column, a2));
                        c20 = TOps.MultiplyAdd(a, b0, c20);
                        c21 = TOps.MultiplyAdd(a, b1, c21);
                        c22 = TOps.MultiplyAdd(a, b2, c22);
                        c23 = TOps.MultiplyAdd(a, b3, c23);
                        a = TOps.Broadcast(Unsafe.Add(ref column, a3));
                        c30 = TOps.MultiplyAdd(a, b0, c30);
                        c31 = TOps.MultiplyAdd(a, b1, c31);
                        c32 = TOps.MultiplyAdd(a, b2, c32);
                        c33 = TOps.MultiplyAdd(a, b3, c33);
                        a = TOps.Broadcast(Unsafe.Add(ref column, a4));
                        c40 = TOps.MultiplyAdd(a, b0, c40);
                        c41 = TOps.MultiplyAdd(a, b1, c41);
                        c42 = TOps.MultiplyAdd(a, b2, c42);
                        c43 = TOps.MultiplyAdd(a, b3, c43);
                        a = TOps.Broadcast(Unsafe.Add(ref column, a5));
                        c50 = TOps.MultiplyAdd(a, b0, c50);
                        c51 = TOps.MultiplyAdd(a, b1, c51);
                        c52 = TOps.MultiplyAdd(a, b2, c52);
                        c53 = TOps.MultiplyAdd(a, b3, c53);
                    }

                    if (inRegisters)
                    {
                        AddRow<TOps, TVector, T>(ref running, w, c00, c01, c02, c03);
                        AddRow<TOps, TVector, T>(ref Unsafe.Add(ref running, tile), w, c10, c11, c12, c13);
                        AddRow<TOps, TVector, T>(ref Unsafe.Add(ref running, 2 * tile), w, c20, c21, c22, c23);
                        AddRow<TOps, TVector, T>(ref Unsafe.Add(ref running, 3 * tile), w, c30, c31, c32, c33);
                        AddRow<TOps, TVector, T>(ref Unsafe.Add(ref running, 4 * tile), w, c40, c41, c42, c43);
                        AddRow<TOps, TVector, T>(ref Unsafe.Add(ref running, 5 * tile), w, c50, c51, c52, c53);
                        StoreTransposed(sums, tile, channels, rows, weightBar, (o0 * taps) + q0, taps);
                        continue;
                    }

                    // Each half as WeightGradient's tile of its 2·width channels, [tap][lane]: added where ∂L/∂W is [channel][tap]
                    // an entry at a time, or in double as the layout of the wide ∂L/∂W has it.
                    Span<T> second = sums[(Gemm.RowTile * panelWidth)..];
                    StoreRows<TVector, T>(sums, panelWidth, w, c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51);
                    StoreRows<TVector, T>(second, panelWidth, w, c02, c03, c12, c13, c22, c23, c32, c33, c42, c43, c52, c53);
                    if (wide.IsEmpty)
                    {
                        AddTransposed(sums, panelWidth, Math.Min(panelWidth, outChannels - o0), rows, weightBar, (o0 * taps) + q0, taps);
                        if (o1 < outChannels) AddTransposed(second, panelWidth, Math.Min(panelWidth, outChannels - o1), rows, weightBar, (o1 * taps) + q0, taps);
                        continue;
                    }

                    AddWidened(sums[..(rows * panelWidth)], wide.Slice((o0 * taps) + (q0 * panelWidth), rows * panelWidth));
                    AddWidened(second[..(rows * panelWidth)], wide.Slice((o1 * taps) + (q0 * panelWidth), rows * panelWidth));
                }
            }
        }
    }

    /// <summary><see cref="WeightGradient{TOps, TVector, T}"/> on tiles of <see cref="TallRows"/> taps by one vector of channels (yBarT's rows RoundUp(outChannels, width) long); the same bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void WeightGradientTall<TOps, TVector, T>(int outChannels, ReadOnlySpan<T> yBarT, ReadOnlySpan<T> input, ReadOnlySpan<int> tapOffset,
        ReadOnlySpan<int> columnOffset, Span<T> weightBar, Span<double> wide = default)
        where TOps : struct, IGemmOps<TVector, T>
        where TVector : unmanaged
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int tile = TOps.Count, taps = tapOffset.Length, columns = columnOffset.Length, stride = RoundUp(outChannels, tile);
        nint step = stride;
        Span<T> sums = stackalloc T[TallRows * 64];
        Span<int> at = stackalloc int[TallRows];
        ref T x = ref MemoryMarshal.GetReference(input);
        for (int pc = 0; pc < columns; pc += Gemm.DepthBlock)
        {
            int kc = Math.Min(Gemm.DepthBlock, columns - pc);
            ref int columns0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(columnOffset), pc);
            for (int o0 = 0; o0 < outChannels; o0 += tile)
            {
                ReadOnlySpan<T> bars = yBarT.Slice((pc * stride) + o0, ((kc - 1) * stride) + tile);
                ref T pb = ref MemoryMarshal.GetReference(bars);
                int channels = Math.Min(tile, outChannels - o0);
                for (int q0 = 0; q0 < taps; q0 += TallRows)
                {
                    int rows = Math.Min(TallRows, taps - q0);
                    for (int r = 0; r < TallRows; r++) at[r] = tapOffset[q0 + Math.Min(r, rows - 1)];
                    nint a0 = at[0], a1 = at[1], a2 = at[2], a3 = at[3], a4 = at[4], a5 = at[5], a6 = at[6], a7 = at[7], a8 = at[8], a9 = at[9], a10 = at[10], a11 = at[11];
                    TVector c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
                    ref T bar = ref pb;
                    for (nint p = 0, stop = kc; p < stop; p++)
                    {
                        TVector b = Load<TVector, T>(ref bar, 0);
                        bar = ref Unsafe.Add(ref bar, step);
                        ref T column = ref Unsafe.Add(ref x, Unsafe.Add(ref columns0, p));
                        c0 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref column, a0)), b, c0);
                        c1 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref column, a1)), b, c1);
                        c2 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref column, a2)), b, c2);
                        c3 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref column, a3)), b, c3);
                        c4 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref column, a4)), b, c4);
                        c5 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref column, a5)), b, c5);
                        c6 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref column, a6)), b, c6);
                        c7 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref column, a7)), b, c7);
                        c8 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref column, a8)), b, c8);
                        c9 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref column, a9)), b, c9);
                        c10 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref column, a10)), b, c10);
                        c11 = TOps.MultiplyAdd(TOps.Broadcast(Unsafe.Add(ref column, a11)), b, c11);
                    }

                    StoreTall<TVector, T>(sums, tile, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11);
                    if (wide.IsEmpty) AddTransposed(sums, tile, channels, rows, weightBar, (o0 * taps) + q0, taps);
                    else AddWidened(sums[..(rows * tile)], wide.Slice((o0 * taps) + (q0 * tile), rows * tile));   // [tap][lane], as the tile
                }
            }
        }
    }

    // Adds a tile's sums ([row][lane], `tile` values a row) to `channels` rows of `rows` values of the target, `stride` apart
    // from `start`: the kernels' transposing store (the target is [channel][pixel or tap]), unchecked (the entries checked
    // the target's length), by reference: no slice per channel, no bounds check per entry.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddTransposed<T>(ReadOnlySpan<T> sums, int tile, int channels, int rows, Span<T> target, int start, int stride)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T s0 = ref MemoryMarshal.GetReference(sums);
        ref T t0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(target), start);
        if (InRegisters<T>(tile, channels, rows))
        {
            StoreTransposed(ref Unsafe.As<T, float>(ref s0), ref Unsafe.As<T, float>(ref t0), stride, add: true);
            return;
        }

        for (int l = 0; l < channels; l++)
        {
            ref T row = ref Unsafe.Add(ref t0, l * stride);
            ref T column = ref Unsafe.Add(ref s0, l);
            for (int r = 0; r < rows; r++) Unsafe.Add(ref row, r) += Unsafe.Add(ref column, r * tile);
        }
    }

    // Whether a tile's transposition runs in registers: a full tile of the one-vector float kernels on Vector512 (16 lanes by
    // TallRows rows; the 16-channel layers' tiles, all but an image's last). Each entry is moved, or added with one float
    // addition, as the scalar loops do: the same bits.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool InRegisters<T>(int tile, int lanes, int rows) =>
        typeof(T) == typeof(float) && Avx512F.IsSupported && tile == 16 && lanes == 16 && rows == TallRows;

    // Rows 4g … 4g + 3 of a 16-lane tile as four vectors m0 … m3 whose 128-bit lane k holds column 4k + m of those rows (a 4 × 4
    // transposition within each 128-bit lane: unpacking floats, then pairs). Its own inverse: m0 … m3 given back returns the rows.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransposeBlocks(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d,
        out Vector512<float> m0, out Vector512<float> m1, out Vector512<float> m2, out Vector512<float> m3)
    {
        Vector512<double> ab0 = Avx512F.UnpackLow(a, b).AsDouble(), ab1 = Avx512F.UnpackHigh(a, b).AsDouble();
        Vector512<double> cd0 = Avx512F.UnpackLow(c, d).AsDouble(), cd1 = Avx512F.UnpackHigh(c, d).AsDouble();
        m0 = Avx512F.UnpackLow(ab0, cd0).AsSingle();
        m1 = Avx512F.UnpackHigh(ab0, cd0).AsSingle();
        m2 = Avx512F.UnpackLow(ab1, cd1).AsSingle();
        m3 = Avx512F.UnpackHigh(ab1, cd1).AsSingle();
    }

    // A tile of TallRows rows by 16 lanes ([row][lane], 16 floats a row) into (add: onto) 16 target rows `stride` apart, lane l
    // to target row l's first TallRows entries: the 4 × 4 blocks transposed in registers, each written as four floats.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTransposed(ref float sums, ref float target, int stride, bool add)
    {
        for (int g = 0; g < TallRows / 4; g++)
        {
            ref float rows = ref Unsafe.Add(ref sums, g * 64);
            TransposeBlocks(Vector512.LoadUnsafe(ref rows), Vector512.LoadUnsafe(ref rows, 16), Vector512.LoadUnsafe(ref rows, 32), Vector512.LoadUnsafe(ref rows, 48),
                out Vector512<float> m0, out Vector512<float> m1, out Vector512<float> m2, out Vector512<float> m3);
            ref float at = ref Unsafe.Add(ref target, 4 * g);
            StoreColumns(ref at, stride, m0, add);
            StoreColumns(ref Unsafe.Add(ref at, stride), stride, m1, add);
            StoreColumns(ref Unsafe.Add(ref at, 2 * stride), stride, m2, add);
            StoreColumns(ref Unsafe.Add(ref at, 3 * stride), stride, m3, add);
        }
    }

    // The four 128-bit lanes of m to (onto) four target rows 4·stride apart (lane k: row 4k).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreColumns(ref float at, int stride, Vector512<float> m, bool add)
    {
        ref float r1 = ref Unsafe.Add(ref at, 4 * stride), r2 = ref Unsafe.Add(ref at, 8 * stride), r3 = ref Unsafe.Add(ref at, 12 * stride);
        Vector128<float> v0 = m.GetLower().GetLower(), v1 = Avx512F.ExtractVector128(m, 1), v2 = Avx512F.ExtractVector128(m, 2), v3 = Avx512F.ExtractVector128(m, 3);
        if (add)
        {
            v0 += Vector128.LoadUnsafe(ref at);
            v1 += Vector128.LoadUnsafe(ref r1);
            v2 += Vector128.LoadUnsafe(ref r2);
            v3 += Vector128.LoadUnsafe(ref r3);
        }

        v0.StoreUnsafe(ref at);
        v1.StoreUnsafe(ref r1);
        v2.StoreUnsafe(ref r2);
        v3.StoreUnsafe(ref r3);
    }

    // The inverse of StoreTransposed(add: false): target row l's first TallRows entries (rows `stride` apart) as lane l of a
    // tile's TallRows rows ([row][lane], 16 floats a row).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransposeTile(ref float source, int stride, ref float sums)
    {
        for (int g = 0; g < TallRows / 4; g++)
        {
            ref float at = ref Unsafe.Add(ref source, 4 * g);
            TransposeBlocks(LoadColumns(ref at, stride), LoadColumns(ref Unsafe.Add(ref at, stride), stride),
                LoadColumns(ref Unsafe.Add(ref at, 2 * stride), stride), LoadColumns(ref Unsafe.Add(ref at, 3 * stride), stride),
                out Vector512<float> r0, out Vector512<float> r1, out Vector512<float> r2, out Vector512<float> r3);
            ref float rows = ref Unsafe.Add(ref sums, g * 64);
            r0.StoreUnsafe(ref rows);
            r1.StoreUnsafe(ref rows, 16);
            r2.StoreUnsafe(ref rows, 32);
            r3.StoreUnsafe(ref rows, 48);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> LoadColumns(ref float at, int stride) =>
        Vector512.Create(
            Vector256.Create(Vector128.LoadUnsafe(ref at), Vector128.LoadUnsafe(ref Unsafe.Add(ref at, 4 * stride))),
            Vector256.Create(Vector128.LoadUnsafe(ref Unsafe.Add(ref at, 8 * stride)), Vector128.LoadUnsafe(ref Unsafe.Add(ref at, 12 * stride))));

    // The twelve one-vector accumulators as twelve rows of `tile` values.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTall<TVector, T>(Span<T> sums, int tile, TVector c0, TVector c1, TVector c2, TVector c3, TVector c4, TVector c5,
        TVector c6, TVector c7, TVector c8, TVector c9, TVector c10, TVector c11)
        where TVector : unmanaged
        where T : unmanaged
    {
        ref byte s = ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(sums[..(TallRows * tile)]));
        int row = tile * Unsafe.SizeOf<T>();
        Unsafe.WriteUnaligned(ref s, c0);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref s, row), c1);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref s, 2 * row), c2);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref s, 3 * row), c3);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref s, 4 * row), c4);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref s, 5 * row), c5);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref s, 6 * row), c6);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref s, 7 * row), c7);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref s, 8 * row), c8);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref s, 9 * row), c9);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref s, 10 * row), c10);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref s, 11 * row), c11);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Load<TVector, T>(ref T origin, int offset)
        where TVector : unmanaged =>
        Unsafe.ReadUnaligned<TVector>(ref Unsafe.As<T, byte>(ref Unsafe.Add(ref origin, offset)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVector Load<TVector, T>(ref T origin, nint offset)
        where TVector : unmanaged =>
        Unsafe.ReadUnaligned<TVector>(ref Unsafe.As<T, byte>(ref Unsafe.Add(ref origin, offset)));

    // The twelve accumulators as six rows of `tile` values.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRows<TVector, T>(Span<T> sums, int tile, int w, TVector c00, TVector c01, TVector c10, TVector c11, TVector c20, TVector c21,
        TVector c30, TVector c31, TVector c40, TVector c41, TVector c50, TVector c51)
        where TVector : unmanaged
        where T : unmanaged
    {
        ref byte s = ref Unsafe.As<T, byte>(ref MemoryMarshal.GetReference(sums[..(((Gemm.RowTile - 1) * tile) + (2 * w))]));
        int row = tile * Unsafe.SizeOf<T>(), half = w * Unsafe.SizeOf<T>();
        Unsafe.WriteUnaligned(ref s, c00);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref s, half), c01);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref s, row), c10);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref s, row + half), c11);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref s, 2 * row), c20);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref s, (2 * row) + half), c21);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref s, 3 * row), c30);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref s, (3 * row) + half), c31);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref s, 4 * row), c40);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref s, (4 * row) + half), c41);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref s, 5 * row), c50);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref s, (5 * row) + half), c51);
    }
}
