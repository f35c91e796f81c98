using OdeGen.Solvers;
using Xunit.Abstractions;
using static OdeGen.Tests.Sensitivities.SensitivityTestSupport;

// Not "OdeGen.Tests.Sensitivity": a namespace segment with that name would hide the OdeGen.Sensitivity class.
namespace OdeGen.Tests.Sensitivities;

/// <summary>Ode.Jvp (the seeds' "JVP for ODE-based layers") and Ode.Sensitivities on Lorenz.</summary>
public class JvpTests(ITestOutputHelper output)
{
    private static readonly SolverOptions Tight = new() { RelTol = 1e-10, AbsTol = 1e-10 };
    private static readonly SolverOptions Smooth = new() { Method = OdeMethod.RK4, FixedStep = 1e-4, MaxSteps = 1_000_000 };
    private static readonly double[] Zero3 = [0.0, 0.0, 0.0];

    /// <summary>y(t1) for inputs moved by ε along the nudge, with a smooth fixed-step solver.</summary>
    private static double[] Moved(double eps, double[] y0Dot, double[] pDot, double t0Dot, double t1Dot, double t1)
    {
        double[] y0 = LorenzY0.Select((v, i) => v + eps * y0Dot[i]).ToArray();
        double[] p = LorenzP.Select((v, i) => v + eps * pDot[i]).ToArray();
        return SolveAt(new HandLorenz(), y0, p, eps * t0Dot, [t1 + eps * t1Dot], Smooth);
    }

    private static double[] DirectionalFd(double[] y0Dot, double[] pDot, double t0Dot, double t1Dot, double t1, double eps = 1e-5)
    {
        double[] plus = Moved(eps, y0Dot, pDot, t0Dot, t1Dot, t1), minus = Moved(-eps, y0Dot, pDot, t0Dot, t1Dot, t1);
        return plus.Select((v, i) => (v - minus[i]) / (2 * eps)).ToArray();
    }

    [Fact]
    public void NudgeOfY0_2_And_Sigma_MatchFiniteDifferencesAndForwardSensitivities()
    {
        var system = new HandLorenz();
        OdeSensitivities s = Ode.Sensitivities(system, LorenzY0, LorenzP, 0.0, 1.0, Tight);
        Assert.Equal(OdeStatus.Success, s.Status);

        double[] e2 = [0.0, 0.0, 1.0], eSigma = [1.0, 0.0, 0.0];
        OdeTangent alongY2 = Ode.Jvp(system, LorenzY0, LorenzP, 0.0, 1.0, e2, Zero3, options: Tight);
        OdeTangent alongSigma = Ode.Jvp(system, LorenzY0, LorenzP, 0.0, 1.0, Zero3, eSigma, options: Tight);
        Assert.Equal(OdeStatus.Success, alongY2.Status);
        Assert.Equal(OdeStatus.Success, alongSigma.Status);

        double[] fdY2 = DirectionalFd(e2, Zero3, 0, 0, 1.0);
        double[] fdSigma = DirectionalFd(Zero3, eSigma, 0, 0, 1.0);
        double[] columnY2 = [s.DyDy0[2], s.DyDy0[5], s.DyDy0[8]];
        double[] columnSigma = [s.DyDp[0], s.DyDp[3], s.DyDp[6]];
        output.WriteLine($"∂y(1)/∂y0[2]: jvp {Format(alongY2.Tangent)} fd {Format(fdY2)} forward {Format(columnY2)}");
        output.WriteLine($"∂y(1)/∂σ:     jvp {Format(alongSigma.Tangent)} fd {Format(fdSigma)} forward {Format(columnSigma)}");
        output.WriteLine($"jvp stats {alongY2.Stats}, {alongY2.JvpEvaluations} JVPs; sensitivities stats {s.Stats}, {s.JacobianEvaluations} Jacobians");

        AssertRelative(fdY2, alongY2.Tangent, 1e-6, "JVP along y0[2] vs FD");
        AssertRelative(fdSigma, alongSigma.Tangent, 1e-6, "JVP along σ vs FD");
        AssertRelative(columnY2, alongY2.Tangent, 1e-6, "JVP along y0[2] vs ∂y/∂y0");
        AssertRelative(columnSigma, alongSigma.Tangent, 1e-6, "JVP along σ vs ∂y/∂p");
        AssertRelative(s.State, alongY2.State, 1e-9, "state");
        Assert.Equal(alongY2.Stats.FunctionEvaluations, alongY2.JvpEvaluations);
    }

    [Fact]
    public void CombinedNudgeIncludingBothTimes_MatchesFiniteDifferencesAndSensitivities()
    {
        var system = new HandLorenz();
        double[] y0Dot = [0.3, -0.2, 0.1], pDot = [0.5, 1.0, -0.25];
        const double t0Dot = 0.1, t1Dot = -0.2;
        OdeTangent tangent = Ode.Jvp(system, LorenzY0, LorenzP, 0.0, 1.0, y0Dot, pDot, t0Dot, t1Dot, Tight);
        double[] fd = DirectionalFd(y0Dot, pDot, t0Dot, t1Dot, 1.0);
        AssertRelative(fd, tangent.Tangent, 1e-6, "combined JVP vs FD");

        // The same from the full matrices: S_y0·ẏ0 + S_p·ṗ + ∂y/∂t0·ṫ0 + ∂y/∂t1·ṫ1.
        OdeSensitivities s = Ode.Sensitivities(system, LorenzY0, LorenzP, 0.0, 1.0, Tight);
        var fromMatrices = new double[3];
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 3; j++) fromMatrices[i] += s.DyDy0[i * 3 + j] * y0Dot[j] + s.DyDp[i * 3 + j] * pDot[j];
            fromMatrices[i] += s.DyDt0[i] * t0Dot + s.DyDt1[i] * t1Dot;
        }
        AssertRelative(fromMatrices, tangent.Tangent, 1e-6, "combined JVP vs sensitivity matrices");
    }

    [Fact]
    public void SaveAt_TangentsAtInteriorTimes_MatchSensitivitiesAndFiniteDifferences()
    {
        var system = new HandLorenz();
        double[] y0Dot = [0.3, -0.2, 0.1], pDot = [0.5, 1.0, -0.25];
        double[] save = [0.0, 0.25, 0.5, 0.7, 1.0];
        var options = new SolverOptions { RelTol = 1e-10, AbsTol = 1e-10, SaveAt = save };
        OdeTangent tangent = Ode.Jvp(system, LorenzY0, LorenzP, 0.0, 1.0, y0Dot, pDot, t0Dot: 0.1, options: options);
        OdeSensitivities s = Ode.Sensitivities(system, LorenzY0, LorenzP, 0.0, 1.0, options);
        Assert.Equal(save, tangent.SaveTimes);
        var f0 = new double[3];
        system.Evaluate(0.0, LorenzY0, LorenzP, f0);
        for (int k = 0; k < save.Length; k++)
        {
            double[] fd = DirectionalFd(y0Dot, pDot, 0.1, 0.0, save[k]);
            double[] expectedState = SolveAt(system, LorenzY0, LorenzP, 0.0, [save[k]], Smooth);
            AssertRelative(fd, tangent.TangentAt(k), 1e-6, $"tangent at {save[k]} vs FD");
            AssertRelative(expectedState, tangent.StateAt(k), 1e-8, $"state at {save[k]}");
            ReadOnlySpan<double> sy = s.DyDy0At(k), sp = s.DyDpAt(k);
            // Moving t0 by ṫ0 is moving y0 by −f(t0, y0)·ṫ0.
            var fromMatrices = new double[3];
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++) fromMatrices[i] += sy[i * 3 + j] * (y0Dot[j] - f0[j] * 0.1) + sp[i * 3 + j] * pDot[j];
            AssertRelative(fromMatrices, tangent.TangentAt(k), 1e-6, $"tangent at {save[k]} vs matrices");
        }
    }
}
