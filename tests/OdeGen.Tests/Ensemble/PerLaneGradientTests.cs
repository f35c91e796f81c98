using OdeGen.Ensemble;
using OdeGen.Lanes;
using OdeGen.Tests.Generated;
using static OdeGen.Tests.Ensemble.EnsembleTestSupport;

namespace OdeGen.Tests.Ensemble;

// Gradients with per-lane steps (EnsembleOptions.PerLaneSteps): the discrete adjoint differentiates each trajectory's own
// steps, so every trajectory's dL/dy0 and dL/dθ are the scalar discrete adjoint's (Ode.Gradient with
// Sensitivity.DiscreteAdjoint on that trajectory), bit for bit, at every width, thread count and record budget; failures give
// NaN rows; the gradient agrees with finite differences; the workspace allocates nothing after its first call.
public class PerLaneGradientTests
{
    private static readonly Lorenz.RhsSystem Lorenz = new();
    private const int N = 13;   // not a multiple of 2, 4 or 8, and more trajectories than lanes: lanes take new ones
    private static readonly double[] Times = [0.4, 1.1, 2];

    public static IEnumerable<object[]> Cases() =>
        from w in Widths
        from m in new[] { "Dopri5", "Tsit5", "BogackiShampine3", "CashKarp" }
        select new object[] { w, m };

    private static EnsembleOptions PerLane(LaneWidth width, int? threads = 1, long? budget = null) =>
        new() { Width = width, MaxDegreeOfParallelism = threads, PerLaneSteps = true, PerLaneRecordBytes = budget };

    private static double[] SpreadStates(int count, int seed = 5)
    {
        var rng = new Random(seed);
        var y = new double[3 * count];
        for (int i = 0; i < y.Length; i++) y[i] = 20 * (rng.NextDouble() - 0.5);
        return y;
    }

    private static double[] Seeds(int length, int seed = 3)
    {
        var rng = new Random(seed);
        var d = new double[length];
        for (int i = 0; i < d.Length; i++) d[i] = rng.NextDouble() - 0.5;
        return d;
    }

    private static void AssertBits(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.DoubleToInt64Bits(expected[i]) == BitConverter.DoubleToInt64Bits(actual[i]),
                $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
    }

    // Every trajectory against the scalar discrete adjoint with the ensemble's own ∂L/∂y: rows, states, status and forward work.
    private static void AssertEqualsScalar<TSystem>(in TSystem system, EnsembleGradient g, double[] y0s, double[] ps, bool shared, double t0,
        double[] times, SolverOptions options, int skip = -1) where TSystem : struct, IOdeLaneSystem
    {
        int n = system.StateCount, m = system.ParameterCount, rows = times.Length * n;
        var sum = new double[m];
        for (int j = 0; j < g.Count; j++)
        {
            if (j == skip) continue;
            OdeGradient s = Ode.Gradient(system, y0s.AsSpan(j * n, n), ps.AsSpan(shared ? 0 : j * m, m), t0, times,
                g.DLdy.AsSpan(j * rows, rows), Sensitivity.DiscreteAdjoint, options);
            Assert.Equal(s.Status, g.Statuses[j]);
            if (!s.IsSuccess)
            {
                Assert.All(g.Y0Of(j).ToArray(), v => Assert.True(double.IsNaN(v)));
                Assert.All(g.ParametersOf(j).ToArray(), v => Assert.True(double.IsNaN(v)));
                continue;
            }
            AssertBits(s.Y0, g.Y0Of(j), $"dL/dy0 of trajectory {j}");
            AssertBits(s.Parameters, g.ParametersOf(j), $"dL/dθ of trajectory {j}");
            Assert.Equal(s.Stats.Forward.Steps, g.Solution.TrajectoryStats[j].Steps);
            Assert.Equal(s.Stats.Forward.RejectedSteps, g.Solution.TrajectoryStats[j].RejectedSteps);
            Assert.Equal(s.Stats.Forward.FunctionEvaluations, g.Solution.TrajectoryStats[j].FunctionEvaluations);
            // The states at the times: Ode.Solve's, interval after interval restarted as the scalar forward pass restarts.
            double from = t0;
            double[] y = y0s.AsSpan(j * n, n).ToArray();
            for (int i = 0; i < times.Length; i++)
            {
                if (times[i] != from) y = Ode.Solve(system, y, ps.AsSpan(shared ? 0 : j * m, m), from, times[i], options).FinalState.ToArray();
                from = times[i];
                AssertBits(y, g.StatesOf(j).Slice(i * n, n), $"state of trajectory {j} at times[{i}]");
            }
            for (int k = 0; k < m; k++) sum[k] += s.Parameters[k];
        }
        if (shared) AssertBits(sum, g.SharedParameters, "shared dL/dθ");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryTrajectory_EqualsScalarDiscreteAdjoint_BitForBit(LaneWidth width, string method)
    {
        var options = new SolverOptions { Method = OdeMethod.BuiltIn.Single(m => m.Name == method), RelTol = 1e-7, AbsTol = 1e-7 };
        double[] y0s = SpreadStates(N), ps = LorenzParameters(N), dLdy = Seeds(N * Times.Length * 3);
        EnsembleGradient g = Ode.Gradient(Lorenz, new EnsembleBatch(y0s, ps), 0, Times, dLdy, Sensitivity.DiscreteAdjoint, options, PerLane(width));
        Assert.True(g.AllSucceeded);
        AssertEqualsScalar(Lorenz, g, y0s, ps, false, 0, Times, options);
        // The trajectories really take different steps (otherwise shared steps would do as well), and no f is evaluated backwards.
        Assert.True(g.Solution.TrajectoryStats.Select(s => s.Steps).Distinct().Count() > N / 2);
        Assert.Equal(0, g.BackwardEvaluations);
        Assert.True(g.VjpEvaluations > 0);
    }

    [Theory]
    [MemberData(nameof(AllWidths), MemberType = typeof(EnsembleTestSupport))]
    public void LossSharedParametersBackwardsAndTimeAtT0_EqualScalar(LaneWidth width)
    {
        var options = new SolverOptions { Method = OdeMethod.Tsit5, RelTol = 1e-6, AbsTolVector = [1e-7, 1e-6, 1e-8], Norm = ErrorNorm.Max, MaxStep = 0.05 };
        double[] y0s = SpreadStates(N), p = [10, 28, 8.0 / 3];
        double[] times = [1, 0.6, 0.2];   // backwards from t0 = 1, the first observation at t0
        EnsembleObservationLoss loss = static (j, states, dLdy) =>
        {
            double l = 0;
            for (int i = 0; i < states.Length; i++)
            {
                double w = 0.1 * (1 + (i + j) % 3);
                l += 0.5 * w * states[i] * states[i];
                dLdy[i] = w * states[i];
            }
            return l;
        };
        EnsembleGradient g = Ode.LossGradient(Lorenz, new EnsembleBatch(y0s, p, EnsembleParameters.Shared), 1, times, loss, Sensitivity.DiscreteAdjoint, options, PerLane(width));
        Assert.True(g.AllSucceeded);
        AssertEqualsScalar(Lorenz, g, y0s, p, true, 1, times, options);
        OdeGradient scalar = Ode.LossGradient(Lorenz, y0s.AsSpan(0, 3), p, 1, times, (states, dLdy) => loss(0, states, dLdy), Sensitivity.DiscreteAdjoint, options);
        AssertBits(scalar.Y0, g.Y0Of(0), "LossGradient's dL/dy0");
        Assert.Equal(scalar.Loss, g.Losses[0]);
        Assert.Equal(g.Losses.Sum(), g.Loss, 12);
    }

    [Theory]
    [MemberData(nameof(AllWidths), MemberType = typeof(EnsembleTestSupport))]
    public void Failures_GiveNaNRows_OthersEqualScalar(LaneWidth width)
    {
        // y' = a·y² blows up at t = 1/(a·y0): some trajectories fail between the observation times, others reach the end.
        var blow = new BlowUp.RhsSystem();
        double[] y0s = [1, 0.2, -1, 3, 0.1, 0.4, -2, 0.3, 0.25, double.NaN, 0.7], ps = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
        double[] times = [0.5, 1.5, 2];
        var options = new SolverOptions { Method = OdeMethod.Dopri5 };
        double[] dLdy = Seeds(y0s.Length * times.Length);
        EnsembleGradient g = Ode.Gradient(blow, new EnsembleBatch(y0s, ps), 0, times, dLdy, Sensitivity.DiscreteAdjoint, options, PerLane(width));
        Assert.Contains(g.Statuses, s => s == OdeStatus.Success);
        Assert.Equal(OdeStatus.NonFiniteValue, g.Statuses[9]);
        Assert.True(g.Statuses.Count(s => s != OdeStatus.Success) >= 3);
        AssertEqualsScalar(blow, g, y0s, ps, false, 0, times, options, skip: 9);   // the scalar call refuses a NaN y0 outright
        Assert.All(g.Y0Of(9).ToArray(), v => Assert.True(double.IsNaN(v)));
        // Trajectory 3 (y0 = 3) fails at 1/3, before the first time: every state is NaN; trajectory 0 (y0 = 1) fails at 1,
        // between the first and the second: its state at 0.5 is kept.
        Assert.All(g.StatesOf(3).ToArray(), v => Assert.True(double.IsNaN(v)));
        Assert.False(double.IsNaN(g.StatesOf(0)[0]));
        Assert.True(double.IsNaN(g.StatesOf(0)[1]));
        // The step budget (one interval: the loss on the final states), as in the scalar forward pass.
        var budget = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-8, AbsTol = 1e-8, MaxSteps = 250 };
        double[] ly0 = SpreadStates(N), lp = LorenzParameters(N), ld = Seeds(N * 3);
        g = Ode.Gradient(Lorenz, new EnsembleBatch(ly0, lp), 0, [2.0], ld, Sensitivity.DiscreteAdjoint, budget, PerLane(width));
        Assert.Contains(g.Statuses, s => s == OdeStatus.MaxStepsExceeded);
        Assert.Contains(g.Statuses, s => s == OdeStatus.Success);
        AssertEqualsScalar(Lorenz, g, ly0, lp, false, 0, [2.0], budget);
    }

    [Theory]
    [MemberData(nameof(AllWidths), MemberType = typeof(EnsembleTestSupport))]
    public void SmallRecordBudget_SameBits_ThroughRoundsAndTheScalarFallback(LaneWidth width)
    {
        var options = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-8, AbsTol = 1e-8 };
        int count = 100;
        double[] y0s = SpreadStates(count), ps = LorenzParameters(count), dLdy = Seeds(count * Times.Length * 3);
        var batch = new EnsembleBatch(y0s, ps);
        EnsembleGradient whole = Ode.Gradient(Lorenz, batch, 0, Times, dLdy, Sensitivity.DiscreteAdjoint, options, PerLane(width));
        Assert.Equal(0, whole.BackwardEvaluations);
        // A step of Dopri5 on Lorenz keeps 1 + 6·3 doubles and a link (156 bytes); these 100 trajectories take about 26,000 steps.
        // 1.6 MB on one thread: 10,256 steps, a round closes at 5,128 and at most 8 lanes of ≤ 600 steps finish it, so the
        // thread sweeps back several rounds and nothing goes past the budget. 20 KB and 0 on two threads: most or all
        // trajectories go past it and the scalar discrete adjoint differentiates them.
        foreach ((long budget, int threads) in new[] { (1_600_000L, 1), (20_000L, 2), (0L, 2) })
        {
            EnsembleGradient small = Ode.Gradient(Lorenz, batch, 0, Times, dLdy, Sensitivity.DiscreteAdjoint, options, PerLane(width, threads, budget));
            AssertBits(whole.Y0, small.Y0, $"dL/dy0 with a {budget}-byte record");
            AssertBits(whole.Parameters, small.Parameters, $"dL/dθ with a {budget}-byte record");
            AssertBits(whole.States, small.States, $"states with a {budget}-byte record");
            Assert.Equal(whole.Solution.TrajectoryStats, small.Solution.TrajectoryStats);
            if (budget < 100_000) Assert.True(small.BackwardEvaluations > 0);   // the fallback re-ran forward passes, counted
            else Assert.Equal(0, small.BackwardEvaluations);
        }
        Assert.True(whole.Solution.TrajectoryStats.Max(s => s.Steps) <= 600);
        Assert.InRange(whole.Solution.TrajectoryStats.Sum(s => s.Steps), 3 * 5_128, 40_000);
    }

    [Fact]
    public void Results_DoNotDependOnWidthOrThreads()
    {
        var options = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-9, AbsTol = 1e-9 };
        double[] y0s = SpreadStates(61), p = [10, 28, 8.0 / 3], dLdy = Seeds(61 * Times.Length * 3);
        var batch = new EnsembleBatch(y0s, p, EnsembleParameters.Shared);
        EnsembleGradient one = Ode.Gradient(Lorenz, batch, 0, Times, dLdy, Sensitivity.DiscreteAdjoint, options, PerLane(LaneWidth.Lane1));
        foreach (LaneWidth w in Widths)
        {
            EnsembleGradient two = Ode.Gradient(Lorenz, batch, 0, Times, dLdy, Sensitivity.DiscreteAdjoint, options, PerLane(w, threads: 2));
            AssertBits(one.Y0, two.Y0, $"dL/dy0 at {w}");
            AssertBits(one.Parameters, two.Parameters, $"dL/dθ at {w}");
            AssertBits(one.SharedParameters, two.SharedParameters, $"shared dL/dθ at {w}");
        }
    }

    [Fact]
    public void Gradient_AgreesWithFiniteDifferences()
    {
        // L = Σ_j Σ_i c_ij·y_j(t_i): its gradient by central differences of per-lane solves (restarted at the times, as the
        // gradient's forward pass is), with tight tolerances so that the steps' reaction to the nudge is negligible.
        var options = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-12, AbsTol = 1e-12 };
        double[] times = [0.3, 0.6];
        double[] y0s = LorenzStates(3), ps = LorenzParameters(3), dLdy = Seeds(3 * times.Length * 3);
        EnsembleGradient g = Ode.Gradient(Lorenz, new EnsembleBatch(y0s, ps), 0, times, dLdy, Sensitivity.DiscreteAdjoint, options, PerLane(LaneWidth.Lane256));
        double Loss(double[] y0, double[] p)
        {
            EnsembleSolution a = Ode.Solve(Lorenz, new EnsembleBatch(y0, p), 0, times[0], options, PerLane(LaneWidth.Lane256));
            EnsembleSolution b = Ode.Solve(Lorenz, new EnsembleBatch(a.FinalStates, p), times[0], times[1], options, PerLane(LaneWidth.Lane256));
            double l = 0;
            for (int j = 0; j < 3; j++)
                for (int q = 0; q < 3; q++)
                    l += dLdy[(j * 2) * 3 + q] * a.FinalStates[j * 3 + q] + dLdy[(j * 2 + 1) * 3 + q] * b.FinalStates[j * 3 + q];
            return l;
        }
        void Check(double[] x, double[] analytic, Func<double[], double> loss)
        {
            for (int i = 0; i < x.Length; i++)
            {
                double e = 1e-6 * Math.Max(1, Math.Abs(x[i])), keep = x[i];
                x[i] = keep + e;
                double up = loss(x);
                x[i] = keep - e;
                double down = loss(x);
                x[i] = keep;
                double fd = (up - down) / (2 * e);
                Assert.True(Math.Abs(fd - analytic[i]) <= 1e-6 * Math.Max(1, Math.Abs(fd)), $"entry {i}: finite differences {fd:R}, adjoint {analytic[i]:R}");
            }
        }
        Check(y0s, g.Y0, y => Loss(y, ps));
        Check(ps, g.Parameters, p => Loss(y0s, p));
    }

    [Fact]
    public void OtherSensitivities_RunTrajectoryByTrajectory_AlongTheSameSteps()
    {
        var options = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-8, AbsTol = 1e-8 };
        double[] y0s = SpreadStates(5), ps = LorenzParameters(5), dLdy = Seeds(5 * Times.Length * 3);
        var batch = new EnsembleBatch(y0s, ps);
        foreach (Sensitivity s in new Sensitivity[] { Sensitivity.InterpolatingAdjoint(), Sensitivity.Discrete(3), Sensitivity.Forward })
        {
            EnsembleGradient g = Ode.Gradient(Lorenz, batch, 0, Times, dLdy, s, options, PerLane(LaneWidth.Lane256));
            for (int j = 0; j < 5; j++)
            {
                OdeGradient one = Ode.Gradient(Lorenz, y0s.AsSpan(j * 3, 3), ps.AsSpan(j * 3, 3), 0, Times, dLdy.AsSpan(j * 9, 9), s, options);
                AssertBits(one.Y0, g.Y0Of(j), $"{s.Name} dL/dy0 of {j}");
                AssertBits(one.Parameters, g.ParametersOf(j), $"{s.Name} dL/dθ of {j}");
            }
        }
    }

    [Fact]
    public void OnlyTimeAtT0_AndALossThatThrows()
    {
        var options = new SolverOptions { Method = OdeMethod.Dopri5 };
        double[] y0s = SpreadStates(5), ps = LorenzParameters(5), dLdy = Seeds(15);
        EnsembleGradient g = Ode.Gradient(Lorenz, new EnsembleBatch(y0s, ps), 0.5, [0.5], dLdy, Sensitivity.DiscreteAdjoint, options, PerLane(LaneWidth.Lane256));
        Assert.True(g.AllSucceeded);
        AssertEqualsScalar(Lorenz, g, y0s, ps, false, 0.5, [0.5], options);
        AssertBits(dLdy, g.Y0, "dL/dy0 with no step");
        // The loss's own exception, not an AggregateException, from any thread.
        EnsembleObservationLoss bad = (j, _, _) => j == 3 ? throw new InvalidOperationException("loss 3") : 0;
        var e = Assert.Throws<InvalidOperationException>(() =>
            Ode.LossGradient(Lorenz, new EnsembleBatch(y0s, ps), 0, Times, bad, Sensitivity.DiscreteAdjoint, options, PerLane(LaneWidth.Lane128, threads: 2)));
        Assert.Equal("loss 3", e.Message);
    }

    [Fact]
    public void WhatItCannotDo_ItRefuses()
    {
        double[] y0s = SpreadStates(3), ps = LorenzParameters(3), dLdy = Seeds(9);
        EnsembleOptions perLane = PerLane(LaneWidth.Lane256);
        void Refused(Action gradient, string why) => Assert.Contains(why, Assert.Throws<NotSupportedException>(gradient).Message);
        Refused(() => Ode.Gradient(Lorenz, new EnsembleBatch(y0s, ps), 0, [1.0], dLdy, Sensitivity.DiscreteAdjoint, new SolverOptions { Method = OdeMethod.Dop853 }, perLane), "two error estimates");
        Refused(() => Ode.Gradient(Lorenz, new EnsembleBatch(y0s, ps), 0, [1.0], dLdy, Sensitivity.DiscreteAdjoint, new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.01 }, perLane), "fixed step");
        Refused(() => Ode.Gradient(Lorenz, new EnsembleBatch(y0s, ps), 0, [1.0], dLdy, Sensitivity.DiscreteAdjoint, new SolverOptions { SaveAt = [0.5, 1] }, perLane), "SaveAt");
        Refused(() => Ode.Gradient(new Forced.RhsSystem(), new EnsembleBatch([1, 0], [1, 0.1, 2]), 0, [1.0], [1.0, 0], Sensitivity.DiscreteAdjoint, null, perLane), "depends on t");
        var mlp = new LaneMlp.RhsSystem();
        Refused(() => Ode.Gradient(mlp, new EnsembleBatch(new double[mlp.StateCount], new double[mlp.ParameterCount]), 0, [1.0], new double[mlp.StateCount], Sensitivity.DiscreteAdjoint, null, perLane), "no register form");
        Refused(() => Ode.Gradient(Lorenz, new EnsembleBatch(y0s, ps), 0, [1.0], dLdy, Sensitivity.DiscreteAdjoint,
            new SolverOptions { Events = [OdeEvent.StateCrossing(0, 0.0)] }, perLane), "events");
    }

    [Fact]
    public void Workspace_SameBitsAsTheCall_AndAllocatesNothingAfterTheFirst()
    {
        Assert.Equal(0, WorkspaceBytes(LaneWidth.Lane512));
        Assert.Equal(0, WorkspaceBytes(LaneWidth.Lane256));
        Assert.Equal(0, WorkspaceBytes(LaneWidth.Lane128));
        Assert.Equal(0, WorkspaceBytes(LaneWidth.Lane1));
    }

    private static long WorkspaceBytes(LaneWidth width)
    {
        var options = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-8, AbsTol = 1e-8 };
        int count = 3 * EnsembleOptions.LaneCount(width) + 1;
        double[] y0s = SpreadStates(count), p = [10, 28, 8.0 / 3];
        EnsembleOptions ensemble = PerLane(width);
        EnsembleObservationLoss loss = static (_, states, dLdy) =>
        {
            double l = 0;
            for (int i = 0; i < states.Length; i++)
            {
                l += states[i];
                dLdy[i] = 1;
            }
            return l;
        };
        var workspace = new PerLaneGradientWorkspace<Lorenz.RhsSystem>();
        EnsembleGradient reference = Ode.LossGradient(Lorenz, EnsembleBatch.Shared(y0s, p), 0, Times, loss, Sensitivity.DiscreteAdjoint, options, ensemble);
        for (int i = 0; i < 3; i++) Ode.GradientReusing(Lorenz, workspace, y0s, p, 0, Times, loss, default, options, ensemble);   // warm-up: JIT tiers
        long bytes = Allocations.Least(() => Ode.GradientReusing(Lorenz, workspace, y0s, p, 0, Times, loss, default, options, ensemble));
        EnsembleGradient g = Ode.GradientReusing(Lorenz, workspace, y0s, p, 0, Times, loss, default, options, ensemble);
        AssertBits(reference.Y0, g.Y0, "the workspace's dL/dy0");
        AssertBits(reference.SharedParameters, g.SharedParameters, "the workspace's shared dL/dθ");
        Assert.Equal(reference.Loss, g.Loss);
        // The shared-step workspace refuses per-lane options, and this one shared-step options.
        Assert.Throws<ArgumentException>(() => Ode.GradientReusing(Lorenz, new LaneLossGradientWorkspace<Lorenz.RhsSystem>(), y0s, p, 0, Times, loss, default, options, ensemble));
        Assert.Throws<ArgumentException>(() => Ode.GradientReusing(Lorenz, workspace, y0s, p, 0, Times, loss, default, options, new EnsembleOptions { Width = width }));
        return bytes;
    }
}
