using OdeGen.Lanes;
using OdeGen.Testing;

namespace OdeGen.Generators.Tests.Functions;

/// <summary>
/// The checks every generated function must pass, at seeded random points (x in [-0.9, 0.9], p in [0.5, 1.5]):
/// Evaluate equals the user's method, Jvp equals central differences of Evaluate and returns y, Vjp equals central
/// differences of ⟨yBar, g⟩, accumulates, and passes the dot-product test ⟨yBar, J·v⟩ = ⟨Jᵀ·yBar, v⟩.
/// </summary>
internal static class FunctionChecks
{
    /// <summary>Runs every check at <paramref name="samples"/> points; <paramref name="context"/> prefixes failures.</summary>
    public static void All(IDifferentiableFunction g, UserFunction user, Random random, string context, bool vectorized = false, int samples = 4)
    {
        int n = g.InputCount, m = g.ParameterCount, k = g.OutputCount;
        for (int s = 0; s < samples; s++)
        {
            double[] x = Vector(random, n, -0.9, 0.9), p = Vector(random, m, 0.5, 1.5);
            double[] xDot = Vector(random, n, -1, 1), pDot = Vector(random, m, -1, 1), yBar = Vector(random, k, -1, 1);

            double[] expected = Garbage(k), y = Garbage(k);
            user(x, p, expected);
            g.Evaluate(x, p, y);
            for (int i = 0; i < k; i++)
            {
                // Outputs the user never writes keep the caller's garbage; Evaluate writes 0 there.
                double want = double.IsNaN(expected[i]) ? 0.0 : expected[i];
                if (vectorized)
                {
                    Assert.True(Math.Abs(want - y[i]) <= 1e-13 * (1 + Math.Abs(want)), $"{context}: Evaluate y[{i}] {y[i]:R}, user {want:R}");
                }
                else
                {
                    Assert.True(BitConverter.DoubleToInt64Bits(want) == BitConverter.DoubleToInt64Bits(y[i]), $"{context}: Evaluate y[{i}] {y[i]:R}, user {want:R}");
                }
            }

            double[] jy = Garbage(k), yDot = Garbage(k);
            g.Jvp(x, p, xDot, pDot, jy, yDot);
            double[] fd = Directional(g, x, p, xDot, pDot);
            for (int i = 0; i < k; i++)
            {
                Assert.True(BitConverter.DoubleToInt64Bits(y[i]) == BitConverter.DoubleToInt64Bits(jy[i]), $"{context}: Jvp's y[{i}] {jy[i]:R}, Evaluate {y[i]:R}");
                AssertClose(fd[i], yDot[i], $"{context}: Jvp yDot[{i}]");
            }

            // Vjp adds to what xBar and pBar hold.
            double[] xBar0 = Vector(random, n, -1, 1), pBar0 = Vector(random, m, -1, 1);
            double[] xBar = (double[])xBar0.Clone(), pBar = (double[])pBar0.Clone();
            g.Vjp(x, p, yBar, xBar, pBar);
            double[] gx = xBar.Zip(xBar0, (a, b) => a - b).ToArray(), gp = pBar.Zip(pBar0, (a, b) => a - b).ToArray();
            for (int j = 0; j < n; j++)
            {
                AssertClose(Dot(yBar, Directional(g, x, p, Unit(n, j), new double[m])), gx[j], $"{context}: Vjp xBar[{j}]");
            }

            for (int j = 0; j < m; j++)
            {
                AssertClose(Dot(yBar, Directional(g, x, p, new double[n], Unit(m, j))), gp[j], $"{context}: Vjp pBar[{j}]");
            }

            // The dot-product test on a fresh Vjp into zeros.
            double[] xb = new double[n], pb = new double[m];
            g.Vjp(x, p, yBar, xb, pb);
            double forward = Dot(yBar, yDot), reverse = Dot(xb, xDot) + Dot(pb, pDot);
            double scale = yBar.Zip(yDot, (a, b) => Math.Abs(a * b)).Sum() + 1e-300;
            Assert.True(Math.Abs(forward - reverse) <= 1e-12 * scale, $"{context}: <yBar, J v> = {forward:R} but <Jᵀ yBar, v> = {reverse:R}");
        }
    }

    /// <summary>Each lane of the lane methods equals the scalar methods on that lane's data, at every width.</summary>
    public static void LanesEqualScalar(IDifferentiableLaneFunction g, Random random, string context, bool vectorized = false)
    {
        Lanes<Lane1>(g, random, context, vectorized);
        Lanes<Lane128>(g, random, context, vectorized);
        Lanes<Lane256>(g, random, context, vectorized);
        Lanes<Lane512>(g, random, context, vectorized);
    }

    private static void Lanes<TLane>(IDifferentiableLaneFunction g, Random random, string context, bool vectorized)
        where TLane : unmanaged, ILane<TLane>
    {
        int n = g.InputCount, m = g.ParameterCount, k = g.OutputCount, count = TLane.Count;
        var x = Enumerable.Range(0, count).Select(_ => Vector(random, n, -0.9, 0.9)).ToList();
        var p = Enumerable.Range(0, count).Select(_ => Vector(random, m, 0.5, 1.5)).ToList();
        var xDot = Enumerable.Range(0, count).Select(_ => Vector(random, n, -1, 1)).ToList();
        var pDot = Enumerable.Range(0, count).Select(_ => Vector(random, m, -1, 1)).ToList();
        var yBar = Enumerable.Range(0, count).Select(_ => Vector(random, k, -1, 1)).ToList();
        var xBar = Enumerable.Range(0, count).Select(_ => Vector(random, n, -1, 1)).ToList();
        var pBar = Enumerable.Range(0, count).Select(_ => Vector(random, m, -1, 1)).ToList();

        TLane[] xs = LaneComparison.Pack<TLane>(x, n), ps = LaneComparison.Pack<TLane>(p, m);
        TLane[] xDots = LaneComparison.Pack<TLane>(xDot, n), pDots = LaneComparison.Pack<TLane>(pDot, m), yBars = LaneComparison.Pack<TLane>(yBar, k);
        TLane[] xBars = LaneComparison.Pack<TLane>(xBar, n), pBars = LaneComparison.Pack<TLane>(pBar, m);
        TLane[] y = Enumerable.Repeat(TLane.Create(double.NaN), k).ToArray();
        TLane[] y2 = Enumerable.Repeat(TLane.Create(double.NaN), k).ToArray(), yDot = Enumerable.Repeat(TLane.Create(double.NaN), k).ToArray();
        g.EvaluateLanes<TLane>(xs, ps, y);
        g.JvpLanes<TLane>(xs, ps, xDots, pDots, y2, yDot);
        g.VjpLanes<TLane>(xs, ps, yBars, xBars, pBars);

        for (int l = 0; l < count; l++)
        {
            string where = $"{context}, {typeof(TLane).Name} lane {l}";
            bool exact = typeof(TLane) == typeof(Lane1) && !vectorized;
            double[] ey = Garbage(k);
            g.Evaluate(x[l], p[l], ey);
            LaneComparison.AssertClose(ey, LaneComparison.Unpack<TLane>(y, l), where + ": EvaluateLanes y", exact);

            double[] jy = Garbage(k), jDot = Garbage(k);
            g.Jvp(x[l], p[l], xDot[l], pDot[l], jy, jDot);
            LaneComparison.AssertClose(jy, LaneComparison.Unpack<TLane>(y2, l), where + ": JvpLanes y", exact);
            LaneComparison.AssertClose(jDot, LaneComparison.Unpack<TLane>(yDot, l), where + ": JvpLanes yDot", exact);

            double[] xb = (double[])xBar[l].Clone(), pb = (double[])pBar[l].Clone();
            g.Vjp(x[l], p[l], yBar[l], xb, pb);
            LaneComparison.AssertClose(xb.Concat(pb).ToArray(),
                LaneComparison.Unpack<TLane>(xBars, l).Concat(LaneComparison.Unpack<TLane>(pBars, l)).ToArray(), where + ": VjpLanes (xBar, pBar)", exact);
        }
    }

    /// <summary>Central differences of Evaluate along (xDot, pDot), with a step scaled to the point.</summary>
    public static double[] Directional(IDifferentiableFunction g, double[] x, double[] p, double[] xDot, double[] pDot)
    {
        double scale = Math.Max(1, x.Concat(p).Select(Math.Abs).DefaultIfEmpty(0).Max());
        double h = 1e-6 * scale;
        double[] plus = new double[g.OutputCount], minus = new double[g.OutputCount];
        g.Evaluate(x.Zip(xDot, (a, d) => a + (h * d)).ToArray(), p.Zip(pDot, (a, d) => a + (h * d)).ToArray(), plus);
        g.Evaluate(x.Zip(xDot, (a, d) => a - (h * d)).ToArray(), p.Zip(pDot, (a, d) => a - (h * d)).ToArray(), minus);
        return plus.Zip(minus, (a, b) => (a - b) / (2 * h)).ToArray();
    }

    public static double[] Vector(Random random, int length, double lo, double hi) =>
        Enumerable.Range(0, length).Select(_ => lo + ((hi - lo) * random.NextDouble())).ToArray();

    public static double[] Garbage(int length) => Enumerable.Repeat(double.NaN, length).ToArray();

    public static double Dot(double[] a, double[] b) => a.Zip(b, (u, v) => u * v).Sum();

    public static int StableSeed(string text) => text.Aggregate(17, (h, c) => unchecked((h * 31) + c));

    private static double[] Unit(int length, int j)
    {
        var e = new double[length];
        e[j] = 1;
        return e;
    }

    private static void AssertClose(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-6 * (1 + Math.Abs(expected)), $"{what}: finite differences {expected:R}, generated {actual:R}");
}
