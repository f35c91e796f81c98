using OdeGen.Solvers;
using Xunit.Abstractions;

namespace OdeGen.Tests.Solvers;

/// <summary>SolverOptions.EventInteriorPoints: what 0 gives up, its bounds, and that checking inside steps allocates nothing.</summary>
public class EventInteriorPointsOptionTests(ITestOutputHelper output)
{
    private static readonly double[] Y0 = [1.0, 0.0], Omega = [1.0];

    [Fact]
    public void ZeroInteriorPoints_ChecksTheStepsEndsOnly_AndMissesCrossingsThatReturnWithinAStep()
    {
        // The scenario of EventInteriorCrossingTests is a demanding one: at the step's ends only, crossings are lost.
        var crossing = OdeEvent.StateCrossing(0, 0.99);
        var ends = Ode.Solve(new OscillatorSystem(), Y0, Omega, 0, 60,
            new SolverOptions { RelTol = 1e-3, Events = [crossing], EventInteriorPoints = 0 }).EnsureSuccess();
        var inside = Ode.Solve(new OscillatorSystem(), Y0, Omega, 0, 60,
            new SolverOptions { RelTol = 1e-3, Events = [crossing] }).EnsureSuccess();
        output.WriteLine($"ends only: {ends.Events.Count} crossings; default ({SolverOptions.Default.EventInteriorPoints} points): {inside.Events.Count}");
        Assert.Equal(19, inside.Events.Count);
        Assert.True(ends.Events.Count < inside.Events.Count - 4, $"{ends.Events.Count}");
        // The same steps: the points inside a step change which crossings are found, never the solution.
        Assert.Equal(ends.Stats.Steps, inside.Stats.Steps);
        Assert.Equal(ends.FinalState.ToArray(), inside.FinalState.ToArray());
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1001)]
    public void InteriorPointsOutOfRange_IsAnArgumentException(int points)
    {
        var options = new SolverOptions { Events = [OdeEvent.StateCrossing(0, 0.5)], EventInteriorPoints = points };
        var e = Assert.Throws<ArgumentException>(() => Ode.Solve(new OscillatorSystem(), Y0, Omega, 0, 1, options));
        Assert.Contains("EventInteriorPoints", e.Message);
        Assert.Equal("options", e.ParamName);
        // Refused without events too: the value would otherwise wait for the first options that carry an event.
        var none = new SolverOptions { EventInteriorPoints = points };
        Assert.Contains("EventInteriorPoints", Assert.Throws<ArgumentException>(() => Ode.Solve(new OscillatorSystem(), Y0, Omega, 0, 1, none)).Message);
    }

    [Theory]
    [InlineData("Dopri5")]
    [InlineData("Dop853")]
    [InlineData("Rodas4")]
    public void CheckingInsideSteps_AllocatesNothing_AfterTheFirstStep(string method)
    {
        var m = OdeMethod.All.Single(x => x.Name == method);
        var options = new SolverOptions { Method = m, RelTol = 1e-6, MaxStep = 0.01, Events = [OdeEvent.StateCrossing(0, 2.0), OdeEvent.StateCrossing(1, -3.0)] };
        var integrator = m.CreateIntegrator<SystemField<OscillatorSystem>>(2, options);
        integrator.Reset(new SystemField<OscillatorSystem>(new OscillatorSystem(), [1.0]), Y0, 0, 10);
        var locator = new EventLocator(options.Events!, options.EventInteriorPoints, 2, 2);
        locator.Start(0, Y0);
        var sink = new List<OdeEventOccurrence>();
        Assert.True(integrator.Step());
        Assert.Equal(-1, locator.Check(integrator, sink));
        long before = GC.GetAllocatedBytesForCurrentThread();
        int steps = 0, stopped = -1;
        while (steps < 200 && integrator.Step())
        {
            stopped = Math.Max(stopped, locator.Check(integrator, sink));
            steps++;
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(200, steps);
        Assert.Equal(-1, stopped);
        Assert.Empty(sink);
        Assert.Equal(0, allocated);
    }
}
