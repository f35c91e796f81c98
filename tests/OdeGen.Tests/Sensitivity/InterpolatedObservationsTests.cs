using OdeGen.Tests.Generated;

namespace OdeGen.Tests.Sensitivities;

/// <summary>
/// InterpolatingAdjointSensitivity.InterpolateObservations: the forward pass runs through the observation times and
/// interpolates there; the gradient must agree with forward sensitivities (which stop at every time) to the
/// tolerance, forwards and backwards in time, with times on checkpoints, inside segments and at t0.
/// </summary>
public sealed class InterpolatedObservationsTests
{
    private static readonly SolverOptions Tight = new() { RelTol = 1e-11, AbsTol = 1e-12 };

    public static TheoryData<double, double[], int> Cases => new()
    {
        // t0, times, checkpoints: times at t0, on the grid (0.25, 0.5), inside a segment (0.8), at the end.
        { 0.0, [0.0, 0.25, 0.5, 0.8, 1.0], 4 },
        // One segment holding every time, none at t0.
        { 0.0, [0.1, 0.2, 0.3, 0.45, 0.6], 1 },
        // Backwards in time: t0 = 0.5, times decreasing to 0 (Lorenz grows fast backwards; 0.5 keeps it solvable).
        { 0.5, [0.4, 0.25, 0.1, 0.0], 3 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gradient_AgreesWithForwardSensitivities(double t0, double[] times, int checkpoints)
    {
        var lorenz = new Lorenz.RhsSystem();
        double[] dLdy = Enumerable.Range(0, 3 * times.Length).Select(k => Math.Sin(1.0 + k)).ToArray();
        var method = new InterpolatingAdjointSensitivity(checkpoints) { InterpolateObservations = true };
        OdeGradient g = Ode.Gradient(lorenz, SensitivityTestSupport.LorenzY0, SensitivityTestSupport.LorenzP, t0, times, dLdy, method, Tight);
        OdeGradient reference = Ode.Gradient(lorenz, SensitivityTestSupport.LorenzY0, SensitivityTestSupport.LorenzP, t0, times, dLdy, Sensitivity.Forward, Tight);
        Assert.True(g.IsSuccess, g.Status.ToString());
        Close(reference.Parameters, g.Parameters, "dL/dp");
        Close(reference.Y0, g.Y0, "dL/dy0");
        Close(reference.Times, g.Times, "dL/dtimes");
        Close([reference.T0], [g.T0], "dL/dt0");
        Close(reference.States, g.States, "states");
        Assert.Contains("interpolated observations", method.Name);
    }

    [Fact]
    public void ForwardPass_StopsOnlyAtCheckpoints()
    {
        // Ten observations 0.002 apart: stopping at each costs at least one step per interval; running through
        // them takes only the steps the tolerance needs (two or three here).
        var lorenz = new Lorenz.RhsSystem();
        double[] times = Enumerable.Range(1, 10).Select(k => 0.002 * k).ToArray();
        var dLdy = new double[30];
        Array.Fill(dLdy, 1.0);
        var options = new SolverOptions { RelTol = 1e-6, AbsTol = 1e-8 };
        OdeGradient through = Ode.Gradient(lorenz, SensitivityTestSupport.LorenzY0, SensitivityTestSupport.LorenzP, 0, times, dLdy,
            new InterpolatingAdjointSensitivity(1) { InterpolateObservations = true }, options);
        OdeGradient stopping = Ode.Gradient(lorenz, SensitivityTestSupport.LorenzY0, SensitivityTestSupport.LorenzP, 0, times, dLdy,
            Sensitivity.InterpolatingAdjoint(1), options);
        Assert.True(through.IsSuccess && stopping.IsSuccess);
        Assert.True(stopping.Stats.Forward.Steps >= 10, $"{stopping.Stats.Forward.Steps}");
        Assert.True(through.Stats.Forward.Steps < stopping.Stats.Forward.Steps / 2, $"{through.Stats.Forward.Steps} vs {stopping.Stats.Forward.Steps}");
        Close(stopping.Parameters, through.Parameters, "dL/dp", 1e-5);
    }

    private static void Close(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, string what, double tolerance = 1e-7)
    {
        double scale = 0;
        foreach (double e in expected) scale = Math.Max(scale, Math.Abs(e));
        for (int k = 0; k < expected.Length; k++)
            Assert.True(Math.Abs(actual[k] - expected[k]) <= tolerance * Math.Max(1, scale), $"{what}[{k}]: {actual[k]:R} vs {expected[k]:R}");
    }
}
