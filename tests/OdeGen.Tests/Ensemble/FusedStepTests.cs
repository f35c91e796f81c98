using System.Runtime.Intrinsics;
using OdeGen.Ensemble;
using OdeGen.Lanes;
using OdeGen.Solvers;
using OdeGen.Tests.Generated;
using OdeGen.Tests.TestSystems;
using static OdeGen.Tests.Ensemble.EnsembleTestSupport;

namespace OdeGen.Tests.Ensemble;

// Fused fixed steps (EnsembleOptions.FusedSteps, on by default, for generated straight-line systems): each lane equals a
// scalar RK whose stage sums are fused multiply-adds, bit for bit, at every width; fused and unfused solves take the
// same steps and agree to rounding; failures, MaxSteps and saves behave as without fusion; a block allocates nothing.
public class FusedStepTests
{
    private static readonly Lorenz.RhsSystem Lorenz = new();
    private static readonly Forced.RhsSystem Oscillator = new();
    private static readonly BlowUp.RhsSystem Blow = new();
    private const int N = 13;   // not a multiple of 2, 4 or 8: the last block is padded
    private const double Dt = 1.0 / 1024;   // t0 + k·h exact, so the scalar reference's times are the solver's

    // Every kernel: 1, 2 (Midpoint has b1 = 0), 3 and 4 stages, the classic chain and a full 4-stage (3/8 rule).
    private static OdeMethod Method(string name) => FusedStepCases.Method(name);

    public static IEnumerable<object[]> Cases() =>
        from w in Widths
        from m in new[] { "Euler", "Midpoint", "Heun", "HeunEuler", "Kutta3", "RK4", "3/8" }
        select new object[] { w, m };

    [Fact]
    public void StraightLineSystems_AreFused_LoopSystemsAreNot()
    {
        Assert.IsAssignableFrom<IOdeFusedLaneSystem>(Lorenz);
        Assert.IsAssignableFrom<IOdeFusedLaneSystem>(new Pendulum.RhsSystem());
        Assert.False(typeof(IOdeFusedLaneSystem).IsAssignableFrom(typeof(LaneMlp.RhsSystem)), "the MLP's loops stay loops: no register form");
        Assert.Null(FusedStepPlan.For(OdeMethod.Dopri5.Tableau, 0.1));   // FSAL, 7 stages: the general step
        Assert.Null(FusedStepPlan.For(OdeMethod.Dop853.Tableau, 0.1));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FusedLanes_EqualAScalarRkWithFusedSums_BitForBit(LaneWidth width, string method)
    {
        OdeMethod m = Method(method);
        var options = new SolverOptions { Method = m, FixedStep = Dt };
        double[] y0s = LorenzStates(N), ps = LorenzParameters(N);
        EnsembleSolution e = Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), 0, 1, options, Force(width));
        for (int j = 0; j < N; j++)
        {
            double[] expected = FmaReference(Lorenz, m.Tableau, y0s[(3 * j)..(3 * j + 3)], ps[(3 * j)..(3 * j + 3)], 0, Dt, 1024);
            Assert.Equal(OdeStatus.Success, e.Statuses[j]);
            Assert.Equal(expected, e.FinalState(j).ToArray());
            Assert.Equal(1024, e.TrajectoryStats[j].Steps);
        }
    }

    [Theory]
    [MemberData(nameof(AllWidths), MemberType = typeof(EnsembleTestSupport))]
    public void TimeDependentDynamics_SeeTheStageTimes(LaneWidth width)
    {
        // Forwards and backwards: step k starts at t0 + k·h and stage i is evaluated at that + c_i·h.
        double[] y0s = [1, 0, 0.5, -0.2, -1, 0.3], ps = [4, 0.1, 3, 9, 0.5, -2, 1, 0, 5];
        foreach ((double t0, double t1) in new[] { (0.0, 2.0), (2.0, 0.0) })
        {
            var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = Dt };
            EnsembleSolution e = Ode.Solve(Oscillator, new EnsembleBatch(y0s, ps), t0, t1, options, Force(width));
            double h = t1 > t0 ? Dt : -Dt;
            for (int j = 0; j < 3; j++)
                Assert.Equal(FmaReference(Oscillator, OdeMethod.RK4.Tableau, y0s[(2 * j)..(2 * j + 2)], ps[(3 * j)..(3 * j + 3)], t0, h, 2048),
                    e.FinalState(j).ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FusedAndUnfused_TakeTheSameSteps_AndAgreeToRounding(LaneWidth width, string method)
    {
        var options = new SolverOptions { Method = Method(method), FixedStep = 1e-3, SaveAt = [0, 0.25, 0.3337, 1] };
        double[] y0s = LorenzStates(N), ps = LorenzParameters(N);
        EnsembleSolution fused = Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), 0, 1, options, Force(width));
        EnsembleSolution plain = Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), 0, 1, options, new EnsembleOptions { Width = width, FusedSteps = false });
        for (int j = 0; j < N; j++)
        {
            OdeSolution scalar = Ode.Solve(Lorenz, y0s.AsSpan(3 * j, 3), ps.AsSpan(3 * j, 3), 0, 1, options);
            Assert.Equal(plain.TrajectoryStats[j].Steps, fused.TrajectoryStats[j].Steps);
            Assert.Equal(plain.TrajectoryStats[j].FunctionEvaluations, fused.TrajectoryStats[j].FunctionEvaluations);
            Assert.Equal(scalar.Stats.FunctionEvaluations, fused.TrajectoryStats[j].FunctionEvaluations);
            // One rounding per term instead of two, over 1,000 steps of a chaotic system.
            Assert.True(MaxRelative(fused.FinalState(j), plain.FinalState(j)) <= 1e-11, $"trajectory {j}: {MaxRelative(fused.FinalState(j), plain.FinalState(j))}");
            for (int k = 0; k < options.SaveAt.Length; k++)
                Assert.True(MaxRelative(fused.Saved(j, k), plain.Saved(j, k)) <= 1e-11, $"trajectory {j}, save {k}");
        }
    }

    [Theory]
    [InlineData(0.0, 0.01)]      // shorter than one run of fused steps
    [InlineData(0.0, 0.3)]       // not a whole number of runs, no save time at the end
    [InlineData(0.3, -0.2777)]   // backwards, through t = 0, ending off the grid
    [InlineData(-1.0, 1.0)]      // through t = 0, where the minimum step is smallest
    public void RunsEndWhereTheUnfusedSolverEnds(double t0, double t1)
    {
        var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = 1e-3 };
        double[] y0s = LorenzStates(N), ps = LorenzParameters(N);
        EnsembleSolution fused = Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), t0, t1, options);
        EnsembleSolution plain = Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), t0, t1, options, new EnsembleOptions { FusedSteps = false });
        for (int j = 0; j < N; j++)
        {
            Assert.Equal(OdeStatus.Success, fused.Statuses[j]);
            Assert.Equal(t1, fused.FinalTimes[j]);
            Assert.Equal(plain.TrajectoryStats[j].Steps, fused.TrajectoryStats[j].Steps);
            Assert.True(MaxRelative(fused.FinalState(j), plain.FinalState(j)) <= 1e-11);
        }
    }

    [Fact]
    public void FusedResults_DoNotDependOnWidthOrThreads()
    {
        var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = 1e-3, SaveAt = [0.5, 1] };
        double[] y0s = LorenzStates(37), ps = LorenzParameters(37);
        EnsembleSolution first = Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), 0, 1, options, Force(LaneWidth.Lane1, 1));
        foreach (LaneWidth w in Widths)
            foreach (int? threads in new int?[] { 1, null })
            {
                EnsembleSolution e = Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), 0, 1, options, Force(w, threads));
                Assert.Equal(first.FinalStates, e.FinalStates);
                Assert.Equal(first.SavedStates, e.SavedStates);
            }
    }

    [Theory]
    [MemberData(nameof(AllWidths), MemberType = typeof(EnsembleTestSupport))]
    public void OneLaneOverflows_RetiresAsWithoutFusion_TheOthersKeepTheirBits(LaneWidth width)
    {
        // Rate 3 blows up at t = 1/3, inside the first fused run; its block falls back to the general step.
        double[] rates = [0.1, 0.5, 3, 0.2, 0.7, 0.05, 0.9, 0.3, 0.4, 0.6, 0.8];
        double[] y0s = Enumerable.Repeat(1.0, rates.Length).ToArray();
        var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = Dt };
        EnsembleSolution fused = Ode.Solve(Blow, new EnsembleBatch(y0s, rates), 0, 1, options, Force(width));
        EnsembleSolution plain = Ode.Solve(Blow, new EnsembleBatch(y0s, rates), 0, 1, options, new EnsembleOptions { Width = width, FusedSteps = false });
        for (int j = 0; j < rates.Length; j++)
        {
            Assert.Equal(plain.Statuses[j], fused.Statuses[j]);
            Assert.Equal(plain.FinalTimes[j], fused.FinalTimes[j]);
            if (j == 2)
            {
                // The last finite state before the blow-up (~1e72): near the pole the rounding of the sums is amplified.
                Assert.Equal(OdeStatus.NonFiniteValue, fused.Statuses[j]);
                Assert.Equal(plain.FinalStates[j], fused.FinalStates[j], 1e-9 * Math.Abs(plain.FinalStates[j]));
                continue;
            }

            Assert.Equal(FmaReference(Blow, OdeMethod.RK4.Tableau, [1.0], [rates[j]], 0, Dt, 1024), fused.FinalState(j).ToArray());
        }
    }

    [Fact]
    public void MaxSteps_StopsFusedRunsWhereTheUnfusedSolverStops()
    {
        var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = Dt, MaxSteps = 300 };
        double[] y0s = LorenzStates(N), ps = LorenzParameters(N);
        EnsembleSolution fused = Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), 0, 1, options);
        EnsembleSolution plain = Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), 0, 1, options, new EnsembleOptions { FusedSteps = false });
        for (int j = 0; j < N; j++)
        {
            Assert.Equal(OdeStatus.MaxStepsExceeded, fused.Statuses[j]);
            Assert.Equal(plain.FinalTimes[j], fused.FinalTimes[j]);
            Assert.Equal(300, fused.TrajectoryStats[j].Steps);
            Assert.Equal(FmaReference(Lorenz, OdeMethod.RK4.Tableau, y0s[(3 * j)..(3 * j + 3)], ps[(3 * j)..(3 * j + 3)], 0, Dt, 300), fused.FinalState(j).ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TheGeneratedStepper_EqualsTheScalarReference(LaneWidth width, string method)
    {
        // The kernel alone, through the generated IOdeFusedLaneSystem member: 3 registers, 300 steps from step 5.
        ButcherTableau tableau = Method(method).Tableau;
        FusedStepPlan plan = FusedStepPlan.For(tableau, Dt)!;
        switch (width)
        {
            case LaneWidth.Lane1: Check<Lane1>(); break;
            case LaneWidth.Lane128: Check<Lane128>(); break;
            case LaneWidth.Lane256: Check<Lane256>(); break;
            default: Check<Lane512>(); break;
        }

        void Check<TLane>() where TLane : unmanaged, ILane<TLane>
        {
            int w = TLane.Count, lanes = 3 * w;
            double[] y0s = LorenzStates(lanes), ps = LorenzParameters(lanes);
            TLane[] y = new TLane[9], p = new TLane[9];
            var column = new double[w];
            for (int g = 0; g < 3; g++)
                for (int q = 0; q < 3; q++)
                {
                    for (int l = 0; l < w; l++) column[l] = y0s[3 * (g * w + l) + q];
                    y[3 * g + q] = TLane.Load(column);
                    for (int l = 0; l < w; l++) column[l] = ps[3 * (g * w + l) + q];
                    p[3 * g + q] = TLane.Load(column);
                }
            TLane bad = Lorenz.FusedFixedSteps(plan, 0.25, 5, 300, y, p);
            Assert.True(TLane.AllFinite(bad));
            for (int lane = 0; lane < lanes; lane++)
            {
                int g = lane / w, l = lane % w;
                // The reference starts at step 5: t0 + 5h, then counts on (exact with h = 2⁻¹⁰).
                double[] expected = FmaReference(Lorenz, tableau, y0s[(3 * lane)..(3 * lane + 3)], ps[(3 * lane)..(3 * lane + 3)], 0.25 + 5 * Dt, Dt, 300);
                Assert.Equal(expected, Enumerable.Range(0, 3).Select(q => TLane.GetLane(y[3 * g + q], l)).ToArray());
            }
        }
    }

    [Fact]
    public void TheGeneratedStepper_ReportsNonFiniteLanes()
    {
        // Two lanes of y' = p·y² from y = 1: rate 0.1 stays finite over [0, 1], rate 3 blows up at t = 1/3.
        Lane128[] y = [new(Vector128.Create(1.0, 1.0))], p = [new(Vector128.Create(0.1, 3.0))];
        Lane128 bad = Blow.FusedFixedSteps(FusedStepPlan.For(OdeMethod.RK4.Tableau, Dt)!, 0, 0, 1024, y, p);
        Assert.Equal(0.0, Lane128.GetLane(bad, 0));
        Assert.True(double.IsNaN(Lane128.GetLane(bad, 1)));
    }

    [Fact]
    public void Gradients_RecordUnfusedSteps()
    {
        // The discrete adjoint replays the unfused forward arithmetic: the fused option changes nothing there.
        var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = 1e-2 };
        double[] y0s = LorenzStates(5), ps = LorenzParameters(5), seed = Enumerable.Repeat(1.0, 15).ToArray();
        EnsembleGradient a = Ode.Gradient(Lorenz, new EnsembleBatch(y0s, ps), 0, [0.5], seed, Sensitivity.DiscreteAdjoint, options);
        EnsembleGradient b = Ode.Gradient(Lorenz, new EnsembleBatch(y0s, ps), 0, [0.5], seed, Sensitivity.DiscreteAdjoint, options, new EnsembleOptions { FusedSteps = false });
        Assert.Equal(b.Solution.FinalStates, a.Solution.FinalStates);
        Assert.Equal(b.Parameters, a.Parameters);
    }

    [Fact]
    public void FusedBlock_AllocatesNothing()
    {
        Assert.Equal(0, BlockBytes<Lane512>());
        Assert.Equal(0, BlockBytes<Lane256>());
        Assert.Equal(0, BlockBytes<Lane1>());
    }

    private static long BlockBytes<TLane>() where TLane : unmanaged, ILane<TLane>
    {
        var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = 1e-3, SaveAt = [0.5, 2] };
        int lanes = EnsembleLayout.Registers(options) * TLane.Count, count = 2 * lanes;
        var problem = new EnsembleProblem(count, 3, 3, LorenzStates(count), LorenzParameters(count), false, 0, 2, options) { FusedSteps = true };
        var solution = new EnsembleSolution(count, 3, options.SaveAt, LaneWidth.Lane1, lanes);
        var worker = new EnsembleWorker<Lorenz.RhsSystem, TLane>(Lorenz, problem, gradient: false);
        for (int i = 0; i < 3; i++) worker.Solve(0, solution);   // warm-up: JIT tiers
        long bytes = Allocations.Least(() => worker.Solve(1, solution));
        Assert.Equal(2000, worker.Solver.Stats.Steps);
        // All but the first step after each save (0.5) and the last, in runs of up to 128.
        Assert.True(worker.Solver.FusedStepCount >= 1990, $"{worker.Solver.FusedStepCount} fused steps");
        return bytes;
    }

    // One trajectory with the generated scalar f: step k starts at t0 + k·h, stage sums y + Σ_j (h·a_ij)·k_j and the
    // update y + Σ_i (h·b_i)·k_i as one fused multiply-add per term, every weight of the tableau included.
    private static double[] FmaReference<TSystem>(in TSystem f, ButcherTableau tableau, double[] y0, double[] p, double t0, double h, int steps)
        where TSystem : struct, IOdeSystem
    {
        int n = y0.Length, s = tableau.Stages;
        double[] y = (double[])y0.Clone(), arg = new double[n];
        double[][] k = Enumerable.Range(0, s).Select(_ => new double[n]).ToArray();
        for (long j = 0; j < steps; j++)
        {
            double t = t0 + j * h;
            for (int i = 0; i < s; i++)
            {
                y.CopyTo(arg, 0);
                for (int m = 0; m < i; m++)
                    for (int q = 0; q < n; q++) arg[q] = Math.FusedMultiplyAdd(h * tableau.A[i * s + m], k[m][q], arg[q]);
                f.Evaluate(t + tableau.C[i] * h, arg, p, k[i]);
            }
            for (int i = 0; i < s; i++)
                for (int q = 0; q < n; q++) y[q] = Math.FusedMultiplyAdd(h * tableau.B[i], k[i][q], y[q]);
        }
        return y;
    }
}
