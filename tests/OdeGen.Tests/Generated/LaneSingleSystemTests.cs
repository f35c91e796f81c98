using OdeGen.Lanes;
using OdeGen.Testing;
using Xunit.Abstractions;

namespace OdeGen.Tests.Generated;

/// <summary>
/// The float lane methods the analyzer generated during this build, for Lorenz and the 2→50→2 tanh MLP in float: equal
/// to the scalar float methods lane by lane at every width (LaneSingle1 bit for bit), and allocation-free.
/// LaneWidthChildProcessTests re-runs this class with AVX-512 and with AVX2 switched off.
/// </summary>
public class LaneSingleSystemTests(ITestOutputHelper output)
{
    [Fact]
    public void GeneratedFloatSystems_ImplementIOdeLaneSystemSingle()
    {
        Assert.True(typeof(IOdeLaneSystemSingle).IsAssignableFrom(typeof(LorenzSingle.RhsSystem)));
        Assert.True(typeof(IOdeLaneSystemSingle).IsAssignableFrom(typeof(LaneMlpSingle.RhsSystem)));
        Assert.False(typeof(IOdeLaneSystem).IsAssignableFrom(typeof(LaneMlpSingle.RhsSystem)));
    }

    [Fact]
    public void Lorenz_LaneMethodsEqualScalarMethods_AtEveryWidth() => AtEveryWidth(new LorenzSingle.RhsSystem(), seed: 1, "LorenzSingle");

    [Fact]
    public void Mlp_LaneMethodsEqualScalarMethods_AtEveryWidth() => AtEveryWidth(new LaneMlpSingle.RhsSystem(), seed: 2, "MlpSingle");

    [Fact]
    public void LaneMethods_AllocateNothing_AfterWarmUp()
    {
        AssertNoAllocation<LaneSingle1>();
        AssertNoAllocation<LaneSingle128>();
        AssertNoAllocation<LaneSingle256>();
        AssertNoAllocation<LaneSingle512>();
    }

    private void AtEveryWidth(IOdeLaneSystemSingle system, int seed, string what)
    {
        var random = new Random(seed);
        double worst = 0;
        for (int batch = 0; batch < 4; batch++)
        {
            worst = Math.Max(worst, Run<LaneSingle1>(system, random, what));
            worst = Math.Max(worst, Run<LaneSingle128>(system, random, what));
            worst = Math.Max(worst, Run<LaneSingle256>(system, random, what));
            worst = Math.Max(worst, Run<LaneSingle512>(system, random, what));
        }

        output.WriteLine($"{what}: largest relative difference at the SIMD widths {worst:E2}");
    }

    private static double Run<TLane>(IOdeLaneSystemSingle system, Random random, string what)
        where TLane : unmanaged, ILaneSingle<TLane>
    {
        var points = Enumerable.Range(0, TLane.Count).Select(_ => LanePointSingle.Random(random, system.StateCount, system.ParameterCount)).ToList();
        return LaneComparisonSingle.AssertLanesMatchScalar<TLane>(system, points, (float)(2 * random.NextDouble()), (float)(random.NextDouble() - 0.5), what);
    }

    /// <summary>The three lane methods of both systems, called through the structs (as the runtime does), allocate nothing.</summary>
    private static void AssertNoAllocation<TLane>()
        where TLane : unmanaged, ILaneSingle<TLane>
    {
        var random = new Random(4);
        TLane[] Vector(int length) => Enumerable.Range(0, length).Select(_ => TLane.Create((float)random.NextDouble() - 0.5f)).ToArray();
        TLane[] y = Vector(3), p = Vector(LaneMlpSingle.Size), yDot = Vector(3), pDot = Vector(LaneMlpSingle.Size), a = Vector(3);
        TLane[] f = new TLane[3], fDot = new TLane[3], yBar = new TLane[3], pBar = new TLane[LaneMlpSingle.Size];

        Calls(1);   // warm-up: the JIT compiles each generic instantiation
        long allocated = Allocations.Least(() => Calls(100));
        Assert.True(allocated == 0, $"{typeof(TLane).Name}: the float lane methods allocated {allocated} bytes in 100 rounds");

        void Calls(int rounds)
        {
            var lorenz = new LorenzSingle.RhsSystem();
            var mlp = new LaneMlpSingle.RhsSystem();
            for (int k = 0; k < rounds; k++)
            {
                lorenz.EvaluateLanes<TLane>(0.5f, y, p.AsSpan(0, 3), f);
                lorenz.JvpLanes<TLane>(0.5f, y, p.AsSpan(0, 3), 1.0f, yDot, pDot.AsSpan(0, 3), f, fDot);
                lorenz.VjpLanes<TLane>(0.5f, y, p.AsSpan(0, 3), a, yBar, pBar.AsSpan(0, 3));
                mlp.EvaluateLanes<TLane>(0.5f, y.AsSpan(0, 2), p, f.AsSpan(0, 2));
                mlp.JvpLanes<TLane>(0.5f, y.AsSpan(0, 2), p, 1.0f, yDot.AsSpan(0, 2), pDot, f.AsSpan(0, 2), fDot.AsSpan(0, 2));
                mlp.VjpLanes<TLane>(0.5f, y.AsSpan(0, 2), p, a.AsSpan(0, 2), yBar.AsSpan(0, 2), pBar);
            }
        }
    }
}
