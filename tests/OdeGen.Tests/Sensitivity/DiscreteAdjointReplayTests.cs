using OdeGen.Solvers;
using Xunit.Abstractions;

// Not "OdeGen.Tests.Sensitivity": a namespace segment with that name would hide the OdeGen.Sensitivity class.
namespace OdeGen.Tests.Sensitivities;

/// <summary>
/// The discrete adjoint differentiates the steps the forward pass took: its backward pass (and its replay from checkpoints)
/// recomputes each step's stages from the step record, and those must be the forward pass's stages bit for bit — the same
/// t, the same state — or the gradient is the derivative of slightly different steps (and a memo of the forward's
/// evaluations, CnfEvaluationMemo, misses). The problem integrates backwards from t = 10, where t + h − t differs from h in
/// its last bits for some steps.
/// </summary>
public class DiscreteAdjointReplayTests(ITestOutputHelper output)
{
    private static readonly SolverOptions Options = new() { RelTol = 1e-8, AbsTol = 1e-8 };
    private static readonly double[] Y0 = [1.0, 0.0], P = [1.3];
    private const double T0 = 10.0;
    private static readonly double[] Times = [8.0, 5.0, 0.0];

    /// <summary>Every evaluation of f, in order: its time and the bits of its state.</summary>
    private sealed class Log
    {
        public readonly List<(double T, double[] Y)> Entries = [];
    }

    private readonly struct Logged(OscillatorSystem system, Log log) : IOdeSystem
    {
        public int StateCount => system.StateCount;
        public int ParameterCount => system.ParameterCount;
        public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
        {
            log.Entries.Add((t, y.ToArray()));
            system.Evaluate(t, y, p, dydt);
        }
        public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot,
            Span<double> dydt, Span<double> dydtDot) => system.Jvp(t, y, p, tDot, yDot, pDot, dydt, dydtDot);
        public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
        {
            log.Entries.Add((t, y.ToArray()));
            return system.Vjp(t, y, p, a, yBar, pBar);
        }
        public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp) =>
            system.Jacobian(t, y, p, dfdy, dfdp);
    }

    private static string Key(double t, double[] y) =>
        BitConverter.DoubleToInt64Bits(t).ToString("X16") + ":" + string.Join(",", y.Select(v => BitConverter.DoubleToInt64Bits(v).ToString("X16")));

    /// <summary>
    /// The problem is one where Time − PreviousTime is not the step taken (so the test below can fail): replaying a step from
    /// its start with that h ends elsewhere for some steps, while replaying it with <see cref="IOdeIntegrator.LastStep"/>
    /// reproduces every step's end state bit for bit.
    /// </summary>
    [Fact]
    public void LastStep_ReplaysEveryStep_WhereEndMinusStartDoesNot()
    {
        var integrator = new RungeKuttaIntegrator<SystemField<OscillatorSystem>>(2, Options);
        var replay = new ReverseStep<OscillatorSystem>(default, P, Options.Method.Tableau, new EvaluationCounter());
        var field = new SystemField<OscillatorSystem>(default, P);
        var end = new double[2];
        int steps = 0, differentSize = 0, differentEnd = 0, replayMisses = 0;
        double[] y = (double[])Y0.Clone();
        double start = T0;
        foreach (double t in Times)
        {
            integrator.Reset(field, y, start, t);
            Assert.Equal(0, integrator.LastStep);
            while (integrator.Step())
            {
                steps++;
                double span = integrator.Time - integrator.PreviousTime;
                if (span != integrator.LastStep) differentSize++;
                replay.Advance(integrator.PreviousTime, span, integrator.PreviousState, end);
                if (!end.AsSpan().SequenceEqual(integrator.State)) differentEnd++;
                replay.Advance(integrator.PreviousTime, integrator.LastStep, integrator.PreviousState, end);
                if (!end.AsSpan().SequenceEqual(integrator.State)) replayMisses++;
            }
            Assert.Equal(OdeStatus.Success, integrator.Status);
            y = integrator.State.ToArray();
            start = t;
        }
        output.WriteLine($"{steps} steps: Time - PreviousTime != LastStep in {differentSize}; replayed with Time - PreviousTime, {differentEnd} end elsewhere; with LastStep, {replayMisses}");
        Assert.True(differentSize > 0 && differentEnd > 0, "the problem must have steps where Time - PreviousTime is not the step taken");
        Assert.Equal(0, replayMisses);
    }

    /// <summary>Every (t, y) the discrete adjoint evaluates or differentiates after its forward pass is one the forward pass evaluated.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void BackwardPass_RecomputesTheForwardStagesBitForBit(int stepsPerCheckpoint)
    {
        var log = new Log();
        var system = new Logged(default, log);
        OdeGradient g = Ode.Gradient(system, Y0, P, T0, Times, [1.0, 0.5, -0.25, 1.0, 0.5, 0.75],
            OdeGen.Sensitivity.Discrete(stepsPerCheckpoint), Options);
        Assert.True(g.IsSuccess, g.Message);
        int forward = checked((int)g.Stats.Forward.FunctionEvaluations);
        var seen = new HashSet<string>();
        for (int i = 0; i < forward; i++) seen.Add(Key(log.Entries[i].T, log.Entries[i].Y));
        int later = log.Entries.Count - forward, missing = 0;
        for (int i = forward; i < log.Entries.Count; i++)
            if (!seen.Contains(Key(log.Entries[i].T, log.Entries[i].Y))) missing++;
        output.WriteLine($"{missing} of {later} backward evaluations at a (t, y) the forward pass did not evaluate");
        Assert.True(later > 0);
        Assert.Equal(0, missing);
    }
    /// <summary>
    /// More steps per checkpoint than the pass takes (int.MaxValue: keep y0 only, replay everything) is the same gradient, and
    /// its replay buffer holds the steps there are, not StepsPerCheckpoint of them (it was allocated up front: int.MaxValue
    /// threw OutOfMemoryException, 2^20 held 16 MiB for a two-state system).
    /// </summary>
    [Theory]
    [InlineData(1 << 20)]
    [InlineData(int.MaxValue)]
    public void StepsPerCheckpoint_BeyondTheSteps_IsTheSameGradient_WithABufferOfTheStepsTaken(int stepsPerCheckpoint)
    {
        var system = new OdeGen.Tests.TestSystems.OscillatorSystem();
        double[] dLdy = [1.0, 0.5, -0.25, 1.0, 0.5, 0.75];
        OdeGradient every = Ode.Gradient(system, Y0, P, T0, Times, dLdy, OdeGen.Sensitivity.DiscreteAdjoint, Options);
        OdeGradient replayed = Ode.Gradient(system, Y0, P, T0, Times, dLdy, OdeGen.Sensitivity.Discrete(stepsPerCheckpoint), Options);
        Assert.True(replayed.IsSuccess, replayed.Message);
        double[] a = [.. every.Y0, .. every.Parameters, every.T0, .. every.Times], b = [.. replayed.Y0, .. replayed.Parameters, replayed.T0, .. replayed.Times];
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 1e-12 * Math.Max(1, Math.Abs(a[i])));
        long steps = replayed.Stats.Forward.Steps;
        output.WriteLine($"{steps} steps, workspace {replayed.Stats.WorkspaceBytes} bytes");
        Assert.True(replayed.Stats.WorkspaceBytes < 64 * steps * Y0.Length + (1 << 12), $"{replayed.Stats.WorkspaceBytes} bytes for {steps} steps");
    }
}
