using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Emit;

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
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Empty(GeneratorHarness.Errors(run.Output));

        // Four files: the system, its lanes, its second order, its one-sweep methods (a float system has none).
        Assert.Equal(scenario == "Float" ? 3 : 4, run.Sources.Count);
        string file = Assert.Single(run.Sources, s => s.Key.EndsWith(".SecondOrder.g.cs", StringComparison.Ordinal)).Value;
        Snapshot.Verify("SecondOrder." + scenario, file);

        GeneratorDriverRunResult again = run.Driver.RunGenerators(compilation.Clone()).GetRunResult();
        Incrementality.AssertAllStepsCached(again);
        Incrementality.AssertAllStepsCached(again, OdeDynamicsGenerator.TrackingNames.EmitSecondOrder);
    }

    [Fact]
    public void AddingACommentLine_DoesNotReEmitTheSecondOrderFile_ButChangingTheMethodDoes()
    {
        string source = SecondOrderSources.Straight;
        Compilation compilation = GeneratorHarness.Compile(source);
        GeneratorRun first = GeneratorHarness.Run(compilation);
        SyntaxTree old = compilation.SyntaxTrees.Single(t => t.FilePath == "Source0.cs");

        SyntaxTree commented = CSharpSyntaxTree.ParseText(source.Replace("double sigma", "// the parameters\n        double sigma", StringComparison.Ordinal), GeneratorHarness.ParseOptions, old.FilePath);
        GeneratorDriverRunResult second = first.Driver.RunGenerators(compilation.ReplaceSyntaxTree(old, commented)).GetRunResult();
        Incrementality.AssertAllStepsCached(second, OdeDynamicsGenerator.TrackingNames.Differentiate, OdeDynamicsGenerator.TrackingNames.Simplify,
            OdeDynamicsGenerator.TrackingNames.EmitSecondOrder);

        SyntaxTree changed = CSharpSyntaxTree.ParseText(source.Replace("- beta * y[2]", "- beta * y[2] * y[2]", StringComparison.Ordinal), GeneratorHarness.ParseOptions, old.FilePath);
        GeneratorDriverRunResult third = first.Driver.RunGenerators(compilation.ReplaceSyntaxTree(old, changed)).GetRunResult();
        Assert.Contains(IncrementalStepRunReason.Modified, Incrementality.Reasons(third, OdeDynamicsGenerator.TrackingNames.EmitSecondOrder));
    }
}
