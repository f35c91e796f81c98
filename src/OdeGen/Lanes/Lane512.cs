using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace OdeGen.Lanes;

/// <summary>8 doubles in one <see cref="Vector512{T}"/>: the lane type for 512-bit SIMD.</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct Lane512 : ILane<Lane512>
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

    // Transcendental functions: lane by lane through Math until the vector kernels (LaneMath) replace them.
    /// <inheritdoc/>
    public static Lane512 Exp(Lane512 x) => Map(x, Math.Exp);
    /// <inheritdoc/>
    public static Lane512 Log(Lane512 x) => Map(x, Math.Log);
    /// <inheritdoc/>
    public static Lane512 Log10(Lane512 x) => Map(x, Math.Log10);
    /// <inheritdoc/>
    public static Lane512 Pow(Lane512 x, Lane512 y) => Map(x, y, Math.Pow);
    /// <inheritdoc/>
    public static Lane512 Cbrt(Lane512 x) => Map(x, Math.Cbrt);
    /// <inheritdoc/>
    public static Lane512 Sin(Lane512 x) => Map(x, Math.Sin);
    /// <inheritdoc/>
    public static Lane512 Cos(Lane512 x) => Map(x, Math.Cos);
    /// <inheritdoc/>
    public static Lane512 Tan(Lane512 x) => Map(x, Math.Tan);
    /// <inheritdoc/>
    public static Lane512 Asin(Lane512 x) => Map(x, Math.Asin);
    /// <inheritdoc/>
    public static Lane512 Acos(Lane512 x) => Map(x, Math.Acos);
    /// <inheritdoc/>
    public static Lane512 Atan(Lane512 x) => Map(x, Math.Atan);
    /// <inheritdoc/>
    public static Lane512 Atan2(Lane512 y, Lane512 x) => Map(y, x, Math.Atan2);
    /// <inheritdoc/>
    public static Lane512 Sinh(Lane512 x) => Map(x, Math.Sinh);
    /// <inheritdoc/>
    public static Lane512 Cosh(Lane512 x) => Map(x, Math.Cosh);
    /// <inheritdoc/>
    public static Lane512 Tanh(Lane512 x) => Map(x, Math.Tanh);

    private static Lane512 Map(Lane512 x, Func<double, double> f)
    {
        Span<double> v = stackalloc double[8];
        x.Value.CopyTo(v);
        for (int i = 0; i < 8; i++) v[i] = f(v[i]);
        return Load(v);
    }

    private static Lane512 Map(Lane512 x, Lane512 y, Func<double, double, double> f)
    {
        Span<double> u = stackalloc double[8], v = stackalloc double[8];
        x.Value.CopyTo(u);
        y.Value.CopyTo(v);
        for (int i = 0; i < 8; i++) u[i] = f(u[i], v[i]);
        return Load(u);
    }
}
