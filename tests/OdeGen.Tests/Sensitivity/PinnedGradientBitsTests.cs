using System.Security.Cryptography;
using Xunit.Abstractions;
using static OdeGen.Tests.Sensitivities.SensitivityTestSupport;

// Not "OdeGen.Tests.Sensitivity": a namespace segment with that name would hide the OdeGen.Sensitivity class.
namespace OdeGen.Tests.Sensitivities;

/// <summary>
/// The gradients of every method, through observations, interpolated observations, a loss and events, held to the bits
/// they had before the methods moved onto reusable workspaces and the one forward loop of the observation shell (digests
/// taken at commit 15cafd2): the refactors moved code, not arithmetic. Each case is computed twice on the thread, so the
/// second call runs in the workspace the first one built. The systems are polynomial and the solvers' arithmetic is plain
/// IEEE double (Math.FusedMultiplyAdd where the kernel fuses, exact on every platform), so the bits do not depend on the
/// machine. Re-pinned on purpose (4 December 2026, evening) for the four interpolating-adjoint cases without events: its dense
/// record evaluates the integrator's own polynomial by Horner (it used to refit samples by Lagrange), and the forward pass keeps
/// that record while it fits a budget instead of re-solving checkpointed segments, which changes its steps. Error against
/// tests/reference/lorenz_gradients.json at T = 1, rtol 1e-8: 6.0e-9 before, 4.1e-9 after (BENCHMARKS.md).
/// Re-pinned on purpose (4 December 2026, night) for the discrete adjoint: its step record holds the h each step's stages used
/// (IOdeIntegrator.LastStep) instead of Time − PreviousTime, so its backward pass recomputes the forward stages bit for bit
/// (DiscreteAdjointReplayTests). Same states, steps and evaluations; the gradient's entries moved by 0 to 17 ulps
/// (∂L/∂y0: −4, −4, +17; ∂L/∂p: +2, +14, +13; ∂L/∂t0: +5; ∂L/∂t_i: +9, +2, 0).
/// Re-pinned on purpose (5 December 2026, early morning) for every interpolating-adjoint case: after its first interval the
/// backward pass starts each observation (or segment) interval from the step its controller proposed at the end of the last
/// one instead of choosing a first step afresh (InterpolatingAdjointSweep.Integrate), which saves a VJP per interval and
/// changes the backward steps. Lorenz, 20 observations on [0, 1], rtol 1e-8, against a forward-sensitivity gradient at
/// 1e-12: error 4.6e-9 before, 3.3e-9 after; backward VJPs 1,258 → 1,221 (T = 10: 1.44e-5 both, 7,840 → 7,821).
/// Re-pinned on purpose (5 December 2026, early morning, every case whose steps are adaptive): the step-size controller's
/// powers are LaneMath.PowPositive's (within 2 ulp of Math.Pow, built from IEEE 754's exact operations) instead of the C
/// runtime's pow, whose last bits differed between glibc, the Windows CRT and Arm, so these digests were glibc's until now
/// and hold on every platform from here. Step factors move in their last bit, and with them the steps.
/// </summary>
public class PinnedGradientBitsTests(ITestOutputHelper output)
{
    private static readonly SolverOptions Options = new() { RelTol = 1e-8, AbsTol = 1e-8 };
    private static readonly double[] Times = [0.25, 0.5, 1.0];
    private static readonly double[] DLdy = [1.0, -0.5, 0.25, 0.5, 1.0, -1.0, 0.3, 0.2, 0.1];

    private static double SquareLoss(ReadOnlySpan<double> states, Span<double> dLdy)
    {
        double sum = 0;
        for (int i = 0; i < states.Length; i++)
        {
            sum += 0.5 * states[i] * states[i];
            dLdy[i] = states[i];
        }
        return sum;
    }

    public static TheoryData<string, string> Cases => new()
    {
        { "Forward", "1A88252648B597D1" },
        { "BacksolveAdjoint", "FC9103EB26B125BF" },
        { "InterpolatingAdjoint", "E5E023F031A08AA9" },
        { "DiscreteAdjoint", "1676131F061FC308" },
        { "InterpolatedObservations", "C5C0025DBE417775" },
        { "LossForward", "90BA0B7D0EB27BFD" },
        { "LossInterpolating", "DE0C2468B14D5540" },
        { "AtT0Interpolating", "341EA130A61C2178" },
        { "EventsForward", "7848876B505C1C9F" },
        { "EventsInterpolating", "3A0891EAB760BC22" },
    };

    private static OdeGradient Compute(string name)
    {
        var lorenz = new HandLorenz();
        return name switch
        {
            "Forward" => Ode.Gradient(lorenz, LorenzY0, LorenzP, 0, Times, DLdy, OdeGen.Sensitivity.Forward, Options),
            "BacksolveAdjoint" => Ode.Gradient(lorenz, LorenzY0, LorenzP, 0, Times, DLdy, OdeGen.Sensitivity.BacksolveAdjoint, Options),
            "InterpolatingAdjoint" => Ode.Gradient(lorenz, LorenzY0, LorenzP, 0, Times, DLdy, OdeGen.Sensitivity.InterpolatingAdjoint(), Options),
            "DiscreteAdjoint" => Ode.Gradient(lorenz, LorenzY0, LorenzP, 0, Times, DLdy, OdeGen.Sensitivity.DiscreteAdjoint, Options),
            "InterpolatedObservations" => Ode.Gradient(lorenz, LorenzY0, LorenzP, 0, Times, DLdy,
                new InterpolatingAdjointSensitivity(4) { InterpolateObservations = true }, Options),
            "LossForward" => Ode.LossGradient(lorenz, LorenzY0, LorenzP, 0, Times, SquareLoss, OdeGen.Sensitivity.Forward, Options),
            "LossInterpolating" => Ode.LossGradient(lorenz, LorenzY0, LorenzP, 0, Times, SquareLoss, OdeGen.Sensitivity.InterpolatingAdjoint(), Options),
            "AtT0Interpolating" => Ode.Gradient(lorenz, LorenzY0, LorenzP, 0, [0.0, 0.5, 1.0], DLdy, OdeGen.Sensitivity.InterpolatingAdjoint(), Options),
            "EventsForward" => Ode.Gradient(new BouncingBall(), [2.0, 0.0], [9.81, 0.8], 0, [0.5, 1.0, 1.5], [1, 0, 0, 1, 1, 1],
                OdeGen.Sensitivity.Forward, new SolverOptions { RelTol = 1e-10, AbsTol = 1e-12, Events = [BouncingBall.Ground()] }),
            _ => Ode.Gradient(new BouncingBall(), [2.0, 0.0], [9.81, 0.8], 0, [0.5, 1.0, 1.5], [1, 0, 0, 1, 1, 1],
                OdeGen.Sensitivity.InterpolatingAdjoint(), new SolverOptions { RelTol = 1e-10, AbsTol = 1e-12, Events = [BouncingBall.Ground()] }),
        };
    }

    // The bits of every number the gradient reports, and its work counters.
    private static string Digest(OdeGradient g)
    {
        var values = new List<double>();
        values.AddRange(g.Y0);
        values.AddRange(g.Parameters);
        values.Add(g.T0);
        values.AddRange(g.Times);
        values.AddRange(g.States);
        values.Add(g.Loss);
        values.Add(g.Stats.FunctionEvaluations);
        values.Add(g.Stats.VjpEvaluations);
        values.Add(g.Stats.JacobianEvaluations);
        values.Add(g.Stats.Forward.Steps);
        values.Add(g.Stats.Backward.Steps);
        values.Add(g.Stats.Recompute.Steps);
        byte[] bytes = new byte[values.Count * sizeof(double)];
        Buffer.BlockCopy(values.ToArray(), 0, bytes, 0, bytes.Length);
        return Convert.ToHexString(SHA256.HashData(bytes))[..16];
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gradient_KeepsItsBits(string name, string expected)
    {
        OdeGradient first = Compute(name), second = Compute(name);
        Assert.True(first.IsSuccess, first.Message);
        string a = Digest(first), b = Digest(second);
        output.WriteLine($"PINNED {name} {a}");
        Assert.Equal(a, b);
        Assert.Equal(expected, a);
    }
}
