// Rendered from Templates/Lane.cs.template: edit the template, then run
// ODEGEN_ACCEPT_SNAPSHOTS=1 dotnet test tests/OdeGen.Tests -c Release --filter LaneTemplateTests
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace OdeGen.Lanes;

/// <summary>4 doubles in one <see cref="Vector256{T}"/>: the lane type for 256-bit SIMD.</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct Lane256 : ILane<Lane256>, ILaneBits<Lane256>
{
    /// <summary>The register.</summary>
    public readonly Vector256<double> Value;

    /// <summary>Wraps a register.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Lane256(Vector256<double> value) => Value = value;

    /// <inheritdoc/>
    public static int Count => 4;
    /// <inheritdoc/>
    public static Lane256 Zero => default;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane256 Create(double value) => new(Vector256.Create(value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane256 Load(ReadOnlySpan<double> values) => new(Vector256.Create(values));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Lane256 value, Span<double> destination) => value.Value.CopyTo(destination);
    /// <inheritdoc/>
    public static double GetLane(Lane256 value, int lane) => value.Value.GetElement(lane);
    /// <inheritdoc/>
    public static Lane256 Indices
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new(Vector256.Create(0.0, 1.0, 2.0, 3.0));
    }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane256 Load(ReadOnlySpan<double> values, int start) => new(Vector256.Create(values.Slice(start, 4)));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane256 LoadStrided(ReadOnlySpan<double> values, int start, int stride)
    {
        if (stride == 2)
        {
            // The generated code passes a literal stride, so this test folds away. Stride 2 (a layer with two inputs)
            // as two contiguous loads, [start, start + 3] and [start + 3, start + 6], each permuted for its half.
            Vector256<double> first = Vector256.Create(values.Slice(start, 4)), second = Vector256.Create(values.Slice(start + 3, 4));
            return new(Vector256.Create(
                Vector256.Shuffle(first, Vector256.Create(0L, 2, 0, 2)).GetLower(),
                Vector256.Shuffle(second, Vector256.Create(1L, 3, 1, 3)).GetLower()));
        }

        return new(Vector256.Create(values[start], values[start + stride], values[start + (2 * stride)], values[start + (3 * stride)]));
    }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Lane256 value, Span<double> destination, int start) => value.Value.CopyTo(destination.Slice(start, 4));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreStrided(Lane256 value, Span<double> destination, int start, int stride)
    {
        // Unrolled: a constant lane index is one extract, a variable one a round trip through memory.
        destination[start] = value.Value.GetElement(0);
        destination[start + stride] = value.Value.GetElement(1);
        destination[start + (2 * stride)] = value.Value.GetElement(2);
        destination[start + (3 * stride)] = value.Value.GetElement(3);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane256 operator +(Lane256 a, Lane256 b) => new(a.Value + b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane256 operator -(Lane256 a, Lane256 b) => new(a.Value - b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane256 operator *(Lane256 a, Lane256 b) => new(a.Value * b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane256 operator /(Lane256 a, Lane256 b) => new(a.Value / b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane256 operator -(Lane256 a) => new(-a.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane256 FusedMultiplyAdd(Lane256 a, Lane256 b, Lane256 c) =>
#if NET9_0_OR_GREATER
        new(Vector256.FusedMultiplyAdd(a.Value, b.Value, c.Value));
#else
        new(LaneFma.MultiplyAdd(a.Value, b.Value, c.Value));
#endif

    /// <inheritdoc/>
    public static double Sum(Lane256 value) => Vector256.Sum(value.Value);
    /// <inheritdoc/>
    public static double MaxAcross(Lane256 value)
    {
        double m = value.Value.GetElement(0);
        for (int i = 1; i < 4; i++) m = Math.Max(m, value.Value.GetElement(i));
        return m;
    }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AllFinite(Lane256 value) =>
        Vector256.LessThanAll(Vector256.Abs(value.Value), Vector256.Create(double.PositiveInfinity));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane256 LessThan(Lane256 a, Lane256 b) => new(Vector256.LessThan(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane256 LessThanOrEqual(Lane256 a, Lane256 b) => new(Vector256.LessThanOrEqual(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane256 GreaterThan(Lane256 a, Lane256 b) => new(Vector256.GreaterThan(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane256 GreaterThanOrEqual(Lane256 a, Lane256 b) => new(Vector256.GreaterThanOrEqual(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane256 Equal(Lane256 a, Lane256 b) => new(Vector256.Equals(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane256 NotEqual(Lane256 a, Lane256 b) => new(~Vector256.Equals(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane256 And(Lane256 a, Lane256 b) => new(a.Value & b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane256 Or(Lane256 a, Lane256 b) => new(a.Value | b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane256 AndNot(Lane256 a, Lane256 b) => new(Vector256.AndNot(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane256 Select(Lane256 mask, Lane256 ifTrue, Lane256 ifFalse) => new(Vector256.ConditionalSelect(mask.Value, ifTrue.Value, ifFalse.Value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane256 Sqrt(Lane256 x) => new(Vector256.Sqrt(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane256 Abs(Lane256 x) => new(Vector256.Abs(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane256 Min(Lane256 a, Lane256 b) => new(Vector256.Min(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane256 Max(Lane256 a, Lane256 b) => new(Vector256.Max(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane256 Floor(Lane256 x) => new(Vector256.Floor(x.Value));

    // Exp, Sin, Cos and Tan: LaneMath's kernels, not .NET's vector ones, whose results depend on the JIT tier
    // (LaneMath.ExpTrig.cs says why); Log too (.NET's vector Log is up to 3 ulp off). docs/notes/lane-math.md has the
    // accuracy of each.
    /// <inheritdoc/>
    public static Lane256 Exp(Lane256 x) => LaneMath.Exp(x);
    /// <inheritdoc/>
    public static Lane256 Log(Lane256 x) => LaneMath.Log(x);
    /// <inheritdoc/>
    public static Lane256 Sin(Lane256 x) => LaneMath.Sin(x);
    /// <inheritdoc/>
    public static Lane256 Cos(Lane256 x) => LaneMath.Cos(x);
    /// <inheritdoc/>
    public static Lane256 Tan(Lane256 x) => LaneMath.TanFromSinCos(x);
    /// <inheritdoc/>
    public static Lane256 Log10(Lane256 x) => LaneMath.Log10(x);
    /// <inheritdoc/>
    public static Lane256 Pow(Lane256 x, Lane256 y) => LaneMath.Pow(x, y);
    /// <inheritdoc/>
    public static Lane256 Cbrt(Lane256 x) => LaneMath.Cbrt(x);
    /// <inheritdoc/>
    public static Lane256 Asin(Lane256 x) => LaneMath.Asin(x);
    /// <inheritdoc/>
    public static Lane256 Acos(Lane256 x) => LaneMath.Acos(x);
    /// <inheritdoc/>
    public static Lane256 Atan(Lane256 x) => LaneMath.Atan(x);
    /// <inheritdoc/>
    public static Lane256 Atan2(Lane256 y, Lane256 x) => LaneMath.Atan2(y, x);
    /// <inheritdoc/>
    public static Lane256 Sinh(Lane256 x) => LaneMath.Sinh(x);
    /// <inheritdoc/>
    public static Lane256 Cosh(Lane256 x) => LaneMath.Cosh(x);
    /// <inheritdoc/>
    public static Lane256 Tanh(Lane256 x) => LaneMath.Tanh(x);

    // Bit-level helpers of the kernels (ILaneBits).
    static Lane256 ILaneBits<Lane256>.SignMask(Lane256 x) => new(Vector256.LessThan(x.Value.AsInt64(), Vector256<long>.Zero).AsDouble());
    static Lane256 ILaneBits<Lane256>.CopySign(Lane256 magnitude, Lane256 sign) =>
        new(Vector256.ConditionalSelect(Vector256.Create(-0.0), sign.Value, magnitude.Value));
    static Lane256 ILaneBits<Lane256>.BiasedExponent(Lane256 x)
    {
        // The exponent field (≤ 2047) in the low bits of 2⁵² as a double is 2⁵² + field: subtract 2⁵².
        Vector256<ulong> field = Vector256.ShiftRightLogical(x.Value.AsUInt64(), 52) & Vector256.Create(0x7FFUL);
        return new((field | Vector256.Create(0x4330000000000000UL)).AsDouble() - Vector256.Create(4503599627370496.0));
    }
    static Lane256 ILaneBits<Lane256>.Significand(Lane256 x) =>
        new(((x.Value.AsUInt64() & Vector256.Create(0x000FFFFFFFFFFFFFUL)) | Vector256.Create(0x3FF0000000000000UL)).AsDouble());
    static Lane256 ILaneBits<Lane256>.Pow2(Lane256 k) =>
        // k + 1023 + 1.5·2⁵² holds k + 1023 in its low bits; shifted up by 52 they are the exponent field of 2ᵏ.
        new(Vector256.ShiftLeft((k.Value + Vector256.Create(1023.0 + 6755399441055744.0)).AsInt64(), 52).AsDouble());
}
