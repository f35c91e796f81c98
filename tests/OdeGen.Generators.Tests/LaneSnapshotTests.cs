using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests;

/// <summary>The generated lane methods (the second file of each double system), held in reviewed snapshots.</summary>
public class LaneSnapshotTests
{
    public static TheoryData<string> Scenarios => new("Lorenz", "LoopMlp", "LoopRuntime", "Branches", "Helpers", "CustomRules", "UnrolledBranches");

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void LaneSource_MatchesSnapshot(string scenario)
    {
        Compilation compilation = GeneratorHarness.Compile(TestSources.All[scenario]);
        GeneratorRun run = GeneratorHarness.Run(compilation);
        Assert.Empty(GeneratorHarness.Errors(run.Output));
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);

        KeyValuePair<string, string> lanes = Assert.Single(run.LaneSources);
        Assert.Equal(Assert.Single(run.ScalarSources).Key.Replace(".g.cs", ".Lanes.g.cs", StringComparison.Ordinal), lanes.Key);
        Snapshot.Verify(scenario + ".Lanes", lanes.Value);

        // Re-running on an identical compilation reuses the lane step too.
        Incrementality.AssertAllStepsCached(run.Driver.RunGenerators(compilation.Clone()).GetRunResult(), OdeDynamicsGenerator.TrackingNames.EmitLanes);
    }

    [Fact]
    public void LaneFiles_CompileWithoutWarnings()
    {
        // Generated code lands in users' builds, some with warnings as errors: no unused locals, no nullable noise.
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(TestSources.Executable));
        var warnings = run.Output.GetDiagnostics()
            .Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Location.SourceTree is { } tree && GeneratorRun.IsLaneFile(Path.GetFileName(tree.FilePath)))
            .ToList();
        Assert.True(warnings.Count == 0, string.Join("\n", warnings));
        Assert.Equal(23 + TestSources.Random.Count, run.Output.SyntaxTrees.Count(t => GeneratorRun.IsLaneFile(Path.GetFileName(t.FilePath))));
    }

    [Fact]
    public void EveryDoubleSystem_HasALaneFile_AndFloatSystemsHaveNone()
    {
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(TestSources.All.Values.ToArray()));
        var scalar = run.ScalarSources.Keys.Where(k => !k.Contains("Single.", StringComparison.Ordinal)).Select(k => k.Replace(".g.cs", ".Lanes.g.cs", StringComparison.Ordinal));
        Assert.Equal(scalar.OrderBy(k => k, StringComparer.Ordinal), run.LaneSources.Keys.OrderBy(k => k, StringComparer.Ordinal));
        Assert.Contains("Scenarios.Single.SmallNet.RhsSystem.g.cs", run.ScalarSources.Keys);
        Assert.Equal(22, run.LaneSources.Count);
    }
}
