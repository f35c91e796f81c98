using System.Runtime.InteropServices;

namespace OdeGen.Layers;

/// <summary>
/// A float buffer whose first element starts a 64-byte line (one cache line, one Vector512), for the packed weights the
/// float convolution kernels stream through: a kernel reading them 16, 32 or 48 bytes off a line ran 8 % slower (the ODE
/// block's first convolution, whose runtime-placed array always started 16 bytes off; BENCHMARKS.md, 6 December 2026,
/// "per-process slow mode"). The array lives on the pinned-object heap, so the offset found once stays right.
/// </summary>
internal sealed class LineAlignedFloats
{
    private const int Line = 64;
    private readonly float[] _array;
    private readonly int _offset;

    /// <summary>Allocates <paramref name="length"/> floats, zeroed, starting on a 64-byte line.</summary>
    public LineAlignedFloats(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _array = GC.AllocateArray<float>(length + (Line / sizeof(float)) - 1, pinned: true);
        GCHandle handle = GCHandle.Alloc(_array, GCHandleType.Pinned);   // only to read the address: the array never moves
        long address = handle.AddrOfPinnedObject();
        handle.Free();
        _offset = (int)((Line - (address & (Line - 1))) & (Line - 1)) / sizeof(float);
        Length = length;
    }

    /// <summary>The number of floats.</summary>
    public int Length { get; }

    /// <summary>The buffer.</summary>
    public Span<float> Span => _array.AsSpan(_offset, Length);
}
