using static OdeGen.Tests.Ensemble.EnsembleTestSupport;

namespace OdeGen.Tests.Ensemble;

// The ensemble verbs (Ode.Solve / Gradient / LossGradient on an EnsembleBatch): every sensitivity gives per trajectory
// what Ode.Gradient gives with it, the lane discrete adjoint's two drivers agree, what a batch cannot do throws naming
// what works, and the verbs allocate nothing per step.
public class EnsembleVerbTests
{
    private static readonly LorenzLanes Lorenz = new();
    private static readonly double[] Times = [0.2, 0.5, 1.0];
    private static readonly SolverOptions Adaptive = new() { Method = OdeMethod.Dopri5, RelTol = 1e-8, AbsTol = 1e-10 };
    private static readonly SolverOptions Fixed = new() { Method = OdeMethod.RK4, FixedStep = 1e-2 };

    private static double[] Seed(int length, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => 2 * rng.NextDouble() - 1).ToArray();
    }

    public static IEnumerable<object[]> ContinuousSensitivities() =>
    [
        [Sensitivity.Forward],
        [Sensitivity.InterpolatingAdjoint()],
        [Sensitivity.InterpolatingAdjoint(4)],
        [Sensitivity.BacksolveAdjoint],
        [Sensitivity.Backsolve(relTol: 1e-9, seminorm: true)],
    ];

    [Theory]
    [MemberData(nameof(ContinuousSensitivities))]
    public void ContinuousSensitivity_IsOdeGradientPerTrajectory_BitForBit(Sensitivity sensitivity)
    {
        const int count = 5;
        int n = Lorenz.StateCount, m = Lorenz.ParameterCount, rows = Times.Length * n;
        double[] y0s = LorenzStates(count), ps = LorenzParameters(count), dLdy = Seed(count * rows, 3);
        EnsembleGradient g = Ode.Gradient(Lorenz, new EnsembleBatch(y0s, ps), 0, Times, dLdy, sensitivity, Adaptive, Force(LaneWidth.Auto, threads: 2));
        Assert.True(g.AllSucceeded);
        Assert.Same(sensitivity, g.Sensitivity);
        for (int j = 0; j < count; j++)
        {
            OdeGradient s = Ode.Gradient(Lorenz, y0s.AsSpan(j * n, n), ps.AsSpan(j * m, m), 0, Times, dLdy.AsSpan(j * rows, rows), sensitivity, Adaptive);
            Assert.Equal(s.Y0, g.Y0Of(j).ToArray());
            Assert.Equal(s.Parameters, g.ParametersOf(j).ToArray());
            Assert.Equal(s.States, g.StatesOf(j).ToArray());
            Assert.Equal(s.States.AsSpan((Times.Length - 1) * n, n).ToArray(), g.Solution.FinalState(j).ToArray());
        }
    }

    [Fact]
    public void NullSensitivity_MeansWhatItMeansForOneTrajectory()
    {
        const int count = 3;
        int n = Lorenz.StateCount, m = Lorenz.ParameterCount, rows = Times.Length * n;
        double[] y0s = LorenzStates(count), ps = LorenzParameters(count), dLdy = Seed(count * rows, 5);
        EnsembleGradient g = Ode.Gradient(Lorenz, new EnsembleBatch(y0s, ps), 0, Times, dLdy, options: Adaptive);
        Assert.IsType<InterpolatingAdjointSensitivity>(g.Sensitivity);
        for (int j = 0; j < count; j++)
        {
            OdeGradient s = Ode.Gradient(Lorenz, y0s.AsSpan(j * n, n), ps.AsSpan(j * m, m), 0, Times, dLdy.AsSpan(j * rows, rows), options: Adaptive);
            Assert.Equal(s.Parameters, g.ParametersOf(j).ToArray());
        }
    }

    [Theory]
    [InlineData(LaneWidth.Lane1)]
    [InlineData(LaneWidth.Auto)]
    public void DiscreteAdjoint_InLanes_IsOdeGradientPerTrajectory_WhenTheLanesTakeTheScalarSteps(LaneWidth width)
    {
        // With a fixed step (any width) or Lane1 (any method) every lane takes the scalar solver's steps.
        const int count = 7;
        int n = Lorenz.StateCount, m = Lorenz.ParameterCount, rows = Times.Length * n;
        double[] y0s = LorenzStates(count), ps = LorenzParameters(count), dLdy = Seed(count * rows, 9);
        foreach (SolverOptions options in width == LaneWidth.Lane1 ? new[] { Fixed, Adaptive } : [Fixed])
        {
            EnsembleGradient g = Ode.Gradient(Lorenz, new EnsembleBatch(y0s, ps), 0, Times, dLdy, Sensitivity.DiscreteAdjoint, options, Force(width));
            Assert.True(g.AllSucceeded);
            for (int j = 0; j < count; j++)
            {
                OdeGradient s = Ode.Gradient(Lorenz, y0s.AsSpan(j * n, n), ps.AsSpan(j * m, m), 0, Times, dLdy.AsSpan(j * rows, rows),
                    Sensitivity.DiscreteAdjoint, options);
                Assert.True(MaxRelative(g.Y0Of(j), s.Y0, 1e-3) <= 1e-12, $"trajectory {j}: dL/dy0");
                Assert.True(MaxRelative(g.ParametersOf(j), s.Parameters, 1e-3) <= 1e-12, $"trajectory {j}: dL/dθ");
            }
        }
    }

    [Theory]
    [MemberData(nameof(ContinuousSensitivities))]
    public void SharedTheta_SumsThePerTrajectoryGradientsInOrder(Sensitivity sensitivity)
    {
        const int count = 4;
        int n = Lorenz.StateCount, m = Lorenz.ParameterCount, rows = Times.Length * n;
        double[] y0s = LorenzStates(count), p = LorenzParameters(1), dLdy = Seed(count * rows, 13);
        EnsembleGradient g = Ode.Gradient(Lorenz, EnsembleBatch.Shared(y0s, p), 0, Times, dLdy, sensitivity, Adaptive, Force(LaneWidth.Auto, threads: 3));
        var sum = new double[m];
        for (int j = 0; j < count; j++)
        {
            OdeGradient s = Ode.Gradient(Lorenz, y0s.AsSpan(j * n, n), p, 0, Times, dLdy.AsSpan(j * rows, rows), sensitivity, Adaptive);
            for (int k = 0; k < m; k++) sum[k] += s.Parameters[k];
        }
        Assert.Equal(sum, g.SharedParameters);
    }

    [Fact]
    public void LossGradient_PerTrajectory_IsOdeLossGradient()
    {
        const int count = 3;
        int n = Lorenz.StateCount, m = Lorenz.ParameterCount;
        double[] y0s = LorenzStates(count), ps = LorenzParameters(count);
        static double Loss(ReadOnlySpan<double> states, Span<double> dLdy)
        {
            double l = 0;
            for (int i = 0; i < states.Length; i++) { l += 0.5 * states[i] * states[i]; dLdy[i] = states[i]; }
            return l;
        }
        EnsembleGradient g = Ode.LossGradient(Lorenz, new EnsembleBatch(y0s, ps), 0, Times, (_, s, d) => Loss(s, d), Sensitivity.InterpolatingAdjoint(), Adaptive);
        double total = 0;
        for (int j = 0; j < count; j++)
        {
            OdeGradient s = Ode.LossGradient(Lorenz, y0s.AsSpan(j * n, n), ps.AsSpan(j * m, m), 0, Times, Loss, Sensitivity.InterpolatingAdjoint(), Adaptive);
            Assert.Equal(s.Loss, g.Losses[j]);
            Assert.Equal(s.Parameters, g.ParametersOf(j).ToArray());
            Assert.Equal(s.States, g.StatesOf(j).ToArray());
            total += s.Loss;
        }
        Assert.True(g.HasLoss);
        Assert.Equal(total, g.Loss);
    }

    [Fact]
    public void PerTrajectory_ANonFiniteTrajectory_FailsAlone()
    {
        double[] y0s = LorenzStates(3), ps = LorenzParameters(3);
        y0s[4] = double.NaN;
        double[] dLdy = Seed(3 * Times.Length * 3, 1);
        EnsembleGradient g = Ode.Gradient(Lorenz, new EnsembleBatch(y0s, ps), 0, Times, dLdy, Sensitivity.Forward, Adaptive);
        Assert.Equal([OdeStatus.Success, OdeStatus.NonFiniteValue, OdeStatus.Success], g.Statuses);
        Assert.All(g.Y0Of(1).ToArray(), v => Assert.True(double.IsNaN(v)));
        Assert.All(g.Y0Of(2).ToArray(), v => Assert.False(double.IsNaN(v)));
    }

    [Fact]
    public void FinalStateDriver_WithSaveAt_EqualsTheObservationDriver_BitForBit()
    {
        // One observation time after t0: with SaveAt the final-state driver runs, without it the observation driver.
        const int count = 9;
        double[] y0s = LorenzStates(count), ps = LorenzParameters(count), seed = Seed(count * 3, 21);
        foreach (SolverOptions options in new[] { Fixed, Adaptive })
        {
            var saving = new SolverOptions { Method = options.Method, FixedStep = options.FixedStep, RelTol = options.RelTol, AbsTol = options.AbsTol, SaveAt = [0.25, 0.5] };
            EnsembleGradient a = Ode.Gradient(Lorenz, new EnsembleBatch(y0s, ps), 0, [1.0], seed, Sensitivity.DiscreteAdjoint, saving);
            EnsembleGradient b = Ode.Gradient(Lorenz, new EnsembleBatch(y0s, ps), 0, [1.0], seed, Sensitivity.DiscreteAdjoint, options);
            Assert.Equal(b.Y0, a.Y0);
            Assert.Equal(b.Parameters, a.Parameters);
            Assert.Equal(b.States, a.States);
            Assert.Equal(b.DLdy, a.DLdy);
            Assert.Equal(2 * count * 3, a.Solution.SavedStates.Length);
        }
    }

    [Fact]
    public void UnsupportedSensitivities_ThrowNamingTheAlternatives()
    {
        double[] y0s = LorenzStates(2), ps = LorenzParameters(2), dLdy = Seed(2 * Times.Length * 3, 2);
        var checkpointed = new DiscreteAdjointSensitivity { StepsPerCheckpoint = 4 };
        var e = Assert.Throws<NotSupportedException>(() => Ode.Gradient(Lorenz, new EnsembleBatch(y0s, ps), 0, Times, dLdy, checkpointed, Fixed));
        Assert.Contains("Sensitivity.DiscreteAdjoint", e.Message);
        Assert.Contains("Sensitivity.InterpolatingAdjoint(", e.Message);
        Assert.Contains("Sensitivity.Forward", e.Message);

        var events = new SolverOptions { Method = OdeMethod.RK4, FixedStep = 1e-2, Events = [OdeEvent.StateCrossing(0, 0.0)] };
        foreach (Sensitivity s in new Sensitivity[] { Sensitivity.DiscreteAdjoint, Sensitivity.InterpolatingAdjoint(), Sensitivity.Forward })
        {
            var ev = Assert.Throws<NotSupportedException>(() => Ode.Gradient(Lorenz, new EnsembleBatch(y0s, ps), 0, Times, dLdy, s, events));
            Assert.Contains("Ode.Gradient", ev.Message);
        }
    }

    [Fact]
    public void Batch_ChecksItsLayout_AndSizesAgainstTheSystem()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new EnsembleBatch([1.0], [1.0], (EnsembleParameters)7));
        var batch = EnsembleBatch.Shared([1.0, 2.0], [3.0]);
        Assert.True(batch.SharesParameters);
        Assert.Equal(EnsembleParameters.PerTrajectory, new EnsembleBatch([1.0], [1.0]).Layout);
        double[] y0s = LorenzStates(2), ps = LorenzParameters(2);
        Assert.Throws<ArgumentException>(() => Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps.AsSpan(1).ToArray()), 0, 1, Fixed));
        Assert.Throws<ArgumentException>(() => Ode.Gradient(Lorenz, new EnsembleBatch(y0s.AsSpan(1).ToArray(), ps), 0, Times, new double[18], Sensitivity.Forward, Adaptive));
        Assert.Equal("dLdy", Assert.Throws<ArgumentException>(() => Ode.Gradient(Lorenz, new EnsembleBatch(y0s, ps), 0, Times, new double[5], Sensitivity.Forward, Adaptive)).ParamName);
    }

    [Fact]
    public void SolveInto_WithABatch_AllocatesNothingMoreThanTheOldName_AndNoMoreForMoreSteps()
    {
        double[] y0s = LorenzStates(40), ps = LorenzParameters(40);
        var one = new EnsembleOptions { MaxDegreeOfParallelism = 1 };
        long Bytes(double t1)
        {
            var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = 1e-3, SaveAt = [t1 / 2] };
            EnsembleSolution into = Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), 0, t1, options, one);
            for (int i = 0; i < 3; i++) Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), 0, t1, into, options, one);   // warm-up: JIT tiers, pool
            return Allocations.Least(() => Ode.Solve(Lorenz, new EnsembleBatch(y0s, ps), 0, t1, into, options, one));
        }
        Assert.Equal(Bytes(0.2), Bytes(2.0));
    }
}
