using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using OdeGen.Generators;

namespace OdeGen.GeneratorBenchmarks;

/// <summary>A compilation of one marked method in its two variants, and a generator driver that has seen it once.</summary>
internal sealed class Harness
{
    private static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);
    private static readonly ImmutableArray<MetadataReference> References = LoadReferences();
    private readonly SyntaxTree[] _trees;
    private readonly Compilation[] _compilations;
    private GeneratorDriver _driver;
    private int _next;

    public Harness(string method)
    {
        _trees = [Parse(method, 0), Parse(method, 1)];
        Compilation first = CSharpCompilation.Create("UserAssembly", [_trees[0]], References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release));
        _compilations = [first, first.ReplaceSyntaxTree(_trees[0], _trees[1])];
        _driver = CSharpGeneratorDriver.Create([new OdeDynamicsGenerator().AsSourceGenerator()], parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
        _driver = _driver.RunGenerators(_compilations[0]);
        GeneratorRunResult run = _driver.GetRunResult().Results[0];
        if (run.Exception is not null || run.GeneratedSources.IsEmpty || run.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error))
        {
            throw new InvalidOperationException($"The generator did not generate '{method}': {run.Exception?.Message ?? string.Join("; ", run.Diagnostics)}");
        }
    }

    /// <summary>Runs the generator on the other variant: the method changed, so every step runs for it.</summary>
    public GeneratorDriver Generate()
    {
        _next ^= 1;
        _driver = _driver.RunGenerators(_compilations[_next]);
        return _driver;
    }

    /// <summary>What the compiler does anyway on that edit: binds a fresh compilation of the file (the baseline).</summary>
    public int Bind()
    {
        _next ^= 1;
        Compilation fresh = _compilations[_next].ReplaceSyntaxTree(_trees[_next], _trees[_next].WithChangedText(_trees[_next].GetText()));
        return fresh.GetDiagnostics().Length;
    }

    /// <summary>The elapsed time of each tracked step of the generator's last run, summed over the step's runs.</summary>
    public IReadOnlyDictionary<string, TimeSpan> LastStepTimes() =>
        _driver.GetRunResult().Results[0].TrackedSteps.ToDictionary(
            s => s.Key, s => s.Value.Aggregate(TimeSpan.Zero, (sum, step) => sum + step.ElapsedTime));

    private static SyntaxTree Parse(string method, int variant) =>
        CSharpSyntaxTree.ParseText(MarkedMethods.Source(method, variant), ParseOptions, method + ".cs");

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        string tpa = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        return tpa.Split(Path.PathSeparator)
            .Where(path => Path.GetFileName(path).StartsWith("System", StringComparison.Ordinal) || Path.GetFileName(path) is "netstandard.dll")
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .Append(MetadataReference.CreateFromFile(typeof(IOdeSystem).Assembly.Location))
            .ToImmutableArray();
    }
}
