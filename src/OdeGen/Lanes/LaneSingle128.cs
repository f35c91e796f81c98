// Rendered from Templates/LaneSingle.cs.template: edit the template, then run
// ODEGEN_ACCEPT_SNAPSHOTS=1 dotnet test tests/OdeGen.Tests -c Release --filter LaneTemplateTests
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace OdeGen.Lanes;

/// <summary>
/// 4 floats in one <see cref="Vector128{T}"/>: the float lane type for 128-bit SIMD. Arithmetic, comparisons, Sqrt, Abs,
/// Min, Max and Floor are the float instructions; the transcendental functions widen each half to <see cref="Lane128"/>,
/// run the double kernel there and round once back to float (docs/notes/lane-math.md, "Float lanes").
/// </summary>
[System.Diagnostics.CodeAnalysis.Experimental(FloatLanesExperimental.DiagnosticId, UrlFormat = FloatLanesExperimental.Url)]
[StructLayout(LayoutKind.Sequential)]
public readonly struct LaneSingle128 : ILaneSingle<LaneSingle128>
{
    /// <summary>The register.</summary>
    public readonly Vector128<float> Value;

    /// <summary>Wraps a register.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public LaneSingle128(Vector128<float> value) => Value = value;

    /// <inheritdoc/>
    public static int Count => 4;
    /// <inheritdoc/>
    public static LaneSingle128 Zero => default;
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle128 Create(float value) => new(Vector128.Create(value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle128 Load(ReadOnlySpan<float> values) => new(Vector128.Create(values));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(LaneSingle128 value, Span<float> destination) => value.Value.CopyTo(destination);
    /// <inheritdoc/>
    public static float GetLane(LaneSingle128 value, int lane) => value.Value.GetElement(lane);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle128 operator +(LaneSingle128 a, LaneSingle128 b) => new(a.Value + b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle128 operator -(LaneSingle128 a, LaneSingle128 b) => new(a.Value - b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle128 operator *(LaneSingle128 a, LaneSingle128 b) => new(a.Value * b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle128 operator /(LaneSingle128 a, LaneSingle128 b) => new(a.Value / b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle128 operator -(LaneSingle128 a) => new(-a.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle128 FusedMultiplyAdd(LaneSingle128 a, LaneSingle128 b, LaneSingle128 c) =>
#if NET9_0_OR_GREATER
        new(Vector128.FusedMultiplyAdd(a.Value, b.Value, c.Value));
#else
        new(LaneFma.MultiplyAdd(a.Value, b.Value, c.Value));
#endif

    /// <inheritdoc/>
    public static double Sum(LaneSingle128 value)
    {
        (Vector128<double> lower, Vector128<double> upper) = Vector128.Widen(value.Value);
        return Vector128.Sum(lower + upper);
    }
    /// <inheritdoc/>
    public static float MaxAcross(LaneSingle128 value)
    {
        float m = value.Value.GetElement(0);
        for (int i = 1; i < 4; i++) m = MathF.Max(m, value.Value.GetElement(i));
        return m;
    }
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AllFinite(LaneSingle128 value) =>
        Vector128.LessThanAll(Vector128.Abs(value.Value), Vector128.Create(float.PositiveInfinity));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle128 LessThan(LaneSingle128 a, LaneSingle128 b) => new(Vector128.LessThan(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle128 LessThanOrEqual(LaneSingle128 a, LaneSingle128 b) => new(Vector128.LessThanOrEqual(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle128 GreaterThan(LaneSingle128 a, LaneSingle128 b) => new(Vector128.GreaterThan(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle128 GreaterThanOrEqual(LaneSingle128 a, LaneSingle128 b) => new(Vector128.GreaterThanOrEqual(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle128 Equal(LaneSingle128 a, LaneSingle128 b) => new(Vector128.Equals(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle128 NotEqual(LaneSingle128 a, LaneSingle128 b) => new(~Vector128.Equals(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle128 And(LaneSingle128 a, LaneSingle128 b) => new(a.Value & b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle128 Or(LaneSingle128 a, LaneSingle128 b) => new(a.Value | b.Value);
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle128 AndNot(LaneSingle128 a, LaneSingle128 b) => new(Vector128.AndNot(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle128 Select(LaneSingle128 mask, LaneSingle128 ifTrue, LaneSingle128 ifFalse) => new(Vector128.ConditionalSelect(mask.Value, ifTrue.Value, ifFalse.Value));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle128 Sqrt(LaneSingle128 x) => new(Vector128.Sqrt(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle128 Abs(LaneSingle128 x) => new(Vector128.Abs(x.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle128 Min(LaneSingle128 a, LaneSingle128 b) => new(Vector128.Min(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle128 Max(LaneSingle128 a, LaneSingle128 b) => new(Vector128.Max(a.Value, b.Value));
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneSingle128 Floor(LaneSingle128 x) => new(Vector128.Floor(x.Value));

    // The double kernels are within 1–4 double ulp of Math (2⁻²⁹ of a float ulp), so one rounding to float lands on
    // the correctly rounded float except at a near-tie. Measured (LaneSingleMathTests, docs/notes/lane-math.md): that float at
    // every test point, while MathF is up to 1 ulp from it (2 for Sinh, Cosh, Tanh and Log10).
    /// <inheritdoc/>
    public static LaneSingle128 Exp(LaneSingle128 x) => Widened<WidenedFunctions.Exp>(x);
    /// <inheritdoc/>
    public static LaneSingle128 Log(LaneSingle128 x) => Widened<WidenedFunctions.Log>(x);
    /// <inheritdoc/>
    public static LaneSingle128 Log10(LaneSingle128 x) => Widened<WidenedFunctions.Log10>(x);
    /// <inheritdoc/>
    public static LaneSingle128 Pow(LaneSingle128 x, LaneSingle128 y) => Widened<WidenedFunctions.Pow>(x, y);
    /// <inheritdoc/>
    public static LaneSingle128 Cbrt(LaneSingle128 x) => Widened<WidenedFunctions.Cbrt>(x);
    /// <inheritdoc/>
    public static LaneSingle128 Sin(LaneSingle128 x) => Widened<WidenedFunctions.Sin>(x);
    /// <inheritdoc/>
    public static LaneSingle128 Cos(LaneSingle128 x) => Widened<WidenedFunctions.Cos>(x);
    /// <inheritdoc/>
    public static LaneSingle128 Tan(LaneSingle128 x) => Widened<WidenedFunctions.Tan>(x);
    /// <inheritdoc/>
    public static LaneSingle128 Asin(LaneSingle128 x) => Widened<WidenedFunctions.Asin>(x);
    /// <inheritdoc/>
    public static LaneSingle128 Acos(LaneSingle128 x) => Widened<WidenedFunctions.Acos>(x);
    /// <inheritdoc/>
    public static LaneSingle128 Atan(LaneSingle128 x) => Widened<WidenedFunctions.Atan>(x);
    /// <inheritdoc/>
    public static LaneSingle128 Atan2(LaneSingle128 y, LaneSingle128 x) => Widened<WidenedFunctions.Atan2>(y, x);
    /// <inheritdoc/>
    public static LaneSingle128 Sinh(LaneSingle128 x) => Widened<WidenedFunctions.Sinh>(x);
    /// <inheritdoc/>
    public static LaneSingle128 Cosh(LaneSingle128 x) => Widened<WidenedFunctions.Cosh>(x);
    /// <inheritdoc/>
    public static LaneSingle128 Tanh(LaneSingle128 x) => Widened<WidenedFunctions.Tanh>(x);

    // f on the lower and the upper 2 lanes as Lane128s, each rounded to float (±0, ±∞ and NaN pass through both
    // conversions unchanged, and a double result beyond float's range becomes ±∞, as MathF's would).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static LaneSingle128 Widened<TFunction>(LaneSingle128 x) where TFunction : IWidenedFunction
    {
        (Vector128<double> lower, Vector128<double> upper) = Vector128.Widen(x.Value);
        return new(Vector128.Narrow(TFunction.Apply(new Lane128(lower)).Value, TFunction.Apply(new Lane128(upper)).Value));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static LaneSingle128 Widened<TFunction>(LaneSingle128 x, LaneSingle128 y) where TFunction : IWidenedFunction2
    {
        (Vector128<double> xLower, Vector128<double> xUpper) = Vector128.Widen(x.Value);
        (Vector128<double> yLower, Vector128<double> yUpper) = Vector128.Widen(y.Value);
        return new(Vector128.Narrow(TFunction.Apply(new Lane128(xLower), new Lane128(yLower)).Value, TFunction.Apply(new Lane128(xUpper), new Lane128(yUpper)).Value));
    }
}
