using System.Runtime.Intrinsics;
using OdeGen.Lanes;
using OdeGen.Testing;
using Xunit.Abstractions;

namespace OdeGen.Tests.Generated;

/// <summary>
/// The lane methods the analyzer generated during this build, for Lorenz and a 2→50→2 tanh MLP: equal to the
/// scalar methods lane by lane at every width, and allocation-free. LaneWidthChildProcessTests re-runs this
/// class with AVX-512 and with AVX2 switched off, so the narrower hardware paths run too.
/// </summary>
public class LaneSystemTests(ITestOutputHelper output)
{
    [Fact]
    public void GeneratedSystems_ImplementIOdeLaneSystem()
    {
        Assert.True(typeof(IOdeLaneSystem).IsAssignableFrom(typeof(Lorenz.RhsSystem)));
        Assert.True(typeof(IOdeLaneSystem).IsAssignableFrom(typeof(LaneMlp.RhsSystem)));
        Assert.True(typeof(IOdeLaneSystem).IsAssignableFrom(typeof(Pendulum.RhsSystem)));
    }

    [Fact]
    public void Lorenz_LaneMethodsEqualScalarMethods_AtEveryWidth() => AtEveryWidth(new Lorenz.RhsSystem(), seed: 1, "Lorenz");

    [Fact]
    public void Mlp_LaneMethodsEqualScalarMethods_AtEveryWidth() => AtEveryWidth(new LaneMlp.RhsSystem(), seed: 2, "Mlp");

    [Fact]
    public void Pendulum_LaneMethodsEqualScalarMethods_WithTheTimeShared() => AtEveryWidth(new Pendulum.RhsSystem(), seed: 3, "Pendulum");

    [Fact]
    public void LaneMethods_AllocateNothing_AfterWarmUp()
    {
        AssertNoAllocation<Lane1>();
        AssertNoAllocation<Lane128>();
        AssertNoAllocation<Lane256>();
        AssertNoAllocation<Lane512>();
    }

    [Fact]
    public void HardwareWidths_FollowTheEnvironment()
    {
        // What the JIT accelerates here; the child runs switch widths off with these variables.
        string report = $"Vector512.IsHardwareAccelerated={Vector512.IsHardwareAccelerated}, Vector256.IsHardwareAccelerated={Vector256.IsHardwareAccelerated}, Vector128.IsHardwareAccelerated={Vector128.IsHardwareAccelerated}";
        output.WriteLine(report);
        if (Environment.GetEnvironmentVariable("ODEGEN_LANE_REPORT") is { Length: > 0 } path)
        {
            File.WriteAllText(path, report);
        }

        if (Environment.GetEnvironmentVariable("DOTNET_EnableAVX512F") == "0" && Environment.GetEnvironmentVariable("DOTNET_EnableAVX512") == "0")
        {
            Assert.False(Vector512.IsHardwareAccelerated);
        }

        if (Environment.GetEnvironmentVariable("DOTNET_EnableAVX2") == "0")
        {
            Assert.False(Vector256.IsHardwareAccelerated);
        }
    }

    private static void AtEveryWidth(IOdeLaneSystem system, int seed, string what)
    {
        var random = new Random(seed);
        for (int batch = 0; batch < 4; batch++)
        {
            Run<Lane1>(system, random, what);
            Run<Lane128>(system, random, what);
            Run<Lane256>(system, random, what);
            Run<Lane512>(system, random, what);
        }
    }

    private static void Run<TLane>(IOdeLaneSystem system, Random random, string what)
        where TLane : unmanaged, ILane<TLane>
    {
        var points = Enumerable.Range(0, TLane.Count).Select(_ => LanePoint.Random(random, system.StateCount, system.ParameterCount)).ToList();
        LaneComparison.AssertLanesMatchScalar<TLane>(system, points, 2 * random.NextDouble(), random.NextDouble() - 0.5, what);
    }

    /// <summary>The three lane methods of both systems, called through the structs (as the runtime does), allocate nothing.</summary>
    private static void AssertNoAllocation<TLane>()
        where TLane : unmanaged, ILane<TLane>
    {
        var random = new Random(4);
        TLane[] Vector(int length) => Enumerable.Range(0, length).Select(_ => TLane.Create(random.NextDouble() - 0.5)).ToArray();
        TLane[] y = Vector(3), p = Vector(LaneMlp.Size), yDot = Vector(3), pDot = Vector(LaneMlp.Size), a = Vector(3);
        TLane[] f = new TLane[3], fDot = new TLane[3], yBar = new TLane[3], pBar = new TLane[LaneMlp.Size];

        Calls(1);   // warm-up: the JIT compiles each generic instantiation
        long allocated = Allocations.Least(() => Calls(100));
        Assert.True(allocated == 0, $"{typeof(TLane).Name}: the lane methods allocated {allocated} bytes in 100 rounds");

        void Calls(int rounds)
        {
            var lorenz = new Lorenz.RhsSystem();
            var mlp = new LaneMlp.RhsSystem();
            for (int k = 0; k < rounds; k++)
            {
                lorenz.EvaluateLanes<TLane>(0.5, y, p.AsSpan(0, 3), f);
                lorenz.JvpLanes<TLane>(0.5, y, p.AsSpan(0, 3), 1.0, yDot, pDot.AsSpan(0, 3), f, fDot);
                lorenz.VjpLanes<TLane>(0.5, y, p.AsSpan(0, 3), a, yBar, pBar.AsSpan(0, 3));
                mlp.EvaluateLanes<TLane>(0.5, y.AsSpan(0, 2), p, f.AsSpan(0, 2));
                mlp.JvpLanes<TLane>(0.5, y.AsSpan(0, 2), p, 1.0, yDot.AsSpan(0, 2), pDot, f.AsSpan(0, 2), fDot.AsSpan(0, 2));
                mlp.VjpLanes<TLane>(0.5, y.AsSpan(0, 2), p, a.AsSpan(0, 2), yBar.AsSpan(0, 2), pBar);
            }
        }
    }
}
