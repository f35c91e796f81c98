using System.Globalization;
using System.Reflection;
using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Functions;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Pipeline;

/// <summary>
/// Loops that carry a local from one iteration to the next (<c>b = b * 0.5 + a</c> in a helper, a recurrence
/// <c>v = Math.Tanh(v * p[i] + y[i])</c>, Horner's <c>h = h * y[i] + p[i]</c>, a running sum read in its loop), the
/// legal-C# fuzzer's most common ODE0014 after the assignment forms. With constant bounds (the declared sizes count) of at
/// most 8 iterations the parser unrolls them, so each iteration's value is a value of its own that the reverse sweep keeps;
/// with more iterations or sizes known only at run time they stay ODE0014, whose message now says so. Checked as every
/// accepted construct is: Evaluate bit for bit, Jvp against central differences, Vjp by the dot-product identity, Hvp
/// against differences of Vjp, lanes against the scalar methods.
/// </summary>
public class CarriedLocalLoopTests
{
    private const string Helper = """
        [OdeDifferentiable]
        public static double H(double a)
        {
            double b = a;
            for (int k = 0; k < 2; k++) { b = b * 0.5 + Math.Sin(a); }
            return a < 0 ? -b : b;
        }
        """;

    public static TheoryData<string, string> Accepted => new()
    {
        { "HelperRecurrence", "dydt[0] = H(y[0]) * p[0];\ndydt[1] = H(y[1] * y[0]) + p[1];\ndydt[2] = y[2] - H(p[2]);\ndydt[3] = H(t) * y[3];" },
        {
            "RecurrentCellAndRunningSum",
            "double v = y[0];\nfor (int i = 0; i < y.Length; i++) { v = Math.Tanh(v * p[i % 3] + y[i]); }\n"
            + "double s = 0;\nfor (int i = 0; i < 4; i++) { s += y[i]; dydt[i] = s * p[i % 3] + v; }"
        },
        {
            "HornerCountingDownAndAProduct",
            "double h = 1, q = p[0];\nfor (int i = 3; i >= 0; i--) { h = h * y[i] + p[i % 3]; q *= 1 + 0.5 * Math.Sin(y[i]); }\n"
            + "for (int i = 0; i < 4; i++) dydt[i] = h * y[(i + 1) % 4] - q * t;"
        },
        {
            "CarriedThroughABranchAndABuffer",
            "Span<double> u = stackalloc double[4];\ndouble m = y[0];\nfor (int i = 0; i < 4; i++) { if (y[i] > m) m = y[i]; u[i] = m * p[(i + 2) % 3]; m = m * 0.9 + 0.1 * y[i]; }\n"
            + "for (int i = 0; i < 4; i++) dydt[i] = u[(i + 1) % 4] * y[i];"
        },
    };

    [Theory]
    [MemberData(nameof(Accepted))]
    public void LoopsCarryingALocal_WithFewConstantTrips_AreGenerated_WithDerivativesRight(string name, string body)
    {
        SystemUnderTest s = LegalUserCodeTests.SingleSystem(Source("L" + name, body, "States = 4, Parameters = 3, SecondOrder = true"));
        LegalUserCodeTests.AssertDerivativesRight(s);
        SecondOrderCheck.All((IOdeSystemSecondOrder)s.System, new Random(name.Length), name);
    }

    [Fact]
    public void AFunctionWithARecurrence_IsGenerated_WithDerivativesRight()
    {
        Assembly assembly = LegalUserCodeTests.Generate("""
            using OdeGen;
            namespace Users;
            public static partial class G
            {
                [Differentiable(Inputs = 3, Parameters = 3, Outputs = 2, SecondOrder = true)]
                public static void M(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
                {
                    double state = 0;
                    for (int i = 0; i < x.Length; i++) { state = Math.Tanh(p[i] * state + x[i]); y[i % 2] = state; }
                }
            }
            """);
        Type type = assembly.GetType("Users.G+MFunction")!;
        var g = (IDifferentiableLaneFunctionSecondOrder)Activator.CreateInstance(type)!;
        FunctionChecks.All(g, type.DeclaringType!.GetMethod("M")!.CreateDelegate<UserFunction>(), new Random(90), "G.M");
        FunctionChecks.LanesEqualScalar(g, new Random(91), "G.M");
        FunctionSecondOrderChecks.All(g, new Random(92), "G.M");
    }

    [Theory]
    [InlineData("double v = 0;\nfor (int i = 0; i < y.Length; i++) { [|v = Math.Tanh(v + y[i])|]; }\ndydt[0] = v;", "", "at most 8 iterations")]
    [InlineData("double v = 0;\nfor (int i = 0; i < 9; i++) { [|v = Math.Tanh(v + y[i % 4])|]; }\ndydt[0] = v;", "States = 4", "at most 8 iterations")]
    [InlineData("double s = 0;\nfor (int i = 0; i < y.Length; i++) { s += y[i]; dydt[i] = [|s|]; }", "", "read inside a loop that accumulates into it")]
    public void LoopsCarryingALocal_WithManyOrRunTimeTrips_KeepODE0014(string body, string sizes, string what)
    {
        Diagnostic d = Parsing.DiagnosticTests.AssertDiagnostic("ODE0014", Source("R", body, sizes));
        Assert.Contains(what, d.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Fact]
    public void GeneratedSource_MatchesSnapshot()
    {
        // Horner's rule counting down: each copy reads the previous copy's h, and the reverse sweep keeps them all.
        string source = Source("Snap", "double h = 1;\nfor (int i = 3; i >= 0; i--) { h = h * y[i] + p[i % 3]; }\nfor (int i = 0; i < 4; i++) dydt[i] = h * y[i];",
            "States = 4, Parameters = 3");
        Compilation compilation = GeneratorHarness.Compile(source);
        GeneratorRun run = GeneratorHarness.Run(compilation);
        Assert.Empty(run.Result.Diagnostics);
        Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning && !compilation.SyntaxTrees.Contains(d.Location.SourceTree)));
        string text = string.Join("\n", run.ScalarSources.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"// ===== {s.Key} =====\n{s.Value}"));
        Snapshot.Verify("CarriedLocalLoop", text);
        Incrementality.AssertAllStepsCached(run.Driver.RunGenerators(compilation.Clone()).GetRunResult());
    }

    private static string Source(string type, string body, string sizes) => $$"""
        using OdeGen;
        namespace Users;
        public static partial class {{type}}
        {
            [OdeDynamics({{sizes}})]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                {{body}}
            }

            {{Helper}}
        }
        """;
}
