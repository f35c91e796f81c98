using System.Reflection;
using System.Text.RegularExpressions;
using OdeGen.Generators.Tests.Differentiation;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Emit;

/// <summary>
/// The float flavour: a float method gets an <see cref="IOdeSystemSingle"/> whose Evaluate equals the
/// user's method bit for bit and whose derivatives agree with those generated from the same source
/// in double (its "twin") to float accuracy; the dot-product test holds in float.
/// </summary>
public class FloatTests
{
    private static readonly Lazy<(IOdeSystemSingle Single, Delegate User, IOdeSystem Twin)> Systems = new(Load);

    [Fact]
    public void Evaluate_EqualsUserMethod_BitForBit()
    {
        (IOdeSystemSingle s, Delegate user, _) = Systems.Value;
        var random = new Random(11);
        for (int sample = 0; sample < 20; sample++)
        {
            (float t, float[] y, float[] p) = Point(random, s);
            float[] expected = new float[2], actual = new float[2];
            Invoke(user, t, y, p, expected);
            s.Evaluate(t, y, p, actual);
            Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Fact]
    public void Derivatives_MatchTheDoubleTwin_ToFloatAccuracy_AndPassTheDotProductTest()
    {
        (IOdeSystemSingle s, _, IOdeSystem twin) = Systems.Value;
        int n = s.StateCount, m = s.ParameterCount;
        Assert.Equal((n, m), (twin.StateCount, twin.ParameterCount));
        var random = new Random(12);
        for (int sample = 0; sample < 20; sample++)
        {
            (float t, float[] y, float[] p) = Point(random, s);
            float tDot = (float)random.NextDouble() - 0.5f;
            float[] yDot = Floats(random, n, -1, 1), pDot = Floats(random, m, -1, 1), a = Floats(random, n, -1, 1);

            float[] f = new float[n], fDot = new float[n];
            s.Jvp(t, y, p, tDot, yDot, pDot, f, fDot);
            double[] g = new double[n], gDot = new double[n];
            twin.Jvp(t, D(y), D(p), tDot, D(yDot), D(pDot), g, gDot);
            AssertClose(gDot, fDot, "Jvp");

            float[] yBar = new float[n], pBar = new float[m];
            float tBar = s.Vjp(t, y, p, a, yBar, pBar);
            double[] yBarD = new double[n], pBarD = new double[m];
            double tBarD = twin.Vjp(t, D(y), D(p), D(a), yBarD, pBarD);
            AssertClose(yBarD, yBar, "yBar");
            AssertClose(pBarD, pBar, "pBar");
            AssertClose(new[] { tBarD }, new[] { tBar }, "tBar");

            double left = a.Zip(fDot, (x, d) => (double)x * d).Sum();
            double right = (tBar * tDot) + yBar.Zip(yDot, (x, d) => (double)x * d).Sum() + pBar.Zip(pDot, (x, d) => (double)x * d).Sum();
            Assert.True(Math.Abs(left - right) <= 1e-4 * (1 + Math.Abs(left)), $"dot product {left} vs {right}");

            float[] dfdy = new float[n * n], dfdp = new float[n * m];
            s.Jacobian(t, y, p, dfdy, dfdp);
            double[] dfdyD = new double[n * n], dfdpD = new double[n * m];
            twin.Jacobian(t, D(y), D(p), dfdyD, dfdpD);
            AssertClose(dfdyD, dfdy, "dfdy");
            AssertClose(dfdpD, dfdp, "dfdp");
        }
    }

    [Fact]
    public void FloatCode_UsesFloatTypesLiteralsAndMathF()
    {
        string text = GeneratorHarness.Run(GeneratorHarness.Compile(TestSources.FloatMlp)).ScalarSources.Single().Value;
        Assert.Contains("global::OdeGen.IOdeSystemSingle", text);
        Assert.Contains("global::System.MathF.Tanh(", text);
        Assert.DoesNotContain("global::System.Math.", text);
        Assert.DoesNotContain("double", text);
        Assert.Contains("0.1f", text);
    }

    [Fact]
    public void FloatClamp_IsMathClamp_WithTheSlopeOfTheSideTaken()
    {
        // MathF has no Clamp, so float code writes Math.Clamp(float, float, float): accepted, printed as such.
        const string source = """
            using System;
            using OdeGen;
            namespace Scenarios.SingleClamp;
            public static partial class Limited
            {
                [OdeDynamics]
                public static void Rhs(float t, ReadOnlySpan<float> y, ReadOnlySpan<float> p, Span<float> dydt)
                {
                    dydt[0] = p[0] * Math.Clamp(y[0], -0.5f, 0.5f);
                }
            }
            """;
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(source));
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error);
        Assert.Contains("global::System.Math.Clamp(", run.ScalarSources.Single().Value);
        var s = (IOdeSystemSingle)Activator.CreateInstance(CompiledSystems.EmitAndLoad(run.Output).GetType("Scenarios.SingleClamp.Limited+RhsSystem")!)!;
        foreach ((float y, float slope) in new[] { (0.25f, 3f), (0.75f, 0f), (-0.9f, 0f) })
        {
            float[] f = new float[1], fDot = new float[1];
            s.Jvp(0, [y], [3f], 0, [1f], [0f], f, fDot);
            Assert.Equal(3f * Math.Clamp(y, -0.5f, 0.5f), f[0]);
            Assert.Equal(slope, fDot[0]);
        }
    }

    [Fact]
    public void MathFloatOverloads_AreMathFsFunctions_ToTheBit()
    {
        // Math.Abs/Min/Max/Sign on floats (what a port from double code keeps) were ODE0005, whose message pointed at double.
        // They are the same functions as MathF's: the system written with either gives the same bits, value and derivatives.
        const string body = """
            dydt[0] = p[0] * Math.Abs(y[0]) + Math.Min(y[0], y[1]) * Math.Max(y[1], p[1]);
            dydt[1] = Math.Sign(y[1]) * y[0] * p[1] - Math.Clamp(y[1], -0.5f, 0.5f);
            """;
        string Source(string ns, string text) => $$"""
            using System;
            using OdeGen;
            namespace Scenarios.{{ns}};
            public static partial class Ported
            {
                [OdeDynamics]
                public static void Rhs(float t, ReadOnlySpan<float> y, ReadOnlySpan<float> p, Span<float> dydt)
                {
            {{text}}
                }
            }
            """;
        string mathF = body.Replace("Math.Abs", "MathF.Abs").Replace("Math.Min", "MathF.Min").Replace("Math.Max", "MathF.Max").Replace("Math.Sign", "MathF.Sign");
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(Source("MathOverloads", body), Source("MathFFunctions", mathF)));
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error);
        Assembly assembly = CompiledSystems.EmitAndLoad(run.Output);
        var math = (IOdeSystemSingle)Activator.CreateInstance(assembly.GetType("Scenarios.MathOverloads.Ported+RhsSystem")!)!;
        var mathf = (IOdeSystemSingle)Activator.CreateInstance(assembly.GetType("Scenarios.MathFFunctions.Ported+RhsSystem")!)!;
        var random = new Random(11);
        for (int trial = 0; trial < 20; trial++)
        {
            float[] y = [R(random), R(random)], p = [R(random), R(random)], yDot = [R(random), R(random)], pDot = [R(random), R(random)], a = [R(random), R(random)];
            float[] f1 = new float[2], f2 = new float[2], d1 = new float[2], d2 = new float[2];
            math.Evaluate(0, y, p, f1);
            mathf.Evaluate(0, y, p, f2);
            Assert.Equal(f2, f1);
            math.Jvp(0, y, p, 0, yDot, pDot, f1, d1);
            mathf.Jvp(0, y, p, 0, yDot, pDot, f2, d2);
            Assert.Equal(d2, d1);
            float[] yBar1 = new float[2], pBar1 = new float[2], yBar2 = new float[2], pBar2 = new float[2];
            math.Vjp(0, y, p, a, yBar1, pBar1);
            mathf.Vjp(0, y, p, a, yBar2, pBar2);
            Assert.Equal(yBar2, yBar1);
            Assert.Equal(pBar2, pBar1);
        }

        static float R(Random random) => (float)(2 * random.NextDouble() - 1);
    }

    private static void AssertClose(double[] expected, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4 * (1 + Math.Abs(expected[i])), $"{what}[{i}]: double twin {expected[i]:R}, float {actual[i]:R}");
        }
    }

    private static (IOdeSystemSingle, Delegate, IOdeSystem) Load()
    {
        // The twin: the same program in double, in its own namespace.
        string twin = Regex.Replace(TestSources.FloatMlp.Replace("float", "double").Replace("MathF", "Math").Replace("Scenarios.Single", "Scenarios.Twin"), @"(\d)f\b", "$1");
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(TestSources.FloatMlp, twin));
        Assembly assembly = CompiledSystems.EmitAndLoad(run.Output);
        Type single = assembly.GetType("Scenarios.Single.SmallNet")!, doubled = assembly.GetType("Scenarios.Twin.SmallNet")!;
        return ((IOdeSystemSingle)Activator.CreateInstance(single.GetNestedType("RhsSystem")!)!,
            single.GetMethod("Rhs")!.CreateDelegate<FloatDynamics>(),
            (IOdeSystem)Activator.CreateInstance(doubled.GetNestedType("RhsSystem")!)!);
    }

    private static void Invoke(Delegate user, float t, float[] y, float[] p, float[] dydt) => ((FloatDynamics)user)(t, y, p, dydt);

    private static (float, float[], float[]) Point(Random random, IOdeSystemSingle s) =>
        ((float)random.NextDouble(), Floats(random, s.StateCount, -0.9, 0.9), Floats(random, s.ParameterCount, -1, 1));

    private static float[] Floats(Random random, int length, double lo, double hi) =>
        Enumerable.Range(0, length).Select(_ => (float)(lo + ((hi - lo) * random.NextDouble()))).ToArray();

    private static double[] D(float[] values) => values.Select(v => (double)v).ToArray();

    /// <summary>The user's float method, callable without boxing its spans.</summary>
    private delegate void FloatDynamics(float t, ReadOnlySpan<float> y, ReadOnlySpan<float> p, Span<float> dydt);
}
