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

    internal static OdeGen.Sensitivity Of(string name) => name switch
    {
        "Forward" => OdeGen.Sensitivity.Forward,
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

/// <summary>The workspace is one computation's at a time, and a result stays the caller's after later calls.</summary>
public class GradientWorkspaceReuseTests
{
    private static readonly double[] Times = [0.5, 1.0], DLdy = [1, 0, 0, 0, 1, 0];

    [Fact]
    public void AGradientInsideALoss_GetsAWorkspaceOfItsOwn()
    {
        // The loss computes a gradient of the same system type on the same thread while the outer one is running.
        var system = new HandLorenz();
        OdeGradient expectedInner = Ode.Gradient(system, [2.0, 1.0, 0.5], LorenzP, 0, Times, DLdy);
        OdeGradient expectedOuter = Ode.LossGradient(system, LorenzY0, LorenzP, 0, Times, Square);
        OdeGradient? inner = null;
        OdeGradient outer = Ode.LossGradient(system, LorenzY0, LorenzP, 0, Times, (states, dLdy) =>
        {
            inner = Ode.Gradient(system, [2.0, 1.0, 0.5], LorenzP, 0, Times, DLdy);
            return Square(states, dLdy);
        });
        Assert.Equal(expectedInner.Parameters, inner!.Parameters);
        Assert.Equal(expectedOuter.Parameters, outer.Parameters);
        Assert.Equal(expectedOuter.Y0, outer.Y0);
        Assert.Equal(expectedOuter.Loss, outer.Loss);
    }

    [Fact]
    public void AResult_IsNotOverwrittenByTheNextCall()
    {
        var system = new HandLorenz();
        OdeGradient first = Ode.Gradient(system, LorenzY0, LorenzP, 0, Times, DLdy, OdeGen.Sensitivity.DiscreteAdjoint);
        double[] y0 = (double[])first.Y0.Clone(), p = (double[])first.Parameters.Clone(), states = (double[])first.States.Clone();
        Ode.Gradient(system, [3.0, -1.0, 2.0], LorenzP, 0, Times, DLdy, OdeGen.Sensitivity.DiscreteAdjoint);
        Assert.Equal(y0, first.Y0);
        Assert.Equal(p, first.Parameters);
        Assert.Equal(states, first.States);
    }

    [Fact]
    public void OtherOptionsOnTheSameThread_GiveWhatAFreshComputationGives()
    {
        // Alternating tolerances, an absolute tolerance vector changed in place, and another sensitivity setting: each call
        // equals the same call made first (when the workspace was built for it).
        var system = new HandLorenz();
        double[] atol = [1e-8, 1e-8, 1e-8];
        var loose = new SolverOptions { RelTol = 1e-5, AbsTol = 1e-7 };
        var vector = new SolverOptions { RelTol = 1e-8, AbsTolVector = atol };
        OdeGradient Run(SolverOptions o, int checkpoints) =>
            Ode.Gradient(system, LorenzY0, LorenzP, 0, Times, DLdy, OdeGen.Sensitivity.InterpolatingAdjoint(checkpoints), o);
        double[] a = Run(loose, 4).Parameters, b = Run(vector, 4).Parameters, c = Run(vector, 8).Parameters;
        atol[1] = 1e-4;   // the same options object, another tolerance: the workspace must not keep the old one
        double[] d = Run(vector, 8).Parameters;
        Assert.Equal(a, Run(loose, 4).Parameters);
        Assert.Equal(b, Run(new SolverOptions { RelTol = 1e-8, AbsTolVector = [1e-8, 1e-8, 1e-8] }, 4).Parameters);
        Assert.Equal(d, Run(new SolverOptions { RelTol = 1e-8, AbsTolVector = [1e-8, 1e-4, 1e-8] }, 8).Parameters);
        Assert.NotEqual(c, d);
    }

    internal static double Square(ReadOnlySpan<double> states, Span<double> dLdy)
    {
        double sum = 0;
        for (int i = 0; i < states.Length; i++)
        {
            sum += 0.5 * states[i] * states[i];
            dLdy[i] = states[i];
        }
        return sum;
    }
}

/// <summary>
/// GradientWorkspace.Compute, the dispatch that Ode.Gradient, OdeBlock, the CNF engine and the trainer share: through a
/// kept workspace it gives what Ode.LossGradient gives, bit for bit, on both of its paths (the method's workspace, or the
/// method's own computation for a sensitivity without one), and a failure throws what the result's EnsureSuccess throws.
/// </summary>
public class GradientDispatchTests
{
    private static readonly double[] Times = [0.5, 1.0];

    public static TheoryData<string> Methods => new() { "Forward", "InterpolatingAdjoint", "BacksolveAdjoint", "DiscreteAdjoint" };

    [Theory]
    [MemberData(nameof(Methods))]
    public void KeptWorkspace_GivesOdeLossGradientsBits(string name)
    {
        var system = new HandLorenz();
        var options = new SolverOptions { RelTol = 1e-8, AbsTol = 1e-8 };
        OdeGradient expected = Ode.LossGradient(system, LorenzY0, LorenzP, 0, Times, GradientWorkspaceReuseTests.Square, GradientWorkspaceTests.Of(name), options);
        var w = new GradientWorkspace<HandLorenz>();
        for (int call = 0; call < 2; call++)   // the second call reuses what the first built
        {
            w.Inputs = GradientInputs.Create(system, LorenzY0, LorenzP, 0, Times, GradientWorkspaceReuseTests.Square, w.Inputs);
            GradientOutcome<HandLorenz> g = w.Compute(system, GradientWorkspaceTests.Of(name), options).EnsureSuccess();
            Assert.Equal(expected.Y0, g.Y0);
            Assert.Equal(expected.Parameters, g.Parameters);
            Assert.Equal(expected.Status, g.Status);
            Assert.Equal(expected.Stats.ToString(), g.Stats.ToString());
            Assert.Equal(expected.Loss, g.Loss);
            OdeGradient copy = g.ToGradient();
            Assert.Equal(expected.T0, copy.T0);
            Assert.Equal(expected.Times, copy.Times);
            Assert.Equal(expected.States, copy.States);
        }
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void AFailure_ThrowsWhatTheResultsEnsureSuccessThrows(string name)
    {
        var system = new HandLorenz();
        var options = new SolverOptions { RelTol = 1e-8, AbsTol = 1e-8, MaxSteps = 5 };
        OdeGradient expected = Ode.LossGradient(system, LorenzY0, LorenzP, 0, Times, GradientWorkspaceReuseTests.Square, GradientWorkspaceTests.Of(name), options);
        Assert.False(expected.IsSuccess);
        var w = new GradientWorkspace<HandLorenz>();
        w.Inputs = GradientInputs.Create(system, LorenzY0, LorenzP, 0, Times, GradientWorkspaceReuseTests.Square, w.Inputs);
        GradientOutcome<HandLorenz> g = w.Compute(system, GradientWorkspaceTests.Of(name), options);
        Assert.Equal(expected.Status, g.Status);
        Assert.True(double.IsNaN(g.Loss));
        Assert.All(g.Parameters, v => Assert.True(double.IsNaN(v)));
        var thrown = Assert.Throws<OdeSolverException>(() => g.EnsureSuccess());
        Assert.Equal(Assert.Throws<OdeSolverException>(() => expected.EnsureSuccess()).Message, thrown.Message);
    }
}
