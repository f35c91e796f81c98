using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Infrastructure;

using OdeGen.Generators.Tests.Functions;

namespace OdeGen.Generators.Tests.Functions;

/// <summary>The generated source of each function construct, scalar and lane files, held in reviewed snapshots.</summary>
public class FunctionSnapshotTests
{
    private static readonly Dictionary<string, string> Scenarios = new()
    {
        ["StraightLine"] = FunctionSources.StraightLine,
        ["DenseLayer"] = FunctionSources.DenseLayer,
        ["Mlp"] = FunctionSources.Mlp,
        ["Conv2d"] = FunctionSources.Conv2d,
        ["Branches"] = FunctionSources.Branches,
        ["HelpersAndRules"] = FunctionSources.HelpersAndRules,
        ["Float"] = FunctionSources.Float,
    };

    public static TheoryData<string> ScenarioNames => new(Scenarios.Keys);

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public void GeneratedSource_MatchesSnapshot(string scenario)
    {
        Compilation compilation = GeneratorHarness.Compile(Scenarios[scenario]);
        GeneratorRun run = GeneratorHarness.Run(compilation);

        // Branches on inputs warn (ODE0016); nothing else may be reported, and the generated code compiles.
        string? warning = scenario is "Branches" or "Float" ? "ODE0016" : null;
        Assert.All(run.Result.Diagnostics, d => Assert.Equal(warning, d.Id));
        Assert.Empty(GeneratorHarness.Errors(run.Output));

        Snapshot.Verify("Function." + scenario, Joined(run.ScalarSources));
        Snapshot.Verify("Function." + scenario + ".Lanes", Joined(run.LaneSources));

        // Re-running on an identical compilation reuses every step of the function pipeline.
        Incrementality.AssertAllStepsCached(run.Driver.RunGenerators(compilation.Clone()).GetRunResult(), Incrementality.FunctionStepNames);
    }

    private static string Joined(IReadOnlyDictionary<string, string> sources) =>
        string.Join("\n", sources.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => sources.Count == 1 ? s.Value : $"// ===== {s.Key} =====\n{s.Value}"));
}
