using OdeGen.Ensemble;
using OdeGen.Lanes;
using OdeGen.Tests.Generated;
using static OdeGen.Tests.Ensemble.EnsembleTestSupport;

namespace OdeGen.Tests.Ensemble;

// Per-lane adaptive steps (EnsembleOptions.PerLaneSteps): every trajectory's final state, time, status and work are
// Ode.Solve's, bit for bit, at every width (whatever SIMD the process may use: Lane512 runs in software without AVX-512)
// and thread count; what it cannot do it refuses; a run allocates nothing.
public class PerLaneStepTests
{
    private static readonly Lorenz.RhsSystem Lorenz = new();
    private const int N = 13;   // not a multiple of 2, 4 or 8, and more trajectories than lanes: lanes take new ones

    public static IEnumerable<object[]> Cases() =>
        from w in Widths
        from m in new[] { "Dopri5", "Tsit5", "BogackiShampine3", "CashKarp" }
        select new object[] { w, m };

    private static EnsembleOptions PerLane(LaneWidth width, int? threads = 1) => new() { Width = width, MaxDegreeOfParallelism = threads, PerLaneSteps = true };

    // Spread initial conditions: each trajectory takes its own number of steps.
    private static double[] SpreadStates(int count)
    {
        var rng = new Random(5);
        var y = new double[3 * count];
        for (int i = 0; i < y.Length; i++) y[i] = 20 * (rng.NextDouble() - 0.5);
        return y;
    }

    private static void AssertEqualsSolve<TSystem>(in TSystem system, EnsembleSolution e, double[] y0s, double[] ps, bool shared, double t0, double t1, SolverOptions options)
        where TSystem : struct, IOdeLaneSystem
    {
        int n = system.StateCount, m = system.ParameterCount;
        for (int j = 0; j < e.Count; j++)
        {
            OdeSolution s = Ode.Solve(system, y0s.AsSpan(j * n, n), ps.AsSpan(shared ? 0 : j * m, m), t0, t1, options);
            Assert.Equal(s.Status, e.Statuses[j]);
            Assert.Equal(s.FinalState.ToArray(), e.FinalState(j).ToArray());   // Equal on doubles: the same values (bits up to ±0 and NaN payloads)
            for (int q = 0; q < n; q++)
                Assert.Equal(BitConverter.DoubleToInt64Bits(s.FinalState[q]), BitConverter.DoubleToInt64Bits(e.FinalState(j)[q]));
            Assert.Equal(s.FinalTime, e.FinalTimes[j]);
            Assert.Equal(s.Stats.Steps, e.TrajectoryStats[j].Steps);
            Assert.Equal(s.Stats.RejectedSteps, e.TrajectoryStats[j].RejectedSteps);
            Assert.Equal(s.Stats.FunctionEvaluations, e.TrajectoryStats[j].FunctionEvaluations);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryLane_EqualsOdeSolve_BitForBit(LaneWidth width, string method)
    {
        var options = new SolverOptions { Method = OdeMethod.BuiltIn.Single(m => m.Name == method), RelTol = 1e-8, AbsTol = 1e-8 };
        double[] y0s = SpreadStates(N), ps = LorenzParameters(N);
        EnsembleSolution e = Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), 0, 3, options, PerLane(width));
        Assert.True(e.AllSucceeded);
        AssertEqualsSolve(Lorenz, e, y0s, ps, false, 0, 3, options);
        // The trajectories really differ in their steps (otherwise shared steps would do as well).
        Assert.True(e.TrajectoryStats.Select(s => s.Steps).Distinct().Count() > N / 2);
        Assert.Equal(e.TrajectoryStats.Sum(s => (long)s.Steps), e.Stats.Steps);
    }

    [Theory]
    [MemberData(nameof(AllWidths), MemberType = typeof(EnsembleTestSupport))]
    public void OtherOptions_BackwardsSharedParameters_EqualOdeSolve(LaneWidth width)
    {
        // Max norm, integral control, a step bound, a tolerance vector, a given first step; backwards in time; one θ for all.
        var options = new SolverOptions
        {
            Method = OdeMethod.Tsit5, RelTol = 1e-6, AbsTolVector = [1e-7, 1e-6, 1e-8], Norm = ErrorNorm.Max,
            Controller = StepSizeControl.Integral, MaxStep = 0.05, Safety = 0.85,
        };
        double[] y0s = SpreadStates(N), p = [10, 28, 8.0 / 3];
        EnsembleSolution e = Ode.Solve(Lorenz, new EnsembleBatch(y0s, p, EnsembleParameters.Shared), 1, -0.5, options, PerLane(width));
        AssertEqualsSolve(Lorenz, e, y0s, p, true, 1, -0.5, options);
        var given = new SolverOptions { Method = OdeMethod.Dopri5, InitialStep = 1e-3, MinFactor = 0.3, MaxFactor = 4 };
        e = Ode.Solve(Lorenz, new EnsembleBatch(y0s, p, EnsembleParameters.Shared), 0, 1, given, PerLane(width));
        AssertEqualsSolve(Lorenz, e, y0s, p, true, 0, 1, given);
        // Boost.Odeint's hold band: each lane holds its own step as Ode.Solve does.
        var hold = new SolverOptions { Method = OdeMethod.Dopri5, Controller = StepSizeControl.Integral, HoldBand = 0.5 };
        e = Ode.Solve(Lorenz, new EnsembleBatch(y0s, p, EnsembleParameters.Shared), 0, 1, hold, PerLane(width));
        AssertEqualsSolve(Lorenz, e, y0s, p, true, 0, 1, hold);
    }

    [Theory]
    [MemberData(nameof(AllWidths), MemberType = typeof(EnsembleTestSupport))]
    public void Failures_EndAsInOdeSolve_OthersGoOn(LaneWidth width)
    {
        // y' = a·y² blows up at t = 1/(a·y0) for y0 > 0: some trajectories fail inside [0, 2], the others reach the end.
        var blow = new BlowUp.RhsSystem();
        double[] y0s = [1, 0.2, -1, 3, 0.1, 0.4, -2, 0.3, 0.25], ps = [1, 1, 1, 1, 1, 1, 1, 1, 1];
        var options = new SolverOptions { Method = OdeMethod.Dopri5 };
        EnsembleSolution e = Ode.Solve(blow, new EnsembleBatch(y0s, ps), 0, 2, options, PerLane(width));
        Assert.Contains(e.Statuses, s => s != OdeStatus.Success);
        Assert.Contains(e.Statuses, s => s == OdeStatus.Success);
        AssertEqualsSolve(blow, e, y0s, ps, false, 0, 2, options);
        // The step budget, per trajectory as in Ode.Solve.
        var budget = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-10, AbsTol = 1e-10, MaxSteps = 150 };
        double[] ly0 = SpreadStates(N), lp = LorenzParameters(N);
        e = Ode.Solve(Lorenz, new EnsembleBatch(ly0, lp), 0, 2, budget, PerLane(width));
        Assert.Contains(e.Statuses, s => s == OdeStatus.MaxStepsExceeded);
        AssertEqualsSolve(Lorenz, e, ly0, lp, false, 0, 2, budget);
    }

    [Fact]
    public void NonFiniteInputsAndEmptyIntervals_EndAtT0()
    {
        double[] y0s = SpreadStates(5), ps = LorenzParameters(5);
        y0s[4] = double.NaN;   // trajectory 1
        var options = new SolverOptions { Method = OdeMethod.Dopri5 };
        EnsembleSolution e = Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), 0, 1, options, PerLane(LaneWidth.Lane256));
        Assert.Equal(OdeStatus.NonFiniteValue, e.Statuses[1]);
        Assert.Equal(0.0, e.FinalTimes[1]);
        Assert.Equal([OdeStatus.Success, OdeStatus.Success, OdeStatus.Success, OdeStatus.Success], e.Statuses.Where((_, j) => j != 1));
        y0s[4] = 1;
        e = Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), 0.5, 0.5, options, PerLane(LaneWidth.Lane256));
        Assert.True(e.AllSucceeded);
        Assert.Equal(y0s, e.FinalStates);
        AssertEqualsSolve(Lorenz, e, y0s, ps, false, 0.5, 0.5, options);
    }

    [Fact]
    public void Results_DoNotDependOnWidthOrThreads()
    {
        var options = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-9, AbsTol = 1e-9 };
        double[] y0s = SpreadStates(101), ps = LorenzParameters(101);
        EnsembleSolution one = Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), 0, 2, options, PerLane(LaneWidth.Lane1));
        foreach (LaneWidth w in Widths)
        {
            EnsembleSolution two = Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), 0, 2, options, PerLane(w, threads: 2));
            Assert.Equal(one.FinalStates, two.FinalStates);
            Assert.Equal(one.TrajectoryStats, two.TrajectoryStats);
        }
        // Into an earlier solution: the same.
        EnsembleSolution into = Ode.Solve(Lorenz, new EnsembleBatch(SpreadStates(101), ps), 0, 1, options, PerLane(LaneWidth.Lane1));
        Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), 0, 2, into, options, PerLane(LaneWidth.Lane1));
        Assert.Equal(one.FinalStates, into.FinalStates);
    }

    [Fact]
    public void WhatItCannotDo_ItRefuses()
    {
        double[] y0s = SpreadStates(3), ps = LorenzParameters(3);
        EnsembleOptions perLane = PerLane(LaneWidth.Lane256);
        void Refused(Action solve, string why) => Assert.Contains(why, Assert.Throws<NotSupportedException>(solve).Message);
        Refused(() => Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), 0, 1, new SolverOptions { Method = OdeMethod.Dop853 }, perLane), "two error estimates");
        Refused(() => Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), 0, 1, new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.01 }, perLane), "fixed step");
        Refused(() => Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), 0, 1, new SolverOptions { SaveAt = [0.5, 1] }, perLane), "SaveAt");
        Refused(() => Ode.Solve(new Forced.RhsSystem(), new EnsembleBatch([1, 0], [1, 0.1, 2]), 0, 1, null, perLane), "depends on t");
        Refused(() => Ode.Solve(new LaneMlp.RhsSystem(), new EnsembleBatch(new double[new LaneMlp.RhsSystem().StateCount], new double[new LaneMlp.RhsSystem().ParameterCount]), 0, 1, null, perLane), "no register form");
    }

    [Fact]
    public void ARun_AllocatesNothing()
    {
        Assert.Equal(0, RunBytes<Lane512>());
        Assert.Equal(0, RunBytes<Lane256>());
        Assert.Equal(0, RunBytes<Lane1>());
    }

    private static long RunBytes<TLane>() where TLane : unmanaged, ILane<TLane>
    {
        var options = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-8, AbsTol = 1e-8 };
        int count = 3 * TLane.Count + 1;
        var problem = new EnsembleProblem(count, 3, 3, SpreadStates(count), LorenzParameters(count), false, 0, 2, options);
        var solution = new EnsembleSolution(count, 3, null, LaneWidth.Lane1, TLane.Count);
        var queue = new PerLaneQueue();
        var worker = new PerLaneWorker<Lorenz.RhsSystem, TLane>(Lorenz, problem, solution, queue);
        for (int i = 0; i < 2; i++) { queue.Reset(); worker.Run(); }   // warm-up: JIT tiers
        long bytes = Allocations.Least(() => { queue.Reset(); worker.Run(); });
        Assert.True(Array.TrueForAll(solution.Statuses, s => s == OdeStatus.Success));
        Assert.True(solution.TrajectoryStats.All(s => s.Steps > 100));
        return bytes;
    }
}
