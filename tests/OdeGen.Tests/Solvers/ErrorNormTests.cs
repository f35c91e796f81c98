using Xunit.Abstractions;

namespace OdeGen.Tests.Solvers;

/// <summary>The choice of error norm: RMS (default) or max, for every adaptive family.</summary>
public class ErrorNormTests(ITestOutputHelper output)
{
    public static TheoryData<string> Methods => new() { "Dopri5", "Dop853", "Rodas4", "Kvaerno5" };

    [Theory]
    [MemberData(nameof(Methods))]
    public void MaxNorm_IsStricterThanRms_AndBothMeetTheirTolerance(string name)
    {
        OdeMethod method = OdeMethod.All.Single(m => m.Name == name);
        var rms = Solve(method, ErrorNorm.Rms);
        var max = Solve(method, ErrorNorm.Max);
        double errRms = Error(rms), errMax = Error(max);
        output.WriteLine($"{name}: RMS {rms.Stats.Steps} steps, error {errRms:E2}; max {max.Stats.Steps} steps, error {errMax:E2}");
        // max |e_i| ≥ RMS(e), so the max norm never accepts a step the RMS norm would reject.
        Assert.True(max.Stats.Steps >= rms.Stats.Steps, $"max norm took {max.Stats.Steps} steps, RMS {rms.Stats.Steps}");
        Assert.True(errMax <= errRms * 1.5, $"max-norm error {errMax} vs RMS {errRms}");
        Assert.True(errRms < 1e-4, $"RMS error {errRms}");
    }

    [Fact]
    public void Norm_IsCarriedIntoAdjointPasses()
    {
        // The gradient with the max norm must differ in work (not in value beyond tolerance) from the RMS one.
        double[] y0 = [1, 1, 1], p = [10, 28, 8.0 / 3];
        var rms = Ode.Gradient(new HandLorenz(), y0, p, 0, [1.0], [1, 1, 1], Sensitivity.InterpolatingAdjoint(), new SolverOptions { RelTol = 1e-8, AbsTol = 1e-8 });
        var max = Ode.Gradient(new HandLorenz(), y0, p, 0, [1.0], [1, 1, 1], Sensitivity.InterpolatingAdjoint(), new SolverOptions { RelTol = 1e-8, AbsTol = 1e-8, Norm = ErrorNorm.Max });
        Assert.True(max.Stats.Backward.Steps > rms.Stats.Backward.Steps, $"{max.Stats.Backward.Steps} vs {rms.Stats.Backward.Steps}");
        for (int i = 0; i < 3; i++) Assert.Equal(rms.Parameters[i], max.Parameters[i], 1e-5 * Math.Abs(rms.Parameters[i]));
    }

    private static OdeSolution Solve(OdeMethod method, ErrorNorm norm) =>
        Ode.Solve(new OscillatorSystem(), [1.0, 0.0], [2.0], 0, 10, new SolverOptions { Method = method, RelTol = 1e-6, AbsTol = 1e-8, Norm = norm }).EnsureSuccess();

    private static double Error(OdeSolution s)
    {
        Span<double> exact = stackalloc double[2];
        OscillatorSystem.Exact(2, 10, exact);
        return Math.Max(Math.Abs(s.FinalState[0] - exact[0]), Math.Abs(s.FinalState[1] - exact[1]));
    }
}
