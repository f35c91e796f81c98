using OdeGen.Lanes;

namespace OdeGen.Testing;

/// <summary>
/// The data of one lane: a point (y, p), tangents (yDot, pDot), a cotangent a, and the yBar/pBar that Vjp
/// adds into (non-zero, so accumulation is checked too).
/// </summary>
internal sealed record LanePoint(double[] Y, double[] P, double[] YDot, double[] PDot, double[] A, double[] YBar, double[] PBar)
{
    /// <summary>Seeded data: y in [-0.9, 0.9], p in [0.5, 1.5], the rest in [-1, 1].</summary>
    public static LanePoint Random(Random r, int n, int m) => new(
        Vector(r, n, -0.9, 0.9), Vector(r, m, 0.5, 1.5), Vector(r, n, -1, 1), Vector(r, m, -1, 1), Vector(r, n, -1, 1), Vector(r, n, -1, 1), Vector(r, m, -1, 1));

    /// <summary>A vector of <paramref name="length"/> uniform values in [<paramref name="lo"/>, <paramref name="hi"/>].</summary>
    public static double[] Vector(Random r, int length, double lo, double hi) =>
        Enumerable.Range(0, length).Select(_ => lo + ((hi - lo) * r.NextDouble())).ToArray();
}

/// <summary>
/// Runs EvaluateLanes, JvpLanes and VjpLanes of a generated system on <c>TLane.Count</c> lanes of different data
/// and checks every lane against the scalar Evaluate, Jvp and Vjp on that lane's data.
/// </summary>
internal static class LaneComparison
{
    /// <summary>The largest difference allowed, relative to the largest magnitude of the scalar result it belongs to.</summary>
    public const double Tolerance = 1e-14;

    /// <summary>Packs element i of every lane's vector into one TLane (structure of arrays).</summary>
    public static TLane[] Pack<TLane>(IReadOnlyList<double[]> lanes, int length)
        where TLane : unmanaged, ILane<TLane>
    {
        var packed = new TLane[length];
        Span<double> column = stackalloc double[TLane.Count];
        for (int i = 0; i < length; i++)
        {
            for (int l = 0; l < TLane.Count; l++)
            {
                column[l] = lanes[l][i];
            }

            packed[i] = TLane.Load(column);
        }

        return packed;
    }

    /// <summary>Lane <paramref name="lane"/> of every element.</summary>
    public static double[] Unpack<TLane>(ReadOnlySpan<TLane> packed, int lane)
        where TLane : unmanaged, ILane<TLane>
    {
        var values = new double[packed.Length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = TLane.GetLane(packed[i], lane);
        }

        return values;
    }

    /// <summary>
    /// Asserts that each lane of the lane methods equals the scalar methods on that lane's data;
    /// <paramref name="points"/> holds one point per lane; <paramref name="scalarVectorized"/> for a VectorizeLoops system.
    /// </summary>
    public static void AssertLanesMatchScalar<TLane>(IOdeLaneSystem system, IReadOnlyList<LanePoint> points, double t, double tDot, string what,
        bool scalarVectorized = false)
        where TLane : unmanaged, ILane<TLane>
    {
        int n = system.StateCount, m = system.ParameterCount, count = TLane.Count;
        Assert.Equal(count, points.Count);
        TLane[] y = Pack<TLane>(points.Select(x => x.Y).ToList(), n), p = Pack<TLane>(points.Select(x => x.P).ToList(), m);
        TLane[] yDot = Pack<TLane>(points.Select(x => x.YDot).ToList(), n), pDot = Pack<TLane>(points.Select(x => x.PDot).ToList(), m);
        TLane[] a = Pack<TLane>(points.Select(x => x.A).ToList(), n);
        TLane[] yBar = Pack<TLane>(points.Select(x => x.YBar).ToList(), n), pBar = Pack<TLane>(points.Select(x => x.PBar).ToList(), m);

        // Outputs start as NaN: the lane methods must overwrite them as the scalar ones do.
        TLane[] f = Enumerable.Repeat(TLane.Create(double.NaN), n).ToArray();
        TLane[] f2 = Enumerable.Repeat(TLane.Create(double.NaN), n).ToArray(), fDot = Enumerable.Repeat(TLane.Create(double.NaN), n).ToArray();
        system.EvaluateLanes<TLane>(t, y, p, f);
        system.JvpLanes<TLane>(t, y, p, tDot, yDot, pDot, f2, fDot);
        TLane tBar = system.VjpLanes<TLane>(t, y, p, a, yBar, pBar);

        for (int l = 0; l < count; l++)
        {
            LanePoint x = points[l];
            string where = $"{what}, {typeof(TLane).Name} lane {l}";
            // One lane calls Math and Math.FusedMultiplyAdd: bit for bit, unless the scalar methods run their loops in
            // SIMD (VectorizeLoops), which groups their sums differently.
            bool exact = typeof(TLane) == typeof(Lane1) && !scalarVectorized;
            double[] expectedF = Enumerable.Repeat(double.NaN, n).ToArray();
            system.Evaluate(t, x.Y, x.P, expectedF);
            AssertClose(expectedF, Unpack<TLane>(f, l), where + ": EvaluateLanes dydt", exact);

            double[] jf = Enumerable.Repeat(double.NaN, n).ToArray(), jDot = Enumerable.Repeat(double.NaN, n).ToArray();
            system.Jvp(t, x.Y, x.P, tDot, x.YDot, x.PDot, jf, jDot);
            AssertClose(jf, Unpack<TLane>(f2, l), where + ": JvpLanes dydt", exact);
            AssertClose(jDot, Unpack<TLane>(fDot, l), where + ": JvpLanes dydtDot", exact);

            double[] yb = (double[])x.YBar.Clone(), pb = (double[])x.PBar.Clone();
            double tb = system.Vjp(t, x.Y, x.P, x.A, yb, pb);
            // One Vjp's outputs are judged together: aᵀ∂f/∂t is a sum of the same terms as yBar and pBar, and
            // where it cancels to almost nothing the kernels' last-ulp differences are measured against
            // those terms, not against the small remainder (Lane1, which calls Math, is still bit for bit).
            double[] expectedVjp = yb.Concat(pb).Append(tb).ToArray();
            double[] actualVjp = Unpack<TLane>(yBar, l).Concat(Unpack<TLane>(pBar, l)).Append(TLane.GetLane(tBar, l)).ToArray();
            AssertClose(expectedVjp, actualVjp, where + ": VjpLanes (yBar, pBar, tBar)", exact);
        }
    }

    /// <summary>
    /// Equal element by element to <see cref="Tolerance"/> relative to the largest magnitude in
    /// <paramref name="expected"/> (so a component that cancels to nearly 0 is not held to its own size), or bit for bit
    /// when <paramref name="exact"/>; NaN equals NaN.
    /// </summary>
    public static void AssertClose(double[] expected, double[] actual, string what, bool exact = false)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max();
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], g = actual[i];
            bool same = e.Equals(g) || (!exact && Math.Abs(e - g) <= Tolerance * scale);
            Assert.True(same, $"{what}[{i}]: scalar {e:R}, lanes {g:R} (difference {Math.Abs(e - g):R}, allowed {Tolerance * scale:R})");
        }
    }
}
