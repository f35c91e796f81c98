using System.Globalization;
using System.Reflection;
using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Functions;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Pipeline;

/// <summary>
/// Assignments as C# users write them beyond <c>x = e;</c>, the legal-C# fuzzer's most common refusals: chained and nested
/// assignments (<c>dydt[0] = v = e;</c>, <c>u = (w = e) * 0.5 + w;</c>), <c>++</c> and <c>--</c> on numbers, and, in
/// methods with loops or branches, an element of dydt or of a buffer read at the top of the method and written again
/// (<c>e = dydt[0]; dydt[0] = e * e;</c>, <c>dydt[1] *= …;</c>). Each accepted shape is generated with Evaluate the user's
/// method bit for bit, Jvp against central differences, Vjp by the dot-product identity, Hvp against differences of the
/// generated Vjp, and the lane methods equal to the scalar ones; the shapes whose value would be recomputed after it was
/// replaced, or whose assignment runs only sometimes, stay located diagnostics.
/// </summary>
public class AssignmentFormsTests
{
    /// <summary>Bodies of a 4-state, 3-parameter second-order Rhs.</summary>
    public static TheoryData<string, string> Accepted => new()
    {
        {
            "ChainedAssignments",
            "double v, w;\ndydt[0] = v = y[0] * p[0];\ndydt[1] = w = v * Math.Sin(y[1]);\n(dydt[2]) = (v) = w * y[2] + v;\ndydt[3] = v * w - t * y[3];"
        },
        {
            "AssignmentsInsideExpressions",
            "double w = 0, s = y[0];\ndouble u = (w = Math.Tanh(y[1] * p[1])) * 0.5 + w;\ndydt[0] = u * p[0] + (s *= p[2]) + s;\n"
            + "dydt[1] = Math.Sin(s -= y[2]) * (s += t);\ndydt[2] = (w /= 1.5 + y[3] * y[3]) * u;\ndydt[3] = w + s;"
        },
        {
            "IncrementsAsStatements",
            "double a = y[0] * p[0];\na++;\n--a;\n++a;\n(a)--;\na++;\ndydt[0] = a * y[1];\ndydt[1] = Math.Exp(y[1]) * p[1];\ndydt[1]++;\n--dydt[1];\n--dydt[1];\n"
            + "dydt[2] = y[2] * a;\n(dydt[2])++;\ndydt[3] = y[3] - t;"
        },
        {
            "IncrementsAsValues",
            "double a = y[0], b = y[1] * p[1];\ndouble c = a++ * p[0] + ++b;\ndouble d = --a * b-- + b;\ndydt[0] = a * c;\ndydt[1] = b * d;\ndydt[2] = c - d * y[2];\ndydt[3] = a + b + y[3];"
        },
        {
            "IncrementsInBranchesAndLoops",
            "double q = y[0] * p[0];\nif (y[1] > 0) q++; else { q--; q *= p[1]; }\ndouble acc = 0;\nfor (int i = 0; i < 4; i++) { acc += y[i] * p[i % 3]; acc++; }\n"
            + "dydt[0] = q * acc;\ndydt[1] = y[1] > 0.2 ? q : acc;\ndydt[1]++;\ndydt[2] = Math.Sin(q) + y[2];\ndydt[3] = acc * y[3];"
        },
        {
            "ReadThenReplacedAtTheTop",
            "dydt[0] = y[0] * p[0];\ndouble e = dydt[0];\ndydt[0] = e * e + Math.Sin(y[1]);\ndydt[1] = y[1] > 0 ? e : -e;\ndydt[1] += dydt[0] * p[1];\n"
            + "dydt[2] = Math.Tanh(y[2]) * p[2];\ndydt[2] *= dydt[1] + y[3];\ndydt[3] = dydt[2] - y[3];\ndydt[3] /= 1.5 + dydt[0] * dydt[0];\ndydt[0]++;"
        },
        {
            "LoopFilledThenRescaledAtTheTop",
            "Span<double> h = stackalloc double[4];\nfor (int i = 0; i < 4; i++) { h[i] = Math.Tanh(y[i] * p[i % 3]); dydt[i] = y[i] * p[(i + 1) % 3]; }\n"
            + "double first = h[0];\nh[0] = first * first - y[1];\nh[1] *= h[0];\nfor (int i = 0; i < 4; i++) dydt[i] += h[(i + 1) % 4] * p[0];\n"
            + "dydt[2] *= Math.Exp(-y[2] * y[2]);\ndydt[3] = dydt[3] * 2 + first++ + first;"
        },
    };

    [Theory]
    [MemberData(nameof(Accepted))]
    public void AcceptedShapes_AreGenerated_WithDerivativesRight(string name, string body)
    {
        SystemUnderTest s = LegalUserCodeTests.SingleSystem(Source("A" + name, body));
        LegalUserCodeTests.AssertDerivativesRight(s);
        SecondOrderCheck.All((IOdeSystemSecondOrder)s.System, new Random(name.Length), name);
    }

    [Fact]
    public void AFunction_WithChainedAssignmentsIncrementsAndAReplacedOutput_IsGenerated_WithDerivativesRight()
    {
        Assembly assembly = LegalUserCodeTests.Generate("""
            using OdeGen;
            namespace Users;
            public static partial class G
            {
                [Differentiable(Inputs = 3, Parameters = 2, Outputs = 3, SecondOrder = true)]
                public static void M(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
                {
                    double v;
                    y[0] = v = x[0] * p[0];
                    y[1] = x[1] > 0 ? v : x[1] * v;
                    double e = y[0];
                    y[0] = e * Math.Cos(x[2]);
                    y[0]++;
                    y[2] = v++ * p[1] + v;
                    y[2] *= x[2];
                }
            }
            """);
        Type type = assembly.GetType("Users.G+MFunction")!;
        var g = (IDifferentiableLaneFunctionSecondOrder)Activator.CreateInstance(type)!;
        FunctionChecks.All(g, type.DeclaringType!.GetMethod("M")!.CreateDelegate<UserFunction>(), new Random(70), "G.M");
        FunctionChecks.LanesEqualScalar(g, new Random(71), "G.M");
        FunctionSecondOrderChecks.All(g, new Random(72), "G.M");
    }

    [Theory]
    [InlineData("double w = 0;\ndydt[0] = y[0] > 0 ? ([|w = y[1]|]) : y[0];\ndydt[1] = w;", "ODE0004", "inside a side of '?:'")]
    [InlineData("double w = 0;\nif (([|w = y[1] * 2|]) > 0) { dydt[0] = w; }\ndydt[1] = y[1];", "ODE0004", "inside a condition")]
    [InlineData("dydt[0] = y[0];\nif (y[1] > 0) { double e = dydt[0]; [|dydt[0] = e * e|]; }\ndydt[1] = y[1];", "ODE0014", "'dydt[0]' was read before this write, which may replace that element, and the read is inside a branch, whose values the derivative computes again; read the element into a local before that branch")]
    [InlineData("for (int i = 0; i < 4; i++) dydt[i] = y[i];\ndouble e = 0;\nfor (int i = 0; i < 20; i++) { e += dydt[i % 4]; }\n[|dydt[1] = e|];", "ODE0014", "the read is inside a loop, whose values the derivative computes again; read the element into a local before that loop")]
    [InlineData("dydt[0] = y[0];\ndydt[1] = y[1];\nfor (int i = 0; i < 2; i++) { [|dydt[i] *= y[i]|]; }", "ODE0014", "inside a loop or a branch, '*=' and '/='")]
    [InlineData("dydt[0] = y[0];\ndydt[1] = y[1];\nif (y[0] > 0) { [|dydt[1] /= 2|]; }", "ODE0014", "inside a loop or a branch, '*=' and '/='")]
    [InlineData("double s = 0;\nfor (int i = 0; i < 20; i++) { dydt[i % 4] = [|s|]++ * y[i % 4]; }", "ODE0014", "read inside a loop that accumulates into it")]
    public void ShapesWhoseValueWouldBeLost_AreLocatedDiagnostics(string body, string code, string what)
    {
        Diagnostic d = Parsing.DiagnosticTests.AssertDiagnostic(code, Source("R", body));
        Assert.Contains(what, d.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Fact]
    public void GeneratedSource_MatchesSnapshot()
    {
        // A chained assignment, increments, and an output read at the top and then replaced, in a method with a branch.
        string source = Source("Snap", "double v;\ndydt[0] = v = y[0] * p[0];\ndouble e = dydt[0];\ndydt[0] = e * e - y[1];\ndydt[0]++;\n"
            + "dydt[1] = y[1] > 0 ? v : -v;\ndydt[1] *= p[1];\ndydt[2] = (v += y[2]) * v;\ndydt[3] = --v * y[3];")
            .Replace(", SecondOrder = true", string.Empty, StringComparison.Ordinal);
        Compilation compilation = GeneratorHarness.Compile(source);
        GeneratorRun run = GeneratorHarness.Run(compilation);
        Assert.All(run.Result.Diagnostics, d => Assert.Equal("ODE0016", d.Id));
        Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning && !compilation.SyntaxTrees.Contains(d.Location.SourceTree)));
        string text = string.Join("\n", run.ScalarSources.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"// ===== {s.Key} =====\n{s.Value}"));
        Snapshot.Verify("AssignmentForms", text);
        Incrementality.AssertAllStepsCached(run.Driver.RunGenerators(compilation.Clone()).GetRunResult());
    }

    private static string Source(string type, string body) => $$"""
        using OdeGen;
        namespace Users;
        public static partial class {{type}}
        {
            [OdeDynamics(States = 4, Parameters = 3, SecondOrder = true)]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                {{body}}
            }
        }
        """;
}
