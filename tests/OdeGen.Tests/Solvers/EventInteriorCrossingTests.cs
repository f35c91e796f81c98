using OdeGen.Solvers;
using Xunit.Abstractions;

namespace OdeGen.Tests.Solvers;

/// <summary>
/// Crossings that come back within one step: x = cos t rises above a level near its peak and falls below it again inside one
/// large step, so g has the same sign at the step's ends. The locator checks g at points inside the step as well
/// (SolverOptions.EventInteriorPoints).
/// </summary>
public class EventInteriorCrossingTests(ITestOutputHelper output)
{
    private const double Level = 0.99, End = 60;
    private static readonly double[] Y0 = [1.0, 0.0], Omega = [1.0];

    // x = cos t from x = 1 crosses the level falling at acos(level) and then rising and falling around every peak 2πk.
    private static List<(double Time, bool Rising)> ExactCrossings(double level, double end)
    {
        double w = Math.Acos(level);
        var list = new List<(double, bool)> { (w, false) };
        for (int k = 1; 2 * Math.PI * k + w <= end; k++)
        {
            list.Add((2 * Math.PI * k - w, true));
            list.Add((2 * Math.PI * k + w, false));
        }
        return list;
    }

    private static SolverOptions Loose(params OdeEvent[] events) => new() { RelTol = 1e-3, Events = events };

    [Theory]
    [InlineData(EventDirection.Both)]
    [InlineData(EventDirection.Rising)]
    [InlineData(EventDirection.Falling)]
    public void LooseTolerance_CrossingsThatReturnWithinAStep_AreAllFound_AsATightMaxStepFindsThem(EventDirection direction)
    {
        var crossing = OdeEvent.StateCrossing(0, Level, direction);
        var loose = Ode.Solve(new OscillatorSystem(), Y0, Omega, 0, End, Loose(crossing)).EnsureSuccess();
        var tight = Ode.Solve(new OscillatorSystem(), Y0, Omega, 0, End,
            new SolverOptions { RelTol = 1e-3, MaxStep = 0.02, Events = [crossing] }).EnsureSuccess();
        var exact = ExactCrossings(Level, End).Where(c => direction == EventDirection.Both || c.Rising == (direction == EventDirection.Rising)).ToList();
        output.WriteLine($"{direction}: loose {loose.Stats.Steps} steps, {loose.Events.Count} crossings; tight {tight.Stats.Steps} steps, {tight.Events.Count}; exact {exact.Count}");

        Assert.Equal(exact.Count, tight.Events.Count);
        Assert.Equal(exact.Count, loose.Events.Count);
        for (int i = 0; i < exact.Count; i++)
        {
            // The level is near the peak, where x is flat: a loose solve's error in x moves the crossing by far more.
            Assert.True(Math.Abs(loose.Events[i].Time - exact[i].Time) < 0.05, $"crossing {i}: {loose.Events[i].Time:R} vs {exact[i].Time:R}");
            Assert.True(Math.Abs(loose.Events[i].Time - tight.Events[i].Time) < 0.05);
            Assert.True(Math.Abs(loose.Events[i].State[0] - Level) < 1e-9, $"crossing {i}: x = {loose.Events[i].State[0]:R}");
        }
    }

    [Fact]
    public void TerminalEvent_FoundOnlyInsideAStep_EndsTheSolveAtTheFirstCrossing()
    {
        var stop = OdeEvent.StateCrossing(0, Level, EventDirection.Rising, terminal: true);
        var solution = Ode.Solve(new OscillatorSystem(), Y0, Omega, 0, End, Loose(stop));
        Assert.Equal(OdeStatus.EventTerminated, solution.Status);
        var hit = Assert.Single(solution.Events);
        double exact = 2 * Math.PI - Math.Acos(Level);
        output.WriteLine($"stopped at {hit.Time:R} (exact {exact:R}) after {solution.Stats.Steps} steps");
        Assert.True(Math.Abs(hit.Time - exact) < 0.05, $"{hit.Time:R} vs {exact:R}");
        Assert.Equal(hit.Time, solution.FinalTime);
    }

    [Fact]
    public void SeveralEvents_InteriorCrossingsOfEach_ComeInTimeOrder()
    {
        // x = cos t crosses 0.99 around each peak and −0.99 around each trough: both inside the loose solve's steps.
        var top = OdeEvent.StateCrossing(0, Level);
        var bottom = OdeEvent.StateCrossing(0, -Level);
        var solution = Ode.Solve(new OscillatorSystem(), Y0, Omega, 0, End, Loose(top, bottom)).EnsureSuccess();
        double w = Math.Acos(Level);
        var exact = ExactCrossings(Level, End).Select(c => (c.Time, Event: top)).ToList();
        for (int k = 0; (2 * k + 1) * Math.PI + w <= End; k++)
        {
            exact.Add(((2 * k + 1) * Math.PI - w, bottom));
            exact.Add(((2 * k + 1) * Math.PI + w, bottom));
        }
        exact.Sort((a, b) => a.Time.CompareTo(b.Time));
        Assert.Equal(exact.Count, solution.Events.Count);
        for (int i = 0; i < exact.Count; i++)
        {
            Assert.Same(exact[i].Event, solution.Events[i].Event);
            Assert.True(Math.Abs(solution.Events[i].Time - exact[i].Time) < 0.05, $"crossing {i}: {solution.Events[i].Time:R} vs {exact[i].Time:R}");
        }
    }

    [Fact]
    public void AReset_AtACrossingFoundInsideAStep_IsApplied_AndTheSolveGoesOnFromIt()
    {
        // At the first rising crossing of 0.99 the velocity is reversed and halved: x falls back from the level, and up to
        // t = 7 it does not come back to it.
        var reset = new OdeReset((y, p, yPlus) => { yPlus[0] = y[0]; yPlus[1] = -0.5 * y[1]; });
        var bounce = OdeEvent.StateCrossing(0, Level, EventDirection.Rising, reset);
        var solution = Ode.Solve(new OscillatorSystem(), Y0, Omega, 0, 7.0, Loose(bounce)).EnsureSuccess();
        var hit = Assert.Single(solution.Events);
        double exact = 2 * Math.PI - Math.Acos(Level);
        Assert.True(Math.Abs(hit.Time - exact) < 0.05, $"{hit.Time:R} vs {exact:R}");
        Assert.Equal(-0.5 * hit.State[1], hit.StateAfter[1]);
        // From (t*, [0.99, −v/2]) the exact solution: x = 0.99 cos(t − t*) − (v/2) sin(t − t*).
        double v = hit.State[1], s = 7.0 - hit.Time;
        double expected = Level * Math.Cos(s) - 0.5 * v * Math.Sin(s);
        Assert.True(Math.Abs(solution.FinalState[0] - expected) < 1e-2, $"{solution.FinalState[0]:R} vs {expected:R}");
    }
}
