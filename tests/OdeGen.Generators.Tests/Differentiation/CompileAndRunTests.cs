using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Differentiation;

/// <summary>
/// Runs the generated code of every scenario (one compilation) on seeded random inputs and checks
/// it against the user's own method, central finite differences and the dot-product test.
/// </summary>
public class CompileAndRunTests
{
    private const int Samples = 8;

    public static TheoryData<string> SystemNames => new(CompiledSystems.All.Keys.OrderBy(k => k, StringComparer.Ordinal));

    [Fact]
    public void AllScenarioSystems_AreCompiledAndLoaded()
    {
        Assert.Equal(23 + TestSources.Random.Count, CompiledSystems.All.Count);
        Assert.Contains("Lorenz.Rhs", CompiledSystems.All.Keys);
        Assert.Contains("Container.Growth", CompiledSystems.All.Keys);
    }

    [Theory]
    [MemberData(nameof(SystemNames))]
    public void Evaluate_EqualsUserMethod_BitForBit(string name)
    {
        SystemUnderTest s = CompiledSystems.All[name];
        foreach (Point x in Points(s))
        {
            double[] expected = Garbage(s.System.StateCount);
            s.User(x.T, x.Y, x.P, expected);
            double[] actual = Garbage(s.System.StateCount);
            s.System.Evaluate(x.T, x.Y, x.P, actual);
            if (TestSources.VectorizedSystems.Contains(name))
            {
                // Vectorized loops sum in another order and use the vector kernels: equal up to rounding.
                AssertNear(expected, actual, 1e-13, "Evaluate");
                continue;
            }

            for (int i = 0; i < actual.Length; i++)
            {
                // Outputs the user never writes keep the caller's garbage; Evaluate writes 0 there.
                double want = double.IsNaN(expected[i]) ? 0.0 : expected[i];
                Assert.Equal(BitConverter.DoubleToInt64Bits(want), BitConverter.DoubleToInt64Bits(actual[i]));
            }
        }
    }

    [Theory]
    [MemberData(nameof(SystemNames))]
    public void Jacobian_MatchesCentralDifferences_AndOverwritesGarbage(string name)
    {
        SystemUnderTest s = CompiledSystems.All[name];
        int n = s.System.StateCount, m = s.System.ParameterCount;
        foreach (Point x in Points(s))
        {
            double[] dfdy = Garbage(n * n), dfdp = Garbage(n * m);
            s.System.Jacobian(x.T, x.Y, x.P, dfdy, dfdp);
            FiniteDifferences fd = FiniteDifferences.Of(s.System, x);
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    AssertClose(fd.Dy[i, j], dfdy[(i * n) + j], $"dfdy[{i},{j}]");
                }

                for (int k = 0; k < m; k++)
                {
                    AssertClose(fd.Dp[i, k], dfdp[(i * m) + k], $"dfdp[{i},{k}]");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(SystemNames))]
    public void Jvp_MatchesCentralDifferences_AndReturnsF(string name)
    {
        SystemUnderTest s = CompiledSystems.All[name];
        int n = s.System.StateCount;
        foreach (Point x in Points(s))
        {
            Direction v = Direction.Random(x.Random, s.System);
            double[] f = Garbage(n), fDot = Garbage(n), expectedF = new double[n];
            s.System.Jvp(x.T, x.Y, x.P, v.T, v.Y, v.P, f, fDot);
            s.System.Evaluate(x.T, x.Y, x.P, expectedF);
            if (TestSources.VectorizedSystems.Contains(name))
            {
                AssertNear(expectedF, f, 1e-13, "Jvp's f");
            }
            else
            {
                Assert.Equal(expectedF, f);
            }


            FiniteDifferences fd = FiniteDifferences.Of(s.System, x);
            for (int i = 0; i < n; i++)
            {
                AssertClose(fd.Apply(i, v), fDot[i], $"dydtDot[{i}]");
            }
        }
    }

    [Theory]
    [MemberData(nameof(SystemNames))]
    public void Vjp_MatchesCentralDifferences(string name)
    {
        SystemUnderTest s = CompiledSystems.All[name];
        int n = s.System.StateCount, m = s.System.ParameterCount;
        foreach (Point x in Points(s))
        {
            double[] a = RandomVector(x.Random, n), yBar = new double[n], pBar = new double[m];
            double tBar = s.System.Vjp(x.T, x.Y, x.P, a, yBar, pBar);
            FiniteDifferences fd = FiniteDifferences.Of(s.System, x);
            for (int j = 0; j < n; j++)
            {
                AssertClose(Enumerable.Range(0, n).Sum(i => a[i] * fd.Dy[i, j]), yBar[j], $"yBar[{j}]");
            }

            for (int k = 0; k < m; k++)
            {
                AssertClose(Enumerable.Range(0, n).Sum(i => a[i] * fd.Dp[i, k]), pBar[k], $"pBar[{k}]");
            }

            AssertClose(Enumerable.Range(0, n).Sum(i => a[i] * fd.Dt[i]), tBar, "tBar");
        }
    }

    [Theory]
    [MemberData(nameof(SystemNames))]
    public void DotProductTest_ForwardAndReverseAgree(string name)
    {
        SystemUnderTest s = CompiledSystems.All[name];
        int n = s.System.StateCount, m = s.System.ParameterCount;
        foreach (Point x in Points(s))
        {
            Direction v = Direction.Random(x.Random, s.System);
            double[] a = RandomVector(x.Random, n), f = new double[n], fDot = new double[n], yBar = new double[n], pBar = new double[m];
            s.System.Jvp(x.T, x.Y, x.P, v.T, v.Y, v.P, f, fDot);
            double tBar = s.System.Vjp(x.T, x.Y, x.P, a, yBar, pBar);

            double forward = Enumerable.Range(0, n).Sum(i => a[i] * fDot[i]);
            double reverse = Enumerable.Range(0, n).Sum(j => yBar[j] * v.Y[j]) + Enumerable.Range(0, m).Sum(k => pBar[k] * v.P[k]) + (tBar * v.T);
            double scale = Enumerable.Range(0, n).Sum(i => Math.Abs(a[i] * fDot[i])) + 1e-300;
            Assert.True(Math.Abs(forward - reverse) <= 1e-12 * scale, $"<a, J v> = {forward:R} but <Jᵀa, v> = {reverse:R}");
        }
    }

    [Theory]
    [MemberData(nameof(SystemNames))]
    public void Vjp_Accumulates(string name)
    {
        SystemUnderTest s = CompiledSystems.All[name];
        int n = s.System.StateCount, m = s.System.ParameterCount;
        Point x = Points(s).First();
        double[] a = RandomVector(x.Random, n), yBar = new double[n], pBar = new double[m];
        s.System.Vjp(x.T, x.Y, x.P, a, yBar, pBar);
        double[] yOnce = (double[])yBar.Clone(), pOnce = (double[])pBar.Clone();
        s.System.Vjp(x.T, x.Y, x.P, a, yBar, pBar);

        // g + g is exactly 2g, so doubling is checked bit for bit where each element gets one +=. Loops
        // add to the same element once per iteration, so there the sums are rounded in another order.
        if (TestSources.LoopSystems.Contains(name))
        {
            Assert.All(yOnce.Zip(yBar).Concat(pOnce.Zip(pBar)), g => Assert.Equal(2 * g.First, g.Second, 1e-13 * Math.Max(1, Math.Abs(g.Second))));
        }
        else
        {
            Assert.Equal(yOnce.Select(g => 2 * g), yBar);
            Assert.Equal(pOnce.Select(g => 2 * g), pBar);
        }
    }

    [Theory]
    [MemberData(nameof(SystemNames))]
    public void JacobianColumns_EqualJvpsWithUnitSeeds(string name)
    {
        SystemUnderTest s = CompiledSystems.All[name];
        int n = s.System.StateCount, m = s.System.ParameterCount;
        Point x = Points(s).First();
        double[] dfdy = new double[n * n], dfdp = new double[n * m], f = new double[n], fDot = new double[n];
        s.System.Jacobian(x.T, x.Y, x.P, dfdy, dfdp);
        for (int j = 0; j < n + m; j++)
        {
            double[] yDot = new double[n], pDot = new double[m];
            if (j < n)
            {
                yDot[j] = 1;
            }
            else
            {
                pDot[j - n] = 1;
            }

            s.System.Jvp(x.T, x.Y, x.P, 0, yDot, pDot, f, fDot);
            for (int i = 0; i < n; i++)
            {
                double entry = j < n ? dfdy[(i * n) + j] : dfdp[(i * m) + j - n];
                Assert.True(Math.Abs(entry - fDot[i]) <= 1e-14 * (1 + Math.Abs(entry)), $"column {j}, row {i}: {entry:R} vs {fDot[i]:R}");
            }
        }
    }

    /// <summary>Every element within <paramref name="relative"/> of the largest magnitude of <paramref name="expected"/>.</summary>
    internal static void AssertNear(double[] expected, double[] actual, double relative, string what)
    {
        double scale = expected.Select(Math.Abs).DefaultIfEmpty(0).Max() + 1e-300;
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= relative * scale, $"{what}[{i}]: {actual[i]:R} vs {expected[i]:R} (largest {scale:R})");
        }
    }

    internal static void AssertClose(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-6 * (1 + Math.Abs(expected)), $"{what}: finite differences {expected:R}, generated {actual:R}");

    private static double[] Garbage(int length) => Enumerable.Repeat(double.NaN, length).ToArray();

    internal static double[] RandomVector(Random random, int length) => Enumerable.Range(0, length).Select(_ => (2 * random.NextDouble()) - 1).ToArray();

    /// <summary>Seeded points with y in [-0.9, 0.9], p in [0.5, 1.5], t in [0, 1].</summary>
    internal static IEnumerable<Point> Points(SystemUnderTest s)
    {
        var random = new Random(StableSeed(s.Name));
        for (int k = 0; k < Samples; k++)
        {
            yield return new Point(
                random.NextDouble(),
                Enumerable.Range(0, s.System.StateCount).Select(_ => (1.8 * random.NextDouble()) - 0.9).ToArray(),
                Enumerable.Range(0, s.System.ParameterCount).Select(_ => 0.5 + random.NextDouble()).ToArray(),
                random);
        }
    }

    private static int StableSeed(string text) => text.Aggregate(17, (h, c) => unchecked((h * 31) + c));
}

/// <summary>An evaluation point; <see cref="Random"/> continues the point's seeded stream.</summary>
internal sealed record Point(double T, double[] Y, double[] P, Random Random);

/// <summary>A tangent direction (tDot, yDot, pDot).</summary>
internal sealed record Direction(double T, double[] Y, double[] P)
{
    public static Direction Random(Random random, IOdeSystem system) => new(
        (2 * random.NextDouble()) - 1,
        Enumerable.Range(0, system.StateCount).Select(_ => (2 * random.NextDouble()) - 1).ToArray(),
        Enumerable.Range(0, system.ParameterCount).Select(_ => (2 * random.NextDouble()) - 1).ToArray());
}

/// <summary>∂f/∂y, ∂f/∂p, ∂f/∂t by central differences of Evaluate, one step size per variable.</summary>
internal sealed record FiniteDifferences(double[,] Dy, double[,] Dp, double[] Dt)
{
    public static FiniteDifferences Of(IOdeSystem system, Point x)
    {
        int n = system.StateCount, m = system.ParameterCount;
        var dy = new double[n, n];
        var dp = new double[n, m];
        var dt = new double[n];
        for (int j = 0; j < n; j++)
        {
            double[] column = Column(system, x, (y, p, h) => y[j] += h, x.Y[j]);
            for (int i = 0; i < n; i++)
            {
                dy[i, j] = column[i];
            }
        }

        for (int k = 0; k < m; k++)
        {
            double[] column = Column(system, x, (y, p, h) => p[k] += h, x.P[k]);
            for (int i = 0; i < n; i++)
            {
                dp[i, k] = column[i];
            }
        }

        double tPlus = 0;
        double[] dtColumn = Column(system, x, (y, p, h) => tPlus = h, x.T, timeShift: () => tPlus);
        Array.Copy(dtColumn, dt, n);
        return new FiniteDifferences(dy, dp, dt);
    }

    /// <summary>Row i of J·v for a direction v (t included).</summary>
    public double Apply(int i, Direction v)
    {
        double sum = Dt[i] * v.T;
        for (int j = 0; j < v.Y.Length; j++)
        {
            sum += Dy[i, j] * v.Y[j];
        }

        for (int k = 0; k < v.P.Length; k++)
        {
            sum += Dp[i, k] * v.P[k];
        }

        return sum;
    }

    private static double[] Column(IOdeSystem system, Point x, Action<double[], double[], double> nudge, double value, Func<double>? timeShift = null)
    {
        // h scales with the variable; (x + h) - x is exact so the divisor is the step actually taken.
        double h = 1e-6 * Math.Max(1, Math.Abs(value));
        h = (value + h) - value;
        double[] plus = Evaluate(system, x, nudge, h, timeShift);
        double[] minus = Evaluate(system, x, nudge, -h, timeShift);
        return plus.Zip(minus, (a, b) => (a - b) / (2 * h)).ToArray();
    }

    private static double[] Evaluate(IOdeSystem system, Point x, Action<double[], double[], double> nudge, double h, Func<double>? timeShift)
    {
        double[] y = (double[])x.Y.Clone(), p = (double[])x.P.Clone(), f = new double[system.StateCount];
        nudge(y, p, h);
        system.Evaluate(x.T + (timeShift?.Invoke() ?? 0), y, p, f);
        return f;
    }
}
