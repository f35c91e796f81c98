using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Parsing;

/// <summary>
/// 1,000 mutants of valid dynamics with loops, branches and buffers (a token deleted or duplicated,
/// two identifiers swapped, an unsupported statement inserted, the text truncated), 125 to a
/// compilation: no exception escapes the generator, and nothing it emits has an error of its own,
/// so every mutant either compiles or carries an error (the compiler's or OdeGen's).
/// Beside them, the shapes of issue #22 (<see cref="Shape"/>: file-local twins across files, generic-arity,
/// nesting, namespace and case twins, the generated name taken, parameter modifiers, containing types of every
/// kind with attributed and variant type parameters, [OdeDynamics] on local functions, lambdas and accessors):
/// as written they compile with exactly their OdeGen errors, and mutated they never throw, never get broken
/// code, and never take a valid program's systems down with them.
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

        return Mutate(source, r);
    }

    /// <summary><paramref name="source"/> changed once: a token deleted or repeated, two identifiers swapped, a statement inserted, or cut short.</summary>
    private static string Mutate(string source, Random r)
    {
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

    // ---- the shapes of issue #22: names that collide, parameter modifiers, misplaced attributes ----------------------

    private const int ShapeBatches = 4, ShapesPerBatch = 128;

    private const string Signature = "(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)";

    /// <summary>One of the shapes, as valid C#, in namespace S{k}; <paramref name="expected"/> lists the OdeGen errors it must get.</summary>
    internal static string[] Shape(int k, Random r, out string[] expected)
    {
        string ns = $"namespace S{k};\nusing OdeGen;\n";
        string Rhs(string name = "Rhs") => $"[OdeDynamics] public static void {name}{Signature} {{ double a = p[0]; dydt[0] = a * y[0] + Math.Sin(t); dydt[1] = -y[1]; }}";
        string Use(params string[] structs) =>
            $"public static class Use {{ public static int N => {string.Join(" + ", structs.Select(x => $"new {x}().StateCount"))}; }}";
        switch (k % 8)
        {
            case 0:   // file-local twins, one per file, beside an ordinary system
                expected = new[] { "ODE0022", "ODE0022" };
                string twin = ns + $"file static partial class M {{ {Rhs()} }}";
                return new[] { twin, twin, ns + $"public static partial class Other {{ {Rhs()} }}\n" + Use("Other.RhsSystem") };
            case 1:   // generic-arity twins and a look-alike
                expected = Array.Empty<string>();
                return new[]
                {
                    ns + $"public partial class Twin_T_ {{ {Rhs()} }}\npublic partial class Twin<T> {{ {Rhs()} }}\npublic partial class Twin<T, U> {{ {Rhs()} }}\n"
                       + $"public partial class Twin {{ {Rhs()} }}\n" + Use("Twin_T_.RhsSystem", "Twin<int>.RhsSystem", "Twin<int, int>.RhsSystem", "Twin.RhsSystem"),
                };
            case 2:   // nesting and namespace twins, one method name everywhere
                expected = Array.Empty<string>();
                return new[]
                {
                    ns + $"public partial class Model {{ {Rhs()} }}\npublic partial class Outer {{ public partial class Model {{ {Rhs()} }} }}\n"
                       + $"public partial class Outer_Model {{ {Rhs()} }}\npublic partial class Other {{ public partial struct Outer {{ public partial record Model {{ {Rhs()} }} }} }}\n"
                       + Use("Model.RhsSystem", "Outer.Model.RhsSystem", "Outer_Model.RhsSystem", "Other.Outer.Model.RhsSystem"),
                    $"namespace S{k}.Outer2 {{ using OdeGen; public partial class Model {{ {Rhs()} }} }}\nnamespace S{k} {{ using OdeGen; public partial class Outer2_ {{ {Rhs()} }} }}",
                };
            case 3:   // the generated name taken by a member of the user's own
                expected = new[] { "ODE0012" };
                string[] members = { "class RhsSystem { }", "struct RhsSystem { }", "interface RhsSystem { }", "enum RhsSystem { }", "delegate void RhsSystem();", "const int RhsSystem = 1;", "static void RhsSystem() { }" };
                return new[] { ns + $"public static partial class Lorenz {{ {members[r.Next(members.Length)]} {Rhs()} }}\npublic static partial class Other {{ {Rhs()} }}\n" + Use("Other.RhsSystem") };
            case 4:   // a modifier on a parameter
                (string Parameter, string Modifier, string? Code)[] choices =
                {
                    ("double t", "in", "ODE0019"), ("double t", "ref readonly", "ODE0019"), ("ReadOnlySpan<double> y", "in", "ODE0019"),
                    ("ReadOnlySpan<double> p", "ref", "ODE0019"), ("Span<double> dydt", "ref", "ODE0019"), ("Span<double> dydt", "out", "ODE0019"),
                    ("Span<double> dydt", "params", "ODE0019"), ("ReadOnlySpan<double> y", "scoped", null), ("Span<double> dydt", "scoped", null),
                    ("double t", "this", null),
                };
                var choice = choices[r.Next(choices.Length)];
                string body = choice.Modifier == "out" ? "{ dydt = default; }" : "{ dydt[0] = y[0] * p[0]; }";
                string method = $"[OdeDynamics] public static void Rhs{Signature.Replace(choice.Parameter, choice.Modifier + " " + choice.Parameter, StringComparison.Ordinal)} {body}";
                expected = choice.Code is null ? Array.Empty<string>() : new[] { choice.Code };
                return new[] { ns + $"public static partial class Lorenz {{ {method} }}\n" + (choice.Code is null ? Use("Lorenz.RhsSystem") : "") };
            case 5:   // [OdeDynamics] where no struct can go
                string[] places =
                {
                    $"public static void Run() {{ [OdeDynamics] static void Rhs{Signature} => dydt[0] = y[0]; }}",
                    $"public static void Run() {{ [OdeDynamics] void Rhs{Signature} {{ dydt[0] = y[0]; }} }}",
                    $"public static readonly D F = [OdeDynamics] static {Signature} => dydt[0] = y[0];",
                    "public static double Rate { [OdeDynamics] get => 1; }",
                };
                expected = new[] { "ODE0020" };
                return new[] { ns + $"public delegate void D{Signature};\npublic static partial class Lorenz {{ {places[r.Next(places.Length)]} {Rhs("Other")} }}\n" + Use("Lorenz.OtherSystem") };
            case 6:   // containing types of every kind, with attributes and variance on type parameters
                expected = new[] { "ODE0023" };
                return new[]
                {
                    ns + "[AttributeUsage(AttributeTargets.GenericParameter)] public sealed class TagAttribute : Attribute { }\n"
                       + $"public partial class G<[Tag] T> {{ {Rhs()} }}\npublic partial interface IModel {{ {Rhs()} }}\npublic ref partial struct Ref {{ {Rhs()} }}\n"
                       + $"public partial record R(int A) {{ {Rhs()} }}\npublic readonly partial record struct Rs {{ {Rhs()} }}\npublic partial interface IVariant<out T> {{ {Rhs()} }}\n"
                       + Use("G<int>.RhsSystem", "IModel.RhsSystem", "Ref.RhsSystem", "R.RhsSystem", "Rs.RhsSystem"),
                };
            default:   // names that differ only in case
                expected = Array.Empty<string>();
                return new[] { ns + $"public partial class Foo {{ {Rhs()} }}\npublic partial class foo {{ {Rhs()} }}\npublic partial class Foo<T> {{ {Rhs()} }}\n" + Use("Foo.RhsSystem", "foo.RhsSystem", "Foo<int>.RhsSystem") };
        }
    }

    [Fact]
    public void Shapes_AsWritten_CompileWithExactlyTheirOdeErrors()
    {
        var trees = new List<SyntaxTree>();
        var expected = new List<string>();
        for (int k = 0; k < ShapesPerBatch; k++)
        {
            string[] files = Shape(k, new Random(unchecked((Seed * 31) + k)), out string[] codes);
            expected.AddRange(codes);
            trees.AddRange(files.Select((f, i) => CSharpSyntaxTree.ParseText(f, GeneratorHarness.ParseOptions, $"Shape{k}_{i}.cs")));
        }

        Compilation input = GeneratorHarness.Compile().AddSyntaxTrees(trees);
        Assert.Empty(GeneratorHarness.Errors(input).Where(d => d.Id != "CS0426" && d.Id != "CS0234" && d.Id != "CS0246"));
        GeneratorRun run = GeneratorHarness.Run(input);
        Assert.Null(run.Result.Results.Single().Exception);

        // No generated file clashes with another or with the user's code: the whole program compiles, every Use included.
        Assert.Empty(GeneratorHarness.Errors(run.Output));
        Assert.Equal(expected.OrderBy(c => c), run.Result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.Id).OrderBy(c => c));
        Assert.Equal(run.Sources.Count, run.Sources.Keys.Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }

    public static TheoryData<int> ShapeBatchNumbers => new(Enumerable.Range(0, ShapeBatches));

    [Theory]
    [MemberData(nameof(ShapeBatchNumbers))]
    public void MutatedShapes_NeverThrow_AndNeverGetCodeThatDoesNotCompile(int batch)
    {
        // Odd programs are mutated, even ones are left valid: whatever a mutant does, the valid programs beside it
        // must keep compiling, their systems included (a shared file name once dropped every system: CS8785).
        var trees = new List<SyntaxTree>();
        var valid = new HashSet<string>(StringComparer.Ordinal);
        for (int k = batch * ShapesPerBatch; k < (batch + 1) * ShapesPerBatch; k++)
        {
            var r = new Random(unchecked((Seed * 7907) + k));
            string[] files = Shape(k, r, out _);
            if (k % 2 == 1)
            {
                int mutated = r.Next(files.Length);
                files[mutated] = Mutate(files[mutated], r);
            }

            for (int i = 0; i < files.Length; i++)
            {
                string path = $"Shape{k}_{i}.cs";
                trees.Add(CSharpSyntaxTree.ParseText(files[i], GeneratorHarness.ParseOptions, path));
                if (k % 2 == 0)
                {
                    valid.Add(path);
                }
            }
        }

        Compilation input = GeneratorHarness.Compile().AddSyntaxTrees(trees);
        GeneratorRun run = GeneratorHarness.Run(input);
        GeneratorRunResult result = run.Result.Results.Single();
        Assert.True(result.Exception is null, $"seed {Seed}, shape batch {batch}: {result.Exception}");
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Id is "CS8785" or "ODE0011");

        var generated = run.Output.SyntaxTrees.Where(t => !input.SyntaxTrees.Contains(t)).ToHashSet();
        Diagnostic? broken = GeneratorHarness.Errors(run.Output).FirstOrDefault(d => d.Location.SourceTree is { } tree && generated.Contains(tree));
        Assert.True(broken is null, $"seed {Seed}, shape batch {batch}: generated code does not compile: {broken}\n{broken?.Location.SourceTree}");

        Diagnostic? lost = GeneratorHarness.Errors(run.Output).FirstOrDefault(d => d.Location.SourceTree is { } tree && valid.Contains(tree.FilePath));
        Assert.True(lost is null, $"seed {Seed}, shape batch {batch}: a valid program beside the mutants does not compile: {lost}");
        Assert.True(generated.Count >= ShapesPerBatch, $"only {generated.Count} files for {ShapesPerBatch} shapes");
        Assert.Contains(run.Result.Diagnostics, d => d.Id.StartsWith("ODE", StringComparison.Ordinal) && d.Severity == DiagnosticSeverity.Error);
    }
}
