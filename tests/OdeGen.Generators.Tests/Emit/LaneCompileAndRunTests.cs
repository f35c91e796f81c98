using System.Reflection;
using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Infrastructure;
using OdeGen.Lanes;
using OdeGen.Testing;

namespace OdeGen.Generators.Tests.Emit;

/// <summary>
/// The generated lane methods of every scenario and of 100 random programs, compiled in memory and run at
/// every width (Lane1, Lane128, Lane256, Lane512) with different data in each lane: each lane equals the
/// scalar Evaluate, Jvp and Vjp on that lane's data.
/// </summary>
public class LaneCompileAndRunTests
{
    private const int Batches = 3;

    /// <summary>100 random programs beyond the 16 the scalar tests run, compiled in one assembly.</summary>
    internal static readonly Lazy<IReadOnlyList<IOdeLaneSystem>> RandomSystems = new(LoadRandom);

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

    /// <summary>
    /// Custom rules called inside branches on states (the function and its rules throw for negative x, so a
    /// lane outside the branch that called them would fail the test), ! and || on lane conditions, index
    /// conditions meeting lane conditions (&amp;&amp;, ||), else-if chains writing a buffer inside a loop.
    /// </summary>
    private const string EdgeCases = """
        using OdeGen;

        namespace Lanes.Edge;

        public static partial class Edges
        {
            [OdeCustomDerivative(nameof(SoftJvp), nameof(SoftVjp))]
            public static double Soft(double x, double k) => x < 0 ? throw new ArgumentOutOfRangeException(nameof(x)) : Math.Log(1 + Math.Exp(k * x));

            static double SoftJvp(double x, double k, double xDot, double kDot) =>
                x < 0 ? throw new ArgumentOutOfRangeException(nameof(x)) : (k * xDot + x * kDot) / (1 + Math.Exp(-k * x));

            static void SoftVjp(double x, double k, double resultBar, ref double xBar, ref double kBar)
            {
                if (x < 0) throw new ArgumentOutOfRangeException(nameof(x));
                double s = resultBar / (1 + Math.Exp(-k * x));
                xBar += k * s;
                kBar += x * s;
            }

            [OdeDynamics(States = 3, Parameters = 2)]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                Span<double> h = stackalloc double[3];
                for (int i = 0; i < 3; i++)
                {
                    if (i == 1 && y[i] > 0)
                    {
                        h[i] = y[i] * p[0];
                    }
                    else if (i == 0 || y[i] < -0.2)
                    {
                        h[i] = Math.Sin(y[i]) + t;
                    }
                    else
                    {
                        h[i] = y[i] * y[i];
                    }
                }

                double u;
                if (y[0] > 0)
                {
                    u = Soft(y[0] * p[0], p[1]);
                }
                else
                {
                    u = -y[0];
                }

                double w = (!(y[1] > 0.2) || y[2] < -0.3) ? Math.Exp(y[1]) : Math.Cos(y[2]) * p[1];
                dydt[0] = u + h[0];
                dydt[1] = w * h[1] - Soft(Math.Abs(y[1]), 0.5);
                dydt[2] = h[2] + t * u;
            }
        }
        """;

    [Fact]
    public void CustomRulesInBranches_AndMixedConditions_EqualScalarMethods_AtEveryWidth()
    {
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(EdgeCases));
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assembly assembly = CompiledSystems.EmitAndLoad(run.Output);
        var system = (IOdeLaneSystem)Activator.CreateInstance(assembly.GetType("Lanes.Edge.Edges")!.GetNestedType("RhsSystem")!)!;

        // Rows that disagree on every branch, so neighbouring lanes take different sides; then random data.
        double[][] rows = { new[] { 0.5, 0.4, 0.1 }, new[] { -0.6, -0.5, -0.4 }, new[] { 0.3, 0.1, 0.6 }, new[] { -0.1, 0.7, -0.1 } };
        foreach (double t in new[] { 0.3, 0.8 })
        {
            Rows<Lane1>(system, rows, t);
            Rows<Lane128>(system, rows, t);
            Rows<Lane256>(system, rows, t);
            Rows<Lane512>(system, rows, t);
        }

        var random = new Random(5);
        for (int batch = 0; batch < 4; batch++)
        {
            AtEveryWidth(system, random, "Edges");
        }

        static void Rows<TLane>(IOdeLaneSystem system, double[][] rows, double t)
            where TLane : unmanaged, ILane<TLane>
        {
            var random = new Random(6);
            var points = Enumerable.Range(0, TLane.Count).Select(l =>
                LanePoint.Random(random, system.StateCount, system.ParameterCount) with { Y = (double[])rows[l % rows.Length].Clone() }).ToList();
            LaneComparison.AssertLanesMatchScalar<TLane>(system, points, t, -0.7, "Edges");
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
        LaneComparison.AssertLanesMatchScalar<TLane>(system, points, random.NextDouble(), (2 * random.NextDouble()) - 1, what, VectorizesLoops(system));
    }

    // Whether the user's method asks for VectorizeLoops: its scalar sums are then grouped by lane.
    private static bool VectorizesLoops(IOdeLaneSystem system)
    {
        Type type = system.GetType();
        MethodInfo? method = type.DeclaringType?.GetMethod(type.Name[..^"System".Length]);
        return method?.GetCustomAttributesData().Any(a => a.AttributeType.Name == "OdeDynamicsAttribute"
            && a.NamedArguments.Any(n => n.MemberName == "VectorizeLoops" && n.TypedValue.Value is true)) == true;
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
