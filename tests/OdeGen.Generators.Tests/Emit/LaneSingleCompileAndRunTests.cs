using System.Reflection;
using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Infrastructure;
using OdeGen.Lanes;
using OdeGen.Testing;
using Xunit.Abstractions;

namespace OdeGen.Generators.Tests.Emit;

/// <summary>
/// The generated lane methods of float systems — the float scenarios, and the 22 double systems of the other
/// scenarios (DESIGN.md's Lorenz among them) and 60 random programs rewritten in float — compiled in memory and run at every width (LaneSingle1, 128, 256, 512) with
/// different data in each lane: each lane equals the scalar float Evaluate, Jvp and Vjp on that lane's data, bit for
/// bit at LaneSingle1 and within <see cref="LaneComparisonSingle.Tolerance"/> at the SIMD widths.
/// </summary>
public class LaneSingleCompileAndRunTests(ITestOutputHelper output)
{
    private const int Batches = 3;

    /// <summary>The double scenarios and the random programs in float, compiled in one assembly.</summary>
    private static readonly Lazy<IReadOnlyList<IOdeLaneSystemSingle>> Rewritten = new(LoadRewritten);

    public static TheoryData<string> SystemNames => new(CompiledSystems.Singles.Keys.OrderBy(k => k, StringComparer.Ordinal));

    [Fact]
    public void FloatScenarios_AreCompiledWithTheirLaneMethods()
    {
        Assert.Equal(new[] { "Colony.Rhs", "SmallNet.Rhs" }, CompiledSystems.Singles.Keys.OrderBy(k => k, StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(SystemNames))]
    public void LaneMethods_EqualScalarMethods_InEveryLane_AtEveryWidth(string name)
    {
        IOdeLaneSystemSingle system = CompiledSystems.Singles[name];
        var random = new Random(name.Aggregate(29, (h, c) => unchecked((h * 31) + c)));
        double worst = 0;
        for (int batch = 0; batch < Batches; batch++)
        {
            worst = Math.Max(worst, AtEveryWidth(system, random, name));
        }

        output.WriteLine($"{name}: largest relative difference at the SIMD widths {worst:E2}");
    }

    [Fact]
    public void BranchesOnStates_TakeDifferentSidesInDifferentLanes()
    {
        // Colony: y[i] > 0 picks the custom rule, y[i] < 0.2 halves the harvest; these rows take every combination,
        // and each lane starts one row further on, so neighbouring lanes disagree on both branches of every state.
        float[][] rows = { new[] { 0.5f, -0.3f, 0.1f, 0.7f, -0.6f }, new[] { -0.4f, 0.15f, 0.8f, -0.1f, 0.3f } };
        IOdeLaneSystemSingle system = CompiledSystems.Singles["Colony.Rhs"];
        Check<LaneSingle1>(system, rows);
        Check<LaneSingle128>(system, rows);
        Check<LaneSingle256>(system, rows);
        Check<LaneSingle512>(system, rows);

        static void Check<TLane>(IOdeLaneSystemSingle system, float[][] rows)
            where TLane : unmanaged, ILaneSingle<TLane>
        {
            var random = new Random(3);
            var points = Enumerable.Range(0, TLane.Count).Select(l =>
                LanePointSingle.Random(random, system.StateCount, system.ParameterCount) with { Y = Rotate(rows[l % rows.Length], l) }).ToList();
            LaneComparisonSingle.AssertLanesMatchScalar<TLane>(system, points, 0.7f, 0.4f, "Colony");
        }

        static float[] Rotate(float[] row, int by) => row.Skip(by % row.Length).Concat(row.Take(by % row.Length)).ToArray();
    }

    [Fact]
    public void ScenariosAndRandomPrograms_RewrittenInFloat_LaneMethodsEqualScalarMethods()
    {
        Assert.Equal(22 + 60, Rewritten.Value.Count);
        var random = new Random(20261202);
        double worst = 0;
        foreach (IOdeLaneSystemSingle system in Rewritten.Value)
        {
            worst = Math.Max(worst, AtEveryWidth(system, random, system.GetType().FullName!));
        }

        output.WriteLine($"22 scenario systems and 60 random programs in float: largest relative difference at the SIMD widths {worst:E2}");
    }

    private static double AtEveryWidth(IOdeLaneSystemSingle system, Random random, string what) =>
        new[] { Run<LaneSingle1>(system, random, what), Run<LaneSingle128>(system, random, what), Run<LaneSingle256>(system, random, what), Run<LaneSingle512>(system, random, what) }.Max();

    private static double Run<TLane>(IOdeLaneSystemSingle system, Random random, string what)
        where TLane : unmanaged, ILaneSingle<TLane>
    {
        var points = Enumerable.Range(0, TLane.Count).Select(_ => LanePointSingle.Random(random, system.StateCount, system.ParameterCount)).ToList();
        return LaneComparisonSingle.AssertLanesMatchScalar<TLane>(system, points, (float)random.NextDouble(), (float)((2 * random.NextDouble()) - 1), what);
    }

    /// <summary>
    /// The double scenarios rewritten in float: every Math function the subset supports, loops, buffers, branches,
    /// helpers and custom rules. NonSmooth's Math.Clamp has no MathF counterpart and is written as Min of Max.
    /// </summary>
    internal static IEnumerable<string> RewrittenScenarios() =>
        TestSources.All.Where(s => !s.Key.StartsWith("Float", StringComparison.Ordinal))
            .Select(s => s.Value.Replace("Math.Clamp(y[2] * p[0], -0.3, 0.3 * p[1])", "Math.Min(Math.Max(y[2] * p[0], -0.3), 0.3 * p[1])"));

    private static IReadOnlyList<IOdeLaneSystemSingle> LoadRewritten()
    {
        string[] sources = RandomPrograms.Create(count: 60, seed: 20261202).Concat(RewrittenScenarios()).Select(SingleSources.FromDouble).ToArray();
        Assert.All(sources, s => Assert.DoesNotContain("double", s));
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(sources));
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assembly assembly = CompiledSystems.EmitAndLoad(run.Output);
        // A struct nested in a generic type (Namespaces' Holder<T>) is generic itself: close it over object.
        return assembly.GetTypes().Where(t => t.IsValueType && typeof(IOdeSystemSingle).IsAssignableFrom(t))
            .Select(t => t.ContainsGenericParameters ? t.MakeGenericType(t.GetGenericArguments().Select(_ => typeof(object)).ToArray()) : t)
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (IOdeLaneSystemSingle)Activator.CreateInstance(t)!).ToList();
    }
}
