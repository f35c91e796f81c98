using System.Globalization;
using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Pipeline;

/// <summary>
/// A throw expression on one side of <c>?:</c> guarding the inputs' lengths (<c>y.Length &gt; 0 ? y[0] : throw …</c>), which
/// the legal-C# fuzzer wrote and the generator refused. With the sizes declared the condition is known when generating,
/// the throwing side is never taken (in the user's method either) and contributes nothing: the other side is the value,
/// checked as the fuzzer checks a program (<see cref="FuzzCheck"/>). The generated code has no throw of its own, so a
/// throw the data or run-time sizes decide, or one always taken, stays ODE0004 on the throw.
/// </summary>
public class ThrowExpressionTests
{
    private const string Body = """
        dydt[0] = y.Length > 0 ? y[0] * p[0] : throw new InvalidOperationException();
        dydt[1] = (p.Length < 3 || y.Length != 3) ? throw new ArgumentException("too short", nameof(p)) : Math.Sin(y[1]) * p[2];
        dydt[2] = !(y.Length >= 2) ? throw new InvalidOperationException(nameof(y)) : y[2] * y[1] - p[1];
        """;

    [Theory]
    [InlineData(false, false, true)]
    [InlineData(false, true, true)]
    [InlineData(true, false, false)]
    [InlineData(true, true, false)]
    public void ThrowsOnASideNeverTaken_AreGenerated_WithDerivativesRight(bool isFloat, bool function, bool secondOrder)
    {
        string body = isFloat ? Body.Replace("Math.", "MathF.", StringComparison.Ordinal) : Body;
        string source = Source(body, isFloat ? "float" : "double", function, secondOrder, declared: true);
        PatternAndBufferTests.AssertGeneratedRight(new FuzzProgram(0, body.Length, source, "Users", "C", function ? "G" : "Rhs", function, isFloat, secondOrder, Vectorized: false));
    }

    [Theory]
    [InlineData("dydt[0] = y[0] > 0 ? y[0] : [|throw new InvalidOperationException()|];", true, "which is not known when generating")]
    [InlineData("dydt[0] = y.Length > 0 ? y[0] : [|throw new InvalidOperationException()|];", false, "which is not known when generating")]
    [InlineData("dydt[0] = y.Length > 5 ? y[0] : [|throw new InvalidOperationException()|];", true, "always takes")]
    public void ThrowsTheGeneratedCodeWouldNeedToMake_AreODE0004_OnTheThrow(string body, bool declared, string what)
    {
        string all = body + "\ndydt[1] = y[1];\ndydt[2] = y[2];";
        Diagnostic d = Parsing.DiagnosticTests.AssertDiagnostic("ODE0004", Source(all, "double", function: false, secondOrder: false, declared));
        Assert.Contains(what, d.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Fact]
    public void GeneratedSource_MatchesSnapshot()
    {
        string source = Source(Body, "double", function: false, secondOrder: false, declared: true);
        Compilation compilation = GeneratorHarness.Compile(source);
        GeneratorRun run = GeneratorHarness.Run(compilation);
        Assert.Empty(run.Result.Diagnostics);
        Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning && !compilation.SyntaxTrees.Contains(d.Location.SourceTree)));
        string text = string.Join("\n", run.ScalarSources.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"// ===== {s.Key} =====\n{s.Value}"));
        Snapshot.Verify("ThrowExpression", text);
        Incrementality.AssertAllStepsCached(run.Driver.RunGenerators(compilation.Clone()).GetRunResult());
    }

    /// <summary>The body as dynamics (t, y, p, dydt) or, renamed, as a function (x, p, y); 3 states, inputs, outputs and parameters, declared or not.</summary>
    private static string Source(string body, string num, bool function, bool secondOrder, bool declared)
    {
        string attribute = function ? "Differentiable(Inputs = 3, Parameters = 3, Outputs = 3" : "OdeDynamics(States = 3, Parameters = 3";
        if (!declared)
        {
            attribute = attribute[..attribute.IndexOf('(', StringComparison.Ordinal)] + "(";
        }

        string method = function
            ? $"G(ReadOnlySpan<{num}> x, ReadOnlySpan<{num}> p, Span<{num}> y)"
            : $"Rhs({num} t, ReadOnlySpan<{num}> y, ReadOnlySpan<{num}> p, Span<{num}> dydt)";
        string text = function
            ? body.Replace("y[", "x[", StringComparison.Ordinal).Replace("y.Length", "x.Length", StringComparison.Ordinal).Replace("nameof(y)", "nameof(x)", StringComparison.Ordinal)
                .Replace("dydt[", "y[", StringComparison.Ordinal)
            : body;
        string options = secondOrder ? (declared ? ", SecondOrder = true" : "SecondOrder = true") : "";
        return $$"""
            using OdeGen;
            namespace Users;
            public static partial class C
            {
                [{{attribute}}{{options}})]
                public static void {{method}}
                {
                    {{text}}
                }
            }
            """;
    }
}
