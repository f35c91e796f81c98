using OdeGen.Flows;
using OdeGen.Lanes;
using OdeGen.Testing;
using OdeGen.Tests.Flows;
using OdeGen.Tests.Generated;
using OdeGen.Tests.Neural;
using OdeGen.Tests.TestSystems;
using static OdeGen.Tests.Sensitivities.SensitivityTestSupport;

// Not "OdeGen.Tests.Sensitivity": a namespace segment with that name would hide the OdeGen.Sensitivity class.
namespace OdeGen.Tests.Sensitivities;

/// <summary>A system with loops, a branch on the state and t, to run the one-sweep path through regions.</summary>
public static partial class OneSweepBranchy
{
    [OdeDynamics(States = 3, Parameters = 4)]
    public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        double s = 0;
        for (int i = 0; i < 3; i++)
        {
            s += p[i] * y[i];
        }

        for (int i = 0; i < 3; i++)
        {
            // The branch on y is the point of this system (the one-sweep path through a condition), so its kink warning is expected.
#pragma warning disable ODE0016
            double v = y[i] > 0 ? Math.Tanh(s * y[i]) : Math.Sin(s) * y[i];
#pragma warning restore ODE0016
            dydt[i] = v - (p[3] * y[i]) + (0.1 * Math.Cos(t));
        }
    }
}

/// <summary>
/// The one-sweep methods in the runtime (<see cref="IOdeAugmentedSystem"/>, <see cref="IOdeAugmentedSystemSecondOrder"/>):
/// the backsolve adjoint and the CNF field take them when the system has them, give the same numbers as the two calls
/// they replace (bit for bit where the arithmetic is the same), and allocate nothing.
/// </summary>
public class OneSweepTests
{
    private static readonly SolverOptions Options = new() { RelTol = 1e-8, AbsTol = 1e-8 };

    [Fact]
    public void GeneratedSystemsHaveThePaths_HandWrittenOnesAndWrappersDoNot()
    {
        Assert.True(AugmentedCalls<Lorenz.RhsSystem>.HasEvaluateVjp);
        Assert.True(typeof(IOdeAugmentedLaneSystem).IsAssignableFrom(typeof(Lorenz.RhsSystem)));
        Assert.False(AugmentedCalls<Lorenz.RhsSystem>.HasDivergencePairs);
        Assert.True(AugmentedCalls<CnfField.RhsSystem>.HasDivergencePairLanes);
        Assert.False(AugmentedCalls<HandLorenz>.HasEvaluateVjp);
        Assert.False(AugmentedCalls<TwoCalls<Lorenz.RhsSystem>>.HasEvaluateVjp);
        Assert.False(AugmentedCalls<TwoCallsSecondOrder<CnfField.RhsSystem>>.HasDivergencePairs);
    }

    public static TheoryData<string> Systems => new() { "Lorenz", "Spiral", "Branchy" };

    [Theory]
    [MemberData(nameof(Systems))]
    public void BacksolveGradient_OneSweep_IsTheTwoCallsBitForBit(string name)
    {
        double[] times = [0.3, 0.7, 1.0];
        switch (name)
        {
            case "Lorenz":
                Same(new Lorenz.RhsSystem(), LorenzY0, LorenzP, times);
                break;
            case "Spiral":
                var r = new Random(5);
                Same(new SpiralModel.RhsSystem(), [2.0, 0.0], Enumerable.Range(0, 252).Select(_ => (r.NextDouble() - 0.5) * 0.4).ToArray(), times);
                break;
            default:
                Same(new OneSweepBranchy.RhsSystem(), [0.4, -0.3, 0.8], [0.5, -1.2, 0.9, 0.3], times);
                break;
        }
    }

    private static void Same<TSystem>(TSystem system, double[] y0, double[] p, double[] times)
        where TSystem : struct, IOdeLaneSystem
    {
        Assert.True(AugmentedCalls<TSystem>.HasEvaluateVjp);
        int n = system.StateCount;
        double[] dLdy = Enumerable.Range(0, times.Length * n).Select(i => Math.Cos(i + 1.0)).ToArray();
        OdeGradient fused = Ode.Gradient(system, y0, p, 0, times, dLdy, OdeGen.Sensitivity.BacksolveAdjoint, Options);
        OdeGradient twoCalls = Ode.Gradient(new TwoCalls<TSystem>(system), y0, p, 0, times, dLdy, OdeGen.Sensitivity.BacksolveAdjoint, Options);
        Assert.Equal(twoCalls.Y0.ToArray(), fused.Y0.ToArray());
        Assert.Equal(twoCalls.Parameters.ToArray(), fused.Parameters.ToArray());
        Assert.Equal(twoCalls.T0, fused.T0);
        Assert.Equal(twoCalls.Times.ToArray(), fused.Times.ToArray());
        Assert.Equal(twoCalls.Stats.VjpEvaluations, fused.Stats.VjpEvaluations);
        Assert.Equal(twoCalls.Stats.FunctionEvaluations, fused.Stats.FunctionEvaluations);
    }

    [Fact]
    public void AdjointField_OneSweep_AllocatesNothing()
    {
        var field = new AdjointField<Lorenz.RhsSystem>(new Lorenz.RhsSystem(), LorenzP, new EvaluationCounter());
        double[] y = [1, 2, 3, 0.5, -0.5, 0.25, 0, 0, 0, 0], dydt = new double[field.Dimension];
        field.Evaluate(0.1, y, dydt);
        long bytes = Allocations.Least(() =>
        {
            for (int i = 0; i < 100; i++) field.Evaluate(0.1 * i, y, dydt);
        }, windows: 3);
        Assert.Equal(0, bytes);
    }

    // The CNF field over the generated system (one sweep) and over its two-call twin: f bit for bit, the trace and the VJP
    // (one sum in another order) to 1e-13, for the scalar kernel and the lane kernel, exact trace with and without kinetic.
    [Theory]
    [InlineData(1, false)]
    [InlineData(1, true)]
    [InlineData(4, false)]
    [InlineData(4, true)]
    public void CnfField_OneSweep_MatchesTheTwoCalls(int lanes, bool kinetic)
    {
        const int Batch = 5;
        IOdeSystem fused = lanes == 1
            ? new CnfAugmentedSystem<ScalarCnfKernel<CnfField.RhsSystem>, Lane1>(new(default), Batch, exact: true, kinetic, jacobian: false, [])
            : new CnfAugmentedSystem<LaneCnfKernel<CnfField.RhsSystem, Lane256>, Lane256>(new(default), Batch, exact: true, kinetic, jacobian: false, []);
        IOdeSystem twoCalls = lanes == 1
            ? new CnfAugmentedSystem<ScalarCnfKernel<TwoCallsSecondOrder<CnfField.RhsSystem>>, Lane1>(new(default), Batch, exact: true, kinetic, jacobian: false, [])
            : new CnfAugmentedSystem<LaneCnfKernel<TwoCallsSecondOrder<CnfField.RhsSystem>, Lane256>, Lane256>(new(default), Batch, exact: true, kinetic, jacobian: false, []);
        int n = fused.StateCount, m = fused.ParameterCount, stride = n / Batch;
        var r = new Random(11);
        double[] y = Enumerable.Range(0, n).Select(_ => (r.NextDouble() * 2) - 1).ToArray(), a = Enumerable.Range(0, n).Select(_ => (r.NextDouble() * 2) - 1).ToArray();
        double[] p = FlowTestData.Weights(3);
        const double t = 0.4;

        double[] f1 = new double[n], f2 = new double[n];
        fused.Evaluate(t, y, p, f1);
        twoCalls.Evaluate(t, y, p, f2);
        for (int i = 0; i < n; i++)
        {
            bool state = i % stride < stride - 1 - (kinetic ? 1 : 0);
            Assert.True(state ? f1[i].Equals(f2[i]) : Math.Abs(f1[i] - f2[i]) <= 1e-13 * (1 + Math.Abs(f2[i])), $"Evaluate[{i}]: {f1[i]:R} against {f2[i]:R}");
        }

        double[] yBar1 = new double[n], pBar1 = new double[m], yBar2 = new double[n], pBar2 = new double[m];
        double tBar1 = fused.Vjp(t, y, p, a, yBar1, pBar1);
        double tBar2 = twoCalls.Vjp(t, y, p, a, yBar2, pBar2);
        double[] one = yBar1.Concat(pBar1).Append(tBar1).ToArray(), two = yBar2.Concat(pBar2).Append(tBar2).ToArray();
        double scale = two.Max(Math.Abs);
        for (int i = 0; i < one.Length; i++)
        {
            Assert.True(Math.Abs(one[i] - two[i]) <= 1e-13 * scale, $"Vjp[{i}]: {one[i]:R} against {two[i]:R} (scale {scale:R})");
        }

        Assert.Equal(0, Allocations.Least(() =>
        {
            fused.Evaluate(t, y, p, f1);
            fused.Vjp(t, y, p, a, yBar1, pBar1);
        }, windows: 3));
    }
}
