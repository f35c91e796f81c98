using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Pipeline;

/// <summary>Edits that do not change a marked method's meaning must not re-emit its code.</summary>
public class IncrementalityTests
{
    private const string Unrelated = "namespace Other; public static class Helpers { public static int Answer => 42; }";

    [Fact]
    public void EditingAnUnrelatedFile_ReusesEveryStep()
    {
        Compilation compilation = GeneratorHarness.Compile(TestSources.Lorenz, Unrelated);
        GeneratorRun first = GeneratorHarness.Run(compilation);

        SyntaxTree old = compilation.SyntaxTrees.Single(t => t.FilePath == "Source1.cs");
        SyntaxTree edited = CSharpSyntaxTree.ParseText(Unrelated.Replace("42", "43"), GeneratorHarness.ParseOptions, old.FilePath);
        GeneratorDriverRunResult second = first.Driver.RunGenerators(compilation.ReplaceSyntaxTree(old, edited)).GetRunResult();

        Incrementality.AssertAllStepsCached(second);
        Incrementality.AssertAllStepsCached(second, OdeDynamicsGenerator.TrackingNames.EmitLanes);
    }

    [Fact]
    public void AddingACommentLineInsideTheMethod_DoesNotReEmit()
    {
        Compilation compilation = GeneratorHarness.Compile(TestSources.Lorenz);
        GeneratorRun first = GeneratorHarness.Run(compilation);

        // Every line below the comment moves; the model holds no positions, so nothing downstream changes.
        string commented = TestSources.Lorenz.Replace("double sigma", "// the classic parameters\n        double sigma");
        SyntaxTree old = compilation.SyntaxTrees.Single(t => t.FilePath == "Source0.cs");
        SyntaxTree edited = CSharpSyntaxTree.ParseText(commented, GeneratorHarness.ParseOptions, old.FilePath);
        GeneratorDriverRunResult second = first.Driver.RunGenerators(compilation.ReplaceSyntaxTree(old, edited)).GetRunResult();

        Incrementality.AssertAllStepsCached(second, OdeDynamicsGenerator.TrackingNames.Model, OdeDynamicsGenerator.TrackingNames.FileNames,
            OdeDynamicsGenerator.TrackingNames.Differentiate, OdeDynamicsGenerator.TrackingNames.Simplify, OdeDynamicsGenerator.TrackingNames.Plan, OdeDynamicsGenerator.TrackingNames.Emit,
            OdeDynamicsGenerator.TrackingNames.EmitLanes);
    }

    [Fact]
    public void ChangingTheMethod_ReEmits()
    {
        Compilation compilation = GeneratorHarness.Compile(TestSources.Lorenz);
        GeneratorRun first = GeneratorHarness.Run(compilation);

        SyntaxTree old = compilation.SyntaxTrees.Single(t => t.FilePath == "Source0.cs");
        SyntaxTree edited = CSharpSyntaxTree.ParseText(TestSources.Lorenz.Replace("- beta * y[2]", "- beta * y[2] * y[2]"), GeneratorHarness.ParseOptions, old.FilePath);
        GeneratorDriverRunResult second = first.Driver.RunGenerators(compilation.ReplaceSyntaxTree(old, edited)).GetRunResult();

        Assert.Contains(IncrementalStepRunReason.Modified, Incrementality.Reasons(second, OdeDynamicsGenerator.TrackingNames.Plan));
        Assert.Contains(IncrementalStepRunReason.Modified, Incrementality.Reasons(second, OdeDynamicsGenerator.TrackingNames.Emit));
        Assert.Contains(IncrementalStepRunReason.Modified, Incrementality.Reasons(second, OdeDynamicsGenerator.TrackingNames.EmitLanes));
    }

    [Fact]
    public void ChangingAFloatMethod_ReEmitsItsLaneFile()
    {
        Compilation compilation = GeneratorHarness.Compile(TestSources.FloatMlp);
        GeneratorRun first = GeneratorHarness.Run(compilation);

        SyntaxTree old = compilation.SyntaxTrees.Single(t => t.FilePath == "Source0.cs");
        SyntaxTree edited = CSharpSyntaxTree.ParseText(TestSources.FloatMlp.Replace("0.1f * t", "0.2f * t"), GeneratorHarness.ParseOptions, old.FilePath);
        GeneratorDriverRunResult second = first.Driver.RunGenerators(compilation.ReplaceSyntaxTree(old, edited)).GetRunResult();

        Assert.Contains(IncrementalStepRunReason.Modified, Incrementality.Reasons(second, OdeDynamicsGenerator.TrackingNames.EmitLanes));
        string lanes = second.Results.SelectMany(r => r.GeneratedSources).Single(s => GeneratorRun.IsLaneFile(s.HintName)).SourceText.ToString();
        Assert.Contains("TLane.Create(0.2f)", lanes);
        Assert.DoesNotContain("0.1f", lanes);
    }

    [Theory]
    [InlineData("LoopMlp", "h[i] = Math.Tanh(s);", "h[i] = Math.Tanh(s); // activation")]
    [InlineData("LoopMlp", "for (int k = 0; k < Out; k++)", "for (int k = 0;   k < Out;   k++)")]
    [InlineData("Branches", "double wave = p[2];", "/* the carrier */ double wave = p[2];")]
    [InlineData("FloatMlp", "h[i] = MathF.Tanh(s);", "h[i] = MathF.Tanh(s); // activation")]
    public void TriviaEditInsideLoopsAndBranches_DoesNotReEmit(string scenario, string from, string to)
    {
        Compilation compilation = GeneratorHarness.Compile(TestSources.All[scenario], Unrelated);
        GeneratorRun first = GeneratorHarness.Run(compilation);

        SyntaxTree old = compilation.SyntaxTrees.Single(t => t.FilePath == "Source0.cs");
        Assert.Contains(from, TestSources.All[scenario], StringComparison.Ordinal);
        SyntaxTree edited = CSharpSyntaxTree.ParseText(TestSources.All[scenario].Replace(from, to), GeneratorHarness.ParseOptions, old.FilePath);
        GeneratorDriverRunResult second = first.Driver.RunGenerators(compilation.ReplaceSyntaxTree(old, edited)).GetRunResult();

        Incrementality.AssertAllStepsCached(second, OdeDynamicsGenerator.TrackingNames.Model,
            OdeDynamicsGenerator.TrackingNames.Differentiate, OdeDynamicsGenerator.TrackingNames.Simplify, OdeDynamicsGenerator.TrackingNames.Plan, OdeDynamicsGenerator.TrackingNames.Emit,
            OdeDynamicsGenerator.TrackingNames.EmitLanes);
    }

    [Fact]
    public void EditingAnUnrelatedFile_ReusesEveryStep_ForLoopsAndBranches()
    {
        Compilation compilation = GeneratorHarness.Compile(TestSources.LoopMlp, TestSources.Branches, Unrelated);
        GeneratorRun first = GeneratorHarness.Run(compilation);

        SyntaxTree old = compilation.SyntaxTrees.Single(t => t.FilePath == "Source2.cs");
        SyntaxTree edited = CSharpSyntaxTree.ParseText(Unrelated.Replace("42", "43"), GeneratorHarness.ParseOptions, old.FilePath);
        GeneratorDriverRunResult second = first.Driver.RunGenerators(compilation.ReplaceSyntaxTree(old, edited)).GetRunResult();

        Incrementality.AssertAllStepsCached(second);
        Incrementality.AssertAllStepsCached(second, OdeDynamicsGenerator.TrackingNames.EmitLanes);
    }
}
