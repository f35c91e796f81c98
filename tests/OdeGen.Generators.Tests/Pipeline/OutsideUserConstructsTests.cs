using System.Reflection;
using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Functions;
using OdeGen.Generators.Tests.Infrastructure;
using OdeGen.Lanes;
using OdeGen.Testing;

namespace OdeGen.Generators.Tests.Pipeline;

/// <summary>The float form of a user's dynamics method, callable without boxing its spans.</summary>
public delegate void SingleDynamics(float t, ReadOnlySpan<float> y, ReadOnlySpan<float> p, Span<float> dydt);

/// <summary>
/// Simple legal C# that outside users wrote and the generator once refused (ODE0003, ODE0004, ODE0005, ODE0006, ODE0015):
/// Math.CopySign, the generic-math constants (double.Pi, …), static readonly fields, count-down loops, checked and unchecked
/// around double arithmetic, indices from the end (y[^1]), parenthesized assignment targets ((x) = …). Each is generated as code whose
/// Evaluate is the user's method bit for bit, whose derivatives pass finite differences and the dot-product test, whose
/// lane methods equal the scalar ones at every width, and which equals, bit for bit in every output, the same program
/// written in a form the generator accepted before. Each runs in float too.
/// </summary>
public class OutsideUserConstructsTests
{
    /// <summary>The construct (first) and its hand-written equivalent (second): bodies of Rhs, with the class's members.</summary>
    public static TheoryData<string, string, string, string> Equivalents => new()
    {
        {
            "CopySign",
            "dydt[0] = Math.CopySign(y[0] * p[0], y[1]) + y[2];\ndydt[1] = Math.CopySign(1.5, y[0] - p[1]) * y[1] + Math.CopySign(y[2], -2.0);\ndydt[2] = Math.CopySign(Math.Sin(y[1]), p[2] - 1) * y[0];",
            "dydt[0] = double.CopySign(y[0] * p[0], y[1]) + y[2];\ndydt[1] = double.CopySign(1.5, y[0] - p[1]) * y[1] + double.CopySign(y[2], -2.0);\ndydt[2] = double.CopySign(Math.Sin(y[1]), p[2] - 1) * y[0];",
            ""
        },
        {
            "CopySignOfAPositiveSign_IsAbs",
            "dydt[0] = Math.CopySign(y[0] * p[0], 1.0) + y[2];\ndydt[1] = Math.CopySign(y[1] - p[1], 2.0) * y[0];\ndydt[2] = y[1];",
            "dydt[0] = Math.Abs(y[0] * p[0]) + y[2];\ndydt[1] = Math.Abs(y[1] - p[1]) * y[0];\ndydt[2] = y[1];",
            ""
        },
        {
            "GenericMathConstants",
            "dydt[0] = double.Pi * y[0] + double.E * p[0];\ndydt[1] = double.Tau * y[1] - Math.Tau * Math.Sin(y[2]);\ndydt[2] = Math.Cos(double.Pi * t) * y[2];",
            "dydt[0] = Math.PI * y[0] + Math.E * p[0];\ndydt[1] = 2 * Math.PI * y[1] - 6.283185307179586 * Math.Sin(y[2]);\ndydt[2] = Math.Cos(Math.PI * t) * y[2];",
            ""
        },
        {
            "StaticReadonlyFields",
            "dydt[0] = K * y[0] + Other.Gain * p[0];\ndydt[1] = Math.Sin(C.K * y[1]) - K * K * y[2];\ndydt[2] = (y[2] > 0 ? K : Other.Gain) * y[0];",
            "dydt[0] = 1.4142135623730951 * y[0] + 0.75 * p[0];\ndydt[1] = Math.Sin(1.4142135623730951 * y[1]) - 1.4142135623730951 * 1.4142135623730951 * y[2];\ndydt[2] = (y[2] > 0 ? 1.4142135623730951 : 0.75) * y[0];",
            "private static readonly double K = Math.Sqrt(2.0);"
        },
        {
            "StaticReadonlyFieldsStraightLine",
            "dydt[0] = K * y[0] + Other.Gain * p[0];\ndydt[1] = Math.Sin(C.K * y[1]) - K * K * y[2];\ndydt[2] = Other.Gain * y[0] * t;",
            "dydt[0] = 1.4142135623730951 * y[0] + 0.75 * p[0];\ndydt[1] = Math.Sin(1.4142135623730951 * y[1]) - 1.4142135623730951 * 1.4142135623730951 * y[2];\ndydt[2] = 0.75 * y[0] * t;",
            "private static readonly double K = Math.Sqrt(2.0);"
        },
        {
            "StaticReadonlyFieldsInLoops",
            "double s = 0;\nfor (int i = 0; i < 3; i++) s += K * y[i] * p[i];\nfor (int i = 0; i < y.Length; i++) dydt[i] = s * Other.Gain - y[i] * K;",
            "double s = 0;\nfor (int i = 0; i < 3; i++) s += 1.4142135623730951 * y[i] * p[i];\nfor (int i = 0; i < y.Length; i++) dydt[i] = s * 0.75 - y[i] * 1.4142135623730951;",
            "private static readonly double K = Math.Sqrt(2.0);"
        },
        {
            "CountDownLoops",
            "double s = 0;\nfor (int i = 2; i >= 0; i--) s += y[i] * p[i];\nfor (int i = y.Length - 1; i > -1; i -= 1) dydt[i] = s * y[i] - y[(i + 1) % 3];\nfor (int j = 2; j >= 1; --j) dydt[j] += y[j - 1];",
            "double s = 0;\nfor (int k = 0; k < 3; k++) { int i = 2 - k; s += y[i] * p[i]; }\nfor (int k = 0; k < y.Length; k++) { int i = y.Length - 1 - k; dydt[i] = s * y[i] - y[(i + 1) % 3]; }\nfor (int k = 0; k < 2; k++) { int j = 2 - k; dydt[j] += y[j - 1]; }",
            ""
        },
        {
            "CheckedAroundDoubleArithmetic",
            "dydt[0] = checked(y[0] * p[0] - y[1]);\nchecked { double a = y[1] * y[2]; dydt[1] = a + checked(p[1] * y[0]); }\ndydt[2] = unchecked(y[2] * 2) + checked(3 * 4) * y[0];",
            "dydt[0] = y[0] * p[0] - y[1];\n{ double a = y[1] * y[2]; dydt[1] = a + p[1] * y[0]; }\ndydt[2] = y[2] * 2 + 12 * y[0];",
            ""
        },
        {
            "ParenthesizedTargets",
            "double s = 0;\nfor (int i = 0; i < 3; i++) (s) += y[i] * p[i];\ndouble a = y[0];\nif (y[1] > 0) { (a) = y[1] * 2; } else { ((a)) -= p[0]; }\n(dydt[0]) = s * a;\n((dydt[1])) = y[2] - a;\n(dydt[2]) = s;\n(dydt[2]) += y[0];",
            "double s = 0;\nfor (int i = 0; i < 3; i++) s += y[i] * p[i];\ndouble a = y[0];\nif (y[1] > 0) { a = y[1] * 2; } else { a -= p[0]; }\ndydt[0] = s * a;\ndydt[1] = y[2] - a;\ndydt[2] = s;\ndydt[2] += y[0];",
            ""
        },
        {
            "IntLocalsAsNumbersStraightLine",
            "int k = 2;\nint n = y.Length;\ndydt[0] = (double)k * y[0] + n;\ndydt[1] = k * y[1] - (k + 1) * p[1];\ndydt[2] = y[2] * n - (double)(n + k) * p[2];",
            "dydt[0] = 2.0 * y[0] + 3.0;\ndydt[1] = 2.0 * y[1] - 3.0 * p[1];\ndydt[2] = y[2] * 3.0 - 5.0 * p[2];",
            ""
        },
        {
            "IdentityCasts",
            "double a = (double)y[0] * p[0];\ndydt[0] = (double)a + (double)(y[1] * 2);\ndydt[1] = Math.Sin((double)y[2]);\ndydt[2] = (double)p[1] - y[0];",
            "double a = y[0] * p[0];\ndydt[0] = a + (y[1] * 2);\ndydt[1] = Math.Sin(y[2]);\ndydt[2] = p[1] - y[0];",
            ""
        },
        {
            "IndexFromEnd",
            "dydt[0] = y[^1] * p[^3];\ndydt[^2] = y[^3] - p[^1];\ndydt[^1] = y[0] * y[^2];",
            "dydt[0] = y[2] * p[0];\ndydt[1] = y[0] - p[2];\ndydt[2] = y[0] * y[1];",
            ""
        },
        {
            "IndexFromEndInLoops",
            "double s = 0;\nfor (int i = 1; i <= 3; i++) s += y[^i] * p[^i];\nfor (int i = 0; i < y.Length; i++) dydt[i] = s * y[^(i + 1)] + p[^1];",
            "double s = 0;\nfor (int i = 1; i <= 3; i++) s += y[y.Length - i] * p[p.Length - i];\nfor (int i = 0; i < y.Length; i++) dydt[i] = s * y[y.Length - (i + 1)] + p[p.Length - 1];",
            ""
        },
    };

    [Theory]
    [MemberData(nameof(Equivalents))]
    public void Construct_IsGenerated_WithDerivativesRight_AndEqualsItsHandWrittenForm_BitForBit(string name, string body, string equivalent, string members)
    {
        SystemUnderTest s = LegalUserCodeTests.SingleSystem(Source("C", body, members));
        LegalUserCodeTests.AssertDerivativesRight(s);
        SecondOrderCheck.All((IOdeSystemSecondOrder)s.System, new Random(name.Length + 2), name);
        SystemUnderTest reference = LegalUserCodeTests.SingleSystem(Source("C", equivalent, members));
        AssertSameOutputs(reference.System, s.System, new Random(name.Length), Edges(name));
    }

    [Theory]
    [MemberData(nameof(Equivalents))]
    public void Construct_InFloat_EvaluatesAsTheUsersMethod_AndItsLanesEqualTheScalarMethods(string name, string body, string equivalent, string members)
    {
        _ = equivalent;
        Assembly assembly = LegalUserCodeTests.Generate(SingleSources.FromDouble(Source("C", body, members)));
        Type type = assembly.GetType("Users.Single.C+RhsSystem")!;
        var system = (IOdeLaneSystemSingle)Activator.CreateInstance(type)!;
        var user = type.DeclaringType!.GetMethod("Rhs")!.CreateDelegate<SingleDynamics>();
        var random = new Random(name.Length + 1);
        for (int sample = 0; sample < 8; sample++)
        {
            float t = (float)random.NextDouble();
            float[] y = Floats(random, 3, -0.9, 0.9), p = Floats(random, 3, 0.5, 1.5), yDot = Floats(random, 3, -1, 1), pDot = Floats(random, 3, -1, 1), a = Floats(random, 3, -1, 1);
            float[] expected = new float[3], actual = new float[3], f = new float[3], fDot = new float[3], yBar = new float[3], pBar = new float[3];
            user(t, y, p, expected);
            system.Evaluate(t, y, p, actual);
            system.Jvp(t, y, p, 0.25f, yDot, pDot, f, fDot);
            Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
            Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), f.Select(BitConverter.SingleToInt32Bits));
            float tBar = system.Vjp(t, y, p, a, yBar, pBar);
            double forward = a.Zip(fDot, (x, d) => (double)x * d).Sum();
            double reverse = (tBar * 0.25) + yBar.Zip(yDot, (x, d) => (double)x * d).Sum() + pBar.Zip(pDot, (x, d) => (double)x * d).Sum();
            Assert.True(Math.Abs(forward - reverse) <= 1e-5 * (1 + Math.Abs(forward)), $"{name}: <a, J v> = {forward} but <Jᵀa, v> = {reverse}");
        }

        Lanes<LaneSingle1>(system, random, name);
        Lanes<LaneSingle128>(system, random, name);
        Lanes<LaneSingle256>(system, random, name);
        Lanes<LaneSingle512>(system, random, name);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LongCountDownLoops_StayLoops_AndEqualTheUpCountingLoopWrittenByHand(bool vectorize)
    {
        // 40 trips are not unrolled: the loop, its reverse sweep (counting its step up) and, with VectorizeLoops, the
        // vectorized form run; an accumulation in the count-down order rounds as the user's method does.
        string attribute = $"[OdeDynamics(States = 40, Parameters = 40, SecondOrder = true, VectorizeLoops = {(vectorize ? "true" : "false")})]";
        string down = "double s = 0;\nfor (int i = y.Length - 1; i >= 0; i--) s += y[i] * p[i] / (1 + y[i] * y[i]) * (i + 1);\n"
            + "for (int i = 39; i > 0; --i) dydt[i] = s * y[i] - y[i - 1] * p[39 - i];\ndydt[0] = s;";
        string up = "double s = 0;\nfor (int k = 0; k < y.Length; k++) { int i = y.Length - 1 - k; s += y[i] * p[i] / (1 + y[i] * y[i]) * (i + 1); }\n"
            + "for (int k = 0; k < 39; k++) { int i = 39 - k; dydt[i] = s * y[i] - y[i - 1] * p[39 - i]; }\ndydt[0] = s;";
        SystemUnderTest s = LegalUserCodeTests.SingleSystem(LongSource(attribute, down));
        if (!vectorize)
        {
            // VectorizeLoops sums TLane.Count partial sums, so f is not the user's order to the bit (the up-counting loop's
            // neither); the comparison with that loop below holds it to the same code.
            LegalUserCodeTests.AssertDerivativesRight(s);
        }

        SecondOrderCheck.All((IOdeSystemSecondOrder)s.System, new Random(40), "count-down loops");
        SystemUnderTest reference = LegalUserCodeTests.SingleSystem(LongSource(attribute, up));
        AssertSameOutputs(reference.System, s.System, new Random(41), Array.Empty<double[]>());
    }

    [Theory]
    [InlineData("for (int i = 2; i >= 0; [|i++|]) dydt[i] = y[i];", "a loop that counts down must step by 'i--'")]
    [InlineData("for (int i = 2; i >= 0; [|i -= 2|]) dydt[i] = y[i];", "a loop that counts down must step by 'i--'")]
    [InlineData("for (int i = 0; i < 3; [|i--|]) dydt[i] = y[i];", "it must step by 'i++'")]
    [InlineData("for (int i = 2; [|0 <= i|]; i--) dydt[i] = y[i];", "counting down: 'i >= end' or 'i > end'")]
    public void LoopsThatAreNotCountedUpOrDownByOne_KeepODE0015(string body, string what)
    {
        string source = $$"""
            using OdeGen;
            public static partial class Sys
            {
                [OdeDynamics(States = 3, Parameters = 3)]
                public static void F(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
                {
                    {{body}}
                }
            }
            """;
        Assert.Contains(what, Parsing.DiagnosticTests.AssertDiagnostic("ODE0015", source).GetMessage(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dydt[0] = checked(y[[|i + 1|]] * 2.0);", "The int arithmetic 'i + 1' inside 'checked'")]
    [InlineData("checked { for (int i = 0; i < 3; [|i++|]) dydt[i] = y[i]; }", "The int arithmetic 'i++' inside 'checked'")]
    [InlineData("dydt[0] = unchecked(y[0] * ([|i + 1|]));", "The int arithmetic 'i + 1' inside 'unchecked'")]
    [InlineData("dydt[0] = y[[|^1|]];", "The index from the end '^1' into 'y' of a length not declared (declare it, [OdeDynamics(States = n)]")]
    public void IntArithmeticInCheckedContexts_AndIndicesFromTheEndOfUndeclaredLengths_GetODE0004(string body, string what)
    {
        string source = $$"""
            using OdeGen;
            public static partial class Sys
            {
                [OdeDynamics]
                public static void F(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
                {
                    int i = 0;
                    {{body}}
                }
            }
            """;
        Assert.StartsWith(what, Parsing.DiagnosticTests.AssertDiagnostic("ODE0004", source).GetMessage(), StringComparison.Ordinal);
    }

    private static string LongSource(string attribute, string body) => $$"""
        using OdeGen;
        namespace Users;
        public static partial class Long
        {
            {{attribute}}
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                {{body}}
            }
        }
        """;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DifferentiableFunctions_TakeTheConstructsToo(bool loops)
    {
        // A [Differentiable] function: x[^1] and y[^1] by the declared Inputs and Outputs (straight-line) or by the spans'
        // lengths (in loops), a field, CopySign, a count-down loop, checked double arithmetic.
        string body = loops
            ? "double s = 0;\nfor (int i = x.Length - 1; i > -1; --i) s += checked(x[i] * p[^1]) * Gain;\nfor (int i = 0; i < y.Length; i++) y[^(i + 1)] = Math.CopySign(s, x[i]) + double.Tau * x[^(i + 1)];"
            : "y[0] = Math.CopySign(x[^1] * p[0], x[0]) * Gain;\ny[^1] = checked(x[0] * x[^1]) + double.Pi * p[^1];";
        Assembly assembly = LegalUserCodeTests.Generate($$"""
            using OdeGen;
            namespace Users;
            public static partial class F
            {
                private static readonly double Gain = Math.Log(3.0);

                [Differentiable(Inputs = 3, Parameters = 2, Outputs = {{(loops ? 3 : 2)}}, SecondOrder = true)]
                public static void M(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
                {
                    {{body}}
                }
            }
            """);
        Type type = assembly.GetType("Users.F+MFunction")!;
        var g = (IDifferentiableLaneFunctionSecondOrder)Activator.CreateInstance(type)!;
        FunctionChecks.All(g, type.DeclaringType!.GetMethod("M")!.CreateDelegate<UserFunction>(), new Random(50), "F.M");
        FunctionChecks.LanesEqualScalar(g, new Random(51), "F.M");
        FunctionSecondOrderChecks.All(g, new Random(52), "F.M");
    }

    [Fact]
    public void ALocalNamedLikeTheCountDownLoopsStep_KeepsItsValue()
    {
        SystemUnderTest s = LegalUserCodeTests.SingleSystem(Source("C",
            "double iStep = y[0] * p[0];\nfor (int i = 2; i >= 0; i--) dydt[i] = iStep * y[i] + i;\nfor (int iStep_ = 0; iStep_ < 1; iStep_++) dydt[0] += iStep;", ""));
        LegalUserCodeTests.AssertDerivativesRight(s);
    }

    [Fact]
    public void CopySign_HasAbssSlopeAtPlusAndMinusZero_AndTheSignsSlopeIsZero()
    {
        // d/dx copysign(x, s) = copysign(1, x)·copysign(1, s): at x = ±0 the side the sign bit names, as Abs's rule.
        SystemUnderTest s = LegalUserCodeTests.SingleSystem(Source("C", "dydt[0] = Math.CopySign(y[0], y[1]);\ndydt[1] = Math.Abs(y[0]) * y[1];\ndydt[2] = p[0];", ""));
        foreach ((double x, double sign, double slope) in new[] { (0.0, 1.0, 1.0), (-0.0, 1.0, -1.0), (0.0, -1.0, -1.0), (-0.0, -3.0, 1.0), (-0.0, -0.0, 1.0), (2.0, 0.0, 1.0), (2.0, -0.0, -1.0) })
        {
            double[] f = new double[3], fDot = new double[3], p = new double[3], pDot = new double[3];
            s.System.Jvp(0, new[] { x, sign, 0 }, p, 0, new[] { 1.0, 0.0, 0.0 }, pDot, f, fDot);
            Assert.Equal(BitConverter.DoubleToInt64Bits(Math.CopySign(x, sign)), BitConverter.DoubleToInt64Bits(f[0]));
            Assert.Equal(slope, fDot[0]);
            Assert.Equal(Math.CopySign(1.0, x) * sign, fDot[1]);   // Abs's slope at the same x, times y[1]
            s.System.Jvp(0, new[] { x, sign, 0 }, p, 0, new[] { 0.0, 1.0, 0.0 }, pDot, f, fDot);
            Assert.Equal(0.0, fDot[0]);
            double[] yBar = new double[3];
            s.System.Vjp(0, new[] { x, sign, 0 }, p, new[] { 1.0, 0.0, 0.0 }, yBar, new double[3]);
            Assert.Equal(new[] { slope, 0.0, 0.0 }, yBar);
        }
    }

    [Fact]
    public void GenericCopySign_IsMathCopySign_ToTheBit_AtZerosNaNsAndInfinities()
    {
        // The claim that maps double.CopySign (float.CopySign) to Math.CopySign (MathF.CopySign): NaN payloads and signs kept.
        double[] edges = { double.NaN, -double.NaN, BitConverter.Int64BitsToDouble(0x7FF0_0000_0000_0123), 0.0, -0.0, 1.5, -1.5, double.PositiveInfinity, double.NegativeInfinity, double.Epsilon, -double.MaxValue };
        foreach (double x in edges)
        {
            foreach (double s in edges)
            {
                Assert.Equal(BitConverter.DoubleToInt64Bits(Math.CopySign(x, s)), BitConverter.DoubleToInt64Bits(double.CopySign(x, s)));
                Assert.Equal(BitConverter.SingleToInt32Bits(MathF.CopySign((float)x, (float)s)), BitConverter.SingleToInt32Bits(float.CopySign((float)x, (float)s)));
            }
        }
    }

    [Fact]
    public void CopySign_WarnsODE0010_AsAbsDoes()
    {
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(Source("C", "dydt[0] = Math.CopySign(y[0], p[0]);\ndydt[1] = double.CopySign(y[1], y[0]);", "")));
        Assert.Equal(new[] { "ODE0010", "ODE0010" }, GeneratorHarness.GeneratorDiagnostics(run).Select(d => d.Id));
        Assert.Contains("'Math.CopySign'", GeneratorHarness.GeneratorDiagnostics(run)[0].GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void GeneratedSource_MatchesSnapshot()
    {
        // Straight-line code (registers and lanes) with each construct: CopySign, the generic-math constants, fields.
        string source = Source("Snap", """
            dydt[0] = Math.CopySign(y[0] * p[0], y[1]) + double.Pi * K;
            dydt[1] = Other.Gain * double.CopySign(y[1], -1.0) - Math.Tau * y[2];
            dydt[2] = K * Math.Sin(y[2]) + double.E * t;
            """, "private static readonly double K = Math.Sqrt(2.0);");
        Compilation compilation = GeneratorHarness.Compile(source);
        GeneratorRun run = GeneratorHarness.Run(compilation);
        Assert.All(run.Result.Diagnostics, d => Assert.Equal("ODE0010", d.Id));
        Assert.Empty(GeneratorHarness.Errors(run.Output));
        Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Warning && !compilation.SyntaxTrees.Contains(d.Location.SourceTree)));
        string text = string.Join("\n", run.Sources.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"// ===== {s.Key} =====\n{s.Value}"));
        Assert.Contains("global::Users.Snap.K", text, StringComparison.Ordinal);
        Assert.Contains("TLane.Create(global::Users.Other.Gain)", text, StringComparison.Ordinal);
        Snapshot.Verify("OutsideUserConstructs", text);
        Incrementality.AssertAllStepsCached(run.Driver.RunGenerators(compilation.Clone()).GetRunResult());
    }

    [Fact]
    public void GeneratedIntNumbersAndIdentityCasts_MatchSnapshot()
    {
        // Straight-line code: int locals and a length used as numbers (an index input, written (double)(…) in every form)
        // and casts to double that change nothing (read as their operand).
        string source = Source("Ints", """
            int k = 2;
            int n = y.Length;
            dydt[0] = (double)k * y[0] + n;
            dydt[1] = k * y[1] - (double)(n + k) * p[1];
            dydt[2] = (double)y[2] * p[2];
            """, "");
        Compilation compilation = GeneratorHarness.Compile(source);
        GeneratorRun run = GeneratorHarness.Run(compilation);
        Assert.Empty(run.Result.Diagnostics);
        Assert.Empty(GeneratorHarness.Errors(run.Output));
        string text = string.Join("\n", run.Sources.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"// ===== {s.Key} =====\n{s.Value}"));
        Assert.Contains("(double)(y.Length)", text, StringComparison.Ordinal);
        Snapshot.Verify("OutsideUserConstructs.IntNumbers", text);
    }

    [Fact]
    public void GeneratedLoops_MatchSnapshot()
    {
        // A count-down loop (kept: 40 trips), an index from the end in a loop, checked double arithmetic, a field in a loop.
        string source = LongSource("[OdeDynamics(States = 40, Parameters = 40)]", """
            double s = 0;
            for (int i = y.Length - 1; i >= 0; i--) s += checked(y[i] * p[i]) * p[^(i + 1)] * Scale;
            checked { dydt[0] = s; }
            for (int i = 39; i > 0; i -= 1) dydt[i] = s * y[i] - y[^1] * Scale;
            """).Replace("public static partial class Long\n{", "public static partial class Long\n{\n    internal static readonly double Scale = 1.0 / 3.0;", StringComparison.Ordinal);
        Compilation compilation = GeneratorHarness.Compile(source);
        GeneratorRun run = GeneratorHarness.Run(compilation);
        Assert.Empty(run.Result.Diagnostics);
        Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning && !compilation.SyntaxTrees.Contains(d.Location.SourceTree)));
        string text = string.Join("\n", run.ScalarSources.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"// ===== {s.Key} =====\n{s.Value}"));
        Assert.Contains("for (int iStep = 0; iStep < y.Length; iStep++)", text, StringComparison.Ordinal);
        Snapshot.Verify("OutsideUserConstructs.Loops", text);
        Incrementality.AssertAllStepsCached(run.Driver.RunGenerators(compilation.Clone()).GetRunResult());
    }

    [Theory]
    [InlineData("dydt[0] = [|W[0]|] * y[0];", "An element of the array field 'W' (its elements can change at run time, unseen by the generator: pass them in p, or use const or static readonly double fields)")]
    [InlineData("dydt[0] = [|Mutable|] * y[0];", "The non-const field 'Mutable' (make it const or pass it in p)")]
    [InlineData("dydt[0] = Elsewhere.H(y[0]);", "The field 'Hidden', which the [OdeDynamics] method cannot see (make it internal, or pass it in an argument)")]
    [InlineData("dydt[0] = [|Local.Gain|] * y[0];", "The field 'Gain' of the file-local type 'Local', which the generated code, in a file of its own, cannot name (declare it in a type that is not 'file')")]
    public void FieldsThatAreNotRunTimeConstants_OrNotVisible_KeepODE0004(string body, string what)
    {
        string source = $$"""
            using OdeGen;
            public static partial class Sys
            {
                private static readonly double[] W = { 1.0, 2.0 };
                private static double Mutable = 3;

                [OdeDynamics]
                public static void F(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
                {
                    {{body}}
                }
            }

            file static class Local
            {
                public static readonly double Gain = 2;
            }

            public static class Elsewhere
            {
                private static readonly double Hidden = 2;

                [OdeDifferentiable]
                public static double H(double a) => a * [|Hidden|];
            }
            """;
        string message = Parsing.DiagnosticTests.AssertDiagnostic("ODE0004", body.Contains("[|", StringComparison.Ordinal) ? source.Replace("[|Hidden|]", "Hidden", StringComparison.Ordinal) : source).GetMessage();
        Assert.StartsWith(what, message, StringComparison.Ordinal);
    }

    /// <summary>Rhs of <paramref name="body"/> in the partial class <paramref name="type"/> with 3 states and 3 parameters (and second order); a class Other with a static readonly Gain.</summary>
    internal static string Source(string type, string body, string members) => $$"""
        using OdeGen;
        namespace Users;
        public static partial class {{type}}
        {
            [OdeDynamics(States = 3, Parameters = 3, SecondOrder = true)]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                {{body}}
            }

            {{members}}
        }

        public static class Other
        {
            public static readonly double Gain = 0.75;
        }
        """;

    /// <summary>Points where the construct's edge cases are (CopySign at ±0), besides random ones.</summary>
    private static double[][] Edges(string name) => name.StartsWith("CopySign", StringComparison.Ordinal)
        ? new[] { new[] { 0.0, -0.0, 0.5 }, new[] { -0.0, 0.0, -0.0 } }
        : Array.Empty<double[]>();

    /// <summary>Evaluate, Jvp, Vjp and Jacobian of <paramref name="actual"/> equal <paramref name="expected"/>'s bit for bit.</summary>
    internal static void AssertSameOutputs(IOdeSystem expected, IOdeSystem actual, Random random, IEnumerable<double[]> edges)
    {
        Assert.Equal((expected.StateCount, expected.ParameterCount), (actual.StateCount, actual.ParameterCount));
        int n = expected.StateCount, m = expected.ParameterCount;
        IEnumerable<double[]> states = Enumerable.Range(0, 10).Select(_ => Doubles(random, n, -0.9, 0.9)).Concat(edges);
        foreach (double[] y in states)
        {
            double t = random.NextDouble(), tDot = random.NextDouble() - 0.5;
            double[] p = Doubles(random, m, 0.5, 1.5), yDot = Doubles(random, n, -1, 1), pDot = Doubles(random, m, -1, 1), a = Doubles(random, n, -1, 1);
            double[][] want = Outputs(expected, t, y, p, tDot, yDot, pDot, a), got = Outputs(actual, t, y, p, tDot, yDot, pDot, a);
            for (int i = 0; i < want.Length; i++)
            {
                Assert.Equal(want[i].Select(BitConverter.DoubleToInt64Bits), got[i].Select(BitConverter.DoubleToInt64Bits));
            }
        }
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

    private static void Lanes<TLane>(IOdeLaneSystemSingle system, Random random, string what)
        where TLane : unmanaged, ILaneSingle<TLane>
    {
        var points = Enumerable.Range(0, TLane.Count).Select(_ => LanePointSingle.Random(random, system.StateCount, system.ParameterCount)).ToList();
        LaneComparisonSingle.AssertLanesMatchScalar<TLane>(system, points, (float)random.NextDouble(), (float)((2 * random.NextDouble()) - 1), what);
    }

    private static double[] Doubles(Random random, int length, double lo, double hi) =>
        Enumerable.Range(0, length).Select(_ => lo + ((hi - lo) * random.NextDouble())).ToArray();

    private static float[] Floats(Random random, int length, double lo, double hi) =>
        Doubles(random, length, lo, hi).Select(v => (float)v).ToArray();
}
