using System.Runtime.CompilerServices;

namespace OdeGen.Lanes;

// e^x, sin, cos and tan for the SIMD lanes. .NET's own vector kernels (Vector512.Exp, .Sin, .Cos) evaluate their
// polynomials with MultiplyAddEstimate, which optimized code fuses and tier-0 code does not: the same arguments gave
// results an ulp apart between a process's first calls and its later ones. These kernels use only operations IEEE 754
// defines exactly (+, −, ×, ÷, fused multiply-add, floor, selects), so a lane's result depends on its argument alone:
// the same at every tier and every width (Lane128, Lane256 and Lane512 agree bit for bit, LaneMathTests).
// Sin, Cos and Tan are each one call (NoInlining, their parts inlined into them): inlined into a large caller, a kernel
// that size used up the JIT's inlining budget and left the caller's own lane operators as calls (a micro-benchmark of
// Sin under dynamic PGO went from 2.5 to 40 ns per value). Exp is small and inlined: as a call it cost the spiral's lane
// blocks (tanh through Exp inside the generated loops) 1.2-1.5x their time, the caller's live vector registers being
// all caller-saved on x64.
internal static partial class LaneMath
{
    // π/2 in three parts: P1 = double(π/2), P2 = double(π/2 − P1), P3 = double(π/2 − P1 − P2).
    private const double HalfPi1 = 1.5707963267948966, HalfPi2 = 6.123233995736766e-17, HalfPi3 = -1.4973849048591698e-33;
    private const double TwoOverPi = 0.6366197723675814;
    // Beyond 2²⁰·π/2 the quadrant count j no longer leaves j·P2 with the bits the reduction needs: Math's own reduction
    // serves those lanes (rare: the arguments of an ODE's sines are rarely a million radians).
    private const double TrigFastLimit = 1647099.3291652855;
    private const double Ln2Full = 0.6931471805599453, Ln2Rest = 2.3190468138462996e-17;   // ln 2 = Ln2Full + Ln2Rest
    private const double InvLn2 = 1.4426950408889634;

    /// <summary>
    /// e^x: x = k·ln 2 + r with |r| ≤ ln 2 / 2 (k·ln2 subtracted by a fused multiply-add, exact, then the rest of ln 2),
    /// e^r = 1 + r + r²·(1/2 + r/3! + … + r¹¹/13!) (the first omitted term is below 2⁻⁵⁷), then 2ᵏ applied as two
    /// halves, so results in the subnormal range are rounded once and e^709.78… reaches double.MaxValue. Within one ulp
    /// of the exact value; overflow gives +∞, underflow +0, NaN stays NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Exp<T>(T x) where T : unmanaged, ILane<T>, ILaneBits<T>
    {
        // Clamped so that k stays in [−1077, 1025] and its halves in [−539, 513], where 2^half is a normal number;
        // past the clamp the result over- or underflows anyway.
        T xc = T.Min(T.Max(x, C<T>(-746.0)), C<T>(710.0));
        T k = T.Floor(Fma(xc, C<T>(InvLn2), C<T>(0.5)));
        T r = Fma(-k, C<T>(Ln2Full), xc);
        r = Fma(-k, C<T>(Ln2Rest), r);
        T q = C<T>(1.0 / 6227020800.0);               // 1/13!
        q = Fma(q, r, C<T>(1.0 / 479001600.0));
        q = Fma(q, r, C<T>(1.0 / 39916800.0));
        q = Fma(q, r, C<T>(1.0 / 3628800.0));
        q = Fma(q, r, C<T>(1.0 / 362880.0));
        q = Fma(q, r, C<T>(1.0 / 40320.0));
        q = Fma(q, r, C<T>(1.0 / 5040.0));
        q = Fma(q, r, C<T>(1.0 / 720.0));
        q = Fma(q, r, C<T>(1.0 / 120.0));
        q = Fma(q, r, C<T>(1.0 / 24.0));
        q = Fma(q, r, C<T>(1.0 / 6.0));
        q = Fma(q, r, C<T>(0.5));
        T e = C<T>(1.0) + Fma(r * r, q, r);
        T kHalf = T.Floor(k * C<T>(0.5));
        e = e * T.Pow2(kHalf) * T.Pow2(k - kHalf);
        return T.Select(IsNaN(x), x, e);
    }

    /// <summary>sin x (within about one ulp; lanes beyond 2²⁰·π/2 in magnitude, ±∞ included, through Math.Sin).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static T Sin<T>(T x) where T : unmanaged, ILane<T>, ILaneBits<T>
    {
        SinCosReduced(x, out T s, out T c, out T quadrant);
        T odd = OddQuadrant(quadrant);
        T v = T.Select(odd, c, s);
        v = T.Select(T.GreaterThanOrEqual(quadrant, C<T>(2.0)), -v, v);
        v = T.Select(T.Equal(x, T.Zero), x, v);   // sin(±0) = ±0
        return BeyondFastRange(x) ? Lanewise(x, v, TrigFunction.Sin) : v;
    }

    /// <summary>cos x (within about one ulp; lanes beyond 2²⁰·π/2 in magnitude, ±∞ included, through Math.Cos).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static T Cos<T>(T x) where T : unmanaged, ILane<T>, ILaneBits<T>
    {
        SinCosReduced(x, out T s, out T c, out T quadrant);
        T odd = OddQuadrant(quadrant);
        T v = T.Select(odd, s, c);
        T negate = T.And(T.GreaterThanOrEqual(quadrant, C<T>(1.0)), T.LessThanOrEqual(quadrant, C<T>(2.0)));
        v = T.Select(negate, -v, v);
        return BeyondFastRange(x) ? Lanewise(x, v, TrigFunction.Cos) : v;
    }

    /// <summary>tan x = sin x / cos x from one reduction (lanes beyond 2²⁰·π/2 through Math.Tan).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static T TanFromSinCos<T>(T x) where T : unmanaged, ILane<T>, ILaneBits<T>
    {
        SinCosReduced(x, out T s, out T c, out T quadrant);
        // Odd quadrants: tan = −cos r / sin r; even: sin r / cos r.
        T odd = OddQuadrant(quadrant);
        T v = T.Select(odd, -c, s) / T.Select(odd, s, c);
        v = T.Select(T.Equal(x, T.Zero), x, v);   // tan(±0) = ±0
        return BeyondFastRange(x) ? Lanewise(x, v, TrigFunction.Tan) : v;
    }

    // sin r and cos r of the reduced argument r = x − j·π/2 (|r| ≤ π/4 + a rounding), and j mod 4 as a double.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SinCosReduced<T>(T x, out T sin, out T cos, out T quadrant) where T : unmanaged, ILane<T>, ILaneBits<T>
    {
        // Lanes outside the fast range are reduced as zero here and replaced afterwards; NaN lanes stay NaN.
        T xr = T.Select(T.GreaterThanOrEqual(T.Abs(x), C<T>(TrigFastLimit)), T.Zero, x);
        T j = T.Floor(Fma(xr, C<T>(TwoOverPi), C<T>(0.5)));
        // x − j·P1 is exact (both are multiples of ulp(x) or of 2⁻⁵³, and the difference is below 1): one FMA.
        T r1 = Fma(-j, C<T>(HalfPi1), xr);
        // − j·P2 − j·P3, with j·P2 split exactly into th + tl and r1 − th summed without loss (Knuth's two-sum).
        T th = j * C<T>(HalfPi2);
        T tl = Fma(j, C<T>(HalfPi2), -th);
        T rh = r1 - th;
        T bv = rh - r1;
        T sumError = (r1 - (rh - bv)) - (th + bv);
        T rl = sumError - Fma(j, C<T>(HalfPi3), tl);
        T r = rh + rl;
        rl -= r - rh;                                   // r + rl = the reduced argument to ~2⁻¹⁰⁵ relative
        T z = r * r;
        T zError = Fma(r, r, -z);

        // sin(r + rl) = r + r³·S(r²) + rl·(1 − r²/2); S from −1/3! to 1/17! (Taylor, |r| ≤ π/4: the first omitted
        // term, r¹⁹/19!, is below 2⁻⁶² of sin r).
        T s = C<T>(1.0 / 355687428096000.0);          // 1/17!
        s = Fma(s, z, C<T>(-1.0 / 1307674368000.0));   // −1/15!
        s = Fma(s, z, C<T>(1.0 / 6227020800.0));
        s = Fma(s, z, C<T>(-1.0 / 39916800.0));
        s = Fma(s, z, C<T>(1.0 / 362880.0));
        s = Fma(s, z, C<T>(-1.0 / 5040.0));
        s = Fma(s, z, C<T>(1.0 / 120.0));
        s = Fma(s, z, C<T>(-1.0 / 6.0));
        sin = r + Fma(r * z, s, Fma(C<T>(-0.5) * z, rl, rl));

        // cos(r + rl) = 1 − z/2 + z²·K(z) − r·rl, with 1 − z/2 formed in two parts and z's rounding error carried
        // (the first omitted term, r¹⁸/18!, is below 2⁻⁶⁰).
        T k = C<T>(1.0 / 20922789888000.0);           // 1/16!
        k = Fma(k, z, C<T>(-1.0 / 87178291200.0));     // −1/14!
        k = Fma(k, z, C<T>(1.0 / 479001600.0));
        k = Fma(k, z, C<T>(-1.0 / 3628800.0));
        k = Fma(k, z, C<T>(1.0 / 40320.0));
        k = Fma(k, z, C<T>(-1.0 / 720.0));
        k = Fma(k, z, C<T>(1.0 / 24.0));
        T hz = C<T>(0.5) * z;
        T w = C<T>(1.0) - hz;
        T tail = ((C<T>(1.0) - w) - hz) + (Fma(z * z, k, -(r * rl)) - C<T>(0.5) * zError);
        cos = w + tail;

        quadrant = j - C<T>(4.0) * T.Floor(j * C<T>(0.25));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T OddQuadrant<T>(T quadrant) where T : unmanaged, ILane<T> =>
        T.Or(T.Equal(quadrant, C<T>(1.0)), T.Equal(quadrant, C<T>(3.0)));

    // True if any lane is outside the fast reduction's range (±∞ included; NaN lanes are NaN from the fast path).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool BeyondFastRange<T>(T x) where T : unmanaged, ILane<T> =>
        !T.AllFinite(T.Select(T.GreaterThanOrEqual(T.Abs(x), C<T>(TrigFastLimit)), C<T>(double.PositiveInfinity), T.Zero));

    // The rare path: lanes beyond the fast range from Math's function, the rest kept.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static T Lanewise<T>(T x, T fast, TrigFunction f) where T : unmanaged, ILane<T>
    {
        Span<double> values = stackalloc double[T.Count];
        T.Store(fast, values);
        for (int i = 0; i < values.Length; i++)
        {
            double xi = T.GetLane(x, i);
            if (!(Math.Abs(xi) < TrigFastLimit) && !double.IsNaN(xi)) values[i] = f switch { TrigFunction.Sin => Math.Sin(xi), TrigFunction.Cos => Math.Cos(xi), _ => Math.Tan(xi) };
        }
        return T.Load(values);
    }

    private enum TrigFunction { Sin, Cos, Tan }
}
