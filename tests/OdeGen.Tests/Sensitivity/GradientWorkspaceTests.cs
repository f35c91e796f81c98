using OdeGen.Testing;
using OdeGen.Tests.Neural;
using Xunit.Abstractions;
using static OdeGen.Tests.Sensitivities.SensitivityTestSupport;

// Not "OdeGen.Tests.Sensitivity": a namespace segment with that name would hide the OdeGen.Sensitivity class.
namespace OdeGen.Tests.Sensitivities;

/// <summary>
/// After its first call, Ode.Gradient reuses its thread's workspace (integrators, tapes, dense segments): what a call
/// allocates is its result only (#20 item 2: at most 10 KB), whatever the number of steps.
/// </summary>
public class GradientWorkspaceTests(ITestOutputHelper output)
{
    public static TheoryData<string> Adjoints => new() { "InterpolatingAdjoint", "BacksolveAdjoint", "DiscreteAdjoint" };

    private static OdeGen.Sensitivity Of(string name) => name switch
    {
        "InterpolatingAdjoint" => OdeGen.Sensitivity.InterpolatingAdjoint(),
        "BacksolveAdjoint" => OdeGen.Sensitivity.BacksolveAdjoint,
        _ => OdeGen.Sensitivity.DiscreteAdjoint,
    };

    [Theory]
    [MemberData(nameof(Adjoints))]
    public void LorenzGradient_AllocatesOnlyItsResult_AfterTheFirst(string name)
    {
        var system = new HandLorenz();
        var options = new SolverOptions { RelTol = 1e-8, AbsTol = 1e-8 };
        double[] times = [1.0], dLdy = [1.0, 1.0, 1.0];
        // A new sensitivity object each call, as Sensitivity.InterpolatingAdjoint() gives: equal settings share the workspace.
        void Call() => Assert.True(Ode.Gradient(system, LorenzY0, LorenzP, 0.0, times, dLdy, Of(name), options).IsSuccess);
        Call();
        long bytes = Allocations.Least(Call, windows: 3);
        output.WriteLine($"Lorenz, T = 1, rtol 1e-8, {name}: {bytes} bytes per Ode.Gradient call");
        Assert.InRange(bytes, 0, 10_000);
    }

    [Theory]
    [MemberData(nameof(Adjoints))]
    public void SpiralMlpGradient_AllocatesOnlyItsResult_AfterTheFirst(string name)
    {
        var system = new SpiralModel.RhsSystem();
        var random = new Random(7);
        double[] p = Enumerable.Range(0, 252).Select(_ => 0.1 * (random.NextDouble() - 0.5)).ToArray();
        double[] times = Enumerable.Range(1, 10).Select(i => 0.025 * i).ToArray();
        double[] dLdy = Enumerable.Range(0, 20).Select(i => Math.Sin(i)).ToArray();
        double[] y0 = [2.0, 0.0];
        void Call() => Assert.True(Ode.Gradient(system, y0, p, 0.0, times, dLdy, Of(name)).IsSuccess);
        Call();
        long bytes = Allocations.Least(Call, windows: 3);
        output.WriteLine($"spiral MLP (2-50-2, 10 observations), {name}: {bytes} bytes per Ode.Gradient call");
        Assert.InRange(bytes, 0, 10_000);
    }
}
