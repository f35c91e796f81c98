// Rendered from Templates/LaneSingle.cs.template: edit the template, then run
// ODEGEN_ACCEPT_SNAPSHOTS=1 dotnet test tests/OdeGen.Tests -c Release --filter LaneTemplateTests
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace OdeGen.Lanes;

/// <summary>
/// 16 floats in one <see cref="Vector512{T}"/>: the float lane type for 512-bit SIMD. Arithmetic, comparisons, Sqrt, Abs,
/// Min, Max and Floor are the float instructions; the transcendental functions widen each half to <see cref="Lane512"/>,
/// run the double kernel there and round once back to float (docs/notes/lane-math.md, "Float lanes").
/// </summary>
[System.Diagnostics.CodeAnalysis.Experimental(FloatLanesExperimental.DiagnosticId, UrlFormat = FloatLanesExperimental.Url)]
[StructLayout(LayoutKind.Sequential)]
public readonly struct LaneSingle512 : ILaneSingle<LaneSingle512>
{
    /// <summary>The register.</summary>
    public readonly Vector512<float> Value;

    /// <summary>Wraps a register.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public LaneSingle512(Vector512<float> value) => Value = value;

    /// <inheritdoc/>
    public static int Count => 16;
    /// <inheritdoc/>
    public static LaneSingle512 Zero => default;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle512 Create(float value) => new(Vector512.Create(value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle512 Load(ReadOnlySpan<float> values) => new(Vector512.Create(values));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(LaneSingle512 value, Span<float> destination) => value.Value.CopyTo(destination);
    /// <inheritdoc/>
    public static float GetLane(LaneSingle512 value, int lane) => value.Value.GetElement(lane);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle512 operator +(LaneSingle512 a, LaneSingle512 b) => new(a.Value + b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle512 operator -(LaneSingle512 a, LaneSingle512 b) => new(a.Value - b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle512 operator *(LaneSingle512 a, LaneSingle512 b) => new(a.Value * b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle512 operator /(LaneSingle512 a, LaneSingle512 b) => new(a.Value / b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle512 operator -(LaneSingle512 a) => new(-a.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle512 FusedMultiplyAdd(LaneSingle512 a, LaneSingle512 b, LaneSingle512 c) =>
#if NET9_0_OR_GREATER
        new(Vector512.FusedMultiplyAdd(a.Value, b.Value, c.Value));
#else
        new(LaneFma.MultiplyAdd(a.Value, b.Value, c.Value));
#endif

    /// <inheritdoc/>
    public static double Sum(LaneSingle512 value)
    {
        (Vector512<double> lower, Vector512<double> upper) = Vector512.Widen(value.Value);
        return Vector512.Sum(lower + upper);
    }
    /// <inheritdoc/>
    public static float MaxAcross(LaneSingle512 value)
    {
        float m = value.Value.GetElement(0);
        for (int i = 1; i < 16; i++) m = MathF.Max(m, value.Value.GetElement(i));
        return m;
    }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AllFinite(LaneSingle512 value) =>
        Vector512.LessThanAll(Vector512.Abs(value.Value), Vector512.Create(float.PositiveInfinity));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle512 LessThan(LaneSingle512 a, LaneSingle512 b) => new(Vector512.LessThan(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle512 LessThanOrEqual(LaneSingle512 a, LaneSingle512 b) => new(Vector512.LessThanOrEqual(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle512 GreaterThan(LaneSingle512 a, LaneSingle512 b) => new(Vector512.GreaterThan(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle512 GreaterThanOrEqual(LaneSingle512 a, LaneSingle512 b) => new(Vector512.GreaterThanOrEqual(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle512 Equal(LaneSingle512 a, LaneSingle512 b) => new(Vector512.Equals(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle512 NotEqual(LaneSingle512 a, LaneSingle512 b) => new(~Vector512.Equals(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle512 And(LaneSingle512 a, LaneSingle512 b) => new(a.Value & b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle512 Or(LaneSingle512 a, LaneSingle512 b) => new(a.Value | b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle512 AndNot(LaneSingle512 a, LaneSingle512 b) => new(Vector512.AndNot(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle512 Select(LaneSingle512 mask, LaneSingle512 ifTrue, LaneSingle512 ifFalse) => new(Vector512.ConditionalSelect(mask.Value, ifTrue.Value, ifFalse.Value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle512 Sqrt(LaneSingle512 x) => new(Vector512.Sqrt(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle512 Abs(LaneSingle512 x) => new(Vector512.Abs(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle512 Min(LaneSingle512 a, LaneSingle512 b) => new(Vector512.Min(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle512 Max(LaneSingle512 a, LaneSingle512 b) => new(Vector512.Max(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle512 Floor(LaneSingle512 x) => new(Vector512.Floor(x.Value));

    // The double kernels are within 1–4 double ulp of Math (2⁻²⁹ of a float ulp), so one rounding to float lands on
    // the correctly rounded float except at a near-tie. Measured (LaneSingleMathTests, docs/notes/lane-math.md): that float at
    // every test point, while MathF is up to 1 ulp from it (2 for Sinh, Cosh, Tanh and Log10).
    /// <inheritdoc/>
    public static LaneSingle512 Exp(LaneSingle512 x) => Widened<WidenedFunctions.Exp>(x);
    /// <inheritdoc/>
    public static LaneSingle512 Log(LaneSingle512 x) => Widened<WidenedFunctions.Log>(x);
    /// <inheritdoc/>
    public static LaneSingle512 Log10(LaneSingle512 x) => Widened<WidenedFunctions.Log10>(x);
    /// <inheritdoc/>
    public static LaneSingle512 Pow(LaneSingle512 x, LaneSingle512 y) => Widened<WidenedFunctions.Pow>(x, y);
    /// <inheritdoc/>
    public static LaneSingle512 Cbrt(LaneSingle512 x) => Widened<WidenedFunctions.Cbrt>(x);
    /// <inheritdoc/>
    public static LaneSingle512 Sin(LaneSingle512 x) => Widened<WidenedFunctions.Sin>(x);
    /// <inheritdoc/>
    public static LaneSingle512 Cos(LaneSingle512 x) => Widened<WidenedFunctions.Cos>(x);
    /// <inheritdoc/>
    public static LaneSingle512 Tan(LaneSingle512 x) => Widened<WidenedFunctions.Tan>(x);
    /// <inheritdoc/>
    public static LaneSingle512 Asin(LaneSingle512 x) => Widened<WidenedFunctions.Asin>(x);
    /// <inheritdoc/>
    public static LaneSingle512 Acos(LaneSingle512 x) => Widened<WidenedFunctions.Acos>(x);
    /// <inheritdoc/>
    public static LaneSingle512 Atan(LaneSingle512 x) => Widened<WidenedFunctions.Atan>(x);
    /// <inheritdoc/>
    public static LaneSingle512 Atan2(LaneSingle512 y, LaneSingle512 x) => Widened<WidenedFunctions.Atan2>(y, x);
    /// <inheritdoc/>
    public static LaneSingle512 Sinh(LaneSingle512 x) => Widened<WidenedFunctions.Sinh>(x);
    /// <inheritdoc/>
    public static LaneSingle512 Cosh(LaneSingle512 x) => Widened<WidenedFunctions.Cosh>(x);
    /// <inheritdoc/>
    public static LaneSingle512 Tanh(LaneSingle512 x) => Widened<WidenedFunctions.Tanh>(x);

    // f on the lower and the upper 8 lanes as Lane512s, each rounded to float (±0, ±∞ and NaN pass through both
    // conversions unchanged, and a double result beyond float's range becomes ±∞, as MathF's would).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static LaneSingle512 Widened<TFunction>(LaneSingle512 x) where TFunction : IWidenedFunction
    {
        (Vector512<double> lower, Vector512<double> upper) = Vector512.Widen(x.Value);
        return new(Vector512.Narrow(TFunction.Apply(new Lane512(lower)).Value, TFunction.Apply(new Lane512(upper)).Value));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static LaneSingle512 Widened<TFunction>(LaneSingle512 x, LaneSingle512 y) where TFunction : IWidenedFunction2
    {
        (Vector512<double> xLower, Vector512<double> xUpper) = Vector512.Widen(x.Value);
        (Vector512<double> yLower, Vector512<double> yUpper) = Vector512.Widen(y.Value);
        return new(Vector512.Narrow(TFunction.Apply(new Lane512(xLower), new Lane512(yLower)).Value, TFunction.Apply(new Lane512(xUpper), new Lane512(yUpper)).Value));
    }
}
