using OdeGen.Lanes;
using OdeGen.Testing;

namespace OdeGen.Generators.Tests.Infrastructure;

/// <summary>
/// Checks the one-sweep methods of a generated system against the calls they replace, scalar and in lanes of different
/// data: EvaluateVjp against Evaluate then Vjp bit for bit (the same arithmetic); EvaluateDivergence against Evaluate (f,
/// bit for bit) and Divergence; VjpDivergenceVjp against Vjp plus DivergenceVjp (one sum in a different order: to
/// 1e-13 of the terms' size) and against central differences of aᵀf + s·tr.
/// </summary>
internal static class AugmentedCheck
{
    private const double PairTolerance = 1e-13;

    /// <summary>EvaluateVjp and EvaluateVjpLanes (one lane, and the widest) equal the separate calls bit for bit.</summary>
    public static void EvaluateVjp(IOdeAugmentedLaneSystem system, Random random, string context)
    {
        int n = system.StateCount, m = system.ParameterCount;
        LanePoint x = LanePoint.Random(random, n, m);
        double t = random.NextDouble();
        double[] f = new double[n], yBar = (double[])x.YBar.Clone(), pBar = (double[])x.PBar.Clone();
        system.Evaluate(t, x.Y, x.P, f);
        double tBar = system.Vjp(t, x.Y, x.P, x.A, yBar, pBar);

        double[] f2 = new double[n], yBar2 = (double[])x.YBar.Clone(), pBar2 = (double[])x.PBar.Clone();
        double tBar2 = system.EvaluateVjp(t, x.Y, x.P, x.A, f2, yBar2, pBar2);
        LaneComparison.AssertClose(f.Concat(yBar).Concat(pBar).Append(tBar).ToArray(), f2.Concat(yBar2).Concat(pBar2).Append(tBar2).ToArray(),
            context + ": EvaluateVjp against Evaluate and Vjp (dydt, yBar, pBar, tBar)", exact: true);

        Lanes<Lane1>(system, random, context);
        Lanes<Lane512>(system, random, context);
    }

    private static void Lanes<TLane>(IOdeAugmentedLaneSystem system, Random random, string context)
        where TLane : unmanaged, ILane<TLane>
    {
        int n = system.StateCount, m = system.ParameterCount, count = TLane.Count;
        var points = Enumerable.Range(0, count).Select(_ => LanePoint.Random(random, n, m)).ToList();
        TLane[] y = LaneComparison.Pack<TLane>(points.Select(x => x.Y).ToList(), n), p = LaneComparison.Pack<TLane>(points.Select(x => x.P).ToList(), m);
        TLane[] a = LaneComparison.Pack<TLane>(points.Select(x => x.A).ToList(), n);
        TLane[] yBar = LaneComparison.Pack<TLane>(points.Select(x => x.YBar).ToList(), n), pBar = LaneComparison.Pack<TLane>(points.Select(x => x.PBar).ToList(), m);
        TLane[] yBar2 = (TLane[])yBar.Clone(), pBar2 = (TLane[])pBar.Clone(), f = new TLane[n], f2 = new TLane[n];
        const double t = 0.3;
        system.EvaluateLanes<TLane>(t, y, p, f);
        TLane tBar = system.VjpLanes<TLane>(t, y, p, a, yBar, pBar);
        TLane tBar2 = system.EvaluateVjpLanes<TLane>(t, y, p, a, f2, yBar2, pBar2);
        for (int l = 0; l < count; l++)
        {
            LaneComparison.AssertClose(
                LaneComparison.Unpack<TLane>(f, l).Concat(LaneComparison.Unpack<TLane>(yBar, l)).Concat(LaneComparison.Unpack<TLane>(pBar, l)).Append(TLane.GetLane(tBar, l)).ToArray(),
                LaneComparison.Unpack<TLane>(f2, l).Concat(LaneComparison.Unpack<TLane>(yBar2, l)).Concat(LaneComparison.Unpack<TLane>(pBar2, l)).Append(TLane.GetLane(tBar2, l)).ToArray(),
                $"{context}, {typeof(TLane).Name} lane {l}: EvaluateVjpLanes against EvaluateLanes and VjpLanes", exact: true);
        }
    }

    /// <summary>The divergence pairs, scalar and in lanes, against the separate calls and central differences.</summary>
    public static void DivergencePairs(IOdeAugmentedLaneSystemSecondOrder system, Random random, string context, double fdTolerance = 1e-5)
    {
        int n = system.StateCount, m = system.ParameterCount;
        LanePoint x = LanePoint.Random(random, n, m);
        double t = random.NextDouble(), s = 0.5 + random.NextDouble();

        double[] f = new double[n], f2 = new double[n];
        system.Evaluate(t, x.Y, x.P, f);
        double trace = system.Divergence(t, x.Y, x.P);
        double trace2 = system.EvaluateDivergence(t, x.Y, x.P, f2);
        LaneComparison.AssertClose(f, f2, context + ": EvaluateDivergence's f against Evaluate", exact: true);
        Close(new[] { trace }, new[] { trace2 }, Math.Abs(trace) + 1, context + ": EvaluateDivergence's trace against Divergence");

        double[] yBar = (double[])x.YBar.Clone(), pBar = (double[])x.PBar.Clone();
        double tBar = system.Vjp(t, x.Y, x.P, x.A, yBar, pBar);
        tBar += system.DivergenceVjp(t, x.Y, x.P, s, yBar, pBar);
        double[] yBar2 = (double[])x.YBar.Clone(), pBar2 = (double[])x.PBar.Clone();
        double tBar2 = system.VjpDivergenceVjp(t, x.Y, x.P, x.A, s, yBar2, pBar2);
        double[] expected = yBar.Concat(pBar).Append(tBar).ToArray();
        Close(expected, yBar2.Concat(pBar2).Append(tBar2).ToArray(), expected.Max(Math.Abs) + 1, context + ": VjpDivergenceVjp against Vjp + DivergenceVjp");

        // The directional derivative of aᵀf + s·tr along (tDot, yDot, pDot) by central differences of EvaluateDivergence.
        double tDot = random.NextDouble() - 0.5, h = 1e-5;
        double directional = tBar2 * tDot;
        for (int i = 0; i < n; i++) directional += (yBar2[i] - x.YBar[i]) * x.YDot[i];
        for (int k = 0; k < m; k++) directional += (pBar2[k] - x.PBar[k]) * x.PDot[k];
        double Objective(double e)
        {
            double[] ye = x.Y.Select((v, i) => v + (e * x.YDot[i])).ToArray(), pe = x.P.Select((v, k) => v + (e * x.PDot[k])).ToArray(), fe = new double[n];
            double tr = system.EvaluateDivergence(t + (e * tDot), ye, pe, fe);
            return (s * tr) + fe.Select((v, i) => v * x.A[i]).Sum();
        }

        double difference = (Objective(h) - Objective(-h)) / (2 * h);
        Assert.True(Math.Abs(difference - directional) <= fdTolerance * (1 + Math.Abs(directional)),
            $"{context}: VjpDivergenceVjp's directional derivative {directional:R}, central difference {difference:R}");

        DivergenceLanes<Lane1>(system, random, context);
        DivergenceLanes<Lane512>(system, random, context);
    }

    private static void DivergenceLanes<TLane>(IOdeAugmentedLaneSystemSecondOrder system, Random random, string context)
        where TLane : unmanaged, ILane<TLane>
    {
        int n = system.StateCount, m = system.ParameterCount, count = TLane.Count;
        var points = Enumerable.Range(0, count).Select(_ => LanePoint.Random(random, n, m)).ToList();
        TLane[] y = LaneComparison.Pack<TLane>(points.Select(x => x.Y).ToList(), n), p = LaneComparison.Pack<TLane>(points.Select(x => x.P).ToList(), m);
        TLane[] a = LaneComparison.Pack<TLane>(points.Select(x => x.A).ToList(), n);
        TLane s = TLane.Load(Enumerable.Range(0, count).Select(_ => 0.5 + random.NextDouble()).ToArray());
        TLane[] yBar = LaneComparison.Pack<TLane>(points.Select(x => x.YBar).ToList(), n), pBar = LaneComparison.Pack<TLane>(points.Select(x => x.PBar).ToList(), m);
        TLane[] yBar2 = (TLane[])yBar.Clone(), pBar2 = (TLane[])pBar.Clone(), f = new TLane[n], f2 = new TLane[n];
        const double t = 0.6;
        system.EvaluateLanes<TLane>(t, y, p, f);
        TLane trace = system.DivergenceLanes<TLane>(t, y, p);
        TLane trace2 = system.EvaluateDivergenceLanes<TLane>(t, y, p, f2);
        TLane tBar = system.VjpLanes<TLane>(t, y, p, a, yBar, pBar) + system.DivergenceVjpLanes<TLane>(t, y, p, s, yBar, pBar);
        TLane tBar2 = system.VjpDivergenceVjpLanes<TLane>(t, y, p, a, s, yBar2, pBar2);
        for (int l = 0; l < count; l++)
        {
            string where = $"{context}, {typeof(TLane).Name} lane {l}";
            LaneComparison.AssertClose(LaneComparison.Unpack<TLane>(f, l), LaneComparison.Unpack<TLane>(f2, l), where + ": EvaluateDivergenceLanes' f", exact: true);
            double tr = TLane.GetLane(trace, l);
            Close(new[] { tr }, new[] { TLane.GetLane(trace2, l) }, Math.Abs(tr) + 1, where + ": EvaluateDivergenceLanes' trace");
            double[] expected = LaneComparison.Unpack<TLane>(yBar, l).Concat(LaneComparison.Unpack<TLane>(pBar, l)).Append(TLane.GetLane(tBar, l)).ToArray();
            double[] actual = LaneComparison.Unpack<TLane>(yBar2, l).Concat(LaneComparison.Unpack<TLane>(pBar2, l)).Append(TLane.GetLane(tBar2, l)).ToArray();
            Close(expected, actual, expected.Max(Math.Abs) + 1, where + ": VjpDivergenceVjpLanes");

            // And the lane equals the scalar method on its data.
            LanePoint x = points[l];
            double[] yb = (double[])x.YBar.Clone(), pb = (double[])x.PBar.Clone();
            double tb = system.VjpDivergenceVjp(t, x.Y, x.P, x.A, TLane.GetLane(s, l), yb, pb);
            LaneComparison.AssertClose(yb.Concat(pb).Append(tb).ToArray(), actual, where + ": VjpDivergenceVjpLanes against the scalar", exact: typeof(TLane) == typeof(Lane1));
        }
    }

    private static void Close(double[] expected, double[] actual, double scale, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= PairTolerance * scale, $"{what}[{i}]: {expected[i]:R} against {actual[i]:R} (scale {scale:R})");
        }
    }
}
