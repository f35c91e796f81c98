using OdeGen.Lanes;
using OdeGen.Solvers;
using OdeGen.Tests.Generated;
using OdeGen.Tests.TestSystems;

namespace OdeGen.Tests.Solvers;

/// <summary>
/// FusedFixedSteps is the one deliberate copy of the explicit Runge–Kutta arithmetic (every stage in registers, f
/// inlined, for speed). These tests hold it bit for bit to the kernel's fused step (<see cref="RungeKuttaKernel{TLane}.FusedStep"/>),
/// the general step an ensemble takes around the fused runs, for every tableau shape it covers.
/// </summary>
public class FusedKernelTests
{
    private static readonly Lorenz.RhsSystem System = new();

    public static IEnumerable<object[]> Tableaux() =>
        new[] { "Euler", "Midpoint", "Heun", "HeunEuler", "RK4", "Kutta3", "3/8" }.Select(name => new object[] { name });

    private static ButcherTableau Tableau(string name) => FusedStepCases.Tableau(name);

    [Theory]
    [MemberData(nameof(Tableaux))]
    public void FusedFixedSteps_EqualsTheKernelsFusedStep_BitForBit_Lane1(string tableau) => Compare<Lane1>(Tableau(tableau));

    [Theory]
    [MemberData(nameof(Tableaux))]
    public void FusedFixedSteps_EqualsTheKernelsFusedStep_BitForBit_Lane256(string tableau) => Compare<Lane256>(Tableau(tableau));

    private static void Compare<TLane>(ButcherTableau tableau) where TLane : unmanaged, ILane<TLane>
    {
        const int registers = 2, n = 3, m = 3, steps = 300;
        double h = 1.0 / 256, t0 = 0.25;
        FusedStepPlan plan = FusedStepPlan.For(tableau, h) ?? throw new InvalidOperationException($"{tableau.Name} is not fusible");
        int w = TLane.Count;
        (TLane[] y, TLane[] p) = FusedStepCases.LorenzBlock<TLane>(registers);

        // The kernel's fused step, as the lane-block solver takes it: k_0 = f(t, y), then the stages and the candidate.
        var kernel = new RungeKuttaKernel<TLane>(tableau);
        TLane[] expected = (TLane[])y.Clone(), k = new TLane[tableau.DenseStages * y.Length], arg = new TLane[y.Length];
        var f = new Field<TLane>(p, n, m, registers);
        for (int j = 0; j < steps; j++)
        {
            double t = t0 + j * h;
            f.Evaluate(t, expected, k.AsSpan(0, y.Length));
            kernel.FusedStep(ref f, t, h, expected, k, arg);
            arg.CopyTo(expected, 0);
        }

        TLane bad = System.FusedFixedSteps(plan, t0, 0, steps, y, p);
        Assert.True(TLane.AllFinite(bad));
        for (int c = 0; c < y.Length; c++)
            for (int l = 0; l < w; l++)
                Assert.Equal(TLane.GetLane(expected[c], l), TLane.GetLane(y[c], l));
    }

    private readonly struct Field<TLane>(TLane[] p, int n, int m, int registers) : IStageFunction<TLane> where TLane : unmanaged, ILane<TLane>
    {
        public void Evaluate(double t, ReadOnlySpan<TLane> y, Span<TLane> dydt)
        {
            for (int g = 0; g < registers; g++)
                System.EvaluateLanes(t, y.Slice(g * n, n), p.AsSpan(g * m, m), dydt.Slice(g * n, n));
        }
    }
}
