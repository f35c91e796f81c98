using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using OdeGen.Generators.Tests.Functions;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Functions;

/// <summary>The second-order file (Hvp, HvpLanes) of each function construct with SecondOrder = true, held in a reviewed snapshot.</summary>
public class FunctionSecondOrderSnapshotTests
{
    private static readonly Dictionary<string, string> Scenarios = new()
    {
        ["StraightLine"] = FunctionSources.StraightLine,
        ["Mlp"] = FunctionSources.Mlp,
        ["Branches"] = FunctionSources.Branches,
        ["Float"] = FunctionSources.Float,
    };

    public static TheoryData<string> ScenarioNames => new(Scenarios.Keys);

    [Theory]
    [MemberData(nameof(ScenarioNames))]
    public void SecondOrderFile_MatchesSnapshot(string scenario)
    {
        Compilation compilation = GeneratorHarness.Compile(FunctionSecondOrderSources.WithSecondOrder(Scenarios[scenario]));
        GeneratorRun run = GeneratorHarness.Run(compilation);
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Empty(GeneratorHarness.Errors(run.Output));

        // Three files: the function, its lanes, its second order.
        Assert.Equal(3, run.Sources.Count);
        string file = Assert.Single(run.Sources, s => s.Key.EndsWith(".SecondOrder.g.cs", StringComparison.Ordinal)).Value;
        Snapshot.Verify("Function.SecondOrder." + scenario, file);

        GeneratorDriverRunResult again = run.Driver.RunGenerators(compilation.Clone()).GetRunResult();
        Incrementality.AssertAllStepsCached(again, Incrementality.FunctionStepNames);
        Incrementality.AssertAllStepsCached(again, OdeDynamicsGenerator.FunctionTrackingNames.EmitSecondOrder);
    }

    [Fact]
    public void AddingACommentLine_DoesNotReEmitHvp_ButChangingTheMethodDoes()
    {
        string source = FunctionSecondOrderSources.WithSecondOrder(FunctionSources.StraightLine);
        Compilation compilation = GeneratorHarness.Compile(source);
        GeneratorRun first = GeneratorHarness.Run(compilation);
        SyntaxTree old = compilation.SyntaxTrees.Single(t => t.FilePath == "Source0.cs");

        SyntaxTree commented = CSharpSyntaxTree.ParseText(source.Replace("double s =", "// the shared sine\n        double s =", StringComparison.Ordinal), GeneratorHarness.ParseOptions, old.FilePath);
        GeneratorDriverRunResult second = first.Driver.RunGenerators(compilation.ReplaceSyntaxTree(old, commented)).GetRunResult();
        Incrementality.AssertAllStepsCached(second, OdeDynamicsGenerator.FunctionTrackingNames.Differentiate, OdeDynamicsGenerator.FunctionTrackingNames.Simplify,
            OdeDynamicsGenerator.FunctionTrackingNames.EmitSecondOrder);

        SyntaxTree changed = CSharpSyntaxTree.ParseText(source.Replace("s * s", "s * s * x[1]", StringComparison.Ordinal), GeneratorHarness.ParseOptions, old.FilePath);
        GeneratorDriverRunResult third = first.Driver.RunGenerators(compilation.ReplaceSyntaxTree(old, changed)).GetRunResult();
        Assert.Contains(IncrementalStepRunReason.Modified, Incrementality.Reasons(third, OdeDynamicsGenerator.FunctionTrackingNames.EmitSecondOrder));
    }
}
