using OdeGen.Lanes;
using OdeGen.Solvers;
using OdeGen.Tests.Generated;
using OdeGen.Tests.TestSystems;

namespace OdeGen.Tests.Lanes;

/// <summary>
/// FusedFixedSteps steps the registers of a run in pairs (their stages side by side) and an odd one alone. With a fixed
/// step lanes never interact, so each register must end exactly as it ends when run alone, whatever the register count
/// and whichever group it fell in; FusedKernelTests holds the run to the kernel's fused step. A run allocates nothing.
/// </summary>
public class FusedRegisterGroupTests
{
    private static readonly Lorenz.RhsSystem System = new();
    private const int N = 3, M = 3, Steps = 200;
    private const double H = 1.0 / 256, T0 = 0.25;

    public static IEnumerable<object[]> Cases() =>
        from tableau in new[] { "Euler", "Midpoint", "Kutta3", "RK4", "3/8" }
        from registers in new[] { 1, 2, 3, 4, 5, 8 }
        select new object[] { tableau, registers };

    private static ButcherTableau Tableau(string name) => FusedStepCases.Tableau(name);

    [Theory]
    [MemberData(nameof(Cases))]
    public void EachRegister_EndsAsItEndsAlone_Lane1(string tableau, int registers) => Compare<Lane1>(Tableau(tableau), registers);

    [Theory]
    [MemberData(nameof(Cases))]
    public void EachRegister_EndsAsItEndsAlone_Lane256(string tableau, int registers) => Compare<Lane256>(Tableau(tableau), registers);

    [Theory]
    [MemberData(nameof(Cases))]
    public void EachRegister_EndsAsItEndsAlone_Lane512(string tableau, int registers) => Compare<Lane512>(Tableau(tableau), registers);

    [Fact]
    public void ARun_AllocatesNothing()
    {
        FusedStepPlan plan = FusedStepPlan.For(OdeMethod.RK4.Tableau, H)!;
        (Lane512[] y, Lane512[] p) = FusedStepCases.LorenzBlock<Lane512>(5);
        System.FusedFixedSteps(plan, T0, 0, 4, y.AsSpan(), p);
        long before = GC.GetAllocatedBytesForCurrentThread();
        System.FusedFixedSteps(plan, T0, 4, Steps, y.AsSpan(), p);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static void Compare<TLane>(ButcherTableau tableau, int registers) where TLane : unmanaged, ILane<TLane>
    {
        FusedStepPlan plan = FusedStepPlan.For(tableau, H)!;
        (TLane[] y, TLane[] p) = FusedStepCases.LorenzBlock<TLane>(registers);
        TLane bad = System.FusedFixedSteps(plan, T0, 0, Steps, y.AsSpan(), p);
        Assert.True(TLane.AllFinite(bad));
        (TLane[] all, TLane[] _) = FusedStepCases.LorenzBlock<TLane>(registers);
        for (int g = 0; g < registers; g++)
        {
            TLane[] alone = all.AsSpan(g * N, N).ToArray();
            System.FusedFixedSteps(plan, T0, 0, Steps, alone.AsSpan(), p.AsSpan(g * M, M));
            for (int q = 0; q < N; q++)
                for (int l = 0; l < TLane.Count; l++)
                    Assert.Equal(TLane.GetLane(alone[q], l), TLane.GetLane(y[g * N + q], l));
        }
    }
}
