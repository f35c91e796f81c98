using System.Globalization;
using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Pipeline;

/// <summary>
/// Switch expressions on a number or an int index (<c>y[0] switch { &lt; 0 =&gt; a, _ =&gt; b }</c>, <c>i switch { 0 =&gt; a,
/// 1 or 2 =&gt; b, _ =&gt; c }</c>), which the legal-C# fuzzer wrote and the generator refused: they are the chains of
/// conditionals they spell, so they are generated, and checked as the fuzzer checks a program (<see cref="FuzzCheck"/>:
/// Evaluate bit for bit with the user's method, Jvp against central differences, the dot-product identity, Hvp against
/// differences of Vjp, lanes against the scalar methods), for dynamics and functions, double and float. A switch that may
/// match no arm (it throws in the user's method) or is on something else stays a located ODE0004.
/// </summary>
public class SwitchExpressionTests
{
    private const string Body = """
        for (int i = 0; i < 3; i++)
        {
            dydt[i] = i switch { 0 => y[0] * p[0], 1 or 2 when y[i] > -0.5 => Math.Sin(y[i]) * p[i], 1 => y[1] * y[2], _ when y[0] < 0.3 => y[0] - y[2], _ => -y[2] * t };
        }

        double u = y[1] switch { < -0.2 => y[1] * p[1], >= -0.2 and < 0.3 => Math.Tanh(y[1]) * t, _ => y[2] * y[1] };
        dydt[1] += u;
        dydt[2] -= y[2] switch { > 0 when y[0] > 0 => y[0] * y[2], > 0 => p[2] * y[2], _ => -y[2] * y[2] } * u;
        """;

    [Theory]
    [InlineData(false, false, true)]
    [InlineData(false, true, true)]
    [InlineData(true, false, false)]
    [InlineData(true, true, false)]
    public void SwitchExpressions_AreGenerated_WithDerivativesRight(bool isFloat, bool function, bool secondOrder)
    {
        string body = isFloat
            ? Body.Replace("Math.", "MathF.", StringComparison.Ordinal).Replace("double ", "float ", StringComparison.Ordinal).Replace("0.5", "0.5f", StringComparison.Ordinal)
                .Replace("0.2", "0.2f", StringComparison.Ordinal).Replace("0.3", "0.3f", StringComparison.Ordinal)
            : Body;
        string source = Source(body, isFloat ? "float" : "double", function, secondOrder);
        PatternAndBufferTests.AssertGeneratedRight(new FuzzProgram(0, body.Length, source, "Users", "C", function ? "G" : "Rhs", function, isFloat, secondOrder, Vectorized: false));
    }

    [Theory]
    [InlineData("dydt[0] = y[0] [|switch|] { < 0 => -y[0], > 0 => y[0] };", "without a last '_ =>' arm")]
    [InlineData("dydt[0] = y[0] [|switch|] { < 0 => -y[0], _ when y[1] > 0 => y[0] } + 0;", "without a last '_ =>' arm")]
    [InlineData("dydt[0] = [|(int)(y[0] * 2)|] switch { 0 => y[1], _ => y[0] };", "switch on a double or on an int index expression")]
    [InlineData("dydt[0] = y[0] switch { [|var v|] when v > 0 => v * y[1], _ => 0 };", "The pattern 'var v'")]
    [InlineData("double v = 0;\ndydt[0] = y[0] switch { > 0 => [|v = y[1]|], _ => y[0] };", "an arm of a switch expression")]
    public void SwitchExpressionsWithoutAClearMeaning_AreODE0004_OnTheirPart(string body, string what)
    {
        Diagnostic d = Parsing.DiagnosticTests.AssertDiagnostic("ODE0004", Source(body, "double", function: false, secondOrder: false));
        Assert.Contains(what, d.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Fact]
    public void GeneratedSource_MatchesSnapshot()
    {
        string source = Source(Body, "double", function: false, secondOrder: false);
        Compilation compilation = GeneratorHarness.Compile(source);
        GeneratorRun run = GeneratorHarness.Run(compilation);
        Assert.All(run.Result.Diagnostics, d => Assert.Equal("ODE0016", d.Id));
        Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning && !compilation.SyntaxTrees.Contains(d.Location.SourceTree)));
        string text = string.Join("\n", run.ScalarSources.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"// ===== {s.Key} =====\n{s.Value}"));
        Snapshot.Verify("SwitchExpression", text);
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
            ? body.Replace("y[", "x[", StringComparison.Ordinal).Replace("dydt[", "y[", StringComparison.Ordinal).Replace(" * t", " * p[0]", StringComparison.Ordinal)
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
