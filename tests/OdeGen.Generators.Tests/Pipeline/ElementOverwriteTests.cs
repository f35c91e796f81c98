using System.Reflection;
using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Functions;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Pipeline;

/// <summary>
/// ODE0014 for buffers is decided per element: in a method with loops, a write to dydt (or a stackalloc buffer) after a
/// read of it is refused only when it may replace an element that was read, the value the reverse sweep recomputes from
/// (<c>dydt[0] = …; dydt[1] = 2 * dydt[0]; dydt[2] = …;</c> is legal; the parser used to refuse every write after the
/// first read). Accepted shapes are generated, with Evaluate the user's method bit for bit, Jvp against finite
/// differences, Vjp by the dot-product identity, Hvp against differences of Vjp and lanes against the scalar methods;
/// writes that may replace a read element, or whose index cannot be told apart from a read one's, stay ODE0014.
/// </summary>
public class ElementOverwriteTests
{
    /// <summary>Bodies of an 8-state, 3-parameter second-order Rhs that read dydt (or a buffer) and then write other elements of it.</summary>
    public static TheoryData<string, string> Accepted => new()
    {
        {
            "ConstantElementsAfterARead",
            "for (int i = 2; i < 8; i++) dydt[i] = Math.Sin(y[i]) * p[0];\ndydt[0] = y[0] * p[1] - y[7];\ndydt[1] = 2 * dydt[0] + dydt[5] * y[1];\ndydt[7] += dydt[1] * y[0];"
        },
        {
            "LoopWritesPastTheReadElements",
            "dydt[0] = y[0] * y[1] - p[0];\ndydt[1] = 2 * dydt[0];\ndydt[2] = Math.Exp(-y[2]) * dydt[1];\nfor (int i = 3; i < 8; i++) dydt[i] = y[i] * dydt[2] - p[1] * y[i - 1];"
        },
        {
            "CountDownLoopBelowTheReadElement",
            "dydt[7] = y[7] * p[2];\nfor (int i = 6; i >= 0; i--) dydt[i] = Math.Tanh(y[i] + dydt[7]) * p[i % 3];"
        },
        {
            "RunTimeBoundsAroundTheReadElements",
            "dydt[0] = y[0] * p[0];\ndydt[y.Length - 1] = Math.Sin(y[y.Length - 1]) * p[1];\nfor (int i = 1; i < dydt.Length - 1; i++) dydt[i] = dydt[0] * y[i] - dydt[y.Length - 1] * y[i - 1];"
        },
        {
            "BranchesAfterTheRead",
            "for (int i = 0; i < 6; i++) dydt[i] = y[i] * y[i + 1] * p[0];\nif (dydt[0] > 0) { dydt[6] = dydt[0] * p[1]; } else { dydt[6] = -dydt[1]; }\ndydt[7] = dydt[6] + y[7];"
        },
        {
            "NestedLoopsThenAFarRange",
            "for (int i = 0; i < 2; i++) { for (int j = 0; j < 3; j++) { dydt[i * 3 + j] = y[i * 3 + j] * p[j]; } }\nfor (int k = 6; k < 8; k++) dydt[k] = dydt[k - 6] * dydt[k - 3] + y[k];"
        },
        {
            "StackallocBufferReadThenExtended",
            "Span<double> h = stackalloc double[8];\nh[0] = y[0] * p[0];\nh[1] = Math.Tanh(h[0]) + y[1];\nfor (int i = 2; i < 8; i++) h[i] = h[1] * y[i] - h[0];\nfor (int i = 0; i < 8; i++) dydt[i] = h[i] * p[1];"
        },
        // A read at the top of the method is kept by the reverse sweep as a value, so the element it read may be replaced.
        {
            "ReplacedAfterATopLevelRead",
            "for (int i = 2; i < 8; i++) dydt[i] = y[i];\ndydt[0] = y[0];\ndydt[1] = dydt[0];\ndydt[0] = y[1] * p[0];"
        },
        {
            "AddedToAfterATopLevelRead",
            "for (int i = 2; i < 8; i++) dydt[i] = Math.Sin(y[i]);\ndydt[0] = y[0] * p[1];\ndouble e = dydt[0];\ndydt[0] += e * e;"
        },
        {
            "LoopReplacesATopLevelRead",
            "dydt[0] = y[0] * p[0];\ndouble e = dydt[0];\nfor (int i = 0; i < 8; i++) { dydt[i] = y[i] * e; }"
        },
        {
            "LoopAddsToEveryElementAfterATopLevelRead",
            "for (int i = 0; i < 8; i++) dydt[i] = y[i] * p[i % 3];\ndouble e = dydt[7];\nfor (int i = 0; i < y.Length; i++) { dydt[i] += e * y[i]; }"
        },
        {
            "UnboundedIndexAfterATopLevelRead",
            "dydt[0] = y[0];\ndouble e = dydt[0];\nfor (int i = 1; i < 8; i++) { dydt[i % 8] = y[i] * e; }"
        },
        {
            "EveryOtherElementAfterATopLevelRead",
            "for (int i = 0; i < 8; i++) dydt[i] = Math.Tanh(y[i]);\ndouble s = dydt[3];\nfor (int i = 0; i < 4; i++) { dydt[2 * i] = s * p[2]; }"
        },
        {
            "AddToAnotherElementAfterARead",
            "for (int i = 0; i < 8; i++) { dydt[i] = y[i] * p[i % 3]; }\ndouble e = dydt[0];\ndydt[1] += e * e;"
        },
    };

    [Theory]
    [MemberData(nameof(Accepted))]
    public void WritesThatMissEveryReadElement_AreGenerated_WithDerivativesRight(string name, string body)
    {
        SystemUnderTest s = LegalUserCodeTests.SingleSystem(Source("W", body));
        AssertEvaluateIsTheUsersMethod(s, new Random(name.Length));
        LegalUserCodeTests.AssertDerivativesRight(s);
        SecondOrderCheck.All((IOdeSystemSecondOrder)s.System, new Random(name.Length + 1), name);
        AugmentedCheck.EvaluateVjp((IOdeAugmentedLaneSystem)s.System, new Random(name.Length + 2), name);
        AugmentedCheck.DivergencePairs((IOdeAugmentedLaneSystemSecondOrder)s.System, new Random(name.Length + 3), name);
    }

    [Fact]
    public void AFunctionsOutput_ReadThenWrittenElsewhere_IsGenerated_WithDerivativesRight()
    {
        Assembly assembly = LegalUserCodeTests.Generate("""
            using OdeGen;
            namespace Users;
            public static partial class G
            {
                [Differentiable(Inputs = 6, Parameters = 2, Outputs = 6, SecondOrder = true)]
                public static void M(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
                {
                    y[0] = x[0] * p[0];
                    y[1] = 2 * y[0] + Math.Sin(x[1]);
                    for (int i = 2; i < 6; i++) y[i] = y[1] * x[i] - p[1] * y[0];
                }
            }
            """);
        Type type = assembly.GetType("Users.G+MFunction")!;
        var g = (IDifferentiableLaneFunctionSecondOrder)Activator.CreateInstance(type)!;
        FunctionChecks.All(g, type.DeclaringType!.GetMethod("M")!.CreateDelegate<UserFunction>(), new Random(60), "G.M");
        FunctionChecks.LanesEqualScalar(g, new Random(61), "G.M");
        FunctionSecondOrderChecks.All(g, new Random(62), "G.M");
    }

    [Theory]
    [InlineData("for (int i = 2; i < 8; i++) dydt[i] = y[i];\ndydt[0] = y[0];\nif (t > 0.5) { dydt[1] = dydt[0]; }\n[|dydt[0] = y[1]|];", "'dydt[0]' was read before this write")]
    [InlineData("for (int i = 2; i < 8; i++) dydt[i] = y[i];\ndydt[0] = y[0];\ndouble e = 0;\nfor (int k = 0; k < 1; k++) { e += dydt[0]; }\n[|dydt[0] += e|];", "'dydt[0]' was read before this write")]
    [InlineData("dydt[0] = y[0] * p[0];\ndouble e = 0;\nfor (int k = 0; k < 2; k++) e += dydt[0] * y[k];\nfor (int i = 0; i < 8; i++) { [|dydt[i] = y[i] * e|]; }", "'dydt[0]' was read before this write")]
    [InlineData("for (int i = 0; i < 8; i++) dydt[i] = y[i];\ndouble e = 0;\nfor (int k = 6; k < 8; k++) e += dydt[k];\nfor (int i = 0; i < y.Length; i++) { [|dydt[i] += e|]; }", "'dydt[k]' was read before this write")]
    [InlineData("dydt[0] = y[0];\ndouble e = 0;\nif (y[1] > 0) e = dydt[0];\nfor (int i = 1; i < 8; i++) { [|dydt[i % 8] = y[i] * e|]; }", "'dydt[0]' was read before this write")]
    [InlineData("for (int i = 0; i < 4; i++) dydt[i] = y[i];\nfor (int i = 4; i < y.Length; i++) { [|dydt[i] = dydt[i - 4] * p[0]|]; }", "'dydt[i - 4]' was read before this write")]
    [InlineData("for (int i = 0; i < 8; i++) dydt[i] = y[i];\ndouble s = 0;\nif (y[0] > 0) s = dydt[3];\nfor (int i = 0; i < 4; i++) { [|dydt[2 * i] = s|]; }", "'dydt[3]' was read before this write")]
    [InlineData("Span<double> h = stackalloc double[8];\nfor (int i = 0; i < 8; i++) { h[i] = y[i]; dydt[i] = [|h[7 - i]|]; }", "a loop that writes 'h[i]' also reads it here")]
    public void WritesThatMayReplaceAReadElement_KeepODE0014(string body, string what)
    {
        // Each is a value the reverse sweep would recompute (a read inside a loop or a branch) from an element written after it
        // was read, or an index the analysis cannot bound apart from a read one (i % 8 for i ≥ 1 never is 0, nor 2 * i ever 3:
        // it does not look that closely). The same writes after a read at the top of the method are accepted (above).
        Diagnostic d = Parsing.DiagnosticTests.AssertDiagnostic("ODE0014", Source("R", body));
        Assert.Contains(what, d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void GeneratedSource_MatchesSnapshot()
    {
        // An element read to compute the next, then a loop over the elements never read; first order (the second-order file
        // is printed from the same IR, and the tests above run it).
        string source = Source("Snap", "dydt[0] = y[0] * p[0];\ndydt[1] = 2 * dydt[0] - y[1];\nfor (int i = 2; i < 8; i++) dydt[i] = dydt[1] * y[i] + Math.Sin(y[i - 1]);")
            .Replace(", SecondOrder = true", string.Empty, StringComparison.Ordinal);
        Compilation compilation = GeneratorHarness.Compile(source);
        GeneratorRun run = GeneratorHarness.Run(compilation);
        Assert.Empty(run.Result.Diagnostics);
        Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning && !compilation.SyntaxTrees.Contains(d.Location.SourceTree)));
        string text = string.Join("\n", run.ScalarSources.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"// ===== {s.Key} =====\n{s.Value}"));
        Snapshot.Verify("ElementOverwrite", text);
        Incrementality.AssertAllStepsCached(run.Driver.RunGenerators(compilation.Clone()).GetRunResult());
    }

    /// <summary>Evaluate writes what the user's method writes, bit for bit, at random points.</summary>
    private static void AssertEvaluateIsTheUsersMethod(SystemUnderTest s, Random random)
    {
        int n = s.System.StateCount, m = s.System.ParameterCount;
        for (int sample = 0; sample < 6; sample++)
        {
            double t = random.NextDouble();
            double[] y = Enumerable.Range(0, n).Select(_ => (1.8 * random.NextDouble()) - 0.9).ToArray();
            double[] p = Enumerable.Range(0, m).Select(_ => 0.5 + random.NextDouble()).ToArray();
            double[] expected = new double[n], actual = new double[n];
            s.User(t, y, p, expected);
            s.System.Evaluate(t, y, p, actual);
            Assert.Equal(expected.Select(BitConverter.DoubleToInt64Bits), actual.Select(BitConverter.DoubleToInt64Bits));
        }
    }

    private static string Source(string type, string body) => $$"""
        using OdeGen;
        namespace Users;
        public static partial class {{type}}
        {
            [OdeDynamics(States = 8, Parameters = 3, SecondOrder = true)]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                {{body}}
            }
        }
        """;
}
