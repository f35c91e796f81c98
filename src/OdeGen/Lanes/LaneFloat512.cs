using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace OdeGen.Lanes;

/// <summary>
/// 16 floats in one <see cref="Vector512{T}"/> behind the double lane interface <see cref="ILane{TSelf}"/>: a double
/// system's generated lane methods (the one-sweep methods included) run over it in single precision, 16 trajectories per
/// register where <see cref="Lane512"/> holds 8. Values enter and leave as doubles (<see cref="Create"/>, <see cref="Load(ReadOnlySpan{double})"/>,
/// <see cref="GetLane"/>, <see cref="Sum"/> round to float on the way in and widen on the way out), so the caller's state
/// stays double; every operation in between rounds to float.
/// </summary>
/// <remarks>
/// The opt-in single-precision kernel of a continuous normalizing flow (<see cref="Flows.CnfPrecision.Single"/>), as torch
/// computes its float32 fields. <see cref="Tanh"/>, the activation those fields spend most of their time in, is a float
/// kernel of its own (a rational function within 6 float ulp of the correctly rounded value; SinglePrecisionFlowTests); the other transcendental
/// functions widen each half to <see cref="Lane512"/> and round back, as <see cref="LaneSingle512"/> does. On hardware
/// without AVX-512 the JIT runs each 512-bit operation as two of 256 bits: correct, not faster.
/// </remarks>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct LaneFloat512 : ILane<LaneFloat512>
{
    /// <summary>The register.</summary>
    public readonly Vector512<float> Value;

    /// <summary>Wraps a register.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public LaneFloat512(Vector512<float> value) => Value = value;

    public static int Count => 16;
    public static LaneFloat512 Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneFloat512 Create(double value) => new(Vector512.Create((float)value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneFloat512 Load(ReadOnlySpan<double> values) => Load(values, 0);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(LaneFloat512 value, Span<double> destination) => Store(value, destination, 0);

    public static double GetLane(LaneFloat512 value, int lane) => value.Value.GetElement(lane);

    public static LaneFloat512 Indices
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new(Vector512.Create(0f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneFloat512 Load(ReadOnlySpan<double> values, int start) =>
        new(Vector512.Narrow(Vector512.Create(values.Slice(start, 8)), Vector512.Create(values.Slice(start + 8, 8))));

    // Two registers of 8 doubles, each element read once, narrowed together: the rounding of Load.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneFloat512 LoadStrided(ReadOnlySpan<double> values, int start, int stride)
    {
        _ = values[start + (15 * stride)];
        return new(Vector512.Narrow(Eight(values, start, stride), Eight(values, start + (8 * stride), stride)));

        static Vector512<double> Eight(ReadOnlySpan<double> v, int s, int d) =>
            Vector512.Create(v[s], v[s + d], v[s + (2 * d)], v[s + (3 * d)], v[s + (4 * d)], v[s + (5 * d)], v[s + (6 * d)], v[s + (7 * d)]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(LaneFloat512 value, Span<double> destination, int start)
    {
        (Vector512<double> lower, Vector512<double> upper) = Vector512.Widen(value.Value);
        lower.CopyTo(destination.Slice(start, 8));
        upper.CopyTo(destination.Slice(start + 8, 8));
    }

    public static void StoreStrided(LaneFloat512 value, Span<double> destination, int start, int stride)
    {
        for (int i = 0; i < 16; i++) destination[start + (i * stride)] = value.Value.GetElement(i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneFloat512 operator +(LaneFloat512 a, LaneFloat512 b) => new(a.Value + b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneFloat512 operator -(LaneFloat512 a, LaneFloat512 b) => new(a.Value - b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneFloat512 operator *(LaneFloat512 a, LaneFloat512 b) => new(a.Value * b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneFloat512 operator /(LaneFloat512 a, LaneFloat512 b) => new(a.Value / b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneFloat512 operator -(LaneFloat512 a) => new(-a.Value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneFloat512 FusedMultiplyAdd(LaneFloat512 a, LaneFloat512 b, LaneFloat512 c) => new(Fma(a.Value, b.Value, c.Value));

    /// <summary>Σ over lanes, added in double (16 floats within 2²⁵ of each other sum exactly there).</summary>
    public static double Sum(LaneFloat512 value)
    {
        (Vector512<double> lower, Vector512<double> upper) = Vector512.Widen(value.Value);
        return Vector512.Sum(lower + upper);
    }

    public static double MaxAcross(LaneFloat512 value)
    {
        float m = value.Value.GetElement(0);
        for (int i = 1; i < 16; i++) m = MathF.Max(m, value.Value.GetElement(i));
        return m;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AllFinite(LaneFloat512 value) =>
        Vector512.LessThanAll(Vector512.Abs(value.Value), Vector512.Create(float.PositiveInfinity));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneFloat512 LessThan(LaneFloat512 a, LaneFloat512 b) => new(Vector512.LessThan(a.Value, b.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneFloat512 LessThanOrEqual(LaneFloat512 a, LaneFloat512 b) => new(Vector512.LessThanOrEqual(a.Value, b.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneFloat512 GreaterThan(LaneFloat512 a, LaneFloat512 b) => new(Vector512.GreaterThan(a.Value, b.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneFloat512 GreaterThanOrEqual(LaneFloat512 a, LaneFloat512 b) => new(Vector512.GreaterThanOrEqual(a.Value, b.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneFloat512 Equal(LaneFloat512 a, LaneFloat512 b) => new(Vector512.Equals(a.Value, b.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneFloat512 NotEqual(LaneFloat512 a, LaneFloat512 b) => new(~Vector512.Equals(a.Value, b.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneFloat512 And(LaneFloat512 a, LaneFloat512 b) => new(a.Value & b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneFloat512 Or(LaneFloat512 a, LaneFloat512 b) => new(a.Value | b.Value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneFloat512 AndNot(LaneFloat512 a, LaneFloat512 b) => new(Vector512.AndNot(a.Value, b.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneFloat512 Select(LaneFloat512 mask, LaneFloat512 ifTrue, LaneFloat512 ifFalse) =>
        new(Vector512.ConditionalSelect(mask.Value, ifTrue.Value, ifFalse.Value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneFloat512 Sqrt(LaneFloat512 x) => new(Vector512.Sqrt(x.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneFloat512 Abs(LaneFloat512 x) => new(Vector512.Abs(x.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneFloat512 Min(LaneFloat512 a, LaneFloat512 b) => new(Vector512.Min(a.Value, b.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneFloat512 Max(LaneFloat512 a, LaneFloat512 b) => new(Vector512.Max(a.Value, b.Value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneFloat512 Floor(LaneFloat512 x) => new(Vector512.Floor(x.Value));

    public static LaneFloat512 Exp(LaneFloat512 x) => Widened<WidenedFunctions.Exp>(x);
    public static LaneFloat512 Log(LaneFloat512 x) => Widened<WidenedFunctions.Log>(x);
    public static LaneFloat512 Log10(LaneFloat512 x) => Widened<WidenedFunctions.Log10>(x);
    public static LaneFloat512 Pow(LaneFloat512 x, LaneFloat512 y) => Widened<WidenedFunctions.Pow>(x, y);
    public static LaneFloat512 Cbrt(LaneFloat512 x) => Widened<WidenedFunctions.Cbrt>(x);
    public static LaneFloat512 Sin(LaneFloat512 x) => Widened<WidenedFunctions.Sin>(x);
    public static LaneFloat512 Cos(LaneFloat512 x) => Widened<WidenedFunctions.Cos>(x);
    public static LaneFloat512 Tan(LaneFloat512 x) => Widened<WidenedFunctions.Tan>(x);
    public static LaneFloat512 Asin(LaneFloat512 x) => Widened<WidenedFunctions.Asin>(x);
    public static LaneFloat512 Acos(LaneFloat512 x) => Widened<WidenedFunctions.Acos>(x);
    public static LaneFloat512 Atan(LaneFloat512 x) => Widened<WidenedFunctions.Atan>(x);
    public static LaneFloat512 Atan2(LaneFloat512 y, LaneFloat512 x) => Widened<WidenedFunctions.Atan2>(y, x);
    public static LaneFloat512 Sinh(LaneFloat512 x) => Widened<WidenedFunctions.Sinh>(x);
    public static LaneFloat512 Cosh(LaneFloat512 x) => Widened<WidenedFunctions.Cosh>(x);

    /// <summary>
    /// tanh in float, inlined: one rational function x·P(x²)/Q(x²) (P of degree 6, Q of degree 3, fitted for this kernel
    /// to tanh on [0, 9] for relative error, by linearized least squares on Chebyshev nodes with Lawson's reweighting:
    /// 6.6e-9 in exact arithmetic before the coefficients were rounded to float), and ±1 where x² ≥ 81, where
    /// the correctly rounded value is within half an ulp of ±1 (1 − tanh 9 = 3.05e-8) and P/Q would leave [−1, 1]. Within
    /// <see cref="TanhUlps"/> float ulp of the correctly rounded value for every float (checked exhaustively on
    /// [1/16, 16) and by sampling elsewhere in SinglePrecisionFlowTests; once over all 2³¹ non-negative floats by hand).
    /// Fifteen operations and one division, no exponential: the tanh of 1 − 2/(e^{2|x|} + 1) with a series below 0.625
    /// took both branches, 33 operations, for at most 2 ulp. Odd by construction (−0 stays −0), NaN passes through.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static LaneFloat512 Tanh(LaneFloat512 x)
    {
        Vector512<float> v = x.Value, s = v * v;
        Vector512<float> p = Fma(Vector512.Create(-8.488985881e-14f), s, Vector512.Create(5.278065484e-11f));
        p = Fma(p, s, Vector512.Create(-2.022549062e-8f));
        p = Fma(p, s, Vector512.Create(1.115437863e-5f));
        p = Fma(p, s, Vector512.Create(3.103963332e-3f));
        p = Fma(p, s, Vector512.Create(1.308401674e-1f));
        p = Fma(p, s, Vector512.Create(1f));
        Vector512<float> q = Fma(Vector512.Create(2.546155301e-4f), s, Vector512.Create(2.449520677e-2f));
        q = Fma(q, s, Vector512.Create(4.641734362e-1f));
        q = Fma(q, s, Vector512.Create(1f));
        Vector512<float> r = v * p / q;
        Vector512<float> one = Vector512.Create(1f) | (v & Vector512.Create(-0f));
        return new(Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(s, Vector512.Create(81f)), one, r));
    }

    /// <summary>The bound of <see cref="Tanh"/>'s error in float ulp of the correctly rounded value.</summary>
    internal const double TanhUlps = 6;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Fma(Vector512<float> a, Vector512<float> b, Vector512<float> c) =>
#if NET9_0_OR_GREATER
        Vector512.FusedMultiplyAdd(a, b, c);
#else
        LaneFma.MultiplyAdd(a, b, c);
#endif

    // f on the lower and the upper 8 lanes as Lane512s, each rounded to float (as LaneSingle512's).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static LaneFloat512 Widened<TFunction>(LaneFloat512 x) where TFunction : IWidenedFunction
    {
        (Vector512<double> lower, Vector512<double> upper) = Vector512.Widen(x.Value);
        return new(Vector512.Narrow(TFunction.Apply(new Lane512(lower)).Value, TFunction.Apply(new Lane512(upper)).Value));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static LaneFloat512 Widened<TFunction>(LaneFloat512 x, LaneFloat512 y) where TFunction : IWidenedFunction2
    {
        (Vector512<double> xLower, Vector512<double> xUpper) = Vector512.Widen(x.Value);
        (Vector512<double> yLower, Vector512<double> yUpper) = Vector512.Widen(y.Value);
        return new(Vector512.Narrow(TFunction.Apply(new Lane512(xLower), new Lane512(yLower)).Value,
            TFunction.Apply(new Lane512(xUpper), new Lane512(yUpper)).Value));
    }
}
