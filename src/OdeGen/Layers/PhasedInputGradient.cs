using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OdeGen.Layers;

/// <summary>
/// The input gradient of a strided convolution in single precision, without the patches' adjoints and their folding:
/// xBar[c][iy][ix] += Σ W[o][c][ky][kx]·∂L/∂y[o][oy][ox] over the taps that read (iy, ix), iy = oy·stride − padding + ky
/// (ix likewise).
/// </summary>
/// <remarks>
/// <para>
/// The input pixels fall into stride² phases by ((iy + padding) mod stride, (ix + padding) mod stride). Every pixel of a phase
/// is read by the same taps (ky ≡ iy + padding, kx ≡ ix + padding, modulo the stride), each at the output pixel
/// ((iy + padding − ky)/stride, (ix + padding − kx)/stride): a fixed offset from a position that moves with the pixel. So a
/// phase is a stride-1 correlation of ∂L/∂y, in a frame of zeros wide enough for every offset, with that phase's taps, and
/// <see cref="DirectConvolution.Forward(int, int, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{int}, ReadOnlySpan{int}, Span{float})"/>
/// computes it with the image's planes as its output channels and the (output channel, ky, kx) triples as its taps.
/// </para>
/// <para>
/// The folding it replaces (col2im of Wᵀ·∂L/∂Y) made one indexed read-add-write per patch entry, planes·k²·outPixels of them
/// per sample, and took as long as the product before it on the stem's 4×4 stride-2 convolutions; here each input entry is
/// written once per sample. The sums run in another order than the product's and the folding's, so the results agree with
/// them to float's rounding, not to the bit (Conv2dSingleTests).
/// </para>
/// </remarks>
internal sealed class PhasedInputGradient
{
    private readonly Phase[] _phases;
    private readonly int _outChannels, _planes, _taps, _tile, _outHeight, _outWidth, _top, _left, _frameWidth, _framePlane, _imagePixels;

    /// <summary>Plans the phases of a convolution of <paramref name="planes"/> image planes into <paramref name="outChannels"/> channels.</summary>
    public PhasedInputGradient(int outChannels, int planes, int height, int width, int kernel, int stride, int padding)
    {
        _outChannels = outChannels;
        _planes = planes;
        _taps = kernel * kernel;
        _tile = DirectConvolution.SingleChannelTile(planes);
        _outHeight = ((height + (2 * padding) - kernel) / stride) + 1;
        _outWidth = ((width + (2 * padding) - kernel) / stride) + 1;
        _imagePixels = height * width;

        // The frame's zero margins: the output rows and columns any tap of any input pixel reaches, outside the output.
        (int low, int high) rows = Reach(height, kernel, stride, padding), columns = Reach(width, kernel, stride, padding);
        _top = Math.Max(0, -rows.low);
        _left = Math.Max(0, -columns.low);
        _frameWidth = _left + _outWidth + Math.Max(0, columns.high - (_outWidth - 1));
        _framePlane = (_top + _outHeight + Math.Max(0, rows.high - (_outHeight - 1))) * _frameWidth;

        var phases = new List<Phase>();
        int packedAt = 0;
        // A phase r ≥ kernel has no taps (skipped below): only r < min(stride, kernel) can hold any, so a stride far beyond the
        // kernel costs nothing (stride² empty phases were visited, for ever at int.MaxValue).
        int residues = Math.Min(stride, kernel);
        for (int ry = 0; ry < residues; ry++)
        {
            for (int rx = 0; rx < residues; rx++)
            {
                // The phase's taps, ky = ry, ry + stride, …; each reads ∂L/∂y (jy, jx) rows and columns before the pixel's last.
                int tapsY = ry < kernel ? ((kernel - 1 - ry) / stride) + 1 : 0, tapsX = rx < kernel ? ((kernel - 1 - rx) / stride) + 1 : 0;
                var pixels = new List<(int Target, int Offset)>();
                for (int iy = 0; iy < height; iy++)
                {
                    if ((iy + padding) % stride != ry) continue;
                    for (int ix = 0; ix < width; ix++)
                    {
                        if ((ix + padding) % stride != rx) continue;

                        // The output pixel the phase's last tap (ky = ry + (tapsY − 1)·stride) reads: the smallest row and column.
                        int oy = (iy + padding - ry) / stride - (tapsY - 1), ox = (ix + padding - rx) / stride - (tapsX - 1);
                        pixels.Add(((iy * width) + ix, ((oy + _top) * _frameWidth) + ox + _left));
                    }
                }

                if (tapsY == 0 || tapsX == 0 || pixels.Count == 0) continue;   // nothing reads these pixels: their gradient is zero
                int count = outChannels * tapsY * tapsX;
                int[] tapOffset = new int[count], weightAt = new int[count];
                for (int o = 0, t = 0; o < outChannels; o++)
                {
                    for (int jy = 0; jy < tapsY; jy++)
                    {
                        for (int jx = 0; jx < tapsX; jx++, t++)
                        {
                            int ky = ry + (jy * stride), kx = rx + (jx * stride);
                            tapOffset[t] = (o * _framePlane) + ((tapsY - 1 - jy) * _frameWidth) + (tapsX - 1 - jx);
                            weightAt[t] = (o * planes * _taps) + (ky * kernel) + kx;
                        }
                    }
                }

                int[] pixelOffset = [.. pixels.Select(p => p.Offset)];
                var skips = new DirectConvolution.PaddingSkips(tapOffset, pixelOffset, _framePlane, _frameWidth, _top, _left, _outHeight, _outWidth);
                phases.Add(new Phase([.. pixels.Select(p => p.Target)], pixelOffset, tapOffset, weightAt, packedAt, skips));
                packedAt += DirectConvolution.RoundUp(planes, _tile) * count;
            }
        }

        _phases = [.. phases];
        PackedSize = packedAt;
        FrameLength = outChannels * _framePlane;
        ResultLength = planes * _phases.Select(p => p.Targets.Length).DefaultIfEmpty(0).Max();
        MatrixLength = planes * _phases.Select(p => p.TapOffset.Length).DefaultIfEmpty(0).Max();
    }

    /// <summary>Floats the packed weights take (<see cref="Pack"/>).</summary>
    public int PackedSize { get; }

    /// <summary>Floats of ∂L/∂y in its zero frame (<see cref="Apply"/>'s frame; only its inside is ever written).</summary>
    public int FrameLength { get; }

    /// <summary>Floats of one phase's result (<see cref="Apply"/>'s scratch).</summary>
    public int ResultLength { get; }

    /// <summary>Doubles of <see cref="Pack"/>'s scratch.</summary>
    public int MatrixLength { get; }

    /// <summary>Packs W ([outChannel][plane·k² + tap]) as each phase's correlation reads it, rounded to float.</summary>
    public void Pack(ReadOnlySpan<double> weights, Span<float> packed, Span<double> matrix)
    {
        foreach (Phase phase in _phases)
        {
            int count = phase.TapOffset.Length;
            for (int c = 0; c < _planes; c++)
            {
                for (int t = 0; t < count; t++) matrix[(c * count) + t] = weights[phase.WeightAt[t] + (c * _taps)];
            }

            DirectConvolution.Pack(_planes, count, matrix[..(_planes * count)], packed.Slice(phase.PackedAt, DirectConvolution.RoundUp(_planes, _tile) * count), _tile);
        }
    }

    /// <summary>
    /// xBar += the input gradient of one sample, ∂L/∂y = <paramref name="yBar"/> ([channel][output pixel]), narrowed into
    /// <paramref name="frame"/> (whose margins must be zero), each phase's sums in float in <paramref name="result"/>, added to xBar in double.
    /// </summary>
    public void Apply(ReadOnlySpan<float> packed, ReadOnlySpan<double> yBar, Span<float> frame, Span<float> result, Span<double> xBar)
    {
        if (packed.Length < PackedSize || yBar.Length < _outChannels * _outHeight * _outWidth || frame.Length < FrameLength
            || result.Length < ResultLength || xBar.Length < _planes * _imagePixels)
            throw new ArgumentException("Phased input gradient: a buffer is too short.");
        for (int o = 0; o < _outChannels; o++)
        {
            for (int oy = 0; oy < _outHeight; oy++)
            {
                DirectConvolution.Narrow(yBar.Slice((((o * _outHeight) + oy) * _outWidth), _outWidth),
                    frame.Slice((o * _framePlane) + ((oy + _top) * _frameWidth) + _left, _outWidth));
            }
        }

        foreach (Phase phase in _phases)
        {
            int pixels = phase.Targets.Length, count = phase.TapOffset.Length;
            ReadOnlySpan<float> weights = packed.Slice(phase.PackedAt, DirectConvolution.RoundUp(_planes, _tile) * count);
            // The phase's sums in a compact float result, then added plane by plane. Widened into xBar straight from each tile
            // of six pixels, they touched every plane (5.4 KB apart on the 26×26 stem) per tile: the stem's input gradient took
            // 67–100 ms a batch so, 26–37 this way, timed alike (BENCHMARKS.md, 6 December 2026, 04:22).
            Span<float> sums = result[..(_planes * pixels)];
            DirectConvolution.ForwardOverwriting(_planes, weights, frame, phase.Skips, sums);
            // Unchecked: the targets are pixels of the image (built so), inside each plane of the checked xBar.
            ref int targets = ref MemoryMarshal.GetArrayDataReference(phase.Targets);
            for (int c = 0; c < _planes; c++)
            {
                ref double plane = ref Unsafe.Add(ref MemoryMarshal.GetReference(xBar), c * _imagePixels);
                ref float values = ref Unsafe.Add(ref MemoryMarshal.GetReference(sums), c * pixels);
                for (int j = 0; j < pixels; j++) Unsafe.Add(ref plane, Unsafe.Add(ref targets, j)) += Unsafe.Add(ref values, j);
            }
        }
    }

    // The lowest and highest output index (row or column) a tap of an input index reaches: (i + padding − k)/stride over the
    // taps with k ≡ i + padding (mod stride).
    private static (int Low, int High) Reach(int size, int kernel, int stride, int padding)
    {
        int low = int.MaxValue, high = int.MinValue;
        for (int i = 0; i < size; i++)
        {
            for (long k = (i + padding) % stride; k < kernel; k += stride)   // long: k + stride overflowed for a large stride
            {
                int o = (int)((i + padding - k) / stride);
                (low, high) = (Math.Min(low, o), Math.Max(high, o));
            }
        }

        return low == int.MaxValue ? (0, 0) : (low, high);
    }

    // One phase: its pixels (where their gradient goes, where their window starts in the frame), its taps (their offsets in the
    // frame, relative to the window's start, and where their weight sits in W), where its packed weights start, and the taps
    // each tile of its pixels reads inside ∂L/∂y (the others read the frame's zero margin only: skipped, the same bits).
    private sealed record Phase(int[] Targets, int[] PixelOffset, int[] TapOffset, int[] WeightAt, int PackedAt, DirectConvolution.PaddingSkips Skips);
}
