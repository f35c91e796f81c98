using OdeGen.Generators.Tests.Differentiation;
using OdeGen.Generators.Tests.Infrastructure;
using OdeGen.Lanes;
using OdeGen.Testing;

namespace OdeGen.Generators.Tests.Emit;

/// <summary>
/// DivergenceLanes, DivergenceVjpLanes and HvpLanes at every width, with different data in each lane: each lane equals
/// the scalar Divergence, DivergenceVjp and Hvp on that lane's data (bit for bit at one lane, which calls Math).
/// </summary>
public class SecondOrderLaneTests
{
    public static TheoryData<string> DoubleScenarios => SecondOrderTests.DoubleScenarios;

    [Theory]
    [MemberData(nameof(DoubleScenarios))]
    public void SecondOrderLaneMethods_EqualScalar_InEveryLane_AtEveryWidth(string scenario)
    {
        IOdeLaneSystemSecondOrder system = SecondOrderTests.System(scenario);
        var random = new Random(scenario.Length * 31);
        Check<Lane1>(system, random, scenario);
        Check<Lane128>(system, random, scenario);
        Check<Lane256>(system, random, scenario);
        Check<Lane512>(system, random, scenario);
    }

    [Fact]
    public void FloatSecondOrderLaneMethods_EqualScalar_InEveryLane_AtEveryWidth()
    {
        var system = (IOdeLaneSystemSingleSecondOrder)SecondOrderTests.Create("Float");
        var random = new Random(17);
        CheckSingle<LaneSingle1>(system, random);
        CheckSingle<LaneSingle128>(system, random);
        CheckSingle<LaneSingle256>(system, random);
        CheckSingle<LaneSingle512>(system, random);
    }

    internal static void Check<TLane>(IOdeLaneSystemSecondOrder system, Random random, string what)
        where TLane : unmanaged, ILane<TLane>
    {
        int n = system.StateCount, m = system.ParameterCount, count = TLane.Count;
        var points = Enumerable.Range(0, count).Select(_ => LanePoint.Random(random, n, m)).ToList();
        double[] seeds = Enumerable.Range(0, count).Select(_ => random.NextDouble() + 0.5).ToArray();
        const double t = 0.4, tDot = -0.3;
        TLane[] y = LaneComparison.Pack<TLane>(points.Select(x => x.Y).ToList(), n), p = LaneComparison.Pack<TLane>(points.Select(x => x.P).ToList(), m);
        TLane[] yDot = LaneComparison.Pack<TLane>(points.Select(x => x.YDot).ToList(), n), pDot = LaneComparison.Pack<TLane>(points.Select(x => x.PDot).ToList(), m);
        TLane[] a = LaneComparison.Pack<TLane>(points.Select(x => x.A).ToList(), n);
        TLane[] yBar = LaneComparison.Pack<TLane>(points.Select(x => x.YBar).ToList(), n), pBar = LaneComparison.Pack<TLane>(points.Select(x => x.PBar).ToList(), m);
        TLane[] yBarDot = LaneComparison.Pack<TLane>(points.Select(x => x.YBar).ToList(), n), pBarDot = LaneComparison.Pack<TLane>(points.Select(x => x.PBar).ToList(), m);
        TLane s = TLane.Load(seeds);

        TLane divergence = system.DivergenceLanes<TLane>(t, y, p);
        TLane tBar = system.DivergenceVjpLanes<TLane>(t, y, p, s, yBar, pBar);
        system.HvpLanes<TLane>(t, y, p, a, tDot, yDot, pDot, yBarDot, pBarDot);

        bool exact = typeof(TLane) == typeof(Lane1);
        for (int l = 0; l < count; l++)
        {
            LanePoint x = points[l];
            string where = $"{what}, {typeof(TLane).Name} lane {l}";
            // The trace is a sum that may cancel: it is judged against the size of its terms, the diagonal of ∂f/∂y.
            double expected = system.Divergence(t, x.Y, x.P), actual = TLane.GetLane(divergence, l);
            double[] dfdy = new double[n * n], dfdp = new double[n * m];
            system.Jacobian(t, x.Y, x.P, dfdy, dfdp);
            double terms = Math.Abs(expected) + Enumerable.Range(0, n).Sum(i => Math.Abs(dfdy[(i * n) + i]));
            Assert.True(exact ? expected.Equals(actual) : Math.Abs(expected - actual) <= LaneComparison.Tolerance * terms,
                $"{where}: DivergenceLanes {actual:R}, scalar {expected:R} (terms of size {terms:R})");

            double[] yb = (double[])x.YBar.Clone(), pb = (double[])x.PBar.Clone();
            double tb = system.DivergenceVjp(t, x.Y, x.P, seeds[l], yb, pb);
            LaneComparison.AssertClose(yb.Concat(pb).Append(tb).ToArray(),
                LaneComparison.Unpack<TLane>(yBar, l).Concat(LaneComparison.Unpack<TLane>(pBar, l)).Append(TLane.GetLane(tBar, l)).ToArray(),
                where + ": DivergenceVjpLanes (yBar, pBar, tBar)", exact);

            double[] ybd = (double[])x.YBar.Clone(), pbd = (double[])x.PBar.Clone();
            system.Hvp(t, x.Y, x.P, x.A, tDot, x.YDot, x.PDot, ybd, pbd);
            LaneComparison.AssertClose(ybd.Concat(pbd).ToArray(),
                LaneComparison.Unpack<TLane>(yBarDot, l).Concat(LaneComparison.Unpack<TLane>(pBarDot, l)).ToArray(), where + ": HvpLanes (yBarDot, pBarDot)", exact);
        }
    }

    private static void CheckSingle<TLane>(IOdeLaneSystemSingleSecondOrder system, Random random)
        where TLane : unmanaged, ILaneSingle<TLane>
    {
        int n = system.StateCount, m = system.ParameterCount, count = TLane.Count;
        var points = Enumerable.Range(0, count).Select(_ => LanePointSingle.Random(random, n, m)).ToList();
        float[] seeds = Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() + 0.5)).ToArray();
        const float t = 0.4f, tDot = -0.3f;
        TLane[] y = LaneComparisonSingle.Pack<TLane>(points.Select(x => x.Y).ToList(), n), p = LaneComparisonSingle.Pack<TLane>(points.Select(x => x.P).ToList(), m);
        TLane[] yDot = LaneComparisonSingle.Pack<TLane>(points.Select(x => x.YDot).ToList(), n), pDot = LaneComparisonSingle.Pack<TLane>(points.Select(x => x.PDot).ToList(), m);
        TLane[] a = LaneComparisonSingle.Pack<TLane>(points.Select(x => x.A).ToList(), n);
        TLane[] yBar = new TLane[n], pBar = new TLane[m], yBarDot = new TLane[n], pBarDot = new TLane[m];
        TLane s = TLane.Load(seeds);

        TLane divergence = system.DivergenceLanes<TLane>(t, y, p);
        TLane tBar = system.DivergenceVjpLanes<TLane>(t, y, p, s, yBar, pBar);
        system.HvpLanes<TLane>(t, y, p, a, tDot, yDot, pDot, yBarDot, pBarDot);

        bool exact = typeof(TLane) == typeof(LaneSingle1);
        for (int l = 0; l < count; l++)
        {
            LanePointSingle x = points[l];
            string where = $"Float, {typeof(TLane).Name} lane {l}";
            LaneComparisonSingle.AssertClose(new[] { system.Divergence(t, x.Y, x.P) }, new[] { TLane.GetLane(divergence, l) }, exact, where + ": DivergenceLanes");

            float[] yb = new float[n], pb = new float[m];
            float tb = system.DivergenceVjp(t, x.Y, x.P, seeds[l], yb, pb);
            LaneComparisonSingle.AssertClose(yb.Concat(pb).Append(tb).ToArray(),
                LaneComparisonSingle.Unpack<TLane>(yBar, l).Concat(LaneComparisonSingle.Unpack<TLane>(pBar, l)).Append(TLane.GetLane(tBar, l)).ToArray(),
                exact, where + ": DivergenceVjpLanes");

            float[] ybd = new float[n], pbd = new float[m];
            system.Hvp(t, x.Y, x.P, x.A, tDot, x.YDot, x.PDot, ybd, pbd);
            LaneComparisonSingle.AssertClose(ybd.Concat(pbd).ToArray(),
                LaneComparisonSingle.Unpack<TLane>(yBarDot, l).Concat(LaneComparisonSingle.Unpack<TLane>(pBarDot, l)).ToArray(), exact, where + ": HvpLanes");
        }
    }
}
