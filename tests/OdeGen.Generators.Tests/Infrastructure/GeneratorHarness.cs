using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace OdeGen.Generators.Tests.Infrastructure;

/// <summary>Builds in-memory compilations and runs the generator on them.</summary>
internal static class GeneratorHarness
{
    /// <summary>The running runtime's assemblies plus the OdeGen runtime.</summary>
    public static readonly ImmutableArray<MetadataReference> References = LoadReferences();

    /// <summary>Latest C#, as a user's project would have.</summary>
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    /// <summary>What the SDK's implicit usings provide; DESIGN.md's user code relies on 'System'.</summary>
    private const string ImplicitUsings = "global using System;\nglobal using System.Collections.Generic;\nglobal using System.Linq;\n";

    /// <summary>The errors found so far, by compilation: a compilation is immutable, so its errors never change.</summary>
    private static readonly ConditionalWeakTable<Compilation, object> ErrorsFound = new();

    /// <summary>A compilation of <paramref name="sources"/> (files Source0.cs, Source1.cs, …) plus implicit usings.</summary>
    public static CSharpCompilation Compile(params string[] sources)
    {
        var trees = new List<SyntaxTree> { CSharpSyntaxTree.ParseText(ImplicitUsings, ParseOptions, "ImplicitUsings.cs") };
        for (int i = 0; i < sources.Length; i++)
        {
            trees.Add(CSharpSyntaxTree.ParseText(sources[i], ParseOptions, $"Source{i}.cs"));
        }

        return CSharpCompilation.Create("UserAssembly", trees, References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release,
                nullableContextOptions: NullableContextOptions.Enable));
    }

    /// <summary>A driver that records the tracked steps, so tests can check caching.</summary>
    public static GeneratorDriver CreateDriver() => CSharpGeneratorDriver.Create(
        new[] { new OdeDynamicsGenerator().AsSourceGenerator() },
        parseOptions: ParseOptions,
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator; returns the driver (for re-runs), the result and the compilation with generated files.</summary>
    public static GeneratorRun Run(Compilation compilation)
    {
        GeneratorDriver driver = CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out _);
        return new GeneratorRun(driver, driver.GetRunResult(), output);
    }

    /// <summary>Generator diagnostics (ODE…), in source order.</summary>
    public static ImmutableArray<Diagnostic> GeneratorDiagnostics(GeneratorRun run) =>
        run.Result.Diagnostics.OrderBy(d => d.Location.SourceSpan.Start).ToImmutableArray();

    /// <summary>Errors of the compilation including generated files.</summary>
    public static ImmutableArray<Diagnostic> Errors(Compilation compilation) =>
        (ImmutableArray<Diagnostic>)ErrorsFound.GetValue(compilation, c =>
            c.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray());

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        string tpa = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        return tpa.Split(Path.PathSeparator)
            .Where(path => Path.GetFileName(path).StartsWith("System", StringComparison.Ordinal) || Path.GetFileName(path) is "mscorlib.dll" or "netstandard.dll")
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .Append(MetadataReference.CreateFromFile(typeof(IOdeSystem).Assembly.Location))
            .ToImmutableArray();
    }
}

/// <summary>One generator run: the driver after the run, its result, and the updated compilation.</summary>
internal sealed record GeneratorRun(GeneratorDriver Driver, GeneratorDriverRunResult Result, Compilation Output)
{
    /// <summary>The generated sources by hint name.</summary>
    public IReadOnlyDictionary<string, string> Sources =>
        Result.Results.SelectMany(r => r.GeneratedSources).ToDictionary(s => s.HintName, s => s.SourceText.ToString());

    /// <summary>The generated files of the scalar systems (IOdeSystem), without the lane files and the one-sweep files.</summary>
    public IReadOnlyDictionary<string, string> ScalarSources =>
        Sources.Where(s => !IsLaneFile(s.Key) && !IsAugmentedFile(s.Key)).ToDictionary(s => s.Key, s => s.Value);

    /// <summary>The generated one-sweep files (IOdeAugmentedLaneSystem), one per double system.</summary>
    public IReadOnlyDictionary<string, string> AugmentedSources =>
        Sources.Where(s => IsAugmentedFile(s.Key)).ToDictionary(s => s.Key, s => s.Value);

    /// <summary>True for the hint name of a one-sweep file.</summary>
    public static bool IsAugmentedFile(string hintName) => hintName.EndsWith(".Augmented.g.cs", StringComparison.Ordinal);

    /// <summary>The generated lane files (IOdeLaneSystem), one per double system.</summary>
    public IReadOnlyDictionary<string, string> LaneSources =>
        Sources.Where(s => IsLaneFile(s.Key)).ToDictionary(s => s.Key, s => s.Value);

    /// <summary>True for the hint name of a lane file.</summary>
    public static bool IsLaneFile(string hintName) => hintName.EndsWith(".Lanes.g.cs", StringComparison.Ordinal);
}
