using OdeGen.Solvers;

namespace OdeGen.Tests.Solvers;

/// <summary>
/// The explicit integrator (<see cref="RungeKuttaIntegrator{TField}"/>) and the step loop it shares with every family: exact
/// decay both ways, dense output, fixed steps, and regression tests for defects found in review.
/// </summary>
public class IntegratorTests
{
    private readonly struct Decay : IVectorField
    {
        public int Dimension => 1;
        public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt) => dydt[0] = -y[0];
    }

    /// <summary>f is finite for t ≤ 0.5 and NaN after it.</summary>
    private readonly struct NaNAfterHalf : IVectorField
    {
        public int Dimension => 1;
        public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt) => dydt[0] = t > 0.5 ? double.NaN : 1.0;
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
        var integrator = new RungeKuttaIntegrator<NaNAfterHalf>(1, options);
        integrator.Reset(default, [0.0], 0, 1);
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
}
