using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Parsing;

/// <summary>
/// The generic-math statics of double and float (.NET 7+: double.Sin, float.Max, …) mean the Math (MathF) function of
/// the same name, so the generator accepts them as that function: a program written with them generates code whose
/// Evaluate, Jvp, Vjp and Jacobian equal, bit for bit, those of the same program written with Math/MathF. Generic-math
/// members that are not the Math function (MaxMagnitude, Log with a base, Round) keep ODE0005.
/// </summary>
public class GenericMathTests
{
    /// <summary>
    /// A double system (with an [OdeDifferentiable] helper), a float system and a double [Differentiable] function using
    /// every mapped name. "M." is Math. or
    /// double., "MF." MathF. or float.; Clamp stays Math.Clamp in both (double.Clamp is not mapped, see below).
    /// </summary>
    private const string Template = """
        using System;
        using OdeGen;
        namespace NS;
        public static partial class Sys
        {
            [OdeDynamics]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                double s = M.Sin(y[0] * p[0]) + M.Cos(t * y[1]) + M.Tan(0.5 * y[2]) + H(y[2] * p[1]);
                dydt[0] = M.Exp(-y[0] * y[0]) * M.Log(1 + y[1] * y[1]) + M.Sqrt(1 + y[2] * y[2]) + M.Log10(p[2]);
                dydt[1] = M.Tanh(s) * M.Pow(p[1], y[1]) + M.Max(y[0], p[2] - 1) - M.Abs(y[2]) + M.Sinh(y[0]) * M.Cosh(y[1]);
                dydt[2] = M.Min(y[1], p[0] - 1) * Math.Clamp(y[2], -0.5, 0.5) + M.Atan2(y[0], p[1]) + M.FusedMultiplyAdd(y[0], y[1], p[2])
                    + M.Sign(y[0]) * M.Cbrt(p[0]) + M.Atan(y[1]) + M.Asin(0.5 * y[2]) * M.Acos(0.5 * y[0]);
            }

            [OdeDynamics]
            public static void RhsF(float t, ReadOnlySpan<float> y, ReadOnlySpan<float> p, Span<float> dydt)
            {
                float s = MF.Sin(y[0] * p[0]) + MF.Cos(t * y[1]);
                dydt[0] = MF.Exp(-y[0] * y[0]) * MF.Log(1 + y[1] * y[1]) + MF.Sqrt(1 + y[2] * y[2]);
                dydt[1] = MF.Tanh(s) * MF.Pow(p[1], y[1]) + MF.Max(y[0], p[2] - 1) - MF.Abs(y[2]);
                dydt[2] = MF.Min(y[1], p[0] - 1) * Math.Clamp(y[2], -0.5f, 0.5f) + MF.Atan2(y[0], p[1]) + MF.Sign(y[0]) * MF.Cbrt(p[0]);
            }

            [OdeDifferentiable]
            private static double H(double a) => a * M.Exp(-a * a) + M.Sqrt(1 + a * a);

            [Differentiable]
            public static void G(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
            {
                y[0] = M.Tanh(p[0] * x[0] + p[1] * x[1]) * M.Exp(x[1]);
                y[1] = M.Sqrt(1 + x[0] * x[0]) + M.Log(p[1] + x[1] * x[1]) + M.Pow(p[0], x[0]) + M.Max(x[0], x[1]) - M.Abs(x[1]);
            }
        }
        """;

    private static readonly Lazy<(Assembly Assembly, GeneratorRun Run)> WithMath = new(() => Build(Source("Math.", "MathF.")));

    private static readonly Lazy<(Assembly Assembly, GeneratorRun Run)> WithGenericMath = new(() => Build(Source("double.", "float.")));

    private static string Source(string m, string mf) =>
        Regex.Replace(Template, @"\b(MF|M)\.", x => x.Groups[1].Value == "M" ? m : mf);

    /// <summary>Runs the generator on legal C#: no error anywhere, no warning in a generated file; the loaded assembly.</summary>
    private static (Assembly, GeneratorRun) Build(string source)
    {
        Compilation input = GeneratorHarness.Compile(source);
        Assert.Empty(GeneratorHarness.Errors(input));
        GeneratorRun run = GeneratorHarness.Run(input);
        Assert.Null(run.Result.Results.Single().Exception);
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Warning && !input.SyntaxTrees.Contains(d.Location.SourceTree)));
        return (CompiledSystems.EmitAndLoad(run.Output), run);
    }

    private static T Instance<T>(Assembly assembly, string nested) =>
        (T)Activator.CreateInstance(assembly.GetType("NS.Sys")!.GetNestedType(nested)!)!;

    [Fact]
    public void GenericMath_GetsTheMathCallsDiagnostics_ODE0010ForTheKinks_AndNothingElse()
    {
        static string[] Of(GeneratorRun run) => GeneratorHarness.GeneratorDiagnostics(run).Select(d => d.Id + ": " + d.GetMessage()).ToArray();
        Assert.Equal(Of(WithMath.Value.Run), Of(WithGenericMath.Value.Run));
        Assert.All(Of(WithGenericMath.Value.Run), d => Assert.StartsWith("ODE0010", d, StringComparison.Ordinal));
        Assert.NotEmpty(Of(WithGenericMath.Value.Run));
    }

    [Fact]
    public void DoubleSystem_EqualsTheMathSystem_BitForBit()
    {
        var math = Instance<IOdeSystem>(WithMath.Value.Assembly, "RhsSystem");
        var generic = Instance<IOdeSystem>(WithGenericMath.Value.Assembly, "RhsSystem");
        var random = new Random(7);
        for (int sample = 0; sample < 20; sample++)
        {
            double t = random.NextDouble();
            double[] y = Doubles(random, 3, -0.9, 0.9), p = Doubles(random, 3, 0.5, 1.5), yDot = Doubles(random, 3, -1, 1),
                pDot = Doubles(random, 3, -1, 1), a = Doubles(random, 3, -1, 1);
            double tDot = random.NextDouble() - 0.5;
            double[][] expected = Outputs(math, t, y, p, tDot, yDot, pDot, a), actual = Outputs(generic, t, y, p, tDot, yDot, pDot, a);
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.Equal(expected[i].Select(BitConverter.DoubleToInt64Bits), actual[i].Select(BitConverter.DoubleToInt64Bits));
            }
        }
    }

    [Fact]
    public void FloatSystem_EqualsTheMathFSystem_BitForBit()
    {
        var math = Instance<IOdeSystemSingle>(WithMath.Value.Assembly, "RhsFSystem");
        var generic = Instance<IOdeSystemSingle>(WithGenericMath.Value.Assembly, "RhsFSystem");
        var random = new Random(8);
        for (int sample = 0; sample < 20; sample++)
        {
            float t = (float)random.NextDouble(), tDot = (float)random.NextDouble() - 0.5f;
            float[] y = Floats(random, 3, -0.9, 0.9), p = Floats(random, 3, 0.5, 1.5), yDot = Floats(random, 3, -1, 1),
                pDot = Floats(random, 3, -1, 1), a = Floats(random, 3, -1, 1);
            float[][] expected = Outputs(math, t, y, p, tDot, yDot, pDot, a), actual = Outputs(generic, t, y, p, tDot, yDot, pDot, a);
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.Equal(expected[i].Select(BitConverter.SingleToInt32Bits), actual[i].Select(BitConverter.SingleToInt32Bits));
            }
        }
    }

    [Fact]
    public void DifferentiableFunction_EqualsTheMathFunction_BitForBit()
    {
        var math = Instance<IDifferentiableFunction>(WithMath.Value.Assembly, "GFunction");
        var generic = Instance<IDifferentiableFunction>(WithGenericMath.Value.Assembly, "GFunction");
        var random = new Random(9);
        for (int sample = 0; sample < 20; sample++)
        {
            double[] x = Doubles(random, 2, -0.9, 0.9), p = Doubles(random, 2, 0.5, 1.5), xDot = Doubles(random, 2, -1, 1),
                pDot = Doubles(random, 2, -1, 1), yBar = Doubles(random, 2, -1, 1);
            double[][] expected = Outputs(math, x, p, xDot, pDot, yBar), actual = Outputs(generic, x, p, xDot, pDot, yBar);
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.Equal(expected[i].Select(BitConverter.DoubleToInt64Bits), actual[i].Select(BitConverter.DoubleToInt64Bits));
            }
        }
    }

    [Fact]
    public void MappedMembers_AreTheMathFunctions_AtTheirEdges()
    {
        // The claim the mapping rests on, at the values where Max/Min/Abs/Sign could differ (NaN, ±0, ±∞), and the unary functions at a few points.
        double[] edges = { double.NaN, 0.0, -0.0, 1.5, -1.5, double.PositiveInfinity, double.NegativeInfinity, double.Epsilon };
        foreach (double x in edges)
        {
            Assert.Equal(Math.Abs(x), double.Abs(x));
            Assert.Equal(Math.Sign(double.IsNaN(x) ? 0 : x), double.Sign(double.IsNaN(x) ? 0 : x));
            Assert.Equal(BitConverter.DoubleToInt64Bits(Math.Sqrt(x)), BitConverter.DoubleToInt64Bits(double.Sqrt(x)));
            Assert.Equal(BitConverter.SingleToInt32Bits(MathF.Tanh((float)x)), BitConverter.SingleToInt32Bits(float.Tanh((float)x)));
            foreach (double z in edges)
            {
                Assert.Equal(BitConverter.DoubleToInt64Bits(Math.Max(x, z)), BitConverter.DoubleToInt64Bits(double.Max(x, z)));
                Assert.Equal(BitConverter.DoubleToInt64Bits(Math.Min(x, z)), BitConverter.DoubleToInt64Bits(double.Min(x, z)));
                Assert.Equal(BitConverter.SingleToInt32Bits(MathF.Max((float)x, (float)z)), BitConverter.SingleToInt32Bits(float.Max((float)x, (float)z)));
                Assert.Equal(BitConverter.SingleToInt32Bits(MathF.Min((float)x, (float)z)), BitConverter.SingleToInt32Bits(float.Min((float)x, (float)z)));
                Assert.Equal(BitConverter.DoubleToInt64Bits(Math.Pow(x, z)), BitConverter.DoubleToInt64Bits(double.Pow(x, z)));
                Assert.Equal(BitConverter.DoubleToInt64Bits(Math.Atan2(x, z)), BitConverter.DoubleToInt64Bits(double.Atan2(x, z)));
            }
        }

        foreach (double x in new[] { 0.3, -0.7, 2.5, 1e-300, 1e300 })
        {
            foreach (Func<double, double> f in new Func<double, double>[] { Math.Sin, Math.Cos, Math.Tan, Math.Exp, Math.Log, Math.Log10, Math.Cbrt, Math.Sinh, Math.Cosh, Math.Atan, Math.Asin, Math.Acos })
            {
                string name = f.Method.Name;
                var generic = (Func<double, double>)Delegate.CreateDelegate(typeof(Func<double, double>), typeof(double).GetMethod(name, new[] { typeof(double) })!);
                Assert.Equal(BitConverter.DoubleToInt64Bits(f(x)), BitConverter.DoubleToInt64Bits(generic(x)));
            }

            Assert.Equal(BitConverter.DoubleToInt64Bits(Math.FusedMultiplyAdd(x, 0.1, -x)), BitConverter.DoubleToInt64Bits(double.FusedMultiplyAdd(x, 0.1, -x)));
        }

        Assert.Throws<ArithmeticException>(() => Math.Sign(double.NaN));
        Assert.Throws<ArithmeticException>(() => double.Sign(double.NaN));
    }

    [Fact]
    public void GenericClamp_IsNotMathClamp_AtMinusZero_SoItIsNotMapped()
    {
        // Why Clamp is left out of the table: Math.Clamp returns its value when it is not below min, and -0 is not below +0.
        Assert.Equal(BitConverter.DoubleToInt64Bits(-0.0), BitConverter.DoubleToInt64Bits(Math.Clamp(-0.0, 0.0, 1.0)));
        Assert.NotEqual(BitConverter.DoubleToInt64Bits(Math.Clamp(-0.0, 0.0, 1.0)), BitConverter.DoubleToInt64Bits(double.Clamp(-0.0, 0.0, 1.0)));
        Assert.NotEqual(BitConverter.SingleToInt32Bits(Math.Clamp(-0.0f, 0f, 1f)), BitConverter.SingleToInt32Bits(float.Clamp(-0.0f, 0f, 1f)));
    }

    [Theory]
    [InlineData("dydt[0] = [|double.MaxMagnitude(y[0], p[0])|];")]
    [InlineData("dydt[0] = [|double.Log(y[0], 2.0)|];")]
    [InlineData("dydt[0] = [|double.Round(y[0])|];")]
    [InlineData("dydt[0] = [|double.Hypot(y[0], p[0])|];")]
    [InlineData("dydt[0] = [|double.Clamp(y[0], 0.0, 1.0)|];")]
    [InlineData("dydt[0] = [|float.Sin(1f)|] * y[0];")]
    public void UnmappedGenericMath_KeepsODE0005_OnTheCall(string body)
    {
        string source = $$"""
            using OdeGen;
            public static partial class Sys
            {
                [OdeDynamics]
                public static void F(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
                {
                    {{body}}
                }
            }
            """;
        Diagnostic d = DiagnosticTests.AssertDiagnostic("ODE0005", source);
        Assert.Contains("or use the System.Math functions on double: Sin,", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void GenericClamp_InAFloatMethod_KeepsODE0005_OnTheCall()
    {
        const string source = """
            using OdeGen;
            public static partial class Sys
            {
                [OdeDynamics]
                public static void F(float t, ReadOnlySpan<float> y, ReadOnlySpan<float> p, Span<float> dydt)
                {
                    dydt[0] = [|float.Clamp(y[0], 0f, 1f)|] + y[1];
                    dydt[1] = y[0];
                }
            }
            """;
        Assert.Contains("MathF", DiagnosticTests.AssertDiagnostic("ODE0005", source).GetMessage(), StringComparison.Ordinal);
    }

    private static double[][] Outputs(IOdeSystem s, double t, double[] y, double[] p, double tDot, double[] yDot, double[] pDot, double[] a)
    {
        int n = s.StateCount, m = s.ParameterCount;
        double[] evaluated = new double[n], f = new double[n], fDot = new double[n], yBar = new double[n], pBar = new double[m],
            dfdy = new double[n * n], dfdp = new double[n * m];
        s.Evaluate(t, y, p, evaluated);
        s.Jvp(t, y, p, tDot, yDot, pDot, f, fDot);
        double tBar = s.Vjp(t, y, p, a, yBar, pBar);
        s.Jacobian(t, y, p, dfdy, dfdp);
        return new[] { evaluated, f, fDot, yBar, pBar, new[] { tBar }, dfdy, dfdp };
    }

    private static float[][] Outputs(IOdeSystemSingle s, float t, float[] y, float[] p, float tDot, float[] yDot, float[] pDot, float[] a)
    {
        int n = s.StateCount, m = s.ParameterCount;
        float[] evaluated = new float[n], f = new float[n], fDot = new float[n], yBar = new float[n], pBar = new float[m],
            dfdy = new float[n * n], dfdp = new float[n * m];
        s.Evaluate(t, y, p, evaluated);
        s.Jvp(t, y, p, tDot, yDot, pDot, f, fDot);
        float tBar = s.Vjp(t, y, p, a, yBar, pBar);
        s.Jacobian(t, y, p, dfdy, dfdp);
        return new[] { evaluated, f, fDot, yBar, pBar, new[] { tBar }, dfdy, dfdp };
    }

    private static double[][] Outputs(IDifferentiableFunction g, double[] x, double[] p, double[] xDot, double[] pDot, double[] yBar)
    {
        int k = g.OutputCount;
        double[] evaluated = new double[k], y = new double[k], yDot = new double[k], xBar = new double[x.Length], pBar = new double[p.Length];
        g.Evaluate(x, p, evaluated);
        g.Jvp(x, p, xDot, pDot, y, yDot);
        g.Vjp(x, p, yBar, xBar, pBar);
        return new[] { evaluated, y, yDot, xBar, pBar };
    }

    private static double[] Doubles(Random random, int length, double lo, double hi) =>
        Enumerable.Range(0, length).Select(_ => lo + ((hi - lo) * random.NextDouble())).ToArray();

    private static float[] Floats(Random random, int length, double lo, double hi) =>
        Doubles(random, length, lo, hi).Select(v => (float)v).ToArray();
}
