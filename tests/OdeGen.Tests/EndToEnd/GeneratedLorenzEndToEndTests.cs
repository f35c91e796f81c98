using OdeGen.Solvers;
using OdeGen.Tests.Generated;
using OdeGen.Tests.Sensitivities;
using Xunit.Abstractions;

namespace OdeGen.Tests.EndToEnd;

/// <summary>
/// The whole road on the user's path: DESIGN.md's Lorenz, generated at build time by the analyzer,
/// solved and differentiated by the runtime, checked against the independent reference values.
/// </summary>
public class GeneratedLorenzEndToEndTests(ITestOutputHelper output)
{
    private static readonly double[] Y0 = [1, 1, 1];
    private static readonly double[] P = [10, 28, 8.0 / 3];
    private static readonly SolverOptions Tight = new() { RelTol = 1e-10, AbsTol = 1e-10 };

    public static TheoryData<string> AccurateMethods => new() { "Forward", "InterpolatingAdjoint", "DiscreteAdjoint" };

    [Fact]
    public void Solve_GeneratedLorenz_MatchesReferenceState()
    {
        var reference = SensitivityTestSupport.LoadLorenzReference("T=1");
        var solution = Ode.Solve(new Lorenz.RhsSystem(), Y0, P, 0, 1, Tight).EnsureSuccess();
        SensitivityTestSupport.AssertRelative(reference.YT, solution.FinalState, 1e-8, "y(1)");
    }

    [Theory]
    [MemberData(nameof(AccurateMethods))]
    public void Gradient_GeneratedLorenz_T1_MatchesReferenceComponentwise(string method)
    {
        var reference = SensitivityTestSupport.LoadLorenzReference("T=1");
        OdeGradient g = Ode.Gradient(new Lorenz.RhsSystem(), Y0, P, 0, [1.0], [1, 1, 1], Pick(method), Tight);
        Assert.Equal(OdeStatus.Success, g.Status);
        output.WriteLine($"{method}: dL/dy0 {SensitivityTestSupport.Format(g.Y0)} dL/dp {SensitivityTestSupport.Format(g.Parameters)} dL/dT {g.Times[0]:R}");
        SensitivityTestSupport.AssertRelative(reference.DLdy0, g.Y0, 1e-6, "dL/dy0");
        SensitivityTestSupport.AssertRelative(reference.DLdp, g.Parameters, 1e-6, "dL/dp");
        SensitivityTestSupport.AssertRelative(reference.DLdT, g.Times[0], 1e-6, "dL/dT");
        // Shifting t0 and T together leaves the autonomous solution unchanged.
        Assert.Equal(-g.Times[0], g.T0, 1e-6 * Math.Abs(g.Times[0]));
    }

    [Fact]
    public void Gradient_GeneratedLorenz_T1_Backsolve_WithinItsDocumentedAccuracy()
    {
        // The backsolve adjoint integrates the state backwards, which amplifies the forward solve's error
        // (docs/sensitivity.md); at 1e-10 it holds 1e-6 normwise, and per component at 1e-11.
        var reference = SensitivityTestSupport.LoadLorenzReference("T=1");
        var system = new Lorenz.RhsSystem();
        OdeGradient loose = Ode.Gradient(system, Y0, P, 0, [1.0], [1, 1, 1], Sensitivity.BacksolveAdjoint, Tight);
        SensitivityTestSupport.AssertNormwise(reference.DLdy0, loose.Y0, 1e-6, "dL/dy0 (normwise, 1e-10)");
        SensitivityTestSupport.AssertNormwise(reference.DLdp, loose.Parameters, 1e-6, "dL/dp (normwise, 1e-10)");
        var tighter = new SolverOptions { RelTol = 1e-11, AbsTol = 1e-11 };
        OdeGradient g = Ode.Gradient(system, Y0, P, 0, [1.0], [1, 1, 1], Sensitivity.BacksolveAdjoint, tighter);
        SensitivityTestSupport.AssertRelative(reference.DLdy0, g.Y0, 1e-6, "dL/dy0 (1e-11)");
        SensitivityTestSupport.AssertRelative(reference.DLdp, g.Parameters, 1e-6, "dL/dp (1e-11)");
    }

    [Fact]
    public void Gradient_GeneratedLorenz_T10_CheckpointedAndForwardMatchReference()
    {
        var reference = SensitivityTestSupport.LoadLorenzReference("T=10");
        foreach (Sensitivity method in new Sensitivity[] { Sensitivity.Forward, Sensitivity.InterpolatingAdjoint() })
        {
            OdeGradient g = Ode.Gradient(new Lorenz.RhsSystem(), Y0, P, 0, [10.0], [1, 1, 1], method, Tight);
            Assert.Equal(OdeStatus.Success, g.Status);
            SensitivityTestSupport.AssertRelative(reference.DLdy0, g.Y0, 1e-4, $"{method} dL/dy0");
            SensitivityTestSupport.AssertRelative(reference.DLdp, g.Parameters, 1e-4, $"{method} dL/dp");
            SensitivityTestSupport.AssertRelative(reference.DLdT, g.Times[0], 1e-4, $"{method} dL/dT");
        }
    }

    [Fact]
    public void Gradient_Default_IsTheStableInterpolatingAdjoint()
    {
        // At T = 2 the back-solve adjoint is several percent off while reporting success; the default must not be it.
        OdeGradient g = Ode.Gradient(new Lorenz.RhsSystem(), Y0, P, 0, [2.0], [1, 1, 1], options: Tight);
        Assert.IsType<InterpolatingAdjointSensitivity>(g.Sensitivity);
        OdeGradient forward = Ode.Gradient(new Lorenz.RhsSystem(), Y0, P, 0, [2.0], [1, 1, 1], Sensitivity.Forward, Tight);
        SensitivityTestSupport.AssertRelative(forward.Parameters, g.Parameters, 1e-6, "dL/dp at T = 2");
    }

    [Fact]
    public void GeneratedAndHandWrittenLorenz_GiveTheSameGradient()
    {
        // Same arithmetic in Evaluate and Vjp up to rounding, so the two adjoints agree far below the tolerance.
        var generated = Ode.Gradient(new Lorenz.RhsSystem(), Y0, P, 0, [0.5, 1.0], [1, 0, 0, 1, 1, 1], Sensitivity.InterpolatingAdjoint(), Tight);
        var hand = Ode.Gradient(new HandLorenz(), Y0, P, 0, [0.5, 1.0], [1, 0, 0, 1, 1, 1], Sensitivity.InterpolatingAdjoint(), Tight);
        SensitivityTestSupport.AssertRelative(hand.Y0, generated.Y0, 1e-9, "dL/dy0");
        SensitivityTestSupport.AssertRelative(hand.Parameters, generated.Parameters, 1e-9, "dL/dp");
    }

    [Fact]
    public void Integrator_GeneratedLorenz_AllocatesNothingPerStep()
    {
        var options = new SolverOptions { RelTol = 1e-8, AbsTol = 1e-8 };
        var field = new SystemField<Lorenz.RhsSystem>(new Lorenz.RhsSystem(), [10, 28, 8.0 / 3]);
        var integrator = new RungeKuttaIntegrator<SystemField<Lorenz.RhsSystem>>(3, options);
        integrator.Reset(field, Y0, 0, 50);
        for (int i = 0; i < 100; i++) integrator.Step();   // warm up (JIT tiers, statics)
        int steps = 0;
        long allocated = Allocations.Least(() =>
        {
            steps = 0;
            while (integrator.Step()) steps++;
            integrator.Reset(field, Y0, 0, 50);
        });
        output.WriteLine($"{steps} steps, {allocated} bytes");
        Assert.Equal(OdeStatus.Success, integrator.Status);
        Assert.True(steps > 1000, $"only {steps} steps");
        Assert.Equal(0, allocated);
    }

    private static Sensitivity Pick(string name) => name switch
    {
        "Forward" => Sensitivity.Forward,
        "InterpolatingAdjoint" => Sensitivity.InterpolatingAdjoint(),
        "DiscreteAdjoint" => Sensitivity.DiscreteAdjoint,
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };
}
