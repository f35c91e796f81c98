using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests;

/// <summary>
/// 1,000 mutants of valid dynamics with loops, branches and buffers (a token deleted or duplicated,
/// two identifiers swapped, an unsupported statement inserted, the text truncated), 125 to a
/// compilation: no exception escapes the generator, and nothing it emits has an error of its own,
/// so every mutant either compiles or carries an error (the compiler's or OdeGen's).
/// </summary>
public class MutationTests
{
    private const int Seed = 4242, Batches = 8, PerBatch = 125;

    private static readonly string[] Bases = { TestSources.LoopMlp, TestSources.LoopBuffer, TestSources.Branches, TestSources.LoopRuntime, TestSources.Lorenz };

    private static readonly string[] Inserts =
    {
        "while (y[0] > 0) { }", "goto done;", "try { } finally { }", "foreach (double v in y) { }", "break;", "continue;",
        "return;", "i++;", "dydt = default;", "double q = y.Length;", "Span<double> s2 = stackalloc double[(int)y[0]];",
        "for (int k = 0; k < y.Length; k += 2) { }", "for (;;) { }", "int m = (int)p[0];", "h[0] = h[1];", "dydt[0] = dydt[0];",
        "if (y[0] > 0) { double r = 1; } else r = 2;", "s = s * 2;", "o = 0;", "var x = y[0] > 0 ? y : p;", "lock (this) { }",
        "unsafe { }", "checked { }", "using (null) { }", "local(); void local() { }", "yield return 1;", "dydt[i] += dydt[i];",
    };

    public static TheoryData<int> BatchNumbers => new(Enumerable.Range(0, Batches));

    [Theory]
    [MemberData(nameof(BatchNumbers))]
    public void Mutants_NeverThrow_AndNeverGetCodeThatDoesNotCompile(int batch)
    {
        var trees = new List<SyntaxTree>();
        for (int k = batch * PerBatch; k < (batch + 1) * PerBatch; k++)
        {
            trees.Add(CSharpSyntaxTree.ParseText(Mutant(k), GeneratorHarness.ParseOptions, $"Mutant{k}.cs"));
        }

        Compilation input = GeneratorHarness.Compile().AddSyntaxTrees(trees);
        GeneratorRun run = GeneratorHarness.Run(input);
        GeneratorRunResult result = run.Result.Results.Single();
        Assert.True(result.Exception is null, $"seed {Seed}, batch {batch}: {result.Exception}");
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Id is "CS8785" or "ODE0011");

        var generated = run.Output.SyntaxTrees.Where(t => !input.SyntaxTrees.Contains(t)).ToHashSet();
        Diagnostic? broken = GeneratorHarness.Errors(run.Output).FirstOrDefault(d => d.Location.SourceTree is { } tree && generated.Contains(tree));
        Assert.True(broken is null, $"seed {Seed}, batch {batch}: generated code does not compile: {broken}\n{broken?.Location.SourceTree}");

        // The mutants really exercise both outcomes: many still generate code, some are rejected by OdeGen.
        Assert.True(generated.Count >= PerBatch / 20, $"only {generated.Count} of {PerBatch} mutants generated code");
        Assert.Contains(run.Result.Diagnostics, d => d.Id.StartsWith("ODE", StringComparison.Ordinal) && d.Severity == DiagnosticSeverity.Error);
    }

    /// <summary>Mutant <paramref name="k"/>: a base program in its own namespace and class, changed once.</summary>
    internal static string Mutant(int k)
    {
        var r = new Random(unchecked((Seed * 7919) + k));
        string source = Bases[k % Bases.Length];

        // Unique names first, so mutants in one compilation never merge their partial classes.
        source = source.Replace("namespace Scenarios.Loops;", $"namespace M{k};").Replace("namespace Scenarios.Branches;", $"namespace M{k};")
            .Replace("class Mlp", $"class Mlp{k}").Replace("class Reservoir", $"class Reservoir{k}").Replace("class Switch", $"class Switch{k}")
            .Replace("class Chain", $"class Chain{k}");
        if (source.Contains("public static partial class Lorenz", StringComparison.Ordinal))
        {
            source = source.Replace("public static partial class Lorenz", $"namespace M{k} {{ public static partial class Lorenz{k}") + "}";
        }

        SyntaxToken[] tokens = CSharpSyntaxTree.ParseText(source).GetRoot().DescendantTokens().ToArray();
        SyntaxToken token = tokens[r.Next(tokens.Length)];
        switch (r.Next(5))
        {
            case 0:
                return source.Remove(token.SpanStart, token.Span.Length);
            case 1:
                return source.Insert(token.SpanStart, token.Text + " ");
            case 2:
                SyntaxToken[] identifiers = tokens.Where(t => t.IsKind(SyntaxKind.IdentifierToken)).ToArray();
                SyntaxToken first = identifiers[r.Next(identifiers.Length)], second = identifiers[r.Next(identifiers.Length)];
                (SyntaxToken a, SyntaxToken b) = first.SpanStart < second.SpanStart ? (first, second) : (second, first);
                return a.SpanStart == b.SpanStart ? source
                    : source[..a.SpanStart] + b.Text + source[a.Span.End..b.SpanStart] + a.Text + source[b.Span.End..];
            case 3:
                SyntaxToken[] ends = tokens.Where(t => t.IsKind(SyntaxKind.SemicolonToken) || t.IsKind(SyntaxKind.OpenBraceToken)).ToArray();
                int at = ends[r.Next(ends.Length)].Span.End;
                return source.Insert(at, " " + Inserts[r.Next(Inserts.Length)] + " ");
            default:
                return source[..r.Next(source.Length)];
        }
    }
}
