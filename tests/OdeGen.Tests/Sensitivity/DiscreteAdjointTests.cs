using OdeGen.Solvers;
using Xunit.Abstractions;
using static OdeGen.Tests.Sensitivities.SensitivityTestSupport;

// Not "OdeGen.Tests.Sensitivity": a namespace segment with that name would hide the OdeGen.Sensitivity class.
namespace OdeGen.Tests.Sensitivities;

/// <summary>
/// The discrete adjoint is the exact gradient of the discrete solution: it must match finite differences of the
/// solver's own output (fixed step), or of a replay of the recorded step sizes (adaptive, step sequence frozen),
/// far more tightly than the solution approximates the ODE.
/// </summary>
public class DiscreteAdjointTests(ITestOutputHelper output)
{
    /// <summary>Fourth-order central difference (error O(δ⁴)), so that 1e-8 agreement is a statement about the gradient, not the stencil.</summary>
    private static double Central4(Func<double[], double> g, double[] x, int k, double delta)
    {
        double step = delta * Math.Max(1.0, Math.Abs(x[k]));
        double At(double d)
        {
            var shifted = (double[])x.Clone();
            shifted[k] += d;
            return g(shifted);
        }
        return (8 * (At(step) - At(-step)) - (At(2 * step) - At(-2 * step))) / (12 * step);
    }

    private static double[] Gradient4(Func<double[], double> g, double[] x, double delta)
    {
        var result = new double[x.Length];
        for (int k = 0; k < x.Length; k++) result[k] = Central4(g, x, k, delta);
        return result;
    }

    /// <summary>The accepted step sizes (as the stages used them, as the discrete adjoint records them) of each interval of a solve restarted at every observation time (as the gradients solve).</summary>
    private static double[][] RecordSteps<TSystem>(in TSystem system, double[] y0, double[] p, double t0, double[] times, SolverOptions options)
        where TSystem : struct, IOdeSystem
    {
        var integrator = new RungeKuttaIntegrator<SystemField<TSystem>>(system.StateCount, options);
        var field = new SystemField<TSystem>(system, p);
        var steps = new double[times.Length][];
        double[] y = (double[])y0.Clone();
        double start = t0;
        for (int i = 0; i < times.Length; i++)
        {
            var sizes = new List<double>();
            if (times[i] != start)
            {
                integrator.Reset(field, y, start, times[i]);
                while (integrator.Step()) sizes.Add(integrator.LastStep);
                Assert.Equal(OdeStatus.Success, integrator.Status);
                y = integrator.State.ToArray();
            }
            steps[i] = sizes.ToArray();
            start = times[i];
        }
        return steps;
    }

    /// <summary>
    /// An independent explicit Runge–Kutta stepper that replays recorded step sizes: inside each interval the steps
    /// keep their sizes and start where the interval starts; the last one ends on the interval's end. This is the
    /// "step sequence frozen" function the discrete adjoint differentiates.
    /// </summary>
    private static double ReplayLoss<TSystem>(in TSystem system, ButcherTableau tableau, double[][] steps, double[] y0, double[] p,
        double t0, double[] times, double[] dLdy) where TSystem : struct, IOdeSystem
    {
        int n = system.StateCount, s = tableau.Stages;
        var k = new double[s * n];
        var arg = new double[n];
        double[] y = (double[])y0.Clone();
        double start = t0, loss = 0;
        for (int i = 0; i < times.Length; i++)
        {
            double t = start;
            double[] sizes = steps[i];
            for (int j = 0; j < sizes.Length; j++)
            {
                double h = j == sizes.Length - 1 ? times[i] - t : sizes[j];
                for (int st = 0; st < s; st++)
                {
                    y.CopyTo(arg, 0);
                    for (int r = 0; r < st; r++)
                        for (int q = 0; q < n; q++) arg[q] += h * tableau.A[st * s + r] * k[r * n + q];
                    system.Evaluate(t + tableau.C[st] * h, arg, p, k.AsSpan(st * n, n));
                }
                for (int st = 0; st < s; st++)
                    for (int q = 0; q < n; q++) y[q] += h * tableau.B[st] * k[st * n + q];
                t += h;
            }
            for (int q = 0; q < n; q++) loss += dLdy[i * n + q] * y[q];
            start = times[i];
        }
        return loss;
    }

    private void AssertAgrees(double[] expected, double[] actual, double rel, string what)
    {
        double worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]) / Math.Abs(expected[i]));
        output.WriteLine($"{what}: discrete adjoint {Format(actual)}");
        output.WriteLine($"{what}:   differences {Format(expected)}  (worst relative {worst:E2})");
        AssertRelative(expected, actual, rel, what);
    }

    public static TheoryData<string> Systems => new() { "Lorenz", "ForcedOscillator" };

    private static (double[] Y0, double[] P, double T0, double[] Times, double[] DLdy) Problem(string name) => name == "Lorenz"
        ? ([1.0, 1.0, 1.0], [10.0, 28.0, 8.0 / 3.0], 0.0, [0.3137, 0.6571, 1.0043], [1.0, 1.0, 1.0, -0.5, 0.25, 0.75, 1.0, 1.0, 1.0])
        : ([0.7, -0.4], [2.0, 0.3, 1.5, 3.0], 0.3, [0.917, 1.733, 2.4119], [1.0, -0.5, 0.3, 0.8, -1.0, 1.0]);

    [Theory]
    [MemberData(nameof(Systems))]
    public void FixedStepRk4_EqualsFiniteDifferencesOfTheSolversOutput(string name)
    {
        if (name == "Lorenz") Check(new HandLorenz(), name);
        else Check(new ForcedOscillator(), name);

        void Check<TSystem>(TSystem system, string label) where TSystem : struct, IOdeSystem
        {
            var (y0, p, t0, times, dLdy) = Problem(label);
            // Times are not multiples of the step, so each interval ends with a short step and a small move of an
            // end never changes the number of steps: the solver's output is smooth in every input.
            var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.01 };
            OdeGradient g = Ode.Gradient(system, y0, p, t0, times, dLdy, OdeGen.Sensitivity.DiscreteAdjoint, options);
            Assert.Equal(OdeStatus.Success, g.Status);
            output.WriteLine($"{label}: {g.Stats}");

            double L(double[] y, double[] q, double s, double[] ts) => Loss(system, y, q, s, ts, dLdy, options);
            AssertAgrees(Gradient4(y => L(y, p, t0, times), y0, 1e-3), g.Y0, 1e-8, $"{label} dL/dy0");
            AssertAgrees(Gradient4(q => L(y0, q, t0, times), p, 1e-3), g.Parameters, 1e-8, $"{label} dL/dp");
            AssertAgrees([Central4(s => L(y0, p, s[0], times), [t0], 0, 1e-4)], [g.T0], 1e-8, $"{label} dL/dt0");
            AssertAgrees(Gradient4(ts => L(y0, p, t0, ts), times, 1e-4), g.Times, 1e-8, $"{label} dL/dtimes");

            // One reversed step per forward step; per step, the four RK4 stages are recomputed and pulled back.
            Assert.Equal(g.Stats.Forward.Steps, g.Stats.Backward.Steps);
            Assert.Equal(4L * g.Stats.Backward.Steps, g.Stats.VjpEvaluations);
        }
    }

    public static TheoryData<string, string> AdaptiveCases => new()
    {
        { "Lorenz", "Dopri5" }, { "ForcedOscillator", "Dopri5" }, { "Lorenz", "Tsit5" }, { "Lorenz", "Dop853" },
        { "Lorenz", "CashKarp" }, { "ForcedOscillator", "BogackiShampine3" },
    };

    [Theory]
    [MemberData(nameof(AdaptiveCases))]
    public void Adaptive_EqualsFiniteDifferencesOfAReplayWithTheStepSequenceFrozen(string name, string methodName)
    {
        if (name == "Lorenz") Check(new HandLorenz(), name);
        else Check(new ForcedOscillator(), name);

        void Check<TSystem>(TSystem system, string label) where TSystem : struct, IOdeSystem
        {
            var (y0, p, t0, times, dLdy) = Problem(label);
            OdeMethod method = OdeMethod.BuiltIn.Single(mm => mm.Name == methodName);
            // A loose tolerance: the discrete solution is then visibly not the ODE's, and only the discrete adjoint
            // is the gradient of what was computed.
            var options = new SolverOptions { Method = method, RelTol = 1e-5, AbsTol = 1e-7 };
            OdeGradient g = Ode.Gradient(system, y0, p, t0, times, dLdy, OdeGen.Sensitivity.DiscreteAdjoint, options);
            Assert.Equal(OdeStatus.Success, g.Status);
            double[][] steps = RecordSteps(system, y0, p, t0, times, options);
            Assert.Equal(steps.Sum(s => s.Length), g.Stats.Forward.Steps);
            ButcherTableau tableau = method.Tableau;

            // The replay reproduces the adaptive solve itself (same steps, same arithmetic up to rounding).
            double replayed = ReplayLoss(system, tableau, steps, y0, p, t0, times, dLdy);
            double solved = Loss(system, y0, p, t0, times, dLdy, options);
            output.WriteLine($"{label} {methodName}: loss {solved:R}, replay {replayed:R}; {g.Stats}");
            AssertRelative(solved, replayed, 1e-13, "replayed loss");

            double L(double[] y, double[] q, double s, double[] ts) => ReplayLoss(system, tableau, steps, y, q, s, ts, dLdy);
            AssertAgrees(Gradient4(y => L(y, p, t0, times), y0, 1e-3), g.Y0, 1e-8, $"{label} {methodName} dL/dy0");
            AssertAgrees(Gradient4(q => L(y0, q, t0, times), p, 1e-3), g.Parameters, 1e-8, $"{label} {methodName} dL/dp");
            AssertAgrees([Central4(s => L(y0, p, s[0], times), [t0], 0, 1e-4)], [g.T0], 1e-8, $"{label} {methodName} dL/dt0");
            AssertAgrees(Gradient4(ts => L(y0, p, t0, ts), times, 1e-4), g.Times, 1e-8, $"{label} {methodName} dL/dtimes");

            // At this tolerance the continuous gradient (forward sensitivities) is a different number: the discrete
            // adjoint is not an approximation of it but the derivative of the computed loss.
            OdeGradient continuous = Ode.Gradient(system, y0, p, t0, times, dLdy, OdeGen.Sensitivity.Forward,
                new SolverOptions { RelTol = 1e-12, AbsTol = 1e-12 });
            double gap = 0;
            for (int i = 0; i < y0.Length; i++) gap = Math.Max(gap, Math.Abs(g.Y0[i] - continuous.Y0[i]) / Math.Abs(continuous.Y0[i]));
            output.WriteLine($"{label} {methodName}: discrete vs continuous dL/dy0 differ by {gap:E2} relative");
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(64)]
    [InlineData(100_000)]
    public void Checkpointed_GivesTheSameGradient(int every)
    {
        // Replaying the recorded steps from checkpoints reproduces the stored states (to rounding), so every
        // output agrees with the every-step record; the replay costs one run of steps per checkpoint, once.
        var (y0, p, t0, times, dLdy) = Problem("Lorenz");
        var options = new SolverOptions { RelTol = 1e-9, AbsTol = 1e-9 };
        var method = new DiscreteAdjointSensitivity { StepsPerCheckpoint = every };
        OdeGradient all = Ode.Gradient(new HandLorenz(), y0, p, t0, times, dLdy, OdeGen.Sensitivity.DiscreteAdjoint, options);
        OdeGradient some = Ode.Gradient(new HandLorenz(), y0, p, t0, times, dLdy, method, options);
        output.WriteLine($"{method.Name}: {some.Stats}");
        Assert.True(some.IsSuccess);
        AssertRelative(all.Y0, some.Y0, 1e-12, "dL/dy0");
        AssertRelative(all.Parameters, some.Parameters, 1e-12, "dL/dp");
        AssertRelative(all.Times, some.Times, 1e-12, "dL/dtimes");
        AssertRelative(all.T0, some.T0, 1e-12, "dL/dt0");
        int steps = all.Stats.Forward.Steps, runs = (steps + every - 1) / every;
        Assert.Equal(steps - runs, some.Stats.Recompute.Steps);
        Assert.Equal(0, all.Stats.Recompute.Steps);
    }

    [Fact]
    public void MatchesTheContinuousGradientWhenTheSolveIsAccurate()
    {
        var reference = LoadLorenzReference("T=1");
        var options = new SolverOptions { RelTol = 1e-10, AbsTol = 1e-10 };
        OdeGradient g = Ode.Gradient(new HandLorenz(), LorenzY0, LorenzP, 0.0, [1.0], [1.0, 1.0, 1.0], OdeGen.Sensitivity.DiscreteAdjoint, options);
        output.WriteLine($"discrete adjoint T=1: dL/dy0 {Format(g.Y0)} dL/dp {Format(g.Parameters)} dL/dT {g.Times[0]:R}; {g.Stats}");
        AssertRelative(reference.DLdy0, g.Y0, 1e-6, "dL/dy0");
        AssertRelative(reference.DLdp, g.Parameters, 1e-6, "dL/dp");
        AssertRelative(reference.DLdT, g.Times[0], 1e-6, "dL/dT");
        AssertRelative(-reference.DLdT, g.T0, 1e-6, "dL/dt0");
        // Dopri5's seventh (FSAL) stage feeds neither y_{k+1} nor another stage, so it is not recomputed: six VJPs a step.
        Assert.Equal(6L * g.Stats.Backward.Steps, g.Stats.VjpEvaluations);
        Assert.Same(OdeGen.Sensitivity.DiscreteAdjoint, g.Sensitivity);
    }
}
