using System.Globalization;
using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Pipeline;

/// <summary>
/// A cast to int of a number, used as a number (<c>(double)(int)(2 * y[0]) * y[1]</c>, <c>(int)(p[0] * 3) * y[2]</c>), which
/// the legal-C# fuzzer wrote and the generator refused: it is the number rounded toward zero, piecewise constant, so its
/// derivative is 0 wherever it is defined (ODE0010 warns of the jumps). The generated f does the user's cast; the lanes
/// round toward zero to +0 as the int 0 converts (CopySign sees the difference). Checked as the fuzzer checks a program
/// (<see cref="FuzzCheck"/>), for dynamics and functions, double and float. An int local from a cast, which would be an
/// index of its own in every lane, stays refused on its declaration.
/// </summary>
public class IntCastTests
{
    private const string Body = """
        double k = (double)(int)(y[0] * 2.0 + 3.0);
        dydt[0] = k * y[1] + Math.Sin(y[0]);
        dydt[1] = (int)(p[0] * 3.0) * y[2] - y[1] * (double)(int)(y[2] * 0.5);
        dydt[2] = Math.CopySign(1.0, (double)(int)(y[1] * 0.5)) * y[2] * p[2] + (y[0] > 0 ? (int)(y[0] * 4.0) : -y[0]);
        """;

    [Theory]
    [InlineData(false, false, true)]
    [InlineData(false, true, true)]
    [InlineData(true, false, false)]
    [InlineData(true, true, false)]
    public void CastsToIntUsedAsNumbers_AreGenerated_WithDerivativesRight(bool isFloat, bool function, bool secondOrder)
    {
        string body = isFloat
            ? Body.Replace("double", "float", StringComparison.Ordinal).Replace("Math.", "MathF.", StringComparison.Ordinal)
                .Replace(".0)", ".0f)", StringComparison.Ordinal).Replace(".5)", ".5f)", StringComparison.Ordinal).Replace("2.0 +", "2.0f +", StringComparison.Ordinal)
                .Replace("1.0,", "1.0f,", StringComparison.Ordinal)
            : Body;
        string source = Source(body, isFloat ? "float" : "double", function, secondOrder);
        PatternAndBufferTests.AssertGeneratedRight(new FuzzProgram(0, body.Length, source, "Users", "C", function ? "G" : "Rhs", function, isFloat, secondOrder, Vectorized: false));
    }

    [Fact]
    public void ACastToInt_IsODE0010_OnTheCast()
    {
        Diagnostic d = Parsing.DiagnosticTests.AssertDiagnostic("ODE0010", Source("dydt[0] = [|(int)(y[0] * 2.0)|] * y[1];\ndydt[1] = y[1];\ndydt[2] = y[2];", "double", function: false, secondOrder: false), expectCode: true);
        Assert.Equal("'(int)(y[0] * 2.0)' is not differentiable everywhere; at its kink or jump the generated derivative uses one side's slope, and adjoint gradients assume f is smooth",
            d.GetMessage(CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("int k = [|(int)(y[0] * 2.0)|];\ndydt[0] = y[k];")]
    [InlineData("dydt[0] = y[[|(int)(p[0])|]];")]
    public void ACastToIntUsedAsAnIndex_StaysRefused_FirstOnTheCast(string body)
    {
        string marked = Source(body, "double", function: false, secondOrder: false);
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(marked.Replace("[|", "", StringComparison.Ordinal).Replace("|]", "", StringComparison.Ordinal)));
        Diagnostic d = run.Result.Diagnostics.Where(x => x.Severity == DiagnosticSeverity.Error).OrderBy(x => x.Location.SourceSpan.Start).First();
        int start = marked.IndexOf("[|", StringComparison.Ordinal), end = marked.IndexOf("|]", StringComparison.Ordinal) - 2;
        Assert.Equal(start, d.Location.SourceSpan.Start);
        Assert.Equal(end, d.Location.SourceSpan.End);
        Assert.Empty(run.Sources);
    }

    [Fact]
    public void GeneratedSource_MatchesSnapshot()
    {
        string source = Source(Body, "double", function: false, secondOrder: false);
        Compilation compilation = GeneratorHarness.Compile(source);
        GeneratorRun run = GeneratorHarness.Run(compilation);
        Assert.All(run.Result.Diagnostics, d => Assert.True(d.Id is "ODE0010" or "ODE0016", d.ToString()));
        Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning && !compilation.SyntaxTrees.Contains(d.Location.SourceTree)));
        string text = string.Join("\n", run.ScalarSources.Concat(run.LaneSources)
            .OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"// ===== {s.Key} =====\n{s.Value}"));
        Snapshot.Verify("IntCast", text);
        Incrementality.AssertAllStepsCached(run.Driver.RunGenerators(compilation.Clone()).GetRunResult());
    }

    /// <summary>The body as dynamics (t, y, p, dydt) or, renamed, as a function (x, p, y); 3 states, inputs, outputs and parameters.</summary>
    private static string Source(string body, string num, bool function, bool secondOrder)
    {
        string attribute = function ? "Differentiable(Inputs = 3, Parameters = 3, Outputs = 3" : "OdeDynamics(States = 3, Parameters = 3";
        string method = function
            ? $"G(ReadOnlySpan<{num}> x, ReadOnlySpan<{num}> p, Span<{num}> y)"
            : $"Rhs({num} t, ReadOnlySpan<{num}> y, ReadOnlySpan<{num}> p, Span<{num}> dydt)";
        string text = function
            ? body.Replace("y[", "x[", StringComparison.Ordinal).Replace("dydt[", "y[", StringComparison.Ordinal)
            : body;
        return $$"""
            using OdeGen;
            namespace Users;
            public static partial class C
            {
                [{{attribute}}{{(secondOrder ? ", SecondOrder = true" : "")}})]
                public static void {{method}}
                {
                    {{text}}
                }
            }
            """;
    }
}
