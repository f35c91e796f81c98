// Rendered from Templates/LaneSingle.cs.template: edit the template, then run
// ODEGEN_ACCEPT_SNAPSHOTS=1 dotnet test tests/OdeGen.Tests -c Release --filter LaneTemplateTests
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace OdeGen.Lanes;

/// <summary>
/// 8 floats in one <see cref="Vector256{T}"/>: the float lane type for 256-bit SIMD. Arithmetic, comparisons, Sqrt, Abs,
/// Min, Max and Floor are the float instructions; the transcendental functions widen each half to <see cref="Lane256"/>,
/// run the double kernel there and round once back to float (docs/notes/lane-math.md, "Float lanes").
/// </summary>
[System.Diagnostics.CodeAnalysis.Experimental(FloatLanesExperimental.DiagnosticId, UrlFormat = FloatLanesExperimental.Url)]
[StructLayout(LayoutKind.Sequential)]
public readonly struct LaneSingle256 : ILaneSingle<LaneSingle256>
{
    /// <summary>The register.</summary>
    public readonly Vector256<float> Value;

    /// <summary>Wraps a register.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public LaneSingle256(Vector256<float> value) => Value = value;

    /// <inheritdoc/>
    public static int Count => 8;
    /// <inheritdoc/>
    public static LaneSingle256 Zero => default;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle256 Create(float value) => new(Vector256.Create(value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle256 Load(ReadOnlySpan<float> values) => new(Vector256.Create(values));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(LaneSingle256 value, Span<float> destination) => value.Value.CopyTo(destination);
    /// <inheritdoc/>
    public static float GetLane(LaneSingle256 value, int lane) => value.Value.GetElement(lane);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle256 operator +(LaneSingle256 a, LaneSingle256 b) => new(a.Value + b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle256 operator -(LaneSingle256 a, LaneSingle256 b) => new(a.Value - b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle256 operator *(LaneSingle256 a, LaneSingle256 b) => new(a.Value * b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle256 operator /(LaneSingle256 a, LaneSingle256 b) => new(a.Value / b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle256 operator -(LaneSingle256 a) => new(-a.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle256 FusedMultiplyAdd(LaneSingle256 a, LaneSingle256 b, LaneSingle256 c) =>
#if NET9_0_OR_GREATER
        new(Vector256.FusedMultiplyAdd(a.Value, b.Value, c.Value));
#else
        new(LaneFma.MultiplyAdd(a.Value, b.Value, c.Value));
#endif

    /// <inheritdoc/>
    public static double Sum(LaneSingle256 value)
    {
        (Vector256<double> lower, Vector256<double> upper) = Vector256.Widen(value.Value);
        return Vector256.Sum(lower + upper);
    }
    /// <inheritdoc/>
    public static float MaxAcross(LaneSingle256 value)
    {
        float m = value.Value.GetElement(0);
        for (int i = 1; i < 8; i++) m = MathF.Max(m, value.Value.GetElement(i));
        return m;
    }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AllFinite(LaneSingle256 value) =>
        Vector256.LessThanAll(Vector256.Abs(value.Value), Vector256.Create(float.PositiveInfinity));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle256 LessThan(LaneSingle256 a, LaneSingle256 b) => new(Vector256.LessThan(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle256 LessThanOrEqual(LaneSingle256 a, LaneSingle256 b) => new(Vector256.LessThanOrEqual(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle256 GreaterThan(LaneSingle256 a, LaneSingle256 b) => new(Vector256.GreaterThan(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle256 GreaterThanOrEqual(LaneSingle256 a, LaneSingle256 b) => new(Vector256.GreaterThanOrEqual(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle256 Equal(LaneSingle256 a, LaneSingle256 b) => new(Vector256.Equals(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle256 NotEqual(LaneSingle256 a, LaneSingle256 b) => new(~Vector256.Equals(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle256 And(LaneSingle256 a, LaneSingle256 b) => new(a.Value & b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle256 Or(LaneSingle256 a, LaneSingle256 b) => new(a.Value | b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle256 AndNot(LaneSingle256 a, LaneSingle256 b) => new(Vector256.AndNot(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle256 Select(LaneSingle256 mask, LaneSingle256 ifTrue, LaneSingle256 ifFalse) => new(Vector256.ConditionalSelect(mask.Value, ifTrue.Value, ifFalse.Value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle256 Sqrt(LaneSingle256 x) => new(Vector256.Sqrt(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle256 Abs(LaneSingle256 x) => new(Vector256.Abs(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle256 Min(LaneSingle256 a, LaneSingle256 b) => new(Vector256.Min(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle256 Max(LaneSingle256 a, LaneSingle256 b) => new(Vector256.Max(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle256 Floor(LaneSingle256 x) => new(Vector256.Floor(x.Value));

    // The double kernels are within 1–4 double ulp of Math (2⁻²⁹ of a float ulp), so one rounding to float lands on
    // the correctly rounded float except at a near-tie. Measured (LaneSingleMathTests, docs/notes/lane-math.md): that float at
    // every test point, while MathF is up to 1 ulp from it (2 for Sinh, Cosh, Tanh and Log10).
    /// <inheritdoc/>
    public static LaneSingle256 Exp(LaneSingle256 x) => Widened<WidenedFunctions.Exp>(x);
    /// <inheritdoc/>
    public static LaneSingle256 Log(LaneSingle256 x) => Widened<WidenedFunctions.Log>(x);
    /// <inheritdoc/>
    public static LaneSingle256 Log10(LaneSingle256 x) => Widened<WidenedFunctions.Log10>(x);
    /// <inheritdoc/>
    public static LaneSingle256 Pow(LaneSingle256 x, LaneSingle256 y) => Widened<WidenedFunctions.Pow>(x, y);
    /// <inheritdoc/>
    public static LaneSingle256 Cbrt(LaneSingle256 x) => Widened<WidenedFunctions.Cbrt>(x);
    /// <inheritdoc/>
    public static LaneSingle256 Sin(LaneSingle256 x) => Widened<WidenedFunctions.Sin>(x);
    /// <inheritdoc/>
    public static LaneSingle256 Cos(LaneSingle256 x) => Widened<WidenedFunctions.Cos>(x);
    /// <inheritdoc/>
    public static LaneSingle256 Tan(LaneSingle256 x) => Widened<WidenedFunctions.Tan>(x);
    /// <inheritdoc/>
    public static LaneSingle256 Asin(LaneSingle256 x) => Widened<WidenedFunctions.Asin>(x);
    /// <inheritdoc/>
    public static LaneSingle256 Acos(LaneSingle256 x) => Widened<WidenedFunctions.Acos>(x);
    /// <inheritdoc/>
    public static LaneSingle256 Atan(LaneSingle256 x) => Widened<WidenedFunctions.Atan>(x);
    /// <inheritdoc/>
    public static LaneSingle256 Atan2(LaneSingle256 y, LaneSingle256 x) => Widened<WidenedFunctions.Atan2>(y, x);
    /// <inheritdoc/>
    public static LaneSingle256 Sinh(LaneSingle256 x) => Widened<WidenedFunctions.Sinh>(x);
    /// <inheritdoc/>
    public static LaneSingle256 Cosh(LaneSingle256 x) => Widened<WidenedFunctions.Cosh>(x);
    /// <inheritdoc/>
    public static LaneSingle256 Tanh(LaneSingle256 x) => Widened<WidenedFunctions.Tanh>(x);

    // f on the lower and the upper 4 lanes as Lane256s, each rounded to float (±0, ±∞ and NaN pass through both
    // conversions unchanged, and a double result beyond float's range becomes ±∞, as MathF's would).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static LaneSingle256 Widened<TFunction>(LaneSingle256 x) where TFunction : IWidenedFunction
    {
        (Vector256<double> lower, Vector256<double> upper) = Vector256.Widen(x.Value);
        return new(Vector256.Narrow(TFunction.Apply(new Lane256(lower)).Value, TFunction.Apply(new Lane256(upper)).Value));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static LaneSingle256 Widened<TFunction>(LaneSingle256 x, LaneSingle256 y) where TFunction : IWidenedFunction2
    {
        (Vector256<double> xLower, Vector256<double> xUpper) = Vector256.Widen(x.Value);
        (Vector256<double> yLower, Vector256<double> yUpper) = Vector256.Widen(y.Value);
        return new(Vector256.Narrow(TFunction.Apply(new Lane256(xLower), new Lane256(yLower)).Value, TFunction.Apply(new Lane256(xUpper), new Lane256(yUpper)).Value));
    }
}
