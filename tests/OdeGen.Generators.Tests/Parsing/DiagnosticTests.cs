using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using OdeGen.Generators.Model;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Parsing;

/// <summary>
/// One test per diagnostic: a bad method whose offending syntax is marked [| |] must produce the
/// code exactly on that span, and (for errors) no generated struct.
/// </summary>
public class DiagnosticTests
{
    private const string Signature = "(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)";

    [Theory]
    [InlineData("public static [|double|] F" + Signature + " { dydt[0] = y[0]; return 0; }")]
    [InlineData("public void [|F|]" + Signature + " { dydt[0] = y[0]; }")]
    [InlineData("public static void F(double t, [|Span<double> y|], ReadOnlySpan<double> p, Span<double> dydt) { dydt[0] = y[0]; }")]
    [InlineData("public static void F(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, [|ReadOnlySpan<double> dydt|]) { }")]
    [InlineData("public static void F[|(double t, ReadOnlySpan<double> y)|] { }")]
    [InlineData("public static void F[|<T>|]" + Signature + " { dydt[0] = y[0]; }")]
    public void ODE0001_InvalidSignature(string member) => AssertDiagnostic("ODE0001", InType(member));

    [Fact]
    public void ODE0001_NamesTheWrongParameter()
    {
        Diagnostic d = AssertDiagnostic("ODE0001", InType("public static void F(double t, ReadOnlySpan<double> y, [|float p|], Span<double> dydt) { }"));
        Assert.Contains("parameter 'p' of type 'float'", d.GetMessage());
        Assert.Contains("the parameters p", d.GetMessage());
    }

    [Fact]
    public void ODE0002_ContainingTypeNotPartial() => AssertDiagnostic("ODE0002", """
        using OdeGen;
        public static class [|Sys|]
        {
            [OdeDynamics]
            public static void F(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = y[0];
        }
        """);

    [Fact]
    public void ODE0002_OuterTypeNotPartial() => AssertDiagnostic("ODE0002", """
        using OdeGen;
        namespace N;
        public class [|Outer|]
        {
            public static partial class Inner
            {
                [OdeDynamics]
                public static void F(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = y[0];
            }
        }
        """);

    [Theory]
    [InlineData("[|while|] (y[0] > 0) { dydt[0] = 1; }")]
    [InlineData("dydt[0] = 1; [|return|];\n        dydt[1] = 2;")]
    [InlineData("[|try|] { dydt[0] = y[0]; } finally { }")]
    [InlineData("[|foreach|] (double v in y) { dydt[0] = v; }")]
    [InlineData("dydt[0] = y[0]; [|Math|].Sin(y[0]);")]
    public void ODE0003_UnsupportedStatement(string body) => AssertDiagnostic("ODE0003", InMethod(body));

    [Theory]
    [InlineData("[|string|] s = \"x\"; dydt[0] = y[0];")]
    [InlineData("dydt[0] = [|(long)y.Length|];")]
    [InlineData("dydt[0] = [|Field|];")]
    [InlineData("double a = 0; a [|%=|] 2; dydt[0] = a;")]
    [InlineData("double a = 0; dydt[0] = y[0] > 0 ? ([|a = 2|]) : 1.0;")]
    [InlineData("dydt[0] = [|(double)(float)y[0]|];")]
    public void ODE0004_UnsupportedExpression(string body) => AssertDiagnostic("ODE0004", InMethod(body));

    [Fact]
    public void ODE0004_SaysWhatToDoForNonConstFields()
    {
        Diagnostic d = AssertDiagnostic("ODE0004", InMethod("dydt[0] = [|Field|] * y[0];"));
        Assert.Contains("make it const or pass it in p", d.GetMessage());
    }

    [Theory]
    [InlineData("[|Console.WriteLine(y[0])|]; dydt[0] = 1;")]
    [InlineData("dydt[0] = [|Helper(y[0])|];")]
    [InlineData("dydt[0] = [|Math.Round(y[0])|];")]
    [InlineData("dydt[0] = [|MathF.Sin(1f)|] * y[0];")]
    public void ODE0005_UnsupportedCall(string body) =>
        Assert.Contains("or use the System.Math functions on double: Sin,", AssertDiagnostic("ODE0005", InMethod(body)).GetMessage(), StringComparison.Ordinal);

    [Theory]
    [InlineData("dydt[0] = y[[|Index|]];")]
    [InlineData("dydt[[|Index|]] = y[0];")]
    [InlineData("dydt[0] = y[[|^Index|]];")]   // ^1 with States undeclared is ODE0004 (OutsideUserConstructsTests)
    public void ODE0006_NonConstantIndex(string body) => AssertDiagnostic("ODE0006", InMethod(body));

    [Theory]
    [InlineData("[|y[0]|] = 1; dydt[0] = y[0];")]
    [InlineData("[|p[1]|] += 1; dydt[0] = y[0];")]
    [InlineData("[|t|] = 2; dydt[0] = t;")]
    public void ODE0007_WriteToInput(string body) => AssertDiagnostic("ODE0007", InMethod(body));

    [Fact]
    public void ODE0008_IndexBeyondDeclaredStates() =>
        AssertDiagnostic("ODE0008", InMethod("dydt[0] = y[0]; dydt[[|2|]] = y[1];", attribute: "[OdeDynamics(States = 2)]"));

    [Fact]
    public void ODE0008_IndexBeyondDeclaredParameters() =>
        AssertDiagnostic("ODE0008", InMethod("dydt[0] = p[0] * p[[|1|]];", attribute: "[OdeDynamics(Parameters = 1)]"));

    [Fact]
    public void ODE0008_NegativeIndex() => AssertDiagnostic("ODE0008", InMethod("dydt[0] = y[[|-1|]];"));

    [Theory]
    [InlineData("dydt[1] = y[0]; dydt[0] = [|dydt[2]|];")]
    [InlineData("[|dydt[0]|] += y[0];")]
    [InlineData("double a; dydt[0] = [|a|];")]
    public void ODE0009_ReadBeforeWrite(string body) => AssertDiagnostic("ODE0009", InMethod(body));

    [Theory]
    [InlineData("[|var (a, b)|] = (y[0], y[1]); dydt[0] = a * b; dydt[1] = a + p[0];")]
    [InlineData("double a = y[0], b = y[1]; [|(a, b)|] = (b, a); dydt[0] = a * b; dydt[1] = a + p[0];")]
    [InlineData("double a; if (([|a = y[0] * p[0]|]) > 1) { } dydt[1] = 2 * a;")]
    [InlineData("double a; dydt[0] = 1; if (!(([|a = y[0]|]) < 0)) { dydt[0] = 2; } dydt[1] = a * a;")]
    [InlineData("[|float|] f = (float)y[0]; dydt[0] = f * p[0]; dydt[1] = f;")]
    [InlineData("[|ref double|] a = ref dydt[0]; a = y[0] * p[0]; dydt[1] = a;")]
    [InlineData("double s = 0; [|var (a, b)|] = (y[0], y[1]); for (int i = 0; i < 2; i++) { a += y[i]; s += a; } dydt[0] = s; dydt[1] = b;")]
    public void ODE0004_OnALocal_IsTheOnlyDiagnostic_NotFollowedByODE0009AtItsReads(string body)
    {
        // As found: the first diagnostic was followed by ODE0009 ("read before it is assigned") at every read of the locals it
        // declared or assigned, or by another ODE0004 at each use of a local of a refused type.
        string source = InMethod(body);
        AssertDiagnostic("ODE0004", source);
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(source.Replace("[|", "").Replace("|]", "")));
        Assert.Single(run.Result.Diagnostics);
    }

    [Theory]
    [InlineData("ODE0017", "static double H(double a) => [|P(a, 3)|];\n[OdeDifferentiable] static double P(double a, int n) => a * n;")]
    [InlineData("ODE0017", "static double [|H|](double a) { if (a > 0) return a; return -a; }")]
    [InlineData("ODE0010", "static double H(double a) => [|Math.Abs(a)|] * a;")]
    public void ADiagnosticInAHelperCalledThreeTimes_IsReportedOnce(string id, string helper)
    {
        // As found: the helper is inlined at each call, and what its body reported was repeated per call, at the same place.
        string source = $$"""
            using OdeGen;
            public static partial class Sys
            {
                [OdeDynamics]
                public static void F{{Signature}}
                {
                    dydt[0] = H(y[0]) * p[0];
                    dydt[1] = H(y[1]);
                    dydt[2] = H(y[2] * y[0]);
                }

                [OdeDifferentiable]
                {{helper}}
            }
            """;
        AssertDiagnostic(id, source, expectCode: id == "ODE0010");
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(source.Replace("[|", "").Replace("|]", "")));
        Assert.Single(run.Result.Diagnostics);
    }

    [Theory]
    [InlineData("[|double|] Sq(double v) => v * v; dydt[0] = Sq(y[0]) * p[0]; dydt[1] = Sq(y[1]);")]
    [InlineData("[|static|] double Sq(double v) => v * v; for (int i = 0; i < 2; i++) dydt[i] = Sq(y[i]);")]
    [InlineData("dydt[0] = Sq(y[0]); dydt[1] = y[1]; [|double|] Sq(double v) { return v * v; }")]
    public void ODE0003_LocalFunction_IsTheOnlyDiagnostic_NotFollowedByODE0005AtItsCalls(string body)
    {
        // As found: each call of the refused local function added ODE0005, whose advice (mark the helper [OdeDifferentiable])
        // does not apply to a local function.
        string source = InMethod(body);
        AssertDiagnostic("ODE0003", source);
        Assert.Single(GeneratorHarness.Run(GeneratorHarness.Compile(source.Replace("[|", "").Replace("|]", ""))).Result.Diagnostics);
    }

    [Theory]
    [InlineData("[|ref readonly double|] a = ref y[0]; dydt[0] = a * p[0];", "The 'ref readonly' local 'a'")]
    [InlineData("[|ref double|] a = ref dydt[0]; a = y[0] * p[0];", "The 'ref' local 'a'")]
    public void ODE0004_RefLocal_SaysItIsAReference(string body, string expected)
    {
        // As found: the message was "A local of type 'double' is not supported", of a double local.
        Diagnostic d = AssertDiagnostic("ODE0004", InMethod(body));
        Assert.Contains(expected, d.GetMessage());
        Assert.Contains("declare a plain 'double' local holding a copy of the value", d.GetMessage());
        Assert.DoesNotContain("A local of type", d.GetMessage());
    }

    [Theory]
    [InlineData("dydt[0] = [|Math.Abs(y[0])|];")]
    [InlineData("dydt[0] = [|Math.Min(y[0], p[0])|];")]
    [InlineData("dydt[0] = [|Math.Max(y[0], 1)|];")]
    [InlineData("dydt[0] = [|Math.Clamp(y[0], -1, p[0])|];")]
    [InlineData("dydt[0] = [|Math.Sign(y[0])|] * y[1];")]
    public void ODE0010_NonSmoothFunction_WarnsButGenerates(string body)
    {
        Diagnostic d = AssertDiagnostic("ODE0010", InMethod(body), expectCode: true);
        Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
        Assert.EndsWith("uses one side's slope, and adjoint gradients assume f is smooth", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void ODE0011_InternalError_IsReportedInsteadOfThrown()
    {
        Result<string> result = OdeDynamicsGenerator.Guarded<string>("Rhs", () => throw new InvalidOperationException("boom"));
        Assert.Null(result.Value);
        Diagnostic d = Assert.Single(result.Diagnostics).ToDiagnostic();
        Assert.Equal("ODE0011", d.Id);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Contains("'Rhs'", d.GetMessage());
        Assert.Contains("InvalidOperationException: boom", d.GetMessage());
    }

    [Fact]
    public void ODE0012_GeneratedNameAlreadyUsed() => AssertDiagnostic("ODE0012", """
        using OdeGen;
        public static partial class Sys
        {
            public const int FSystem = 3;

            [OdeDynamics]
            public static void [|F|](double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = y[0];
        }
        """);

    [Fact]
    public void ODE0012_TwoMarkedOverloadsWouldShareAStruct()
    {
        string source = """
            using OdeGen;
            public static partial class Sys
            {
                [OdeDynamics]
                public static void F(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = y[0];

                [OdeDynamics]
                public static void F(float t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = y[0];
            }
            """;
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(source));
        Assert.Equal(2, run.Result.Diagnostics.Count(d => d.Id == "ODE0012"));
        Assert.Empty(run.Sources);
    }

    [Theory]
    [InlineData("[OdeDynamics([|States = 5000|])]")]
    [InlineData("[OdeDynamics(States = 3, [|Parameters = -1|])]")]
    public void ODE0013_UnsupportedSize(string attribute) => AssertDiagnostic("ODE0013", InMethod("dydt[0] = y[0];", attribute));

    [Fact]
    public void ODE0008_InferredSizeBeyondTheSupportedMaximum() => AssertDiagnostic("ODE0008", InMethod("dydt[0] = y[[|1000|]];"));

    [Theory]
    [InlineData("double s = 0; for (int i = 0; i < 20; i++) { s += y[i % 3]; dydt[i % 3] = [|s|]; }")]
    [InlineData("double s = 0; for (int i = 0; i < 20; i++) { [|s = y[i % 3]|]; } dydt[0] = s;")]
    [InlineData("double s = 1; for (int i = 0; i < 20; i++) { [|s *= y[i % 3]|]; } dydt[0] = s;")]
    [InlineData("Span<double> h = stackalloc double[3]; for (int i = 0; i < 3; i++) { h[i] = y[i]; } for (int i = 0; i < 3; i++) { [|h[i] = Math.Tanh(h[i])|]; dydt[i] = h[i]; }")]
    [InlineData("Span<double> h = stackalloc double[3]; for (int i = 0; i < 3; i++) { h[i] = y[i]; dydt[i] = [|h[i]|]; }")]
    [InlineData("Span<double> h = stackalloc double[3]; for (int i = 0; i < 3; i++) { h[i] = y[i]; } for (int i = 0; i < 3; i++) { [|h[i] *= 2|]; } dydt[0] = h[0];")]
    [InlineData("for (int i = 0; i < 3; i++) { dydt[i] = y[i]; } if (y[1] > 0) { double e = dydt[0]; [|dydt[0] += e|]; }")]
    public void ODE0014_OverwrittenValue(string body) => AssertDiagnostic("ODE0014", InMethod(body, "[OdeDynamics(States = 3, Parameters = 3)]"));

    [Theory]
    [InlineData("for (int i = 0; i < [|(int)y[0]|]; i++) { dydt[i] = y[i]; }")]
    [InlineData("for (int i = [|(int)p[0]|]; i < 3; i++) { dydt[i] = y[i]; }")]
    [InlineData("for (int i = 0; [|i != 3|]; i++) { dydt[i] = y[i]; }")]
    [InlineData("for (int i = 0; i < 3; [|i += 2|]) { dydt[i] = y[i]; }")]
    [InlineData("for ([|double x = 0|]; x < 3; x++) { dydt[0] = y[0]; }")]
    [InlineData("int k = 0; [|for|] (; k < 3; k++) { dydt[0] = y[0]; }")]
    public void ODE0015_UnsupportedLoop(string body) => AssertDiagnostic("ODE0015", InMethod(body, "[OdeDynamics(States = 3, Parameters = 3)]"));

    [Theory]
    [InlineData("for (int i = 0; i < 3; i++) { dydt[i] = y[[|Index + i|]]; }")]
    [InlineData("Span<double> h = stackalloc double[3]; for (int i = 0; i < 3; i++) { h[[|(int)y[0]|]] = 1; } dydt[0] = h[0];")]
    public void ODE0006_IndexInLoopIsNotAnIndexExpression(string body) => AssertDiagnostic("ODE0006", InMethod(body, "[OdeDynamics(States = 3, Parameters = 3)]"));

    [Theory]
    [InlineData("for (int i = 0; i < 3; i++) { Span<double> h = [|stackalloc double[3]|]; h[0] = y[i]; dydt[i] = h[0]; }")]
    [InlineData("Span<double> h = [|stackalloc double[] { 1, 2 }|]; for (int i = 0; i < 2; i++) { dydt[i] = h[i]; }")]
    [InlineData("int n = [|(int)y[0]|]; for (int i = 0; i < 3; i++) { dydt[i] = y[i]; }")]
    [InlineData("for (int i = 0; i < 3; i++) { dydt[i] = [|(long)i|] * y[i]; }")]
    [InlineData("for (int i = 0; i < 3; i++) { [|i|] = 2; dydt[i] = y[i]; }")]
    public void ODE0004_UnsupportedInLoops(string body) => AssertDiagnostic("ODE0004", InMethod(body, "[OdeDynamics(States = 3, Parameters = 3)]"));

    [Theory]
    [InlineData("if ([|y[0] > p[0]|]) dydt[0] = y[0]; else dydt[0] = 0;")]
    [InlineData("dydt[0] = [|y[0] > 0|] ? y[0] : 0.0;")]
    [InlineData("for (int i = 0; i < 3; i++) { if (i == 1 && [|y[i] <= 0|]) dydt[i] = 1; }")]
    public void ODE0016_BranchOnADifferentiatedValue_WarnsButGenerates(string body)
    {
        AssertDiagnostic("ODE0016", InMethod(body, "[OdeDynamics(States = 3, Parameters = 3)]"), expectCode: true);
    }

    [Fact]
    public void ODE0016_PragmaWarningDisable_SilencesIt_AsTheDocsSay()
    {
        // docs/diagnostics.md tells users to silence a deliberate branch with a pragma: the diagnostic must be located in
        // the user's syntax tree, not at a path, or the compiler never checks it against the pragma.
        const string branch = "dydt[0] = y[0] > 0 ? y[0] : 0.0; dydt[1] = y[1]; dydt[2] = y[2];";
        string silenced = InMethod("#pragma warning disable ODE0016\n" + branch + "\n#pragma warning restore ODE0016",
            "[OdeDynamics(States = 3, Parameters = 3)]");
        string plain = InMethod(branch, "[OdeDynamics(States = 3, Parameters = 3)]");

        GeneratorRun reported = GeneratorHarness.Run(GeneratorHarness.Compile(plain));
        Diagnostic warning = Assert.Single(reported.Result.Diagnostics, d => d.Id == "ODE0016");
        Assert.Equal(LocationKind.SourceFile, warning.Location.Kind);
        Assert.False(warning.IsSuppressed);

        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(silenced));
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Id == "ODE0016" && !d.IsSuppressed);
        Assert.NotEmpty(run.ScalarSources);
        Assert.Empty(GeneratorHarness.Errors(run.Output));
    }

    [Fact]
    public void BranchOnTheLoopIndexOrConstants_DoesNotWarn()
    {
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(InMethod(
            "for (int i = 0; i < 3; i++) { if (i == 0 || i >= 2) dydt[i] = y[i]; else dydt[i] = Konst < 2 ? 1.0 : 2.0; }",
            "[OdeDynamics(States = 3, Parameters = 3)]").Replace("private static int Index = 1;", "private const double Konst = 1;")));
        Assert.Empty(run.Result.Diagnostics);
        Assert.Empty(GeneratorHarness.Errors(run.Output));
    }

    [Theory]
    [InlineData("if ([|Flag|]) dydt[0] = y[0];")]
    [InlineData("if ([|y[0] > 0 ^ y[1] > 0|]) dydt[0] = y[0];")]
    [InlineData("dydt[0] = [|y.IsEmpty|] ? 1.0 : y[0];")]
    public void ODE0004_UnsupportedCondition(string body) =>
        AssertDiagnostic("ODE0004", InMethod(body, "[OdeDynamics(States = 3, Parameters = 3)]").Replace("private static int Index = 1;", "private static int Index = 1; private static bool Flag = true;"));

    [Theory]
    [InlineData("[OdeDifferentiable] static double H(double x) => x * [|H(x)|];", "dydt[0] = H(y[0]);")]
    [InlineData("[OdeDifferentiable] static double H(ref double x) => x;", "double a = y[0]; dydt[0] = [|H(ref a)|];")]
    [InlineData("[OdeDifferentiable] static float H(double x) => (float)x;", "dydt[0] = [|H(y[0])|];")]
    [InlineData("[OdeDifferentiable] static double H(double x) { if (x > 0) return x; return -x; }", "dydt[0] = [|H(y[0])|];")]
    [InlineData("[OdeDifferentiable] static extern double H(double x);", "dydt[0] = [|H(y[0])|];")]
    public void ODE0017_UnsupportedHelper(string helper, string body)
    {
        string source = InMethod(body, "[OdeDynamics(States = 3, Parameters = 3)]").Replace("private static int Index = 1;", "private static int Index = 1;\n    " + helper);
        if (helper.Contains("return x; return", StringComparison.Ordinal))
        {
            // The message names the helper; the squiggle is on the helper's name.
            source = source.Replace("[|H(y[0])|]", "H(y[0])").Replace("static double H(double x) {", "static double [|H|](double x) {");
        }

        AssertDiagnostic("ODE0017", source);
    }

    [Fact]
    public void ODE0017_HelperInAnotherFile()
    {
        string helper = "using OdeGen; public static partial class Other { [OdeDifferentiable] public static double H(double x) => 2 * x; }";
        string marked = InMethod("dydt[0] = [|Other.H(y[0])|];");
        int start = marked.IndexOf("[|", StringComparison.Ordinal);
        int end = marked.IndexOf("|]", StringComparison.Ordinal) - 2;
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(marked.Replace("[|", "").Replace("|]", ""), helper));
        Diagnostic d = Assert.Single(run.Result.Diagnostics, x => x.Id == "ODE0017");
        Assert.Equal(TextSpan.FromBounds(start, end), d.Location.SourceSpan);
        Assert.Empty(run.Sources);
    }

    [Theory]
    [InlineData("[OdeCustomDerivative(nameof(J), nameof(V))] static double F(double x) => x; static double J(double x) => x; static void V(double x, double b, ref double xb) { }", "rule")]
    [InlineData("[OdeCustomDerivative(nameof(J), nameof(V))] static double F(double x) => x; static double J(double x, double d) => d; static void V(double x, double b, double xb) { }", "reverse rule")]
    [InlineData("[OdeCustomDerivative(nameof(J), nameof(V))] static double F(ref double x) => x; static double J(double x, double d) => d; static void V(double x, double b, ref double xb) { }", "function")]
    [InlineData("[OdeCustomDerivative(\"J\", \"Missing\")] static double F(double x) => x; static double J(double x, double d) => d;", "Missing")]
    [InlineData("[OdeCustomDerivative(nameof(J), nameof(V))] static double F(double x) => x; [Obsolete(\"old\", true)] static double J(double x, double d) => d; static void V(double x, double b, ref double xb) { }", "Obsolete")]
    public void ODE0018_InvalidCustomDerivative(string declarations, string mentioned)
    {
        string call = declarations.Contains("ref double x)", StringComparison.Ordinal) ? "double q = y[0]; dydt[0] = [|F(ref q)|];" : "dydt[0] = [|F(y[0])|];";
        Diagnostic d = AssertDiagnostic("ODE0018", InMethod(call, "[OdeDynamics(States = 3, Parameters = 3)]")
            .Replace("private static int Index = 1;", "private static int Index = 1;\n    " + declarations));
        Assert.Contains(mentioned, d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void ODE0004_FloatMethodComparingInDouble()
    {
        const string FloatSignature = "(float t, ReadOnlySpan<float> y, ReadOnlySpan<float> p, Span<float> dydt)";
        AssertDiagnostic("ODE0004", InType("public static void F" + FloatSignature + " { dydt[0] = [|y[0] > 0.1|] ? y[0] : 0f; }"));
    }

    [Fact]
    public void ODE0001_FloatMethodWithADoubleSpan_NamesTheFloatType()
    {
        Diagnostic d = AssertDiagnostic("ODE0001", InType("public static void F(float t, [|ReadOnlySpan<double> y|], ReadOnlySpan<float> p, Span<float> dydt) { }"));
        Assert.Contains("'ReadOnlySpan<float>'", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void ODE0012_NestedTypeWithTheStructsName_NothingIsEmitted() => AssertDiagnostic("ODE0012", """
        using OdeGen;
        public static partial class Lorenz
        {
            class RhsSystem { }

            [OdeDynamics]
            public static void [|Rhs|](double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = y[0];
        }
        """);

    [Fact]
    public void ODE0012_NestedTypeInAnotherPartOfTheType()
    {
        Diagnostic d = AssertDiagnostic("ODE0012", """
            using OdeGen;
            public static partial class Lorenz
            {
                [OdeDynamics]
                public static void [|Rhs|](double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = y[0];
            }

            public static partial class Lorenz
            {
                public struct RhsSystem { }
            }
            """);
        Assert.Contains("the nested type 'RhsSystem'", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void ODE0012_TypeParameterWithTheStructsName() => AssertDiagnostic("ODE0012", """
        using OdeGen;
        public partial class Lorenz<RhsSystem>
        {
            [OdeDynamics]
            public static void [|Rhs|](double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = y[0];
        }
        """);

    [Theory]
    [InlineData("public static void F([|in|] double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) { dydt[0] = y[0]; }", "in", "t")]
    [InlineData("public static void F(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, [|ref|] Span<double> dydt) { dydt[0] = y[0]; }", "ref", "dydt")]
    [InlineData("public static void F(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, [|out|] Span<double> dydt) { dydt = default; }", "out", "dydt")]
    [InlineData("public static void F([|ref readonly|] double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) { dydt[0] = y[0]; }", "ref readonly", "t")]
    [InlineData("public static void F(double t, [|in|] ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) { dydt[0] = y[0]; }", "in", "y")]
    [InlineData("public static void F(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, [|params|] Span<double> dydt) { dydt[0] = y[0]; }", "params", "dydt")]
    public void ODE0019_ParameterModifier_NamesTheModifier(string member, string modifier, string parameter)
    {
        Diagnostic d = AssertDiagnostic("ODE0019", InType(member));
        Assert.Contains($"The '{modifier}' modifier on parameter '{parameter}'", d.GetMessage(), StringComparison.Ordinal);
        string source = InType(member).Replace("[|", "").Replace("|]", "");
        Assert.DoesNotContain(GeneratorHarness.Run(GeneratorHarness.Compile(source)).Result.Diagnostics, x => x.Id == "ODE0001");
    }

    [Fact]
    public void ScopedParameters_AreAccepted()
    {
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(InType(
            "public static void F(double t, scoped ReadOnlySpan<double> y, scoped ReadOnlySpan<double> p, scoped Span<double> dydt) { dydt[0] = p[0] * y[0]; }")));
        Assert.Empty(run.Result.Diagnostics);
        Assert.Empty(GeneratorHarness.Errors(run.Output));
        Assert.Contains("Sys.FSystem.g.cs", run.Sources.Keys);
    }

    [Fact]
    public void ODE0020_LocalFunction() => AssertDiagnostic("ODE0020", """
        using OdeGen;
        public static partial class Sys
        {
            public static void Run()
            {
                [[|OdeDynamics|]]
                static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = y[0];
            }
        }
        """);

    [Fact]
    public void ODE0020_Lambda() => AssertDiagnostic("ODE0020", """
        using OdeGen;
        public delegate void Dynamics(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt);
        public static partial class Sys
        {
            public static readonly Dynamics Rhs = [[|OdeDynamics|]] static (double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = y[0];
        }
        """);

    [Fact]
    public void ODE0020_Accessor() => AssertDiagnostic("ODE0020", """
        using OdeGen;
        public static partial class Sys
        {
            public static double Rate { [[|OdeDynamics|]] get => 1; }
        }
        """);

    [Theory]
    [InlineData("2", "dydt[0] = h[[|2|]];")]
    [InlineData("2", "dydt[0] = h[[|-1|]];")]
    [InlineData("Two", "h[[|Two + 1|]] = y[0]; dydt[0] = h[0];")]
    [InlineData("two", "int k = 2; dydt[0] = h[[|k|]];")]
    public void ODE0021_ConstantIndexOutsideAStackallocBuffer(string size, string use)
    {
        string body = $"int two = 2; Span<double> h = stackalloc double[{size}]; for (int i = 0; i < 2; i++) {{ h[i] = y[i]; }} " + use;
        AssertDiagnostic("ODE0021", InMethod(body, "[OdeDynamics(States = 3, Parameters = 3)]").Replace("private static int Index = 1;", "private static int Index = 1; private const int Two = 2;"));
    }

    [Fact]
    public void ConstantIndicesInsideAStackallocBuffer_AreFine()
    {
        string body = "int last = 1; Span<double> h = stackalloc double[2]; for (int i = 0; i < 2; i++) { h[i] = y[i]; } dydt[0] = h[0] + h[last]; dydt[1] = h[1];";
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(InMethod(body, "[OdeDynamics(States = 3, Parameters = 3)]")));
        Assert.Empty(run.Result.Diagnostics);
        Assert.Empty(GeneratorHarness.Errors(run.Output));
    }

    [Fact]
    public void ODE0021_NegativeIndexIntoARuntimeSizedBuffer() =>
        AssertDiagnostic("ODE0021", InMethod("Span<double> h = stackalloc double[y.Length]; for (int i = 0; i < y.Length; i++) { h[i] = y[i]; dydt[i] = y[i]; } dydt[0] += h[[|-2|]];"));

    [Fact]
    public void ODE0022_FileLocalType() => AssertDiagnostic("ODE0022", """
        using OdeGen;
        [|file|] static partial class Model
        {
            [OdeDynamics]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = y[0];
        }
        """);

    [Fact]
    public void ODE0022_TypeInsideAFileLocalType() => AssertDiagnostic("ODE0022", """
        using OdeGen;
        namespace N;
        [|file|] partial class Outer
        {
            public static partial class Model
            {
                [OdeDynamics]
                public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = y[0];
            }
        }
        """);

    [Fact]
    public void ODE0022_FileWrittenOnAnotherPartOnly()
    {
        // The compiler rejects the mixed parts; OdeGen must still not put the struct into a non-file type.
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile("""
            using OdeGen;
            file static partial class Model { }
            static partial class Model
            {
                [OdeDynamics]
                public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = y[0];
            }
            """));
        Assert.Empty(run.Sources);
        Assert.Contains(run.Result.Diagnostics, d => d.Id == "ODE0022");
    }

    [Fact]
    public void ODE0023_VariantInterface() => AssertDiagnostic("ODE0023", """
        using OdeGen;
        public partial interface IModel<T, [|out|] U>
        {
            [OdeDynamics]
            static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = y[0];
        }
        """);

    [Fact]
    public void TypeParameterAttributes_AreNotRepeatedOnTheGeneratedPart()
    {
        // Re-declaring [Tag] on the generated part of G<T> was CS0579 (duplicate attribute) in the generated file.
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile("""
            using OdeGen;
            [AttributeUsage(AttributeTargets.GenericParameter)] public sealed class TagAttribute : Attribute { }
            public partial class G<[Tag] T, /* second */ [Tag] U>
            {
                [OdeDynamics]
                public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = y[0];
            }
            """));
        Assert.Empty(run.Result.Diagnostics);
        Assert.Empty(GeneratorHarness.Errors(run.Output));
        Assert.Contains("partial class G<T, U>", run.ScalarSources["G`2.RhsSystem.g.cs"], StringComparison.Ordinal);
    }

    [Fact]
    public void EveryDescriptor_HasADistinctCode_ATitle_AndAHelpLink()
    {
        string[] ids = DiagnosticDescriptors.Ids.ToArray();
        Assert.Equal(ids.Length, ids.Distinct().Count());
        Assert.Superset(Enumerable.Range(1, 23).Select(i => $"ODE{i:0000}").ToHashSet(), ids.ToHashSet());
        foreach (string id in ids)
        {
            DiagnosticDescriptor descriptor = DiagnosticDescriptors.ById(id);
            Assert.Equal(id, descriptor.Id);
            Assert.False(string.IsNullOrWhiteSpace(descriptor.Title.ToString()));
            Assert.False(string.IsNullOrWhiteSpace(descriptor.HelpLinkUri));
        }
    }

    [Fact]
    public void EveryHelpLink_PointsToItsOwnHeadingInDiagnosticsMd()
    {
        // GitHub's anchor of a heading: lower case, punctuation other than '-' and '_' dropped, spaces as '-'.
        HashSet<string> anchors = File.ReadAllLines(DiagnosticsMd())
            .Where(line => line.StartsWith('#'))
            .Select(line => Regex.Replace(line.TrimStart('#').Trim().ToLowerInvariant(), @"[^\p{L}\p{Nd}\s_-]", "").Replace(' ', '-'))
            .ToHashSet();
        foreach (string id in DiagnosticDescriptors.Ids)
        {
            string link = DiagnosticDescriptors.ById(id).HelpLinkUri;
            int hash = link.IndexOf('#', StringComparison.Ordinal);
            Assert.True(hash > 0, $"{id}: '{link}' has no anchor");
            Assert.EndsWith("/docs/diagnostics.md", link[..hash], StringComparison.Ordinal);
            Assert.Equal(id.ToLowerInvariant(), link[(hash + 1)..]);
            Assert.Contains(link[(hash + 1)..], anchors);
        }
    }

    private static string DiagnosticsMd([CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "..", "docs", "diagnostics.md"));

    /// <summary>
    /// Compiles <paramref name="marked"/> and asserts exactly one diagnostic <paramref name="id"/>,
    /// located on the [| |] span (same start, length, line and column), and no output on errors.
    /// </summary>
    /// <summary>
    /// The messages of dynamics keep their words: the attribute, t, y, p and dydt (a [Differentiable] function's messages name its
    /// own attribute and parameters instead; see FunctionDiagnosticTests).
    /// </summary>
    [Theory]
    [InlineData("ODE0003", "[|while|] (y[0] > 0) { dydt[0] = 1; }", false,
        "'while' statements are not supported in [OdeDynamics] methods; use double locals, assignments (=, +=, -=, *=, /=) and writes to dydt[constant]")]
    [InlineData("ODE0004", "dydt[0] = [|Field|] * y[0];", false,
        "The non-const field 'Field' (make it const or pass it in p) is not supported in [OdeDynamics] methods; use double arithmetic (+ - * /), numeric or const values, t, y[i], p[i], double locals and System.Math functions")]
    [InlineData("ODE0006", "int k = 1; dydt[0] = y[[|k|]];", false,
        "Index 'k' into 'y' is not a compile-time constant; use an integer literal or a const int (inside a 'for' loop: an int expression of constants, loop variables, int locals, y.Length and p.Length)")]
    [InlineData("ODE0007", "[|y[0]|] = 1; dydt[0] = y[0];", false,
        "'y' is an input and cannot be assigned; copy it into a double local and change the local, or write results to dydt")]
    [InlineData("ODE0015", "for (int i = 0; i < y.Length; [|i += 2|]) { dydt[i] = y[i]; }", false,
        "This 'for' loop is not supported: it must step by 'i++'; write 'for (int i = start; i < end; i++)' with start and end built from constants, int locals, loop variables, y.Length and p.Length")]
    [InlineData("ODE0016", "dydt[0] = [|y[0] > 0|] ? y[0] : -y[0];", true,
        "The condition 'y[0] > 0' depends on t, y or p: f may have a kink or jump where it switches, the derivative is that of the branch taken, and adjoint gradients assume f is smooth")]
    public void DynamicsMessages_KeepTheirWording(string id, string body, bool expectCode, string message) =>
        Assert.Equal(message, AssertDiagnostic(id, InMethod(body), expectCode).GetMessage(System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public void ODE0019_DynamicsMessage_KeepsItsWording() => Assert.Equal(
        "The 'in' modifier on parameter 't' of [OdeDynamics] method 'F' is not allowed; declare it 'double t', by value, without ref, in, out, ref readonly or params",
        AssertDiagnostic("ODE0019", InType("public static void F([|in|] double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) { dydt[0] = y[0]; }"))
            .GetMessage(System.Globalization.CultureInfo.InvariantCulture));

    internal static Diagnostic AssertDiagnostic(string id, string marked, bool expectCode = false)
    {
        int start = marked.IndexOf("[|", StringComparison.Ordinal);
        int end = marked.IndexOf("|]", StringComparison.Ordinal) - 2;
        string source = marked.Replace("[|", "").Replace("|]", "");
        var expectedSpan = TextSpan.FromBounds(start, end);

        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(source));
        Diagnostic d = Assert.Single(run.Result.Diagnostics, x => x.Id == id);
        Assert.Equal(expectedSpan, d.Location.SourceSpan);
        LinePosition expectedStart = SourceText.From(source).Lines.GetLinePosition(start);
        Assert.Equal(expectedStart, d.Location.GetLineSpan().StartLinePosition);
        Assert.Equal(source.Substring(start, end - start), source.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length));
        Assert.Equal(expectCode, run.Sources.Count > 0);
        return d;
    }

    private static string InType(string member) => $$"""
        using OdeGen;
        public partial class Sys
        {
            [OdeDynamics]
            {{member}}
        }
        """;

    private static string InMethod(string body, string attribute = "[OdeDynamics]") => $$"""
        using OdeGen;
        public static partial class Sys
        {
            private static double Field = 2;
            private static int Index = 1;
            private static double Helper(double x) => x;

            {{attribute}}
            public static void F(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                {{body}}
            }
        }
        """;
}
