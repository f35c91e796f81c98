using OdeGen.Solvers;
using Xunit.Abstractions;

namespace OdeGen.Tests.Solvers;

public class EventTests(ITestOutputHelper output)
{
    /// <summary>Free fall: x' = v, v' = −g (p = [g]).</summary>
    private readonly struct FallingBall : IOdeSystem
    {
        public int StateCount => 2;
        public int ParameterCount => 1;
        public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
        {
            dydt[0] = y[1];
            dydt[1] = -p[0];
        }
        public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot, Span<double> dydt, Span<double> dydtDot)
        {
            Evaluate(t, y, p, dydt);
            dydtDot[0] = yDot[1];
            dydtDot[1] = -pDot[0];
        }
        public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
        {
            yBar[1] += a[0];
            pBar[0] -= a[1];
            return 0;
        }
        public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp)
        {
            dfdy.Clear();
            dfdy[1] = 1;
            dfdp[0] = 0;
            dfdp[1] = -1;
        }
    }

    [Theory]
    [InlineData("Dopri5")]
    [InlineData("Tsit5")]
    [InlineData("Rodas4")]
    [InlineData("Kvaerno5")]
    public void BouncingBall_FirstTenBounces_MatchExactTimes(string method)
    {
        const double g = 9.81, h0 = 10, e = 0.8;
        var m = OdeMethod.All.Single(x => x.Name == method);
        var ground = new OdeEvent((t, y) => y[0]) { Direction = EventDirection.Falling, Terminal = true, Name = "ground" };
        var options = new SolverOptions { Method = m, RelTol = 1e-8, AbsTol = 1e-10, Events = [ground] };

        // Exact: first impact at √(2h0/g); bounce k leaves with speed e^k·v0 (v0 = √(2 g h0)) and flies 2 e^k v0/g.
        double v0 = Math.Sqrt(2 * g * h0);
        var exact = new double[10];
        exact[0] = Math.Sqrt(2 * h0 / g);
        for (int k = 1; k < 10; k++) exact[k] = exact[k - 1] + 2 * Math.Pow(e, k) * v0 / g;

        double t = 0;
        double[] y = [h0, 0];
        double worst = 0;
        for (int k = 0; k < 10; k++)
        {
            var solution = Ode.Solve(new FallingBall(), y, [g], t, 100, options);
            Assert.Equal(OdeStatus.EventTerminated, solution.Status);
            Assert.True(solution.IsSuccess && solution.TerminatedByEvent);
            var hit = Assert.Single(solution.Events);
            Assert.Same(ground, hit.Event);
            Assert.Equal(hit.Time, solution.FinalTime);
            Assert.Equal(hit.State.ToArray(), solution.FinalState.ToArray());
            worst = Math.Max(worst, Math.Abs(hit.Time - exact[k]));
            Assert.True(Math.Abs(hit.Time - exact[k]) < 1e-9, $"bounce {k + 1}: {hit.Time:R} vs {exact[k]:R}");
            // Restart on the ground with the velocity reversed and reduced.
            t = hit.Time;
            y = [0, -e * hit.State[1]];
        }
        output.WriteLine($"{method}: largest bounce-time error over ten bounces {worst:E2}");
    }

    [Theory]
    [InlineData("Dopri5", EventDirection.Both)]
    [InlineData("Dopri5", EventDirection.Rising)]
    [InlineData("Dopri5", EventDirection.Falling)]
    [InlineData("Rodas4", EventDirection.Both)]
    [InlineData("Dop853", EventDirection.Falling)]
    [InlineData("Kvaerno5", EventDirection.Rising)]
    public void NonTerminalEvents_FindEveryCrossing_InTheChosenDirection(string method, EventDirection direction)
    {
        // x = cos t crosses zero at π/2 + kπ, falling for even k and rising for odd k.
        var m = OdeMethod.All.Single(x => x.Name == method);
        var crossing = new OdeEvent((t, y) => y[0]) { Direction = direction };
        var options = new SolverOptions { Method = m, RelTol = 1e-10, AbsTol = 1e-12, Events = [crossing], SaveSteps = true };
        var solution = Ode.Solve(new OscillatorSystem(), [1.0, 0.0], [1.0], 0, 20, options).EnsureSuccess();
        Assert.Equal(OdeStatus.Success, solution.Status);
        var expected = Enumerable.Range(0, 10).Select(k => (Time: Math.PI / 2 + k * Math.PI, Falling: k % 2 == 0))
            .Where(c => c.Time <= 20)
            .Where(c => direction == EventDirection.Both || (direction == EventDirection.Falling) == c.Falling)
            .Select(c => c.Time).ToArray();
        Assert.Equal(expected.Length, solution.Events.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(solution.Events[i].Time - expected[i]) < 1e-8, $"{solution.Events[i].Time} vs {expected[i]}");
            Assert.True(Math.Abs(solution.Events[i].State[0]) < 1e-8);
        }
        Assert.Equal(20.0, solution.FinalTime);
    }

    [Fact]
    public void TerminalEvent_StopsSaveAtAndSaveSteps_AtTheEvent()
    {
        // y' = 1 from 0: g = y − 0.75 fires at t = 0.75.
        var stop = new OdeEvent((t, y) => y[0] - 0.75) { Terminal = true };
        var saveAt = Ode.Solve(new MonomialField(1), [0.0], 0, 2,
            new SolverOptions { Events = [stop], SaveAt = [0.5, 0.75, 1.0, 1.5], Dense = true });
        Assert.Equal(OdeStatus.EventTerminated, saveAt.Status);
        Assert.Null(saveAt.FailureTime);
        Assert.Equal(0.75, saveAt.FinalTime, 1e-12);
        Assert.Equal([0.5, 0.75], saveAt.Times.ToArray());
        Assert.Equal(0.75, saveAt.Interpolate(saveAt.FinalTime)[0], 1e-12);
        Assert.Throws<ArgumentOutOfRangeException>(() => saveAt.Interpolate(1.0));
        saveAt.EnsureSuccess();

        var steps = Ode.Solve(new MonomialField(1), [0.0], 0, 2, new SolverOptions { Events = [stop], SaveSteps = true, InitialStep = 0.1 });
        Assert.Equal(saveAt.FinalTime, steps.Times[^1]);
        Assert.All(steps.Times.ToArray(), t => Assert.True(t <= steps.FinalTime));

        var plain = Ode.Solve(new MonomialField(1), [0.0], 0, 2, new SolverOptions { Events = [stop] });
        Assert.Equal(2, plain.Count);
        Assert.Equal(0.75, plain.Times[1], 1e-12);
        Assert.Contains("terminal event", plain.Message);
    }

    [Fact]
    public void Backwards_EventsAreFoundInTimeOrder()
    {
        // From t = 10 down to 0 on cos t: crossings at 3π/2·…, reported in decreasing time.
        var crossing = new OdeEvent((t, y) => y[0]);
        double[] y10 = [Math.Cos(10), -Math.Sin(10)];
        var solution = Ode.Solve(new OscillatorSystem(), y10, [1.0], 10, 0, new SolverOptions { RelTol = 1e-10, AbsTol = 1e-12, Events = [crossing] }).EnsureSuccess();
        double[] expected = [5 * Math.PI / 2, 3 * Math.PI / 2, Math.PI / 2];
        Assert.Equal(expected.Length, solution.Events.Count);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], solution.Events[i].Time, 1e-8);
    }

    [Fact]
    public void SeveralEventsInOneStep_ComeInTimeOrder_UpToTheFirstTerminal()
    {
        // y' = 1: events at y = 0.3 (non-terminal), 0.5 (terminal) and 0.7 (after the terminal one: never reported).
        var a = new OdeEvent((t, y) => y[0] - 0.5) { Terminal = true, Name = "half" };
        var b = new OdeEvent((t, y) => y[0] - 0.3) { Name = "early" };
        var c = new OdeEvent((t, y) => y[0] - 0.7) { Name = "late" };
        var solution = Ode.Solve(new MonomialField(1), [0.0], 0, 1, new SolverOptions { Events = [a, b, c], InitialStep = 1.0 });
        Assert.Equal(1, solution.Stats.Steps);   // all three crossings lie in the one step
        Assert.Equal(2, solution.Events.Count);
        Assert.Equal(1, solution.Events[0].EventIndex);
        Assert.Equal(0.3, solution.Events[0].Time, 1e-12);
        Assert.Equal(0, solution.Events[1].EventIndex);
        Assert.Equal(0.5, solution.FinalTime, 1e-12);
    }
}
