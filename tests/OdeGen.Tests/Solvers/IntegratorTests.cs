using OdeGen.Ensemble;
using OdeGen.Lanes;
using OdeGen.Solvers;
using OdeGen.Tests.Generated;

namespace OdeGen.Tests.Solvers;

/// <summary>
/// The integrators and the one step loop every family drives: exact decay both ways, dense output, fixed steps, step
/// budgets, regression tests for defects found in review; then the abstraction itself: each method's family creates its
/// integrator and declares its capabilities, a user's tableau runs through the one Runge–Kutta kernel in scalar solves,
/// lanes and the discrete adjoint, and what a method cannot do is refused with a NotSupportedException naming the methods
/// that can.
/// </summary>
public class IntegratorTests
{
    /// <summary>y' = −y with its Jacobian, so every family (stiff ones too) can be created on it.</summary>
    private readonly struct Decay : IJacobianField
    {
        public int Dimension => 1;
        public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt) => dydt[0] = -y[0];
        public void Jacobian(double t, ReadOnlySpan<double> y, Span<double> dfdy) => dfdy[0] = -1;
        public void TimeDerivative(double t, ReadOnlySpan<double> y, Span<double> dfdt) => dfdt[0] = 0;
    }

    // An adaptive method that is not FSAL and whose stages stay inside the step (nodes 0 and 1/2):
    // explicit midpoint (order 2) with forward Euler embedded (order 1).
    private static readonly ButcherTableau MidpointEuler = new(
        "Midpoint(Euler)", order: 2, a: [[], [0.5]], b: [0, 1], c: [0, 0.5], errorWeights: [-1, 1], errorOrder: 1);

    // Summing many fixed steps drifts t by rounding; the last step used to stop a few ulps short of
    // the end and then fail with StepSizeTooSmall on the sliver that was left.
    [Theory]
    [InlineData(0.0, 1.0, 1e-4)]
    [InlineData(0.0, 1.0, 1e-3)]
    [InlineData(0.0, 1.0, 0.1)]
    [InlineData(0.3, 7.3, 1e-3)]
    [InlineData(0.0, -1.0, 1e-4)]
    public void FixedStep_ReachesEndInExactlyTheExpectedNumberOfSteps(double t0, double t1, double h)
    {
        var integrator = new RungeKuttaIntegrator<Decay>(1, new SolverOptions { Method = OdeMethod.RK4, FixedStep = h, MaxSteps = 1_000_000 });
        integrator.Reset(default, [1.0], t0, t1);
        Assert.Equal(OdeStatus.Success, integrator.Run());
        Assert.Equal(t1, integrator.Time);
        Assert.Equal((int)Math.Round(Math.Abs(t1 - t0) / h), integrator.Stats.Steps);
    }

    // MaxSteps limits one integration; Stats accumulate across Reset (by design), and the limit used to read them.
    [Fact]
    public void MaxSteps_CountsAttemptsSinceReset_NotCumulativeStats()
    {
        var integrator = new RungeKuttaIntegrator<Decay>(1, new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.1, MaxSteps = 15 });
        for (int run = 0; run < 3; run++)
        {
            integrator.Reset(default, [1.0], 0, 1);
            Assert.Equal(OdeStatus.Success, integrator.Run());
        }
        Assert.Equal(30, integrator.Stats.Steps);
    }

    // Setting FixedStep on an adaptive method used to set only the first step.
    [Fact]
    public void FixedStep_IsHonouredByAdaptiveMethods()
    {
        var integrator = new RungeKuttaIntegrator<Decay>(1, new SolverOptions { Method = OdeMethod.Dopri5, FixedStep = 0.01 });
        integrator.Reset(default, [1.0], 0, 1);
        Assert.Equal(OdeStatus.Success, integrator.Run());
        Assert.Equal(100, integrator.Stats.Steps);
        Assert.Equal(0, integrator.Stats.RejectedSteps);
    }

    // A non-FSAL method evaluates f at the new point after the error test; a NaN there used to end
    // the solve at once (after moving t past the bad point) instead of retrying with a smaller step.
    [Fact]
    public void NonFsalAdaptive_NaNAtNewPoint_RetriesAndStopsAtTheBoundary()
    {
        var options = new SolverOptions { Method = OdeMethod.FromTableau(MidpointEuler), InitialStep = 0.3 };
        var integrator = new RungeKuttaIntegrator<NaNAfterField>(1, options);
        integrator.Reset(new NaNAfterField(0.5), [0.0], 0, 1);
        Assert.Equal(OdeStatus.NonFiniteValue, integrator.Run());
        Assert.True(integrator.Time <= 0.5, $"stopped at t = {integrator.Time}, past the first bad point 0.5");
        Assert.Equal(0.5, integrator.Time, 1e-6);
        Assert.Equal(integrator.Time, integrator.State[0], 1e-9);
    }

    // The end is reached exactly even when the user's MinStep exceeds the last sliver of the interval.
    [Fact]
    public void MinStep_DoesNotBlockTheLastShortStep()
    {
        var integrator = new RungeKuttaIntegrator<Decay>(1, new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.3, MinStep = 0.2 });
        integrator.Reset(default, [1.0], 0, 1);
        Assert.Equal(OdeStatus.Success, integrator.Run());
        Assert.Equal(1.0, integrator.Time);
        Assert.Equal(4, integrator.Stats.Steps);
    }

    [Fact]
    public void Reset_WithEqualTimes_StillEvaluatesTheDerivative()
    {
        var integrator = new RungeKuttaIntegrator<Decay>(1, new SolverOptions());
        integrator.Reset(default, [2.0], 1, 1);
        Assert.False(integrator.Step());
        Assert.Equal(OdeStatus.Success, integrator.Status);
        Assert.Equal(-2.0, integrator.Derivative[0]);
    }

    // Fixed-step times are t0 + k·FixedStep, so a MaxStep that would shorten the steps is a contradiction.
    [Fact]
    public void FixedStepAboveMaxStep_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            new RungeKuttaIntegrator<Decay>(1, new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.1, MaxStep = 0.05 }));
        Assert.Contains("MaxStep", ex.Message);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(-1.0)]
    public void Dopri5_SolvesExponentialDecay_BothDirections(double t1)
    {
        var integrator = new RungeKuttaIntegrator<Decay>(1, new SolverOptions { RelTol = 1e-10, AbsTol = 1e-12 });
        integrator.Reset(default, [1.0], 0, t1);
        Assert.Equal(OdeStatus.Success, integrator.Run());
        Assert.Equal(Math.Exp(-t1), integrator.State[0], 1e-9);
        Assert.Equal(t1, integrator.Time);
    }

    [Fact]
    public void Dopri5_DenseOutput_MatchesExactInsideLastStep()
    {
        var integrator = new RungeKuttaIntegrator<Decay>(1, new SolverOptions { RelTol = 1e-8, AbsTol = 1e-10 });
        integrator.Reset(default, [1.0], 0, 2);
        Span<double> y = stackalloc double[1];
        while (integrator.Step())
        {
            double mid = 0.5 * (integrator.PreviousTime + integrator.Time);
            integrator.Interpolate(mid, y);
            Assert.Equal(Math.Exp(-mid), y[0], 1e-7);
        }
    }

    [Fact]
    public void RK4_FixedStep_ReachesEndExactly()
    {
        var integrator = new RungeKuttaIntegrator<Decay>(1, new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.3 });
        integrator.Reset(default, [1.0], 0, 1);
        Assert.Equal(OdeStatus.Success, integrator.Run());
        Assert.Equal(4, integrator.Stats.Steps);
        Assert.Equal(1.0, integrator.Time);
        Assert.Equal(Math.Exp(-1), integrator.State[0], 1e-4);
    }

    // The integrator abstraction: families, capabilities, a user tableau through the one kernel.

    private static readonly Lorenz.RhsSystem Lorenz = new();

    // Ralston's second-order method with Euler embedded: adaptive, not FSAL, not built in.
    private static readonly ButcherTableau Ralston21 = new("Ralston 2(1)", order: 2, a: [[], [2.0 / 3]], b: [0.25, 0.75], c: [0, 2.0 / 3],
        errorWeights: [-0.75, 0.75], errorOrder: 1);

    public static IEnumerable<object[]> AllMethods() => OdeMethod.All.Select(m => new object[] { m.Name });

    private static OdeMethod Named(string name) => OdeMethod.All.Single(m => m.Name == name);

    [Fact]
    public void Capabilities_AreDeclaredByTheFamily()
    {
        foreach (OdeMethod m in OdeMethod.BuiltIn)
        {
            Assert.False(m.IsStiff);
            Assert.True(m.SupportsDiscreteAdjoint && m.SupportsLanes && m.SupportsBacksolveAdjoint && m.SupportsPartialErrorControl, m.Name);
            Assert.Equal(m.Tableau.IsAdaptive, m.IsAdaptive);
            Assert.Equal(m.Tableau.IsFsal, m.IsFsal);
            Assert.Equal(m.Tableau.Dense is { } d ? d[0].Length : 3, m.DenseDegree);
        }
        foreach (OdeMethod m in OdeMethod.Stiff)
        {
            Assert.True(m.IsStiff && m.IsAdaptive, m.Name);
            Assert.False(m.SupportsDiscreteAdjoint || m.SupportsLanes || m.SupportsBacksolveAdjoint || m.SupportsPartialErrorControl, m.Name);
            Assert.Equal(3, m.DenseDegree);
            Assert.Throws<InvalidOperationException>(() => m.Tableau);
        }
        Assert.True(OdeMethod.Rodas4.UsesTimeDerivative);
        Assert.False(OdeMethod.Kvaerno5.UsesTimeDerivative || OdeMethod.Dopri5.UsesTimeDerivative);
        OdeMethod user = OdeMethod.FromTableau(Ralston21);
        Assert.True(user.IsAdaptive && user.SupportsLanes && user.SupportsDiscreteAdjoint);
        Assert.False(user.IsFsal);
        Assert.Equal(Ralston21, user.Tableau);
    }

    [Theory]
    [MemberData(nameof(AllMethods))]
    public void EveryFamily_CreatesItsIntegrator_AndTheSharedLoopLandsOnTheEnd(string name)
    {
        // The step loop's fixed steps: t = t0 + k·h, the last step shortened to land exactly on the end.
        OdeMethod method = Named(name);
        var options = new SolverOptions { Method = method, FixedStep = 0.3 };
        IOdeIntegrator<Decay> integrator = method.CreateIntegrator<Decay>(1, options);
        integrator.Reset(default, [1.0], 0, 1);
        Assert.Equal(OdeStatus.Success, integrator.Run());
        Assert.Equal(1.0, integrator.Time);
        Assert.Equal(4, integrator.Stats.Steps);
        Assert.Equal(Math.Exp(-1), integrator.State[0], method.Order >= 3 ? 2e-3 : method.Order == 2 ? 2e-2 : 0.1);

        // And its budget: attempts since the last Reset, whatever the family; a Restart (after an event's reset) does not
        // renew it, a Reset does.
        var budget = method.CreateIntegrator<Decay>(1, new SolverOptions { Method = method, FixedStep = 0.01, MaxSteps = 10 });
        budget.Reset(default, [1.0], 0, 1);
        Assert.Equal(OdeStatus.MaxStepsExceeded, budget.Run());
        Assert.Equal(10, budget.Stats.Steps);
        budget.Restart(budget.Time, budget.State);
        Assert.False(budget.Step());
        Assert.Equal(OdeStatus.MaxStepsExceeded, budget.Status);
        budget.Reset(default, budget.State, budget.Time, 1);
        Assert.True(budget.Step());
    }

    [Theory]
    [MemberData(nameof(AllMethods))]
    public void EveryFamily_AdaptiveSolve_MatchesTheExactSolution_ForwardsAndBackwards(string name)
    {
        OdeMethod method = Named(name);
        if (!method.IsAdaptive) return;
        foreach (double t1 in new[] { 2.0, -2.0 })
        {
            IOdeIntegrator<Decay> integrator = method.CreateIntegrator<Decay>(1, new SolverOptions { Method = method, RelTol = 1e-8, AbsTol = 1e-10 });
            integrator.Reset(default, [1.0], 0, t1);
            Assert.Equal(OdeStatus.Success, integrator.Run());
            Assert.Equal(t1, integrator.Time);
            Assert.Equal(Math.Exp(-t1), integrator.State[0], 1e-5 * Math.Exp(Math.Abs(t1)));
        }
    }

    [Fact]
    public void PartialErrorControl_IsRefusedByStiffIntegrators()
    {
        foreach (OdeMethod m in OdeMethod.Stiff)
        {
            IOdeIntegrator<Decay> integrator = m.CreateIntegrator<Decay>(1, new SolverOptions { Method = m });
            integrator.ErrorComponents = 1;   // all of them: allowed
            var integrator2 = m.CreateIntegrator<SystemField<Lorenz.RhsSystem>>(3, new SolverOptions { Method = m });
            var e = Assert.Throws<NotSupportedException>(() => integrator2.ErrorComponents = 1);
            Assert.Contains(m.Name, e.Message);
        }
        var explicitOne = OdeMethod.Dopri5.CreateIntegrator<SystemField<Lorenz.RhsSystem>>(3, new SolverOptions());
        explicitOne.ErrorComponents = 1;
        Assert.Equal(1, explicitOne.ErrorComponents);
    }

    [Theory]
    [InlineData("Rodas4")]
    [InlineData("Kvaerno5")]
    public void MissingCapabilities_ThrowNotSupported_NamingTheMethodsThatHaveThem(string name)
    {
        var options = new SolverOptions { Method = Named(name) };
        double[] p = [0.5], y0 = [1.0];
        var discrete = Assert.Throws<NotSupportedException>(() => Ode.Gradient(new DecaySystem(), y0, p, 0, [1.0], [1.0], Sensitivity.DiscreteAdjoint, options));
        var backsolve = Assert.Throws<NotSupportedException>(() => Ode.Gradient(new DecaySystem(), y0, p, 0, [1.0], [1.0], Sensitivity.BacksolveAdjoint, options));
        var seminorm = Assert.Throws<NotSupportedException>(() =>
            Ode.Gradient(new DecaySystem(), y0, p, 0, [1.0], [1.0], new InterpolatingAdjointSensitivity(4) { Seminorm = true }, options));
        foreach (NotSupportedException e in new[] { discrete, backsolve, seminorm })
        {
            Assert.Contains(name, e.Message);
            // The alternatives: every method that has the capability, by name.
            Assert.Contains("Dopri5", e.Message);
            Assert.Contains("Tsit5", e.Message);
            Assert.DoesNotContain(name == "Rodas4" ? "Kvaerno5" : "Rodas4", e.Message);
        }
        Assert.Contains("InterpolatingAdjoint", discrete.Message);
        Assert.Contains("Seminorm", seminorm.Message);
    }

    [Theory]
    [MemberData(nameof(EnsembleWidths))]
    public void UserTableau_ScalarAndLanes_TakeTheSameStepsBitForBit(LaneWidth width)
    {
        // One kernel: a trajectory solved alone and as lane 0 of a block (the padding lanes copy it, so the shared step
        // is its own) computes the same bits, for an adaptive tableau the library has never seen.
        var options = new SolverOptions { Method = OdeMethod.FromTableau(Ralston21), RelTol = 1e-6, AbsTol = 1e-8, SaveAt = [0.5, 1.25, 2] };
        double[] y0 = [1, 1, 1], p = [10, 28, 8.0 / 3];
        OdeSolution scalar = Ode.Solve(Lorenz, y0, p, 0, 2, options);
        EnsembleSolution lanes = Ode.Solve(Lorenz, new EnsembleBatch(y0, p), 0, 2, options, new EnsembleOptions { Width = width });
        Assert.Equal(OdeStatus.Success, scalar.Status);
        Assert.Equal(scalar.Stats.Steps, lanes.TrajectoryStats[0].Steps);
        Assert.Equal(scalar.Stats.RejectedSteps, lanes.TrajectoryStats[0].RejectedSteps);
        Assert.Equal(scalar.FinalState.ToArray(), lanes.FinalState(0).ToArray());
        for (int i = 0; i < 3; i++) Assert.Equal(scalar.State(i).ToArray(), lanes.Saved(0, i).ToArray());
    }

    public static IEnumerable<object[]> EnsembleWidths() => new[] { LaneWidth.Lane1, LaneWidth.Lane128, LaneWidth.Lane256 }.Select(w => new object[] { w });

    [Fact]
    public void UserTableau_DiscreteAdjoint_ReversesTheKernelsSteps()
    {
        // The reverse step recomputes the forward stages with the same kernel (checkpointed replays agree with stored
        // states), and the gradient is the discrete solution's, checked against central differences of fixed-step solves
        // (no step-size decision to jump between the two).
        var options = new SolverOptions { Method = OdeMethod.FromTableau(Ralston21), FixedStep = 1e-3 };
        double[] y0 = [1, 1, 1], p = [10, 28, 8.0 / 3], times = [0.3, 0.6];
        double[] dLdy = [1, 0, 0, 0, 1, 0];
        OdeGradient g = Ode.Gradient(Lorenz, y0, p, 0, times, dLdy, Sensitivity.DiscreteAdjoint, options);
        OdeGradient checkpointed = Ode.Gradient(Lorenz, y0, p, 0, times, dLdy, new DiscreteAdjointSensitivity { StepsPerCheckpoint = 4 }, options);
        // To rounding, not bit for bit: the tape keeps h_k = t_{k+1} − t_k, which for fixed steps (t_k = t0 + k·h) differs
        // from the forward pass's h in the last bits, so a replayed state differs from the stored one by about as much.
        for (int k = 0; k < 3; k++)
        {
            Assert.Equal(g.Parameters[k], checkpointed.Parameters[k], 1e-13 * Math.Abs(g.Parameters[k]));
            Assert.Equal(g.Y0[k], checkpointed.Y0[k], 1e-13 * Math.Abs(g.Y0[k]));
        }
        for (int k = 0; k < 3; k++)
        {
            double eps = 1e-6 * p[k];
            double[] up = (double[])p.Clone(), down = (double[])p.Clone();
            up[k] += eps;
            down[k] -= eps;
            double fd = (Loss(up) - Loss(down)) / (2 * eps);
            Assert.Equal(fd, g.Parameters[k], 1e-6 * Math.Max(1, Math.Abs(fd)));
        }

        // The discrete adjoint's forward pass restarts at each observation time; so does the loss here.
        double Loss(double[] q)
        {
            double[] first = Ode.Solve(Lorenz, y0, q, 0, times[0], options).FinalState.ToArray();
            double[] second = Ode.Solve(Lorenz, first, q, times[0], times[1], options).FinalState.ToArray();
            return first[0] + second[1];
        }
    }
}
