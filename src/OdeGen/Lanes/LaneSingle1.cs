using System.Runtime.CompilerServices;

namespace OdeGen.Lanes;

/// <summary>
/// One float as a lane type: the scalar width of <see cref="ILaneSingle{TSelf}"/>, for remainders that do not fill a
/// register and for testing the generated lane code against the scalar float methods bit for bit (its functions are
/// MathF's, which those methods call). Masks are floats whose bits are all set (true) or all clear (false).
/// </summary>
[System.Diagnostics.CodeAnalysis.Experimental(FloatLanesExperimental.DiagnosticId, UrlFormat = FloatLanesExperimental.Url)]
public readonly struct LaneSingle1 : ILaneSingle<LaneSingle1>
{
    private static readonly float True = BitConverter.Int32BitsToSingle(-1);

    /// <summary>The value.</summary>
    public readonly float Value;

    /// <summary>Wraps a value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public LaneSingle1(float value) => Value = value;

    /// <inheritdoc/>
    public static int Count => 1;
    /// <inheritdoc/>
    public static LaneSingle1 Zero => default;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 Create(float value) => new(value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 Load(ReadOnlySpan<float> values) => new(values[0]);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(LaneSingle1 value, Span<float> destination) => destination[0] = value.Value;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float GetLane(LaneSingle1 value, int lane) => lane == 0 ? value.Value : throw new ArgumentOutOfRangeException(nameof(lane));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 operator +(LaneSingle1 a, LaneSingle1 b) => new(a.Value + b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 operator -(LaneSingle1 a, LaneSingle1 b) => new(a.Value - b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 operator *(LaneSingle1 a, LaneSingle1 b) => new(a.Value * b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 operator /(LaneSingle1 a, LaneSingle1 b) => new(a.Value / b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 operator -(LaneSingle1 a) => new(-a.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 FusedMultiplyAdd(LaneSingle1 a, LaneSingle1 b, LaneSingle1 c) => new(MathF.FusedMultiplyAdd(a.Value, b.Value, c.Value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double Sum(LaneSingle1 value) => value.Value;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(LaneSingle1 value) => value.Value;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AllFinite(LaneSingle1 value) => float.IsFinite(value.Value);

    private static LaneSingle1 Mask(bool b) => new(b ? True : 0.0f);
    private static int Bits(LaneSingle1 x) => BitConverter.SingleToInt32Bits(x.Value);
    private static LaneSingle1 FromBits(int bits) => new(BitConverter.Int32BitsToSingle(bits));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 LessThan(LaneSingle1 a, LaneSingle1 b) => Mask(a.Value < b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 LessThanOrEqual(LaneSingle1 a, LaneSingle1 b) => Mask(a.Value <= b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 GreaterThan(LaneSingle1 a, LaneSingle1 b) => Mask(a.Value > b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 GreaterThanOrEqual(LaneSingle1 a, LaneSingle1 b) => Mask(a.Value >= b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 Equal(LaneSingle1 a, LaneSingle1 b) => Mask(a.Value == b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 NotEqual(LaneSingle1 a, LaneSingle1 b) => Mask(a.Value != b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 And(LaneSingle1 a, LaneSingle1 b) => FromBits(Bits(a) & Bits(b));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 Or(LaneSingle1 a, LaneSingle1 b) => FromBits(Bits(a) | Bits(b));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 AndNot(LaneSingle1 a, LaneSingle1 b) => FromBits(Bits(a) & ~Bits(b));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 Select(LaneSingle1 mask, LaneSingle1 ifTrue, LaneSingle1 ifFalse) => FromBits((Bits(mask) & Bits(ifTrue)) | (~Bits(mask) & Bits(ifFalse)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 Sqrt(LaneSingle1 x) => new(MathF.Sqrt(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 Abs(LaneSingle1 x) => new(MathF.Abs(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 Min(LaneSingle1 a, LaneSingle1 b) => new(MathF.Min(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 Max(LaneSingle1 a, LaneSingle1 b) => new(MathF.Max(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 Floor(LaneSingle1 x) => new(MathF.Floor(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 Exp(LaneSingle1 x) => new(MathF.Exp(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 Log(LaneSingle1 x) => new(MathF.Log(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 Log10(LaneSingle1 x) => new(MathF.Log10(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 Pow(LaneSingle1 x, LaneSingle1 y) => new(MathF.Pow(x.Value, y.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 Cbrt(LaneSingle1 x) => new(MathF.Cbrt(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 Sin(LaneSingle1 x) => new(MathF.Sin(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 Cos(LaneSingle1 x) => new(MathF.Cos(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 Tan(LaneSingle1 x) => new(MathF.Tan(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 Asin(LaneSingle1 x) => new(MathF.Asin(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 Acos(LaneSingle1 x) => new(MathF.Acos(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 Atan(LaneSingle1 x) => new(MathF.Atan(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 Atan2(LaneSingle1 y, LaneSingle1 x) => new(MathF.Atan2(y.Value, x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 Sinh(LaneSingle1 x) => new(MathF.Sinh(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 Cosh(LaneSingle1 x) => new(MathF.Cosh(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle1 Tanh(LaneSingle1 x) => new(MathF.Tanh(x.Value));
}
