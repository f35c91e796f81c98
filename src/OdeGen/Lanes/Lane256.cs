using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace OdeGen.Lanes;

/// <summary>4 doubles in one <see cref="Vector256{T}"/>: the lane type for 256-bit SIMD.</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct Lane256 : ILane<Lane256>
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

    // Transcendental functions: lane by lane through Math until the vector kernels (LaneMath) replace them.
    /// <inheritdoc/>
    public static Lane256 Exp(Lane256 x) => Map(x, Math.Exp);
    /// <inheritdoc/>
    public static Lane256 Log(Lane256 x) => Map(x, Math.Log);
    /// <inheritdoc/>
    public static Lane256 Log10(Lane256 x) => Map(x, Math.Log10);
    /// <inheritdoc/>
    public static Lane256 Pow(Lane256 x, Lane256 y) => Map(x, y, Math.Pow);
    /// <inheritdoc/>
    public static Lane256 Cbrt(Lane256 x) => Map(x, Math.Cbrt);
    /// <inheritdoc/>
    public static Lane256 Sin(Lane256 x) => Map(x, Math.Sin);
    /// <inheritdoc/>
    public static Lane256 Cos(Lane256 x) => Map(x, Math.Cos);
    /// <inheritdoc/>
    public static Lane256 Tan(Lane256 x) => Map(x, Math.Tan);
    /// <inheritdoc/>
    public static Lane256 Asin(Lane256 x) => Map(x, Math.Asin);
    /// <inheritdoc/>
    public static Lane256 Acos(Lane256 x) => Map(x, Math.Acos);
    /// <inheritdoc/>
    public static Lane256 Atan(Lane256 x) => Map(x, Math.Atan);
    /// <inheritdoc/>
    public static Lane256 Atan2(Lane256 y, Lane256 x) => Map(y, x, Math.Atan2);
    /// <inheritdoc/>
    public static Lane256 Sinh(Lane256 x) => Map(x, Math.Sinh);
    /// <inheritdoc/>
    public static Lane256 Cosh(Lane256 x) => Map(x, Math.Cosh);
    /// <inheritdoc/>
    public static Lane256 Tanh(Lane256 x) => Map(x, Math.Tanh);

    private static Lane256 Map(Lane256 x, Func<double, double> f)
    {
        Span<double> v = stackalloc double[4];
        x.Value.CopyTo(v);
        for (int i = 0; i < 4; i++) v[i] = f(v[i]);
        return Load(v);
    }

    private static Lane256 Map(Lane256 x, Lane256 y, Func<double, double, double> f)
    {
        Span<double> u = stackalloc double[4], v = stackalloc double[4];
        x.Value.CopyTo(u);
        y.Value.CopyTo(v);
        for (int i = 0; i < 4; i++) u[i] = f(u[i], v[i]);
        return Load(u);
    }
}
