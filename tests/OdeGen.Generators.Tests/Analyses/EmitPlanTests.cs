using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using OdeGen.Generators.Analyses;
using OdeGen.Generators.Ir;
using OdeGen.Generators.Model;
using OdeGen.Generators.Tests.Functions;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Analyses;

/// <summary>
/// The emit plan (OdeGen.Plan): the analyses' answers for known targets (lane uniformity, register eligibility, loop
/// vectorization), read from the tracked step the emitters consume; and the plan is equatable, so the step is cached
/// when nothing it reads changed and re-run when something did.
/// </summary>
public class EmitPlanTests
{
    private const string Unrelated = "namespace Other; public static class Helpers { public static int Answer => 42; }";

    private const string AcrossCall = """
        using OdeGen;

        namespace Planned;

        public static partial class Fields
        {
            [OdeDynamics(States = 8, Parameters = 8)]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                for (int i = 0; i < 8; i++)
                {
                    double s = 0.0;
                    for (int j = 0; j < 8; j++)
                    {
                        s += p[j] * y[(i + j) % 8];
                    }

                    double e = Math.Exp(y[i]);
                    dydt[i] = e * s + Math.Tanh(s);
                }
            }
        }
        """;

    [Fact]
    public void Lorenz_GetsTheFusedRegisters_AndNothingElseToDecide()
    {
        EmitPlan plan = Plan(TestSources.Lorenz);
        Assert.True(plan.FusedRegisters);
        foreach (MethodPlan method in new[] { plan.Evaluate, plan.Jvp, plan.Vjp })
        {
            Assert.Empty(method.Loops);
            Assert.Empty(method.KeptAcrossCalls);
            Assert.DoesNotContain(true, method.LaneConditions);
            Assert.Equal(method.Function.Body.Count, method.LaneConditions.Count);
        }

        Assert.Null(plan.SecondOrder);
    }

    [Fact]
    public void BranchesOnValues_AreLaneMasks_AndTheirSystemKeepsTheFusedRegisters()
    {
        EmitPlan plan = Plan(TestSources.Branches);
        EquatableArray<Instr> body = plan.Evaluate.Function.Body;

        // Every comparison of values is a mask (y[0] > 0.1, t > 0.5 && y[2] < 0.8, …); no condition of values is a bool.
        int[] compares = Enumerable.Range(0, body.Count).Where(i => body[i].Op == Op.Compare && body[i].A >= 0).ToArray();
        Assert.NotEmpty(compares);
        Assert.All(compares, i => Assert.True(plan.Evaluate.LaneConditions[i]));
        Assert.All(Enumerable.Range(0, body.Count).Where(i => !body[i].IsCondition), i => Assert.False(plan.Evaluate.LaneConditions[i]));
        Assert.True(plan.FusedRegisters);   // its loop is unrolled: straight-line code over three states
    }

    [Fact]
    public void ALoopSumAcrossACall_IsKeptInMemory_InEvaluateOnly_AndLoopsKeepTheSystemOffTheRegisters()
    {
        EmitPlan plan = Plan(AcrossCall);
        KeptAcrossCall kept = Assert.Single(plan.Evaluate.KeptAcrossCalls);
        Assert.Equal(Op.Var, plan.Evaluate.Function.Body[kept.Var].Op);
        Assert.Equal(Op.Call, plan.Evaluate.Function.Body[kept.Store].Op);   // stored before the Exp that follows the loop
        Assert.False(plan.FusedRegisters);
        Assert.Empty(plan.Evaluate.Loops);   // not opted in: no decisions, no reasons printed
    }

    [Fact]
    public void VectorizeLoops_DecidesEveryLoop_OnlyWhenOptedIn()
    {
        EmitPlan vectorized = Plan(TestSources.VectorMlp);
        Assert.NotEmpty(vectorized.Evaluate.Loops);
        Assert.Contains(vectorized.Evaluate.Loops, d => d.Plan is not null);
        Assert.All(vectorized.Evaluate.Loops, d => Assert.True(d.Plan is null != (d.Reason is null)));
        Assert.Equal(
            vectorized.Evaluate.Function.Body.Count(x => x.Op == Op.For),
            vectorized.Evaluate.Loops.Count);

        EmitPlan scalar = Plan(TestSources.VectorMlpScalar);
        Assert.Empty(scalar.Evaluate.Loops);
        Assert.Empty(scalar.Vjp.Loops);
    }

    [Fact]
    public void FloatSystems_NeverGetTheFusedRegisters()
    {
        EmitPlan plan = Plan(TestSources.FloatMlp);
        Assert.True(plan.Header.Single);
        Assert.False(plan.FusedRegisters);
    }

    [Fact]
    public void AFunctionTarget_IsPlannedInItsOwnSpanNames_WithItsSecondOrderMethods()
    {
        EmitPlan plan = Plan(FunctionSources.Mlp, OdeDynamicsGenerator.FunctionTrackingNames.Plan);
        Assert.Equal(TargetKind.Function, plan.Header.Kind);
        Assert.All(new[] { plan.Evaluate, plan.Jvp, plan.Vjp }, m => Assert.Equal(SpanNaming.Function, m.Function.Naming));
        Assert.False(plan.FusedRegisters);
    }

    [Fact]
    public void SecondOrderMethods_ArePlannedToo()
    {
        EmitPlan plan = Plan(SecondOrderSources.Straight);
        Assert.NotNull(plan.SecondOrder);
        Assert.NotNull(plan.SecondOrder!.Divergence);
        Assert.NotNull(plan.SecondOrder.DivergenceVjp);
        Assert.Equal(plan.SecondOrder.Hvp.Function.Body.Count, plan.SecondOrder.Hvp.LaneConditions.Count);
    }

    [Fact]
    public void ThePlan_IsEquatable_ByContent()
    {
        EmitPlan first = Plan(TestSources.Branches), second = Plan(TestSources.Branches);
        Assert.NotSame(first, second);
        Assert.Equal(first, second);
        Assert.Equal(first.GetHashCode(), second.GetHashCode());

        EmitPlan vectorized = Plan(TestSources.VectorMlp), again = Plan(TestSources.VectorMlp);
        Assert.Equal(vectorized, again);   // the loop decisions (strides, helper parameters) compare by content

        Assert.NotEqual(first, Plan(TestSources.Branches.Replace("y[0] > 0.1", "y[0] > 0.2")));
    }

    [Fact]
    public void ThePlanStep_IsCachedOnAnUnrelatedEdit_AndReRunOnARelevantOne()
    {
        Compilation compilation = GeneratorHarness.Compile(TestSources.VectorMlp, Unrelated);
        GeneratorRun first = GeneratorHarness.Run(compilation);

        GeneratorDriverRunResult unrelated = first.Driver.RunGenerators(Replace(compilation, "Source1.cs", Unrelated.Replace("42", "43"))).GetRunResult();
        Incrementality.AssertAllStepsCached(unrelated, OdeDynamicsGenerator.TrackingNames.Plan);

        string edited = TestSources.VectorMlp.Replace("Math.Tanh", "Math.Sin");
        Assert.NotEqual(TestSources.VectorMlp, edited);
        GeneratorDriverRunResult relevant = first.Driver.RunGenerators(Replace(compilation, "Source0.cs", edited)).GetRunResult();
        Assert.Contains(IncrementalStepRunReason.Modified, Incrementality.Reasons(relevant, OdeDynamicsGenerator.TrackingNames.Plan));
    }

    /// <summary>The one target's plan, as the tracked step handed it to the emitters.</summary>
    [Fact]
    public void BuffersWiderThan16Bytes_InMethodsThatCallTheCRuntime_AreAllocatedApart()
    {
        // The MLP's h (50 doubles) is zeroed with 512-bit stores, and every method calls Math.Tanh.
        EmitPlan mlp = Plan(TestSources.LoopMlp);
        Assert.All(new[] { mlp.Evaluate, mlp.Jvp, mlp.Vjp }, m => Assert.True(m.BuffersApart));

        // Two hidden units: h and hDot hold 16 bytes each, one 128-bit store, which leaves the upper halves clean.
        EmitPlan narrow = Plan(TestSources.LoopMlp.Replace("Hidden = 50", "Hidden = 2").Replace("Parameters = 252", "Parameters = 12"));
        Assert.All(new[] { narrow.Evaluate, narrow.Jvp, narrow.Vjp }, m => Assert.False(m.BuffersApart));

        // Without tanh nothing calls the C runtime; Lorenz has no buffer.
        EmitPlan linear = Plan(TestSources.LoopMlp.Replace("Math.Tanh(s)", "s"));
        Assert.All(new[] { linear.Evaluate, linear.Jvp, linear.Vjp }, m => Assert.False(m.BuffersApart));
        Assert.False(Plan(TestSources.Lorenz).Vjp.BuffersApart);

        // Branches' Vjp copies a (3 states, 24 bytes) and calls Exp and Sin; its Evaluate has no buffer.
        EmitPlan branches = Plan(TestSources.Branches);
        Assert.True(branches.Vjp.BuffersApart);
        Assert.False(branches.Evaluate.BuffersApart);
    }

    private static EmitPlan Plan(string source, string step = OdeDynamicsGenerator.TrackingNames.Plan)
    {
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(source));
        Assert.Empty(run.Result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
        return run.Result.Results.Single().TrackedSteps[step]
            .SelectMany(s => s.Outputs)
            .Select(o => ((Result<EmitPlan>)o.Value).Value!)
            .Single();
    }

    private static Compilation Replace(Compilation compilation, string path, string text)
    {
        SyntaxTree old = compilation.SyntaxTrees.Single(t => t.FilePath == path);
        return compilation.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(text, GeneratorHarness.ParseOptions, path));
    }
}
