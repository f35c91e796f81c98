using OdeGen.Solvers;
using Xunit.Abstractions;

namespace OdeGen.Tests.Sensitivities;

/// <summary>Derivatives through events: terminal events, resets (the bouncing ball) and what is refused.</summary>
public class EventGradientTests(ITestOutputHelper output)
{
    private const double H = 2.0, G = 9.81, E = 0.8;
    private static readonly SolverOptions Tight = new() { RelTol = 1e-11, AbsTol = 1e-13 };

    private static SolverOptions BallOptions(bool apex = false) => new()
    {
        RelTol = 1e-11,
        AbsTol = 1e-13,
        Events = apex ? [BouncingBall.Ground(), OdeEvent.StateCrossing(1, 0.0, EventDirection.Falling)] : [BouncingBall.Ground()],
    };

    private static double RelativeError(double actual, double expected) =>
        Math.Abs(actual - expected) / Math.Max(Math.Abs(expected), 1e-3);

    [Fact]
    public void BouncingBall_ForwardSensitivities_BounceTimesAndApexes_MatchClosedFormDerivatives()
    {
        const int bounces = 4;
        double tEnd = BouncingBall.ImpactTime(bounces, H, G, E) + 0.05;
        var s = Ode.Sensitivities(new BouncingBall(), [H, 0.0], [G, E], 0, tEnd, BallOptions(apex: true));
        Assert.Equal(OdeStatus.Success, s.Status);
        var impacts = s.EventSensitivities.Where(x => x.Occurrence.EventIndex == 0).ToArray();
        var apexes = s.EventSensitivities.Where(x => x.Occurrence.EventIndex == 1).ToArray();
        Assert.Equal(bounces, impacts.Length);
        Assert.Equal(bounces - 1, apexes.Length);
        double worstTime = 0, worstApex = 0;
        for (int k = 1; k <= bounces; k++)
        {
            var (t, dt) = BouncingBallClosedForm.Impact(k, H, G, E);
            var x = impacts[k - 1];
            Assert.Equal(t, x.Occurrence.Time, 9);
            double[] actual = [x.DtDy0[0], x.DtDp[0], x.DtDp[1]];
            for (int q = 0; q < 3; q++) worstTime = Math.Max(worstTime, RelativeError(actual[q], dt[q]));
        }
        for (int k = 1; k < bounces; k++)
        {
            var (a, da) = BouncingBallClosedForm.Apex(k, H, G, E);
            var x = apexes[k - 1];
            Assert.Equal(a, x.Occurrence.State[0], 8);
            // d(apex height) = d y_0 along the event: row 0 of DyDy0 (column H) and of DyDp (columns g, e).
            double[] actual = [x.DyDy0[0], x.DyDp[0], x.DyDp[1]];
            for (int q = 0; q < 3; q++) worstApex = Math.Max(worstApex, Math.Abs(actual[q] - da[q]) / Math.Max(Math.Abs(da[q]), 1));
        }
        output.WriteLine($"forward: max relative error of dT_k/d(H, g, e) {worstTime:E2}, of dA_k/d(H, g, e) {worstApex:E2}");
        Assert.True(worstTime < 1e-7, $"impact-time derivatives: {worstTime:E2}");
        Assert.True(worstApex < 1e-7, $"apex derivatives: {worstApex:E2}");
    }

    [Fact]
    public void BouncingBall_ForwardSensitivities_StateAfterBounces_MatchClosedFormAndFiniteDifferences()
    {
        const int k = 3;
        double t = BouncingBall.ImpactTime(k, H, G, E) + 0.3;
        var s = Ode.Sensitivities(new BouncingBall(), [H, 0.0], [G, E], 0, t, BallOptions());
        Assert.Equal(OdeStatus.Success, s.Status);
        var (y, dy) = BouncingBallClosedForm.State(t, k, H, G, E);
        double worstExact = 0, worstFd = 0;
        double[] fd = FiniteDifferenceOfSolve(t);
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(y[i], s.State[i], 8);
            double[] actual = [s.DyDy0[i * 2], s.DyDp[i * 2], s.DyDp[i * 2 + 1]];
            for (int q = 0; q < 3; q++)
            {
                worstExact = Math.Max(worstExact, RelativeError(actual[q], dy[i][q]));
                worstFd = Math.Max(worstFd, RelativeError(actual[q], fd[i * 3 + q]));
            }
        }
        output.WriteLine($"forward, state after {k} bounces: max relative error vs closed form {worstExact:E2}, vs central differences of Ode.Solve {worstFd:E2}");
        Assert.True(worstExact < 1e-7, $"vs closed form {worstExact:E2}");
        Assert.True(worstFd < 1e-5, $"vs finite differences {worstFd:E2}");
    }

    [Theory]
    [InlineData(16)]
    [InlineData(3)]
    public void BouncingBall_InterpolatingAdjoint_LossAfterBounces_MatchesClosedForm(int checkpoints)
    {
        // L = h(t_a) + 0.5·v(t_a) + 2·h(t_b) − v(t_b), t_a between the 1st and 2nd impacts, t_b after the 3rd.
        double ta = BouncingBall.ImpactTime(1, H, G, E) + 0.2, tb = BouncingBall.ImpactTime(3, H, G, E) + 0.3;
        double[] dLdy = [1.0, 0.5, 2.0, -1.0];
        var g = Ode.Gradient(new BouncingBall(), [H, 0.0], [G, E], 0, [ta, tb], dLdy, Sensitivity.InterpolatingAdjoint(checkpoints), BallOptions());
        Assert.Equal(OdeStatus.Success, g.Status);
        Assert.Equal(3, g.Events.Count);
        var (ya, dya) = BouncingBallClosedForm.State(ta, 1, H, G, E);
        var (yb, dyb) = BouncingBallClosedForm.State(tb, 3, H, G, E);
        var expected = new double[3];
        for (int q = 0; q < 3; q++) expected[q] = dya[0][q] + 0.5 * dya[1][q] + 2 * dyb[0][q] - dyb[1][q];
        double[] actual = [g.Y0[0], g.Parameters[0], g.Parameters[1]];
        double worst = 0;
        for (int q = 0; q < 3; q++) worst = Math.Max(worst, RelativeError(actual[q], expected[q]));
        // dL/dtimes: the state's time derivative f at each observation time.
        Assert.Equal(ya[1] + 0.5 * -G, g.Times[0], 7);
        Assert.Equal(2 * yb[1] + G, g.Times[1], 7);
        // Central differences of Ode.Solve in (H, g, e).
        double worstFd = 0;
        for (int q = 0; q < 3; q++)
        {
            double Loss(int sign)
            {
                double[] x = [H, G, E];
                x[q] += sign * 1e-6;
                var options = BallOptions();
                var solution = Ode.Solve(new BouncingBall(), [x[0], 0.0], [x[1], x[2]], 0, tb,
                    new SolverOptions { RelTol = options.RelTol, AbsTol = options.AbsTol, Events = options.Events, SaveAt = [ta, tb] }).EnsureSuccess();
                return dLdy[0] * solution.State(0)[0] + dLdy[1] * solution.State(0)[1] + dLdy[2] * solution.State(1)[0] + dLdy[3] * solution.State(1)[1];
            }
            worstFd = Math.Max(worstFd, RelativeError(actual[q], (Loss(1) - Loss(-1)) / 2e-6));
        }
        output.WriteLine($"interpolating adjoint ({checkpoints} checkpoints): max relative error of dL/d(H, g, e) vs closed form {worst:E2}, vs central differences of Ode.Solve {worstFd:E2}");
        Assert.True(worst < 1e-7, $"vs closed form {worst:E2}");
        Assert.True(worstFd < 1e-5, $"vs finite differences {worstFd:E2}");
    }

    [Fact]
    public void BouncingBall_AdjointAgreesWithForward_DotProductIdentity()
    {
        // ⟨λ, S·v⟩: Σ_i dLdy_i · z(t_i) from one Jvp must equal gY0·ẏ0 + gθ·θ̇ from the adjoint (and Forward).
        double[] times = [0.4, BouncingBall.ImpactTime(2, H, G, E) + 0.1, BouncingBall.ImpactTime(4, H, G, E) + 0.05];
        double[] dLdy = [0.3, -1.2, 0.7, 0.4, -0.5, 1.1];
        double[] y0Dot = [0.6, -0.25], pDot = [0.8, -0.45];
        var options = BallOptions();
        var jvp = Ode.Jvp(new BouncingBall(), [H, 0.0], [G, E], 0, times[^1], y0Dot, pDot, options: new SolverOptions
        {
            RelTol = options.RelTol, AbsTol = options.AbsTol, Events = options.Events, SaveAt = times,
        });
        Assert.Equal(OdeStatus.Success, jvp.Status);
        double left = 0;
        for (int i = 0; i < times.Length; i++)
            for (int q = 0; q < 2; q++) left += dLdy[i * 2 + q] * jvp.TangentAt(i)[q];
        foreach (Sensitivity method in new Sensitivity[] { Sensitivity.InterpolatingAdjoint(), Sensitivity.Forward })
        {
            var g = Ode.Gradient(new BouncingBall(), [H, 0.0], [G, E], 0, times, dLdy, method, options);
            Assert.Equal(OdeStatus.Success, g.Status);
            double right = g.Y0[0] * y0Dot[0] + g.Y0[1] * y0Dot[1] + g.Parameters[0] * pDot[0] + g.Parameters[1] * pDot[1];
            output.WriteLine($"{method}: ⟨dLdy, S·v⟩ = {left:R}, ⟨Sᵀ·dLdy, v⟩ = {right:R}, relative difference {Math.Abs(left - right) / Math.Abs(left):E2}");
            Assert.True(Math.Abs(left - right) <= 1e-8 * Math.Abs(left), $"{method}: {left} vs {right}");
        }
        // The event-time tangents of the Jvp match the forward sensitivities' dt_k/d(y0, θ)·v.
        var s = Ode.Sensitivities(new BouncingBall(), [H, 0.0], [G, E], 0, times[^1], options);
        Assert.Equal(s.EventSensitivities.Count, jvp.EventTimeTangents.Length);
        for (int k = 0; k < jvp.EventTimeTangents.Length; k++)
        {
            var e = s.EventSensitivities[k];
            double expected = e.DtDy0[0] * y0Dot[0] + e.DtDy0[1] * y0Dot[1] + e.DtDp[0] * pDot[0] + e.DtDp[1] * pDot[1];
            Assert.Equal(expected, jvp.EventTimeTangents[k], 9);
        }
    }

    /// <summary>A terminal event whose g depends on t: x + 0.2·t − 0.1 = 0 falling, on a driven damped pendulum.</summary>
    private static OdeEvent Stop() => new((t, y) => y[0] + 0.2 * t - 0.1, (t, y, dgdy) => { dgdy[0] = 1; return 0.2; })
    {
        Direction = EventDirection.Falling,
        Terminal = true,
        Name = "stop",
    };

    private static readonly double[] PendulumY0 = [1.0, 0.3], PendulumP = [4.0, 0.3, 0.5];
    private static readonly double[] PendulumTimes = [0.3, 0.5, 1.5, 2.5];
    private static readonly double[] PendulumDLdy = [0.4, -0.3, 1.0, 0.2, -0.6, 0.9, 0.5, 0.25];

    // L = Σ dLdy_i · y(t_i) with the state held after the terminal event.
    private static double PendulumLoss(double[] y0, double[] p, double t0, double[] times)
    {
        var options = new SolverOptions { RelTol = 1e-12, AbsTol = 1e-14, Events = [Stop()], SaveAt = times };
        var solution = Ode.Solve(new DrivenPendulum(), y0, p, t0, times[^1] + 1, options).EnsureSuccess();
        Assert.True(solution.TerminatedByEvent);
        double loss = 0;
        for (int i = 0; i < times.Length; i++)
        {
            ReadOnlySpan<double> y = i < solution.Count ? solution.State(i) : solution.FinalState;
            loss += PendulumDLdy[2 * i] * y[0] + PendulumDLdy[2 * i + 1] * y[1];
        }
        return loss;
    }

    public static TheoryData<string> TerminalMethods => new() { "Forward", "InterpolatingAdjoint(16)", "InterpolatingAdjoint(2)" };

    [Theory]
    [MemberData(nameof(TerminalMethods))]
    public void TerminalEvent_WithLossRowsAfterIt_GradientMatchesFiniteDifferencesOfTheWholeSolve(string name)
    {
        Sensitivity method = name == "Forward" ? Sensitivity.Forward : Sensitivity.InterpolatingAdjoint(name.Contains("16") ? 16 : 2);
        var options = new SolverOptions { RelTol = 1e-12, AbsTol = 1e-14, Events = [Stop()] };
        var g = Ode.Gradient(new DrivenPendulum(), PendulumY0, PendulumP, 0, PendulumTimes, PendulumDLdy, method, options);
        Assert.Equal(OdeStatus.Success, g.Status);
        var stop = Assert.Single(g.Events);
        Assert.InRange(stop.Time, PendulumTimes[1], PendulumTimes[2]);   // two loss rows lie after it
        Assert.Equal(0.0, g.Times[2]);
        Assert.Equal(0.0, g.Times[3]);

        const double h = 1e-6;
        var fd = new List<(string What, double Actual, double Expected)>();
        for (int j = 0; j < 2; j++)
        {
            double[] plus = [.. PendulumY0], minus = [.. PendulumY0];
            plus[j] += h; minus[j] -= h;
            fd.Add(($"y0[{j}]", g.Y0[j], (PendulumLoss(plus, PendulumP, 0, PendulumTimes) - PendulumLoss(minus, PendulumP, 0, PendulumTimes)) / (2 * h)));
        }
        for (int k = 0; k < 3; k++)
        {
            double[] plus = [.. PendulumP], minus = [.. PendulumP];
            plus[k] += h; minus[k] -= h;
            fd.Add(($"p[{k}]", g.Parameters[k], (PendulumLoss(PendulumY0, plus, 0, PendulumTimes) - PendulumLoss(PendulumY0, minus, 0, PendulumTimes)) / (2 * h)));
        }
        fd.Add(("t0", g.T0, (PendulumLoss(PendulumY0, PendulumP, h, PendulumTimes) - PendulumLoss(PendulumY0, PendulumP, -h, PendulumTimes)) / (2 * h)));
        for (int i = 0; i < 2; i++)
        {
            double[] plus = [.. PendulumTimes], minus = [.. PendulumTimes];
            plus[i] += h; minus[i] -= h;
            fd.Add(($"times[{i}]", g.Times[i], (PendulumLoss(PendulumY0, PendulumP, 0, plus) - PendulumLoss(PendulumY0, PendulumP, 0, minus)) / (2 * h)));
        }
        double worst = fd.Max(x => Math.Abs(x.Actual - x.Expected) / Math.Max(Math.Abs(x.Expected), 1e-2));
        output.WriteLine($"{method}: t* = {stop.Time:R}, max relative error vs central differences {worst:E2}");
        foreach (var x in fd) output.WriteLine($"  {x.What}: {x.Actual:R} vs {x.Expected:R}");
        Assert.True(worst < 2e-6, $"{method}: {worst:E2}");
    }

    [Fact]
    public void TerminalEvent_JvpAndSensitivities_HoldTheStateAndAgreeWithTheGradient()
    {
        var options = new SolverOptions { RelTol = 1e-12, AbsTol = 1e-14, Events = [Stop()] };
        var s = Ode.Sensitivities(new DrivenPendulum(), PendulumY0, PendulumP, 0, 3.0, options);
        Assert.Equal(OdeStatus.Success, s.Status);
        Assert.Equal([0.0, 0.0], s.DyDt1);
        // The gradient of L = y(3)[0] is row 0 of the sensitivities.
        var g = Ode.Gradient(new DrivenPendulum(), PendulumY0, PendulumP, 0, [3.0], [1.0, 0.0], Sensitivity.InterpolatingAdjoint(), options);
        for (int j = 0; j < 2; j++) Assert.Equal(s.DyDy0[j], g.Y0[j], 7);
        for (int k = 0; k < 3; k++) Assert.Equal(s.DyDp[k], g.Parameters[k], 7);
        var jvp = Ode.Jvp(new DrivenPendulum(), PendulumY0, PendulumP, 0, 3.0, [1.0, 0.0], [0.0, 0.0, 0.0], t1Dot: 1.0, options: options);
        Assert.Equal(s.DyDy0[0], jvp.Tangent[0], 9);
        Assert.Equal(s.DyDy0[2], jvp.Tangent[1], 9);
        // The event time's derivative from the sensitivities, against central differences of the located time.
        const double h = 1e-6;
        double TStar(double k) => Ode.Solve(new DrivenPendulum(), PendulumY0, [k, PendulumP[1], PendulumP[2]], 0, 3.0, options).FinalTime;
        double fd = (TStar(PendulumP[0] + h) - TStar(PendulumP[0] - h)) / (2 * h);
        Assert.Equal(fd, Assert.Single(s.EventSensitivities).DtDp[0], 6);
    }

    /// <summary>
    /// A nonlinear reset on the pendulum when x crosses 0.2 (either way, g depends on t too): v⁺ = −0.7·v⁻ + a·x⁻², x⁺ = x⁻ + 0.05·v⁻,
    /// so ∂h/∂y is full and ∂h/∂θ ≠ 0 (a = θ[2]).
    /// </summary>
    private static OdeEvent Kick() => new((t, y) => y[0] - 0.2 + 0.01 * t, (t, y, dgdy) => { dgdy[0] = 1; return 0.01; })
    {
        Name = "kick",
        Reset = new OdeReset(
            (y, p, yp) => { yp[0] = y[0] + 0.05 * y[1]; yp[1] = -0.7 * y[1] + p[2] * y[0] * y[0]; },
            (y, p, dhdy, dhdp) =>
            {
                dhdy[0] = 1; dhdy[1] = 0.05;
                dhdy[2] = 2 * p[2] * y[0]; dhdy[3] = -0.7;
                dhdp[5] = y[0] * y[0];
            }),
    };

    public static TheoryData<string, string> ResetCases => new()
    {
        { "Forward", "Dopri5" }, { "InterpolatingAdjoint", "Dopri5" }, { "InterpolatingAdjoint", "Tsit5" },
        { "Forward", "Rodas4" }, { "InterpolatingAdjoint", "Kvaerno5" },
    };

    [Theory]
    [MemberData(nameof(ResetCases))]
    public void NonlinearReset_GradientMatchesFiniteDifferencesOfTheWholeSolve(string name, string solver)
    {
        Sensitivity method = name == "Forward" ? Sensitivity.Forward : Sensitivity.InterpolatingAdjoint(4);
        var m = OdeMethod.All.Single(x => x.Name == solver);
        bool stiff = m.IsStiff;
        var options = new SolverOptions { Method = m, RelTol = stiff ? 1e-9 : 1e-12, AbsTol = stiff ? 1e-11 : 1e-14, Events = [Kick()] };
        double[] times = [0.5, 1.7, 3.0];
        double[] dLdy = [0.4, -0.3, 1.0, 0.2, -0.6, 0.9];
        double[] y0 = [1.0, 0.0], p = [4.0, 0.2, 0.5];
        var g = Ode.Gradient(new DrivenPendulum(), y0, p, 0, times, dLdy, method, options);
        Assert.Equal(OdeStatus.Success, g.Status);
        Assert.InRange(g.Events.Count, 2, 20);

        double Loss(double[] y0x, double[] px, double t0)
        {
            var solution = Ode.Solve(new DrivenPendulum(), y0x, px, t0, times[^1], new SolverOptions { Method = m, RelTol = options.RelTol, AbsTol = options.AbsTol, Events = options.Events, SaveAt = times }).EnsureSuccess();
            Assert.Equal(g.Events.Count, solution.Events.Count);
            double loss = 0;
            for (int i = 0; i < times.Length; i++) loss += dLdy[2 * i] * solution.State(i)[0] + dLdy[2 * i + 1] * solution.State(i)[1];
            return loss;
        }
        const double h = 1e-5;
        var fd = new List<(double Actual, double Expected)>();
        for (int j = 0; j < 2; j++)
        {
            double[] plus = [.. y0], minus = [.. y0];
            plus[j] += h; minus[j] -= h;
            fd.Add((g.Y0[j], (Loss(plus, p, 0) - Loss(minus, p, 0)) / (2 * h)));
        }
        for (int k = 0; k < 3; k++)
        {
            double[] plus = [.. p], minus = [.. p];
            plus[k] += h; minus[k] -= h;
            fd.Add((g.Parameters[k], (Loss(y0, plus, 0) - Loss(y0, minus, 0)) / (2 * h)));
        }
        fd.Add((g.T0, (Loss(y0, p, h) - Loss(y0, p, -h)) / (2 * h)));
        double worst = fd.Max(x => Math.Abs(x.Actual - x.Expected) / Math.Max(Math.Abs(x.Expected), 1e-1));
        output.WriteLine($"{method} with {solver}: {g.Events.Count} resets, max relative error vs central differences {worst:E2}");
        Assert.True(worst < (stiff ? 1e-4 : 1e-6), $"{worst:E2}: " + string.Join(", ", fd.Select(x => $"{x.Actual:G10} vs {x.Expected:G10}")));
    }

    [Theory]
    [InlineData("Forward")]
    [InlineData("InterpolatingAdjoint")]
    public void LossGradient_ThroughResets_EqualsGradientWithTheSameRows(string name)
    {
        Sensitivity method = name == "Forward" ? Sensitivity.Forward : Sensitivity.InterpolatingAdjoint();
        double[] times = [0.5, BouncingBall.ImpactTime(2, H, G, E) + 0.1];
        // L = Σ_i ½·h(t_i)²: ∂L/∂h_i = h_i.
        var lg = Ode.LossGradient(new BouncingBall(), [H, 0.0], [G, E], 0, times, (states, dLdy) =>
        {
            double loss = 0;
            for (int i = 0; i < 2; i++)
            {
                loss += 0.5 * states[2 * i] * states[2 * i];
                dLdy[2 * i] = states[2 * i];
            }
            return loss;
        }, method, BallOptions());
        Assert.Equal(OdeStatus.Success, lg.Status);
        Assert.Equal(2, lg.Events.Count);
        double[] rows = [lg.States[0], 0, lg.States[2], 0];
        var g = Ode.Gradient(new BouncingBall(), [H, 0.0], [G, E], 0, times, rows, method, BallOptions());
        Assert.Equal(g.Y0, lg.Y0);
        Assert.Equal(g.Parameters, lg.Parameters);
        Assert.Equal(g.Times, lg.Times);
        var (y1, _) = BouncingBallClosedForm.State(times[1], 2, H, G, E);
        Assert.Equal(y1[0], lg.States[2], 8);
    }

    [Theory]
    [InlineData("Forward")]
    [InlineData("InterpolatingAdjoint")]
    public void BackwardsInTime_TerminalEvent_GradientMatchesFiniteDifferences(string name)
    {
        // From t0 = 0 backwards: going back, the pendulum's x falls from 1 to −1.5 by t = −1.5, and g = x + 1.4 + 0.05·t crosses zero.
        Sensitivity method = name == "Forward" ? Sensitivity.Forward : Sensitivity.InterpolatingAdjoint(3);
        var stop = new OdeEvent((t, y) => y[0] + 1.4 + 0.05 * t, (t, y, dgdy) => { dgdy[0] = 1; return 0.05; }) { Terminal = true };
        var options = new SolverOptions { RelTol = 1e-12, AbsTol = 1e-14, Events = [stop] };
        double[] times = [-0.2, -2.0, -2.5];
        double[] dLdy = [1.0, 0.5, -0.3, 0.8, 0.6, -0.2];
        double[] y0 = [1.0, 0.3], p = [4.0, 0.3, 0.5];
        var g = Ode.Gradient(new DrivenPendulum(), y0, p, 0, times, dLdy, method, options);
        Assert.Equal(OdeStatus.Success, g.Status);
        var hit = Assert.Single(g.Events);
        Assert.InRange(hit.Time, -2.0, -0.2);

        double Loss(double[] y0x, double[] px)
        {
            var solution = Ode.Solve(new DrivenPendulum(), y0x, px, 0, -3,
                new SolverOptions { RelTol = 1e-12, AbsTol = 1e-14, Events = [stop], SaveAt = times }).EnsureSuccess();
            double loss = 0;
            for (int i = 0; i < times.Length; i++)
            {
                ReadOnlySpan<double> y = i < solution.Count ? solution.State(i) : solution.FinalState;
                loss += dLdy[2 * i] * y[0] + dLdy[2 * i + 1] * y[1];
            }
            return loss;
        }
        const double h = 1e-6;
        double worst = 0;
        for (int k = 0; k < 5; k++)
        {
            double[] yp = [.. y0], ym = [.. y0], pp = [.. p], pm = [.. p];
            if (k < 2) { yp[k] += h; ym[k] -= h; } else { pp[k - 2] += h; pm[k - 2] -= h; }
            double fd = (Loss(yp, pp) - Loss(ym, pm)) / (2 * h);
            double actual = k < 2 ? g.Y0[k] : g.Parameters[k - 2];
            worst = Math.Max(worst, Math.Abs(actual - fd) / Math.Max(Math.Abs(fd), 1e-2));
        }
        output.WriteLine($"{method} backwards in time: t* = {hit.Time:R}, max relative error vs central differences {worst:E2}");
        Assert.True(worst < 1e-6, $"{worst:E2}");
    }

    [Fact]
    public void GeneratedBallSystem_ThroughBounces_MatchesTheHandWrittenOne()
    {
        // The generator's Jacobian and VJP of the same dynamics, with the same events: the same derivatives.
        double t = BouncingBall.ImpactTime(3, H, G, E) + 0.3;
        var generated = Ode.Sensitivities(new OdeGen.Tests.Generated.Ball.RhsSystem(), [H, 0.0], [G, E], 0, t, BallOptions());
        var hand = Ode.Sensitivities(new BouncingBall(), [H, 0.0], [G, E], 0, t, BallOptions());
        Assert.Equal(OdeStatus.Success, generated.Status);
        Assert.Equal(hand.Events.Count, generated.Events.Count);
        for (int q = 0; q < 4; q++)
        {
            Assert.Equal(hand.DyDy0[q], generated.DyDy0[q], 10);
            Assert.Equal(hand.DyDp[q], generated.DyDp[q], 10);
        }
        var g = Ode.Gradient(new OdeGen.Tests.Generated.Ball.RhsSystem(), [H, 0.0], [G, E], 0, [t], [1.0, 0.0], Sensitivity.InterpolatingAdjoint(), BallOptions());
        Assert.Equal(hand.DyDp[1], g.Parameters[1], 9);
    }

    [Fact]
    public void MethodsThatCannotDifferentiateEvents_Throw_NamingTheOnesThatCan()
    {
        var options = BallOptions();
        double[] times = [1.0];
        double[] dLdy = [1.0, 0.0];
        foreach (Sensitivity method in new Sensitivity[] { Sensitivity.BacksolveAdjoint, Sensitivity.DiscreteAdjoint })
        {
            var e = Assert.Throws<NotSupportedException>(() => Ode.Gradient(new BouncingBall(), [H, 0.0], [G, E], 0, times, dLdy, method, options));
            Assert.Contains("Sensitivity.InterpolatingAdjoint()", e.Message);
            Assert.Contains("Sensitivity.Forward", e.Message);
        }
        // An event that only observes the solution does not change the gradient: those methods accept it.
        var observeOnly = new SolverOptions { RelTol = 1e-10, AbsTol = 1e-12, Events = [OdeEvent.StateCrossing(1, -1.0)] };
        var reference = Ode.Gradient(new BouncingBall(), [H, 0.0], [G, E], 0, times, dLdy, Sensitivity.InterpolatingAdjoint(), observeOnly);
        Assert.Single(reference.Events);
        foreach (Sensitivity method in new Sensitivity[] { Sensitivity.BacksolveAdjoint, Sensitivity.DiscreteAdjoint })
        {
            var g = Ode.Gradient(new BouncingBall(), [H, 0.0], [G, E], 0, times, dLdy, method, observeOnly);
            Assert.Equal(reference.Parameters[0], g.Parameters[0], 6);
        }
        var lanes = new LorenzLanes();
        var lorenzOptions = new SolverOptions { Events = [OdeEvent.StateCrossing(0, 0.0)] };
        var ensemble = Assert.Throws<NotSupportedException>(() =>
            Ode.Gradient(lanes, new EnsembleBatch([1.0, 1.0, 1.0], [10.0, 28.0, 8.0 / 3.0]), 0, [1], [1.0, 0, 0], Sensitivity.DiscreteAdjoint, lorenzOptions));
        Assert.Contains("Sensitivity.InterpolatingAdjoint()", ensemble.Message);
        Assert.Throws<NotSupportedException>(() =>
            Ode.Gradient(lanes, new EnsembleBatch([1.0, 1.0, 1.0], [10.0, 28.0, 8.0 / 3.0]), 0, [1.0], [1.0, 0, 0], Sensitivity.DiscreteAdjoint, lorenzOptions));
    }

    [Fact]
    public void ObservingEvents_EveryGradientReportsTheOccurrencesOfTheSolve()
    {
        // Events that neither stop nor reset: v = −1 (both ways), the apex v = 0 (falling) and a time t = 1.3, over a ball that
        // bounces with no event of its own, observed at four times; times[1] is the time event's. Every method, the back-solve
        // and discrete adjoints included (they located nothing and reported an empty list), reports what Ode.Solve finds.
        var events = new[] { OdeEvent.StateCrossing(1, -1.0), OdeEvent.StateCrossing(1, 0.0, EventDirection.Falling), OdeEvent.AtTime(1.3) };
        var options = new SolverOptions { RelTol = 1e-10, AbsTol = 1e-12, Events = events };
        double[] times = [0.4, 1.3, 2.0, 3.1];
        double[] dLdy = [1.0, 0.5, -0.3, 0.2, 0.7, -0.1, 0.4, 0.6];
        double[] y0 = [0.5, 1.5];
        var solution = Ode.Solve(new DrivenPendulum(), y0, [4.0, 0.2, 0.1], 0, times[^1],
            new SolverOptions { RelTol = 1e-10, AbsTol = 1e-12, Events = events, SaveAt = times }).EnsureSuccess();
        Assert.InRange(solution.Events.Count, 4, 20);
        Assert.Contains(solution.Events, o => o.EventIndex == 2 && Math.Abs(o.Time - 1.3) < 1e-12);
        var methods = new Sensitivity[]
        {
            Sensitivity.Forward, Sensitivity.InterpolatingAdjoint(), Sensitivity.BacksolveAdjoint, Sensitivity.Backsolve(seminorm: true),
            Sensitivity.DiscreteAdjoint, Sensitivity.Discrete(stepsPerCheckpoint: 3),
        };
        foreach (Sensitivity method in methods)
        {
            for (int call = 0; call < 2; call++)   // the second call reuses the thread's workspace
            {
                var g = Ode.Gradient(new DrivenPendulum(), y0, [4.0, 0.2, 0.1], 0, times, dLdy, method, options);
                Assert.Equal(OdeStatus.Success, g.Status);
                Assert.True(g.Events.Count == solution.Events.Count, $"{method}: {g.Events.Count} events, Ode.Solve found {solution.Events.Count}");
                for (int k = 0; k < g.Events.Count; k++)
                {
                    Assert.Equal(solution.Events[k].EventIndex, g.Events[k].EventIndex);
                    Assert.Equal(solution.Events[k].Time, g.Events[k].Time, 8);
                    Assert.Equal(solution.Events[k].State[1], g.Events[k].State[1], 8);
                }
            }
        }
        // The workspace's list is the call's: a later call without events reports none.
        var plain = Ode.Gradient(new DrivenPendulum(), y0, [4.0, 0.2, 0.1], 0, times, dLdy, Sensitivity.BacksolveAdjoint,
            new SolverOptions { RelTol = 1e-10, AbsTol = 1e-12 });
        Assert.Empty(plain.Events);
    }

    [Theory]
    [InlineData(1e-2)]
    [InlineData(1e-4)]
    public void AResetThatMovesTheStateOffItsSurface_ItsCrossingBackIsFound_WhateverTheSteps(double jump)
    {
        // h = t (the ball without gravity, v = 1) crosses h = 1 at t = 1; the reset h⁺ = h⁻ + jump, v⁺ = −v⁻ sends it back, so
        // it crosses h = 1 again at t = 1 + jump, where the same reset sends it up for good: two events. Counted as zero after
        // the reset, the event missed the crossing back whenever the first step after the restart passed it (found with short
        // steps, missed with long ones), and Ode.Solve and the sensitivities' passes, whose steps differ, disagreed on the
        // events and on the solution with a Success status.
        var reset = new OdeReset((y, p, yp) => { yp[0] = y[0] + jump; yp[1] = -y[1]; }, (y, p, dhdy, dhdp) => { dhdy[0] = 1; dhdy[3] = -1; });
        var ev = OdeEvent.StateCrossing(0, 1.0, EventDirection.Both, reset);
        double[] y0 = [0.0, 1.0], p = [0.0, 1.0];
        foreach (double maxStep in new[] { double.PositiveInfinity, jump / 4 })
        {
            var solution = Ode.Solve(new BouncingBall(), y0, p, 0, 2, new SolverOptions { Events = [ev], MaxStep = maxStep });
            Assert.True(solution.IsSuccess, solution.Message);
            Assert.Equal(2, solution.Events.Count);
            Assert.Equal(1.0, solution.Events[0].Time, 9);
            Assert.Equal(1.0 + jump, solution.Events[1].Time, 9);
            Assert.Equal(2.0, solution.FinalState[0], 8);
        }
        // L = h(2), against central differences of Ode.Solve in h0 and v0.
        var options = new SolverOptions { RelTol = 1e-10, AbsTol = 1e-12, Events = [ev] };
        foreach (Sensitivity method in new Sensitivity[] { Sensitivity.Forward, Sensitivity.InterpolatingAdjoint() })
        {
            var g = Ode.Gradient(new BouncingBall(), y0, p, 0, [2.0], [1.0, 0.0], method, options);
            Assert.Equal(OdeStatus.Success, g.Status);
            Assert.Equal(2, g.Events.Count);
            Assert.Equal(2.0, g.States[0], 8);
            double Loss(double h0, double v0) => Ode.Solve(new BouncingBall(), [h0, v0], p, 0, 2,
                new SolverOptions { RelTol = 1e-12, AbsTol = 1e-14, Events = [ev] }).EnsureSuccess().FinalState[0];
            Assert.Equal((Loss(1e-6, 1.0) - Loss(-1e-6, 1.0)) / 2e-6, g.Y0[0], 6);
            Assert.Equal((Loss(0, 1.0 + 1e-6) - Loss(0, 1.0 - 1e-6)) / 2e-6, g.Y0[1], 6);
        }
    }

    [Fact]
    public void EventWithoutGradient_OrResetWithoutJacobian_IsAnArgumentException_SayingWhatToSupply()
    {
        double[] times = [1.0];
        double[] dLdy = [1.0, 0.0];
        var noGradient = new SolverOptions { Events = [new OdeEvent((t, y) => y[0]) { Terminal = true }] };
        foreach (Sensitivity method in new Sensitivity[] { Sensitivity.InterpolatingAdjoint(), Sensitivity.Forward })
        {
            var e = Assert.Throws<ArgumentException>(() => Ode.Gradient(new BouncingBall(), [H, 0.0], [G, E], 0, times, dLdy, method, noGradient));
            Assert.Contains("has no gradient", e.Message);
            Assert.Contains("dgdy", e.Message);
        }
        Assert.Throws<ArgumentException>(() => Ode.Jvp(new BouncingBall(), [H, 0.0], [G, E], 0, 1, [1.0, 0], [0.0, 0], options: noGradient));
        Assert.Throws<ArgumentException>(() => Ode.Sensitivities(new BouncingBall(), [H, 0.0], [G, E], 0, 1, noGradient));

        var reset = new OdeReset((y, p, yp) => { yp[0] = y[0]; yp[1] = -p[1] * y[1]; });
        var noJacobian = new SolverOptions { Events = [OdeEvent.StateCrossing(0, 0.0, EventDirection.Falling, reset)] };
        var r = Assert.Throws<ArgumentException>(() => Ode.Gradient(new BouncingBall(), [H, 0.0], [G, E], 0, times, dLdy, Sensitivity.Forward, noJacobian));
        Assert.Contains("without a Jacobian", r.Message);
        Assert.Contains("∂h/∂θ", r.Message);
        // A plain solve needs neither.
        Assert.True(Ode.Solve(new BouncingBall(), [H, 0.0], [G, E], 0, 1, noJacobian).IsSuccess);
    }

    [Fact]
    public void AnEventGradientThatIsNotFinite_IsAnArgumentException_NotAGrazingEvent()
    {
        // The ball's first bounce, with an event gradient that returns NaN (dg/dt) or writes ∞ (dg/dy): the callback is wrong,
        // not the crossing, so the calls say so instead of reporting a tangential crossing.
        var nanTime = new OdeEvent((t, y) => y[0], (t, y, dgdy) => { dgdy[0] = 1; return double.NaN; }) { Terminal = true, Name = "floor" };
        var infState = new OdeEvent((t, y) => y[0], (t, y, dgdy) => { dgdy[0] = double.PositiveInfinity; return 0; }) { Terminal = true, Name = "floor" };
        foreach (OdeEvent ev in new[] { nanTime, infState })
        {
            var options = new SolverOptions { Events = [ev] };
            Assert.True(Ode.Solve(new BouncingBall(), [H, 0.0], [G, E], 0, 1, options).TerminatedByEvent);
            foreach (Sensitivity method in new Sensitivity[] { Sensitivity.InterpolatingAdjoint(), Sensitivity.Forward })
            {
                var e = Assert.Throws<ArgumentException>(() => Ode.Gradient(new BouncingBall(), [H, 0.0], [G, E], 0, [1.0], [1.0, 0.0], method, options));
                Assert.Contains("gradient of event 'floor'", e.Message);
            }
            Assert.Throws<ArgumentException>(() => Ode.Jvp(new BouncingBall(), [H, 0.0], [G, E], 0, 1, [1.0, 0.0], [0.0, 0.0], options: options));
        }
    }

    [Fact]
    public void GrazingCrossing_IsTheStatusGrazingEvent_WithNaNResults()
    {
        // h = t (g = 0 in the ball's dynamics, v = 1), event (h − 1)³ = 0: it crosses at t = 1 with dg/dt = 0 there.
        var cubic = new OdeEvent((t, y) => Math.Pow(y[0] - 1, 3), (t, y, dgdy) => { dgdy[0] = 3 * (y[0] - 1) * (y[0] - 1); return 0; })
        {
            Terminal = true,
        };
        var options = new SolverOptions { Events = [cubic] };
        Assert.True(Ode.Solve(new BouncingBall(), [0.0, 1.0], [0.0, 1.0], 0, 2, options).TerminatedByEvent);
        foreach (Sensitivity method in new Sensitivity[] { Sensitivity.InterpolatingAdjoint(), Sensitivity.Forward })
        {
            var g = Ode.Gradient(new BouncingBall(), [0.0, 1.0], [0.0, 1.0], 0, [2.0], [1.0, 0.0], method, options);
            Assert.Equal(OdeStatus.GrazingEvent, g.Status);
            Assert.Contains("tangential", Assert.Throws<OdeSolverException>(() => g.EnsureSuccess()).Message);
            Assert.All(g.Y0, x => Assert.True(double.IsNaN(x)));
            Assert.All(g.Parameters, x => Assert.True(double.IsNaN(x)));
        }
        var jvp = Ode.Jvp(new BouncingBall(), [0.0, 1.0], [0.0, 1.0], 0, 2, [1.0, 0.0], [0.0, 0.0], options: options);
        Assert.Equal(OdeStatus.GrazingEvent, jvp.Status);
        Assert.True(double.IsNaN(jvp.Tangent[0]));
    }

    // ∂y(t)/∂(H, g, e) by central differences of Ode.Solve, row i = component.
    private static double[] FiniteDifferenceOfSolve(double t)
    {
        var result = new double[6];
        for (int q = 0; q < 3; q++)
        {
            double[] plus = Solve(q, +1), minus = Solve(q, -1);
            for (int i = 0; i < 2; i++) result[i * 3 + q] = (plus[i] - minus[i]) / (2 * 1e-6);
        }
        return result;

        double[] Solve(int q, int sign)
        {
            double[] x = [H, G, E];
            x[q] += sign * 1e-6;
            return Ode.Solve(new BouncingBall(), [x[0], 0.0], [x[1], x[2]], 0, t, BallOptions()).EnsureSuccess().FinalState.ToArray();
        }
    }
}
