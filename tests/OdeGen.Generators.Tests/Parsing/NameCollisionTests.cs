using System.Reflection;
using Microsoft.CodeAnalysis;
using OdeGen.Generators.Model;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Parsing;

/// <summary>
/// Systems whose names are alike in every way C# allows get files of their own (issue #22: a shared hint name made
/// AddSource throw, CS8785, and every system of the project vanished); file-local types are refused, located.
/// </summary>
public class NameCollisionTests
{
    private const string Signature = "(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)";

    /// <summary>A marked method whose struct can be told from the others by <paramref name="gain"/>: dydt[0] = gain·y[0].</summary>
    private static string Rhs(int gain, string name = "Rhs") => $"[OdeDynamics] public static void {name}{Signature} => dydt[0] = {gain} * y[0];";

    /// <summary>Evaluates the struct <paramref name="type"/> (a C# type name) at y = 1.</summary>
    private static string Probe(string type) => $"Eval(new {type}())";

    private const string ProbeHelpers = """
        private static double Eval<T>(T system) where T : struct, IOdeSystem
        {
            Span<double> dydt = stackalloc double[1];
            system.Evaluate(0, new double[] { 1 }, ReadOnlySpan<double>.Empty, dydt);
            return dydt[0];
        }
        """;

    [Fact]
    public void FileLocalTwinsInTwoFiles_AreRefusedOnTheirFileKeyword_AndEveryOtherSystemStaysUsable()
    {
        // As found: two 'file static partial class M' of one name, each in its own file, beside an ordinary system.
        string twin = $"using OdeGen;\nfile static partial class M\n{{\n    {Rhs(2)}\n}}\n";
        string other = $$"""
            using OdeGen;
            public static partial class Other { {{Rhs(5)}} }
            public static class Probe
            {
                public static double[] All() => new[] { {{Probe("Other.RhsSystem")}} };
                {{ProbeHelpers}}
            }
            """;
        Compilation input = GeneratorHarness.Compile(twin, twin, other);
        GeneratorRun run = GeneratorHarness.Run(input);

        Assert.Null(run.Result.Results.Single().Exception);
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Id is "CS8785" or "ODE0011");
        Diagnostic[] refused = run.Result.Diagnostics.Where(d => d.Id == "ODE0022").OrderBy(d => d.Location.GetLineSpan().Path, StringComparer.Ordinal).ToArray();
        Assert.Equal(new[] { "Source0.cs", "Source1.cs" }, refused.Select(d => d.Location.GetLineSpan().Path));
        Assert.All(refused, d => Assert.Equal("file", twin.Substring(d.Location.SourceSpan.Start, d.Location.SourceSpan.Length)));
        Assert.All(refused, d => Assert.Contains("'M' is a file-local type", d.GetMessage(), StringComparison.Ordinal));

        Assert.Equal(new[] { "Other.RhsSystem.Augmented.g.cs", "Other.RhsSystem.Lanes.g.cs", "Other.RhsSystem.g.cs" }, run.Sources.Keys.OrderBy(k => k, StringComparer.Ordinal));
        Assert.Empty(GeneratorHarness.Errors(run.Output));
        Assert.Equal(new[] { 5.0 }, RunProbe(run));
    }

    [Fact]
    public void SingleFileLocalType_GetsNoStructInAnotherType()
    {
        // Before: the struct went into a new, non-file 'partial class M' that the user's file cannot see.
        string source = $"using OdeGen;\nfile static partial class M\n{{\n    {Rhs(2)}\n}}\n";
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(source));
        Assert.Equal("ODE0022", Assert.Single(run.Result.Diagnostics).Id);
        Assert.Empty(run.Sources);
        Assert.Empty(GeneratorHarness.Errors(run.Output));
    }

    [Fact]
    public void GenericArityTwins_BothGenerated_AndEveryOtherSystemStaysUsable()
    {
        // As found: 'partial class Twin_T_' beside 'partial class Twin<T>' (both were "Twin_T_.RhsSystem.g.cs").
        string source = $$"""
            using OdeGen;
            public partial class Twin_T_ { {{Rhs(2)}} }
            public partial class Twin<T> { {{Rhs(3)}} }
            public partial class Twin<T, U> { {{Rhs(4)}} }
            public partial class Twin { {{Rhs(5)}} }
            public static partial class Lorenz { {{Rhs(6)}} }
            public static class Probe
            {
                public static double[] All() => new[]
                {
                    {{Probe("Twin_T_.RhsSystem")}}, {{Probe("Twin<int>.RhsSystem")}}, {{Probe("Twin<int, string>.RhsSystem")}},
                    {{Probe("Twin.RhsSystem")}}, {{Probe("Lorenz.RhsSystem")}},
                };
                {{ProbeHelpers}}
            }
            """;
        GeneratorRun run = AssertCompiles(source);
        Assert.Equal(new[] { 2.0, 3, 4, 5, 6 }, RunProbe(run));
        Assert.Equal(
            new[] { "Lorenz.RhsSystem.g.cs", "Twin.RhsSystem.g.cs", "Twin_T_.RhsSystem.g.cs", "Twin`1.RhsSystem.g.cs", "Twin`2.RhsSystem.g.cs" },
            run.ScalarSources.Keys.OrderBy(k => k, StringComparer.Ordinal));
    }

    [Fact]
    public void NestingAndNamespaceTwins_SameMethodNames_AllGenerated()
    {
        // One name in two namespaces, nested and not nested, nested in two types, a look-alike with '_', and a
        // namespace and type path that read the same with dots (N.Outer.Model as a namespace and as nesting).
        string source = $$"""
            using OdeGen;
            namespace N.A { public partial class Model { {{Rhs(2)}} } }
            namespace N.B { public partial class Model { {{Rhs(3)}} } }
            namespace N
            {
                public partial class Model { {{Rhs(4)}} {{Rhs(40, "Other")}} }
                public partial class Outer { public partial class Model { {{Rhs(5)}} } }
                public partial class Outer2 { public partial class Model { {{Rhs(6)}} } }
                public partial class Outer_Model { {{Rhs(7)}} }
            }
            namespace N.Outer3 { public partial class Model { {{Rhs(8)}} } }
            namespace N { public partial class Outer3_ { public partial class Model { {{Rhs(9)}} } } }
            namespace N { public partial struct Caf\u00e9 { {{Rhs(10)}} } public partial struct Cafe { {{Rhs(11)}} } }
            public static class Probe
            {
                public static double[] All() => new[]
                {
                    {{Probe("N.A.Model.RhsSystem")}}, {{Probe("N.B.Model.RhsSystem")}}, {{Probe("N.Model.RhsSystem")}}, {{Probe("N.Model.OtherSystem")}},
                    {{Probe("N.Outer.Model.RhsSystem")}}, {{Probe("N.Outer2.Model.RhsSystem")}}, {{Probe("N.Outer_Model.RhsSystem")}},
                    {{Probe("N.Outer3.Model.RhsSystem")}}, {{Probe("N.Outer3_.Model.RhsSystem")}}, {{Probe("N.Caf\u00e9.RhsSystem")}}, {{Probe("N.Cafe.RhsSystem")}},
                };
                {{ProbeHelpers}}
            }
            """;
        GeneratorRun run = AssertCompiles(source);
        Assert.Equal(new[] { 2.0, 3, 4, 40, 5, 6, 7, 8, 9, 10, 11 }, RunProbe(run));
        Assert.Contains("N.Outer+Model.RhsSystem.g.cs", run.ScalarSources.Keys);
        Assert.Contains("N.Outer_Model.RhsSystem.g.cs", run.ScalarSources.Keys);
        Assert.Contains("N.Caf(00E9).RhsSystem.g.cs", run.ScalarSources.Keys);
    }

    [Fact]
    public void TypesThatDifferOnlyInCase_GetFilesOfTheirOwn()
    {
        // The compiler compares hint names ignoring case: Foo and foo need a suffix, Bar does not.
        string source = $$"""
            using OdeGen;
            public partial class Foo { {{Rhs(2)}} }
            public partial class foo { {{Rhs(3)}} }
            public partial class FOO { {{Rhs(4)}} }
            public partial class Bar { {{Rhs(5)}} }
            public static class Probe
            {
                public static double[] All() => new[] { {{Probe("Foo.RhsSystem")}}, {{Probe("foo.RhsSystem")}}, {{Probe("FOO.RhsSystem")}}, {{Probe("Bar.RhsSystem")}} };
                {{ProbeHelpers}}
            }
            """;
        GeneratorRun run = AssertCompiles(source);
        Assert.Equal(new[] { 2.0, 3, 4, 5 }, RunProbe(run));
        Assert.Equal(12, run.Sources.Keys.Distinct(StringComparer.OrdinalIgnoreCase).Count());   // four systems, three files each
        Assert.Contains("Bar.RhsSystem.g.cs", run.Sources.Keys);
        Assert.Contains("Foo.RhsSystem" + HintNames.CaseSuffix("Foo.RhsSystem") + ".Lanes.g.cs", run.Sources.Keys);
    }

    [Fact]
    public void GeneratedNameTakenByANestedType_IsODE0012_AndEveryOtherSystemStaysUsable()
    {
        // As found: a user's 'class RhsSystem' inside Lorenz gave CS0260/CS0102 from the generated file.
        string source = $$"""
            using OdeGen;
            public static partial class Lorenz
            {
                class RhsSystem { }
                {{Rhs(2)}}
            }
            public static partial class Other { {{Rhs(3)}} }
            public static class Probe
            {
                public static double[] All() => new[] { {{Probe("Other.RhsSystem")}} };
                {{ProbeHelpers}}
            }
            """;
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(source));
        Diagnostic d = Assert.Single(run.Result.Diagnostics);
        Assert.Equal("ODE0012", d.Id);
        Assert.Contains("the nested type 'RhsSystem'", d.GetMessage(), StringComparison.Ordinal);
        Assert.Equal(new[] { "Other.RhsSystem.Augmented.g.cs", "Other.RhsSystem.Lanes.g.cs", "Other.RhsSystem.g.cs" }, run.Sources.Keys.OrderBy(k => k, StringComparer.Ordinal));
        Assert.Empty(GeneratorHarness.Errors(run.Output));
        Assert.Equal(new[] { 3.0 }, RunProbe(run));
    }

    [Theory]
    [InlineData("struct")]
    [InlineData("record")]
    [InlineData("interface")]
    public void TwoTypesOfOneName_AnErrorOfTheUsersOwn_LeaveTheOtherSystemsAlone(string kind)
    {
        // 'partial class X' beside 'partial struct X' (CS0261) are two types with one full name: one key, two systems.
        string source = $$"""
            using OdeGen;
            public partial class X { {{Rhs(2)}} }
            public partial {{kind}} X { {{Rhs(3)}} }
            public static partial class Other { {{Rhs(4)}} }
            public static class Probe
            {
                public static double[] All() => new[] { {{Probe("Other.RhsSystem")}} };
                {{ProbeHelpers}}
            }
            """;
        Compilation input = GeneratorHarness.Compile(source);
        GeneratorRun run = GeneratorHarness.Run(input);
        Assert.Null(run.Result.Results.Single().Exception);
        Assert.Empty(run.Result.Diagnostics);
        Assert.Equal(new[] { "Other.RhsSystem.Augmented.g.cs", "Other.RhsSystem.Lanes.g.cs", "Other.RhsSystem.g.cs" }, run.Sources.Keys.OrderBy(k => k, StringComparer.Ordinal));
        Assert.Equal(new[] { "CS0261" }, GeneratorHarness.Errors(run.Output).Select(d => d.Id).Distinct());
        Assert.Equal(GeneratorHarness.Errors(input).Where(d => d.Id == "CS0261").Select(d => d.ToString()), GeneratorHarness.Errors(run.Output).Select(d => d.ToString()));
    }

    [Fact]
    public void AddingACaseTwin_DoesNotReEmitTheOtherSystems()
    {
        // The case-twin step collects every key; only the file names of the twins change, no code is re-emitted.
        Compilation compilation = GeneratorHarness.Compile($"using OdeGen; public partial class Foo {{ {Rhs(2)} }} public partial class Bar {{ {Rhs(3)} }}");
        GeneratorRun first = GeneratorHarness.Run(compilation);
        Assert.Contains("Foo.RhsSystem.g.cs", first.Sources.Keys);

        Compilation second = compilation.AddSyntaxTrees(Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(
            $"using OdeGen; public partial class foo {{ {Rhs(4)} }}", GeneratorHarness.ParseOptions, "Source9.cs"));
        GeneratorDriver driver = first.Driver.RunGeneratorsAndUpdateCompilation(second, out Compilation output, out _);
        GeneratorDriverRunResult result = driver.GetRunResult();
        var names = result.Results.Single().GeneratedSources.Select(s => s.HintName).ToList();
        Assert.Contains("Bar.RhsSystem.g.cs", names);
        Assert.DoesNotContain("Foo.RhsSystem.g.cs", names);
        Assert.Equal(9, names.Distinct(StringComparer.OrdinalIgnoreCase).Count());   // three systems, three files each
        Assert.Empty(GeneratorHarness.Errors(output));
        Assert.Equal(2, Incrementality.Reasons(result, OdeDynamicsGenerator.TrackingNames.Emit).Count(r => r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged));
    }

    [Fact]
    public void HintNames_AreOneToOne_AndDistinctIgnoringCase_ForRandomNames()
    {
        // Short names over an alphabet rich in look-alikes ('_' beside escapes, cases, non-ASCII letters,
        // digits), so that many tuples differ only in where a name ends, in case, or in nesting.
        const string Alphabet = "aA_1\u00e9\u00c9B";
        var random = new Random(22);
        string Name() => new(Enumerable.Range(0, random.Next(1, 4)).Select(_ => Alphabet[random.Next(Alphabet.Length)]).ToArray());

        var byKey = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < 20000; i++)
        {
            string[] namespaces = Enumerable.Range(0, random.Next(0, 3)).Select(_ => Name()).ToArray();
            (string, int)[] types = Enumerable.Range(0, random.Next(1, 3)).Select(_ => (Name(), random.Next(0, 3))).ToArray();
            string structName = Name() + "System";
            string identity = string.Join("/", namespaces) + "|" + string.Join("/", types.Select(t => t.Item1 + "#" + t.Item2)) + "|" + structName;
            string key = HintNames.Key(namespaces, types, structName);
            if (byKey.TryGetValue(key, out string? seen))
            {
                Assert.True(seen == identity, $"'{seen}' and '{identity}' share the key '{key}'");
            }

            byKey[key] = identity;
            Assert.DoesNotContain(key, c => c is '-' or '<' or '>' or '~' or '@' or '$' or '=' or '#' or '!' or '\'' || c > 127);
        }

        HintPlan plan = HintNames.Plan(byKey.Keys);
        Assert.NotEmpty(plan.CaseTwins);
        Assert.Empty(plan.Duplicates);
        var names = byKey.Keys.SelectMany(k => new[] { HintNames.HintName(k, HintNames.Extension, plan)!, HintNames.HintName(k, ".Lanes.g.cs", plan)! }).ToList();
        Assert.Equal(names.Count, names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }

    /// <summary>Runs the generator and asserts no diagnostics of its own and no compile errors at all.</summary>
    private static GeneratorRun AssertCompiles(string source)
    {
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(source));
        Assert.Null(run.Result.Results.Single().Exception);
        Assert.Empty(run.Result.Diagnostics);
        Assert.Empty(GeneratorHarness.Errors(run.Output));
        return run;
    }

    private static double[] RunProbe(GeneratorRun run)
    {
        Assembly assembly = CompiledSystems.EmitAndLoad(run.Output);
        return (double[])assembly.GetType("Probe")!.GetMethod("All")!.Invoke(null, null)!;
    }
}
