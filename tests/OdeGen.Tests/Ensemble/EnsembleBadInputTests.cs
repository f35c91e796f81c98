using OdeGen.Lanes;
using OdeGen.Tests.Sensitivities;
using OdeGen.Tests.TestSystems;
using static OdeGen.Tests.Ensemble.EnsembleTestSupport;

namespace OdeGen.Tests.Ensemble;

/// <summary>Ensemble gradients refuse to return a number that is not one: found by probing the public API with bad input.</summary>
public class EnsembleBadInputTests
{
    private static readonly InfiniteDerivativeSystems.SqrtParameterSystem SqrtParameter = new();
    private static readonly double[] Y0s = [1.0, 0.5, 2.0, 1.5, 0.1];

    public static TheoryData<LaneWidth, bool> Paths()
    {
        var data = new TheoryData<LaneWidth, bool>();
        foreach (LaneWidth width in Widths)
        {
            data.Add(width, false);
            data.Add(width, true);
        }
        return data;
    }

    // y' = −y + √θ with θ = 0 for trajectory 1 only: its f is finite and its ∂f/∂θ is ∞. The lane discrete adjoint (shared or
    // per-lane steps) wrote that trajectory's NaN rows with status Success, and a shared θ's sum took them in.
    [Theory]
    [MemberData(nameof(Paths))]
    public void DiscreteAdjoint_NonFiniteDerivativeInOneTrajectory_FailsThatTrajectoryOnly(LaneWidth width, bool perLane)
    {
        double[] ps = [2.0, 0.0, 3.0, 5.0, 7.0];   // no y0 at its equilibrium √θ (a solve that never moves takes a few long steps)
        var ensemble = new EnsembleOptions { Width = width, PerLaneSteps = perLane };
        var options = new SolverOptions { RelTol = 1e-10, AbsTol = 1e-12 };
        EnsembleGradient g = Ode.Gradient(SqrtParameter, new EnsembleBatch(Y0s, ps), 0, [1.0], [1.0, 1, 1, 1, 1], Sensitivity.DiscreteAdjoint, options, ensemble);

        Assert.Equal(OdeStatus.NonFiniteValue, g.Statuses[1]);
        Assert.True(double.IsNaN(g.Y0[1]) && double.IsNaN(g.Parameters[1]));
        for (int j = 0; j < Y0s.Length; j++)
        {
            if (j == 1) continue;
            Assert.Equal(OdeStatus.Success, g.Statuses[j]);
            // y(1) = √θ + (y0 − √θ)e⁻¹.
            Assert.Equal(Math.Exp(-1), g.Y0[j], 1e-7);
            Assert.Equal((1 - Math.Exp(-1)) / (2 * Math.Sqrt(ps[j])), g.Parameters[j], 1e-7);
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void DiscreteAdjoint_SharedParameterWithNonFiniteDerivative_FailsEveryTrajectory(LaneWidth width, bool perLane)
    {
        var ensemble = new EnsembleOptions { Width = width, PerLaneSteps = perLane };
        EnsembleGradient g = Ode.Gradient(SqrtParameter, EnsembleBatch.Shared(Y0s, [0.0]), 0, [1.0], [1.0, 1, 1, 1, 1], Sensitivity.DiscreteAdjoint, null, ensemble);

        Assert.All(g.Statuses, s => Assert.Equal(OdeStatus.NonFiniteValue, s));
        Assert.All(g.Parameters, x => Assert.True(double.IsNaN(x)));
        Assert.False(g.Solution.AllSucceeded);
    }

    /// <summary>y' = −θ·y in lanes, whose first evaluation waits at a gate.</summary>
    private readonly struct GatedDecayLanes(EvaluationGate gate) : IOdeLaneSystem
    {
        public int StateCount => 1;
        public int ParameterCount => 1;
        public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
        {
            gate.Pass();
            dydt[0] = -p[0] * y[0];
        }
        public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot,
            ReadOnlySpan<double> pDot, Span<double> dydt, Span<double> dydtDot)
        {
            dydt[0] = -p[0] * y[0];
            dydtDot[0] = -pDot[0] * y[0] - p[0] * yDot[0];
        }
        public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
        {
            yBar[0] += -p[0] * a[0];
            pBar[0] += -y[0] * a[0];
            return 0;
        }
        public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp)
        {
            dfdy[0] = -p[0];
            dfdp[0] = -y[0];
        }
        public void EvaluateLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, Span<TLane> dydt)
            where TLane : unmanaged, ILane<TLane>
        {
            gate.Pass();
            dydt[0] = -p[0] * y[0];
        }
        public void JvpLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, double tDot, ReadOnlySpan<TLane> yDot,
            ReadOnlySpan<TLane> pDot, Span<TLane> dydt, Span<TLane> dydtDot) where TLane : unmanaged, ILane<TLane>
        {
            dydt[0] = -p[0] * y[0];
            dydtDot[0] = -pDot[0] * y[0] - p[0] * yDot[0];
        }
        public TLane VjpLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, ReadOnlySpan<TLane> a,
            Span<TLane> yBar, Span<TLane> pBar) where TLane : unmanaged, ILane<TLane>
        {
            yBar[0] += -p[0] * a[0];
            pBar[0] += -y[0] * a[0];
            return TLane.Zero;
        }
    }

    // Two solves into one destination at once wrote their rows into the same arrays: each caller read a mix of both calls'
    // trajectories, every status Success (the probe saw rows of y0 = 1 beside rows of y0 = 3 at every lane width).
    [Theory]
    [MemberData(nameof(WidthData))]
    public void SecondSolveIntoADestinationInUse_IsRefusedByName_AndTheFirstIsUnharmed(LaneWidth width)
    {
        using var gate = new EvaluationGate();
        var system = new GatedDecayLanes(gate);
        double[] ones = [1.0, 1.0, 1.0, 1.0, 1.0], threes = [3.0, 3.0, 3.0, 3.0, 3.0], ps = [0.5, 0.6, 0.7, 0.8, 0.9];
        var ensemble = new EnsembleOptions { Width = width, MaxDegreeOfParallelism = 1 };
        var options = new SolverOptions { RelTol = 1e-10, AbsTol = 1e-12 };
        gate.Open.Set();
        EnsembleSolution destination = Ode.Solve(system, new EnsembleBatch(ones, ps), 0, 1, options, ensemble);
        using var gate2 = new EvaluationGate();
        var held = new GatedDecayLanes(gate2);

        Exception? firstError = null;
        var thread = new Thread(() =>
        {
            try { Ode.Solve(held, new EnsembleBatch(ones, ps), 0, 1, destination, options, ensemble); }
            catch (Exception e) { firstError = e; }
        });
        thread.Start();
        Assert.True(gate2.Entered.Wait(TimeSpan.FromSeconds(60)));
        Exception? second = Record.Exception(() => Ode.Solve(held, new EnsembleBatch(threes, ps), 0, 1, destination, options, ensemble));
        gate2.Open.Set();
        Assert.True(thread.Join(TimeSpan.FromSeconds(60)));

        Assert.Contains("one call at a time", Assert.IsType<InvalidOperationException>(second).Message);
        Assert.Null(firstError);
        for (int j = 0; j < ones.Length; j++) Assert.Equal(Math.Exp(-ps[j]), destination.FinalState(j)[0], 1e-8);
    }

    public static TheoryData<LaneWidth> WidthData() => [.. Widths];
}
