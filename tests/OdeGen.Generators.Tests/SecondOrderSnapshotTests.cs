using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests;

/// <summary>The generated second-order file of each construct (SecondOrder = true), held in a reviewed snapshot.</summary>
public class SecondOrderSnapshotTests
{
    public static TheoryData<string> Scenarios => new(SecondOrderSources.All.Keys);

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void SecondOrderFile_MatchesSnapshot(string scenario)
    {
        var compilation = GeneratorHarness.Compile(SecondOrderSources.All[scenario]);
        GeneratorRun run = GeneratorHarness.Run(compilation);
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error);
        Assert.Empty(GeneratorHarness.Errors(run.Output));

        // Three files: the system, its lanes, its second order.
        Assert.Equal(3, run.Sources.Count);
        string file = Assert.Single(run.Sources, s => s.Key.EndsWith(".SecondOrder.g.cs", StringComparison.Ordinal)).Value;
        Snapshot.Verify("SecondOrder." + scenario, file);

        Incrementality.AssertAllStepsCached(run.Driver.RunGenerators(compilation.Clone()).GetRunResult());
    }
}
