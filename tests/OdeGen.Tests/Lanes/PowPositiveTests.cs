using OdeGen.Lanes;
using Xunit.Abstractions;

namespace OdeGen.Tests.Lanes;

// LaneMath.PowPositive, the step-size controller's xᵃ: within a few ulp of Math.Pow over the controller's range and
// over every positive finite x, and the same bits at every width (Lane1, the scalar solvers' width, and the SIMD ones)
// and on first and later calls (JIT tiers), and StepSizeController.Pow (inlined into the controller) is the same function.
public class PowPositiveTests(ITestOutputHelper output)
{
    private static double Ulps(double got, double want)
    {
        if (got == want) return 0;
        if (!double.IsFinite(got) || !double.IsFinite(want)) return double.PositiveInfinity;
        double a = Math.Abs(want);
        return Math.Abs(got - want) / (Math.BitIncrement(a) - a);
    }

    // x log-uniform in [lo, hi], a uniform in [−1, 1], plus the exponents the controllers use (−1/q, −0.7/q, 0.4/q,
    // 1/(p + 1)) at every x.
    private static (double[] x, double[] a) Points(double lo, double hi, int seed)
    {
        var rng = new Random(seed);
        var xs = new List<double>();
        var ys = new List<double>();
        double[] controller = [-1.0 / 5, -0.7 / 5, 0.4 / 5, -1.0 / 4, -0.7 / 4, 0.4 / 4, -1.0 / 8, -0.7 / 8, 0.4 / 8, -1.0 / 2, 0.5, 1.0 / 3, 1.0 / 6, 1.0 / 9, -1, 1, 0];
        for (int i = 0; i < 20000; i++)
        {
            double x = Math.Exp(Math.Log(lo) + (Math.Log(hi) - Math.Log(lo)) * rng.NextDouble());
            xs.Add(x);
            ys.Add(i % 2 == 0 ? 2 * rng.NextDouble() - 1 : controller[i / 2 % controller.Length]);
        }
        // Powers of two, 1 and its neighbours, the ends of the significand interval [√½, √2).
        foreach (double x in new[] { 1.0, Math.BitDecrement(1.0), Math.BitIncrement(1.0), 0.5, 2, 1024, 1.0 / 1024, Math.Sqrt(2), Math.BitIncrement(Math.Sqrt(2)), Math.Sqrt(0.5), lo, hi })
            foreach (double a in controller) { xs.Add(x); ys.Add(a); }
        return (xs.ToArray(), ys.ToArray());
    }

    private static double[] Evaluate<T>(double[] x, double[] a) where T : unmanaged, ILane<T>, ILaneBits<T>
    {
        int w = T.Count;
        var u = new double[w];
        var v = new double[w];
        var r = new double[w];
        var result = new double[x.Length];
        for (int i = 0; i < x.Length; i += w)
        {
            for (int l = 0; l < w; l++) { u[l] = x[Math.Min(i + l, x.Length - 1)]; v[l] = a[Math.Min(i + l, x.Length - 1)]; }
            T.Store(LaneMath.PowPositive(T.Load(u), T.Load(v)), r);
            for (int l = 0; l < w && i + l < x.Length; l++) result[i + l] = r[l];
        }
        return result;
    }

    // Bounds: the largest errors measured (2 ulp, printed) with half an ulp of room.
    [Theory]
    [InlineData(1e-12, 1e12, 2.5)]                                   // the controller's range
    [InlineData(double.Epsilon, double.MaxValue, 2.5)]              // every positive finite x, subnormals included
    public void WithinUlpsOfMathPow(double lo, double hi, double bound)
    {
        (double[] x, double[] a) = Points(lo, hi, 5);
        double[] got = Evaluate<Lane1>(x, a);
        double max = 0;
        int at = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double e = Ulps(got[i], Math.Pow(x[i], a[i]));
            if (!(e <= max)) { max = e; at = i; }
        }
        output.WriteLine($"PowPositive on [{lo:R}, {hi:R}]: max {max:F3} ulp at x = {x[at]:R}, a = {a[at]:R} over {x.Length} points");
        Assert.True(max <= bound, $"{max} ulp at x = {x[at]:R}, a = {a[at]:R}: {got[at]:R}, Math.Pow {Math.Pow(x[at], a[at]):R}");
    }

    [Fact]
    public void ExactWherePowersOfTwoAreExact()
    {
        Assert.Equal(1.0, LaneMath.PowPositive(new Lane1(123.456), new Lane1(0)).Value);
        Assert.Equal(2.0, LaneMath.PowPositive(new Lane1(4), new Lane1(0.5)).Value);
        Assert.Equal(0.5, LaneMath.PowPositive(new Lane1(4), new Lane1(-0.5)).Value);
        Assert.Equal(Math.ScaleB(1, -537), LaneMath.PowPositive(new Lane1(double.Epsilon), new Lane1(0.5)).Value);
        Assert.Equal(double.PositiveInfinity, LaneMath.PowPositive(new Lane1(double.Epsilon), new Lane1(-1)).Value);
        Assert.Equal(double.Epsilon, LaneMath.PowPositive(new Lane1(double.Epsilon), new Lane1(1)).Value);
    }

    [Fact]
    public void SameBitsAtEveryWidthAndOnLaterCalls()
    {
        (double[] x, double[] a) = Points(double.Epsilon, double.MaxValue, 6);
        double[] one = Evaluate<Lane1>(x, a);
        double[] two = Evaluate<Lane128>(x, a), four = Evaluate<Lane256>(x, a), eight = Evaluate<Lane512>(x, a);
        for (int round = 0; round < 30; round++) Evaluate<Lane1>(x, a);
        Thread.Sleep(200);   // a background tier-1 compile, if one was queued, lands
        double[] later = Evaluate<Lane1>(x, a);
        double[] controller = x.Select((xi, i) => OdeGen.Solvers.StepSizeController.Pow(xi, a[i])).ToArray();
        for (int i = 0; i < x.Length; i++)
        {
            ulong b = BitConverter.DoubleToUInt64Bits(one[i]);
            Assert.True(b == BitConverter.DoubleToUInt64Bits(two[i]) && b == BitConverter.DoubleToUInt64Bits(four[i])
                && b == BitConverter.DoubleToUInt64Bits(eight[i]) && b == BitConverter.DoubleToUInt64Bits(later[i])
                && b == BitConverter.DoubleToUInt64Bits(controller[i]),
                $"x = {x[i]:R}, a = {a[i]:R}: ×1 {one[i]:R}, ×2 {two[i]:R}, ×4 {four[i]:R}, ×8 {eight[i]:R}, ×1 later {later[i]:R}, controller {controller[i]:R}");
        }
    }
}
