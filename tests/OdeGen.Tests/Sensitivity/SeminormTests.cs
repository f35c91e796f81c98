using Xunit.Abstractions;
using static OdeGen.Tests.Sensitivities.SensitivityTestSupport;

// Not "OdeGen.Tests.Sensitivity": a namespace segment with that name would hide the OdeGen.Sensitivity class.
namespace OdeGen.Tests.Sensitivities;

/// <summary>
/// Seminorm error control on the adjoint pass (Kidger, Chen &amp; Lyons 2021): the parameter and time adjoints
/// leave the backward step-size norm. The gradient must stay as accurate, and the backward pass must take no
/// more steps; the saving is printed.
/// </summary>
public class SeminormTests(ITestOutputHelper output)
{
    public static TheoryData<string> Adjoints => new() { "Backsolve", "Interpolating" };

    private static AdjointSensitivity Make(string name, bool seminorm) => name == "Backsolve"
        ? OdeGen.Sensitivity.Backsolve(seminorm: seminorm)
        : new InterpolatingAdjointSensitivity { Seminorm = seminorm };

    private void Report(string what, OdeGradient full, OdeGradient semi)
    {
        int a = full.Stats.Backward.Steps + full.Stats.Backward.RejectedSteps, b = semi.Stats.Backward.Steps + semi.Stats.Backward.RejectedSteps;
        output.WriteLine($"{what}: backward steps (accepted + rejected) {a} full norm, {b} seminorm: saving {a - b} ({100.0 * (a - b) / a:F1} %); " +
            $"VJPs {full.Stats.VjpEvaluations} vs {semi.Stats.VjpEvaluations}");
    }

    [Theory]
    [MemberData(nameof(Adjoints))]
    public void NeuralOde_ManyParameters_SameGradientFewerSteps(string name)
    {
        var system = new TinyMlpOde();
        double[] p = TinyMlpOde.Parameters(17);
        double[] y0 = [0.5, -0.3, 0.8, 0.1];
        double[] times = [0.5, 1.0, 1.5, 2.0];
        double[] dLdy = Enumerable.Range(0, 16).Select(i => Math.Sin(1.3 * i + 0.2)).ToArray();
        var options = new SolverOptions { RelTol = 1e-8, AbsTol = 1e-8 };
        OdeGradient exact = Ode.Gradient(system, y0, p, 0.0, times, dLdy, OdeGen.Sensitivity.Forward, new SolverOptions { RelTol = 1e-12, AbsTol = 1e-12 });
        OdeGradient full = Ode.Gradient(system, y0, p, 0.0, times, dLdy, Make(name, false), options);
        OdeGradient semi = Ode.Gradient(system, y0, p, 0.0, times, dLdy, Make(name, true), options);
        Assert.True(full.IsSuccess && semi.IsSuccess && exact.IsSuccess);
        Report($"{name}, neural ODE with {p.Length} parameters, tol 1e-8", full, semi);
        foreach (var (g, label) in new[] { (full, "full norm"), (semi, "seminorm") })
        {
            AssertNormwise(exact.Y0, g.Y0, 1e-6, $"{name} {label} dL/dy0");
            AssertNormwise(exact.Parameters, g.Parameters, 1e-6, $"{name} {label} dL/dp");
            AssertNormwise(exact.Times, g.Times, 1e-6, $"{name} {label} dL/dtimes");
        }
        Assert.True(semi.Stats.Backward.Steps + semi.Stats.Backward.RejectedSteps <= full.Stats.Backward.Steps + full.Stats.Backward.RejectedSteps);
    }

    [Theory]
    [MemberData(nameof(Adjoints))]
    public void Lorenz_MatchesReference_NoMoreSteps(string name)
    {
        var reference = LoadLorenzReference("T=1");
        var options = new SolverOptions { RelTol = 1e-10, AbsTol = 1e-10 };
        OdeGradient full = Ode.Gradient(new HandLorenz(), LorenzY0, LorenzP, 0.0, [1.0], [1.0, 1, 1], Make(name, false), options);
        OdeGradient semi = Ode.Gradient(new HandLorenz(), LorenzY0, LorenzP, 0.0, [1.0], [1.0, 1, 1], Make(name, true), options);
        Report($"{name}, Lorenz T=1, tol 1e-10", full, semi);
        output.WriteLine($"seminorm dL/dy0 {Format(semi.Y0)} dL/dp {Format(semi.Parameters)}");
        Assert.True(semi.IsSuccess);
        // The back-solve is compared in norm (see LorenzGradientTests), the interpolating adjoint per component.
        if (name == "Backsolve")
        {
            AssertNormwise(reference.DLdy0, semi.Y0, 1e-6, "seminorm dL/dy0");
            AssertNormwise(reference.DLdp, semi.Parameters, 1e-6, "seminorm dL/dp");
        }
        else
        {
            AssertRelative(reference.DLdy0, semi.Y0, 1e-6, "seminorm dL/dy0");
            AssertRelative(reference.DLdp, semi.Parameters, 1e-6, "seminorm dL/dp");
        }
        AssertRelative(-reference.DLdT, semi.T0, 1e-6, "seminorm dL/dt0");
        Assert.True(semi.Stats.Backward.Steps + semi.Stats.Backward.RejectedSteps <= full.Stats.Backward.Steps + full.Stats.Backward.RejectedSteps);
    }
}
