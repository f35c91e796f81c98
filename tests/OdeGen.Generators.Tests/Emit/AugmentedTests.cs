using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Differentiation;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Emit;

/// <summary>
/// The one-sweep methods (EvaluateVjp; EvaluateDivergence and VjpDivergenceVjp with SecondOrder = true): every compiled
/// double test system, random programs included, against the calls they replace (<see cref="AugmentedCheck"/>), and the
/// generated file of each construct held in a reviewed snapshot.
/// </summary>
public class AugmentedTests
{
    public static TheoryData<string> Systems => new(CompiledSystems.All.Keys.Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(Systems))]
    public void EvaluateVjp_IsEvaluateThenVjp_BitForBit_ScalarAndLanes(string name)
    {
        var system = Assert.IsAssignableFrom<IOdeAugmentedLaneSystem>(CompiledSystems.All[name].System);
        AugmentedCheck.EvaluateVjp(system, new Random(name.Length * 7919), name);
    }

    [Theory]
    [MemberData(nameof(SecondOrderScenarios))]
    public void DivergencePairs_MatchTheSeparateCalls_AndDifferences(string scenario)
    {
        var system = Assert.IsAssignableFrom<IOdeAugmentedLaneSystemSecondOrder>(SecondOrderTests.System(scenario));
        AugmentedCheck.EvaluateVjp(system, new Random(scenario.Length * 31), scenario);
        AugmentedCheck.DivergencePairs(system, new Random(scenario.Length * 37), scenario);
    }

    public static TheoryData<string> SecondOrderScenarios => SecondOrderTests.DoubleScenarios;

    [Theory]
    [InlineData("Lorenz", TestSources.Lorenz)]
    [InlineData("LoopMlp", TestSources.LoopMlp)]
    [InlineData("Branches", TestSources.Branches)]
    [InlineData("SecondOrder.Straight", SecondOrderSources.Straight)]
    [InlineData("SecondOrder.Loops", SecondOrderSources.Loops)]
    public void AugmentedFile_MatchesSnapshot(string scenario, string source)
    {
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(source));
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Empty(GeneratorHarness.Errors(run.Output));
        string file = string.Join("\n", run.AugmentedSources.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"// ===== {s.Key} =====\n{s.Value}"));
        Assert.NotEmpty(run.AugmentedSources);
        Snapshot.Verify("Augmented." + scenario, file);
    }

    [Fact]
    public void FloatSystemsAndFunctions_GetNoAugmentedFile()
    {
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(TestSources.FloatMlp));
        Assert.Empty(run.AugmentedSources);
    }
}
