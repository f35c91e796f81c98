// Rendered from Templates/Lane.cs.template: edit the template, then run
// ODEGEN_ACCEPT_SNAPSHOTS=1 dotnet test tests/OdeGen.Tests -c Release --filter LaneTemplateTests
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace OdeGen.Lanes;

/// <summary>2 doubles in one <see cref="Vector128{T}"/>: the lane type for 128-bit SIMD.</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct Lane128 : ILane<Lane128>, ILaneBits<Lane128>
{
    /// <summary>The register.</summary>
    public readonly Vector128<double> Value;

    /// <summary>Wraps a register.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Lane128(Vector128<double> value) => Value = value;

    /// <inheritdoc/>
    public static int Count => 2;
    /// <inheritdoc/>
    public static Lane128 Zero => default;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane128 Create(double value) => new(Vector128.Create(value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane128 Load(ReadOnlySpan<double> values) => new(Vector128.Create(values));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Lane128 value, Span<double> destination) => value.Value.CopyTo(destination);
    /// <inheritdoc/>
    public static double GetLane(Lane128 value, int lane) => value.Value.GetElement(lane);
    /// <inheritdoc/>
    public static Lane128 Indices
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new(Vector128.Create(0.0, 1.0));
    }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane128 Load(ReadOnlySpan<double> values, int start) => new(Vector128.Create(values.Slice(start, 2)));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane128 LoadStrided(ReadOnlySpan<double> values, int start, int stride)
    {
        return new(Vector128.Create(values[start], values[start + stride]));
    }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Lane128 value, Span<double> destination, int start) => value.Value.CopyTo(destination.Slice(start, 2));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreStrided(Lane128 value, Span<double> destination, int start, int stride)
    {
        // Unrolled: a constant lane index is one extract, a variable one a round trip through memory.
        destination[start] = value.Value.GetElement(0);
        destination[start + stride] = value.Value.GetElement(1);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane128 operator +(Lane128 a, Lane128 b) => new(a.Value + b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane128 operator -(Lane128 a, Lane128 b) => new(a.Value - b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane128 operator *(Lane128 a, Lane128 b) => new(a.Value * b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane128 operator /(Lane128 a, Lane128 b) => new(a.Value / b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane128 operator -(Lane128 a) => new(-a.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane128 FusedMultiplyAdd(Lane128 a, Lane128 b, Lane128 c) =>
#if NET9_0_OR_GREATER
        new(Vector128.FusedMultiplyAdd(a.Value, b.Value, c.Value));
#else
        new(LaneFma.MultiplyAdd(a.Value, b.Value, c.Value));
#endif

    /// <inheritdoc/>
    public static double Sum(Lane128 value) => Vector128.Sum(value.Value);
    /// <inheritdoc/>
    public static double MaxAcross(Lane128 value)
    {
        double m = value.Value.GetElement(0);
        for (int i = 1; i < 2; i++) m = Math.Max(m, value.Value.GetElement(i));
        return m;
    }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AllFinite(Lane128 value) =>
        Vector128.LessThanAll(Vector128.Abs(value.Value), Vector128.Create(double.PositiveInfinity));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane128 LessThan(Lane128 a, Lane128 b) => new(Vector128.LessThan(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane128 LessThanOrEqual(Lane128 a, Lane128 b) => new(Vector128.LessThanOrEqual(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane128 GreaterThan(Lane128 a, Lane128 b) => new(Vector128.GreaterThan(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane128 GreaterThanOrEqual(Lane128 a, Lane128 b) => new(Vector128.GreaterThanOrEqual(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane128 Equal(Lane128 a, Lane128 b) => new(Vector128.Equals(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane128 NotEqual(Lane128 a, Lane128 b) => new(~Vector128.Equals(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane128 And(Lane128 a, Lane128 b) => new(a.Value & b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane128 Or(Lane128 a, Lane128 b) => new(a.Value | b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane128 AndNot(Lane128 a, Lane128 b) => new(Vector128.AndNot(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane128 Select(Lane128 mask, Lane128 ifTrue, Lane128 ifFalse) => new(Vector128.ConditionalSelect(mask.Value, ifTrue.Value, ifFalse.Value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane128 Sqrt(Lane128 x) => new(Vector128.Sqrt(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane128 Abs(Lane128 x) => new(Vector128.Abs(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane128 Min(Lane128 a, Lane128 b) => new(Vector128.Min(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane128 Max(Lane128 a, Lane128 b) => new(Vector128.Max(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane128 Floor(Lane128 x) => new(Vector128.Floor(x.Value));

    // Exp, Sin, Cos and Tan: LaneMath's kernels, not .NET's vector ones, whose results depend on the JIT tier
    // (LaneMath.ExpTrig.cs says why); Log too (.NET's vector Log is up to 3 ulp off). docs/notes/lane-math.md has the
    // accuracy of each.
    /// <inheritdoc/>
    public static Lane128 Exp(Lane128 x) => LaneMath.Exp(x);
    /// <inheritdoc/>
    public static Lane128 Log(Lane128 x) => LaneMath.Log(x);
    /// <inheritdoc/>
    public static Lane128 Sin(Lane128 x) => LaneMath.Sin(x);
    /// <inheritdoc/>
    public static Lane128 Cos(Lane128 x) => LaneMath.Cos(x);
    /// <inheritdoc/>
    public static Lane128 Tan(Lane128 x) => LaneMath.TanFromSinCos(x);
    /// <inheritdoc/>
    public static Lane128 Log10(Lane128 x) => LaneMath.Log10(x);
    /// <inheritdoc/>
    public static Lane128 Pow(Lane128 x, Lane128 y) => LaneMath.Pow(x, y);
    /// <inheritdoc/>
    public static Lane128 Cbrt(Lane128 x) => LaneMath.Cbrt(x);
    /// <inheritdoc/>
    public static Lane128 Asin(Lane128 x) => LaneMath.Asin(x);
    /// <inheritdoc/>
    public static Lane128 Acos(Lane128 x) => LaneMath.Acos(x);
    /// <inheritdoc/>
    public static Lane128 Atan(Lane128 x) => LaneMath.Atan(x);
    /// <inheritdoc/>
    public static Lane128 Atan2(Lane128 y, Lane128 x) => LaneMath.Atan2(y, x);
    /// <inheritdoc/>
    public static Lane128 Sinh(Lane128 x) => LaneMath.Sinh(x);
    /// <inheritdoc/>
    public static Lane128 Cosh(Lane128 x) => LaneMath.Cosh(x);
    /// <inheritdoc/>
    public static Lane128 Tanh(Lane128 x) => LaneMath.Tanh(x);

    // Bit-level helpers of the kernels (ILaneBits).
    static Lane128 ILaneBits<Lane128>.SignMask(Lane128 x) => new(Vector128.LessThan(x.Value.AsInt64(), Vector128<long>.Zero).AsDouble());
    static Lane128 ILaneBits<Lane128>.CopySign(Lane128 magnitude, Lane128 sign) =>
        new(Vector128.ConditionalSelect(Vector128.Create(-0.0), sign.Value, magnitude.Value));
    static Lane128 ILaneBits<Lane128>.BiasedExponent(Lane128 x)
    {
        // The exponent field (≤ 2047) in the low bits of 2⁵² as a double is 2⁵² + field: subtract 2⁵².
        Vector128<ulong> field = Vector128.ShiftRightLogical(x.Value.AsUInt64(), 52) & Vector128.Create(0x7FFUL);
        return new((field | Vector128.Create(0x4330000000000000UL)).AsDouble() - Vector128.Create(4503599627370496.0));
    }
    static Lane128 ILaneBits<Lane128>.Significand(Lane128 x) =>
        new(((x.Value.AsUInt64() & Vector128.Create(0x000FFFFFFFFFFFFFUL)) | Vector128.Create(0x3FF0000000000000UL)).AsDouble());
    static Lane128 ILaneBits<Lane128>.Pow2(Lane128 k) =>
        // k + 1023 + 1.5·2⁵² holds k + 1023 in its low bits; shifted up by 52 they are the exponent field of 2ᵏ.
        new(Vector128.ShiftLeft((k.Value + Vector128.Create(1023.0 + 6755399441055744.0)).AsInt64(), 52).AsDouble());
}
