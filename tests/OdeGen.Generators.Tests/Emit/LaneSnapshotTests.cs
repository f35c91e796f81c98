using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Emit;

/// <summary>The generated lane methods (the second file of each double system), held in reviewed snapshots.</summary>
public class LaneSnapshotTests
{
    public static TheoryData<string> Scenarios => new("Lorenz", "LoopMlp", "LoopRuntime", "Branches", "Helpers", "CustomRules", "UnrolledBranches", "FloatMlp", "FloatRules");

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
        // 22 double scenario systems, VectorMlp's twin without the option, 2 float ones (FloatMlp, FloatRules), the random programs.
        Assert.Equal(25 + TestSources.Random.Count, run.Output.SyntaxTrees.Count(t => GeneratorRun.IsLaneFile(Path.GetFileName(t.FilePath))));
    }

    [Fact]
    public void EverySystem_HasALaneFile_OfItsNumberType()
    {
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(TestSources.All.Values.ToArray()));
        var scalar = run.ScalarSources.Keys.Select(k => k.Replace(".g.cs", ".Lanes.g.cs", StringComparison.Ordinal));
        Assert.Equal(scalar.OrderBy(k => k, StringComparer.Ordinal), run.LaneSources.Keys.OrderBy(k => k, StringComparer.Ordinal));
        Assert.Equal(24, run.LaneSources.Count);

        // Float systems implement the float lane interface over float lanes, with float t, and nothing of double.
        var single = run.LaneSources.Where(s => s.Key.StartsWith("Scenarios.Single", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, single.Count);
        foreach ((_, string text) in single)
        {
            Assert.Contains(": global::OdeGen.IOdeLaneSystemSingle", text);
            Assert.Contains("where TLane : unmanaged, global::OdeGen.Lanes.ILaneSingle<TLane>", text);
            Assert.Contains("(float t, ", text);
            Assert.DoesNotContain("double", text);
            Assert.DoesNotContain("global::OdeGen.Lanes.ILane<", text);
        }

        // The double ones keep the double interface (the name followed by the line's end, not by "Single"), or its
        // fused extension when they carry the register form.
        Assert.All(run.LaneSources.Except(single), s => Assert.Matches(
            s.Value.Contains("struct LaneRegisters<TLane>", StringComparison.Ordinal) ? @": global::OdeGen\.IOdeFusedLaneSystem\r?\n" : @": global::OdeGen\.IOdeLaneSystem\r?\n",
            s.Value));
    }
}
