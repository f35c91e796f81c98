using OdeGen.Tests.Generated;
using Xunit.Abstractions;
using static OdeGen.Tests.Ensemble.EnsembleTestSupport;

namespace OdeGen.Tests.Ensemble;

// An ensemble equals N independent scalar solves with the same method: to rounding for fixed steps (the lane stepper
// does the scalar integrator's arithmetic), to the tolerance for adaptive ones (the lanes share steps), and exactly
// for adaptive ones at width 1 (one lane: the scalar step sequence).
public class EnsembleSolveTests(ITestOutputHelper output)
{
    private static readonly LorenzLanes Lorenz = new();
    private const int N = 13;   // not a multiple of 2, 4 or 8: the last block is padded

    public static IEnumerable<object[]> FixedCases() =>
        from w in Widths
        from m in OdeMethod.BuiltIn
        select new object[] { w, m.Name };

    [Theory]
    [MemberData(nameof(FixedCases))]
    public void FixedStep_EqualsScalarSolves(LaneWidth width, string method)
    {
        var options = new SolverOptions { Method = OdeMethod.BuiltIn.Single(m => m.Name == method), FixedStep = 1e-3, SaveAt = [0, 0.25, 0.3337, 1] };
        double[] y0s = LorenzStates(N), ps = LorenzParameters(N);
        EnsembleSolution e = Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), 0, 1, options, Force(width));
        Assert.Equal(width, e.Width);
        Assert.Equal((N + e.LanesPerBlock - 1) / e.LanesPerBlock, e.BlockStats.Length);
        for (int j = 0; j < N; j++)
        {
            OdeSolution s = Ode.Solve(Lorenz, y0s.AsSpan(3 * j, 3), ps.AsSpan(3 * j, 3), 0, 1, options);
            Assert.Equal(OdeStatus.Success, e.Statuses[j]);
            Assert.Equal(1.0, e.FinalTimes[j]);
            Assert.True(MaxRelative(e.FinalState(j), s.FinalState) <= 1e-14, $"trajectory {j}: {MaxRelative(e.FinalState(j), s.FinalState)}");
            for (int k = 0; k < options.SaveAt.Length; k++)
                Assert.True(MaxRelative(e.Saved(j, k), s.State(k)) <= 1e-14, $"trajectory {j}, save {k}");
            Assert.Equal(s.Stats.Steps, e.TrajectoryStats[j].Steps);
        }
    }

    [Fact]
    public void FixedStep_AgreesWithGeneratedLorenz()
    {
        var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = 1e-3 };
        double[] y0s = LorenzStates(N), ps = LorenzParameters(N);
        EnsembleSolution e = Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), 0, 1, options);
        var generated = new Lorenz.RhsSystem();
        for (int j = 0; j < N; j++)
        {
            OdeSolution s = Ode.Solve(generated, y0s.AsSpan(3 * j, 3), ps.AsSpan(3 * j, 3), 0, 1, options);
            Assert.True(MaxRelative(e.FinalState(j), s.FinalState) <= 1e-13);
        }
    }

    public static IEnumerable<object[]> AdaptiveCases() =>
        from w in Widths
        from m in OdeMethod.BuiltIn.Where(m => m.IsAdaptive)
        select new object[] { w, m.Name };

    [Theory]
    [MemberData(nameof(AdaptiveCases))]
    public void Adaptive_EqualsScalarSolvesToTheTolerance(LaneWidth width, string method)
    {
        OdeMethod m = OdeMethod.BuiltIn.Single(m => m.Name == method);
        double rtol = m.Order <= 2 ? 1e-6 : 1e-8;   // HeunEuler would need ~10⁶ steps at 1e-8
        var options = new SolverOptions { Method = m, RelTol = rtol, AbsTol = rtol / 100, SaveAt = [0.5, 1] };
        double[] y0s = LorenzStates(N), ps = LorenzParameters(N);
        EnsembleSolution e = Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), 0, 1, options, Force(width));
        int lanes = e.LanesPerBlock;
        double worst = 0;
        for (int j = 0; j < N; j++)
        {
            OdeSolution s = Ode.Solve(Lorenz, y0s.AsSpan(3 * j, 3), ps.AsSpan(3 * j, 3), 0, 1, options);
            Assert.Equal(OdeStatus.Success, e.Statuses[j]);
            double d = Math.Max(MaxRelative(e.FinalState(j), s.FinalState), MaxRelative(e.Saved(j, 0), s.State(0)));
            worst = Math.Max(worst, d);
            SolverStats block = e.BlockStats[j / lanes];
            Assert.Equal(block.Steps, e.TrajectoryStats[j].Steps);
            if (width == LaneWidth.Lane1)
            {
                // One lane: the scalar solver's steps, states and work exactly.
                Assert.Equal(s.Stats.Steps, block.Steps);
                Assert.Equal(s.Stats.RejectedSteps, block.RejectedSteps);
                Assert.Equal(s.Stats.FunctionEvaluations, block.FunctionEvaluations);
                Assert.True(d <= 1e-14, $"trajectory {j}: {d}");
            }
            else
            {
                // The shared step is at least as careful as the lane's own: about as many steps as the most demanding lane.
                Assert.True(block.Steps >= 0.8 * s.Stats.Steps, $"block {j / lanes}: {block.Steps} steps, scalar {s.Stats.Steps}");
            }
        }
        output.WriteLine($"{method} at {width}: worst relative difference from the scalar solves {worst:e2}; steps per block {string.Join(", ", e.BlockStats.Select(b => b.Steps))}");
        // Both solutions are within the tolerance of the true one (Lorenz over [0, 1] amplifies local errors ~10-100×).
        Assert.True(worst <= 2000 * rtol, $"worst {worst}");
    }

    [Theory]
    [MemberData(nameof(AllWidths), MemberType = typeof(EnsembleTestSupport))]
    public void SolveEnsembleInto_EqualsANewSolve_AndOverwritesEverything(LaneWidth width)
    {
        var fixedStep = new SolverOptions { Method = OdeMethod.RK4, FixedStep = 1e-3, SaveAt = [0.25, 0.7] };
        var adaptive = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-8, AbsTol = 1e-10, SaveAt = [0.25, 0.7] };
        double[] y0s = LorenzStates(N), ps = LorenzParameters(N), other = LorenzStates(N, seed: 3);
        foreach (SolverOptions options in new[] { fixedStep, adaptive })
        {
            EnsembleSolution into = Ode.Solve(Lorenz, new EnsembleBatch(other, ps), 0, 1, options, Force(width));
            // A trajectory that fails leaves NaN in its later saves: they must not keep the earlier call's values.
            y0s[3 * 5] = double.NaN;
            EnsembleSolution expected = Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), 0, 1, options, Force(width));
            Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), 0, 1, into, options, Force(width));
            Assert.Equal(expected.FinalStates, into.FinalStates);
            Assert.Equal(expected.FinalTimes, into.FinalTimes);
            Assert.Equal(expected.SavedStates, into.SavedStates);
            Assert.Equal(expected.Statuses, into.Statuses);
            Assert.Equal(expected.TrajectoryStats, into.TrajectoryStats);
            Assert.Equal(expected.BlockStats, into.BlockStats);
            y0s[3 * 5] = 1;
        }
    }

    [Fact]
    public void SolveEnsembleInto_ADestinationOfAnotherShape_Throws()
    {
        var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = 1e-2, SaveAt = [0.5] };
        double[] y0s = LorenzStates(N), ps = LorenzParameters(N);
        EnsembleSolution into = Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), 0, 1, options, Force(LaneWidth.Lane256));
        Assert.Throws<ArgumentException>(() => Ode.Solve(Lorenz, new EnsembleBatch(y0s[..^3], ps[..^3]), 0, 1, into, options, Force(LaneWidth.Lane256)));
        Assert.Throws<ArgumentException>(() => Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), 0, 1, into, options, Force(LaneWidth.Lane128)));
        Assert.Throws<ArgumentException>(() => Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), 0, 1, into, new SolverOptions { Method = OdeMethod.RK4, FixedStep = 1e-2, SaveAt = [0.6] }, Force(LaneWidth.Lane256)));
        Assert.Throws<ArgumentException>(() => Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), 0, 1, into, new SolverOptions { Method = OdeMethod.Dopri5, SaveAt = [0.5] }, Force(LaneWidth.Lane256)));
        Assert.Throws<ArgumentNullException>(() => Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), 0, 1, null!, options));
    }

    [Fact]
    public void Backwards_EqualsScalar()
    {
        var options = new SolverOptions { Method = OdeMethod.Tsit5, RelTol = 1e-9, AbsTol = 1e-12 };
        double[] y0s = LorenzStates(5), ps = LorenzParameters(5);
        EnsembleSolution e = Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), 0.5, 0, options, Force(LaneWidth.Lane1));
        for (int j = 0; j < 5; j++)
        {
            OdeSolution s = Ode.Solve(Lorenz, y0s.AsSpan(3 * j, 3), ps.AsSpan(3 * j, 3), 0.5, 0, options);
            Assert.True(MaxRelative(e.FinalState(j), s.FinalState) <= 1e-14);
            Assert.Equal(0.0, e.FinalTimes[j]);
        }
    }

    [Theory]
    [MemberData(nameof(AllWidths), MemberType = typeof(EnsembleTestSupport))]
    public void SharedParameters_EqualPerTrajectoryRows(LaneWidth width)
    {
        var mlp = new TanhMlpLanes();
        double[] theta = TanhMlpLanes.Weights(3);
        int count = 11;
        var rng = new Random(5);
        double[] y0s = Enumerable.Range(0, 2 * count).Select(_ => 2 * rng.NextDouble() - 1).ToArray();
        double[] ps = Enumerable.Range(0, count).SelectMany(_ => theta).ToArray();
        var options = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-9, AbsTol = 1e-12 };
        EnsembleSolution shared = Ode.Solve(mlp, EnsembleBatch.Shared(y0s, theta), 0, 1, options, Force(width));
        EnsembleSolution rows = Ode.Solve(mlp, new EnsembleBatch(y0s, ps), 0, 1, options, Force(width));
        Assert.Equal(rows.FinalStates, shared.FinalStates);
        for (int j = 0; j < count; j++)
        {
            OdeSolution s = Ode.Solve(mlp, y0s.AsSpan(2 * j, 2), theta, 0, 1, options);
            Assert.True(MaxRelative(shared.FinalState(j), s.FinalState) <= 1e-7);
        }
    }

    [Fact]
    public void Results_DoNotDependOnTheThreadCount()
    {
        var options = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-7, AbsTol = 1e-9, SaveAt = [0.5] };
        double[] y0s = LorenzStates(101), ps = LorenzParameters(101);
        EnsembleSolution one = Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), 0, 2, options, new EnsembleOptions { MaxDegreeOfParallelism = 1 });
        EnsembleSolution two = Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), 0, 2, options, new EnsembleOptions { MaxDegreeOfParallelism = 2 });
        EnsembleSolution all = Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), 0, 2, options);
        Assert.Equal(one.FinalStates, two.FinalStates);
        Assert.Equal(one.FinalStates, all.FinalStates);
        Assert.Equal(one.SavedStates, two.SavedStates);
        Assert.Equal(one.BlockStats, two.BlockStats);
    }

    [Fact]
    public void AutoWidth_IsTheHardwareWidth()
    {
        EnsembleSolution e = Ode.Solve(Lorenz, new EnsembleBatch(LorenzStates(3), LorenzParameters(3)), 0, 0.1, new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.01 });
        Assert.Equal(EnsembleOptions.HardwareWidth, e.Width);
        Assert.NotEqual(LaneWidth.Auto, e.Width);
    }

    [Fact]
    public void EmptyEnsemble_AndEmptyInterval()
    {
        EnsembleSolution none = Ode.Solve(Lorenz, new EnsembleBatch([], []), 0, 1);
        Assert.Equal(0, none.Count);
        double[] y0s = LorenzStates(3);
        EnsembleSolution zero = Ode.Solve(Lorenz, new EnsembleBatch(y0s, LorenzParameters(3)), 1, 1, new SolverOptions { SaveAt = [1] });
        Assert.Equal(y0s, zero.FinalStates);
        Assert.Equal(y0s, zero.SavedStates);
        Assert.True(zero.AllSucceeded);
    }
}
