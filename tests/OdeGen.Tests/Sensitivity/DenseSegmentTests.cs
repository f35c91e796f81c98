using OdeGen.Solvers;
using static OdeGen.Tests.Sensitivities.SensitivityTestSupport;

// Not "OdeGen.Tests.Sensitivity": a namespace segment with that name would hide the OdeGen.Sensitivity class.
namespace OdeGen.Tests.Sensitivities;

/// <summary>The interpolating adjoint's record of a segment reproduces the integrator's own dense output.</summary>
public class DenseSegmentTests
{
    public static TheoryData<string> Methods => new() { "Dopri5", "RK4" };

    [Theory]
    [MemberData(nameof(Methods))]
    public void RecordedSegment_EqualsTheIntegratorsInterpolant_AtInteriorPoints(string method)
    {
        var options = method == "RK4"
            ? new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.01 }
            : new SolverOptions { RelTol = 1e-8, AbsTol = 1e-8 };
        var field = new SystemField<HandLorenz>(new HandLorenz(), LorenzP);
        var integrator = new RungeKuttaIntegrator<SystemField<HandLorenz>>(3, options);
        var segment = new DenseSegment(3, options.Method.Tableau);
        Span<double> expected = stackalloc double[3], actual = stackalloc double[3];
        integrator.Reset(field, LorenzY0, 0.0, 0.5);
        var checks = new List<(double T, double[] Y)>();
        while (integrator.Step())
        {
            segment.Add(integrator);
            foreach (double theta in new[] { 0.0, 0.13, 0.5, 0.91, 1.0 })
            {
                double t = integrator.PreviousTime + theta * (integrator.Time - integrator.PreviousTime);
                integrator.Interpolate(t, expected);
                checks.Add((t, expected.ToArray()));
            }
        }
        Assert.True(segment.Count > 10);
        // Query in reverse, as the backward pass does, so the cursor walks back through the steps.
        for (int c = checks.Count - 1; c >= 0; c--)
        {
            segment.Evaluate(checks[c].T, actual);
            for (int i = 0; i < 3; i++) Assert.Equal(checks[c].Y[i], actual[i], 1e-11 * Math.Max(1, Math.Abs(checks[c].Y[i])));
        }
    }
}
