namespace OdeGen.Generators.Tests.Infrastructure;

/// <summary>
/// Checks the second-order methods of a generated system against its own first-order methods: Divergence against the
/// trace of the generated Jacobian, DivergenceVjp against central differences of Divergence, Hvp against central
/// differences of the generated Vjp, and the symmetry of the Hessian of aᵀf that Hvp applies (⟨u, H v⟩ = ⟨v, H u⟩).
/// </summary>
internal static class SecondOrderCheck
{
    private const double Step = 1e-5;

    /// <summary>Runs every check at <paramref name="samples"/> random points; <paramref name="context"/> names the system in failures.</summary>
    public static void All(IOdeSystemSecondOrder system, Random random, string context, int samples = 2, double fdTolerance = 1e-5)
    {
        int n = system.StateCount, m = system.ParameterCount;
        for (int sample = 0; sample < samples; sample++)
        {
            double t = random.NextDouble();
            double[] y = Vector(random, n, -0.9, 0.9), p = Vector(random, m, 0.5, 1.5);
            DivergenceIsTheTrace(system, t, y, p, context);
            DivergenceVjpMatchesDifferences(system, t, y, p, random, context, fdTolerance);
            HvpMatchesDifferencesOfVjp(system, t, y, p, random, context, fdTolerance);
            HvpIsSymmetric(system, t, y, p, random, context);
        }
    }

    /// <summary>Divergence equals Σ_i dfdy[i, i] of the generated Jacobian (different code, the same sums up to rounding).</summary>
    public static void DivergenceIsTheTrace(IOdeSystemSecondOrder system, double t, double[] y, double[] p, string context)
    {
        int n = system.StateCount, m = system.ParameterCount;
        double[] dfdy = new double[n * n], dfdp = new double[n * m];
        system.Jacobian(t, y, p, dfdy, dfdp);
        double trace = 0, scale = 0;
        for (int i = 0; i < n; i++)
        {
            trace += dfdy[(i * n) + i];
            scale += Math.Abs(dfdy[(i * n) + i]);
        }

        double divergence = system.Divergence(t, y, p);
        Assert.True(Math.Abs(divergence - trace) <= 1e-12 * (1 + scale), $"Divergence {divergence:R} vs trace of the Jacobian {trace:R}; {context}");
    }

    /// <summary>s·∇tr·direction from DivergenceVjp (which adds to non-zero yBar, pBar) equals s times the central difference of Divergence.</summary>
    public static void DivergenceVjpMatchesDifferences(IOdeSystemSecondOrder system, double t, double[] y, double[] p, Random random, string context, double tolerance)
    {
        int n = system.StateCount, m = system.ParameterCount;
        double tDot = random.NextDouble() - 0.5, s = 0.5 + random.NextDouble();
        double[] yDot = Vector(random, n, -1, 1), pDot = Vector(random, m, -1, 1);
        double[] yBar0 = Vector(random, n, -1, 1), pBar0 = Vector(random, m, -1, 1);
        double[] yBar = (double[])yBar0.Clone(), pBar = (double[])pBar0.Clone();
        double tBar = system.DivergenceVjp(t, y, p, s, yBar, pBar);
        double directional = tBar * tDot;
        for (int i = 0; i < n; i++)
        {
            directional += (yBar[i] - yBar0[i]) * yDot[i];
        }

        for (int k = 0; k < m; k++)
        {
            directional += (pBar[k] - pBar0[k]) * pDot[k];
        }

        double plus = system.Divergence(t + (Step * tDot), Along(y, yDot, Step), Along(p, pDot, Step));
        double minus = system.Divergence(t - (Step * tDot), Along(y, yDot, -Step), Along(p, pDot, -Step));
        double want = s * (plus - minus) / (2 * Step);
        Assert.True(Math.Abs(want - directional) <= tolerance * (1 + Math.Abs(want)), $"DivergenceVjp·v {directional:R} vs differences {want:R}; {context}");
    }

    /// <summary>Hvp (added to non-zero outputs) equals the central difference of the generated Vjp along the direction, a fixed.</summary>
    public static void HvpMatchesDifferencesOfVjp(IOdeSystemSecondOrder system, double t, double[] y, double[] p, Random random, string context, double tolerance)
    {
        int n = system.StateCount, m = system.ParameterCount;
        double tDot = random.NextDouble() - 0.5;
        double[] yDot = Vector(random, n, -1, 1), pDot = Vector(random, m, -1, 1), a = Vector(random, n, -1, 1);
        double[] yBarDot0 = Vector(random, n, -1, 1), pBarDot0 = Vector(random, m, -1, 1);
        double[] yBarDot = (double[])yBarDot0.Clone(), pBarDot = (double[])pBarDot0.Clone();
        system.Hvp(t, y, p, a, tDot, yDot, pDot, yBarDot, pBarDot);

        double[] yPlus = new double[n], pPlus = new double[m], yMinus = new double[n], pMinus = new double[m];
        system.Vjp(t + (Step * tDot), Along(y, yDot, Step), Along(p, pDot, Step), a, yPlus, pPlus);
        system.Vjp(t - (Step * tDot), Along(y, yDot, -Step), Along(p, pDot, -Step), a, yMinus, pMinus);
        double[] want = yPlus.Zip(yMinus, (u, v) => (u - v) / (2 * Step)).Concat(pPlus.Zip(pMinus, (u, v) => (u - v) / (2 * Step))).ToArray();
        double[] got = yBarDot.Zip(yBarDot0, (u, v) => u - v).Concat(pBarDot.Zip(pBarDot0, (u, v) => u - v)).ToArray();
        double scale = want.Select(Math.Abs).DefaultIfEmpty(0).Max();
        for (int i = 0; i < want.Length; i++)
        {
            string which = i < n ? $"yBarDot[{i}]" : $"pBarDot[{i - n}]";
            Assert.True(Math.Abs(want[i] - got[i]) <= tolerance * (1 + scale), $"Hvp {which} {got[i]:R} vs differences of Vjp {want[i]:R}; {context}");
        }
    }

    /// <summary>The Hessian of aᵀf with respect to (y, p) is symmetric: ⟨u, H v⟩ = ⟨v, H u⟩ for two directions with tDot = 0.</summary>
    public static void HvpIsSymmetric(IOdeSystemSecondOrder system, double t, double[] y, double[] p, Random random, string context)
    {
        int n = system.StateCount, m = system.ParameterCount;
        double[] a = Vector(random, n, -1, 1);
        double[] uy = Vector(random, n, -1, 1), up = Vector(random, m, -1, 1), vy = Vector(random, n, -1, 1), vp = Vector(random, m, -1, 1);
        double[] huy = new double[n], hup = new double[m], hvy = new double[n], hvp = new double[m];
        system.Hvp(t, y, p, a, 0, uy, up, huy, hup);
        system.Hvp(t, y, p, a, 0, vy, vp, hvy, hvp);
        double left = Dot(uy, hvy) + Dot(up, hvp), right = Dot(vy, huy) + Dot(vp, hup);
        double scale = Math.Abs(Dot(uy, hvy)) + Math.Abs(Dot(up, hvp)) + Math.Abs(Dot(vy, huy)) + Math.Abs(Dot(vp, hup));
        Assert.True(Math.Abs(left - right) <= 1e-10 * (1 + scale), $"⟨u, Hv⟩ {left:R} vs ⟨v, Hu⟩ {right:R}; {context}");
    }

    public static double[] Vector(Random random, int length, double lo, double hi) =>
        Enumerable.Range(0, length).Select(_ => lo + ((hi - lo) * random.NextDouble())).ToArray();

    private static double[] Along(double[] x, double[] direction, double h) => x.Zip(direction, (u, d) => u + (h * d)).ToArray();

    private static double Dot(double[] u, double[] v) => u.Zip(v, (a, b) => a * b).Sum();
}
