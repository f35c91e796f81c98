using static OdeGen.Tests.Sensitivities.SensitivityTestSupport;

// Not "OdeGen.Tests.Sensitivity": a namespace segment with that name would hide the OdeGen.Sensitivity class.
namespace OdeGen.Tests.Sensitivities;

/// <summary>
/// What every sensitivity shares (ObservationShell): on a failed forward pass the same result — NaN in every gradient
/// entry and state, no loss, the loss never called, the failed pass's work reported and no backward pass — whatever the
/// method and its settings, events or not; and the methods that take the shell's forward pass see the same states.
/// </summary>
public class ObservationShellTests
{
    private static readonly HandLorenz System = new();
    private static readonly double[] Times = [0.5, 1.0];

    // A crossing that never happens: the events path of the methods that have one, with the same solution.
    private static readonly OdeEvent Never = OdeEvent.StateCrossing(0, 1e6, EventDirection.Rising);

    public static TheoryData<string> Methods => new(Configurations.Keys);

    private static readonly Dictionary<string, (OdeGen.Sensitivity Sensitivity, bool Events)> Configurations = new()
    {
        ["Forward"] = (OdeGen.Sensitivity.Forward, false),
        ["Forward, state-only error control"] = (OdeGen.Sensitivity.ForwardWith(sensitivitiesInErrorControl: false), false),
        ["Forward through events"] = (OdeGen.Sensitivity.Forward, true),
        ["BacksolveAdjoint"] = (OdeGen.Sensitivity.BacksolveAdjoint, false),
        ["BacksolveAdjoint, seminorm"] = (OdeGen.Sensitivity.Backsolve(seminorm: true), false),
        ["InterpolatingAdjoint"] = (OdeGen.Sensitivity.InterpolatingAdjoint(), false),
        ["InterpolatingAdjoint, interpolated observations"] = (OdeGen.Sensitivity.InterpolatingAdjoint(interpolateObservations: true), false),
        ["InterpolatingAdjoint through events"] = (OdeGen.Sensitivity.InterpolatingAdjoint(4), true),
        ["DiscreteAdjoint"] = (OdeGen.Sensitivity.DiscreteAdjoint, false),
        ["DiscreteAdjoint, checkpointed"] = (OdeGen.Sensitivity.Discrete(stepsPerCheckpoint: 4), false),
    };

    [Theory]
    [MemberData(nameof(Methods))]
    public void FailedForwardPass_GivesNaNEverywhere_AndReportsItsWork(string name)
    {
        (OdeGen.Sensitivity sensitivity, bool events) = Configurations[name];
        var starved = new SolverOptions { RelTol = 1e-10, AbsTol = 1e-10, MaxSteps = 20, Events = events ? [Never] : null };
        int lossCalls = 0;
        OdeGradient withLoss = Ode.LossGradient(System, LorenzY0, LorenzP, 0, Times, (states, dLdy) =>
        {
            lossCalls++;
            dLdy.Fill(1.0);
            return 0.0;
        }, sensitivity, starved);
        OdeGradient withDLdy = Ode.Gradient(System, LorenzY0, LorenzP, 0, Times, [1.0, 1, 1, 1, 1, 1], sensitivity, starved);

        Assert.Equal(0, lossCalls);
        foreach (OdeGradient g in new[] { withLoss, withDLdy })
        {
            Assert.Equal(OdeStatus.MaxStepsExceeded, g.Status);
            Assert.Same(sensitivity, g.Sensitivity);
            Assert.All(g.Y0, v => Assert.True(double.IsNaN(v), name));
            Assert.All(g.Parameters, v => Assert.True(double.IsNaN(v), name));
            Assert.Equal(Times.Length, g.Times.Length);
            Assert.All(g.Times, v => Assert.True(double.IsNaN(v), name));
            Assert.True(double.IsNaN(g.T0), name);
            Assert.Equal(Times.Length * 3, g.States.Length);
            Assert.All(g.States, v => Assert.True(double.IsNaN(v), name));
            Assert.True(double.IsNaN(g.Loss), name);
            Assert.Contains("NaN", g.Message, StringComparison.Ordinal);

            // The failed pass's work is reported (its attempts reached MaxSteps); no backward pass followed it.
            Assert.True(g.Stats.Forward.Steps + g.Stats.Forward.RejectedSteps >= starved.MaxSteps, $"{name}: {g.Stats}");
            Assert.True(g.Stats.FunctionEvaluations > 0, $"{name}: {g.Stats}");
            Assert.Equal(default, g.Stats.Backward);
            Assert.Equal(default, g.Stats.Recompute);
            Assert.Equal(0, g.Stats.VjpEvaluations);
        }
        Assert.Equal(withLoss.Stats.Forward, withDLdy.Stats.Forward);
    }

    [Fact]
    public void MethodsOnTheShellsForwardPass_SeeTheSameStates_AfterTheSameWork()
    {
        // Back-solve, discrete adjoint (tape observed or not checkpointed) and the interpolating adjoint with one checkpoint
        // (its only boundaries are t0 and the observation times) all take the shell's pass: same steps, same states.
        var options = new SolverOptions { RelTol = 1e-8, AbsTol = 1e-8 };
        double[] times = [0.0, 0.4, 1.0];
        var dLdy = new double[times.Length * 3];
        Array.Fill(dLdy, 1.0);
        OdeGradient reference = Ode.Gradient(System, LorenzY0, LorenzP, 0, times, dLdy, OdeGen.Sensitivity.BacksolveAdjoint, options);
        Assert.True(reference.IsSuccess);
        foreach (OdeGen.Sensitivity method in new OdeGen.Sensitivity[] { OdeGen.Sensitivity.DiscreteAdjoint, OdeGen.Sensitivity.Discrete(3), OdeGen.Sensitivity.InterpolatingAdjoint(1) })
        {
            OdeGradient g = Ode.Gradient(System, LorenzY0, LorenzP, 0, times, dLdy, method, options);
            Assert.True(g.IsSuccess, method.Name);
            Assert.Equal(reference.States, g.States);
            Assert.Equal(reference.Stats.Forward, g.Stats.Forward);
        }
    }

    [Fact]
    public void PassesThroughTheTimes_TakeTheSameStatesFromTheDenseOutput_AsASolve()
    {
        // Ode.Jvp and Ode.Sensitivities with the state alone in error control take a plain solve's steps, and the
        // interpolating adjoint with interpolated observations and one checkpoint takes them over [t0, t_N] too: the shell's
        // pass through the times gives every one of them the state a solve saves there (t0 itself, inside steps, the end).
        var options = new SolverOptions { RelTol = 1e-8, AbsTol = 1e-8, SaveAt = [0.0, 0.3, 0.55, 1.0] };
        OdeSolution solve = Ode.Solve(System, LorenzY0, LorenzP, 0, 1.0, options).EnsureSuccess();
        OdeTangent jvp = Ode.Jvp(System, LorenzY0, LorenzP, 0, 1.0, [1.0, 0, 0], [0, 1.0, 0], options: options, tangentInErrorControl: false).EnsureSuccess();
        OdeSensitivities sensitivities = Ode.Sensitivities(System, LorenzY0, LorenzP, 0, 1.0, options,
            OdeGen.Sensitivity.ForwardWith(sensitivitiesInErrorControl: false)).EnsureSuccess();
        double[] observed = options.SaveAt[1..];
        OdeGradient g = Ode.Gradient(System, LorenzY0, LorenzP, 0, observed, new double[observed.Length * 3],
            OdeGen.Sensitivity.InterpolatingAdjoint(1, interpolateObservations: true), new SolverOptions { RelTol = 1e-8, AbsTol = 1e-8 });
        Assert.True(g.IsSuccess, g.Message);
        Assert.Equal(solve.Stats.Steps, jvp.Stats.Steps);
        Assert.Equal(solve.Stats.Steps, sensitivities.Stats.Steps);
        Assert.Equal(solve.Stats.Steps, g.Stats.Forward.Steps);
        for (int k = 0; k < options.SaveAt.Length; k++)
        {
            double[] expected = solve.State(k).ToArray();
            Assert.Equal(expected, jvp.StateAt(k).ToArray());
            Assert.Equal(expected, sensitivities.StateAt(k).ToArray());
            if (k > 0) Assert.Equal(expected, g.States.AsSpan((k - 1) * 3, 3).ToArray());
        }
        Assert.Equal(solve.FinalState.ToArray(), jvp.State);
        Assert.Equal(solve.FinalState.ToArray(), sensitivities.State);
    }
}
