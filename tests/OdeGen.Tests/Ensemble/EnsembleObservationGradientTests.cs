using OdeGen.Ensemble;
using OdeGen.Lanes;
using static OdeGen.Tests.Ensemble.EnsembleTestSupport;

namespace OdeGen.Tests.Ensemble;

// Gradients of a loss on the states at several observation times: every lane's gradient is the scalar discrete
// adjoint's (Ode.Gradient with Sensitivity.DiscreteAdjoint and the same times) whenever the lanes take the scalar
// steps (a fixed step, or Lane1); the shared-θ sum, the loss callback, threads, bad input and allocation.
public class EnsembleObservationGradientTests
{
    private static readonly LorenzLanes Lorenz = new();
    private static readonly TanhMlpLanes Mlp = new();
    private static readonly double[] Times = [0, 0.1, 0.25, 0.4, 0.7, 1.0];

    private static double[] Seed(int count, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => 2 * rng.NextDouble() - 1).ToArray();
    }

    private static (double[] y0s, double[] ps) MlpInputs(int count)
    {
        var rng = new Random(17);
        double[] y0s = Enumerable.Range(0, 2 * count).Select(_ => 2 * rng.NextDouble() - 1).ToArray();
        double[] ps = Enumerable.Range(0, count).SelectMany(j => TanhMlpLanes.Weights(100 + j)).ToArray();
        return (y0s, ps);
    }

    private static void AssertMatchesScalar<TSystem>(in TSystem system, EnsembleGradient g, double[] y0s, double[] ps,
        double[] times, double[] dLdy, SolverOptions options, double tolerance) where TSystem : struct, IOdeLaneSystem
    {
        int n = system.StateCount, m = system.ParameterCount, rows = times.Length * n;
        for (int j = 0; j < g.Count; j++)
        {
            OdeGradient s = Ode.Gradient(system, y0s.AsSpan(j * n, n), ps.AsSpan(j * m, m), 0, times, dLdy.AsSpan(j * rows, rows),
                Sensitivity.DiscreteAdjoint, options);
            Assert.True(s.IsSuccess);
            double dy = MaxRelative(g.Y0Of(j), s.Y0, 1e-3), dp = MaxRelative(g.ParametersOf(j), s.Parameters, 1e-3);
            double dx = MaxRelative(g.StatesOf(j), s.States!, 1e-3);
            Assert.True(dy <= tolerance && dp <= tolerance && dx <= tolerance,
                $"trajectory {j}: dL/dy0 off by {dy:e2}, dL/dθ by {dp:e2}, the states by {dx:e2}");
        }
    }

    public static IEnumerable<object[]> FixedCases() =>
        from w in Widths
        from m in new[] { "RK4", "Dopri5", "Midpoint" }
        select new object[] { w, m };

    [Theory]
    [MemberData(nameof(FixedCases))]
    public void FixedStep_EqualsScalarDiscreteAdjoint(LaneWidth width, string method)
    {
        // 0.03 does not divide the intervals: each one ends with a short step, as the scalar restarts do.
        var options = new SolverOptions { Method = OdeMethod.BuiltIn.Single(x => x.Name == method), FixedStep = 0.03 };
        int count = 11;
        double[] y0s = LorenzStates(count), ps = LorenzParameters(count), dLdy = Seed(count * Times.Length * 3, 1);
        EnsembleGradient g = Ode.Gradient(Lorenz, new EnsembleBatch(y0s, ps), 0, Times, dLdy, Sensitivity.DiscreteAdjoint, options, Force(width));
        Assert.True(g.AllSucceeded);
        Assert.Null(g.SharedParameters);
        AssertMatchesScalar(Lorenz, g, y0s, ps, Times, dLdy, options, 1e-11);

        (double[] my0s, double[] mps) = MlpInputs(count);
        double[] mdLdy = Seed(count * Times.Length * 2, 2);
        EnsembleGradient gm = Ode.Gradient(Mlp, new EnsembleBatch(my0s, mps), 0, Times, mdLdy, Sensitivity.DiscreteAdjoint, options, Force(width));
        // The lane tanh is a vector kernel a few ulps from Math.Tanh: agreement to ~1e-13, not to the last bit.
        AssertMatchesScalar(Mlp, gm, my0s, mps, Times, mdLdy, options, 1e-11);
    }

    [Theory]
    [MemberData(nameof(AllWidths), MemberType = typeof(EnsembleTestSupport))]
    public void Adaptive_MatchesScalarDiscreteAdjoint(LaneWidth width)
    {
        var options = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-9, AbsTol = 1e-12 };
        int count = 9;
        (double[] y0s, double[] ps) = MlpInputs(count);
        double[] times = [0.3, 0.9, 1.5, 2.0], dLdy = Seed(count * times.Length * 2, 3);
        EnsembleGradient g = Ode.Gradient(Mlp, new EnsembleBatch(y0s, ps), 0, times, dLdy, Sensitivity.DiscreteAdjoint, options, Force(width));
        // One lane takes the scalar steps (restarts, first steps and all): the same discrete gradient. Wider blocks
        // take shared steps: two discretizations, within the tolerance's reach of each other.
        AssertMatchesScalar(Mlp, g, y0s, ps, times, dLdy, options, width == LaneWidth.Lane1 ? 1e-12 : 1e-6);
        if (width == LaneWidth.Lane1)
        {
            // Same steps, so the same work: forward lane evaluations equal the scalar forward passes' evaluations.
            long scalar = 0;
            for (int j = 0; j < count; j++)
                scalar += Ode.Gradient(Mlp, y0s.AsSpan(2 * j, 2), ps.AsSpan(j * 50, 50), 0, times, dLdy.AsSpan(j * 8, 8),
                    Sensitivity.DiscreteAdjoint, options).Stats.Forward.FunctionEvaluations;
            Assert.Equal(scalar, g.ForwardEvaluations);
        }
    }

    [Theory]
    [MemberData(nameof(AllWidths), MemberType = typeof(EnsembleTestSupport))]
    public void ContinueAtObservations_MatchesScalarDiscreteAdjoint_ToTheTolerance_WithTwoEvaluationsFewerPerTime(LaneWidth width)
    {
        // Going on through the times instead of restarting at each: other steps (no fresh first step; the controller goes
        // on), so another discretization of the same flow, within the tolerance's reach of the scalar discrete adjoint's
        // (which restarts), as the wider blocks' shared steps are above.
        var options = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-9, AbsTol = 1e-12 };
        int count = 9;
        (double[] y0s, double[] ps) = MlpInputs(count);
        double[] times = [0.3, 0.9, 1.5, 2.0], dLdy = Seed(count * times.Length * 2, 3);
        var continuing = new EnsembleOptions { Width = width, ContinueAtObservations = true };
        EnsembleGradient g = Ode.Gradient(Mlp, new EnsembleBatch(y0s, ps), 0, times, dLdy, Sensitivity.DiscreteAdjoint, options, continuing);
        EnsembleGradient restarting = Ode.Gradient(Mlp, new EnsembleBatch(y0s, ps), 0, times, dLdy, Sensitivity.DiscreteAdjoint, options, Force(width));
        Assert.True(g.AllSucceeded && restarting.AllSucceeded);
        AssertMatchesScalar(Mlp, g, y0s, ps, times, dLdy, options, 1e-6);
        // The option does act: other steps, other bits; and per block and time the restart's two evaluations are saved
        // (fresh f, trial Euler step) unless the steps after the time cost more than the restart's did.
        Assert.NotEqual(restarting.Y0Of(0).ToArray(), g.Y0Of(0).ToArray());
        Assert.True(g.ForwardEvaluations < restarting.ForwardEvaluations, $"{g.ForwardEvaluations} vs {restarting.ForwardEvaluations}");

        // Fixed steps restart either way (they are counted from each time): the same bits with the option on or off.
        var fixedStep = new SolverOptions { Method = OdeMethod.Dopri5, FixedStep = 0.03 };
        EnsembleGradient f1 = Ode.Gradient(Mlp, new EnsembleBatch(y0s, ps), 0, times, dLdy, Sensitivity.DiscreteAdjoint, fixedStep, continuing);
        EnsembleGradient f0 = Ode.Gradient(Mlp, new EnsembleBatch(y0s, ps), 0, times, dLdy, Sensitivity.DiscreteAdjoint, fixedStep, Force(width));
        for (int j = 0; j < count; j++)
        {
            Assert.Equal(f0.Y0Of(j).ToArray(), f1.Y0Of(j).ToArray());
            Assert.Equal(f0.ParametersOf(j).ToArray(), f1.ParametersOf(j).ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(AllWidths), MemberType = typeof(EnsembleTestSupport))]
    public void LossCallback_SharedTheta_EqualsSumOfSamples_OnAnyThreadCount(LaneWidth width)
    {
        var options = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-8, AbsTol = 1e-10 };
        int count = 21;
        double[] theta = TanhMlpLanes.Weights(9);
        var rng = new Random(21);
        double[] y0s = Enumerable.Range(0, 2 * count).Select(_ => 2 * rng.NextDouble() - 1).ToArray();
        double[] targets = Seed(count * Times.Length * 2, 5);
        int rows = Times.Length * 2;
        double Loss(int j, ReadOnlySpan<double> states, Span<double> dLdy)
        {
            // A squared error, different target per trajectory.
            double l = 0;
            for (int i = 0; i < states.Length; i++)
            {
                double d = states[i] - targets[j * rows + i];
                l += d * d;
                dLdy[i] = 2 * d;
            }
            return l;
        }
        EnsembleGradient one = Ode.LossGradient(Mlp, EnsembleBatch.Shared(y0s, theta), 0, Times, Loss, Sensitivity.DiscreteAdjoint, options, Force(width, 1));
        EnsembleGradient two = Ode.LossGradient(Mlp, EnsembleBatch.Shared(y0s, theta), 0, Times, Loss, Sensitivity.DiscreteAdjoint, options, Force(width, 2));
        Assert.True(one.AllSucceeded && one.HasLoss);
        Assert.Equal(one.SharedParameters, two.SharedParameters);
        Assert.Equal(one.Y0, two.Y0);
        Assert.Equal(one.Loss, two.Loss);
        Assert.Equal(one.States, two.States);

        // The loss and its ∂L/∂y come from the forward states, and the gradient is that of the given-dLdy form.
        double expected = 0;
        var dLdyCheck = new double[rows];
        for (int j = 0; j < count; j++)
        {
            dLdyCheck.AsSpan().Clear();
            double lj = Loss(j, one.StatesOf(j), dLdyCheck);
            Assert.Equal(lj, one.Losses[j]);
            Assert.Equal(dLdyCheck, one.DLdy.AsSpan(j * rows, rows).ToArray());
            expected += lj;
        }
        Assert.Equal(expected, one.Loss);
        EnsembleGradient given = Ode.Gradient(Mlp, EnsembleBatch.Shared(y0s, theta), 0, Times, one.DLdy, Sensitivity.DiscreteAdjoint, options, Force(width, 1));
        Assert.Equal(one.SharedParameters, given.SharedParameters);
        Assert.False(given.HasLoss);
        Assert.True(double.IsNaN(given.Loss));

        // Per-trajectory rows of the same θ: the same rows; their sum in trajectory order is the shared sum to rounding.
        double[] ps = Enumerable.Range(0, count).SelectMany(_ => theta).ToArray();
        EnsembleGradient perRow = Ode.LossGradient(Mlp, new EnsembleBatch(y0s, ps), 0, Times, Loss, Sensitivity.DiscreteAdjoint, options, Force(width));
        Assert.Equal(one.Parameters, perRow.Parameters);
        int m = theta.Length;
        for (int k = 0; k < m; k++)
        {
            double sum = 0, magnitude = 0;
            for (int j = 0; j < count; j++)
            {
                sum += perRow.Parameters[j * m + k];
                magnitude += Math.Abs(perRow.Parameters[j * m + k]);
            }
            Assert.True(Math.Abs(one.SharedParameters![k] - sum) <= 1e-14 * magnitude, $"parameter {k}: {one.SharedParameters[k]} vs {sum}");
        }
        if (width == LaneWidth.Lane1)
        {
            // One lane: each trajectory's own Ode.LossGradient with the discrete adjoint, loss and gradient.
            for (int j = 0; j < count; j++)
            {
                int jj = j;
                OdeGradient s = Ode.LossGradient(Mlp, y0s.AsSpan(2 * j, 2), theta, 0, Times, (st, d) => Loss(jj, st, d), Sensitivity.DiscreteAdjoint, options);
                Assert.Equal(s.Loss, one.Losses[j], 12);
                Assert.True(MaxRelative(one.ParametersOf(j), s.Parameters, 1e-3) <= 1e-12);
            }
        }
    }

    [Theory]
    [MemberData(nameof(AllWidths), MemberType = typeof(EnsembleTestSupport))]
    public void BackwardInTime_EqualsScalarDiscreteAdjoint(LaneWidth width)
    {
        // Times before t0, decreasing: the blocks integrate backwards, interval by interval.
        var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.03 };
        int count = 6;
        (double[] y0s, double[] ps) = MlpInputs(count);
        double[] times = [1.0, 0.8, 0.35, 0.0], dLdy = Seed(count * times.Length * 2, 8);
        var g = Ode.Gradient(Mlp, new EnsembleBatch(y0s, ps), 1.0, times, dLdy, Sensitivity.DiscreteAdjoint, options, Force(width));
        Assert.True(g.AllSucceeded);
        for (int j = 0; j < count; j++)
        {
            OdeGradient s = Ode.Gradient(Mlp, y0s.AsSpan(2 * j, 2), ps.AsSpan(50 * j, 50), 1.0, times, dLdy.AsSpan(8 * j, 8), Sensitivity.DiscreteAdjoint, options);
            Assert.True(MaxRelative(g.Y0Of(j), s.Y0, 1e-3) <= 1e-11 && MaxRelative(g.ParametersOf(j), s.Parameters, 1e-3) <= 1e-11, $"trajectory {j}");
        }
    }

    [Fact]
    public void FixedStep_MatchesFiniteDifferencesOfTheEnsemble()
    {
        var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.04 };
        int count = 5;
        (double[] y0s, double[] ps) = MlpInputs(count);
        double[] dLdy = Seed(count * Times.Length * 2, 4);
        EnsembleGradient g = Ode.Gradient(Mlp, new EnsembleBatch(y0s, ps), 0, Times, dLdy, Sensitivity.DiscreteAdjoint, options);
        double Loss(double[] y, double[] p)
        {
            EnsembleGradient s = Ode.Gradient(Mlp, new EnsembleBatch(y, p), 0, Times, dLdy, Sensitivity.DiscreteAdjoint, options);
            double l = 0;
            for (int i = 0; i < dLdy.Length; i++) l += dLdy[i] * s.States[i];
            return l;
        }
        const double eps = 1e-6;
        foreach (int i in new[] { 0, 3, 7 })
        {
            double[] up = (double[])y0s.Clone(), down = (double[])y0s.Clone();
            up[i] += eps; down[i] -= eps;
            Assert.Equal((Loss(up, ps) - Loss(down, ps)) / (2 * eps), g.Y0[i], 7);
        }
        foreach (int k in new[] { 0, 17, 33, 50 + 20, 4 * 50 + 49 })
        {
            double[] up = (double[])ps.Clone(), down = (double[])ps.Clone();
            up[k] += eps; down[k] -= eps;
            Assert.Equal((Loss(y0s, up) - Loss(y0s, down)) / (2 * eps), g.Parameters[k], 7);
        }
    }

    [Fact]
    public void FailedTrajectory_NaNRows_NoLossCall_ExcludedFromTheSums()
    {
        var blowUp = new BlowUpLanes();
        var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = 1e-3 };
        double[] y0s = [1, 1, 20, 1, 1];   // y0 = 20 with p = 0.5 blows up at t = 0.1
        double[] times = [0.05, 0.5, 1];
        var called = new bool[5];
        EnsembleGradient g = Ode.LossGradient(blowUp, EnsembleBatch.Shared(y0s, [0.5]), 0, times,
            (j, states, dLdy) => { called[j] = true; dLdy.Fill(1); return states[^1]; }, Sensitivity.DiscreteAdjoint, options, Force(LaneWidth.Lane256));
        Assert.Equal(OdeStatus.NonFiniteValue, g.Statuses[2]);
        Assert.False(called[2]);
        Assert.True(double.IsNaN(g.Y0[2]) && double.IsNaN(g.Parameters[2]) && double.IsNaN(g.Losses[2]));
        Assert.False(double.IsNaN(g.StatesOf(2)[0]));   // reached before the blow-up
        Assert.True(double.IsNaN(g.StatesOf(2)[2]));
        double expectedGradient = 0, expectedLoss = 0;
        foreach (int j in new[] { 0, 1, 3, 4 })
        {
            Assert.True(called[j]);
            OdeGradient s = Ode.Gradient(blowUp, [y0s[j]], [0.5], 0, times, [1.0, 1.0, 1.0], Sensitivity.DiscreteAdjoint, options);
            Assert.Equal(s.Y0[0], g.Y0[j], 12);
            expectedGradient += s.Parameters[0];
            expectedLoss += s.States![2];
        }
        Assert.Equal(expectedGradient, g.SharedParameters![0], 10);
        Assert.Equal(expectedLoss, g.Loss, 12);
    }

    [Fact]
    public void BadInput_ThrowsArgumentException()
    {
        double[] y0s = LorenzStates(4), ps = LorenzParameters(4), p = [10, 28, 8.0 / 3];
        double[] dLdy = new double[4 * Times.Length * 3];
        EnsembleObservationLoss loss = (_, _, _) => 0;
        var e = Assert.Throws<ArgumentException>(() => Ode.Gradient(Lorenz, new EnsembleBatch(y0s, ps), 0, Times, new double[5], Sensitivity.DiscreteAdjoint));
        Assert.Equal("dLdy", e.ParamName);
        dLdy[7] = double.NaN;
        Assert.Equal("dLdy", Assert.Throws<ArgumentException>(() => Ode.Gradient(Lorenz, EnsembleBatch.Shared(y0s, p), 0, Times, dLdy, Sensitivity.DiscreteAdjoint)).ParamName);
        Assert.Equal("times", Assert.Throws<ArgumentException>(() => Ode.LossGradient(Lorenz, EnsembleBatch.Shared(y0s, p), 0, [0.5, 0.2], loss, Sensitivity.DiscreteAdjoint)).ParamName);
        Assert.Equal("times", Assert.Throws<ArgumentException>(() => Ode.LossGradient(Lorenz, EnsembleBatch.Shared(y0s, p), 0, [0.5, -0.2], loss, Sensitivity.DiscreteAdjoint)).ParamName);
        Assert.Equal("times", Assert.Throws<ArgumentException>(() => Ode.LossGradient(Lorenz, EnsembleBatch.Shared(y0s, p), 0, [], loss, Sensitivity.DiscreteAdjoint)).ParamName);
        Assert.Equal("times[1]", Assert.Throws<ArgumentException>(() => Ode.LossGradient(Lorenz, EnsembleBatch.Shared(y0s, p), 0, [0.5, double.NaN], loss, Sensitivity.DiscreteAdjoint)).ParamName);
        Assert.Equal("loss", Assert.Throws<ArgumentNullException>(() => Ode.LossGradient(Lorenz, EnsembleBatch.Shared(y0s, p), 0, Times, null!, Sensitivity.DiscreteAdjoint)).ParamName);
        Assert.Equal("options", Assert.Throws<ArgumentException>(() => Ode.LossGradient(Lorenz, EnsembleBatch.Shared(y0s, p), 0, Times, loss, Sensitivity.DiscreteAdjoint, new SolverOptions { SaveAt = [0.5] })).ParamName);
        Assert.Throws<NotSupportedException>(() => Ode.LossGradient(Lorenz, EnsembleBatch.Shared(y0s, p), 0, Times, loss, Sensitivity.DiscreteAdjoint, new SolverOptions { Method = OdeMethod.Rodas4 }));
        Assert.Throws<ArgumentException>(() => Ode.LossGradient(Lorenz, EnsembleBatch.Shared(y0s, [10, 28]), 0, Times, loss, Sensitivity.DiscreteAdjoint));
        Assert.Throws<ArgumentException>(() => Ode.LossGradient(Lorenz, new EnsembleBatch(y0s, ps.AsSpan(1).ToArray()), 0, Times, loss, Sensitivity.DiscreteAdjoint));
        Assert.Throws<ArgumentException>(() => Ode.LossGradient(Lorenz, EnsembleBatch.Shared(y0s.AsSpan(1).ToArray(), p), 0, Times, loss, Sensitivity.DiscreteAdjoint));
        Assert.Throws<ArgumentException>(() => Ode.LossGradient(Lorenz, EnsembleBatch.Shared(y0s, p), double.NaN, Times, loss, Sensitivity.DiscreteAdjoint));
    }

    // After warm-up a block's forward and backward passes through the times allocate nothing (this thread's bytes).
    private static long BlockBytes<TLane>(SolverOptions options, double[] times, bool continueAtObservations = false) where TLane : unmanaged, ILane<TLane>
    {
        int lanes = EnsembleLayout.Registers(options) * TLane.Count, count = 2 * lanes;
        var problem = new EnsembleProblem(count, 3, 3, LorenzStates(count), LorenzParameters(count)[..3], true, 0, times[^1], options)
        {
            ContinueAtObservations = continueAtObservations,
        };
        var solution = new EnsembleSolution(count, 3, null, LaneWidth.Lane1, lanes);
        var output = new EnsembleGradient(solution, times, 3, shared: true, withLoss: true, OdeGen.Sensitivity.DiscreteAdjoint);
        var worker = new ObservationWorker<LorenzLanes, TLane>(new LorenzLanes(), problem, times);
        var sums = new double[2 * 3];
        EnsembleObservationLoss loss = static (_, states, dLdy) => { dLdy.Fill(1); return states[0]; };
        for (int i = 0; i < 3; i++) { worker.Gradient(0, output, loss, sums); worker.Gradient(1, output, loss, sums); }   // warm-up: JIT tiers, tape
        return Allocations.Least(() => worker.Gradient(1, output, loss, sums));
    }

    [Fact]
    public void BlockGradient_AllocatesNothing()
    {
        double[] times = [0, 0.3, 0.6, 1.0, 2.0];
        Assert.Equal(0, BlockBytes<Lane512>(new SolverOptions { Method = OdeMethod.RK4, FixedStep = 1e-3 }, times));
        Assert.Equal(0, BlockBytes<Lane256>(new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-8, AbsTol = 1e-10 }, times));
        Assert.Equal(0, BlockBytes<Lane1>(new SolverOptions { Method = OdeMethod.Tsit5 }, times));
        Assert.Equal(0, BlockBytes<Lane512>(new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-8, AbsTol = 1e-10 }, times, continueAtObservations: true));
    }
}
