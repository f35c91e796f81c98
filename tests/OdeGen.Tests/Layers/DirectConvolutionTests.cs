using System.Runtime.Intrinsics;
using OdeGen.Layers;
using OdeGen.Tests.Models;

namespace OdeGen.Tests.Layers;

/// <summary>
/// The direct convolution passes (no unfolded patches) against the matrix product they replace, term for term: the same bits
/// as <see cref="Gemm"/> on the unfolded patches, at every SIMD width.
/// </summary>
public class DirectConvolutionTests
{
    // (input channels, output channels, image side, kernel, stride, padding, samples): 65 planes of 3×3 taps is the 64-channel
    // ODE-Net's 585 (three depth blocks), 7 output channels leave a partial channel tile, 13 samples of 36 pixels span two
    // depth blocks of columns in the weight gradient.
    public static TheoryData<int, int, int, int, int, int, int> Shapes => new()
    {
        { 65, 64, 7, 3, 1, 1, 1 },
        { 5, 40, 6, 3, 1, 1, 1 },   // the wide float kernels' tile of 64 channels, its second half short
        { 17, 16, 6, 3, 1, 1, 13 },
        { 3, 7, 9, 4, 2, 1, 2 },
        { 2, 5, 5, 1, 1, 0, 3 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_IsTheProductOfTheUnfoldedPatches_ToTheBit_AtEveryWidth(int inChannels, int outChannels, int side, int kernel, int stride, int padding, int samples)
    {
        _ = samples;
        AssertForwardIsTheUnfoldedProduct(new Geometry(inChannels, side, kernel, stride, padding), outChannels, new Random(inChannels + outChannels), skipping: false);
    }

    // Shapes whose tiles skip taps: rows of six on 6×6 images (the blocks), odd sides whose tiles straddle the rows (7×7 with
    // 65 planes: three depth blocks; 13×13), the stem's stride 2, a 5×5 kernel with padding 2 (corners reading a ninth of
    // it), output channels that fill no vector; and one without padding (nothing skipped).
    public static TheoryData<int, int, int, int, int, int, int> SkipShapes => new()
    {
        { 16, 16, 6, 3, 1, 1, 1 },
        { 65, 20, 7, 3, 1, 1, 1 },
        { 6, 33, 13, 3, 1, 1, 1 },
        { 9, 40, 26, 4, 2, 1, 1 },
        { 3, 7, 9, 5, 1, 2, 1 },
        { 2, 5, 5, 3, 1, 0, 1 },
    };

    [Theory]
    [MemberData(nameof(SkipShapes))]
    public void Forward_SkippingThePadding_IsTheProductOfTheUnfoldedPatches_ToTheBit_AtEveryWidth(int inChannels, int outChannels, int side, int kernel, int stride, int padding, int samples)
    {
        _ = samples;
        AssertForwardIsTheUnfoldedProduct(new Geometry(inChannels, side, kernel, stride, padding), outChannels, new Random((7 * inChannels) + outChannels), skipping: true);
    }

    // The forward product through the dispatched width and each width alone, with or without the padding plan, against
    // y = bias + W·cols with the patches unfolded from a random frame: bit for bit (the same sums in the same order).
    private static void AssertForwardIsTheUnfoldedProduct(Geometry g, int outChannels, Random random, bool skipping)
    {
        double[] frame = g.RandomFrame(random, 1), weights = LayerChecks.Random(random, outChannels * g.Taps.Length), bias = LayerChecks.Random(random, outChannels * g.Pixels.Length);
        int taps = g.Taps.Length, pixels = g.Pixels.Length;
        double[] cols = new double[taps * pixels];
        for (int q = 0; q < taps; q++)
        {
            for (int j = 0; j < pixels; j++) cols[(q * pixels) + j] = frame[g.Taps[q] + g.Pixels[j]];
        }

        double[] expected = (double[])bias.Clone(), work = new double[Gemm.WorkspaceSize(outChannels, pixels, taps)];
        Gemm.Multiply(outChannels, pixels, taps, weights, taps, 1, cols, pixels, 1, expected, pixels, accumulate: true, work);

        DirectConvolution.PaddingSkips? skips = null;
        string suffix = skipping ? ", skipping" : "";
        double[] packed = new double[DirectConvolution.PackedSize(outChannels, taps)];
        DirectConvolution.Pack(outChannels, taps, weights, packed);
        double[] y = (double[])bias.Clone();
        if (skipping)
        {
            skips = g.Skips();
            bool noPadding = g.Padding == 0;
            Assert.True(noPadding ? skips.Reads(Gemm.RowTile) == (long)taps * pixels : skips.Reads(Gemm.RowTile) < (long)taps * pixels, "what the plan skips");
            DirectConvolution.Forward(outChannels, packed, frame, skips, y);
        }
        else
        {
            DirectConvolution.Forward(outChannels, pixels, packed, frame, g.Taps, g.Pixels, y);
        }

        AssertBits(expected, y, "dispatched width" + suffix);

        foreach ((string name, int tile, Action<double[], double[]> run) in Widths(
            (p, o) => DirectConvolution.Forward<Double1, double, double>(outChannels, pixels, p, frame, g.Taps, g.Pixels, o, skips),
            (p, o) => DirectConvolution.Forward<Double128, Vector128<double>, double>(outChannels, pixels, p, frame, g.Taps, g.Pixels, o, skips),
            (p, o) => DirectConvolution.Forward<Double256, Vector256<double>, double>(outChannels, pixels, p, frame, g.Taps, g.Pixels, o, skips),
            (p, o) => DirectConvolution.Forward<Double512, Vector512<double>, double>(outChannels, pixels, p, frame, g.Taps, g.Pixels, o, skips)))
        {
            double[] packedAtWidth = new double[DirectConvolution.RoundUp(outChannels, tile) * taps];
            DirectConvolution.Pack(outChannels, taps, weights, packedAtWidth, tile);
            double[] yAtWidth = (double[])bias.Clone();
            run(packedAtWidth, yAtWidth);
            AssertBits(expected, yAtWidth, name + suffix);
        }
    }

    [Fact]
    public void PaddingSkips_OnSixBySixImages_SkipTheEdgeRowsFirstTapRow_InTilesOfSix_AndNothingInTilesOfTwelve()
    {
        // 3×3 taps, padding 1: a tile of six pixels is a row; rows 0 and 5 read one tap row of three in the margin. A tile of
        // twelve pixels is two rows, and one of them reads every tap row inside.
        var g = new Geometry(5, 6, 3, 1, 1);
        DirectConvolution.PaddingSkips skips = g.Skips();
        Assert.Equal(5L * ((2 * 6 * 6) + (4 * 6 * 9)), skips.Reads(Gemm.RowTile));
        Assert.Equal(5L * 36 * 9, skips.Reads(DirectConvolution.TallRows));

        // A read outside the frame is refused with the plan as with the offsets.
        double[] packed = new double[DirectConvolution.PackedSize(2, g.Taps.Length)], y = new double[2 * 36];
        Assert.Throws<ArgumentException>(() => DirectConvolution.Forward(2, packed, new double[g.FrameSize - 1], skips, y));
        DirectConvolution.Forward(2, packed, new double[g.FrameSize], skips, y);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void WeightGradient_IsTheProductWithThePatchesTransposed_ToTheBit_AtEveryWidth(int inChannels, int outChannels, int side, int kernel, int stride, int padding, int samples)
    {
        var g = new Geometry(inChannels, side, kernel, stride, padding);
        var random = new Random((3 * inChannels) + samples);
        int taps = g.Taps.Length, pixels = g.Pixels.Length, columns = samples * pixels;
        double[] frames = g.RandomFrame(random, samples), yBar = LayerChecks.Random(random, outChannels * columns);
        double[] weightBar0 = LayerChecks.Random(random, outChannels * taps);
        int[] columnOffset = new int[columns];
        for (int s = 0, j = 0; s < samples; s++)
        {
            for (int pixel = 0; pixel < pixels; pixel++, j++) columnOffset[j] = (s * g.FrameSize) + g.Pixels[pixel];
        }

        // The product: weightBar += ∂L/∂Y·colsᵀ, ∂L/∂Y as [channel][column].
        double[] cols = new double[taps * columns];
        for (int q = 0; q < taps; q++)
        {
            for (int j = 0; j < columns; j++) cols[(q * columns) + j] = frames[g.Taps[q] + columnOffset[j]];
        }

        double[] expected = (double[])weightBar0.Clone(), work = new double[Gemm.WorkspaceSize(outChannels, taps, columns)];
        Gemm.Multiply(outChannels, taps, columns, yBar, columns, 1, cols, 1, columns, expected, taps, accumulate: true, work);

        foreach ((string name, int tile, Action<double[], double[]> run) in Widths(
            (b, o) => DirectConvolution.WeightGradient<Double1, double, double>(outChannels, b, frames, g.Taps, columnOffset, o),
            (b, o) => DirectConvolution.WeightGradient<Double128, Vector128<double>, double>(outChannels, b, frames, g.Taps, columnOffset, o),
            (b, o) => DirectConvolution.WeightGradient<Double256, Vector256<double>, double>(outChannels, b, frames, g.Taps, columnOffset, o),
            (b, o) => DirectConvolution.WeightGradient<Double512, Vector512<double>, double>(outChannels, b, frames, g.Taps, columnOffset, o)))
        {
            int row = DirectConvolution.RoundUp(outChannels, tile);
            double[] yBarT = new double[columns * row];
            for (int o = 0; o < outChannels; o++)
            {
                for (int j = 0; j < columns; j++) yBarT[(j * row) + o] = yBar[(o * columns) + j];
            }

            double[] weightBar = (double[])weightBar0.Clone();
            run(yBarT, weightBar);
            AssertBits(expected, weightBar, name);
        }
    }

    // Stride-1 shapes (the direct input gradient's): (image planes, output channels, side, kernel, padding, time plane).
    public static TheoryData<int, int, int, int, int, bool> InputShapes => new()
    {
        { 64, 64, 7, 3, 1, true },
        { 16, 16, 6, 3, 1, true },
        { 4, 7, 5, 4, 2, false },
        { 2, 5, 5, 1, 0, true },
        { 20, 9, 5, 3, 1, true },   // two plane tiles, the second short; 25 pixels, a short last tile of every row count
        { 64, 8, 6, 3, 1, false },  // tiles of six pixels are rows: the first and last skip the taps that reach no output pixel
        { 40, 5, 6, 3, 1, true },   // 40 planes: the wide float kernel's tile of 64 planes, its second half short
        { 3, 5, 6, 3, 0, false },   // no padding: a smaller output, the edge rows' tiles reach it through one or two tap rows only
    };

    [Theory]
    [MemberData(nameof(InputShapes))]
    public void InputGradient_IsTheProductThenTheFolding_ToTheBit_AtEveryWidth(int images, int outChannels, int side, int kernel, int padding, bool timePlane)
    {
        int first = timePlane ? 1 : 0, planes = images + first, taps = kernel * kernel, patch = planes * taps;
        int outSide = side + (2 * padding) - kernel + 1, outPixels = outSide * outSide, pixels = side * side;
        var random = new Random((5 * images) + kernel);
        double[] weights = LayerChecks.Random(random, outChannels * patch), yBar = LayerChecks.Random(random, outChannels * outPixels);
        double[] xBar0 = LayerChecks.Random(random, images * pixels);

        // The product and the folding: colsBar = Wᵀ·∂L/∂Y, then each entry added to the input it was read from, tap by tap,
        // pixel by pixel; the time plane's entries summed into ∂L/∂t in the same order.
        double[] colsBar = new double[patch * outPixels], work = new double[Gemm.WorkspaceSize(patch, outPixels, outChannels)];
        Gemm.Multiply(patch, outPixels, outChannels, weights, 1, patch, yBar, outPixels, 1, colsBar, outPixels, accumulate: false, work);
        double[] expected = (double[])xBar0.Clone();
        double timeSum = 0.0;
        for (int c = 0, q = 0; c < planes; c++)
        {
            for (int ky = 0; ky < kernel; ky++)
            {
                for (int kx = 0; kx < kernel; kx++, q++)
                {
                    for (int j = 0; j < outPixels; j++)
                    {
                        int y = (j / outSide) - padding + ky, x = (j % outSide) - padding + kx;
                        if ((uint)y >= (uint)side || (uint)x >= (uint)side) continue;
                        if (c < first) timeSum += colsBar[(q * outPixels) + j];
                        else expected[((c - first) * pixels) + (y * side) + x] += colsBar[(q * outPixels) + j];
                    }
                }
            }
        }

        double expectedT = timePlane ? 0.0 + timeSum : 0.0;

        // ∂L/∂Y in its frame of kernel − 1 − padding zeros.
        int margin = kernel - 1 - padding, frameSide = outSide + (2 * margin);
        double[] frame = new double[outChannels * frameSide * frameSide];
        for (int o = 0; o < outChannels; o++)
        {
            for (int j = 0; j < outPixels; j++) frame[(o * frameSide * frameSide) + (((j / outSide) + margin) * frameSide) + (j % outSide) + margin] = yBar[(o * outPixels) + j];
        }

        var shape = new DirectConvolution.InputShape(outChannels, images, side, side, kernel, padding, timePlane);
        double[] timeValues = new double[taps * outPixels];
        foreach ((string name, int tile, Func<double[], double[], double> run) in InputWidths(
            (p, x) => DirectConvolution.InputGradient<Double1, double, double>(shape, p, yBar, frame, x, timeValues),
            (p, x) => DirectConvolution.InputGradient<Double128, Vector128<double>, double>(shape, p, yBar, frame, x, timeValues),
            (p, x) => DirectConvolution.InputGradient<Double256, Vector256<double>, double>(shape, p, yBar, frame, x, timeValues),
            (p, x) => DirectConvolution.InputGradient<Double512, Vector512<double>, double>(shape, p, yBar, frame, x, timeValues)))
        {
            double[] packed = new double[DirectConvolution.InputPackedSize(outChannels, planes, taps, timePlane, tile)];
            DirectConvolution.PackForInput(outChannels, planes, taps, timePlane, weights, packed, tile);
            double[] xBar = (double[])xBar0.Clone();
            double tBar = run(packed, xBar);
            AssertBits(expected, xBar, name);
            AssertBits([expectedT], [tBar], name + " tBar");
        }
    }

    [Fact]
    public void OffsetsOutsideTheInput_Throw()
    {
        double[] packed = new double[DirectConvolution.PackedSize(2, 2)], y = new double[2];
        Assert.Throws<ArgumentException>(() => DirectConvolution.Forward(2, 1, packed, new double[4], [0, 3], [1], y));

        // Past the end by one with the extremes in a vector's lanes and in the scalar tail, and before the start.
        int[] taps = [.. Enumerable.Range(0, 19).Select(i => (i * 7) % 19)], pixels = [.. Enumerable.Range(0, 10)];
        double[] input = new double[18 + 9 + 1], packed19 = new double[DirectConvolution.PackedSize(2, 19)], y10 = new double[20];
        DirectConvolution.Forward(2, 10, packed19, input, taps, pixels, y10);
        Assert.Throws<ArgumentException>(() => DirectConvolution.Forward(2, 10, packed19, new double[input.Length - 1], taps, pixels, y10));
        pixels[4] = -1;
        Assert.Throws<ArgumentException>(() => DirectConvolution.Forward(2, 10, packed19, input, taps, pixels, y10));
    }

    [Fact]
    public void Range_IsTheLeastAndGreatest_AtEveryLength()
    {
        var random = new Random(31);
        for (int n = 1; n < 40; n++)
        {
            int[] values = [.. Enumerable.Range(0, n).Select(_ => random.Next(-1000, 1000))];
            Assert.Equal((values.Min(), values.Max()), DirectConvolution.Range(values));
        }
    }

    // The widths the hardware runs (the scalar always), each with its channel tile (two vectors).
    private static IEnumerable<(string Name, int Tile, Action<double[], double[]> Run)> Widths(Action<double[], double[]> scalar, Action<double[], double[]> v128,
        Action<double[], double[]> v256, Action<double[], double[]> v512)
    {
        yield return ("scalar", 2, scalar);
        if (Vector128.IsHardwareAccelerated) yield return ("Vector128", 4, v128);
        if (Vector256.IsHardwareAccelerated) yield return ("Vector256", 8, v256);
        if (Vector512.IsHardwareAccelerated) yield return ("Vector512", 16, v512);
    }

    private static IEnumerable<(string Name, int Tile, Func<double[], double[], double> Run)> InputWidths(Func<double[], double[], double> scalar,
        Func<double[], double[], double> v128, Func<double[], double[], double> v256, Func<double[], double[], double> v512)
    {
        yield return ("scalar", 2, scalar);
        if (Vector128.IsHardwareAccelerated) yield return ("Vector128", 4, v128);
        if (Vector256.IsHardwareAccelerated) yield return ("Vector256", 8, v256);
        if (Vector512.IsHardwareAccelerated) yield return ("Vector512", 16, v512);
    }

    private static void AssertBits(double[] expected, double[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.DoubleToInt64Bits(expected[i]) == BitConverter.DoubleToInt64Bits(actual[i]), $"{what}[{i}]: {actual[i]:R} vs the product's {expected[i]:R}");
    }

    // A square image's padded frame and its offsets, computed here from the definition (not from Conv2d's tables).
    internal sealed class Geometry
    {
        public Geometry(int channels, int side, int kernel, int stride, int padding)
        {
            int width = side + (2 * padding), outSide = ((width - kernel) / stride) + 1;
            FrameSize = channels * width * width;
            Taps = new int[channels * kernel * kernel];
            for (int c = 0, q = 0; c < channels; c++)
            {
                for (int ky = 0; ky < kernel; ky++)
                {
                    for (int kx = 0; kx < kernel; kx++) Taps[q++] = (c * width * width) + (ky * width) + kx;
                }
            }

            Pixels = new int[outSide * outSide];
            for (int oy = 0; oy < outSide; oy++)
            {
                for (int ox = 0; ox < outSide; ox++) Pixels[(oy * outSide) + ox] = (oy * stride * width) + (ox * stride);
            }

            Padding = padding;
            Width = width;
        }

        public int FrameSize { get; }

        public int[] Taps { get; }

        public int[] Pixels { get; }

        public int Padding { get; }

        private int Width { get; }

        /// <summary>The taps each tile of pixels reads inside the image, planned from these offsets and the frame.</summary>
        public DirectConvolution.PaddingSkips Skips() =>
            new(Taps, Pixels, Width * Width, Width, Padding, Padding, Width - (2 * Padding), Width - (2 * Padding));

        // Random values inside each plane, zero in its padding (a value past the padding would be read by no tap anyway).
        public double[] RandomFrame(Random random, int samples)
        {
            double[] frames = new double[samples * FrameSize];
            for (int i = 0; i < frames.Length; i++)
            {
                int inPlane = i % (Width * Width), y = inPlane / Width, x = inPlane % Width;
                bool inside = y >= Padding && y < Width - Padding && x >= Padding && x < Width - Padding;
                frames[i] = inside ? (2 * random.NextDouble()) - 1 : 0.0;
            }

            return frames;
        }
    }
}
