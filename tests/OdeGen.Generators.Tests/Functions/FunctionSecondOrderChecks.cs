using OdeGen.Lanes;
using OdeGen.Testing;

namespace OdeGen.Generators.Tests.Functions;

/// <summary>
/// The checks of a function's Hvp against its own first-order code: central differences of the generated Vjp along
/// (xDot, pDot) with yBar fixed, accumulation into what the outputs hold, the symmetry of the Hessian of yBarᵀg
/// (⟨u, H v⟩ = ⟨v, H u⟩), and HvpLanes against Hvp in every lane at every width.
/// </summary>
internal static class FunctionSecondOrderChecks
{
    private const double Step = 1e-5;

    /// <summary>Runs the scalar checks at <paramref name="samples"/> random points; <paramref name="context"/> names the function in failures.</summary>
    public static void All(IDifferentiableFunctionSecondOrder g, Random random, string context, int samples = 2, double tolerance = 1e-5)
    {
        for (int s = 0; s < samples; s++)
        {
            double[] x = FunctionChecks.Vector(random, g.InputCount, -0.9, 0.9), p = FunctionChecks.Vector(random, g.ParameterCount, 0.5, 1.5);
            HvpMatchesDifferencesOfVjp(g, x, p, random, context, tolerance);
            HvpIsSymmetric(g, x, p, random, context);
        }
    }

    /// <summary>Hvp (added to non-zero outputs) equals the central difference of the generated Vjp along the direction, yBar fixed.</summary>
    public static void HvpMatchesDifferencesOfVjp(IDifferentiableFunctionSecondOrder g, double[] x, double[] p, Random random, string context, double tolerance)
    {
        int n = g.InputCount, m = g.ParameterCount, k = g.OutputCount;
        double[] xDot = FunctionChecks.Vector(random, n, -1, 1), pDot = FunctionChecks.Vector(random, m, -1, 1), yBar = FunctionChecks.Vector(random, k, -1, 1);
        double[] xBarDot0 = FunctionChecks.Vector(random, n, -1, 1), pBarDot0 = FunctionChecks.Vector(random, m, -1, 1);
        double[] xBarDot = (double[])xBarDot0.Clone(), pBarDot = (double[])pBarDot0.Clone();
        g.Hvp(x, p, yBar, xDot, pDot, xBarDot, pBarDot);

        double[] xPlus = new double[n], pPlus = new double[m], xMinus = new double[n], pMinus = new double[m];
        g.Vjp(Along(x, xDot, Step), Along(p, pDot, Step), yBar, xPlus, pPlus);
        g.Vjp(Along(x, xDot, -Step), Along(p, pDot, -Step), yBar, xMinus, pMinus);
        double[] want = xPlus.Zip(xMinus, (u, v) => (u - v) / (2 * Step)).Concat(pPlus.Zip(pMinus, (u, v) => (u - v) / (2 * Step))).ToArray();
        double[] got = xBarDot.Zip(xBarDot0, (u, v) => u - v).Concat(pBarDot.Zip(pBarDot0, (u, v) => u - v)).ToArray();
        double scale = want.Select(Math.Abs).DefaultIfEmpty(0).Max();
        for (int i = 0; i < want.Length; i++)
        {
            string which = i < n ? $"xBarDot[{i}]" : $"pBarDot[{i - n}]";
            Assert.True(Math.Abs(want[i] - got[i]) <= tolerance * (1 + scale), $"Hvp {which} {got[i]:R} vs differences of Vjp {want[i]:R}; {context}");
        }
    }

    /// <summary>The Hessian of yBarᵀg with respect to (x, p) is symmetric: ⟨u, H v⟩ = ⟨v, H u⟩.</summary>
    public static void HvpIsSymmetric(IDifferentiableFunctionSecondOrder g, double[] x, double[] p, Random random, string context)
    {
        int n = g.InputCount, m = g.ParameterCount;
        double[] yBar = FunctionChecks.Vector(random, g.OutputCount, -1, 1);
        double[] ux = FunctionChecks.Vector(random, n, -1, 1), up = FunctionChecks.Vector(random, m, -1, 1);
        double[] vx = FunctionChecks.Vector(random, n, -1, 1), vp = FunctionChecks.Vector(random, m, -1, 1);
        double[] hux = new double[n], hup = new double[m], hvx = new double[n], hvp = new double[m];
        g.Hvp(x, p, yBar, ux, up, hux, hup);
        g.Hvp(x, p, yBar, vx, vp, hvx, hvp);
        double left = FunctionChecks.Dot(ux, hvx) + FunctionChecks.Dot(up, hvp), right = FunctionChecks.Dot(vx, hux) + FunctionChecks.Dot(vp, hup);
        double scale = Math.Abs(FunctionChecks.Dot(ux, hvx)) + Math.Abs(FunctionChecks.Dot(up, hvp)) + Math.Abs(FunctionChecks.Dot(vx, hux)) + Math.Abs(FunctionChecks.Dot(vp, hup));
        Assert.True(Math.Abs(left - right) <= 1e-10 * (1 + scale), $"⟨u, Hv⟩ {left:R} vs ⟨v, Hu⟩ {right:R}; {context}");
    }

    /// <summary>HvpLanes equals Hvp on each lane's data, at every width (bit for bit at one lane, unless the loops run in SIMD).</summary>
    public static void LanesEqualScalar(IDifferentiableLaneFunctionSecondOrder g, Random random, string context, bool vectorized = false)
    {
        Lanes<Lane1>(g, random, context, vectorized);
        Lanes<Lane128>(g, random, context, vectorized);
        Lanes<Lane256>(g, random, context, vectorized);
        Lanes<Lane512>(g, random, context, vectorized);
    }

    /// <summary>HvpLanes at the width of <typeparamref name="TLane"/> against Hvp, lane by lane.</summary>
    public static void Lanes<TLane>(IDifferentiableLaneFunctionSecondOrder g, Random random, string context, bool vectorized = false)
        where TLane : unmanaged, ILane<TLane>
    {
        int n = g.InputCount, m = g.ParameterCount, k = g.OutputCount, count = TLane.Count;
        List<double[]> Many(int length, double lo, double hi) => Enumerable.Range(0, count).Select(_ => FunctionChecks.Vector(random, length, lo, hi)).ToList();
        List<double[]> x = Many(n, -0.9, 0.9), p = Many(m, 0.5, 1.5), yBar = Many(k, -1, 1), xDot = Many(n, -1, 1), pDot = Many(m, -1, 1);
        List<double[]> xBarDot = Many(n, -1, 1), pBarDot = Many(m, -1, 1);
        TLane[] xBarDots = LaneComparison.Pack<TLane>(xBarDot, n), pBarDots = LaneComparison.Pack<TLane>(pBarDot, m);
        g.HvpLanes<TLane>(LaneComparison.Pack<TLane>(x, n), LaneComparison.Pack<TLane>(p, m), LaneComparison.Pack<TLane>(yBar, k),
            LaneComparison.Pack<TLane>(xDot, n), LaneComparison.Pack<TLane>(pDot, m), xBarDots, pBarDots);

        bool exact = typeof(TLane) == typeof(Lane1) && !vectorized;
        for (int l = 0; l < count; l++)
        {
            double[] xb = (double[])xBarDot[l].Clone(), pb = (double[])pBarDot[l].Clone();
            g.Hvp(x[l], p[l], yBar[l], xDot[l], pDot[l], xb, pb);
            LaneComparison.AssertClose(xb.Concat(pb).ToArray(),
                LaneComparison.Unpack<TLane>(xBarDots, l).Concat(LaneComparison.Unpack<TLane>(pBarDots, l)).ToArray(),
                $"{context}, {typeof(TLane).Name} lane {l}: HvpLanes (xBarDot, pBarDot)", exact);
        }
    }

    private static double[] Along(double[] v, double[] direction, double h) => v.Zip(direction, (u, d) => u + (h * d)).ToArray();
}
