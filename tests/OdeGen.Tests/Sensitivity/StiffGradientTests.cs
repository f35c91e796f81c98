using OdeGen.Solvers;
using OdeGen.Tests.Solvers;
using Xunit.Abstractions;

// Not "OdeGen.Tests.Sensitivity": a namespace segment with that name would hide the OdeGen.Sensitivity class.
namespace OdeGen.Tests.Sensitivities;

/// <summary>
/// Gradients through the stiff solvers on Robertson's kinetics (k1, k2, k3) = (0.04, 3e7, 1e4), y0 = (1, 0, 0).
/// Loss L = Σ_i w·y(t_i), w = (1, 1e4, 0), t_i = 0.4, 4, 40, 400 (Hairer–Wanner's 0.4·10^k output times): the
/// times span the fast transient's end and three decades of the slow decay, where the fast eigenvalue is ≈ −10⁴ while
/// the solution changes on the scale of t, and explicit methods run out of steps (StiffProblemTests). y1 + y2 + y3 = 1 is conserved, so w = (1, 1, 1) would give a zero
/// gradient; w weights y2 (≤ 3.7e-5) by 1e4 so that it counts as much as y1, and leaves y3 out (it is 1 − y1 − y2).
/// </summary>
public class StiffGradientTests(ITestOutputHelper output)
{
    private static readonly double[] P = [0.04, 3e7, 1e4];
    private static readonly double[] Y0 = [1.0, 0.0, 0.0];
    private static readonly double[] Times = [0.4, 4, 40, 400];
    private static readonly double[] W = [1.0, 1e4, 0.0];
    private static readonly double[] DLdy = Enumerable.Range(0, Times.Length).SelectMany(_ => W).ToArray();

    // y2 (≤ 3.7e-5) gets an absolute tolerance 1e4 times smaller than y1 and y3 (the loss weights it by 1e4); the sensitivity
    // and adjoint components get the scalar AbsTol.
    private static SolverOptions Options(string method) => new()
    {
        Method = OdeMethod.Stiff.Single(m => m.Name == method),
        RelTol = 1e-8,
        AbsTol = 1e-14,
        AbsTolVector = [1e-14, 1e-18, 1e-14],
        MaxSteps = 1_000_000,
    };

    // The finite-difference reference: Kvaerno5 at rtol 1e-11 with per-component absolute tolerances, restarting at every
    // observation time (as the gradients do), so every y(t_i) is a step end point.
    private static readonly SolverOptions Reference = new()
    {
        Method = OdeMethod.Kvaerno5, RelTol = 1e-11, AbsTolVector = [1e-17, 1e-21, 1e-17], MaxSteps = 1_000_000,
    };

    private static readonly SolverOptions Tightest = new()
    {
        Method = OdeMethod.Kvaerno5, RelTol = 1e-13, AbsTolVector = [1e-19, 1e-23, 1e-19], MaxSteps = 1_000_000,
    };

    private static double Loss(double[] y0, double[] p, double t0, double[] times) => Loss(y0, p, t0, times, Reference);

    private static double Loss(double[] y0, double[] p, double t0, double[] times, SolverOptions reference)
    {
        double sum = 0, t = t0;
        double[] y = y0;
        for (int i = 0; i < times.Length; i++)
        {
            y = Ode.Solve(new RobertsonSystem(), y, p, t, times[i], reference).EnsureSuccess().FinalState.ToArray();
            t = times[i];
            for (int k = 0; k < 3; k++) sum += W[k] * y[k];
        }
        return sum;
    }

    /// <summary>Central differences at two step sizes: dL/dp (log-parameter steps), dL/dy0, dL/dt0, dL/dtimes.</summary>
    private sealed record FiniteDifferences(double[] P, double[] Y0, double T0, double[] Times, double[] PHalf, double[] Y0Half, double T0Half, double[] TimesHalf);

    private static readonly Lazy<FiniteDifferences> Fd = new(() =>
    {
        (double[] p, double[] y0, double t0, double[] times) At(double h)
        {
            // Parameters: relative steps, L(θ_k e^{±h}) — the rate constants span nine decades, so an absolute step cannot fit all.
            var p = new double[3];
            for (int k = 0; k < 3; k++)
            {
                double[] plus = (double[])P.Clone(), minus = (double[])P.Clone();
                plus[k] *= Math.Exp(h);
                minus[k] *= Math.Exp(-h);
                p[k] = (Loss(Y0, plus, 0, Times) - Loss(Y0, minus, 0, Times)) / (plus[k] - minus[k]);
            }
            // Initial state: absolute steps δ = 0.1·h. y2 and y3 start at zero and must not go negative (y2' = −k2·y2² − … blows
            // up in finite time for y2 < 0), so their differences are one-sided, second order: (−3L(0) + 4L(δ) − L(2δ))/(2δ).
            var y0 = new double[3];
            double delta = 0.1 * h;
            for (int k = 0; k < 3; k++)
            {
                double[] one = (double[])Y0.Clone(), two = (double[])Y0.Clone();
                if (k == 0)
                {
                    one[k] += delta;
                    two[k] -= delta;
                    y0[k] = (Loss(one, P, 0, Times) - Loss(two, P, 0, Times)) / (2 * delta);
                    continue;
                }
                double d = k == 1 ? 4e-3 * h : delta;
                SolverOptions o = k == 1 ? Tightest : Reference;
                one[k] += d;
                two[k] += 2 * d;
                y0[k] = (-3 * Loss(Y0, P, 0, Times, o) + 4 * Loss(one, P, 0, Times, o) - Loss(two, P, 0, Times, o)) / (2 * d);
            }
            double t0 = (Loss(Y0, P, 1e-2 * h, Times, Tightest) - Loss(Y0, P, -1e-2 * h, Times, Tightest)) / (2e-2 * h);
            var times = new double[Times.Length];
            for (int i = 0; i < Times.Length; i++)
            {
                double[] plus = (double[])Times.Clone(), minus = (double[])Times.Clone();
                plus[i] *= Math.Exp(h);
                minus[i] *= Math.Exp(-h);
                times[i] = (Loss(Y0, P, 0, plus) - Loss(Y0, P, 0, minus)) / (plus[i] - minus[i]);
            }
            return (p, y0, t0, times);
        }
        var a = At(1e-3);
        var b = At(5e-4);
        return new FiniteDifferences(a.p, a.y0, a.t0, a.times, b.p, b.y0, b.t0, b.times);
    });

    private static double Relative(double expected, double actual) => Math.Abs(actual - expected) / Math.Abs(expected);

    [Fact]
    public void FiniteDifferenceReference_HasConverged()
    {
        // Halving the step changes every difference quotient by less than 1e-5 relative, a tenth of the 1e-4 the gradients are
        // held to (and the schemes are second order, so the h/2 values the gradients are compared with are closer still).
        // Measured: ≤ 2.5e-6 except dL/dy0[1] (6e-6), whose step must stay far below y2's scale, 3.7e-5, and so needs the
        // rtol 1e-13 reference to keep the solver's noise (≈ 1e-11 in L at rtol 1e-11) out of the quotient.
        FiniteDifferences fd = Fd.Value;
        output.WriteLine($"FD h:   p {SensitivityTestSupport.Format(fd.P)} y0 {SensitivityTestSupport.Format(fd.Y0)} t0 {fd.T0:R} times {SensitivityTestSupport.Format(fd.Times)}");
        output.WriteLine($"FD h/2: p {SensitivityTestSupport.Format(fd.PHalf)} y0 {SensitivityTestSupport.Format(fd.Y0Half)} t0 {fd.T0Half:R} times {SensitivityTestSupport.Format(fd.TimesHalf)}");
        void Check(double a, double b, string what)
        {
            output.WriteLine($"{what}: h vs h/2 differ by {Relative(b, a):E1}");
            Assert.True(Relative(b, a) < 1e-5, $"{what}: {a:R} (h) vs {b:R} (h/2)");
        }
        for (int k = 0; k < 3; k++)
        {
            Check(fd.P[k], fd.PHalf[k], $"dL/dk{k + 1}");
            Check(fd.Y0[k], fd.Y0Half[k], $"dL/dy0[{k}]");
        }
        Check(fd.T0, fd.T0Half, "dL/dt0");
        for (int i = 0; i < Times.Length; i++) Check(fd.Times[i], fd.TimesHalf[i], $"dL/dtimes[{i}]");
    }

    public static TheoryData<string, string> Cases => new()
    {
        { "Rodas4", "Forward" },
        { "Kvaerno5", "Forward" },
        { "Rodas4", "InterpolatingAdjoint" },
        { "Kvaerno5", "InterpolatingAdjoint" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Robertson_StiffSolver_GradientMatchesFiniteDifferences(string method, string sensitivityName)
    {
        OdeGen.Sensitivity sensitivity = sensitivityName == "Forward" ? OdeGen.Sensitivity.Forward : OdeGen.Sensitivity.InterpolatingAdjoint(4);
        OdeGradient g = Ode.Gradient(new RobertsonSystem(), Y0, P, 0, Times, DLdy, sensitivity, Options(method));
        Assert.Equal(OdeStatus.Success, g.Status);
        if (sensitivityName != "Forward")
        {
            // Every pass calls the system's Jacobian once per Jacobian evaluation of its integrator, and nothing else does.
            Assert.Equal(g.Stats.Forward.JacobianEvaluations + g.Stats.Recompute.JacobianEvaluations + g.Stats.Backward.JacobianEvaluations,
                g.Stats.JacobianEvaluations);
        }
        FiniteDifferences fd = Fd.Value;
        double[] fdP = fd.PHalf, fdY0 = fd.Y0Half, fdTimes = fd.TimesHalf;
        double fdT0 = fd.T0Half;
        output.WriteLine($"{method}, {sensitivity}: steps {g.Stats.Forward.Steps} forward / {g.Stats.Recompute.Steps} recompute / {g.Stats.Backward.Steps} backward; " +
            $"Jacobian calls {g.Stats.JacobianEvaluations}, VJPs {g.Stats.VjpEvaluations}");
        for (int k = 0; k < 3; k++)
            output.WriteLine($"  dL/dk{k + 1}: {g.Parameters[k]:E10} vs FD {fdP[k]:E10} (rel {Relative(fdP[k], g.Parameters[k]):E1}); " +
                $"dL/dy0[{k}]: {g.Y0[k]:E10} vs FD {fdY0[k]:E10} (rel {Relative(fdY0[k], g.Y0[k]):E1})");
        output.WriteLine($"  dL/dt0: {g.T0:E8} vs FD {fdT0:E8} (rel {Relative(fdT0, g.T0):E1}); dL/dtimes: " +
            string.Join(", ", g.Times.Select((v, i) => $"{v:E6} (rel {Relative(fdTimes[i], v):E1})")));
        for (int k = 0; k < 3; k++)
        {
            Assert.True(Relative(fdP[k], g.Parameters[k]) < 1e-4, $"dL/dk{k + 1}: {g.Parameters[k]:R} vs FD {fdP[k]:R}");
            Assert.True(Relative(fdY0[k], g.Y0[k]) < 1e-4, $"dL/dy0[{k}]: {g.Y0[k]:R} vs FD {fdY0[k]:R}");
        }
        Assert.True(Relative(fdT0, g.T0) < 1e-4, $"dL/dt0: {g.T0:R} vs FD {fdT0:R}");
        // dL/dtimes[i] = w·f(y(t_i)) is exact given y(t_i), but f is a small difference of large rates once the kinetics are
        // near equilibrium (at t = 4, f2 ≈ −3e-6 is what is left of rates ≈ 0.03: four digits cancel, and w weights it by 1e4),
        // so the state's rtol 1e-8 error is amplified: measured
        // up to 1.7e-4 relative (Kvaerno5) at this tolerance. It is a property of the solve, not of the sensitivity method.
        for (int i = 0; i < Times.Length; i++)
            Assert.True(Relative(fdTimes[i], g.Times[i]) < 1e-3, $"dL/dtimes[{i}]: {g.Times[i]:R} vs FD {fdTimes[i]:R}");
    }
}

public class StiffUnsupportedCombinationTests
{
    public static TheoryData<string> Methods => new() { "Rodas4", "Kvaerno5" };

    [Theory]
    [MemberData(nameof(Methods))]
    public void PartialErrorControl_WithAStiffMethod_IsRefusedWithASentence(string method)
    {
        // The stiff integrators control every component, so settings that leave components out of error control are refused
        // up front (not silently ignored), naming the method and the setting.
        var options = new SolverOptions { Method = OdeMethod.Stiff.Single(m => m.Name == method) };
        double[] p = [0.04, 3e7, 1e4], y0 = [1.0, 0, 0];
        var forward = Assert.Throws<NotSupportedException>(() => Ode.Gradient(new RobertsonSystem(), y0, p, 0, [1.0], [1.0, 0, 0],
            new ForwardSensitivity { SensitivitiesInErrorControl = false }, options));
        Assert.Contains(method, forward.Message);
        Assert.Contains("SensitivitiesInErrorControl", forward.Message);
        var seminorm = Assert.Throws<NotSupportedException>(() => Ode.Gradient(new RobertsonSystem(), y0, p, 0, [1.0], [1.0, 0, 0],
            new InterpolatingAdjointSensitivity(4) { Seminorm = true }, options));
        Assert.Contains("Seminorm", seminorm.Message);
        var jvp = Assert.Throws<NotSupportedException>(() => Ode.Jvp(new RobertsonSystem(), y0, p, 0, 1, [1.0, 0, 0], [0.0, 0, 0],
            options: options, tangentInErrorControl: false));
        Assert.Contains("tangentInErrorControl", jvp.Message);
        var backsolve = Assert.Throws<NotSupportedException>(() => Ode.Gradient(new RobertsonSystem(), y0, p, 0, [1.0], [1.0, 0, 0],
            OdeGen.Sensitivity.Backsolve(seminorm: true), options));
        Assert.Contains("back-solve", backsolve.Message);
    }
}

/// <summary>
/// Why the stiff solvers get the coupling blocks H_c = ∂(J·s_c + ∂f/∂p_c)/∂y of the forward-sensitivity Jacobian (by
/// differences of the generated Jacobian) rather than the block-diagonal approximation: measured on Robertson's full
/// sensitivity matrix over [0, 40] against Kvaerno5 at rtol 1e-12 (docs/sensitivity.md, "Stiff problems").
/// </summary>
public class StiffForwardJacobianTests(ITestOutputHelper output)
{
    private static readonly double[] P = [0.04, 3e7, 1e4];

    private static (double[] S, int Steps, int Rejected) Solve(OdeMethod method, bool coupling, double rtol)
    {
        var field = new ForwardSensitivityField<RobertsonSystem>(new RobertsonSystem(), P, new EvaluationCounter(), withDerivatives: true, couplingByDifferences: coupling);
        var options = new SolverOptions { Method = method, RelTol = rtol, AbsTol = 1e-14, MaxSteps = 1_000_000 };
        var stepper = options.Method.CreateIntegrator<ForwardSensitivityField<RobertsonSystem>>(field.Dimension, options);
        stepper.Reset(field, ForwardSensitivitySolver.InitialState([1.0, 0, 0], 3), 0, 40);
        Assert.Equal(OdeStatus.Success, stepper.Run());
        return (stepper.State.ToArray(), stepper.Stats.Steps, stepper.Stats.RejectedSteps);
    }

    private static double WorstRelative(double[] reference, double[] x)
    {
        double worst = 0;
        for (int i = 3; i < x.Length; i++)
            if (reference[i] != 0) worst = Math.Max(worst, Math.Abs(x[i] - reference[i]) / Math.Abs(reference[i]));
        return worst;
    }

    [Fact]
    public void Coupling_SavesSteps_BlockDiagonalCripplesRodas4()
    {
        double[] reference = Solve(OdeMethod.Kvaerno5, true, 1e-12).S;
        var results = new Dictionary<(string, bool, double), (double Error, int Steps)>();
        foreach (double rtol in new[] { 1e-4, 1e-6 })
            foreach (OdeMethod method in OdeMethod.Stiff)
                foreach (bool coupling in new[] { false, true })
                {
                    // Rodas4 block-diagonal at 1e-6 takes ~7·10⁵ steps: measured once for the docs, not repeated here.
                    if (method == OdeMethod.Rodas4 && !coupling && rtol < 1e-4) continue;
                    var (s, steps, rejected) = Solve(method, coupling, rtol);
                    double error = WorstRelative(reference, s);
                    results[(method.Name, coupling, rtol)] = (error, steps);
                    output.WriteLine($"rtol {rtol:E0} {method} {(coupling ? "coupled" : "block-diagonal")}: steps {steps}, rejected {rejected}, worst rel error of S {error:E2}");
                    Assert.True(error < 100 * rtol, $"{method}, coupling {coupling}, rtol {rtol}: S off by {error:E2}");
                }
        // Rosenbrock: the W-method's order conditions assume the exact Jacobian; without H_c the error estimate drives h down.
        Assert.True(results[("Rodas4", false, 1e-4)].Steps > 50 * results[("Rodas4", true, 1e-4)].Steps);
        // ESDIRK: the block-diagonal matrix only slows Newton, but that rejects steps: the coupled one is cheaper overall.
        foreach (double rtol in new[] { 1e-4, 1e-6 })
            Assert.True(results[("Kvaerno5", true, rtol)].Steps < results[("Kvaerno5", false, rtol)].Steps);
    }
}
