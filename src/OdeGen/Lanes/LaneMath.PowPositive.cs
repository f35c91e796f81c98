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
    /// <summary>
    /// xᵃ for positive finite x (subnormals included) and |a| ≤ 1, within a few ulp of the exact value (docs/notes/lane-math.md
    /// has the measured bound): x = 2ᵏ·m with m in [√½, √2), ln m = 2·atanh(s), s = (m − 1)/(m + 1); then
    /// xᵃ = 2ⁿ·e^r with a·k split exactly by a fused multiply-add, n the nearest integer to a·log₂x and |r| ≤ ln 2 / 2,
    /// e^r by <see cref="Exp{T}"/>'s polynomial. Zero, negative, infinite and NaN x are the caller's to handle.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T PowPositive<T>(T x, T a) where T : unmanaged, ILane<T>, ILaneBits<T>
    {
        T one = C<T>(1.0);
        // Subnormals: scale by 2⁵⁴ first.
        T sub = T.LessThan(x, C<T>(2.2250738585072014e-308));            // 2⁻¹⁰²², the smallest normal
        x = T.Select(sub, x * C<T>(1.8014398509481984e+16), x);          // 2⁵⁴
        T k = T.BiasedExponent(x) - T.Select(sub, C<T>(1023.0 + 54.0), C<T>(1023.0));
        T m = T.Significand(x);
        T high = T.GreaterThan(m, C<T>(Sqrt2));
        m = T.Select(high, m * C<T>(0.5), m);
        k = T.Select(high, k + one, k);
        // ln m = 2s + 2s³/3 + 2s⁵/5 + … with |s| ≤ 0.1716: terms to 2s²¹/21 (the first omitted one is below 2⁻⁵⁸·|ln m|).
        T s = (m - one) / (m + one);
        T z = s * s;
        T series = C<T>(2.0 / 21);
        series = Fma(series, z, C<T>(2.0 / 19));
        series = Fma(series, z, C<T>(2.0 / 17));
        series = Fma(series, z, C<T>(2.0 / 15));
        series = Fma(series, z, C<T>(2.0 / 13));
        series = Fma(series, z, C<T>(2.0 / 11));
        series = Fma(series, z, C<T>(2.0 / 9));
        series = Fma(series, z, C<T>(2.0 / 7));
        series = Fma(series, z, C<T>(2.0 / 5));
        series = Fma(series, z, C<T>(2.0 / 3));
        T lnM = Fma(s * z, series, s + s);
        // a·ln x = a·k·ln 2 + a·ln m. a·k = p + pe exactly (k is an integer below 2¹¹); n = round(p + a·ln m / ln 2);
        // p − n is exact, and r = (p − n)·ln 2 + pe·ln 2 + a·ln m with ln 2 in two parts.
        T w = a * lnM;
        T p = a * k;
        T pe = Fma(a, k, -p);
        T n = T.Floor(Fma(w, C<T>(InvLn2), p) + C<T>(0.5));
        T d = p - n;
        T r = Fma(d, C<T>(Ln2Full), Fma(d, C<T>(Ln2Rest), Fma(pe, C<T>(Ln2Full), w)));
        T e = ExpReduced(r);
        // 2ⁿ as two halves, so a subnormal result (a near 1, x subnormal) is rounded once.
        T nHalf = T.Floor(n * C<T>(0.5));
        return e * T.Pow2(nHalf) * T.Pow2(n - nHalf);
    }
}
