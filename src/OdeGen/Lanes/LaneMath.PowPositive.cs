using System.Runtime.CompilerServices;

namespace OdeGen.Lanes;

// xᵃ for the step-size controller (error^(−α), errPrev^β, the initial step's (0.01/d)^(1/(p+1))). Math.Pow is the C
// runtime's pow: its last bits differ between glibc, the Windows CRT and Arm builds, so step sequences pinned on one
// platform moved on another, and it has no vector form with its bits, so the per-lane ensembles ran their control
// scalar. This kernel uses only operations IEEE 754 defines exactly (+, −, ×, ÷, fused multiply-add, floor, selects,
// exponent-field bit operations), so a lane's result depends on its arguments alone: the same on every platform, at
// every width (Lane1 for the scalar solvers, Lane128/256/512 for the ensembles) and every JIT tier (LaneMathTests).
internal static partial class LaneMath
{
    private const double Ln1p5High = 0.4054651081081644, Ln1p5Low = -2.8811380259626426e-18;   // ln 1.5 in two parts
    private const double Log2Of1p5 = 0.5849625007211562;

    /// <summary>
    /// xᵃ for positive finite x (subnormals included) and |a| ≤ 1, within a few ulp of the exact value (PowPositiveTests
    /// measures 2 ulp from Math.Pow): x = 2ᵏ·m with m in [1, 2), ln m = ln 1.5 + 2·atanh(s), s = (m − 1.5)/(m + 1.5) in
    /// [−1/5, 1/7]; xᵃ = 2ⁿ·e^r with n the nearest integer to a·(k + log₂1.5), a·k split exactly by a fused multiply-add,
    /// r = (a·k − n)·ln 2 + a·ln m in [−0.75, 0.75], e^r by its Taylor polynomial to r¹⁷/17!. Zero, negative, infinite and NaN
    /// x are the caller's to handle. Laid out for a short chain of dependent operations (it sits between one step's error and
    /// the next step's size): n and everything but a·2·atanh(s) come from k and a alone, the polynomials by Estrin's scheme.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T PowPositive<T>(T x, T a) where T : unmanaged, ILane<T>, ILaneBits<T>
    {
        // Subnormals: the split of x·2⁵⁴, chosen afterwards (off the chain).
        T sub = T.LessThan(x, C<T>(2.2250738585072014e-308));            // 2⁻¹⁰²², the smallest normal
        T xs = x * C<T>(1.8014398509481984e+16);                          // 2⁵⁴
        T k = T.Select(sub, T.BiasedExponent(xs) - C<T>(1023.0 + 54.0), T.BiasedExponent(x) - C<T>(1023.0));
        T m = T.Select(sub, T.Significand(xs), T.Significand(x));
        // From k and a: a·k = p + pe exactly (k is an integer below 2¹¹), n, and c = (p − n)·ln 2 + pe·ln 2 + a·ln 1.5
        // (p − n is exact; the cancelling a·ln 1.5 against (p − n)·ln 2 in one fused multiply-add).
        T p = a * k;
        T pe = Fma(a, k, -p);
        T n = T.Floor(Fma(a, C<T>(Log2Of1p5), p) + C<T>(0.5));
        T d = p - n;
        T small = Fma(pe, C<T>(Ln2Full), Fma(d, C<T>(Ln2Rest), a * C<T>(Ln1p5Low)));
        T c = Fma(a, C<T>(Ln1p5High), Fma(d, C<T>(Ln2Full), small));
        // 2·atanh(s) = 2s + 2s³/3 + … + 2s²¹/21 (|s| ≤ 1/5: the first omitted term is below 2⁻⁵⁶), in z = s² by Estrin.
        T s = (m - C<T>(1.5)) / (m + C<T>(1.5));
        T z = s * s;
        T z2 = z * z, z4 = z2 * z2, z8 = z4 * z4;
        T p01 = Fma(C<T>(2.0 / 5), z, C<T>(2.0 / 3)), p23 = Fma(C<T>(2.0 / 9), z, C<T>(2.0 / 7));
        T p45 = Fma(C<T>(2.0 / 13), z, C<T>(2.0 / 11)), p67 = Fma(C<T>(2.0 / 17), z, C<T>(2.0 / 15));
        T p89 = Fma(C<T>(2.0 / 21), z, C<T>(2.0 / 19));
        T series = Fma(p89, z8, Fma(Fma(p67, z2, p45), z4, Fma(p23, z2, p01)));
        T r = Fma(a, Fma(s * z, series, s + s), c);
        // e^r = 1 + r + r²·Q(r), Q = 1/2! + r/3! + … + r¹⁵/17! (|r| ≤ 0.75: the first omitted term is below 2⁻⁵⁹), by Estrin.
        T r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
        T q01 = Fma(C<T>(1.0 / 6), r, C<T>(0.5)), q23 = Fma(C<T>(1.0 / 120), r, C<T>(1.0 / 24));
        T q45 = Fma(C<T>(1.0 / 5040), r, C<T>(1.0 / 720)), q67 = Fma(C<T>(1.0 / 362880), r, C<T>(1.0 / 40320));
        T q89 = Fma(C<T>(1.0 / 39916800), r, C<T>(1.0 / 3628800)), q1011 = Fma(C<T>(1.0 / 6227020800), r, C<T>(1.0 / 479001600));
        T q1213 = Fma(C<T>(1.0 / 1307674368000), r, C<T>(1.0 / 87178291200));
        T q1415 = Fma(C<T>(1.0 / 355687428096000), r, C<T>(1.0 / 20922789888000));
        T q = Fma(Fma(Fma(q1415, r2, q1213), r4, Fma(q1011, r2, q89)), r8, Fma(Fma(q67, r2, q45), r4, Fma(q23, r2, q01)));
        T e = C<T>(1.0) + Fma(r2, q, r);
        // 2ⁿ as two halves, so a subnormal result (a near 1, x subnormal) is rounded once.
        T nHalf = T.Floor(n * C<T>(0.5));
        return e * T.Pow2(nHalf) * T.Pow2(n - nHalf);
    }

    /// <summary>
    /// <see cref="PowPositive{T}"/> for a lane type known only as <see cref="ILane{TSelf}"/> (the per-lane ensembles'):
    /// the kernel at OdeGen's double widths, lane by lane at one lane otherwise; the same bits either way.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TLane PowPositiveAnyLane<TLane>(TLane x, TLane a) where TLane : unmanaged, ILane<TLane>
    {
        if (typeof(TLane) == typeof(Lane512))
            return Unsafe.BitCast<Lane512, TLane>(PowPositive(Unsafe.BitCast<TLane, Lane512>(x), Unsafe.BitCast<TLane, Lane512>(a)));
        if (typeof(TLane) == typeof(Lane256))
            return Unsafe.BitCast<Lane256, TLane>(PowPositive(Unsafe.BitCast<TLane, Lane256>(x), Unsafe.BitCast<TLane, Lane256>(a)));
        if (typeof(TLane) == typeof(Lane128))
            return Unsafe.BitCast<Lane128, TLane>(PowPositive(Unsafe.BitCast<TLane, Lane128>(x), Unsafe.BitCast<TLane, Lane128>(a)));
        Span<double> r = stackalloc double[TLane.Count];
        for (int l = 0; l < r.Length; l++)
            r[l] = PowPositive(new Lane1(TLane.GetLane(x, l)), new Lane1(TLane.GetLane(a, l))).Value;
        return TLane.Load(r);
    }
}
