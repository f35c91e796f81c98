using OdeGen.Solvers;
using Xunit.Abstractions;

namespace OdeGen.Tests.Sensitivities;

/// <summary>
/// A gradient through an event that only the check inside a step finds: a ball thrown up, x = v0·t − g·t²/2, rises through
/// the level 5 at 0.879 and falls back through it at 1.160, both inside the fixed step [0.8, 1.2], where x is below the level
/// at both ends. Stopping there, or reversing the velocity there (a ceiling, v⁺ = −e·v⁻), changes the loss; the gradient
/// must be that of the solve that stops or resets there. Every piece is a quadratic in t, which Dopri5's steps and dense
/// output reproduce exactly, so the gradient and central differences of the solve agree to their rounding.
/// </summary>
public class EventInteriorGradientTests(ITestOutputHelper output)
{
    private const double Level = 5.0, Step = 0.4;
    private static readonly double[] Y0 = [0.0, 10.0], P = [9.81, 0.8], Times = [0.5, 2.0], DLdy = [0.3, -0.5, 1.0, 0.7];

    private static OdeEvent Ceiling(bool terminal) =>
        OdeEvent.StateCrossing(0, Level, EventDirection.Rising, terminal ? null : BouncingBall.Bounce, terminal);

    private static SolverOptions Options(bool terminal) => new() { FixedStep = Step, Events = [Ceiling(terminal)] };

    private static double Loss(double[] y0, double[] p, double t0, bool terminal)
    {
        var solution = Ode.Solve(new BouncingBall(), y0, p, t0, Times[^1], new SolverOptions
        {
            FixedStep = Step,
            Events = [Ceiling(terminal)],
            SaveAt = Times,
        }).EnsureSuccess();
        Assert.Single(solution.Events);
        double loss = 0;
        for (int i = 0; i < Times.Length; i++)
        {
            ReadOnlySpan<double> y = i < solution.Count ? solution.State(i) : solution.FinalState;
            loss += DLdy[2 * i] * y[0] + DLdy[2 * i + 1] * y[1];
        }
        return loss;
    }

    public static TheoryData<string, bool> Cases => new()
    {
        { "Forward", true }, { "InterpolatingAdjoint", true }, { "Forward", false }, { "InterpolatingAdjoint", false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void EventInsideAStep_GradientMatchesFiniteDifferencesOfTheSolveThatFindsIt(string name, bool terminal)
    {
        Sensitivity method = name == "Forward" ? Sensitivity.Forward : Sensitivity.InterpolatingAdjoint(4);
        var g = Ode.Gradient(new BouncingBall(), Y0, P, 0, Times, DLdy, method, Options(terminal));
        Assert.Equal(OdeStatus.Success, g.Status);
        var hit = Assert.Single(g.Events);
        double v0 = Y0[1], grav = P[0], s = Math.Sqrt(v0 * v0 - 2 * grav * Level), exact = (v0 - s) / grav;
        // The step that holds the crossing has x below the level at both ends: only the points inside it see it.
        static double X(double t) => 10.0 * t - 9.81 * t * t / 2;
        Assert.True(X(0.8) < Level && X(1.2) < Level && X(exact + 0.28) > Level);
        Assert.Equal(0.8, Math.Floor(hit.Time / Step) * Step, 1e-15);
        var endsOnly = Ode.Solve(new BouncingBall(), Y0, P, 0, Times[^1], new SolverOptions { FixedStep = Step, Events = [Ceiling(terminal)], EventInteriorPoints = 0 });
        Assert.Equal(OdeStatus.Success, endsOnly.Status);
        Assert.Empty(endsOnly.Events);
        Assert.True(Math.Abs(hit.Time - exact) < 1e-12, $"{hit.Time:R} vs {exact:R}");

        const double h = 1e-6;
        var fd = new List<(string What, double Actual, double Expected)>();
        for (int j = 0; j < 2; j++)
        {
            double[] plus = [.. Y0], minus = [.. Y0];
            plus[j] += h; minus[j] -= h;
            fd.Add(($"y0[{j}]", g.Y0[j], (Loss(plus, P, 0, terminal) - Loss(minus, P, 0, terminal)) / (2 * h)));
        }
        for (int k = 0; k < 2; k++)
        {
            double[] plus = [.. P], minus = [.. P];
            plus[k] += h; minus[k] -= h;
            fd.Add(($"p[{k}]", g.Parameters[k], (Loss(Y0, plus, 0, terminal) - Loss(Y0, minus, 0, terminal)) / (2 * h)));
        }
        fd.Add(("t0", g.T0, (Loss(Y0, P, h, terminal) - Loss(Y0, P, -h, terminal)) / (2 * h)));
        double worst = fd.Max(x => Math.Abs(x.Actual - x.Expected) / Math.Max(Math.Abs(x.Expected), 1e-1));
        output.WriteLine($"{name}, {(terminal ? "terminal" : "reset")}: t* = {hit.Time:R}, max relative error vs central differences {worst:E2}");
        foreach (var x in fd) output.WriteLine($"  {x.What}: {x.Actual:R} vs {x.Expected:R}");
        Assert.True(worst < 1e-7, $"{worst:E2}");

        if (!terminal) return;
        // Closed form of the terminal case: the held state is [5, √(v0² − 2g(5 − x0))]; the row at t = 2 sees it, the row
        // at t = 0.5 the free flight x = x0 + v0·t − g·t²/2, v = v0 − g·t.
        const double t1 = 0.5;
        double dLdx0 = DLdy[0] + DLdy[3] * grav / s;
        double dLdv0 = DLdy[0] * t1 + DLdy[1] + DLdy[3] * v0 / s;
        double dLdg = DLdy[0] * (-t1 * t1 / 2) + DLdy[1] * -t1 + DLdy[3] * (-Level / s);
        Assert.Equal(dLdx0, g.Y0[0], 1e-9);
        Assert.Equal(dLdv0, g.Y0[1], 1e-9);
        Assert.Equal(dLdg, g.Parameters[0], 1e-9);
        Assert.Equal(0.0, g.Parameters[1], 1e-12);
    }

    [Fact]
    public void ObservingEventInsideAStep_EveryGradientReportsBothCrossings_AsTheSolveDoes()
    {
        // The level crossed both ways inside the step [0.8, 1.2]; the event only observes, so every method takes it, the
        // back-solve and discrete adjoints through their plain forward passes.
        var options = new SolverOptions { FixedStep = Step, Events = [OdeEvent.StateCrossing(0, Level)] };
        var solution = Ode.Solve(new BouncingBall(), Y0, P, 0, Times[^1], options).EnsureSuccess();
        double v0 = Y0[1], grav = P[0], s = Math.Sqrt(v0 * v0 - 2 * grav * Level);
        Assert.Equal(2, solution.Events.Count);
        Assert.Equal((v0 - s) / grav, solution.Events[0].Time, 1e-12);
        Assert.Equal((v0 + s) / grav, solution.Events[1].Time, 1e-12);
        var methods = new Sensitivity[] { Sensitivity.Forward, Sensitivity.InterpolatingAdjoint(4), Sensitivity.BacksolveAdjoint, Sensitivity.DiscreteAdjoint };
        foreach (Sensitivity method in methods)
        {
            var g = Ode.Gradient(new BouncingBall(), Y0, P, 0, Times, DLdy, method, options);
            Assert.Equal(OdeStatus.Success, g.Status);
            Assert.True(g.Events.Count == 2, $"{method}: {g.Events.Count} events");
            for (int k = 0; k < 2; k++) Assert.Equal(solution.Events[k].Time, g.Events[k].Time, 1e-12);
        }
    }
}
