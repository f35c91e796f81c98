using static OdeGen.Tests.Sensitivities.SensitivityTestSupport;

// Not "OdeGen.Tests.Sensitivity": a namespace segment with that name would hide the OdeGen.Sensitivity class.
namespace OdeGen.Tests.Sensitivities;

/// <summary>
/// The interpolating adjoint's record of the whole forward pass (<see cref="InterpolatingAdjointSensitivity.RecordBudgetBytes"/>):
/// while it fits there is no re-solve and no checkpoint; past the budget the call starts again with checkpoints and gives
/// exactly what the checkpointed method gives; both agree with the reference gradients.
/// </summary>
public class InterpolatingAdjointRecordTests
{
    private static readonly SolverOptions Options = new() { RelTol = 1e-8, AbsTol = 1e-8 };
    private static readonly double[] Ones = [1.0, 1.0, 1.0];

    private static OdeGradient Lorenz(double T, Sensitivity s) => Ode.Gradient(new HandLorenz(), LorenzY0, LorenzP, 0.0, [T], Ones, s, Options);

    private static double[] Flat(OdeGradient g) => [.. g.Y0, .. g.Parameters, g.T0];

    [Theory]
    [InlineData(1.0, 1e-7)]
    [InlineData(10.0, 1e-5)]
    public void Recorded_HasNoResolve_AndMatchesTheReference(double T, double rel)
    {
        OdeGradient g = Lorenz(T, Sensitivity.InterpolatingAdjoint());
        Assert.True(g.IsSuccess, g.Message);
        Assert.Equal(0, g.Stats.Recompute.Steps);
        LorenzReference r = LoadLorenzReference(T == 1.0 ? "T=1" : "T=10");
        AssertNormwise([.. r.DLdy0, .. r.DLdp], [.. g.Y0, .. g.Parameters], rel, $"recorded interpolating adjoint at T = {T}");

        // The checkpointed method re-solves every step and agrees with the recorded one to the tolerances' order.
        OdeGradient c = Lorenz(T, Sensitivity.InterpolatingAdjoint(recordBudgetBytes: 0));
        Assert.True(c.IsSuccess, c.Message);
        Assert.True(c.Stats.Recompute.Steps >= g.Stats.Forward.Steps, $"{c.Stats.Recompute.Steps} re-solved steps");
        AssertNormwise(Flat(c), Flat(g), rel, $"recorded against checkpointed at T = {T}");
    }

    [Fact]
    public void OverBudget_FallsBackToCheckpoints_BitForBit()
    {
        // 1 KB holds a handful of Dopri5 steps of Lorenz (8 per step and coefficient): the forward pass outgrows it.
        var small = Sensitivity.InterpolatingAdjoint(recordBudgetBytes: 1024);
        var checkpointed = Sensitivity.InterpolatingAdjoint(recordBudgetBytes: 0);
        OdeGradient expected = Lorenz(1.0, checkpointed);
        for (int call = 0; call < 3; call++)
        {
            // First call: abandons the record and starts again; later calls in the same workspace checkpoint at once.
            OdeGradient g = Lorenz(1.0, small);
            Assert.True(g.IsSuccess, g.Message);
            Assert.True(g.Stats.Recompute.Steps > 0);
            Assert.Equal(Flat(expected), Flat(g));
            Assert.Equal(expected.Stats.Forward.Steps, g.Stats.Forward.Steps);
            Assert.Equal(expected.Stats.Backward.Steps, g.Stats.Backward.Steps);
            Assert.Equal(expected.Stats.FunctionEvaluations, g.Stats.FunctionEvaluations);
            Assert.Equal(expected.Stats.VjpEvaluations, g.Stats.VjpEvaluations);
        }
    }

    [Fact]
    public void AfterAnOverflow_AShortSolveIsRecordedAgain()
    {
        // Same options and budget (one workspace): a long solve overflows the budget, then a short one fits it again.
        var s = Sensitivity.InterpolatingAdjoint(recordBudgetBytes: 64 * 1024);
        OdeGradient longSolve = Lorenz(10.0, s);
        Assert.True(longSolve.IsSuccess, longSolve.Message);
        Assert.True(longSolve.Stats.Recompute.Steps > 0, "T = 10 (~1000 steps, ~136 KB) should not fit 64 KB");
        OdeGradient first = Lorenz(1.0, s), second = Lorenz(1.0, s);
        // The first short call checkpoints (the workspace remembers the overflow) and sees that the solve fits; the next records.
        Assert.True(first.Stats.Recompute.Steps > 0);
        Assert.Equal(0, second.Stats.Recompute.Steps);
        Assert.Equal(Flat(Lorenz(1.0, Sensitivity.InterpolatingAdjoint())), Flat(second));
    }

    [Fact]
    public void RecordedThroughInterpolatedObservations_MatchesCheckpointed()
    {
        double[] times = [0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 1.0];
        double[] dLdy = new double[times.Length * 3];
        for (int i = 0; i < dLdy.Length; i++) dLdy[i] = 1.0 + 0.1 * i;
        OdeGradient Run(long budget) => Ode.Gradient(new HandLorenz(), LorenzY0, LorenzP, 0.0, times, dLdy,
            Sensitivity.InterpolatingAdjoint(interpolateObservations: true, recordBudgetBytes: budget), Options);
        OdeGradient recorded = Run(InterpolatingAdjointSensitivity.DefaultRecordBudgetBytes), checkpointed = Run(0);
        Assert.True(recorded.IsSuccess && checkpointed.IsSuccess);
        Assert.Equal(0, recorded.Stats.Recompute.Steps);
        Assert.True(checkpointed.Stats.Recompute.Steps > 0);
        AssertNormwise(Flat(checkpointed), Flat(recorded), 1e-6, "recorded against checkpointed, interpolated observations");
        Assert.Equal(checkpointed.Times.Length, recorded.Times.Length);
    }

    [Fact]
    public void NegativeBudget_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Sensitivity.InterpolatingAdjoint(recordBudgetBytes: -1));
    }
}
