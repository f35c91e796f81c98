using System.Runtime.CompilerServices;

namespace OdeGen.Lanes;

/// <summary>
/// One double as a lane type: the scalar width, for ensemble remainders that do not fill a register and for
/// testing the generated lane code against the scalar methods bit for bit. Masks are doubles whose bits are
/// all set (true) or all clear (false), as in a SIMD register.
/// </summary>
public readonly struct Lane1 : ILane<Lane1>, ILaneBits<Lane1>
{
    private static readonly double True = BitConverter.Int64BitsToDouble(-1);

    /// <summary>The value.</summary>
    public readonly double Value;

    /// <summary>Wraps a value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Lane1(double value) => Value = value;

    /// <inheritdoc/>
    public static int Count => 1;
    /// <inheritdoc/>
    public static Lane1 Zero => default;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 Create(double value) => new(value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 Load(ReadOnlySpan<double> values) => new(values[0]);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Lane1 value, Span<double> destination) => destination[0] = value.Value;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double GetLane(Lane1 value, int lane) => lane == 0 ? value.Value : throw new ArgumentOutOfRangeException(nameof(lane));
    /// <inheritdoc/>
    public static Lane1 Indices => default;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 Load(ReadOnlySpan<double> values, int start) => new(values[start]);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 LoadStrided(ReadOnlySpan<double> values, int start, int stride) => new(values[start]);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Lane1 value, Span<double> destination, int start) => destination[start] = value.Value;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreStrided(Lane1 value, Span<double> destination, int start, int stride) => destination[start] = value.Value;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 operator +(Lane1 a, Lane1 b) => new(a.Value + b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 operator -(Lane1 a, Lane1 b) => new(a.Value - b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 operator *(Lane1 a, Lane1 b) => new(a.Value * b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 operator /(Lane1 a, Lane1 b) => new(a.Value / b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 operator -(Lane1 a) => new(-a.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 FusedMultiplyAdd(Lane1 a, Lane1 b, Lane1 c) => new(Math.FusedMultiplyAdd(a.Value, b.Value, c.Value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sum(Lane1 value) => value.Value;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double MaxAcross(Lane1 value) => value.Value;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AllFinite(Lane1 value) => double.IsFinite(value.Value);

    private static Lane1 Mask(bool b) => new(b ? True : 0.0);
    private static long Bits(Lane1 x) => BitConverter.DoubleToInt64Bits(x.Value);
    private static Lane1 FromBits(long bits) => new(BitConverter.Int64BitsToDouble(bits));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 LessThan(Lane1 a, Lane1 b) => Mask(a.Value < b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 LessThanOrEqual(Lane1 a, Lane1 b) => Mask(a.Value <= b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 GreaterThan(Lane1 a, Lane1 b) => Mask(a.Value > b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 GreaterThanOrEqual(Lane1 a, Lane1 b) => Mask(a.Value >= b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 Equal(Lane1 a, Lane1 b) => Mask(a.Value == b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 NotEqual(Lane1 a, Lane1 b) => Mask(a.Value != b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 And(Lane1 a, Lane1 b) => FromBits(Bits(a) & Bits(b));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 Or(Lane1 a, Lane1 b) => FromBits(Bits(a) | Bits(b));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 AndNot(Lane1 a, Lane1 b) => FromBits(Bits(a) & ~Bits(b));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 Select(Lane1 mask, Lane1 ifTrue, Lane1 ifFalse) => FromBits((Bits(mask) & Bits(ifTrue)) | (~Bits(mask) & Bits(ifFalse)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 Sqrt(Lane1 x) => new(Math.Sqrt(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 Abs(Lane1 x) => new(Math.Abs(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 Min(Lane1 a, Lane1 b) => new(Math.Min(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 Max(Lane1 a, Lane1 b) => new(Math.Max(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 Floor(Lane1 x) => new(Math.Floor(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 Exp(Lane1 x) => new(Math.Exp(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 Log(Lane1 x) => new(Math.Log(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 Log10(Lane1 x) => new(Math.Log10(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 Pow(Lane1 x, Lane1 y) => new(Math.Pow(x.Value, y.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 Cbrt(Lane1 x) => new(Math.Cbrt(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 Sin(Lane1 x) => new(Math.Sin(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 Cos(Lane1 x) => new(Math.Cos(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 Tan(Lane1 x) => new(Math.Tan(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 Asin(Lane1 x) => new(Math.Asin(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 Acos(Lane1 x) => new(Math.Acos(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 Atan(Lane1 x) => new(Math.Atan(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 Atan2(Lane1 y, Lane1 x) => new(Math.Atan2(y.Value, x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 Sinh(Lane1 x) => new(Math.Sinh(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 Cosh(Lane1 x) => new(Math.Cosh(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane1 Tanh(Lane1 x) => new(Math.Tanh(x.Value));

    // Bit-level helpers of LaneMath's kernels (ILaneBits), so a kernel run at this width gives the bits the SIMD widths
    // give (the step-size controller's PowPositive runs here for the scalar solvers).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Lane1 ILaneBits<Lane1>.SignMask(Lane1 x) => Mask(Bits(x) < 0);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Lane1 ILaneBits<Lane1>.CopySign(Lane1 magnitude, Lane1 sign) => new(Math.CopySign(magnitude.Value, sign.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Lane1 ILaneBits<Lane1>.BiasedExponent(Lane1 x) => new((Bits(x) >> 52) & 0x7FF);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Lane1 ILaneBits<Lane1>.Significand(Lane1 x) => FromBits((Bits(x) & 0x000FFFFFFFFFFFFFL) | 0x3FF0000000000000L);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Lane1 ILaneBits<Lane1>.Pow2(Lane1 k) => FromBits(((long)k.Value + 1023) << 52);
}
