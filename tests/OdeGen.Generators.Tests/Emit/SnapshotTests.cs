using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Emit;

/// <summary>The generated source of each construct, held in a reviewed snapshot.</summary>
public class SnapshotTests
{
    public static TheoryData<string> Scenarios => new(TestSources.All.Keys);

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void GeneratedSource_MatchesSnapshot(string scenario)
    {
        RunScenario(scenario, out var compilation, out var run);

        // Only the non-smooth scenarios may warn (kinks; branches on states), and nothing may be an error.
        string? warning = scenario switch { "NonSmooth" => "ODE0010", "Branches" or "Helpers" or "FloatMlp" or "FloatRules" or "VectorMlp" => "ODE0016", _ => null };
        Assert.All(run.Result.Diagnostics, d => Assert.Equal(warning, d.Id));
        Assert.Equal(warning is not null, run.Result.Diagnostics.Any());
        Assert.Empty(GeneratorHarness.Errors(run.Output));

        // The lane files have snapshots of their own (LaneSnapshotTests).
        IReadOnlyDictionary<string, string> sources = run.ScalarSources;
        string text = string.Join("\n", sources.OrderBy(s => s.Key, StringComparer.Ordinal)
            .Select(s => sources.Count == 1 ? s.Value : $"// ===== {s.Key} =====\n{s.Value}"));
        Snapshot.Verify(scenario, text);

        // Re-running on an identical compilation must reuse every step.
        Incrementality.AssertAllStepsCached(run.Driver.RunGenerators(compilation.Clone()).GetRunResult());
    }

    [Fact]
    public void HintNames_AreOneFilePerMethod_NamedByNamespaceTypesAndMethod()
    {
        // Namespace parts joined by '.', nested types by '+', a generic type's arity after '`' (HintNames).
        RunScenario("Namespaces", out _, out var run);
        Assert.Equal(
            new[]
            {
                "Scenarios.Outer.Inner.Container+Model.DecaySystem.g.cs",
                "Scenarios.Outer.Inner.Container.GrowthSystem.g.cs",
                "Scenarios.Outer.Inner.Holder`1.SpinSystem.g.cs",
            },
            run.ScalarSources.Keys.OrderBy(k => k, StringComparer.Ordinal));
    }

    [Fact]
    public void HintNames_ForAllScenariosTogether_AreTheUnionOfEachScenario()
    {
        var compilation = GeneratorHarness.Compile(TestSources.All.Values.ToArray());
        var names = GeneratorHarness.Run(compilation).ScalarSources.Keys.ToHashSet();
        Assert.Equal(24, names.Count);
        Assert.Contains("Lorenz.RhsSystem.g.cs", names);
        Assert.Contains("Scenarios.FileScoped.Drift.RhsSystem.g.cs", names);
        Assert.Contains("Scenarios.Constants.Ballistics.RhsSystem.g.cs", names);
    }

    [Fact]
    public void BranchesVjp_ReadsTheUsersAdjointOnEverySide_WithoutMergeCopies()
    {
        // if (…) gain = …; else if (…) gain = …; else gain = …; reversed: each side adds gainBar's share where it is read,
        // with no copy of it before the else side (gainBar_2 = gainBar) and no reset that nothing reads (gainBar = 0.0).
        RunScenario("Branches", out _, out var run);
        string text = run.ScalarSources.Values.Single();
        int from = text.IndexOf("public double Vjp(", StringComparison.Ordinal);
        string vjp = text.Substring(from, text.IndexOf("public void Jacobian(", from, StringComparison.Ordinal) - from);
        Assert.DoesNotContain("gainBar_", vjp);
        Assert.DoesNotContain("gainBar = 0.0;", vjp);
        Assert.Contains("pBar[0] += gainBar * y0;", vjp);
        Assert.Contains("yBar[1] += gainBar * gain_2;", vjp);
        Assert.Contains("tBar += gainBar * p[1];", vjp);
    }

    private static void RunScenario(string scenario, out Compilation compilation, out GeneratorRun run)
    {
        compilation = GeneratorHarness.Compile(TestSources.All[scenario]);
        run = GeneratorHarness.Run(compilation);
    }
}
