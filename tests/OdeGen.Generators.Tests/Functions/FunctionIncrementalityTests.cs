using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using OdeGen.Generators.Tests.Infrastructure;
using Steps = OdeGen.Generators.OdeDynamicsGenerator.FunctionTrackingNames;

namespace OdeGen.Generators.Tests.Functions;

/// <summary>Edits that do not change a [Differentiable] method's meaning re-emit nothing of its struct.</summary>
public class FunctionIncrementalityTests
{
    private const string Unrelated = "namespace Other; public static class Helpers { public static int Answer => 42; }";

    [Fact]
    public void EditingAnUnrelatedFile_ReusesEveryFunctionStep()
    {
        Compilation compilation = GeneratorHarness.Compile(FunctionSources.DenseLayer, Unrelated);
        GeneratorRun first = GeneratorHarness.Run(compilation);
        GeneratorDriverRunResult second = first.Driver.RunGenerators(Replace(compilation, "Source1.cs", Unrelated.Replace("42", "43"))).GetRunResult();
        Incrementality.AssertAllStepsCached(second, Incrementality.FunctionStepNames);
    }

    [Fact]
    public void EditingDynamicsBesideIt_LeavesTheFunctionCached_AndReEmitsTheSystem()
    {
        Compilation compilation = GeneratorHarness.Compile(FunctionSources.Conv2d, TestSources.Lorenz);
        GeneratorRun first = GeneratorHarness.Run(compilation);
        string edited = TestSources.Lorenz.Replace("- beta * y[2]", "- beta * y[2] * y[2]");
        GeneratorDriverRunResult second = first.Driver.RunGenerators(Replace(compilation, "Source1.cs", edited)).GetRunResult();

        Incrementality.AssertAllStepsCached(second, Steps.Model, Steps.Differentiate, Steps.Simplify, Steps.Plan, Steps.Emit, Steps.EmitLanes);
        Assert.Contains(IncrementalStepRunReason.Modified, Incrementality.Reasons(second, OdeDynamicsGenerator.TrackingNames.Emit));
    }

    [Fact]
    public void AddingACommentInsideTheFunction_DoesNotReEmit()
    {
        Compilation compilation = GeneratorHarness.Compile(FunctionSources.Conv2d);
        GeneratorRun first = GeneratorHarness.Run(compilation);
        string commented = FunctionSources.Conv2d.Replace("int outW = w - 2;", "// valid convolution\n        int outW = w - 2;");
        GeneratorDriverRunResult second = first.Driver.RunGenerators(Replace(compilation, "Source0.cs", commented)).GetRunResult();
        Incrementality.AssertAllStepsCached(second, Steps.Model, Steps.Differentiate, Steps.Simplify, Steps.Plan, Steps.Emit, Steps.EmitLanes);
    }

    [Fact]
    public void ChangingTheFunction_ReEmitsBothFiles()
    {
        Compilation compilation = GeneratorHarness.Compile(FunctionSources.Mlp);
        GeneratorRun first = GeneratorHarness.Run(compilation);
        string edited = FunctionSources.Mlp.Replace("h[j] = Math.Tanh(s);", "h[j] = Math.Sin(s);");
        GeneratorDriverRunResult second = first.Driver.RunGenerators(Replace(compilation, "Source0.cs", edited)).GetRunResult();
        Assert.Contains(IncrementalStepRunReason.Modified, Incrementality.Reasons(second, Steps.Emit));
        Assert.Contains(IncrementalStepRunReason.Modified, Incrementality.Reasons(second, Steps.EmitLanes));
        Assert.Contains("Math.Sin", second.Results.SelectMany(r => r.GeneratedSources).Single(s => !GeneratorRun.IsLaneFile(s.HintName)).SourceText.ToString());
    }

    private static Compilation Replace(Compilation compilation, string path, string text)
    {
        SyntaxTree old = compilation.SyntaxTrees.Single(t => t.FilePath == path);
        return compilation.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(text, GeneratorHarness.ParseOptions, path));
    }
}
