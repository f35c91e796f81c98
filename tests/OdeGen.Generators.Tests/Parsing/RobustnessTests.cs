using System.Globalization;
using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Parsing;

/// <summary>The generator never throws and never emits code that does not compile, whatever the input.</summary>
public class RobustnessTests
{
    /// <summary>Prefixes of the Lorenz source (every ~4% of it) and token-level mutations of it.</summary>
    public static TheoryData<int, string> Mutants()
    {
        string source = TestSources.Lorenz;
        var data = new TheoryData<int, string>();
        int id = 0;
        for (int cut = 0; cut < source.Length; cut += source.Length / 25)
        {
            data.Add(id++, source[..cut]);
        }

        (string From, string To)[] edits =
        {
            ("p[0]", "p[k]"), ("y[1]", "y[-1]"), ("dydt[2]", "y[2]"), ("*", "%"), ("-", "/"), ("double sigma", "int sigma"),
            ("static void", "static double"), ("partial ", ""), ("p[2]", "p[2] + \"s\""), ("(y[1] - y[0])", "(y[1] - y[0]"),
            ("dydt[0] =", "dydt[0] +="), ("beta * y[2]", "Math.Abs(beta) * y[2]"), ("sigma * ", "Lorenz.Rhs(t, y, p, dydt) * "),
            ("rho = p[1]", "rho"), ("y[0] * y[1]", "y[0] * y[1] * 1e309"), ("sigma", "t"), (";", ""), ("{", ""),
            ("}", ""), ("ReadOnlySpan<double> p", "ReadOnlySpan<double> p, int extra"), ("rho - y[2]", "rho - y[2] ?? 1"),
            ("[OdeDynamics]", "[OdeDynamics(States = 1)]"), ("[OdeDynamics]", "[OdeDynamics(Parameters = -3)]"),
            ("public static partial class", "file static partial class"), ("double t", "in double t"), ("Span<double> dydt", "ref Span<double> dydt"),
            ("Span<double> dydt", "scoped Span<double> dydt"), ("    [OdeDynamics]", "    class RhsSystem { }\n    [OdeDynamics]"),
            ("class Lorenz", "class Lorenz<RhsSystem>"),
        };
        // Two identical methods: the compiler reports CS0111; the generator must not crash on the shared file name.
        int method = source.IndexOf("    [OdeDynamics]", StringComparison.Ordinal);
        int close = source.LastIndexOf('}');
        data.Add(id++, source[..close] + source[method..close] + "}");

        foreach ((string from, string to) in edits)
        {
            int at = source.IndexOf(from, StringComparison.Ordinal);
            if (at < 0)
            {
                throw new InvalidOperationException($"'{from}' is not in the Lorenz source");
            }

            data.Add(id++, source[..at] + to + source[(at + from.Length)..]);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Mutants))]
    public void Generator_NeverThrows_AndEitherCompilesOrReportsAnError(int id, string source)
    {
        Compilation input = GeneratorHarness.Compile(source);
        GeneratorRun run = GeneratorHarness.Run(input);

        GeneratorRunResult result = run.Result.Results.Single();
        Assert.True(result.Exception is null, $"mutant {id}: {result.Exception}");
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Id is "CS8785" or "ODE0011");

        // Generated files never contain errors of their own …
        var generated = run.Output.SyntaxTrees.Where(t => !input.SyntaxTrees.Contains(t)).ToHashSet();
        Assert.DoesNotContain(GeneratorHarness.Errors(run.Output), d => d.Location.SourceTree is { } tree && generated.Contains(tree));

        // … and a run either compiles or somebody (the compiler or OdeGen) said why not.
        bool compiles = GeneratorHarness.Errors(run.Output).IsEmpty;
        bool explained = !GeneratorHarness.Errors(input).IsEmpty || run.Result.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error);
        Assert.True(compiles || explained, $"mutant {id} neither compiles nor reports an error");
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    [InlineData("\u2028")]
    [InlineData("\u0085")]
    public void StatementsSpanningLines_StayInsideTheirComment(string lineBreak)
    {
        // The statement's own comment ends at any C# line break; the copy above the generated code must not.
        string source = TestSources.Lorenz.Replace("sigma * (y[1] - y[0]);", "sigma * // rate" + lineBreak + "(y[1] - y[0]);");
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(source));
        Assert.Empty(GeneratorHarness.Errors(run.Output));
        Assert.Contains("// dydt[0] = sigma * // rate (y[1] - y[0]);", Assert.Single(run.ScalarSources).Value);
    }

    [Fact]
    public void NumbersAreInvariant_UnderACultureWithAUnicodeMinusSign()
    {
        var compilation = GeneratorHarness.Compile(TestSources.All.Values.ToArray());
        string invariant = string.Join("\n", GeneratorHarness.Run(compilation).Sources.OrderBy(s => s.Key).Select(s => s.Value));

        CultureInfo saved = CultureInfo.CurrentCulture;
        var minus = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        minus.NumberFormat.NegativeSign = "\u2212";
        minus.NumberFormat.NumberDecimalSeparator = ",";
        GeneratorRun run;
        try
        {
            CultureInfo.CurrentCulture = minus;
            Assert.Equal("\u22122,5", (-2.5).ToString(CultureInfo.CurrentCulture));   // the culture really is hostile
            run = GeneratorHarness.Run(compilation);
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }

        Assert.Empty(GeneratorHarness.Errors(run.Output));
        Assert.Equal(invariant, string.Join("\n", run.Sources.OrderBy(s => s.Key).Select(s => s.Value)));
        Assert.Contains("-0.0025", invariant);
        Assert.Contains("1E-20", invariant);
        CompiledSystems.EmitAndLoad(run.Output);
    }

    /// <summary>Issue #22's shapes at sizes that keep this fast (LargeProgramTests has them at full size, with numbers).</summary>
    private static readonly Dictionary<string, string> DeepAndLongSources = new()
    {
        ["sum of 2,000 terms"] = LargePrograms.Sum(2000),
        ["parentheses 300 deep"] = LargePrograms.RightNested(300),
        ["calls 200 deep"] = LargePrograms.NestedCalls(200),
        ["chain of 500 statements"] = LargePrograms.Chain(500),
        ["blocks 300 deep"] = LargePrograms.Chain(0).Replace("dydt[0] = x0;", new string('{', 300) + "dydt[0] = y[0];" + new string('}', 300), StringComparison.Ordinal),
        ["&& chain of 1,000"] = LargePrograms.Chain(0).Replace("dydt[0] = x0;", "if (" + string.Join(" && ", Enumerable.Range(0, 1000).Select(i => $"y[{i % 10}] > {i}")) + ") { dydt[0] = y[0]; }", StringComparison.Ordinal),
    };

    public static TheoryData<string> DeepAndLong => new(DeepAndLongSources.Keys);

    [Theory]
    [MemberData(nameof(DeepAndLong))]
    public void DeepAndLongPrograms_NeverThrow_AndEitherCompileOrReportAnError(string shape)
    {
        Compilation input = GeneratorHarness.Compile(DeepAndLongSources[shape]);
        GeneratorRun run = GeneratorHarness.Run(input);
        Assert.True(run.Result.Results.Single().Exception is null, shape);
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Id is "CS8785" or "ODE0011");
        var generated = run.Output.SyntaxTrees.Where(t => !input.SyntaxTrees.Contains(t)).ToHashSet();
        Assert.DoesNotContain(GeneratorHarness.Errors(run.Output), d => d.Location.SourceTree is { } tree && generated.Contains(tree));
        bool compiles = GeneratorHarness.Errors(run.Output).IsEmpty;
        Assert.True(compiles || run.Result.Diagnostics.Any(d => d.Id is "ODE0025" or "ODE0026"), shape);
    }
}
