using OdeGen.Ensemble;
using OdeGen.Lanes;
using OdeGen.Solvers;
using OdeGen.Tests.Generated;
using static OdeGen.Tests.Ensemble.EnsembleTestSupport;

namespace OdeGen.Tests.Solvers;

/// <summary>
/// The last fixed step of a method without FSAL (RK4, Euler) leaves f at the end for a reader: a solve costs s·steps
/// evaluations, as a fixed-grid solver that evaluates each step's own first stage, and reading Derivative or the last
/// step's dense output evaluates it then, with the bits an eager evaluation gives, and fails the solve if it is not finite.
/// The lane blocks follow the same rule, so each trajectory's count stays the scalar solve's.
/// </summary>
public class LastFixedStepTests
{
    /// <summary>y' = −y, or NaN from t = 1 on (where only the end point of a solve over [0, 1] is evaluated by Euler).</summary>
    private readonly struct DecayUntilOne : IVectorField
    {
        public int Dimension => 1;
        public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt) => dydt[0] = t >= 1 ? double.NaN : -y[0];
    }

    private static RungeKuttaIntegrator<DecayUntilOne> Solved(OdeMethod method, double t1)
    {
        var integrator = new RungeKuttaIntegrator<DecayUntilOne>(1, new SolverOptions { Method = method, FixedStep = 0.25 });
        integrator.Reset(default, [1.0], 0, t1);
        Assert.Equal(OdeStatus.Success, integrator.Run());
        return integrator;
    }

    [Fact]
    public void ASolveToItsEnd_EvaluatesOnlyTheStages()
    {
        RungeKuttaIntegrator<DecayUntilOne> integrator = Solved(OdeMethod.RK4, 0.75);
        Assert.Equal(3, integrator.Stats.Steps);
        Assert.Equal(4 * 3, integrator.Stats.FunctionEvaluations);
    }

    [Fact]
    public void Derivative_AfterTheLastStep_IsEvaluatedOnceOnRead()
    {
        RungeKuttaIntegrator<DecayUntilOne> integrator = Solved(OdeMethod.RK4, 0.75);
        double y = integrator.State[0];
        Assert.Equal(-y, integrator.Derivative[0]);
        Assert.Equal(4 * 3 + 1, integrator.Stats.FunctionEvaluations);
        Assert.Equal(-y, integrator.Derivative[0]);
        Assert.Equal(4 * 3 + 1, integrator.Stats.FunctionEvaluations);
        Assert.Equal(OdeStatus.Success, integrator.Status);
    }

    // The last step's Hermite output needs f at its end: the same bits as the same step taken when it was not the last
    // (fixed steps land on t0 + k·h, so the step from 0.5 to 0.75 is the same in both solves).
    [Fact]
    public void DenseOutputOfTheLastStep_EqualsThatOfTheSameStepMidSolve()
    {
        RungeKuttaIntegrator<DecayUntilOne> last = Solved(OdeMethod.RK4, 0.75);
        var mid = new RungeKuttaIntegrator<DecayUntilOne>(1, new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.25 });
        mid.Reset(default, [1.0], 0, 1.0 - 1.0 / 16);
        for (int k = 0; k < 3; k++) Assert.True(mid.Step());
        Assert.Equal(0.75, mid.Time);
        double[] a = new double[1], b = new double[1];
        last.Interpolate(0.6, a);
        mid.Interpolate(0.6, b);
        Assert.Equal(b[0], a[0]);
        double[] ca = new double[4], cb = new double[4];
        last.CopyDenseCoefficients(ca);
        mid.CopyDenseCoefficients(cb);
        Assert.Equal(cb, ca);
        Assert.Equal(OdeStatus.Success, last.Status);
    }

    // Euler's only evaluation at t = 1 is the end point of the last step: the solve succeeds with its finite state, and a
    // reader of f there gets NaN and a failed status, as the eager evaluation would have failed the step.
    [Fact]
    public void ANonFiniteEnd_FailsTheSolveWhenRead()
    {
        RungeKuttaIntegrator<DecayUntilOne> unread = Solved(OdeMethod.Euler, 1.0);
        Assert.Equal(Math.Pow(0.75, 4), unread.State[0]);
        Assert.True(double.IsNaN(unread.Derivative[0]));
        Assert.Equal(OdeStatus.NonFiniteValue, unread.Status);

        RungeKuttaIntegrator<DecayUntilOne> interpolated = Solved(OdeMethod.Euler, 1.0);
        double[] y = new double[1];
        interpolated.Interpolate(0.9, y);
        Assert.Equal(OdeStatus.NonFiniteValue, interpolated.Status);
    }

    [Fact]
    public void ARestart_EvaluatesAfresh()
    {
        RungeKuttaIntegrator<DecayUntilOne> integrator = Solved(OdeMethod.RK4, 0.5);
        integrator.Restart(0.25, [2.0]);   // towards the same end, 0.5: one step
        Assert.Equal(-2.0, integrator.Derivative[0]);   // evaluated by the restart (the counters are cumulative)
        Assert.Equal(4 * 2 + 1, integrator.Stats.FunctionEvaluations);
        Assert.Equal(OdeStatus.Success, integrator.Run());
        Assert.Equal(4 * 2 + 4, integrator.Stats.FunctionEvaluations);
        Assert.Equal(-integrator.State[0], integrator.Derivative[0]);
        Assert.Equal(4 * 2 + 5, integrator.Stats.FunctionEvaluations);
    }

    // Each trajectory of a lane ensemble counts what its scalar solve counts: s·steps without a save inside the last step,
    // one more with one (its Hermite output reads f at the end).
    [Theory]
    [MemberData(nameof(AllWidths), MemberType = typeof(Ensemble.EnsembleTestSupport))]
    public void LaneBlocks_CountAsTheScalarSolve(LaneWidth width)
    {
        const int n = 5;
        var lorenz = new Lorenz.RhsSystem();
        double[] y0s = LorenzStates(n), ps = LorenzParameters(n);
        foreach (double[]? saveAt in new[] { null, [0.5, 1.0], new[] { 0.5, 0.9995 } })
            foreach (bool fused in new[] { true, false })
            {
                var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = 1e-3, SaveAt = saveAt };
                EnsembleSolution e = Ode.Solve(lorenz, new EnsembleBatch(y0s, ps), 0, 1, options, new EnsembleOptions { Width = width, FusedSteps = fused });
                for (int j = 0; j < n; j++)
                {
                    OdeSolution s = Ode.Solve(lorenz, y0s.AsSpan(3 * j, 3), ps.AsSpan(3 * j, 3), 0, 1, options);
                    long expected = 4 * 1000 + (saveAt is [_, 0.9995] ? 1 : 0);
                    Assert.Equal(expected, s.Stats.FunctionEvaluations);
                    Assert.Equal(expected, e.TrajectoryStats[j].FunctionEvaluations);
                    Assert.Equal(OdeStatus.Success, e.Statuses[j]);
                }
            }
    }
    // A save time inside the last step reads f at t1; where that is not finite while the state is (y' = y², y(t1) ≈ 1e200),
    // the scalar solve keeps the step's finite end and fails after it: final time t1, the step counted. Each lane does the
    // same (it used to fail the step instead, reporting t0 and no step), and its neighbour is not disturbed.
    [Theory]
    [MemberData(nameof(AllWidths), MemberType = typeof(Ensemble.EnsembleTestSupport))]
    public void LaneBlocks_ANonFiniteEndRead_FailsAfterTheStep_AsTheScalarSolve(LaneWidth width)
    {
        var blowUp = new BlowUp.RhsSystem();
        double[] y0s = [1e150, 1.0], p = [1.0];
        const double t1 = 1e-100;
        var options = new SolverOptions { Method = OdeMethod.Euler, FixedStep = t1, SaveAt = [0.5 * t1] };
        foreach (bool fused in new[] { true, false })
        {
            EnsembleSolution e = Ode.Solve(blowUp, EnsembleBatch.Shared(y0s, p), 0, t1, options, new EnsembleOptions { Width = width, FusedSteps = fused });
            for (int j = 0; j < 2; j++)
            {
                OdeSolution s = Ode.Solve(blowUp, y0s.AsSpan(j, 1), p, 0, t1, options);
                Assert.Equal(j == 0 ? OdeStatus.NonFiniteValue : OdeStatus.Success, s.Status);
                Assert.Equal(s.Status, e.Statuses[j]);
                Assert.Equal(t1, s.FinalTime);
                Assert.Equal(s.FinalTime, e.FinalTimes[j]);
                Assert.Equal(s.FinalState[0], e.FinalState(j)[0]);
                Assert.True(double.IsFinite(e.FinalState(j)[0]));
                Assert.Equal(s.Stats.Steps, e.TrajectoryStats[j].Steps);
                Assert.Equal(s.Stats.FunctionEvaluations, e.TrajectoryStats[j].FunctionEvaluations);
            }
        }
        Assert.StartsWith("Reached t1 = 1E-100 with a finite state, but f at t1 is non-finite", Ode.Solve(blowUp, y0s.AsSpan(0, 1), p, 0, t1, options).Message);
    }
}
