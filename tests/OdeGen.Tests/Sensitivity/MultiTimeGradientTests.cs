using Xunit.Abstractions;
using static OdeGen.Tests.Sensitivities.SensitivityTestSupport;

// Not "OdeGen.Tests.Sensitivity": a namespace segment with that name would hide the OdeGen.Sensitivity class.
namespace OdeGen.Tests.Sensitivities;

/// <summary>Losses at many observation times, time-dependent dynamics, backward-in-time problems, every output against FD.</summary>
public class MultiTimeGradientTests(ITestOutputHelper output)
{
    private static readonly SolverOptions Tight = new() { RelTol = 1e-10, AbsTol = 1e-10 };
    private static readonly SolverOptions Smooth = new() { Method = OdeMethod.RK4, FixedStep = 1e-4, MaxSteps = 10_000_000 };

    /// <summary>Deterministic loss weights in [−1, 1] (a fixed linear congruential sequence, so the test is reproducible).</summary>
    private static double[] Weights(int count, uint seed)
    {
        var w = new double[count];
        for (int i = 0; i < count; i++)
        {
            seed = seed * 1664525u + 1013904223u;
            w[i] = seed / (double)uint.MaxValue * 2 - 1;
        }
        return w;
    }

    public static TheoryData<string> Methods => new() { "BacksolveAdjoint", "Forward", "InterpolatingAdjoint", "DiscreteAdjoint" };
    private static OdeGen.Sensitivity ByName(string name) => name switch
    {
        "Forward" => OdeGen.Sensitivity.Forward,
        "InterpolatingAdjoint" => OdeGen.Sensitivity.InterpolatingAdjoint(checkpoints: 7),
        "DiscreteAdjoint" => OdeGen.Sensitivity.DiscreteAdjoint,
        _ => OdeGen.Sensitivity.BacksolveAdjoint,
    };

    /// <summary>Checks every output of Ode.Gradient against central differences of the loss.</summary>
    private void CheckAgainstFd<TSystem>(in TSystem system, double[] y0, double[] p, double t0, double[] times, double[] dLdy,
        OdeGen.Sensitivity method, double rel, bool checkT0 = true) where TSystem : struct, IOdeSystem
    {
        TSystem sys = system;
        OdeGradient g = Ode.Gradient(system, y0, p, t0, times, dLdy, method, Tight);
        Assert.Equal(OdeStatus.Success, g.Status);
        double[] fdY0 = CentralGradient(y => Loss(sys, y, p, t0, times, dLdy, Smooth), y0, 1e-5);
        double[] fdP = CentralGradient(q => Loss(sys, y0, q, t0, times, dLdy, Smooth), p, 1e-5);
        output.WriteLine($"{method}: dL/dy0 {Format(g.Y0)} FD {Format(fdY0)}");
        output.WriteLine($"{method}: dL/dp  {Format(g.Parameters)} FD {Format(fdP)}");
        output.WriteLine($"{method}: {g.Stats}");
        AssertNormwise(fdY0, g.Y0, rel, $"{method} dL/dy0");
        AssertNormwise(fdP, g.Parameters, rel, $"{method} dL/dp");
        if (checkT0)
        {
            double fdT0 = Central(s => Loss(sys, y0, p, s[0], times, dLdy, Smooth), [t0], 0, 1e-5);
            output.WriteLine($"{method}: dL/dt0 {g.T0:R} FD {fdT0:R}");
            AssertRelative(fdT0, g.T0, rel, $"{method} dL/dt0");
        }
        var fdTimes = new double[times.Length];
        for (int i = checkT0 ? 0 : 1; i < times.Length; i++)
            fdTimes[i] = Central(s => Loss(sys, y0, p, t0, s, dLdy, Smooth), times, i, 1e-5);
        if (!checkT0) fdTimes[0] = g.Times[0];
        AssertNormwise(fdTimes, g.Times, rel, $"{method} dL/dtimes");
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Lorenz_TwentyObservationTimes(string method)
    {
        double[] times = Enumerable.Range(1, 20).Select(i => 0.1 * i).ToArray();
        CheckAgainstFd(new HandLorenz(), LorenzY0, LorenzP, 0.0, times, Weights(60, 7), ByName(method), 1e-6);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Lorenz_FiftyObservationTimes_IncludingDLdTimes(string method)
    {
        // Irregular times over [0, 1.5] (not a grid), every output against central differences: dL/dy0, dL/dp,
        // dL/dt0 and all 50 dL/dtimes[i].
        double[] times = Enumerable.Range(1, 50).Select(i => 0.03 * i - 0.011 * Math.Sin(i)).ToArray();
        CheckAgainstFd(new HandLorenz(), LorenzY0, LorenzP, 0.0, times, Weights(150, 29), ByName(method), 1e-6);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Lorenz_FirstObservationAtT0(string method)
    {
        // times[0] == t0 is allowed: the loss sees y0 itself. (t0 cannot move alone there, so dL/dt0 and
        // dL/dtimes[0] are checked analytically instead of by differences.)
        double[] times = [0.0, 0.5, 1.0];
        double[] dLdy = Weights(9, 11);
        CheckAgainstFd(new HandLorenz(), LorenzY0, LorenzP, 0.0, times, dLdy, ByName(method), 1e-6, checkT0: false);
        OdeGradient g = Ode.Gradient(new HandLorenz(), LorenzY0, LorenzP, 0.0, times, dLdy, ByName(method), Tight);
        var f0 = new double[3];
        new HandLorenz().Evaluate(0.0, LorenzY0, LorenzP, f0);
        double expectedTime0 = dLdy[0] * f0[0] + dLdy[1] * f0[1] + dLdy[2] * f0[2];
        // Exact for the continuous methods: moving times[0] off t0 also moves the start of the next interval, and for
        // the exact flow the two effects on later states cancel. The discrete adjoint differentiates the discrete
        // solution, where they cancel only up to the local error of the steps after t0 (measured 2.4e-10 at 1e-10).
        AssertRelative(expectedTime0, g.Times[0], method == "DiscreteAdjoint" ? 1e-8 : 1e-12, "dL/dtimes[0] = ∂L/∂y0 · f(t0, y0)");
        // dL/dt0 = −dL/dy0 · f(t0, y0) holds for any f (moving t0 with y0 fixed shifts y(t) by −Φ f(t0, y0)).
        double expectedT0 = -(g.Y0[0] * f0[0] + g.Y0[1] * f0[1] + g.Y0[2] * f0[2]);
        AssertRelative(expectedT0, g.T0, 1e-6, "dL/dt0 = −dL/dy0 · f(t0, y0)");
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void TimeDependentForcing_AllOutputsMatchFd(string method)
    {
        // ∂f/∂t ≠ 0: dL/dt0 then relies on the a_t channel (adjoint) or the −Φ·f(t0, y0) identity (forward).
        double[] y0 = [0.7, -0.4], p = [2.0, 0.3, 1.5, 3.0];
        double[] times = Enumerable.Range(1, 10).Select(i => 0.3 + 0.5 * i).ToArray();
        CheckAgainstFd(new ForcedOscillator(), y0, p, 0.3, times, Weights(20, 3), ByName(method), 1e-6);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void BackwardInTimeProblem_AllOutputsMatchFd(string method)
    {
        // All observation times before t0, strictly decreasing: the solve runs backwards in time.
        double[] y0 = [0.7, -0.4], p = [2.0, 0.3, 1.5, 3.0];
        double[] times = Enumerable.Range(1, 8).Select(i => 5.0 - 0.5 * i).ToArray();
        CheckAgainstFd(new ForcedOscillator(), y0, p, 5.0, times, Weights(16, 5), ByName(method), 1e-6);
    }

    [Fact]
    public void ForwardWithoutSensitivityErrorControl_TakesThePlainSolvesStepsAndStaysClose()
    {
        var system = new HandLorenz();
        var reference = LoadLorenzReference("T=1");
        var method = new ForwardSensitivity { SensitivitiesInErrorControl = false };
        OdeGradient g = Ode.Gradient(system, LorenzY0, LorenzP, 0.0, [1.0], [1.0, 1, 1], method, Tight);
        var plain = new OdeGen.Solvers.RungeKuttaIntegrator<OdeGen.Solvers.SystemField<HandLorenz>>(3, Tight);
        plain.Reset(new OdeGen.Solvers.SystemField<HandLorenz>(system, LorenzP), LorenzY0, 0.0, 1.0);
        Assert.Equal(OdeStatus.Success, plain.Run());
        output.WriteLine($"state-only error control: {Format(g.Y0)} {Format(g.Parameters)} ({g.Stats}); plain solve {plain.Stats}");
        Assert.Same(method, g.Sensitivity);
        Assert.Equal(plain.Stats.Steps, g.Stats.Forward.Steps);
        Assert.Equal(plain.Stats.RejectedSteps, g.Stats.Forward.RejectedSteps);
        AssertRelative(reference.DLdy0, g.Y0, 1e-5, "dL/dy0");
        AssertRelative(reference.DLdp, g.Parameters, 1e-5, "dL/dp");

        // The same holds for Ode.Jvp: the state is bit-for-bit the plain solve's.
        OdeTangent t = Ode.Jvp(system, LorenzY0, LorenzP, 0.0, 1.0, [0.0, 0.0, 1.0], [0.0, 0.0, 0.0], options: Tight, tangentInErrorControl: false);
        Assert.Equal(plain.State.ToArray(), t.State);
        Assert.Equal(plain.Stats.Steps, t.Stats.Steps);
    }
}
