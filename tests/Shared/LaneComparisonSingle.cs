using OdeGen.Lanes;

namespace OdeGen.Testing;

/// <summary>The data of one float lane (see <see cref="LanePoint"/>): the same ranges, rounded to float.</summary>
internal sealed record LanePointSingle(float[] Y, float[] P, float[] YDot, float[] PDot, float[] A, float[] YBar, float[] PBar)
{
    /// <summary>Seeded data: y in [-0.9, 0.9], p in [0.5, 1.5], the rest in [-1, 1].</summary>
    public static LanePointSingle Random(Random r, int n, int m) => new(
        Vector(r, n, -0.9, 0.9), Vector(r, m, 0.5, 1.5), Vector(r, n, -1, 1), Vector(r, m, -1, 1), Vector(r, n, -1, 1), Vector(r, n, -1, 1), Vector(r, m, -1, 1));

    /// <summary>A vector of <paramref name="length"/> uniform values in [<paramref name="lo"/>, <paramref name="hi"/>], rounded to float.</summary>
    public static float[] Vector(Random r, int length, double lo, double hi) =>
        Enumerable.Range(0, length).Select(_ => (float)(lo + ((hi - lo) * r.NextDouble()))).ToArray();
}

/// <summary>
/// <see cref="LaneComparison"/> for float systems: runs EvaluateLanes, JvpLanes and VjpLanes of an
/// <see cref="IOdeLaneSystemSingle"/> on <c>TLane.Count</c> lanes of different data and checks every lane against the
/// scalar float methods on that lane's data — bit for bit at <see cref="LaneSingle1"/>, whose functions are the MathF
/// the scalar methods call, and within <see cref="Tolerance"/> at the SIMD widths.
/// </summary>
internal static class LaneComparisonSingle
{
    /// <summary>
    /// The largest difference allowed at the SIMD widths, relative to the largest magnitude of the scalar call's
    /// outputs. The lane code does the scalar code's arithmetic in the same order (LaneSingle1 is bit for bit), so lanes
    /// differ only where a function differs from MathF — by 1 ulp, 2 for Sinh, Cosh, Tanh and Log10
    /// (LaneSingleMathTests), i.e. 1.2e-7 to 2.4e-7 of the function's value — carried through the rest of the call and
    /// scaled by the derivatives around it. Measured: up to 6e-7 in the hand-written scenarios and the MLPs, 2.5e-6 in the
    /// random programs, which nest four levels of functions. 1e-5, 84 float epsilons (the double lane tests allow 45
    /// double epsilons), leaves room for other data and hardware paths, and stays small next to a wrong derivative
    /// term or a mixed-up lane, which move an output by about its own size.
    /// </summary>
    public const double Tolerance = 1e-5;

    /// <summary>Packs element i of every lane's vector into one TLane (structure of arrays).</summary>
    public static TLane[] Pack<TLane>(IReadOnlyList<float[]> lanes, int length)
        where TLane : unmanaged, ILaneSingle<TLane>
    {
        var packed = new TLane[length];
        Span<float> column = stackalloc float[TLane.Count];
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
    public static float[] Unpack<TLane>(ReadOnlySpan<TLane> packed, int lane)
        where TLane : unmanaged, ILaneSingle<TLane>
    {
        var values = new float[packed.Length];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = TLane.GetLane(packed[i], lane);
        }

        return values;
    }

    /// <summary>
    /// Asserts that each lane of the lane methods equals the scalar methods on that lane's data; returns the largest
    /// relative difference seen (0 when every lane is bit for bit), for the tests to report.
    /// </summary>
    public static double AssertLanesMatchScalar<TLane>(IOdeLaneSystemSingle system, IReadOnlyList<LanePointSingle> points, float t, float tDot, string what)
        where TLane : unmanaged, ILaneSingle<TLane>
    {
        int n = system.StateCount, m = system.ParameterCount, count = TLane.Count;
        Assert.Equal(count, points.Count);
        bool exact = typeof(TLane) == typeof(LaneSingle1);
        TLane[] y = Pack<TLane>(points.Select(x => x.Y).ToList(), n), p = Pack<TLane>(points.Select(x => x.P).ToList(), m);
        TLane[] yDot = Pack<TLane>(points.Select(x => x.YDot).ToList(), n), pDot = Pack<TLane>(points.Select(x => x.PDot).ToList(), m);
        TLane[] a = Pack<TLane>(points.Select(x => x.A).ToList(), n);
        TLane[] yBar = Pack<TLane>(points.Select(x => x.YBar).ToList(), n), pBar = Pack<TLane>(points.Select(x => x.PBar).ToList(), m);

        // Outputs start as NaN: the lane methods must overwrite them as the scalar ones do.
        TLane[] f = Enumerable.Repeat(TLane.Create(float.NaN), n).ToArray();
        TLane[] f2 = Enumerable.Repeat(TLane.Create(float.NaN), n).ToArray(), fDot = Enumerable.Repeat(TLane.Create(float.NaN), n).ToArray();
        system.EvaluateLanes<TLane>(t, y, p, f);
        system.JvpLanes<TLane>(t, y, p, tDot, yDot, pDot, f2, fDot);
        TLane tBar = system.VjpLanes<TLane>(t, y, p, a, yBar, pBar);

        double worst = 0;
        for (int l = 0; l < count; l++)
        {
            LanePointSingle x = points[l];
            string where = $"{what}, {typeof(TLane).Name} lane {l}";
            float[] expectedF = Enumerable.Repeat(float.NaN, n).ToArray();
            system.Evaluate(t, x.Y, x.P, expectedF);
            worst = Math.Max(worst, AssertClose(expectedF, Unpack<TLane>(f, l), exact, where + ": EvaluateLanes dydt"));

            float[] jf = Enumerable.Repeat(float.NaN, n).ToArray(), jDot = Enumerable.Repeat(float.NaN, n).ToArray();
            system.Jvp(t, x.Y, x.P, tDot, x.YDot, x.PDot, jf, jDot);
            worst = Math.Max(worst, AssertClose(jf, Unpack<TLane>(f2, l), exact, where + ": JvpLanes dydt"));
            worst = Math.Max(worst, AssertClose(jDot, Unpack<TLane>(fDot, l), exact, where + ": JvpLanes dydtDot"));

            float[] yb = (float[])x.YBar.Clone(), pb = (float[])x.PBar.Clone();
            float tb = system.Vjp(t, x.Y, x.P, x.A, yb, pb);

            // One Vjp's outputs are judged together, as in LaneComparison: aᵀ∂f/∂t sums the same terms as yBar and pBar.
            float[] expectedVjp = yb.Concat(pb).Append(tb).ToArray();
            float[] actualVjp = Unpack<TLane>(yBar, l).Concat(Unpack<TLane>(pBar, l)).Append(TLane.GetLane(tBar, l)).ToArray();
            worst = Math.Max(worst, AssertClose(expectedVjp, actualVjp, exact, where + ": VjpLanes (yBar, pBar, tBar)"));
        }

        return worst;
    }

    /// <summary>
    /// Bit for bit when <paramref name="exact"/>, else equal element by element to <see cref="Tolerance"/> relative to
    /// the largest magnitude in <paramref name="expected"/>; NaN equals NaN. Returns the largest relative difference.
    /// </summary>
    public static double AssertClose(float[] expected, float[] actual, bool exact, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Where(float.IsFinite).Select(v => Math.Abs((double)v)).DefaultIfEmpty(0).Max();
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            float e = expected[i], g = actual[i];
            if (exact)
            {
                Assert.True(BitConverter.SingleToInt32Bits(e) == BitConverter.SingleToInt32Bits(g), $"{what}[{i}]: scalar {e:R}, LaneSingle1 {g:R} (must be bit for bit)");
                continue;
            }

            double difference = e.Equals(g) ? 0 : Math.Abs((double)e - g);
            Assert.True(difference <= Tolerance * scale, $"{what}[{i}]: scalar {e:R}, lanes {g:R} (difference {difference:R}, allowed {Tolerance * scale:R})");
            worst = Math.Max(worst, scale > 0 ? difference / scale : difference);
        }

        return worst;
    }
}
