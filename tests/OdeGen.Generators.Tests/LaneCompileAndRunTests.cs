using System.Reflection;
using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Infrastructure;
using OdeGen.Lanes;
using OdeGen.Testing;

namespace OdeGen.Generators.Tests;

/// <summary>
/// The generated lane methods of every scenario and of 100 random programs, compiled in memory and run at
/// every width (Lane1, Lane128, Lane256, Lane512) with different data in each lane: each lane equals the
/// scalar Evaluate, Jvp and Vjp on that lane's data.
/// </summary>
public class LaneCompileAndRunTests
{
    private const int Batches = 3;

    /// <summary>100 random programs beyond the 16 the scalar tests run, compiled in one assembly.</summary>
    private static readonly Lazy<IReadOnlyList<IOdeLaneSystem>> RandomSystems = new(LoadRandom);

    public static TheoryData<string> SystemNames => new(CompiledSystems.All.Keys.OrderBy(k => k, StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(SystemNames))]
    public void LaneMethods_EqualScalarMethods_InEveryLane_AtEveryWidth(string name)
    {
        IOdeLaneSystem system = Assert.IsAssignableFrom<IOdeLaneSystem>(CompiledSystems.All[name].System);
        var random = new Random(StableSeed(name));
        for (int batch = 0; batch < Batches; batch++)
        {
            AtEveryWidth(system, random, name);
        }
    }

    [Fact]
    public void BranchesOnStates_TakeDifferentSidesInDifferentLanes()
    {
        // Switch: y[0] > 0.1, else y[0] < -0.5, else; y[1] > 0; t > 0.5 && y[2] < 0.8; y[i] > 0 in a loop.
        // Lanes cycle through rows that take different sides of every branch, so even two lanes disagree on each.
        double[][] rows = { new[] { 0.5, 0.3, 0.5 }, new[] { -0.7, -0.4, 0.9 }, new[] { 0.0, 0.6, -0.3 }, new[] { 0.2, -0.1, 0.85 } };
        IOdeLaneSystem system = (IOdeLaneSystem)CompiledSystems.All["Switch.Rhs"].System;
        Check<Lane1>(system, rows, "Switch");
        Check<Lane128>(system, rows, "Switch");
        Check<Lane256>(system, rows, "Switch");
        Check<Lane512>(system, rows, "Switch");

        // Pendulums: the helper Damped branches on velocity < 0 (y[1], y[3]).
        double[][] velocities = { new[] { 0.1, 0.4, -0.2, -0.6 }, new[] { -0.3, -0.5, 0.2, 0.7 } };
        IOdeLaneSystem pendulums = (IOdeLaneSystem)CompiledSystems.All["Pendulums.Rhs"].System;
        Check<Lane128>(pendulums, velocities, "Pendulums");
        Check<Lane512>(pendulums, velocities, "Pendulums");

        static void Check<TLane>(IOdeLaneSystem system, double[][] rows, string what)
            where TLane : unmanaged, ILane<TLane>
        {
            var random = new Random(3);
            var points = Enumerable.Range(0, TLane.Count).Select(l =>
                LanePoint.Random(random, system.StateCount, system.ParameterCount) with { Y = (double[])rows[l % rows.Length].Clone() }).ToList();
            LaneComparison.AssertLanesMatchScalar<TLane>(system, points, 0.7, 0.4, what);
        }
    }

    [Fact]
    public void RandomPrograms_LaneMethodsEqualScalarMethods()
    {
        Assert.Equal(100, RandomSystems.Value.Count);
        var random = new Random(20261201);
        foreach (IOdeLaneSystem system in RandomSystems.Value)
        {
            AtEveryWidth(system, random, system.GetType().FullName!);
        }
    }

    [Fact]
    public void LaneMethods_OfASizeFromTheConstructor_FollowTheSpans()
    {
        // Chain takes its sizes at run time: one compiled struct serves 3 and 7 states.
        Type type = CompiledSystems.All["Chain.Rhs"].System.GetType();
        foreach ((int n, int m) in new[] { (3, 2), (7, 4) })
        {
            var system = (IOdeLaneSystem)Activator.CreateInstance(type, n, m)!;
            AtEveryWidth(system, new Random(n), $"Chain({n}, {m})");
        }
    }

    private static void AtEveryWidth(IOdeLaneSystem system, Random random, string what)
    {
        Run<Lane1>(system, random, what);
        Run<Lane128>(system, random, what);
        Run<Lane256>(system, random, what);
        Run<Lane512>(system, random, what);
    }

    private static void Run<TLane>(IOdeLaneSystem system, Random random, string what)
        where TLane : unmanaged, ILane<TLane>
    {
        var points = Enumerable.Range(0, TLane.Count).Select(_ => LanePoint.Random(random, system.StateCount, system.ParameterCount)).ToList();
        LaneComparison.AssertLanesMatchScalar<TLane>(system, points, random.NextDouble(), (2 * random.NextDouble()) - 1, what);
    }

    private static IReadOnlyList<IOdeLaneSystem> LoadRandom()
    {
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(RandomPrograms.Create(count: 100, seed: 20261201).ToArray()));
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assembly assembly = CompiledSystems.EmitAndLoad(run.Output);
        return assembly.GetTypes().Where(t => t.IsValueType && typeof(IOdeLaneSystem).IsAssignableFrom(t))
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (IOdeLaneSystem)Activator.CreateInstance(t)!).ToList();
    }

    private static int StableSeed(string text) => text.Aggregate(23, (h, c) => unchecked((h * 31) + c));
}
