using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Infrastructure;
using OdeGen.Generators.Tests.Parsing;
using static OdeGen.Generators.Tests.Parsing.DiagnosticTests;

namespace OdeGen.Generators.Tests.Functions;

/// <summary>
/// The diagnostics of [Differentiable] functions: one test per new code (ODE0030; ODE0031 is retired: functions get Hvp), and the existing codes on
/// functions, each on its exact span (<see cref="DiagnosticTests.AssertDiagnostic"/>).
/// </summary>
public class FunctionDiagnosticTests
{
    private const string Signature = "(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)";

    [Theory]
    [InlineData("public static void G[|(double t, ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)|] { y[0] = x[0]; }")]
    [InlineData("public static [|double|] G" + Signature + " { y[0] = x[0]; return 0; }")]
    [InlineData("public void [|G|]" + Signature + " { y[0] = x[0]; }")]
    [InlineData("public static void G([|Span<double> x|], ReadOnlySpan<double> p, Span<double> y) { y[0] = x[0]; }")]
    [InlineData("public static void G(ReadOnlySpan<double> x, ReadOnlySpan<double> p, [|ReadOnlySpan<double> y|]) { }")]
    [InlineData("public static void G[|<T>|]" + Signature + " { y[0] = x[0]; }")]
    [InlineData("public static void G(ReadOnlySpan<double> x, ReadOnlySpan<double> p, [|Span<float> y|]) { }")]
    public void ODE0030_InvalidFunctionSignature(string member) => AssertDiagnostic("ODE0030", InType(member));

    [Fact]
    public void ODE0030_NamesTheWrongParameter_AndTheFunctionShape()
    {
        Diagnostic d = AssertDiagnostic("ODE0030", InType("public static void G(ReadOnlySpan<double> x, [|double[] w|], Span<double> y) { }"));
        Assert.Contains("parameter 'w' of type 'double[]'", d.GetMessage());
        Assert.Contains("the parameters p", d.GetMessage());
        Assert.Contains("static void G(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)", d.GetMessage());
    }

    [Fact]
    public void ODE0030_DynamicsShapeUnderDifferentiable_IsNotODE0001()
    {
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(InType("public static void G(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) { dydt[0] = y[0]; }")));
        Assert.Equal(new[] { "ODE0030" }, run.Result.Diagnostics.Select(d => d.Id));
    }

    [Fact]
    public void SecondOrderFalse_IsSilent()
    {
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(InMethod("y[0] = x[0] * p[0];", "[Differentiable(SecondOrder = false)]")));
        Assert.Empty(run.Result.Diagnostics);
        Assert.Contains("Sys.GFunction.g.cs", run.Sources.Keys);
    }

    [Fact]
    public void ODE0019_ParameterModifierOnAFunction() =>
        AssertDiagnostic("ODE0019", InType("public static void G([|in|] ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y) { y[0] = x[0]; }"));

    [Fact]
    public void ODE0007_WriteToTheInputs() => AssertDiagnostic("ODE0007", InMethod("[|x[0]|] = 1; y[0] = x[0];"));

    [Theory]
    [InlineData("[Differentiable(Outputs = 2)]", "y[0] = x[0]; y[[|2|]] = x[0];", "Differentiable(Outputs")]
    [InlineData("[Differentiable(Inputs = 1)]", "y[0] = x[[|1|]];", "Differentiable(Inputs")]
    [InlineData("[Differentiable(Parameters = 1)]", "y[0] = p[[|1|]];", "Differentiable(Parameters")]
    public void ODE0008_IndexBeyondADeclaredSize_NamesTheFunctionsSize(string attribute, string body, string named)
    {
        Diagnostic d = AssertDiagnostic("ODE0008", InMethod(body, attribute));
        Assert.Contains(named, d.GetMessage());
    }

    [Theory]
    [InlineData("[Differentiable([|Inputs = 5000|])]")]
    [InlineData("[Differentiable([|Outputs = -1|])]")]
    public void ODE0013_UnsupportedSize(string attribute) => AssertDiagnostic("ODE0013", InMethod("y[0] = x[0];", attribute));

    [Fact]
    public void ODE0012_AMemberHasTheFunctionsStructName() => AssertDiagnostic("ODE0012", """
        using OdeGen;
        public static partial class Sys
        {
            public static int GFunction;

            [Differentiable]
            public static void [|G|](ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y) => y[0] = x[0];
        }
        """);

    [Fact]
    public void ODE0012_TwoFunctionOverloads_ClashButASystemAndAFunctionOfOneNameDoNot()
    {
        GeneratorRun twins = GeneratorHarness.Run(GeneratorHarness.Compile("""
            using OdeGen;
            public static partial class Sys
            {
                [Differentiable]
                public static void G(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y) => y[0] = x[0];
                [Differentiable]
                public static void G(ReadOnlySpan<float> x, ReadOnlySpan<float> p, Span<float> y) => y[0] = x[0];
            }
            """));
        Assert.Equal(2, twins.Result.Diagnostics.Count(d => d.Id == "ODE0012"));

        GeneratorRun both = GeneratorHarness.Run(GeneratorHarness.Compile("""
            using OdeGen;
            public static partial class Sys
            {
                [OdeDynamics]
                public static void G(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = -y[0];
                [Differentiable]
                public static void G(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y) => y[0] = x[0];
            }
            """));
        Assert.Empty(both.Result.Diagnostics);
        Assert.Empty(GeneratorHarness.Errors(both.Output));
        Assert.Equal(new[] { "Sys.GFunction.Lanes.g.cs", "Sys.GFunction.g.cs", "Sys.GSystem.Augmented.g.cs", "Sys.GSystem.Lanes.g.cs", "Sys.GSystem.g.cs" },
            both.Sources.Keys.OrderBy(k => k, StringComparer.Ordinal));
    }

    [Fact]
    public void ODE0017_CallingAFunctionFromDynamics_SaysToComposeAtRunTime()
    {
        Diagnostic d = AssertDiagnostic("ODE0017", """
            using OdeGen;
            public static partial class Sys
            {
                [Differentiable]
                public static void G(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y) => y[0] = x[0];

                [OdeDynamics]
                public static void F(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
                {
                    [|G(y, p, dydt)|];
                }
            }
            """, expectCode: true);
        Assert.Contains("[Differentiable] function", d.GetMessage());
    }

    [Fact]
    public void ODE0002_TypeNotPartial() => AssertDiagnostic("ODE0002", """
        using OdeGen;
        public static class [|Sys|]
        {
            [Differentiable]
            public static void G(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y) => y[0] = x[0];
        }
        """);

    [Fact]
    public void ODE0020_LocalFunction_NamesTheFunctionsAttributeAndStruct() => Assert.Contains("[Differentiable] cannot mark the local function 'G'", AssertDiagnostic("ODE0020", """
        using OdeGen;
        public static partial class Sys
        {
            public static void Run()
            {
                [[|Differentiable|]]
                static void G(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y) => y[0] = x[0];
            }
        }
        """).GetMessage(), StringComparison.Ordinal);

    [Theory]
    [InlineData("ODE0003", "[|while|] (true) { } y[0] = x[0];")]
    [InlineData("ODE0004", "y[0] = [|t|];")]
    [InlineData("ODE0005", "y[0] = [|Console.Read()|];")]
    [InlineData("ODE0006", "int k = 1; y[0] = x[[|k|]];")]
    [InlineData("ODE0009", "y[1] = [|y[0]|];")]
    [InlineData("ODE0015", "for (int i = 0; i < x.Length; [|i += 2|]) { y[i] = x[i]; }")]
    public void ExistingErrors_OnFunctions(string id, string body) => AssertDiagnostic(id, InMethod(body));

    [Fact]
    public void ODE0016_BranchOnAnInput_WarnsButGenerates() =>
        AssertDiagnostic("ODE0016", InMethod("y[0] = [|x[0] > 0|] ? x[0] : -x[0];"), expectCode: true);

    // ---- wording: a function's message names [Differentiable] and the function's own parameters ---------------------

    [Theory]
    [InlineData("[|while|] (true) { } y[0] = x[0];", "'while' statements are not supported in [Differentiable] methods", "writes to y[constant]")]
    public void ODE0003_NamesTheFunctionsAttributeAndOutput(string body, string says, string advice) =>
        AssertFunctionWording(AssertDiagnostic("ODE0003", InMethod(body)), says, advice);

    [Fact]
    public void ODE0003_UsesTheFunctionsOwnOutputName() =>
        AssertFunctionWording(AssertDiagnostic("ODE0003", Named("[|while|] (true) { } v[0] = u[0];")), "writes to v[constant]");

    [Fact]
    public void ODE0004_NamesTheFunctionsAttributeAndInputs()
    {
        Diagnostic d = AssertDiagnostic("ODE0004", InMethod("y[0] = [|t|];"));
        AssertFunctionWording(d, "is not supported in [Differentiable] methods", "numeric or const values, x[i], p[i], double locals");
        Assert.DoesNotContain("t, y[i]", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void ODE0004_UsesTheFunctionsOwnParameterNames() =>
        AssertFunctionWording(AssertDiagnostic("ODE0004", Named("v[0] = [|Field|] * u[0];")), "u[i], w[i]", "(make it const or pass it in w)");

    [Fact]
    public void ODE0004_InAHelper_NamesTheHelperAndItsParameters()
    {
        Diagnostic d = AssertDiagnostic("ODE0004", InMethod("y[0] = H(x[0]);", helpers: "[OdeDifferentiable] static double H(double a) => a * [|Field|];"));
        AssertFunctionWording(d, "in [OdeDifferentiable] helpers", "its parameters", "(make it const or pass it in an argument)");
        Assert.DoesNotContain("[Differentiable]", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void ODE0003_InAHelper_NamesTheHelperAndItsReturn() =>
        AssertFunctionWording(AssertDiagnostic("ODE0003", InMethod("y[0] = H(x[0]);",
            helpers: "[OdeDifferentiable] static double H(double a) { [|while|] (true) { } return a; }")),
            "'while' statements are not supported in [OdeDifferentiable] helpers", "a last 'return value;'");

    [Fact]
    public void ODE0003_InAForwardRuleReadForSecondOrder_NamesTheRule() =>
        AssertFunctionWording(AssertDiagnostic("ODE0003", InMethod("y[0] = F(x[0]);", "[Differentiable(SecondOrder = true)]", """
            [OdeCustomDerivative(nameof(FJvp), nameof(FVjp))] static double F(double a) => a;
            static double FJvp(double a, double aDot) { [|while|] (true) { } return aDot; }
            static void FVjp(double a, double b, ref double aBar) { aBar += b; }
            """)), "'while' statements are not supported in [OdeCustomDerivative] forward rules", "a last 'return value;'");

    [Fact]
    public void ODE0005_TitleNamesBothAttributes()
    {
        Diagnostic d = AssertDiagnostic("ODE0005", InMethod("y[0] = [|Console.Read()|];"));
        AssertFunctionWording(d);
        Assert.Contains("[Differentiable]", d.Descriptor.Title.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ODE0006_NamesTheFunctionsLengths() =>
        AssertFunctionWording(AssertDiagnostic("ODE0006", InMethod("int k = 1; y[0] = x[[|k|]];")), "constants, loop variables, int locals, x.Length, p.Length and y.Length");

    [Fact]
    public void ODE0007_SaysToWriteToTheFunctionsOutput()
    {
        Diagnostic d = AssertDiagnostic("ODE0007", Named("[|u[0]|] = 1; v[0] = u[0];"));
        AssertFunctionWording(d, "'u' is an input", "write results to v");
        Assert.Contains("[Differentiable]", d.Descriptor.Title.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ODE0014_NamesTheFunctionsOutputBuffer() =>
        AssertFunctionWording(AssertDiagnostic("ODE0014", Named("for (int i = 0; i < 2; i++) { v[i] = u[i]; } for (int i = 0; i < 2; i++) { [|v[i] *= 2|]; }")),
            "'v' cannot be changed here");

    [Fact]
    public void ODE0015_NamesTheFunctionsLengths() =>
        AssertFunctionWording(AssertDiagnostic("ODE0015", InMethod("for (int i = 0; i < x.Length; [|i += 2|]) { y[i] = x[i]; }")),
            "built from constants, int locals, loop variables, x.Length, p.Length and y.Length");

    [Fact]
    public void ODE0004_IntLocal_NamesTheFunctionsLengths() =>
        AssertFunctionWording(AssertDiagnostic("ODE0004", InMethod("int n = [|(int)x[0]|]; y[0] = x[0];")),
            "built from constants, loop variables, int locals, x.Length, p.Length and y.Length");

    [Fact]
    public void ODE0016_NamesTheFunctionsInputs()
    {
        Diagnostic d = AssertDiagnostic("ODE0016", Named("v[0] = [|u[0] > 0|] ? u[0] : -u[0];"), expectCode: true);
        AssertFunctionWording(d, "depends on u or w:");
        Assert.DoesNotContain("t, y or p", d.GetMessage(), StringComparison.Ordinal);
    }

    // A function's derivatives are used as they are: the adjoint's smoothness assumption is the dynamics' caveat only.
    [Fact]
    public void ODE0010_ForAFunction_LeavesOutTheAdjointsCaveat()
    {
        Diagnostic d = AssertDiagnostic("ODE0010", InMethod("y[0] = [|Math.Abs(x[0])|];"), expectCode: true);
        AssertFunctionWording(d, "'Math.Abs' is not differentiable everywhere; at its kink or jump the generated derivative uses one side's slope");
        Assert.DoesNotContain("adjoint", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void ODE0016_ForAFunction_NamesTheFunction_NotF()
    {
        Diagnostic d = AssertDiagnostic("ODE0016", InMethod("y[0] = [|x[0] > 0|] ? x[0] : -x[0];"), expectCode: true);
        AssertFunctionWording(d, "depends on x or p: the function may have a kink or jump where it switches, the derivative is that of the branch taken");
        Assert.DoesNotContain("adjoint", d.GetMessage(), StringComparison.Ordinal);
    }

    // A float method calls MathF's functions (or Math's float overloads): the advice named "System.Math functions on double".
    [Fact]
    public void ODE0005_InAFloatFunction_NamesMathF()
    {
        Diagnostic d = AssertDiagnostic("ODE0005", """
            using OdeGen;
            public static partial class Sys
            {
                [Differentiable]
                public static void G(ReadOnlySpan<float> x, ReadOnlySpan<float> p, Span<float> y)
                {
                    y[0] = [|Console.Read()|];
                }
            }
            """);
        AssertFunctionWording(d, "or use the System.MathF functions (and Math.Abs, Min, Max, Sign, Clamp on float): Sin, Cos");
        Assert.DoesNotContain("on double", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void ODE0019_NamesTheFunctionsAttribute() =>
        AssertFunctionWording(AssertDiagnostic("ODE0019", InType("public static void G([|in|] ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y) { y[0] = x[0]; }")),
            "on parameter 'x' of [Differentiable] method 'G'", "declare it 'ReadOnlySpan<double> x'");

    [Fact]
    public void ODE0017_HelperInAnotherFile_NamesTheFunctionsAttribute()
    {
        string helper = "using OdeGen; public static partial class Other { [OdeDifferentiable] public static double H(double a) => 2 * a; }";
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(InMethod("y[0] = Other.H(x[0]);"), helper));
        AssertFunctionWording(Assert.Single(run.Result.Diagnostics, x => x.Id == "ODE0017"), "move it into the file of the [Differentiable] method");
    }

    [Fact]
    public void ODE0026_TooLargeFunction_SaysSplitIntoSmallerFunctions()
    {
        // The dynamics' 9,100-statement chain (Pipeline/LargeProgramTests) as a function: x for y, y for dydt.
        string source = LargePrograms.Chain(9_100)
            .Replace("[OdeDynamics]", "[Differentiable]", StringComparison.Ordinal)
            .Replace("Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)",
                "Rhs(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)", StringComparison.Ordinal)
            .Replace(" = y[", " = x[", StringComparison.Ordinal)
            .Replace("dydt[", "y[", StringComparison.Ordinal);
        GeneratorRun run = Pipeline.LargeProgramTests.RunOnSmallStack(GeneratorHarness.Compile(source));
        Diagnostic error = Assert.Single(run.Result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal("ODE0026", error.Id);
        Assert.Equal("Rhs", source.Substring(error.Location.SourceSpan.Start, error.Location.SourceSpan.Length));
        AssertFunctionWording(error, "split it into smaller functions");
    }

    /// <summary>The message says <paramref name="expected"/> and nothing of the dynamics: no [OdeDynamics], no dydt.</summary>
    private static void AssertFunctionWording(Diagnostic d, params string[] expected)
    {
        string message = d.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        foreach (string text in expected)
        {
            Assert.Contains(text, message, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("[OdeDynamics]", message, StringComparison.Ordinal);
        Assert.DoesNotContain("dydt", message, StringComparison.Ordinal);
        Assert.DoesNotContain("[OdeDynamics] method", d.Descriptor.Title.ToString(), StringComparison.Ordinal);
    }

    /// <summary>A function whose parameters are named u, w and v (not x, p and y).</summary>
    private static string Named(string body) => $$"""
        using OdeGen;
        public static partial class Sys
        {
            static double Field = 2;

            [Differentiable]
            public static void G(ReadOnlySpan<double> u, ReadOnlySpan<double> w, Span<double> v)
            {
                {{body}}
            }
        }
        """;

    private static string InType(string member) => $$"""
        using OdeGen;
        public partial class Sys
        {
            [Differentiable]
            {{member}}
        }
        """;

    private static string InMethod(string body, string attribute = "[Differentiable]", string helpers = "") => $$"""
        using OdeGen;
        public static partial class Sys
        {
            static double t = 1;
            static double Field = 2;
            {{helpers}}

            {{attribute}}
            public static void G(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
            {
                {{body}}
            }
        }
        """;
}
