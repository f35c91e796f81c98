using OdeGen.Tests.Sensitivities;
using Xunit.Abstractions;

namespace OdeGen.Tests.Solvers;

public class EventResetTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("Dopri5")]
    [InlineData("Tsit5")]
    [InlineData("Rodas4")]
    [InlineData("Kvaerno5")]
    public void BouncingBall_ResetRestartsTheSolve_BounceTimesAndApexesMatchClosedForm(string method)
    {
        const double H = 2.0, G = 9.81, E = 0.8;
        var m = OdeMethod.All.Single(x => x.Name == method);
        double tEnd = BouncingBall.ImpactTime(5, H, G, E) + 0.1;
        var options = new SolverOptions { Method = m, RelTol = 1e-10, AbsTol = 1e-12, Events = [BouncingBall.Ground()], Dense = true };
        var solution = Ode.Solve(new BouncingBall(), [H, 0.0], [G, E], 0, tEnd, options).EnsureSuccess();
        Assert.Equal(OdeStatus.Success, solution.Status);
        Assert.Equal(5, solution.Events.Count);
        double worst = 0;
        for (int k = 1; k <= 5; k++)
        {
            var hit = solution.Events[k - 1];
            double exact = BouncingBall.ImpactTime(k, H, G, E);
            worst = Math.Max(worst, Math.Abs(hit.Time - exact));
            Assert.True(Math.Abs(hit.Time - exact) < 1e-8, $"impact {k}: {hit.Time:R} vs {exact:R}");
            Assert.Equal(-E * hit.State[1], hit.StateAfter[1], 12);
            // The apex after the k-th bounce, from the dense output on the far side of the reset.
            double u = Math.Sqrt(2 * G * H) * Math.Pow(E, k);
            double apexTime = hit.Time + u / G;
            if (apexTime < tEnd)
                Assert.Equal(H * Math.Pow(E, 2 * k), solution.Interpolate(apexTime)[0], 7);
            // Right-continuous at the event: the state there is the reset state.
            Assert.Equal(hit.StateAfter[1], solution.Interpolate(hit.Time)[1], 12);
        }
        output.WriteLine($"{method}: largest impact-time error {worst:E2}, steps {solution.Stats}");
    }

    [Fact]
    public void ResetAtASaveTime_SavesTheResetState_AndZenoBallEndsWithAStatus()
    {
        // A scheduled dose at t = 1: y' = −y, y⁺ = y⁻ + 1.
        var dose = OdeEvent.AtTime(1.0, new OdeReset((y, p, yp) => yp[0] = y[0] + 1));
        var solution = Ode.Solve(new MonomialDecay(), [1.0], [1.0], 0, 2, new SolverOptions { RelTol = 1e-10, AbsTol = 1e-12, Events = [dose], SaveAt = [0.5, 1.0, 2.0] });
        Assert.Equal(OdeStatus.Success, solution.Status);
        Assert.Equal(Math.Exp(-1) + 1, solution.State(1)[0], 9);
        Assert.Equal((Math.Exp(-1) + 1) * Math.Exp(-1), solution.State(2)[0], 9);

        // e = 0.5 bounces infinitely often before t = 3√(2H/g): the solve returns (the budget of steps holds across
        // restarts; once the bounces are below the tolerance the ball slips through the floor without a crossing).
        var zeno = Ode.Solve(new BouncingBall(), [1.0, 0.0], [9.81, 0.5], 0, 5, new SolverOptions { Events = [BouncingBall.Ground()], MaxSteps = 2000 });
        Assert.InRange(zeno.Events.Count, 10, 2000);
        output.WriteLine($"Zeno ball: {zeno.Events.Count} bounces, {zeno.Message}");
    }

    [Theory]
    [InlineData("RK4")]
    [InlineData("Rodas4")]
    [InlineData("Kvaerno5")]
    public void MaxSteps_CountsEveryAttemptAcrossResets_AndAResetOnTheEndIsNoOverrun(string method)
    {
        // Fixed steps of 0.1: ten steps reach t = 1 exactly, so MaxSteps = 10 is enough for [0, 1] and not for [0, 1.4].
        var m = OdeMethod.All.Single(x => x.Name == method);
        var dose = new OdeReset((y, p, yp) => yp[0] = y[0] + 1, (y, p, dhdy, dhdp) => dhdy[0] = 1);
        SolverOptions Options(double at) => new() { Method = m, FixedStep = 0.1, MaxSteps = 10, Events = [OdeEvent.AtTime(at, dose)] };
        double[] y0 = [1.0], p = [1.0];

        // A reset on t1 itself, after the tenth step: the solve is complete, with the reset state.
        OdeSolution atEnd = Ode.Solve(new MonomialDecay(), y0, p, 0, 1, Options(1.0));
        OdeSolution plain = Ode.Solve(new MonomialDecay(), y0, p, 0, 1, new SolverOptions { Method = m, FixedStep = 0.1, MaxSteps = 10 });
        Assert.Equal(OdeStatus.Success, plain.Status);
        Assert.Equal(OdeStatus.Success, atEnd.Status);
        Assert.Equal(plain.FinalState[0] + 1, atEnd.FinalState[0], 14);
        foreach (Sensitivity s in new Sensitivity[] { Sensitivity.Forward, Sensitivity.InterpolatingAdjoint() })
        {
            OdeGradient g = Ode.Gradient(new MonomialDecay(), y0, p, 0, [1.0], [1.0], s, Options(1.0));
            Assert.True(g.Status == OdeStatus.Success, $"{s.Name}: {g.Status}");
        }

        // Fourteen steps with a reset after the fifth: over the budget of ten, however the attempts fall around the restart
        // (the forward sensitivities run the same restarts; the interpolating adjoint's checkpoint segments are runs of their own).
        OdeSolution over = Ode.Solve(new MonomialDecay(), y0, p, 0, 1.4, Options(0.5));
        Assert.Equal(OdeStatus.MaxStepsExceeded, over.Status);
        Assert.True(over.Stats.Steps + over.Stats.RejectedSteps <= 10, over.Stats.ToString());
        Assert.Equal(OdeStatus.MaxStepsExceeded, Ode.Gradient(new MonomialDecay(), y0, p, 0, [1.4], [1.0], Sensitivity.Forward, Options(0.5)).Status);
        Assert.Equal(OdeStatus.MaxStepsExceeded, Ode.Sensitivities(new MonomialDecay(), y0, p, 0, 1.4, Options(0.5)).Status);
    }

    [Theory]
    [InlineData("Dopri5")]
    [InlineData("Rodas4")]
    public void TwoResetsDueAtOneTime_AreBothApplied_AndDifferentiated(string method)
    {
        // Two doses at t = 1 (y⁺ = y⁻ + 1 each, the second scaled by θ): the restart after the first read the second's
        // g = t − 1 as exactly zero, no crossing, and the solve ended with Success and one dose.
        var m = OdeMethod.All.Single(x => x.Name == method);
        var first = OdeEvent.AtTime(1.0, new OdeReset((y, p, yp) => yp[0] = y[0] + 1, (y, p, dhdy, dhdp) => dhdy[0] = 1));
        var second = OdeEvent.AtTime(1.0, new OdeReset((y, p, yp) => yp[0] = y[0] + p[0], (y, p, dhdy, dhdp) => { dhdy[0] = 1; dhdp[0] = 1; }));
        var options = new SolverOptions { Method = m, RelTol = 1e-11, AbsTol = 1e-13, Events = [first, second] };
        const double k = 0.5;
        OdeSolution s = Ode.Solve(new MonomialDecay(), [1.0], [k], 0, 2, options);
        Assert.Equal(OdeStatus.Success, s.Status);
        Assert.Equal(2, s.Events.Count);
        // y(2) = ((e^−k + 1) + k)·e^−k.
        double expected = (Math.Exp(-k) + 1 + k) * Math.Exp(-k);
        Assert.Equal(expected, s.FinalState[0], 8);
        // dy(2)/dk = (−e^−k + 1)·e^−k − ((e^−k + 1) + k)·e^−k, and dy(2)/dy0 = e^−2k.
        double dk = (1 - Math.Exp(-k)) * Math.Exp(-k) - expected;
        foreach (Sensitivity sens in new Sensitivity[] { Sensitivity.Forward, Sensitivity.InterpolatingAdjoint(), Sensitivity.InterpolatingAdjoint(3, recordBudgetBytes: 0) })
        {
            OdeGradient g = Ode.Gradient(new MonomialDecay(), [1.0], [k], 0, [2.0], [1.0], sens, options);
            Assert.True(g.Status == OdeStatus.Success, $"{sens.Name}: {g.Status}");
            Assert.Equal(Math.Exp(-2 * k), g.Y0[0], 7);
            Assert.Equal(dk, g.Parameters[0], 7);
        }
    }

    /// <summary>y' = −p·y.</summary>
    private readonly struct MonomialDecay : IOdeSystem
    {
        public int StateCount => 1;
        public int ParameterCount => 1;
        public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = -p[0] * y[0];
        public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot, Span<double> dydt, Span<double> dydtDot)
        {
            dydt[0] = -p[0] * y[0];
            dydtDot[0] = -pDot[0] * y[0] - p[0] * yDot[0];
        }
        public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
        {
            yBar[0] -= p[0] * a[0];
            pBar[0] -= y[0] * a[0];
            return 0;
        }
        public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp)
        {
            dfdy[0] = -p[0];
            dfdp[0] = -y[0];
        }
    }
}
