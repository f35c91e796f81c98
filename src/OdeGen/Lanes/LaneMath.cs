using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace OdeGen.Lanes;

/// <summary>
/// Vector math kernels, written once for every SIMD width (generic over the lane type, so the JIT specializes each
/// for Vector128/256/512): FMA-based polynomial and rational approximations with range reduction, built on the lane
/// type's Exp, Log (and Sin, Cos), and selects instead of branches, so every lane takes the same path. Each handles
/// NaN, ±∞, ±0, tiny and huge arguments as <see cref="Math"/> does; docs/lanes.md lists the measured accuracy.
/// </summary>
/// <remarks>
/// Coefficients: the rational approximations of tanh (|x| &lt; 0.625) and atan (|x| ≤ 0.66 after Cephes' reduction)
/// are Moshier's Cephes minimax fits; sinh uses its Taylor series on |x| &lt; 1 (terms to x¹⁹/19!, below 2⁻⁵⁶ of the
/// sum) and log for Pow the series 2·atanh(s) = 2s + 2s³/3 + … with |s| ≤ 0.1716 (terms to s²⁷).
/// </remarks>
internal static partial class LaneMath
{
    private const double PiOver2 = 1.5707963267948966, PiOver2Low = 6.123233995736766e-17;
    private const double Pi = 3.141592653589793, PiLow = 1.2246467991473532e-16;
    private const double Tan3PiOver8 = 2.414213562373095;   // tan(3π/8) = 1 + √2
    private const double Ln2High = 6.93147180369123816490e-01, Ln2Low = 1.90821492927058770002e-10;   // high part: 32 significant bits
    private const double InvLn10High = 0.4342944819032518, InvLn10Low = 1.098319650216765e-17;
    private const double Sqrt2 = 1.4142135623730951;
    private const double LnMaxValue = 709.782712893384;   // e^x overflows above

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T C<T>(double v) where T : unmanaged, ILane<T> => T.Create(v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Fma<T>(T a, T b, T c) where T : unmanaged, ILane<T> => T.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T IsNaN<T>(T x) where T : unmanaged, ILane<T> => T.NotEqual(x, x);

    /// <summary>
    /// tanh x: x + x³P(x²)/Q(x²) for |x| &lt; 0.625, 1 − 2/(e^{2|x|} + 1) with the sign of x above. When every lane is on
    /// the same side only that side is computed (one division instead of two, and no exp for small arguments): the lanes
    /// get the same bits either way, as each lane's value is the same expression.
    /// </summary>
    /// <remarks>
    /// Inlined whole, the exp side too: a generated MLP calls it in a loop, and a call (even one kept to the rare side)
    /// passes the 512-bit argument and result through the stack; each iteration's reload of its result then waited for
    /// the division before it, which serialized the loop (perf on Zen 4: 16 % of the spiral's lane-block iteration on the
    /// instruction after that reload; inlined, the iteration took 0.82–0.85 of the time, the same bits).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Tanh<T>(T x) where T : unmanaged, ILane<T>, ILaneBits<T>
    {
        // tanh is odd: the sign of x (also of −0, which x + x³… would turn into +0) goes on last. NaN lanes count as large.
        if (AllAbsBelow(x, 0.625)) return T.CopySign(TanhSmall(x), x);
        return TanhNotAllSmall(x, T.LessThan(T.Abs(x), C<T>(0.625)));
    }

    // Whether |x| < bound in every lane (false where x is NaN). The vector widths compare and test the mask in two
    // instructions; through ILane it takes a select and a finiteness test of the selected values (the same answer).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool AllAbsBelow<T>(T x, double bound) where T : unmanaged, ILane<T>
    {
        if (typeof(T) == typeof(Lane512))
            return Vector512.LessThanAll(Vector512.Abs(Unsafe.As<T, Lane512>(ref x).Value), Vector512.Create(bound));
        if (typeof(T) == typeof(Lane256))
            return Vector256.LessThanAll(Vector256.Abs(Unsafe.As<T, Lane256>(ref x).Value), Vector256.Create(bound));
        if (typeof(T) == typeof(Lane128))
            return Vector128.LessThanAll(Vector128.Abs(Unsafe.As<T, Lane128>(ref x).Value), Vector128.Create(bound));
        return T.AllFinite(T.Select(T.LessThan(T.Abs(x), C<T>(bound)), T.Zero, C<T>(double.PositiveInfinity)));
    }

    // Tanh where some lane is not below 0.625 (or NaN): the exp side alone when every lane is there, else both sides.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T TanhNotAllSmall<T>(T x, T isSmall) where T : unmanaged, ILane<T>, ILaneBits<T>
    {
        T a = T.Abs(x);
        if (T.AllFinite(T.Select(isSmall, C<T>(double.PositiveInfinity), T.Zero))) return T.CopySign(TanhLarge(a), x);
        return T.CopySign(T.Select(isSmall, TanhSmall(x), TanhLarge(a)), x);
    }

    // x + x³P(x²)/Q(x²), Cephes' minimax fit on |x| < 0.625.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T TanhSmall<T>(T x) where T : unmanaged, ILane<T>
    {
        T z = x * x;
        T p = Fma(Fma(C<T>(-9.64399179425052238628E-1), z, C<T>(-9.92877231001918586564E1)), z, C<T>(-1.61468768441708447952E3));
        T q = Fma(Fma(z + C<T>(1.12811678491632931402E2), z, C<T>(2.23548839060100448583E3)), z, C<T>(4.84406305325125486048E3));
        return Fma(x * z, p / q, x);
    }

    // 1 − 2/(e^{2a} + 1) for a = |x| (1 where e^{2a} overflows).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T TanhLarge<T>(T a) where T : unmanaged, ILane<T>
    {
        T e = T.Exp(a + a);
        return C<T>(1.0) - C<T>(2.0) / (e + C<T>(1.0));
    }

    /// <summary>sinh x: its Taylor series for |x| &lt; 1, (e − 1/e)/2 above, e^{|x| − 64 ln 2}·2⁶³ where e^{|x|} overflows (|x| > 709.78).</summary>
    public static T Sinh<T>(T x) where T : unmanaged, ILane<T>, ILaneBits<T>
    {
        T a = T.Abs(x);
        T z = x * x;
        // Σ_{k≥1} z^(k−1)/(2k+1)! in Horner form, 1/19! down to 1/3!.
        T s = C<T>(8.22063524662433e-18);
        s = Fma(s, z, C<T>(2.8114572543455206e-15));
        s = Fma(s, z, C<T>(7.647163731819816e-13));
        s = Fma(s, z, C<T>(1.6059043836821613e-10));
        s = Fma(s, z, C<T>(2.505210838544172e-08));
        s = Fma(s, z, C<T>(2.7557319223985893e-06));
        s = Fma(s, z, C<T>(0.0001984126984126984));
        s = Fma(s, z, C<T>(0.008333333333333333));
        s = Fma(s, z, C<T>(0.16666666666666666));
        T small = Fma(x * z, s, x);
        T e = T.Exp(a);
        T large = C<T>(0.5) * e - C<T>(0.5) / e;
        large = T.Select(T.GreaterThan(a, C<T>(LnMaxValue)), HalfExpBeyondOverflow(a), large);
        return T.CopySign(T.Select(T.LessThan(a, C<T>(1.0)), small, large), x);
    }

    // e^a / 2 for a just past the overflow of e^a (709.78 < a ≤ 710.48, where sinh and cosh are still finite):
    // e^(a − 64·ln2_hi) · 2⁶³·e^(64·ln2_hi − 64·ln 2). a − 64·ln2_hi is exact (ln2_hi has 32 significant bits, so the
    // difference of two multiples of 2⁻⁴³ below 1024 is representable): one exp, one constant, one product.
    private static T HalfExpBeyondOverflow<T>(T a) where T : unmanaged, ILane<T> =>
        T.Exp(a - C<T>(44.361419543623924)) * C<T>(9.223371924213648e+18);

    /// <summary>cosh x: (e + 1/e)/2 with e = e^{|x|}, e^{|x| − 64 ln 2}·2⁶³ where e^{|x|} overflows (|x| > 709.78).</summary>
    public static T Cosh<T>(T x) where T : unmanaged, ILane<T>, ILaneBits<T>
    {
        T a = T.Abs(x);
        T e = T.Exp(a);
        T r = C<T>(0.5) * e + C<T>(0.5) / e;
        return T.Select(T.GreaterThan(a, C<T>(LnMaxValue)), HalfExpBeyondOverflow(a), r);
    }

    /// <summary>
    /// ln x from its double-double form (<see cref="LogParts{T}"/>) rounded once: within about half an ulp, where .NET 10's
    /// vector Log is up to 3 ulp from Math.Log. ln 0 = −∞, ln of a negative number or NaN is NaN, ln ∞ = ∞.
    /// </summary>
    public static T Log<T>(T x) where T : unmanaged, ILane<T>, ILaneBits<T>
    {
        T inf = C<T>(double.PositiveInfinity);
        T regular = T.And(T.GreaterThan(x, T.Zero), T.LessThan(x, inf));
        LogParts(T.Select(regular, x, C<T>(1.0)), out T hi, out T lo);
        T special = T.Select(T.Equal(x, T.Zero), -inf, T.Select(T.Equal(x, inf), inf, C<T>(double.NaN)));
        return T.Select(regular, hi + lo, special);
    }

    /// <summary>log₁₀ x = ln x · (1/ln 10), with ln x and the constant each in two parts (one rounding of ln x would cost 2–4 ulp).</summary>
    public static T Log10<T>(T x) where T : unmanaged, ILane<T>, ILaneBits<T>
    {
        T inf = C<T>(double.PositiveInfinity);
        T regular = T.And(T.GreaterThan(x, T.Zero), T.LessThan(x, inf));
        LogParts(T.Select(regular, x, C<T>(1.0)), out T hi, out T lo);
        T r = Fma(hi, C<T>(InvLn10High), Fma(hi, C<T>(InvLn10Low), lo * C<T>(InvLn10High)));
        T special = T.Select(T.Equal(x, T.Zero), -inf, T.Select(T.Equal(x, inf), inf, C<T>(double.NaN)));
        return T.Select(regular, r, special);
    }

    /// <summary>tan x = sin x / cos x.</summary>
    public static T Tan<T>(T x) where T : unmanaged, ILane<T> => T.Sin(x) / T.Cos(x);

    // atan on [0, ∞] (Cephes' reduction: t > tan(3π/8) → π/2 + atan(−1/t); t > 0.66 → π/4 + atan((t−1)/(t+1))).
    private static T AtanPositive<T>(T t) where T : unmanaged, ILane<T>
    {
        T big = T.GreaterThan(t, C<T>(Tan3PiOver8));
        T mid = T.AndNot(T.GreaterThan(t, C<T>(0.66)), big);
        T one = C<T>(1.0);
        T xr = T.Select(big, -one / t, T.Select(mid, (t - one) / (t + one), t));
        T y0 = T.Select(big, C<T>(PiOver2), T.Select(mid, C<T>(Pi / 4), T.Zero));
        T more = T.Select(big, C<T>(PiOver2Low), T.Select(mid, C<T>(0.5 * PiOver2Low), T.Zero));
        T z = xr * xr;
        T p = Fma(Fma(Fma(Fma(C<T>(-8.750608600031904122785E-1), z, C<T>(-1.615753718733365076637E1)), z,
            C<T>(-7.500855792314704667340E1)), z, C<T>(-1.228866684490136173410E2)), z, C<T>(-6.485021904942025371773E1));
        T q = Fma(Fma(Fma(Fma(z + C<T>(2.485846490142306297962E1), z, C<T>(1.650270098316988542046E2)), z,
            C<T>(4.328810604912902668951E2)), z, C<T>(4.853903996359136964868E2)), z, C<T>(1.945506571482613964425E2));
        T r = Fma(xr * z, p / q, xr);
        return y0 + (r + more);
    }

    /// <summary>atan x.</summary>
    public static T Atan<T>(T x) where T : unmanaged, ILane<T>, ILaneBits<T> => T.CopySign(AtanPositive(T.Abs(x)), x);

    /// <summary>atan2(y, x): atan of the smaller over the larger magnitude, then the octant, quadrant and sign.</summary>
    public static T Atan2<T>(T y, T x) where T : unmanaged, ILane<T>, ILaneBits<T>
    {
        T ax = T.Abs(x), ay = T.Abs(y);
        T swap = T.GreaterThan(ay, ax);
        T num = T.Select(swap, ax, ay), den = T.Select(swap, ay, ax);
        T r = num / den;
        r = T.Select(T.Equal(den, T.Zero), T.Zero, r);                                  // atan2(±0, ±0)
        r = T.Select(T.Equal(num, C<T>(double.PositiveInfinity)), C<T>(1.0), r);       // atan2(±∞, ±∞)
        T a = AtanPositive(r);
        a = T.Select(swap, (C<T>(PiOver2) - a) + C<T>(PiOver2Low), a);
        a = T.Select(T.SignMask(x), (C<T>(Pi) - a) + C<T>(PiLow), a);
        return T.Select(T.Or(IsNaN(x), IsNaN(y)), x + y, T.CopySign(a, y));
    }

    // √(1 − a²) for a = |x| ≤ 1: one rounding from the fused product below 1/2, (1 − a)(1 + a) (1 − a exact) above.
    private static T Cofactor<T>(T a) where T : unmanaged, ILane<T>
    {
        T one = C<T>(1.0);
        T d = T.Select(T.LessThan(a, C<T>(0.5)), Fma(-a, a, one), (one - a) * (one + a));
        return T.Sqrt(d);
    }

    /// <summary>asin x = atan(|x| / √(1 − x²)) with the sign of x (NaN outside [−1, 1]).</summary>
    public static T Asin<T>(T x) where T : unmanaged, ILane<T>, ILaneBits<T>
    {
        T a = T.Abs(x);
        return T.CopySign(AtanPositive(a / Cofactor(a)), x);
    }

    /// <summary>acos x = atan2(√(1 − x²), x) (NaN outside [−1, 1]).</summary>
    public static T Acos<T>(T x) where T : unmanaged, ILane<T>, ILaneBits<T> => Atan2(Cofactor(T.Abs(x)), x);

    /// <summary>∛x: e^{ln|x|/3}, then one Newton step with the residual r³ − |x| formed exactly by FMA.</summary>
    public static T Cbrt<T>(T x) where T : unmanaged, ILane<T>, ILaneBits<T>
    {
        T a = T.Abs(x);
        // Tiny arguments are scaled by 2³⁰⁰ (exactly) so the residual stays representable.
        T tiny = T.LessThan(a, C<T>(1.1830521861667747e-271));           // 2⁻⁹⁰⁰
        a = T.Select(tiny, a * C<T>(2.037035976334486e+90), a);          // 2³⁰⁰
        T r = T.Exp(T.Log(a) * C<T>(1.0 / 3.0));
        T h = r * r;
        T l = Fma(r, r, -h);
        T residual = Fma(h, r, -a) + l * r;
        r -= residual / (C<T>(3.0) * h);
        r = T.Select(tiny, r * C<T>(7.888609052210118e-31), r);          // 2⁻¹⁰⁰ = ∛(2⁻³⁰⁰)
        T special = T.Or(T.Or(T.Equal(x, T.Zero), T.Equal(T.Abs(x), C<T>(double.PositiveInfinity))), IsNaN(x));
        return T.Select(special, x, T.CopySign(r, x));
    }

    /// <summary>
    /// ln u for positive finite u (subnormals included) as logHigh + logLow, accurate to ~2⁻⁶⁵ relative: the exponent
    /// split u = 2ᵏ·m with m in [√½, √2), ln m = 2·atanh(s), s = (m − 1)/(m + 1), the leading terms kept in two parts.
    /// </summary>
    private static void LogParts<T>(T u, out T logHigh, out T logLow) where T : unmanaged, ILane<T>, ILaneBits<T>
    {
        T one = C<T>(1.0);
        // Subnormals: scale by 2⁵⁴ first.
        T sub = T.LessThan(u, C<T>(2.2250738585072014e-308));            // 2⁻¹⁰²², the smallest normal
        u = T.Select(sub, u * C<T>(1.8014398509481984e+16), u);          // 2⁵⁴
        T k = T.BiasedExponent(u) - T.Select(sub, C<T>(1023.0 + 54.0), C<T>(1023.0));
        T mant = T.Significand(u);
        T high = T.GreaterThan(mant, C<T>(Sqrt2));
        mant = T.Select(high, mant * C<T>(0.5), mant);
        k = T.Select(high, k + one, k);
        // ln m = 2·atanh(s), s = (m − 1)/(m + 1), in two parts: f = m − 1 is exact, m + 1 as a sum of two doubles.
        T f = mant - one;
        T g = mant + one;
        T gb = g - mant;
        T gLow = (mant - (g - gb)) + (one - gb);
        T s = f / g;
        T sLow = (Fma(-s, g, f) - s * gLow) / g;
        T z = s * s;
        T series = C<T>(2.0 / 27);
        series = Fma(series, z, C<T>(2.0 / 25));
        series = Fma(series, z, C<T>(2.0 / 23));
        series = Fma(series, z, C<T>(2.0 / 21));
        series = Fma(series, z, C<T>(2.0 / 19));
        series = Fma(series, z, C<T>(2.0 / 17));
        series = Fma(series, z, C<T>(2.0 / 15));
        series = Fma(series, z, C<T>(2.0 / 13));
        series = Fma(series, z, C<T>(2.0 / 11));
        series = Fma(series, z, C<T>(2.0 / 9));
        series = Fma(series, z, C<T>(2.0 / 7));
        series = Fma(series, z, C<T>(2.0 / 5));
        series = Fma(series, z, C<T>(2.0 / 3));
        T tail = s * z * series;
        // ln|x| = k·ln2_hi (exact) + 2s (exact) + [k·ln2_lo + 2·s_lo + tail], summed without losing the low part.
        T a = k * C<T>(Ln2High), b = s + s;
        T hi = a + b;
        T bb = hi - a;
        T lo = (a - (hi - bb)) + (b - bb) + (Fma(k, C<T>(Ln2Low), sLow + sLow) + tail);
        logHigh = hi + lo;
        logLow = lo - (logHigh - hi);
    }

    /// <summary>
    /// xʸ = e^{y·ln|x|} with ln|x| in double-double (exponent split, 2·atanh series) and y·ln|x| carried in two parts,
    /// so the error does not grow with |y·ln x|; IEEE 754 special cases (negative bases, zeros, infinities, NaN) as Math.Pow.
    /// </summary>
    public static T Pow<T>(T x, T y) where T : unmanaged, ILane<T>, ILaneBits<T>
    {
        T one = C<T>(1.0), inf = C<T>(double.PositiveInfinity), zero = T.Zero;
        T ax = T.Abs(x);
        T regular = T.And(T.GreaterThan(ax, zero), T.LessThan(ax, inf));
        T u = T.Select(regular, ax, one);
        LogParts(u, out T logHigh, out T logLow);
        T zHigh = y * logHigh;
        T zLow = Fma(y, logHigh, -zHigh) + y * logLow;
        T e = T.Exp(zHigh);
        T mag = T.Select(T.Equal(e, inf), e, Fma(e, zLow, e));

        // Special cases, from the least to the most binding.
        T yPositive = T.GreaterThan(y, zero);
        T yInfinite = T.Equal(T.Abs(y), inf);
        mag = T.Select(T.Equal(ax, zero), T.Select(yPositive, zero, inf), mag);
        mag = T.Select(T.Equal(ax, inf), T.Select(yPositive, inf, zero), mag);
        T toZero = T.Or(T.And(T.LessThan(ax, one), yPositive), T.And(T.GreaterThan(ax, one), T.LessThan(y, zero)));   // |x| < 1, y = +∞ or |x| > 1, y = −∞
        mag = T.Select(yInfinite, T.Select(T.Equal(ax, one), one, T.Select(toZero, zero, inf)), mag);
        T half = y * C<T>(0.5);
        T yInteger = T.Equal(T.Floor(y), y);
        T yOdd = T.And(yInteger, T.NotEqual(T.Floor(half), half));
        T result = T.Select(T.And(T.SignMask(x), yOdd), -mag, mag);
        T negativeBase = T.And(T.LessThan(x, zero), T.GreaterThan(x, -inf));
        result = T.Select(T.AndNot(negativeBase, T.Or(yInteger, yInfinite)), C<T>(double.NaN), result);
        result = T.Select(T.Or(IsNaN(x), IsNaN(y)), x + y, result);
        return T.Select(T.Or(T.Equal(y, zero), T.Equal(x, one)), one, result);
    }
}
