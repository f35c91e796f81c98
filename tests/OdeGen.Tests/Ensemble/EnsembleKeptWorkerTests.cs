using OdeGen.Lanes;
using OdeGen.Tests.Generated;
using OdeGen.Tests.TestSystems;
using OdeGen.Tests.Threading;
using static OdeGen.Tests.Ensemble.EnsembleTestSupport;

namespace OdeGen.Tests.Ensemble;

// A solve into an earlier solution keeps its workers for the next solve into it (KeptEnsembleWorkers):
// every call gives the bits of a new solve on one thread, whatever changed between calls (inputs, interval, the system's
// value, the options instance, the thread count), an exception from the system reaches the caller as itself and leaves
// the destination usable, and after the first call a solve allocates nothing per block or worker, on one thread or two.
public class EnsembleKeptWorkerTests
{
    private const int N = 203;   // blocks of 32, 16, 8 or 4 trajectories: several per thread, the last one padded

    // Generated Lorenz (fused fixed steps, the register form) and the hand-written lane Lorenz (every stage through spans).
    public static IEnumerable<object[]> Cases() =>
        from w in Widths
        from s in new[] { "generated", "hand-written" }
        select new object[] { w, s };

    [Theory]
    [MemberData(nameof(Cases))]
    public void RepeatedSolvesInto_AreTheBitsOfNewOneThreadSolves(LaneWidth width, string system)
    {
        if (system == "generated") Repeat(new Lorenz.RhsSystem(), width);
        else Repeat(new LorenzLanes(), width);
    }

    private static void Repeat<TSystem>(TSystem system, LaneWidth width) where TSystem : struct, IOdeLaneSystem
    {
        var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = 1.0 / 512, SaveAt = [0.25, 0.5] };
        double[] ps = LorenzParameters(N);
        EnsembleSolution into = Ode.Solve(system, new EnsembleBatch(LorenzStates(N, seed: 1), ps), 0, 1, options, Force(width, 2));
        // Threads 2, 2, 1, 2: the kept workers serve calls with new inputs and intervals, and a change of thread count.
        int[] threads = [2, 2, 1, 2];
        for (int call = 0; call < threads.Length; call++)
        {
            double[] y0s = LorenzStates(N, seed: 20 + call);
            double t1 = 0.75 + 0.125 * call;
            if (call == 1) y0s[3 * 17] = double.NaN;   // a failed trajectory: NaN saves, not the earlier call's
            EnsembleSolution expected = Ode.Solve(system, new EnsembleBatch(y0s, ps), 0, t1, options, Force(width, 1));
            Ode.Solve(system, new EnsembleBatch(y0s, ps), 0, t1, into, options, Force(width, threads[call]));
            AssertSameBits(expected, into);
        }
    }

    private static void AssertSameBits(EnsembleSolution expected, EnsembleSolution actual)
    {
        Assert.Equal(expected.FinalStates, actual.FinalStates);
        Assert.Equal(expected.FinalTimes, actual.FinalTimes);
        Assert.Equal(expected.SavedStates, actual.SavedStates);
        Assert.Equal(expected.Statuses, actual.Statuses);
        Assert.Equal(expected.TrajectoryStats, actual.TrajectoryStats);
        Assert.Equal(expected.BlockStats, actual.BlockStats);
    }

    /// <summary>y' = −rate·y: a system whose value (its rate) the kept workers must not outlive.</summary>
    private readonly struct Decay(double rate) : IOdeLaneSystem
    {
        public int StateCount => 1;
        public int ParameterCount => 1;
        public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = -rate * p[0] * y[0];
        public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot,
            ReadOnlySpan<double> pDot, Span<double> dydt, Span<double> dydtDot) => throw new NotSupportedException();
        public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar) =>
            throw new NotSupportedException();
        public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp) =>
            throw new NotSupportedException();
        public void EvaluateLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, Span<TLane> dydt)
            where TLane : unmanaged, ILane<TLane> => dydt[0] = TLane.Create(-rate) * p[0] * y[0];
        public void JvpLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, double tDot, ReadOnlySpan<TLane> yDot,
            ReadOnlySpan<TLane> pDot, Span<TLane> dydt, Span<TLane> dydtDot) where TLane : unmanaged, ILane<TLane> => throw new NotSupportedException();
        public TLane VjpLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, ReadOnlySpan<TLane> a,
            Span<TLane> yBar, Span<TLane> pBar) where TLane : unmanaged, ILane<TLane> => throw new NotSupportedException();
    }

    [Fact]
    public void ASystemOfAnotherValue_OrNewOptions_GetNewWorkers()
    {
        double[] y0s = Enumerable.Range(1, 50).Select(i => (double)i).ToArray(), ps = Enumerable.Repeat(1.0, 50).ToArray();
        var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.01 };
        EnsembleSolution into = Ode.Solve(new Decay(1), new EnsembleBatch(y0s, ps), 0, 1, options, Force(LaneWidth.Lane256, 2));
        foreach ((double rate, SolverOptions o) in new[] { (2.0, options), (2.0, new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.02 }), (1.0, options) })
        {
            EnsembleSolution expected = Ode.Solve(new Decay(rate), new EnsembleBatch(y0s, ps), 0, 1, o, Force(LaneWidth.Lane256, 1));
            Ode.Solve(new Decay(rate), new EnsembleBatch(y0s, ps), 0, 1, into, o, Force(LaneWidth.Lane256, 2));
            AssertSameBits(expected, into);
        }
        Assert.Equal(Math.Exp(-1.0), into.FinalStates[0], 1e-8);
    }

    // SolverOptions is immutable but for its arrays' contents: a caller may change an absolute tolerance vector in place
    // between calls. The kept workers took their tolerances from it, so the next call must not reuse them.
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void AnAbsoluteToleranceVectorChangedInPlace_IsTheNextCallsTolerance(int threads)
    {
        double[] ps = LorenzParameters(N), y0s = LorenzStates(N, seed: 3), atol = [1e-3, 1e-3, 1e-3];
        var options = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-3, AbsTolVector = atol };
        EnsembleSolution into = Ode.Solve(new Lorenz.RhsSystem(), new EnsembleBatch(y0s, ps), 0, 1, options, Force(LaneWidth.Lane256, threads));
        Ode.Solve(new Lorenz.RhsSystem(), new EnsembleBatch(y0s, ps), 0, 1, into, options, Force(LaneWidth.Lane256, threads));   // workers kept
        atol.AsSpan().Fill(1e-9);
        var fresh = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-3, AbsTolVector = [1e-9, 1e-9, 1e-9] };
        EnsembleSolution expected = Ode.Solve(new Lorenz.RhsSystem(), new EnsembleBatch(y0s, ps), 0, 1, fresh, Force(LaneWidth.Lane256, 1));
        Ode.Solve(new Lorenz.RhsSystem(), new EnsembleBatch(y0s, ps), 0, 1, into, options, Force(LaneWidth.Lane256, threads));
        AssertSameBits(expected, into);
        // A negative tolerance written in place is refused as it would be in a new options object.
        atol[1] = -1;
        Assert.Throws<ArgumentException>(() =>
            Ode.Solve(new Lorenz.RhsSystem(), new EnsembleBatch(y0s, ps), 0, 1, into, options, Force(LaneWidth.Lane256, threads)));
    }

    // The models' reusing solve (LaneOdeBlock): its workspace keeps the problem and skips the option checks for options it
    // has checked; a tolerance vector or save times changed in place make both stale.
    [Fact]
    public void TheReusingSolve_SeesArraysOfItsOptionsChangedInPlace()
    {
        double[] p = [10, 28, 8.0 / 3], y0s = LorenzStates(N, seed: 5), atol = [1e-3, 1e-3, 1e-3], saveAt = [0.25];
        var options = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-3, AbsTolVector = atol, SaveAt = saveAt };
        var ensemble = Force(LaneWidth.Lane256, 1);
        var workspace = new global::OdeGen.Ensemble.LaneSolveWorkspace<Lorenz.RhsSystem>();
        Ode.SolveReusing(new Lorenz.RhsSystem(), workspace, y0s, p, 0, 1, options, ensemble);
        atol.AsSpan().Fill(1e-9);
        saveAt[0] = 0.5;
        var fresh = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-3, AbsTolVector = [1e-9, 1e-9, 1e-9], SaveAt = [0.5] };
        EnsembleSolution expected = Ode.Solve(new Lorenz.RhsSystem(), EnsembleBatch.Shared(y0s, p), 0, 1, fresh, ensemble);
        AssertSameBits(expected, Ode.SolveReusing(new Lorenz.RhsSystem(), workspace, y0s, p, 0, 1, options, ensemble));
        saveAt[0] = 2;   // outside [t0, t1]: refused, not skipped as checked
        Assert.Throws<ArgumentException>(() => { Ode.SolveReusing(new Lorenz.RhsSystem(), workspace, y0s, p, 0, 1, options, ensemble); });
    }

    // Ensembles refuse events (the lanes share their steps). An event added in place to the options' list after a first
    // call must be refused by the next call too, not skipped as checked and then ignored.
    [Fact]
    public void TheReusingSolve_RefusesAnEventAddedInPlace()
    {
        double[] p = [10, 28, 8.0 / 3], y0s = LorenzStates(N, seed: 7);
        var events = new List<OdeEvent>();
        var options = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-3, AbsTol = 1e-3, Events = events };
        var ensemble = Force(LaneWidth.Lane256, 1);
        var workspace = new global::OdeGen.Ensemble.LaneSolveWorkspace<Lorenz.RhsSystem>();
        Ode.SolveReusing(new Lorenz.RhsSystem(), workspace, y0s, p, 0, 1, options, ensemble);
        events.Add(OdeEvent.StateCrossing(0, level: 0.0));
        Assert.Throws<ArgumentException>(() => { Ode.SolveReusing(new Lorenz.RhsSystem(), workspace, y0s, p, 0, 1, options, ensemble); });
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void AnExceptionFromTheSystem_ReachesTheCallerAsItself_AndTheDestinationStaysUsable(int threads)
    {
        double[] y0s = Enumerable.Repeat(1.0, 100).ToArray();
        var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.01 };
        EnsembleSolution into = Ode.Solve(new ThrowingLanes(), new EnsembleBatch(y0s, y0s), 0, 0.4, options, Force(LaneWidth.Lane256, threads));
        Ode.Solve(new ThrowingLanes(), new EnsembleBatch(y0s, y0s), 0, 0.4, into, options, Force(LaneWidth.Lane256, threads));   // workers kept
        var e = Assert.Throws<InvalidOperationException>(() =>
            Ode.Solve(new ThrowingLanes(), new EnsembleBatch(y0s, y0s), 0, 1, into, options, Force(LaneWidth.Lane256, threads)));
        Assert.Equal("the model failed", e.Message);
        EnsembleSolution expected = Ode.Solve(new ThrowingLanes(), new EnsembleBatch(y0s, y0s), 0, 0.45, options, Force(LaneWidth.Lane256, 1));
        Ode.Solve(new ThrowingLanes(), new EnsembleBatch(y0s, y0s), 0, 0.45, into, options, Force(LaneWidth.Lane256, threads));
        AssertSameBits(expected, into);
    }
}

// Every thread's allocations (a helper thread's workers are not on the caller's count): alone, after the parallel tests.
[Collection(WholeProcessAllocations.Name)]
public class EnsembleKeptWorkerAllocationTests
{
    [Theory]
    [InlineData(1, "generated")]
    [InlineData(2, "generated")]
    [InlineData(1, "hand-written")]
    [InlineData(2, "hand-written")]
    public void SolvingInto_AllocatesNothingPerBlockOrWorker_AfterTheFirstCall(int threads, string system)
    {
        long bytes = system == "generated" ? BytesSolvingInto(new Lorenz.RhsSystem(), threads) : BytesSolvingInto(new LorenzLanes(), threads);
        // One thread: the call's problem object (88 bytes; its inputs are pooled arrays) and nothing per block or worker.
        // Two: Parallel.For's own options, tasks and replicas besides (1.8 KB here), still nothing per block or worker
        // (new workers were 26 KB a call on one thread, 82 KB on two).
        Assert.True(bytes < (threads == 1 ? 256 : 4096), $"{bytes} bytes allocated on {threads} thread(s)");
    }

    // Short calls (100 steps), so that few windows hold the test host's own work on its other threads.
    private static long BytesSolvingInto<TSystem>(TSystem system, int threads) where TSystem : struct, IOdeLaneSystem
    {
        const int count = 2000;
        double[] y0s = LorenzStates(count), ps = LorenzParameters(count);
        var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = 1e-3, SaveAt = [0.05] };
        var ensemble = new EnsembleOptions { MaxDegreeOfParallelism = threads };
        EnsembleSolution into = Ode.Solve(system, new EnsembleBatch(y0s, ps), 0, 0.1, options, ensemble);
        for (int i = 0; i < 20; i++) Ode.Solve(system, new EnsembleBatch(y0s, ps), 0, 0.1, into, options, ensemble);   // warm-up: JIT tiers, the pool
        return WholeProcessAllocations.Least(() => Ode.Solve(system, new EnsembleBatch(y0s, ps), 0, 0.1, into, options, ensemble), windows: 10);
    }
}
