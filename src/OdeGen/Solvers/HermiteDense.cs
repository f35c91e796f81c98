using OdeGen.Lanes;

namespace OdeGen.Solvers;

/// <summary>
/// Cubic Hermite dense output through both ends of a step (values y0, y1 and slopes f0, f1): the fallback of every method
/// without a continuous extension of its own (the explicit tableaux without one, ESDIRK), in one place.
/// </summary>
internal static class HermiteDense
{
    /// <summary>y(θ) for θ = (t − t0)/h, lane by lane.</summary>
    public static void Interpolate<TLane>(double theta, double h, ReadOnlySpan<TLane> y0, ReadOnlySpan<TLane> f0,
        ReadOnlySpan<TLane> y1, ReadOnlySpan<TLane> f1, Span<TLane> result) where TLane : unmanaged, ILane<TLane>
    {
        double t2 = theta * theta, t3 = t2 * theta;
        TLane h00 = TLane.Create(2 * t3 - 3 * t2 + 1), h10 = TLane.Create(t3 - 2 * t2 + theta), h01 = TLane.Create(-2 * t3 + 3 * t2), h11 = TLane.Create(t3 - t2);
        TLane hl = TLane.Create(h);
        for (int q = 0; q < y1.Length; q++)
            result[q] = h00 * y0[q] + h10 * hl * f0[q] + h01 * y1[q] + h11 * hl * f1[q];
    }

    /// <summary>The same polynomial in the monomial basis: c1, c2, c3 (n each) after c0 = y0 in <paramref name="destination"/>.</summary>
    public static void Coefficients(double h, ReadOnlySpan<double> y0, ReadOnlySpan<double> f0, ReadOnlySpan<double> y1,
        ReadOnlySpan<double> f1, Span<double> destination)
    {
        int n = y0.Length;
        y0.CopyTo(destination);
        Span<double> c1 = destination.Slice(n, n), c2 = destination.Slice(2 * n, n), c3 = destination.Slice(3 * n, n);
        for (int q = 0; q < n; q++)
        {
            double d = y1[q] - y0[q], m0 = h * f0[q], m1 = h * f1[q];
            c1[q] = m0;
            c2[q] = 3 * d - 2 * m0 - m1;
            c3[q] = -2 * d + m0 + m1;
        }
    }
}
