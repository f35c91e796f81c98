// Rendered from Templates/Lane.cs.template: edit the template, then run
// ODEGEN_ACCEPT_SNAPSHOTS=1 dotnet test tests/OdeGen.Tests -c Release --filter LaneTemplateTests
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace OdeGen.Lanes;

/// <summary>8 doubles in one <see cref="Vector512{T}"/>: the lane type for 512-bit SIMD.</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct Lane512 : ILane<Lane512>, ILaneBits<Lane512>
{
    /// <summary>The register.</summary>
    public readonly Vector512<double> Value;

    /// <summary>Wraps a register.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Lane512(Vector512<double> value) => Value = value;

    /// <inheritdoc/>
    public static int Count => 8;
    /// <inheritdoc/>
    public static Lane512 Zero => default;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane512 Create(double value) => new(Vector512.Create(value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane512 Load(ReadOnlySpan<double> values) => new(Vector512.Create(values));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Lane512 value, Span<double> destination) => value.Value.CopyTo(destination);
    /// <inheritdoc/>
    public static double GetLane(Lane512 value, int lane) => value.Value.GetElement(lane);
    /// <inheritdoc/>
    public static Lane512 Indices
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new(Vector512.Create(0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0));
    }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane512 Load(ReadOnlySpan<double> values, int start) => new(Vector512.Create(values.Slice(start, 8)));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane512 LoadStrided(ReadOnlySpan<double> values, int start, int stride)
    {
        if (stride == 2)
        {
            // The generated code passes a literal stride, so this test folds away. Stride 2 (a layer with two inputs)
            // as two contiguous loads, [start, start + 7] and [start + 7, start + 14], each permuted for its half.
            Vector512<double> first = Vector512.Create(values.Slice(start, 8)), second = Vector512.Create(values.Slice(start + 7, 8));
            return new(Vector512.Create(
                Vector512.Shuffle(first, Vector512.Create(0L, 2, 4, 6, 0, 2, 4, 6)).GetLower(),
                Vector512.Shuffle(second, Vector512.Create(1L, 3, 5, 7, 1, 3, 5, 7)).GetLower()));
        }

        return new(Vector512.Create(values[start], values[start + stride], values[start + (2 * stride)], values[start + (3 * stride)], values[start + (4 * stride)], values[start + (5 * stride)], values[start + (6 * stride)], values[start + (7 * stride)]));
    }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Lane512 value, Span<double> destination, int start) => value.Value.CopyTo(destination.Slice(start, 8));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreStrided(Lane512 value, Span<double> destination, int start, int stride)
    {
        // Unrolled: a constant lane index is one extract, a variable one a round trip through memory.
        destination[start] = value.Value.GetElement(0);
        destination[start + stride] = value.Value.GetElement(1);
        destination[start + (2 * stride)] = value.Value.GetElement(2);
        destination[start + (3 * stride)] = value.Value.GetElement(3);
        destination[start + (4 * stride)] = value.Value.GetElement(4);
        destination[start + (5 * stride)] = value.Value.GetElement(5);
        destination[start + (6 * stride)] = value.Value.GetElement(6);
        destination[start + (7 * stride)] = value.Value.GetElement(7);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane512 operator +(Lane512 a, Lane512 b) => new(a.Value + b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane512 operator -(Lane512 a, Lane512 b) => new(a.Value - b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane512 operator *(Lane512 a, Lane512 b) => new(a.Value * b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane512 operator /(Lane512 a, Lane512 b) => new(a.Value / b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane512 operator -(Lane512 a) => new(-a.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane512 FusedMultiplyAdd(Lane512 a, Lane512 b, Lane512 c) =>
#if NET9_0_OR_GREATER
        new(Vector512.FusedMultiplyAdd(a.Value, b.Value, c.Value));
#else
        new(LaneFma.MultiplyAdd(a.Value, b.Value, c.Value));
#endif

    /// <inheritdoc/>
    public static double Sum(Lane512 value) => Vector512.Sum(value.Value);
    /// <inheritdoc/>
    public static double MaxAcross(Lane512 value)
    {
        double m = value.Value.GetElement(0);
        for (int i = 1; i < 8; i++) m = Math.Max(m, value.Value.GetElement(i));
        return m;
    }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AllFinite(Lane512 value) =>
        Vector512.LessThanAll(Vector512.Abs(value.Value), Vector512.Create(double.PositiveInfinity));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane512 LessThan(Lane512 a, Lane512 b) => new(Vector512.LessThan(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane512 LessThanOrEqual(Lane512 a, Lane512 b) => new(Vector512.LessThanOrEqual(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane512 GreaterThan(Lane512 a, Lane512 b) => new(Vector512.GreaterThan(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane512 GreaterThanOrEqual(Lane512 a, Lane512 b) => new(Vector512.GreaterThanOrEqual(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane512 Equal(Lane512 a, Lane512 b) => new(Vector512.Equals(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane512 NotEqual(Lane512 a, Lane512 b) => new(~Vector512.Equals(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane512 And(Lane512 a, Lane512 b) => new(a.Value & b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane512 Or(Lane512 a, Lane512 b) => new(a.Value | b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane512 AndNot(Lane512 a, Lane512 b) => new(Vector512.AndNot(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane512 Select(Lane512 mask, Lane512 ifTrue, Lane512 ifFalse) => new(Vector512.ConditionalSelect(mask.Value, ifTrue.Value, ifFalse.Value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane512 Sqrt(Lane512 x) => new(Vector512.Sqrt(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane512 Abs(Lane512 x) => new(Vector512.Abs(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane512 Min(Lane512 a, Lane512 b) => new(Vector512.Min(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane512 Max(Lane512 a, Lane512 b) => new(Vector512.Max(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane512 Floor(Lane512 x) => new(Vector512.Floor(x.Value));

    // Exp, Sin, Cos and Tan: LaneMath's kernels, not .NET's vector ones, whose results depend on the JIT tier
    // (LaneMath.ExpTrig.cs says why); Log too (.NET's vector Log is up to 3 ulp off). docs/notes/lane-math.md has the
    // accuracy of each.
    /// <inheritdoc/>
    public static Lane512 Exp(Lane512 x) => LaneMath.Exp(x);
    /// <inheritdoc/>
    public static Lane512 Log(Lane512 x) => LaneMath.Log(x);
    /// <inheritdoc/>
    public static Lane512 Sin(Lane512 x) => LaneMath.Sin(x);
    /// <inheritdoc/>
    public static Lane512 Cos(Lane512 x) => LaneMath.Cos(x);
    /// <inheritdoc/>
    public static Lane512 Tan(Lane512 x) => LaneMath.TanFromSinCos(x);
    /// <inheritdoc/>
    public static Lane512 Log10(Lane512 x) => LaneMath.Log10(x);
    /// <inheritdoc/>
    public static Lane512 Pow(Lane512 x, Lane512 y) => LaneMath.Pow(x, y);
    /// <inheritdoc/>
    public static Lane512 Cbrt(Lane512 x) => LaneMath.Cbrt(x);
    /// <inheritdoc/>
    public static Lane512 Asin(Lane512 x) => LaneMath.Asin(x);
    /// <inheritdoc/>
    public static Lane512 Acos(Lane512 x) => LaneMath.Acos(x);
    /// <inheritdoc/>
    public static Lane512 Atan(Lane512 x) => LaneMath.Atan(x);
    /// <inheritdoc/>
    public static Lane512 Atan2(Lane512 y, Lane512 x) => LaneMath.Atan2(y, x);
    /// <inheritdoc/>
    public static Lane512 Sinh(Lane512 x) => LaneMath.Sinh(x);
    /// <inheritdoc/>
    public static Lane512 Cosh(Lane512 x) => LaneMath.Cosh(x);
    /// <inheritdoc/>
    public static Lane512 Tanh(Lane512 x) => LaneMath.Tanh(x);

    // Bit-level helpers of the kernels (ILaneBits).
    static Lane512 ILaneBits<Lane512>.SignMask(Lane512 x) => new(Vector512.LessThan(x.Value.AsInt64(), Vector512<long>.Zero).AsDouble());
    static Lane512 ILaneBits<Lane512>.CopySign(Lane512 magnitude, Lane512 sign) =>
        new(Vector512.ConditionalSelect(Vector512.Create(-0.0), sign.Value, magnitude.Value));
    static Lane512 ILaneBits<Lane512>.BiasedExponent(Lane512 x)
    {
        // The exponent field (≤ 2047) in the low bits of 2⁵² as a double is 2⁵² + field: subtract 2⁵².
        Vector512<ulong> field = Vector512.ShiftRightLogical(x.Value.AsUInt64(), 52) & Vector512.Create(0x7FFUL);
        return new((field | Vector512.Create(0x4330000000000000UL)).AsDouble() - Vector512.Create(4503599627370496.0));
    }
    static Lane512 ILaneBits<Lane512>.Significand(Lane512 x) =>
        new(((x.Value.AsUInt64() & Vector512.Create(0x000FFFFFFFFFFFFFUL)) | Vector512.Create(0x3FF0000000000000UL)).AsDouble());
    static Lane512 ILaneBits<Lane512>.Pow2(Lane512 k) =>
        // k + 1023 + 1.5·2⁵² holds k + 1023 in its low bits; shifted up by 52 they are the exponent field of 2ᵏ.
        new(Vector512.ShiftLeft((k.Value + Vector512.Create(1023.0 + 6755399441055744.0)).AsInt64(), 52).AsDouble());
}
