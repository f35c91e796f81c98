using OdeGen.Ensemble;
using OdeGen.Lanes;
using OdeGen.Tests.TestSystems;
using static OdeGen.Tests.Ensemble.EnsembleTestSupport;

namespace OdeGen.Tests.Ensemble;

// One failing trajectory gets its own status and does not poison its block; bad input is an exception.
public class EnsembleFailureTests
{
    private static readonly BlowUpLanes BlowUp = new();

    // y' = p·y², y(0) = 1 blows up at t = 1/p: p = 10 fails in [0, 1], p ≤ 0.5 does not.
    private static readonly double[] Rates = [0.1, 0.5, 10, 0.2, 0.3, 0.4, 0.25, 0.35, 0.45, 0.15, 0.05];

    [Theory]
    [MemberData(nameof(AllWidths), MemberType = typeof(EnsembleTestSupport))]
    public void Adaptive_OneLaneBlowsUp_OthersSucceedAsScalar(LaneWidth width)
    {
        var options = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-8, AbsTol = 1e-10 };
        double[] y0s = Enumerable.Repeat(1.0, Rates.Length).ToArray();
        EnsembleSolution e = Ode.Solve(BlowUp, new EnsembleBatch(y0s, Rates), 0, 1, options, Force(width));
        for (int j = 0; j < Rates.Length; j++)
        {
            OdeSolution s = Ode.Solve(BlowUp, [1.0], [Rates[j]], 0, 1, options);
            if (j == 2)
            {
                Assert.NotEqual(OdeStatus.Success, s.Status);
                Assert.Contains(e.Statuses[j], new[] { OdeStatus.StepSizeTooSmall, OdeStatus.NonFiniteValue, OdeStatus.MaxStepsExceeded });
                Assert.True(e.FinalTimes[j] < 0.1 + 1e-6 && e.FinalTimes[j] > 0.09, $"stopped at {e.FinalTimes[j]}");
                Assert.Equal(s.FinalTime, e.FinalTimes[j], 6);
                Assert.True(double.IsFinite(e.FinalStates[j]) && e.FinalStates[j] > 100);
                continue;
            }
            Assert.Equal(OdeStatus.Success, e.Statuses[j]);
            Assert.Equal(1.0, e.FinalTimes[j]);
            double exact = 1 / (1 - Rates[j]);
            Assert.True(Math.Abs(e.FinalStates[j] - exact) <= 1e-6 * exact, $"lane {j}: {e.FinalStates[j]} vs {exact}");
            Assert.True(Math.Abs(e.FinalStates[j] - s.FinalState[0]) <= 1e-6 * exact);
        }
        Assert.False(e.AllSucceeded);
        Assert.Throws<OdeSolverException>(() => e.EnsureSuccess());
    }

    [Theory]
    [MemberData(nameof(AllWidths), MemberType = typeof(EnsembleTestSupport))]
    public void FixedStep_OneLaneOverflows_OthersUnaffected(LaneWidth width)
    {
        var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = 1e-3 };
        double[] y0s = Enumerable.Repeat(1.0, Rates.Length).ToArray();
        EnsembleSolution e = Ode.Solve(BlowUp, new EnsembleBatch(y0s, Rates), 0, 1, options, Force(width));
        for (int j = 0; j < Rates.Length; j++)
        {
            OdeSolution s = Ode.Solve(BlowUp, [1.0], [Rates[j]], 0, 1, options);
            Assert.Equal(s.Status, e.Statuses[j]);
            Assert.Equal(s.FinalState[0], e.FinalStates[j], 14);
            if (j == 2) Assert.Equal(OdeStatus.NonFiniteValue, e.Statuses[j]);
        }
    }

    [Theory]
    [MemberData(nameof(AllWidths), MemberType = typeof(EnsembleTestSupport))]
    public void NonFiniteInputRow_FailsAlone(LaneWidth width)
    {
        var lorenz = new LorenzLanes();
        double[] y0s = LorenzStates(6), ps = LorenzParameters(6);
        y0s[3 * 1 + 2] = double.NaN;
        ps[3 * 4] = double.PositiveInfinity;
        var options = new SolverOptions { Method = OdeMethod.Tsit5, SaveAt = [0, 0.5] };
        EnsembleSolution e = Ode.Solve(lorenz, new EnsembleBatch(y0s, ps), 0, 1, options, Force(width));
        for (int j = 0; j < 6; j++)
        {
            if (j is 1 or 4)
            {
                Assert.Equal(OdeStatus.NonFiniteValue, e.Statuses[j]);
                Assert.Equal(0.0, e.FinalTimes[j]);
                Assert.True(double.IsNaN(e.Saved(j, 0)[0]));
                continue;
            }
            Assert.Equal(OdeStatus.Success, e.Statuses[j]);
            OdeSolution s = Ode.Solve(lorenz, y0s.AsSpan(3 * j, 3), ps.AsSpan(3 * j, 3), 0, 1, options);
            Assert.True(MaxRelative(e.Saved(j, 1), s.State(1)) <= 1e-4);
        }
    }

    [Fact]
    public void MaxSteps_ReportedPerTrajectory()
    {
        var options = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-10, AbsTol = 1e-12, MaxSteps = 20 };
        EnsembleSolution e = Ode.Solve(new LorenzLanes(), new EnsembleBatch(LorenzStates(5), LorenzParameters(5)), 0, 10, options);
        Assert.All(e.Statuses, s => Assert.Equal(OdeStatus.MaxStepsExceeded, s));
        Assert.All(e.FinalTimes, t => Assert.True(t > 0 && t < 10));
        Assert.All(e.BlockStats, b => Assert.Equal(20, b.Steps + b.RejectedSteps));
    }

    [Fact]
    public void BadInput_Throws()
    {
        var lorenz = new LorenzLanes();
        double[] y0s = LorenzStates(4), ps = LorenzParameters(4);
        Assert.Throws<ArgumentException>(() => Ode.Solve(lorenz, new EnsembleBatch(y0s.AsSpan(1), ps), 0, 1));
        Assert.Throws<ArgumentException>(() => Ode.Solve(lorenz, new EnsembleBatch(y0s, ps.AsSpan(3)), 0, 1));
        Assert.Throws<ArgumentException>(() => Ode.Solve(lorenz, new EnsembleBatch(y0s, ps), double.NaN, 1));
        Assert.Throws<ArgumentException>(() => Ode.Solve(lorenz, new EnsembleBatch(y0s, ps), 0, double.PositiveInfinity));
        Assert.Throws<ArgumentException>(() => Ode.Solve(lorenz, EnsembleBatch.Shared(y0s, [10, double.NaN, 1]), 0, 1));
        Assert.Throws<ArgumentException>(() => Ode.Solve(lorenz, EnsembleBatch.Shared(y0s, [10, 28]), 0, 1));
        Assert.Throws<NotSupportedException>(() => Ode.Solve(lorenz, new EnsembleBatch(y0s, ps), 0, 1, new SolverOptions { Method = OdeMethod.Rodas4 }));
        Assert.Throws<ArgumentException>(() => Ode.Solve(lorenz, new EnsembleBatch(y0s, ps), 0, 1, new SolverOptions { Method = OdeMethod.RK4 }));
        Assert.Throws<ArgumentException>(() => Ode.Solve(lorenz, new EnsembleBatch(y0s, ps), 0, 1, new SolverOptions { FixedStep = -1 }));
        Assert.Throws<ArgumentException>(() => Ode.Solve(lorenz, new EnsembleBatch(y0s, ps), 0, 1, new SolverOptions { SaveAt = [0.5, 0.2] }));
        Assert.Throws<ArgumentException>(() => Ode.Solve(lorenz, new EnsembleBatch(y0s, ps), 0, 1, new SolverOptions { SaveAt = [2] }));
        Assert.Throws<ArgumentException>(() => Ode.Solve(lorenz, new EnsembleBatch(y0s, ps), 0, 1, new SolverOptions { SaveSteps = true }));
        Assert.Throws<ArgumentException>(() => Ode.Solve(lorenz, new EnsembleBatch(y0s, ps), 0, 1, new SolverOptions { RelTol = -1 }));
        Assert.Throws<ArgumentException>(() => Ode.Solve(lorenz, new EnsembleBatch(y0s, ps), 0, 1, new SolverOptions { AbsTolVector = [1e-9, 1e-9] }));
        Assert.Throws<ArgumentException>(() => Ode.Solve(lorenz, new EnsembleBatch(y0s, ps), 0, 1, new SolverOptions { AbsTolVector = [1e-9, double.NaN, 1e-9] }));
        Assert.Throws<ArgumentException>(() => Ode.Solve(lorenz, new EnsembleBatch(y0s, ps), 0, 1, null, new EnsembleOptions { MaxDegreeOfParallelism = 0 }));
        Assert.Throws<ArgumentException>(() => Ode.Solve(lorenz, new EnsembleBatch(y0s, ps), 0, 1, null, new EnsembleOptions { Width = (LaneWidth)42 }));
        var kept = Assert.Throws<ArgumentException>(() => Ode.Solve(lorenz, new EnsembleBatch(y0s, ps), 0, 1, null, new EnsembleOptions { KeptBytes = -1 }));
        Assert.Contains("KeptBytes", kept.Message);
        Assert.Throws<ArgumentException>(() => Ode.Gradient(lorenz, new EnsembleBatch(y0s, ps), 0, [1], new double[5], Sensitivity.DiscreteAdjoint));
        var seed = new double[12];
        seed[3] = double.NaN;
        Assert.Throws<ArgumentException>(() => Ode.Gradient(lorenz, new EnsembleBatch(y0s, ps), 0, [1], seed, Sensitivity.DiscreteAdjoint));
    }
}

// After warm-up a block solve allocates nothing, however many steps it takes (exact: this thread's allocations).
public class EnsembleAllocationTests
{
    [Fact]
    public void SolvingInto_AnEarlierSolution_AllocatesAlmostNothing()
    {
        // The call's bookkeeping, whatever the number of trajectories (the workers are kept by the destination: see
        // EnsembleKeptWorkerAllocationTests for the bound, on one thread and two).
        long small = BytesSolvingInto(2000), large = BytesSolvingInto(8000);
        Assert.True(small < 24 * 1024, $"{small} bytes allocated");
        Assert.True(Math.Abs(large - small) < 1024, $"{small} bytes for 2,000 trajectories, {large} for 8,000");
    }

    private static long BytesSolvingInto(int count)
    {
        double[] y0s = LorenzStates(count), ps = LorenzParameters(count);
        var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = 1e-3, SaveAt = [0.5] };
        var one = new EnsembleOptions { MaxDegreeOfParallelism = 1 };
        EnsembleSolution into = Ode.Solve(new LorenzLanes(), new EnsembleBatch(y0s, ps), 0, 1, options, one);
        for (int i = 0; i < 3; i++) Ode.Solve(new LorenzLanes(), new EnsembleBatch(y0s, ps), 0, 1, into, options, one);   // warm-up
        return Allocations.Least(() => Ode.Solve(new LorenzLanes(), new EnsembleBatch(y0s, ps), 0, 1, into, options, one));
    }

    [Fact]
    public void ACall_AllocatesItsResults_NotCopiesOfItsInputs()
    {
        // The inputs are copied into pooled arrays (returned at the end); what remains is the result, one worker's
        // workspace and the per-trajectory bookkeeping.
        const int count = 2000;
        double[] y0s = LorenzStates(count), ps = LorenzParameters(count);
        var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = 1e-3, SaveAt = [0.5] };
        var one = new EnsembleOptions { MaxDegreeOfParallelism = 1 };
        for (int i = 0; i < 3; i++) Ode.Solve(new LorenzLanes(), new EnsembleBatch(y0s, ps), 0, 1, options, one);   // warm-up, and the pool fills
        EnsembleSolution e = null!;
        long bytes = Allocations.Least(() => e = Ode.Solve(new LorenzLanes(), new EnsembleBatch(y0s, ps), 0, 1, options, one));
        long results = 8L * (e.FinalStates.Length + e.FinalTimes.Length + e.SavedStates.Length) + 4L * e.Statuses.Length
            + (long)System.Runtime.CompilerServices.Unsafe.SizeOf<SolverStats>() * (e.TrajectoryStats.Length + e.BlockStats.Length);
        long inputs = 8L * (y0s.Length + ps.Length);
        Assert.True(bytes < results + inputs / 4, $"{bytes} bytes allocated; the results hold {results}, the inputs {inputs}");
    }

    private static long BlockBytes<TLane>(SolverOptions options, double t1) where TLane : unmanaged, ILane<TLane>
    {
        int lanes = EnsembleLayout.Registers(options) * TLane.Count, count = 2 * lanes;
        var problem = new EnsembleProblem(count, 3, 3, LorenzStates(count), LorenzParameters(count), false, 0, t1, options);
        var solution = new EnsembleSolution(count, 3, options.SaveAt, LaneWidth.Lane1, lanes);
        var worker = new EnsembleWorker<LorenzLanes, TLane>(new LorenzLanes(), problem, gradient: false);
        for (int i = 0; i < 3; i++) worker.Solve(0, solution);   // warm-up: JIT tiers
        long bytes = Allocations.Least(() => worker.Solve(1, solution));
        Assert.True(worker.Solver.Stats.Steps > 30, $"{worker.Solver.Stats.Steps} steps");
        return bytes;
    }

    public static IEnumerable<object[]> Cases() =>
        from w in new[] { "Lane1", "Lane128", "Lane256", "Lane512" }
        from m in new[] { "RK4", "Dopri5", "Dop853", "Fehlberg45" }
        select new object[] { w, m };

    [Theory]
    [MemberData(nameof(Cases))]
    public void BlockSolve_AllocatesNothing(string width, string method)
    {
        var m = OdeMethod.BuiltIn.Single(x => x.Name == method);
        var options = m.IsAdaptive
            ? new SolverOptions { Method = m, RelTol = 1e-9, AbsTol = 1e-11, SaveAt = [0.5, 1, 1.5] }
            : new SolverOptions { Method = m, FixedStep = 1e-3, SaveAt = [0.5, 1.0005, 1.5] };
        long bytes = width switch
        {
            "Lane1" => BlockBytes<Lane1>(options, 2),
            "Lane128" => BlockBytes<Lane128>(options, 2),
            "Lane256" => BlockBytes<Lane256>(options, 2),
            _ => BlockBytes<Lane512>(options, 2),
        };
        Assert.Equal(0, bytes);
    }
}

// An exception from the system's own code reaches the caller as itself, on one thread or many.
public class EnsembleExceptionTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void SystemException_IsRethrownAsItself(int threads)
    {
        double[] y0s = Enumerable.Repeat(1.0, 100).ToArray();
        var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.01 };
        var e = Assert.Throws<InvalidOperationException>(() =>
            Ode.Solve(new ThrowingLanes(), new EnsembleBatch(y0s, y0s), 0, 1, options, new EnsembleOptions { MaxDegreeOfParallelism = threads }));
        Assert.Equal("the model failed", e.Message);
    }
}
