using System.Runtime.Intrinsics;
using OdeGen.Layers;
using OdeGen.Tests.Models;

namespace OdeGen.Tests.Layers;

/// <summary>
/// The direct convolution passes in single precision: at every SIMD width the same bits (each output is the same chain of
/// float fused multiply-adds), and within float's rounding bound of the exact sums of the same float-rounded values (computed
/// here from the definitions, in double): |error| ≤ (terms + 1)·2⁻²⁴·Σ|term|. A wrong term would be off by the term itself.
/// </summary>
public class DirectConvolutionSingleTests
{
    private const double Unit = 1.0 / (1 << 24);

    public static TheoryData<int, int, int, int, int, int, int> Shapes => DirectConvolutionTests.Shapes;

    public static TheoryData<int, int, int, int, int, bool> InputShapes => DirectConvolutionTests.InputShapes;

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Forward_IsTheSumOfTheRoundedTerms_ToFloatPrecision_TheSameBitsAtEveryWidth(int inChannels, int outChannels, int side, int kernel, int stride, int padding, int samples)
    {
        _ = samples;
        var g = new DirectConvolutionTests.Geometry(inChannels, side, kernel, stride, padding);
        var random = new Random(inChannels + outChannels);
        float[] frame = Round(g.RandomFrame(random, 1)), weights = Round(LayerChecks.Random(random, outChannels * g.Taps.Length));
        int taps = g.Taps.Length, pixels = g.Pixels.Length;
        double[] exact = new double[outChannels * pixels], bound = new double[exact.Length];
        for (int o = 0; o < outChannels; o++)
        {
            for (int j = 0; j < pixels; j++)
            {
                for (int q = 0; q < taps; q++)
                {
                    double term = (double)weights[(o * taps) + q] * frame[g.Taps[q] + g.Pixels[j]];
                    exact[(o * pixels) + j] += term;
                    bound[(o * pixels) + j] += Math.Abs(term);
                }
            }
        }

        float[]? first = null;
        foreach ((string name, int tile) in Widths(tall: true, wide: true))
        {
            if (name == "Vector512 wide" && DirectConvolution.RoundUp(outChannels, 32) % 64 != 0) continue;   // two 32-channel panels a tile
            float[] packed = new float[DirectConvolution.RoundUp(outChannels, tile) * taps], y = new float[outChannels * pixels];
            DirectConvolution.Pack(outChannels, taps, Widen(weights), packed, tile);
            switch (Kernel(name, tile))
            {
                case 0: DirectConvolution.ForwardTall<Single512, Vector512<float>, float>(outChannels, pixels, packed, frame, g.Taps, g.Pixels, y); break;
                case 1: DirectConvolution.ForwardWide<Single512, Vector512<float>, float>(outChannels, pixels, packed, frame, g.Taps, g.Pixels, y); break;
                case 2: DirectConvolution.Forward<Single1, float, float>(outChannels, pixels, packed, frame, g.Taps, g.Pixels, y); break;
                case 8: DirectConvolution.Forward<Single128, Vector128<float>, float>(outChannels, pixels, packed, frame, g.Taps, g.Pixels, y); break;
                case 16: DirectConvolution.Forward<Single256, Vector256<float>, float>(outChannels, pixels, packed, frame, g.Taps, g.Pixels, y); break;
                default: DirectConvolution.Forward<Single512, Vector512<float>, float>(outChannels, pixels, packed, frame, g.Taps, g.Pixels, y); break;
            }

            AssertWithin(exact, bound, taps, y, name);
            AssertSameBits(first ??= y, y, name);
        }

        // The dispatched entry (its own tile choice) gives the same bits.
        int chosen = DirectConvolution.SingleChannelTile(outChannels);
        float[] packedChosen = new float[DirectConvolution.RoundUp(outChannels, chosen) * taps], yChosen = new float[outChannels * pixels];
        DirectConvolution.Pack(outChannels, taps, Widen(weights), packedChosen, chosen);
        DirectConvolution.Forward(outChannels, pixels, packedChosen, frame, g.Taps, g.Pixels, yChosen);
        AssertSameBits(first!, yChosen, "dispatched");
    }

    public static TheoryData<int, int, int, int, int, int, int> SkipShapes => DirectConvolutionTests.SkipShapes;

    // The padding plans' shapes, and one whose 585 taps run three depth blocks through the wide kernel's 64-channel tiles.
    public static TheoryData<int, int, int, int, int, int, int> OverwriteShapes
    {
        get
        {
            TheoryData<int, int, int, int, int, int, int> shapes = DirectConvolutionTests.SkipShapes;
            shapes.Add(65, 40, 6, 3, 1, 1, 1);
            return shapes;
        }
    }

    [Theory]
    [MemberData(nameof(SkipShapes))]
    public void Forward_SkippingThePadding_IsTheForwardWithoutSkips_ToTheBit_AtEveryWidth(int inChannels, int outChannels, int side, int kernel, int stride, int padding, int samples)
    {
        _ = samples;
        var g = new DirectConvolutionTests.Geometry(inChannels, side, kernel, stride, padding);
        var random = new Random((5 * inChannels) + outChannels);
        float[] frame = Round(g.RandomFrame(random, 1)), weights = Round(LayerChecks.Random(random, outChannels * g.Taps.Length));
        int taps = g.Taps.Length, pixels = g.Pixels.Length;
        DirectConvolution.PaddingSkips skips = g.Skips();
        foreach ((string name, int tile) in Widths(tall: true, wide: true))
        {
            if (name == "Vector512 wide" && DirectConvolution.RoundUp(outChannels, 32) % 64 != 0) continue;   // two 32-channel panels a tile
            float[] packed = new float[DirectConvolution.RoundUp(outChannels, tile) * taps], y = new float[outChannels * pixels], skipping = new float[y.Length];
            DirectConvolution.Pack(outChannels, taps, Widen(weights), packed, tile);
            switch (Kernel(name, tile))
            {
                case 0:
                    DirectConvolution.ForwardTall<Single512, Vector512<float>, float>(outChannels, pixels, packed, frame, g.Taps, g.Pixels, y);
                    DirectConvolution.ForwardTall<Single512, Vector512<float>, float>(outChannels, pixels, packed, frame, g.Taps, g.Pixels, skipping, skips);
                    break;
                case 1:
                    DirectConvolution.ForwardWide<Single512, Vector512<float>, float>(outChannels, pixels, packed, frame, g.Taps, g.Pixels, y);
                    DirectConvolution.ForwardWide<Single512, Vector512<float>, float>(outChannels, pixels, packed, frame, g.Taps, g.Pixels, skipping, skips);
                    break;
                case 2:
                    DirectConvolution.Forward<Single1, float, float>(outChannels, pixels, packed, frame, g.Taps, g.Pixels, y);
                    DirectConvolution.Forward<Single1, float, float>(outChannels, pixels, packed, frame, g.Taps, g.Pixels, skipping, skips);
                    break;
                case 8:
                    DirectConvolution.Forward<Single128, Vector128<float>, float>(outChannels, pixels, packed, frame, g.Taps, g.Pixels, y);
                    DirectConvolution.Forward<Single128, Vector128<float>, float>(outChannels, pixels, packed, frame, g.Taps, g.Pixels, skipping, skips);
                    break;
                case 16:
                    DirectConvolution.Forward<Single256, Vector256<float>, float>(outChannels, pixels, packed, frame, g.Taps, g.Pixels, y);
                    DirectConvolution.Forward<Single256, Vector256<float>, float>(outChannels, pixels, packed, frame, g.Taps, g.Pixels, skipping, skips);
                    break;
                default:
                    DirectConvolution.Forward<Single512, Vector512<float>, float>(outChannels, pixels, packed, frame, g.Taps, g.Pixels, y);
                    DirectConvolution.Forward<Single512, Vector512<float>, float>(outChannels, pixels, packed, frame, g.Taps, g.Pixels, skipping, skips);
                    break;
            }

            AssertSameBits(y, skipping, name + ", skipping");
        }

        int chosen = DirectConvolution.SingleChannelTile(outChannels);
        float[] packedChosen = new float[DirectConvolution.RoundUp(outChannels, chosen) * taps], yChosen = new float[outChannels * pixels], skippingChosen = new float[yChosen.Length];
        DirectConvolution.Pack(outChannels, taps, Widen(weights), packedChosen, chosen);
        DirectConvolution.Forward(outChannels, pixels, packedChosen, frame, g.Taps, g.Pixels, yChosen);
        DirectConvolution.Forward(outChannels, packedChosen, frame, skips, skippingChosen);
        AssertSameBits(yChosen, skippingChosen, "dispatched, skipping");
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void WeightGradient_IsTheSumOfTheRoundedTerms_ToFloatPrecision_TheSameBitsAtEveryWidth(int inChannels, int outChannels, int side, int kernel, int stride, int padding, int samples)
    {
        var g = new DirectConvolutionTests.Geometry(inChannels, side, kernel, stride, padding);
        var random = new Random((3 * inChannels) + samples);
        int taps = g.Taps.Length, pixels = g.Pixels.Length, columns = samples * pixels;
        float[] frames = Round(g.RandomFrame(random, samples)), yBar = Round(LayerChecks.Random(random, outChannels * columns));
        int[] columnOffset = new int[columns];
        for (int s = 0, j = 0; s < samples; s++)
        {
            for (int pixel = 0; pixel < pixels; pixel++, j++) columnOffset[j] = (s * g.FrameSize) + g.Pixels[pixel];
        }

        double[] exact = new double[outChannels * taps], bound = new double[exact.Length];
        for (int o = 0; o < outChannels; o++)
        {
            for (int q = 0; q < taps; q++)
            {
                for (int j = 0; j < columns; j++)
                {
                    double term = (double)yBar[(o * columns) + j] * frames[g.Taps[q] + columnOffset[j]];
                    exact[(o * taps) + q] += term;
                    bound[(o * taps) + q] += Math.Abs(term);
                }
            }
        }

        float[]? first = null;
        foreach ((string name, int tile) in Widths(tall: true, wide: true))
        {
            if (name == "Vector512 wide" && DirectConvolution.RoundUp(outChannels, 32) % 64 != 0) continue;   // two 32-channel panels a tile
            int row = DirectConvolution.RoundUp(outChannels, tile);
            float[] yBarT = new float[columns * row], weightBar = new float[outChannels * taps];
            for (int o = 0; o < outChannels; o++)
            {
                for (int j = 0; j < columns; j++) yBarT[(j * row) + o] = yBar[(o * columns) + j];
            }

            switch (Kernel(name, tile))
            {
                case 0: DirectConvolution.WeightGradientTall<Single512, Vector512<float>, float>(outChannels, yBarT, frames, g.Taps, columnOffset, weightBar); break;
                case 1: DirectConvolution.WeightGradientWide<Single512, Vector512<float>, float>(outChannels, yBarT, frames, g.Taps, columnOffset, weightBar); break;
                case 2: DirectConvolution.WeightGradient<Single1, float, float>(outChannels, yBarT, frames, g.Taps, columnOffset, weightBar); break;
                case 8: DirectConvolution.WeightGradient<Single128, Vector128<float>, float>(outChannels, yBarT, frames, g.Taps, columnOffset, weightBar); break;
                case 16: DirectConvolution.WeightGradient<Single256, Vector256<float>, float>(outChannels, yBarT, frames, g.Taps, columnOffset, weightBar); break;
                default: DirectConvolution.WeightGradient<Single512, Vector512<float>, float>(outChannels, yBarT, frames, g.Taps, columnOffset, weightBar); break;
            }

            // Sums over more than one depth block of columns are added block by block: one more rounding per block.
            AssertWithin(exact, bound, columns + (columns / Gemm.DepthBlock), weightBar, name);
            AssertSameBits(first ??= weightBar, weightBar, name);
        }
    }

    [Theory]
    [MemberData(nameof(InputShapes))]
    public void InputGradient_IsTheSumOfTheRoundedTerms_ToFloatPrecision_TheSameBitsAtEveryWidth(int images, int outChannels, int side, int kernel, int padding, bool timePlane)
    {
        int first = timePlane ? 1 : 0, planes = images + first, taps = kernel * kernel, patch = planes * taps;
        int outSide = side + (2 * padding) - kernel + 1, outPixels = outSide * outSide, pixels = side * side;
        var random = new Random((5 * images) + kernel);
        float[] weights = Round(LayerChecks.Random(random, outChannels * patch)), yBar = Round(LayerChecks.Random(random, outChannels * outPixels));

        // From the definition: x[c][y][x] collects W[o][c, ky, kx]·∂L/∂Y[o][oy][ox] wherever tap (ky, kx) of output pixel (oy, ox) reads it.
        double[] exact = new double[images * pixels], bound = new double[exact.Length];
        double exactT = 0.0, boundT = 0.0;
        int terms = 0;
        for (int c = 0; c < planes; c++)
        {
            for (int ky = 0; ky < kernel; ky++)
            {
                for (int kx = 0; kx < kernel; kx++)
                {
                    for (int j = 0; j < outPixels; j++)
                    {
                        int y = (j / outSide) - padding + ky, x = (j % outSide) - padding + kx;
                        if ((uint)y >= (uint)side || (uint)x >= (uint)side) continue;
                        for (int o = 0; o < outChannels; o++)
                        {
                            double term = (double)weights[(o * patch) + (c * taps) + (ky * kernel) + kx] * yBar[(o * outPixels) + j];
                            if (c < first)
                            {
                                (exactT, boundT) = (exactT + term, boundT + Math.Abs(term));
                                terms++;
                            }
                            else
                            {
                                exact[((c - first) * pixels) + (y * side) + x] += term;
                                bound[((c - first) * pixels) + (y * side) + x] += Math.Abs(term);
                            }
                        }
                    }
                }
            }
        }

        int margin = kernel - 1 - padding, frameSide = outSide + (2 * margin);
        float[] frame = new float[outChannels * frameSide * frameSide];
        for (int o = 0; o < outChannels; o++)
        {
            for (int j = 0; j < outPixels; j++) frame[(o * frameSide * frameSide) + (((j / outSide) + margin) * frameSide) + (j % outSide) + margin] = yBar[(o * outPixels) + j];
        }

        var shape = new DirectConvolution.InputShape(outChannels, images, side, side, kernel, padding, timePlane);
        float[] timeValues = new float[taps * outPixels];
        float[]? firstX = null;
        float firstT = 0;
        foreach ((string name, int tile) in Widths(tall: true, wide: true))
        {
            if (name == "Vector512 wide" && DirectConvolution.RoundUp(images, 32) % 64 != 0) continue;   // two 32-plane panels a tile
            float[] packed = new float[DirectConvolution.InputPackedSize(outChannels, planes, taps, timePlane, tile)], xBar = new float[images * pixels];
            DirectConvolution.PackForInput(outChannels, planes, taps, timePlane, Widen(weights), packed, tile);
            float tBar = Kernel(name, tile) switch
            {
                0 => DirectConvolution.InputGradientTall<Single512, Vector512<float>, float>(shape, packed, yBar, frame, xBar, timeValues),
                1 => DirectConvolution.InputGradientWide<Single512, Vector512<float>, float>(shape, packed, yBar, frame, xBar, timeValues),
                2 => DirectConvolution.InputGradient<Single1, float, float>(shape, packed, yBar, frame, xBar, timeValues),
                8 => DirectConvolution.InputGradient<Single128, Vector128<float>, float>(shape, packed, yBar, frame, xBar, timeValues),
                16 => DirectConvolution.InputGradient<Single256, Vector256<float>, float>(shape, packed, yBar, frame, xBar, timeValues),
                _ => DirectConvolution.InputGradient<Single512, Vector512<float>, float>(shape, packed, yBar, frame, xBar, timeValues),
            };

            // Each entry: its taps' sums over the channels (a chain each), then added tap after tap.
            AssertWithin(exact, bound, outChannels + taps, xBar, name);
            AssertWithin([exactT], [boundT], outChannels + terms, [tBar], name + " tBar");
            AssertSameBits(firstX ??= xBar, xBar, name);
            if (firstX == xBar) firstT = tBar;
            Assert.Equal(BitConverter.SingleToInt32Bits(firstT), BitConverter.SingleToInt32Bits(tBar));
        }

        // The dispatched entry (its own tile choice: the tall kernel for 16 planes on Vector512) gives the same bits.
        int chosen = DirectConvolution.SingleChannelTile(images);
        float[] packedChosen = new float[DirectConvolution.InputPackedSize(outChannels, planes, taps, timePlane, chosen)], xBarChosen = new float[images * pixels];
        DirectConvolution.PackForInput(outChannels, planes, taps, timePlane, Widen(weights), packedChosen, chosen);
        float tBarChosen = DirectConvolution.InputGradient(outChannels, planes, side, side, kernel, padding, timePlane, packedChosen, yBar, frame, xBarChosen, timeValues);
        AssertSameBits(firstX!, xBarChosen, "dispatched");
        Assert.Equal(BitConverter.SingleToInt32Bits(firstT), BitConverter.SingleToInt32Bits(tBarChosen));
    }

    [Fact]
    public void NarrowAddWidenedAndSetWidened_EqualTheScalarConversions_AtEveryLength()
    {
        var random = new Random(9);
        for (int n = 0; n < 40; n++)
        {
            double[] source = LayerChecks.Random(random, n, 1e3), destination = LayerChecks.Random(random, n);
            float[] narrow = new float[n];
            DirectConvolution.Narrow(source, narrow);
            double[] added = (double[])destination.Clone(), set = (double[])destination.Clone();
            DirectConvolution.AddWidened(narrow, added);
            DirectConvolution.SetWidened(narrow, 0.375 * n, set);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits((float)source[i]), BitConverter.SingleToInt32Bits(narrow[i]));
                Assert.Equal(BitConverter.DoubleToInt64Bits(destination[i] + narrow[i]), BitConverter.DoubleToInt64Bits(added[i]));
                Assert.Equal(BitConverter.DoubleToInt64Bits((0.375 * n) + narrow[i]), BitConverter.DoubleToInt64Bits(set[i]));
            }
        }
    }

    // The tall kernels' tiles go back transposed in registers when full (16 lanes by 12 rows on Vector512): onto targets that
    // already hold values (the forward output, the weight gradient, the input gradient all add), full tiles and short ones
    // (6×6 = 3 full tiles of pixels; 13×13 ends in a short tile; 19 planes end in a 3-plane block; 32·9 taps span two depth
    // blocks), the scalar kernel's bits; the two-vector Vector512 kernels (32 channels a tile) too.
    // The float operands both kernel tests draw: frames, weights, a nonzero y and dL/dW to add onto, dL/dY transposed, and
    // each column's offset into the frames (sample by sample, pixel by pixel).
    private static (float[] Frames, float[] Weights, float[] Y0, float[] WeightBar0, float[] YBarT, int[] ColumnOffset) KernelOperands(
        DirectConvolutionTests.Geometry g, Random random, int outChannels, int samples)
    {
        int taps = g.Taps.Length, pixels = g.Pixels.Length, columns = samples * pixels;
        float[] frames = Round(g.RandomFrame(random, samples)), weights = Round(LayerChecks.Random(random, outChannels * taps));
        float[] y0 = Round(LayerChecks.Random(random, outChannels * pixels)), weightBar0 = Round(LayerChecks.Random(random, outChannels * taps));
        float[] yBarT = Round(LayerChecks.Random(random, columns * outChannels));
        int[] columnOffset = new int[columns];
        for (int s = 0, j = 0; s < samples; s++)
        {
            for (int pixel = 0; pixel < pixels; pixel++, j++) columnOffset[j] = (s * g.FrameSize) + g.Pixels[pixel];
        }

        return (frames, weights, y0, weightBar0, yBarT, columnOffset);
    }

    [Theory]
    [InlineData(16, 16, 6, 3, 1, 1, 3)]
    [InlineData(3, 16, 13, 4, 1, 1, 2)]
    [InlineData(16, 32, 8, 3, 1, 0, 1)]
    [InlineData(32, 64, 6, 3, 1, 1, 2)]
    [InlineData(3, 48, 7, 3, 1, 1, 1)]
    public void TallKernels_AddOntoTheTarget_TheScalarKernelsBits(int inChannels, int outChannels, int side, int kernel, int stride, int padding, int samples)
    {
        if (!Vector512.IsHardwareAccelerated) return;   // the tall kernels run on Vector512 only (the widths' tests cover the others)
        var g = new DirectConvolutionTests.Geometry(inChannels, side, kernel, stride, padding);
        var random = new Random(outChannels + side);
        int taps = g.Taps.Length, pixels = g.Pixels.Length, columns = samples * pixels;
        var (frames, weights, y0, weightBar0, yBarT, columnOffset) = KernelOperands(g, random, outChannels, samples);

        float[] packedScalar = new float[DirectConvolution.RoundUp(outChannels, 2) * taps], packedTall = new float[outChannels * taps];
        DirectConvolution.Pack(outChannels, taps, Widen(weights), packedScalar, 2);
        DirectConvolution.Pack(outChannels, taps, Widen(weights), packedTall, 16);
        float[] yScalar = (float[])y0.Clone(), yTall = (float[])y0.Clone();
        DirectConvolution.Forward<Single1, float, float>(outChannels, pixels, packedScalar, frames, g.Taps, g.Pixels, yScalar);
        DirectConvolution.ForwardTall<Single512, Vector512<float>, float>(outChannels, pixels, packedTall, frames, g.Taps, g.Pixels, yTall);
        AssertSameBits(yScalar, yTall, "forward");
        float[] packedWide = new float[DirectConvolution.RoundUp(outChannels, 32) * taps], yWide = (float[])y0.Clone();
        DirectConvolution.Pack(outChannels, taps, Widen(weights), packedWide, 32);
        DirectConvolution.Forward<Single512, Vector512<float>, float>(outChannels, pixels, packedWide, frames, g.Taps, g.Pixels, yWide);
        AssertSameBits(yScalar, yWide, "forward, two vectors");

        float[] wScalar = (float[])weightBar0.Clone(), wTall = (float[])weightBar0.Clone();
        DirectConvolution.WeightGradient<Single1, float, float>(outChannels, yBarT, frames, g.Taps, columnOffset, wScalar);
        DirectConvolution.WeightGradientTall<Single512, Vector512<float>, float>(outChannels, yBarT, frames, g.Taps, columnOffset, wTall);
        AssertSameBits(wScalar, wTall, "weight gradient");
        int wideRow = DirectConvolution.RoundUp(outChannels, 32);
        float[] yBarTWide = new float[columns * wideRow], wWide = (float[])weightBar0.Clone();
        for (int j = 0; j < columns; j++) yBarT.AsSpan(j * outChannels, outChannels).CopyTo(yBarTWide.AsSpan(j * wideRow));
        DirectConvolution.WeightGradient<Single512, Vector512<float>, float>(outChannels, yBarTWide, frames, g.Taps, columnOffset, wWide);
        AssertSameBits(wScalar, wWide, "weight gradient, two vectors");

        if (stride != 1) return;
        // The input gradient with outChannels as the image's planes (16 or 32 of them, and 19: a short block of planes).
        foreach (int images in new[] { outChannels, outChannels + 3 })
        {
            int planes = images, outputs = 8, inTaps = kernel * kernel, outSide = side + (2 * padding) - kernel + 1, margin = kernel - 1 - padding;
            int frameSide = outSide + (2 * margin);
            float[] w = Round(LayerChecks.Random(random, outputs * planes * inTaps)), frame = new float[outputs * frameSide * frameSide];
            float[] yBar = Round(LayerChecks.Random(random, outputs * outSide * outSide)), xBar0 = Round(LayerChecks.Random(random, images * side * side));
            for (int o = 0; o < outputs; o++)
            {
                for (int j = 0; j < outSide * outSide; j++) frame[(o * frameSide * frameSide) + (((j / outSide) + margin) * frameSide) + (j % outSide) + margin] = yBar[(o * outSide * outSide) + j];
            }

            var shape = new DirectConvolution.InputShape(outputs, images, side, side, kernel, padding, timePlane: false);
            float[] pScalar = new float[DirectConvolution.InputPackedSize(outputs, planes, inTaps, false, 2)], pTall = new float[DirectConvolution.InputPackedSize(outputs, planes, inTaps, false, 16)];
            DirectConvolution.PackForInput(outputs, planes, inTaps, false, Widen(w), pScalar, 2);
            DirectConvolution.PackForInput(outputs, planes, inTaps, false, Widen(w), pTall, 16);
            float[] xScalar = (float[])xBar0.Clone(), xTall = (float[])xBar0.Clone(), timeValues = [];
            DirectConvolution.InputGradient<Single1, float, float>(shape, pScalar, yBar, frame, xScalar, timeValues);
            DirectConvolution.InputGradientTall<Single512, Vector512<float>, float>(shape, pTall, yBar, frame, xTall, timeValues);
            AssertSameBits(xScalar, xTall, $"input gradient, {images} planes");
        }
    }

    // The wide kernels (64 channels a tile) add onto what the target held, as the scalar kernel does: 6×6 (full tiles of six
    // pixels, whose running sums go to and from the target transposed in registers), 7×7 and 13×13 (a short last tile), 65
    // and 33 planes (three and two depth blocks of taps: the tile's sums run through every block before they go back; 9 samples
    // of 6×6, 324 columns: two depth blocks of the weight gradient's), 128 channels (two tiles), 40 (the tile's second panel
    // short), the stem's 4×4 stride 2; with and without the padding's skips.
    [Theory]
    [InlineData(65, 64, 6, 3, 1, 1, 9)]
    [InlineData(65, 64, 7, 3, 1, 1, 1)]
    [InlineData(33, 128, 13, 3, 1, 1, 2)]
    [InlineData(9, 64, 26, 4, 2, 1, 1)]
    [InlineData(40, 40, 6, 3, 1, 1, 2)]
    public void WideKernels_AddOntoTheTarget_TheScalarKernelsBits(int inChannels, int outChannels, int side, int kernel, int stride, int padding, int samples)
    {
        var g = new DirectConvolutionTests.Geometry(inChannels, side, kernel, stride, padding);
        var random = new Random((11 * outChannels) + side);
        int taps = g.Taps.Length, pixels = g.Pixels.Length, columns = samples * pixels;
        var (frames, weights, y0, weightBar0, yBarT, columnOffset) = KernelOperands(g, random, outChannels, samples);

        DirectConvolution.PaddingSkips skips = g.Skips();
        float[] packedScalar = new float[DirectConvolution.RoundUp(outChannels, 2) * taps], packedWide = new float[DirectConvolution.RoundUp(outChannels, 32) * taps];
        DirectConvolution.Pack(outChannels, taps, Widen(weights), packedScalar, 2);
        DirectConvolution.Pack(outChannels, taps, Widen(weights), packedWide, 32);
        for (int s = 0; s < samples; s++)
        {
            ReadOnlySpan<float> frame = frames.AsSpan(s * g.FrameSize, g.FrameSize);
            float[] yScalar = (float[])y0.Clone(), yWide = (float[])y0.Clone(), ySkipping = (float[])y0.Clone();
            DirectConvolution.Forward<Single1, float, float>(outChannels, pixels, packedScalar, frame, g.Taps, g.Pixels, yScalar);
            DirectConvolution.ForwardWide<Single512, Vector512<float>, float>(outChannels, pixels, packedWide, frame, g.Taps, g.Pixels, yWide);
            DirectConvolution.ForwardWide<Single512, Vector512<float>, float>(outChannels, pixels, packedWide, frame, g.Taps, g.Pixels, ySkipping, skips);
            AssertSameBits(yScalar, yWide, $"forward, sample {s}");
            AssertSameBits(yScalar, ySkipping, $"forward skipping the padding, sample {s}");
        }

        int wideRow = DirectConvolution.RoundUp(outChannels, 32);
        float[] yBarTScalar = new float[columns * DirectConvolution.RoundUp(outChannels, 2)], yBarTWide = new float[columns * wideRow];
        for (int j = 0; j < columns; j++)
        {
            yBarT.AsSpan(j * outChannels, outChannels).CopyTo(yBarTScalar.AsSpan(j * DirectConvolution.RoundUp(outChannels, 2)));
            yBarT.AsSpan(j * outChannels, outChannels).CopyTo(yBarTWide.AsSpan(j * wideRow));
        }

        float[] wScalar = (float[])weightBar0.Clone(), wWide = (float[])weightBar0.Clone();
        DirectConvolution.WeightGradient<Single1, float, float>(outChannels, yBarTScalar, frames, g.Taps, columnOffset, wScalar);
        DirectConvolution.WeightGradientWide<Single512, Vector512<float>, float>(outChannels, yBarTWide, frames, g.Taps, columnOffset, wWide);
        AssertSameBits(wScalar, wWide, "weight gradient");
    }

    // Stride-1 shapes for the kernel by pixels (input channels, output channels, image side, kernel, padding): the first
    // convolution's one plane of 3×3 taps without padding (9 channels: a partial group of eight), rows of 26, 18, 11 and 5
    // pixels (each width's last vector overlapping the one before it, and rows narrower than a vector), padding 1.
    public static TheoryData<int, int, int, int, int> ByPixelsShapes => new()
    {
        { 1, 9, 28, 3, 0 },
        { 1, 64, 20, 3, 0 },
        { 2, 16, 13, 3, 1 },
        { 1, 3, 7, 3, 0 },
        { 3, 17, 9, 5, 2 },
    };

    [Theory]
    [MemberData(nameof(ByPixelsShapes))]
    public void ForwardByPixels_WritesTheForwardsBitsIntoAClearedOutput_AtEveryWidth(int inChannels, int outChannels, int side, int kernel, int padding)
    {
        var g = new DirectConvolutionTests.Geometry(inChannels, side, kernel, 1, padding);
        var random = new Random((7 * inChannels) + outChannels);
        float[] frame = Round(g.RandomFrame(random, 1)), weights = Round(LayerChecks.Random(random, outChannels * g.Taps.Length));
        int taps = g.Taps.Length, pixels = g.Pixels.Length, outWidth = side + (2 * padding) - kernel + 1;
        int tile = DirectConvolution.SingleChannelTile(outChannels);
        float[] packed = new float[DirectConvolution.RoundUp(outChannels, tile) * taps], expected = new float[outChannels * pixels];
        DirectConvolution.Pack(outChannels, taps, Widen(weights), packed, tile);
        DirectConvolution.Forward(outChannels, pixels, packed, frame, g.Taps, g.Pixels, expected);
        foreach ((string name, int lanes) in new[] { ("scalar", 1), ("Vector128", 4), ("Vector256", 8), ("Vector512", 16) })
        {
            if (lanes > outWidth || (lanes == 4 && !Vector128.IsHardwareAccelerated) || (lanes == 8 && !Vector256.IsHardwareAccelerated) || (lanes == 16 && !Vector512.IsHardwareAccelerated)) continue;
            float[] y = Enumerable.Repeat(float.NaN, expected.Length).ToArray();   // overwritten, not added to
            switch (lanes)
            {
                case 1: DirectConvolution.ForwardByPixels<Single1, float>(outChannels, outWidth, tile, packed, frame, g.Taps, g.Pixels, y); break;
                case 4: DirectConvolution.ForwardByPixels<Single128, Vector128<float>>(outChannels, outWidth, tile, packed, frame, g.Taps, g.Pixels, y); break;
                case 8: DirectConvolution.ForwardByPixels<Single256, Vector256<float>>(outChannels, outWidth, tile, packed, frame, g.Taps, g.Pixels, y); break;
                default: DirectConvolution.ForwardByPixels<Single512, Vector512<float>>(outChannels, outWidth, tile, packed, frame, g.Taps, g.Pixels, y); break;
            }

            AssertSameBits(expected, y, name + " by pixels");
        }

        float[] dispatched = new float[expected.Length];
        DirectConvolution.ForwardByPixels(outChannels, outWidth, packed, frame, g.Taps, g.Pixels, dispatched);
        AssertSameBits(expected, dispatched, "dispatched by pixels");
    }

    [Theory]
    [MemberData(nameof(OverwriteShapes))]
    public void ForwardOverwriting_WritesTheSumsTheForwardAddsToAClearedOutput_ToTheBit_AtEveryWidth(int inChannels, int outChannels, int side, int kernel, int stride, int padding, int samples)
    {
        _ = samples;
        var g = new DirectConvolutionTests.Geometry(inChannels, side, kernel, stride, padding);
        int taps = g.Taps.Length, pixels = g.Pixels.Length;
        var random = new Random((11 * inChannels) + outChannels);
        float[] frame = Round(g.RandomFrame(random, 1)), weights = Round(LayerChecks.Random(random, outChannels * taps));
        DirectConvolution.PaddingSkips skips = g.Skips();
        foreach ((string name, int tile) in Widths(tall: true, wide: true))
        {
            if (name == "Vector512 wide" && DirectConvolution.RoundUp(outChannels, 32) % 64 != 0) continue;   // two 32-channel panels a tile
            float[] packed = new float[DirectConvolution.RoundUp(outChannels, tile) * taps], expected = new float[outChannels * pixels];
            float[] actual = Enumerable.Repeat(float.NaN, outChannels * pixels).ToArray();   // written, not added to
            DirectConvolution.Pack(outChannels, taps, Widen(weights), packed, tile);
            switch (Kernel(name, tile))
            {
                case 0:
                    DirectConvolution.ForwardTall<Single512, Vector512<float>, float>(outChannels, pixels, packed, frame, g.Taps, g.Pixels, expected, skips);
                    DirectConvolution.ForwardTall<Single512, Vector512<float>, float>(outChannels, pixels, packed, frame, g.Taps, g.Pixels, actual, skips, overwrite: true);
                    break;
                case 1:
                    DirectConvolution.ForwardWide<Single512, Vector512<float>, float>(outChannels, pixels, packed, frame, g.Taps, g.Pixels, expected, skips);
                    DirectConvolution.ForwardWide<Single512, Vector512<float>, float>(outChannels, pixels, packed, frame, g.Taps, g.Pixels, actual, skips, overwrite: true);
                    break;
                case 2:
                    DirectConvolution.Forward<Single1, float, float>(outChannels, pixels, packed, frame, g.Taps, g.Pixels, expected, skips);
                    DirectConvolution.Forward<Single1, float, float>(outChannels, pixels, packed, frame, g.Taps, g.Pixels, actual, skips, overwrite: true);
                    break;
                case 8:
                    DirectConvolution.Forward<Single128, Vector128<float>, float>(outChannels, pixels, packed, frame, g.Taps, g.Pixels, expected, skips);
                    DirectConvolution.Forward<Single128, Vector128<float>, float>(outChannels, pixels, packed, frame, g.Taps, g.Pixels, actual, skips, overwrite: true);
                    break;
                case 16:
                    DirectConvolution.Forward<Single256, Vector256<float>, float>(outChannels, pixels, packed, frame, g.Taps, g.Pixels, expected, skips);
                    DirectConvolution.Forward<Single256, Vector256<float>, float>(outChannels, pixels, packed, frame, g.Taps, g.Pixels, actual, skips, overwrite: true);
                    break;
                default:
                    DirectConvolution.Forward<Single512, Vector512<float>, float>(outChannels, pixels, packed, frame, g.Taps, g.Pixels, expected, skips);
                    DirectConvolution.Forward<Single512, Vector512<float>, float>(outChannels, pixels, packed, frame, g.Taps, g.Pixels, actual, skips, overwrite: true);
                    break;
            }

            AssertSameBits(expected, actual, name + " overwriting");
        }

        int chosen = DirectConvolution.SingleChannelTile(outChannels);
        float[] packedChosen = new float[DirectConvolution.RoundUp(outChannels, chosen) * taps], yChosen = new float[outChannels * pixels];
        float[] written = Enumerable.Repeat(float.NaN, outChannels * pixels).ToArray();
        DirectConvolution.Pack(outChannels, taps, Widen(weights), packedChosen, chosen);
        DirectConvolution.Forward(outChannels, packedChosen, frame, skips, yChosen);
        DirectConvolution.ForwardOverwriting(outChannels, packedChosen, frame, skips, written);
        AssertSameBits(yChosen, written, "dispatched overwriting");
        Assert.Throws<ArgumentException>(() => DirectConvolution.ForwardOverwriting(outChannels, packedChosen, frame, skips, written.AsSpan(1)));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void WeightGradientWidened_AddsTheFloatSums_InDouble_InTheTiledLayout_ToTheBit_AtEveryWidth(int inChannels, int outChannels, int side, int kernel, int stride, int padding, int samples)
    {
        var g = new DirectConvolutionTests.Geometry(inChannels, side, kernel, stride, padding);
        int taps = g.Taps.Length, pixels = g.Pixels.Length;
        samples = Math.Max(1, Math.Min(samples, Gemm.DepthBlock / pixels));   // one depth block of columns
        int columns = samples * pixels;
        var random = new Random((13 * inChannels) + samples);
        float[] frames = Round(g.RandomFrame(random, samples)), yBar = Round(LayerChecks.Random(random, outChannels * columns));
        int[] columnOffset = new int[columns];
        for (int s = 0, j = 0; s < samples; s++)
        {
            for (int pixel = 0; pixel < pixels; pixel++, j++) columnOffset[j] = (s * g.FrameSize) + g.Pixels[pixel];
        }

        double[] start = LayerChecks.Random(random, outChannels * taps);
        foreach ((string name, int tile) in Widths(tall: true, wide: true))
        {
            if (name == "Vector512 wide" && DirectConvolution.RoundUp(outChannels, 32) % 64 != 0) continue;   // two 32-channel panels a tile
            int row = DirectConvolution.RoundUp(outChannels, tile);
            float[] yBarT = new float[columns * row], weightBar = new float[outChannels * taps];
            for (int o = 0; o < outChannels; o++)
            {
                for (int j = 0; j < columns; j++) yBarT[(j * row) + o] = yBar[(o * columns) + j];
            }

            double[] wide = new double[row * taps], expected = (double[])start.Clone(), actual = new double[start.Length];
            DirectConvolution.Pack(outChannels, taps, start, wide, tile);
            switch (Kernel(name, tile))
            {
                case 0:
                    DirectConvolution.WeightGradientTall<Single512, Vector512<float>, float>(outChannels, yBarT, frames, g.Taps, columnOffset, weightBar);
                    DirectConvolution.WeightGradientTall<Single512, Vector512<float>, float>(outChannels, yBarT, frames, g.Taps, columnOffset, default, wide);
                    break;
                case 1:
                    DirectConvolution.WeightGradientWide<Single512, Vector512<float>, float>(outChannels, yBarT, frames, g.Taps, columnOffset, weightBar);
                    DirectConvolution.WeightGradientWide<Single512, Vector512<float>, float>(outChannels, yBarT, frames, g.Taps, columnOffset, default, wide);
                    break;
                case 2:
                    DirectConvolution.WeightGradient<Single1, float, float>(outChannels, yBarT, frames, g.Taps, columnOffset, weightBar);
                    DirectConvolution.WeightGradient<Single1, float, float>(outChannels, yBarT, frames, g.Taps, columnOffset, default, wide);
                    break;
                case 8:
                    DirectConvolution.WeightGradient<Single128, Vector128<float>, float>(outChannels, yBarT, frames, g.Taps, columnOffset, weightBar);
                    DirectConvolution.WeightGradient<Single128, Vector128<float>, float>(outChannels, yBarT, frames, g.Taps, columnOffset, default, wide);
                    break;
                case 16:
                    DirectConvolution.WeightGradient<Single256, Vector256<float>, float>(outChannels, yBarT, frames, g.Taps, columnOffset, weightBar);
                    DirectConvolution.WeightGradient<Single256, Vector256<float>, float>(outChannels, yBarT, frames, g.Taps, columnOffset, default, wide);
                    break;
                default:
                    DirectConvolution.WeightGradient<Single512, Vector512<float>, float>(outChannels, yBarT, frames, g.Taps, columnOffset, weightBar);
                    DirectConvolution.WeightGradient<Single512, Vector512<float>, float>(outChannels, yBarT, frames, g.Taps, columnOffset, default, wide);
                    break;
            }

            DirectConvolution.AddWidened(weightBar, expected);
            DirectConvolution.Unpack(outChannels, taps, wide, actual, tile);
            AssertSameBits(expected, actual, name + " widened");
        }

        int chosen = DirectConvolution.SingleChannelTile(outChannels), rowChosen = DirectConvolution.RoundUp(outChannels, chosen);
        float[] barsT = new float[columns * rowChosen], floatBar = new float[outChannels * taps];
        for (int o = 0; o < outChannels; o++)
        {
            for (int j = 0; j < columns; j++) barsT[(j * rowChosen) + o] = yBar[(o * columns) + j];
        }

        double[] wideChosen = new double[rowChosen * taps], expectedChosen = (double[])start.Clone(), actualChosen = new double[start.Length];
        DirectConvolution.Pack(outChannels, taps, start, wideChosen, chosen);
        DirectConvolution.WeightGradient(outChannels, barsT, frames, g.Taps, columnOffset, floatBar);
        DirectConvolution.WeightGradientWidened(outChannels, barsT, frames, g.Taps, columnOffset, wideChosen);
        DirectConvolution.AddWidened(floatBar, expectedChosen);
        DirectConvolution.Unpack(outChannels, taps, wideChosen, actualChosen, chosen);
        AssertSameBits(expectedChosen, actualChosen, "dispatched widened");
    }

    private static void AssertSameBits(double[] expected, double[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.DoubleToInt64Bits(expected[i]) == BitConverter.DoubleToInt64Bits(actual[i]), $"{what}[{i}]: {actual[i]:R} vs {expected[i]:R}");
    }

    // The float widths the hardware runs (the scalar always), each with its channel tile (two vectors; the tall kernel's one
    // Vector512, twelve rows, when asked for; the wide kernels' two panels of two Vector512, when asked for).
    private static IEnumerable<(string Name, int Tile)> Widths(bool tall = false, bool wide = false)
    {
        yield return ("scalar", 2);
        if (Vector128.IsHardwareAccelerated) yield return ("Vector128", 8);
        if (Vector256.IsHardwareAccelerated) yield return ("Vector256", 16);
        if (Vector512.IsHardwareAccelerated) yield return ("Vector512", 32);
        if (tall && Vector512.IsHardwareAccelerated) yield return ("Vector512 tall", 16);
        if (wide && Vector512.IsHardwareAccelerated) yield return ("Vector512 wide", 32);
    }

    // The kernel a width's switch runs: 0 the tall one, 1 the wide one (four vectors), else the two-vector one of that tile.
    private static int Kernel(string name, int tile) => name switch { "Vector512 tall" => 0, "Vector512 wide" => 1, _ => tile };

    private static float[] Round(double[] values) => values.Select(v => (float)v).ToArray();

    private static double[] Widen(float[] values) => values.Select(v => (double)v).ToArray();

    private static void AssertWithin(double[] exact, double[] bound, int terms, float[] actual, string what)
    {
        for (int i = 0; i < exact.Length; i++)
        {
            double allowed = ((terms + 1) * Unit * bound[i]) + 1e-30;
            Assert.True(Math.Abs(actual[i] - exact[i]) <= allowed, $"{what}[{i}]: {actual[i]:R} vs {exact[i]:R} (allowed {allowed:E2})");
        }
    }

    private static void AssertSameBits(float[] expected, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]), $"{what}[{i}]: {actual[i]:R} vs {expected[i]:R} at the first width");
    }
}
