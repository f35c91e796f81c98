using OdeGen.Tests.Solvers;
using Xunit.Abstractions;

namespace OdeGen.Tests.EndToEnd;

/// <summary>Robertson's kinetics written as user code, differentiated by the generator, solved by the stiff solvers.</summary>
public static partial class Robertson
{
    [OdeDynamics]
    public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        double r1 = p[0] * y[0];
        double r2 = p[1] * y[1] * y[1];
        double r3 = p[2] * y[1] * y[2];
        dydt[0] = -r1 + r3;
        dydt[1] = r1 - r2 - r3;
        dydt[2] = r2;
    }
}

public class GeneratedRobertsonEndToEndTests(ITestOutputHelper output)
{
    private static readonly double[] P = [0.04, 3e7, 1e4];
    private static readonly double[] Y0 = [1.0, 0.0, 0.0];
    private static readonly double[] Times = [0.4, 4, 40, 400];
    private static readonly double[] DLdy = [1, 1e4, 0, 1, 1e4, 0, 1, 1e4, 0, 1, 1e4, 0];

    [Theory]
    [InlineData("Rodas4", "Forward")]
    [InlineData("Kvaerno5", "Forward")]
    [InlineData("Rodas4", "InterpolatingAdjoint")]
    [InlineData("Kvaerno5", "InterpolatingAdjoint")]
    public void Gradient_GeneratedRobertson_MatchesHandWrittenSystem(string method, string sensitivityName)
    {
        // The hand-written system's gradient is checked against finite differences (StiffGradientTests); the generated
        // derivatives are the same functions, so the two gradients agree to well within the solve's tolerance.
        var options = new SolverOptions
        {
            Method = OdeMethod.Stiff.Single(m => m.Name == method), RelTol = 1e-8, AbsTol = 1e-14, AbsTolVector = [1e-14, 1e-18, 1e-14],
        };
        Sensitivity sensitivity = sensitivityName == "Forward" ? Sensitivity.Forward : Sensitivity.InterpolatingAdjoint(4);
        OdeGradient generated = Ode.Gradient(new Robertson.RhsSystem(), Y0, P, 0, Times, DLdy, sensitivity, options);
        OdeGradient hand = Ode.Gradient(new RobertsonSystem(), Y0, P, 0, Times, DLdy, sensitivity, options);
        Assert.Equal(OdeStatus.Success, generated.Status);
        output.WriteLine($"generated: dL/dp {Sensitivities.SensitivityTestSupport.Format(generated.Parameters)}, steps {generated.Stats.Forward.Steps}/{generated.Stats.Backward.Steps}");
        output.WriteLine($"hand:      dL/dp {Sensitivities.SensitivityTestSupport.Format(hand.Parameters)}, steps {hand.Stats.Forward.Steps}/{hand.Stats.Backward.Steps}");
        for (int k = 0; k < 3; k++)
        {
            Assert.Equal(hand.Parameters[k], generated.Parameters[k], 1e-6 * Math.Abs(hand.Parameters[k]));
            Assert.Equal(hand.Y0[k], generated.Y0[k], 1e-6 * Math.Abs(hand.Y0[k]));
        }
    }

    [Theory]
    [InlineData("Rodas4")]
    [InlineData("Kvaerno5")]
    public void Jvp_GeneratedRobertson_MatchesForwardSensitivities(string method)
    {
        // One tangent through the stiff solver ([y; z], 6 components) against the full sensitivity matrix (21 components)
        // contracted with the same direction: two different augmented systems, with the other stiff method.
        var options = new SolverOptions { Method = OdeMethod.Stiff.Single(m => m.Name == method), RelTol = 1e-9, AbsTol = 1e-14, AbsTolVector = [1e-14, 1e-18, 1e-14] };
        double[] y0Dot = [0.5, 0, 1e-2];
        double[] pDot = [0.04, -3e6, 2e3];   // relative nudges 1, −0.1, 0.2
        OdeTangent jvp = Ode.Jvp(new Robertson.RhsSystem(), Y0, P, 0, 40, y0Dot, pDot, options: options);
        Assert.True(jvp.IsSuccess);
        var other = new SolverOptions { Method = method == "Rodas4" ? OdeMethod.Kvaerno5 : OdeMethod.Rodas4, RelTol = 1e-9, AbsTol = 1e-14, AbsTolVector = [1e-14, 1e-18, 1e-14] };
        OdeSensitivities s = Ode.Sensitivities(new Robertson.RhsSystem(), Y0, P, 0, 40, other);
        Assert.True(s.IsSuccess);
        for (int i = 0; i < 3; i++)
        {
            double expected = 0;
            for (int j = 0; j < 3; j++) expected += s.DyDy0[i * 3 + j] * y0Dot[j] + s.DyDp[i * 3 + j] * pDot[j];
            output.WriteLine($"z[{i}] = {jvp.Tangent[i]:R} vs S·v = {expected:R}; steps {jvp.Stats.Steps} vs {s.Stats.Steps}");
            Assert.Equal(expected, jvp.Tangent[i], 1e-6 * Math.Abs(expected));
        }
    }
}
