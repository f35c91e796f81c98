using OdeGen.Ensemble;
using OdeGen.Tests.Generated;
using OdeGen.Tests.Solvers;
using static OdeGen.Tests.Ensemble.EnsembleTestSupport;
using static OdeGen.Tests.Solvers.RandomSolverOptions;

namespace OdeGen.Tests.Ensemble;

// Seeded random SolverOptions against the ensemble's promises of equality with Ode.Solve (docs/lanes.md):
// - Lane1 with shared steps is the scalar solve exactly (adaptive or fixed, unfused);
// - unfused fixed steps equal Ode.Solve at every width;
// - per-lane adaptive steps equal Ode.Solve bit for bit at every width (final state, time, status, work).
// The options are drawn over everything a user can set (tolerances, norms, controllers, hold band, step bounds, first
// step, controller factors, step budgets, backwards intervals, SaveAt, bad trajectories), so a combination the
// hand-written tests do not name is still held to the rule. ODEGEN_ENSFUZZ_COUNT / ODEGEN_ENSFUZZ_SEED run a sweep.
public class EnsembleOptionFuzzTests
{
    private static readonly Lorenz.RhsSystem Lorenz = new();
    private static readonly string[] Adaptive = ["Dopri5", "Tsit5", "BogackiShampine3", "CashKarp", "Fehlberg45", "HeunEuler", "Dop853"];
    private static readonly string[] PerLaneMethods = ["Dopri5", "Tsit5", "BogackiShampine3", "CashKarp", "Fehlberg45"];
    private static readonly string[] Fixed = ["Euler", "Midpoint", "Heun", "RK4", "Dopri5"];

    private static int Count(int ci) => int.TryParse(Environment.GetEnvironmentVariable("ODEGEN_ENSFUZZ_COUNT"), out int c) ? c : ci;
    private static int Seed => int.TryParse(Environment.GetEnvironmentVariable("ODEGEN_ENSFUZZ_SEED"), out int s) ? s : 1;

    private static (double[] Y0s, double[] Ps) RandomBatch(Random r, int count, bool bad)
    {
        var y = new double[3 * count];
        for (int i = 0; i < y.Length; i++) y[i] = 20 * (r.NextDouble() - 0.5);
        double[] p = LorenzParameters(count, r.Next());
        if (bad) y[3 * r.Next(count) + r.Next(3)] = r.Next(2) == 0 ? double.NaN : double.PositiveInfinity;
        return (y, p);
    }

    private static void AssertBits(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.DoubleToInt64Bits(expected[i]) != BitConverter.DoubleToInt64Bits(actual[i]) && !(double.IsNaN(expected[i]) && double.IsNaN(actual[i])))
                Assert.Fail($"{what}[{i}]: Ode.Solve {expected[i]:R}, ensemble {actual[i]:R}");
    }

    /// <summary>Every trajectory against Ode.Solve: status, final time and state, work, and saved states, bit for bit.</summary>
    private static int AssertEqualsSolve(EnsembleSolution e, double[] y0s, double[] ps, double t0, double t1, SolverOptions options, bool savedToo, string what)
    {
        int succeeded = 0;
        for (int j = 0; j < e.Count; j++)
        {
            string at = $"{what}, trajectory {j}";
            if (!y0s.AsSpan(3 * j, 3).ToArray().All(double.IsFinite))
            {
                // Ode.Solve refuses a non-finite y0 with an ArgumentException; the ensemble marks that trajectory alone.
                Assert.True(e.Statuses[j] == OdeStatus.NonFiniteValue, $"{at}: a non-finite y0 gave {e.Statuses[j]}");
                continue;
            }
            OdeSolution s = Ode.Solve(Lorenz, y0s.AsSpan(3 * j, 3), ps.AsSpan(3 * j, 3), t0, t1, options);
            Assert.True(s.Status == e.Statuses[j], $"{at}: status {s.Status} vs {e.Statuses[j]}");
            AssertBits([s.FinalTime], [e.FinalTimes[j]], $"{at} final time");
            AssertBits(s.FinalState, e.FinalState(j), $"{at} final state");
            Assert.True(s.Stats.Steps == e.TrajectoryStats[j].Steps, $"{at}: steps {s.Stats.Steps} vs {e.TrajectoryStats[j].Steps}");
            Assert.True(s.Stats.RejectedSteps == e.TrajectoryStats[j].RejectedSteps, $"{at}: rejected {s.Stats.RejectedSteps} vs {e.TrajectoryStats[j].RejectedSteps}");
            Assert.True(s.Stats.FunctionEvaluations == e.TrajectoryStats[j].FunctionEvaluations, $"{at}: evaluations {s.Stats.FunctionEvaluations} vs {e.TrajectoryStats[j].FunctionEvaluations}");
            if (s.IsSuccess) succeeded++;
            if (!savedToo || options.SaveAt is null || !s.IsSuccess) continue;
            for (int k = 0; k < options.SaveAt.Length; k++)
                AssertBits(s.State(k), e.Saved(j, k), $"{at} saved {k}");
        }
        return succeeded;
    }

    // The draws must leave most cases solvable (backwards Lorenz blows up), or the comparisons would test little.
    private static void AssertMostlySolved(int succeeded, int trajectories) =>
        Assert.True(succeeded >= trajectories / 3, $"only {succeeded} of {trajectories} trajectories succeeded");

    public enum SolveMode { Lane1SharedSteps, UnfusedFixedSteps, PerLaneSteps }

    // Lane1 (shared steps, adaptive or fixed) is the scalar solve exactly; unfused fixed steps and per-lane adaptive steps
    // equal it at every width. Saved states are compared where the mode saves (per-lane steps keep final states only).
    [Theory]
    [InlineData(SolveMode.Lane1SharedSteps)]
    [InlineData(SolveMode.UnfusedFixedSteps)]
    [InlineData(SolveMode.PerLaneSteps)]
    public void EveryTrajectory_EqualsOdeSolve(SolveMode mode)
    {
        int succeeded = 0, trajectories = 0;
        var r = new Random(Seed * 7919 + (int)mode + 1);
        for (int c = 0; c < Count(25); c++)
        {
            var (t0, t1) = RandomInterval(r);
            bool fixedStep = mode == SolveMode.UnfusedFixedSteps || (mode == SolveMode.Lane1SharedSteps && r.Next(3) == 0);
            string[] methods = mode == SolveMode.PerLaneSteps ? PerLaneMethods : fixedStep ? Fixed : Adaptive;
            bool saves = mode != SolveMode.PerLaneSteps;
            SolverOptions o = RandomOptions(r, methods[r.Next(methods.Length)], fixedStep, Math.Abs(t1 - t0), saves && r.Next(2) == 0, t0, t1);
            var (y0s, ps) = RandomBatch(r, mode == SolveMode.Lane1SharedSteps ? 1 + r.Next(5) : 1 + r.Next(19), r.Next(6) == 0);
            var ens = new EnsembleOptions
            {
                Width = mode == SolveMode.Lane1SharedSteps ? LaneWidth.Lane1 : Widths[r.Next(Widths.Length)],
                MaxDegreeOfParallelism = 1 + r.Next(2), FusedSteps = false, PerLaneSteps = mode == SolveMode.PerLaneSteps,
            };
            EnsembleSolution e = Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), t0, t1, o, ens);
            succeeded += AssertEqualsSolve(e, y0s, ps, t0, t1, o, saves, $"case {c}, {ens.Width}: {Describe(o, t0, t1)}");
            trajectories += e.Count;
        }
        AssertMostlySolved(succeeded, trajectories);
    }

    // The lanes' discrete adjoint (docs/lanes.md, "Gradients"): per-lane steps give each trajectory's Ode.Gradient with
    // Sensitivity.DiscreteAdjoint bit for bit; Lane1 and unfused fixed steps give it to rounding (10⁻¹¹ asked, as the
    // hand-written tests do). Observation times, ∂L/∂y and options are drawn at random; a failed trajectory has NaN rows.
    [Fact]
    public void DiscreteAdjointThroughTheLanes_EqualsOdeGradient()
    {
        int succeeded = 0, trajectories = 0;
        var r = new Random(Seed * 7919 + 4);
        for (int c = 0; c < Count(20); c++)
        {
            var (t0, t1) = RandomInterval(r);
            int mode = r.Next(3);   // 0 per-lane steps, 1 Lane1 shared steps, 2 unfused fixed steps at any width
            string method = mode switch { 0 => PerLaneMethods[r.Next(PerLaneMethods.Length)], 1 => Adaptive[r.Next(Adaptive.Length)], _ => Fixed[r.Next(Fixed.Length)] };
            SolverOptions o = RandomOptions(r, method, mode == 2, Math.Abs(t1 - t0), false, t0, t1);
            int k = 1 + r.Next(3);
            double[] times = Enumerable.Range(0, k).Select(i => i == k - 1 ? t1 : t0 + (t1 - t0) * (0.1 + 0.8 * r.NextDouble())).ToArray();
            Array.Sort(times);
            if (t1 < t0) Array.Reverse(times);
            times = times.Distinct().ToArray();
            int count = mode == 1 ? 1 + r.Next(4) : 1 + r.Next(12);
            var (y0s, ps) = RandomBatch(r, count, false);
            double[] dLdy = Enumerable.Range(0, count * times.Length * 3).Select(_ => r.NextDouble() - 0.5).ToArray();
            var ens = new EnsembleOptions
            {
                Width = mode == 1 ? LaneWidth.Lane1 : Widths[r.Next(Widths.Length)], MaxDegreeOfParallelism = 1 + r.Next(2),
                PerLaneSteps = mode == 0, FusedSteps = false,
            };
            string what = $"case {c}, mode {mode}, {ens.Width}, times {string.Join(",", times)}: {Describe(o, t0, t1)}";
            EnsembleGradient g = Ode.Gradient(Lorenz, new EnsembleBatch(y0s, ps), t0, times, dLdy, Sensitivity.DiscreteAdjoint, o, ens);
            int rows = times.Length * 3;
            for (int j = 0; j < count; j++)
            {
                OdeGradient s = Ode.Gradient(Lorenz, y0s.AsSpan(3 * j, 3), ps.AsSpan(3 * j, 3), t0, times, dLdy.AsSpan(j * rows, rows), Sensitivity.DiscreteAdjoint, o);
                Assert.True(s.Status == g.Statuses[j], $"{what}, trajectory {j}: status {s.Status} vs {g.Statuses[j]}");
                if (!s.IsSuccess)
                {
                    Assert.True(g.Y0Of(j).ToArray().All(double.IsNaN) && g.ParametersOf(j).ToArray().All(double.IsNaN), $"{what}, trajectory {j}: a failed trajectory's rows are not NaN");
                    continue;
                }
                succeeded++;
                if (mode == 0)
                {
                    AssertBits(s.Y0, g.Y0Of(j), $"{what}, trajectory {j} dL/dy0");
                    AssertBits(s.Parameters, g.ParametersOf(j), $"{what}, trajectory {j} dL/dθ");
                    continue;
                }
                double scale = Math.Max(1, Math.Max(s.Y0.Max(Math.Abs), s.Parameters.Max(Math.Abs)));
                double e = Math.Max(MaxRelative(g.Y0Of(j), s.Y0, scale), MaxRelative(g.ParametersOf(j), s.Parameters, scale));
                Assert.True(e <= 1e-11, $"{what}, trajectory {j}: relative difference {e:G3}");
            }
            trajectories += count;
        }
        AssertMostlySolved(succeeded, trajectories);
    }
}
