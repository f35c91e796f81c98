using OdeGen.Flows;
using OdeGen.Tests.Generated;

namespace OdeGen.Tests.Flows;

/// <summary>
/// The gradient of the training loss (NLL, and NLL with the RNODE regularizers) by the interpolating and the discrete
/// adjoint, for the exact trace and Hutchinson's (noise fixed by the seed), against central differences of the loss and
/// against each other.
/// </summary>
public class GradientTests
{
    public static TheoryData<CnfTrace, string, double, double> Cases => new()
    {
        { CnfTrace.Exact, "interpolating", 0, 0 },
        { CnfTrace.Exact, "discrete", 0, 0 },
        { CnfTrace.Hutchinson, "interpolating", 0, 0 },
        { CnfTrace.Hutchinson, "discrete", 0, 0 },
        { CnfTrace.Exact, "interpolating", 0.3, 0.2 },
        { CnfTrace.Hutchinson, "discrete", 0.3, 0.2 },
        { CnfTrace.Hutchinson, "interpolating", 0.5, 0 },
        { CnfTrace.Exact, "discrete", 0, 0.4 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void LossGradient_MatchesCentralDifferences(CnfTrace trace, string sensitivity, double kinetic, double jacobian)
    {
        double[] p = FlowTestData.Weights(21), x = FlowTestData.Points(22, 5);
        Sensitivity method = sensitivity == "discrete" ? Sensitivity.DiscreteAdjoint : Sensitivity.InterpolatingAdjoint(checkpoints: 4);
        var flow = new ContinuousNormalizingFlow<CnfField.RhsSystem>(default, new CnfOptions
        {
            Trace = trace, KineticWeight = kinetic, JacobianWeight = jacobian, Sensitivity = method, Solver = FlowTestData.Tight,
            T1 = 0.8, ChunkSize = 2,
        });
        var gradient = new double[p.Length];
        CnfLoss loss = flow.LossGradient(x, p, gradient, seed: 5);
        Assert.True(kinetic == 0 ? loss.Kinetic == 0 : loss.Kinetic > 0);
        Assert.True(jacobian == 0 ? loss.Jacobian == 0 : loss.Jacobian > 0);
        Assert.Equal(loss.NegativeLogLikelihood + (kinetic * loss.Kinetic) + (jacobian * loss.Jacobian), loss.Loss, 12);

        const double h = 1e-5;
        var scratch = new double[p.Length];
        for (int k = 0; k < p.Length; k += 3)
        {
            double[] plus = (double[])p.Clone(), minus = (double[])p.Clone();
            plus[k] += h;
            minus[k] -= h;
            double want = (flow.LossGradient(x, plus, scratch, seed: 5).Loss - flow.LossGradient(x, minus, scratch, seed: 5).Loss) / (2 * h);
            Assert.True(Math.Abs(want - gradient[k]) <= 2e-6 * (1 + Math.Abs(want)), $"θ[{k}]: adjoint {gradient[k]:R}, differences {want:R}");
        }
    }

    [Theory]
    [InlineData(CnfTrace.Exact)]
    [InlineData(CnfTrace.Hutchinson)]
    public void InterpolatingAndDiscreteAdjoints_Agree(CnfTrace trace)
    {
        double[] p = FlowTestData.Weights(23), x = FlowTestData.Points(24, 16);
        double[] interpolating = Gradient(Sensitivity.InterpolatingAdjoint()), discrete = Gradient(Sensitivity.DiscreteAdjoint);
        for (int k = 0; k < p.Length; k++)
            Assert.True(Math.Abs(interpolating[k] - discrete[k]) <= 1e-6 * (1 + Math.Abs(discrete[k])), $"θ[{k}]: {interpolating[k]:R} vs {discrete[k]:R}");

        double[] Gradient(Sensitivity sensitivity)
        {
            var flow = new ContinuousNormalizingFlow<CnfField.RhsSystem>(default, new CnfOptions
            {
                Trace = trace, KineticWeight = 0.1, JacobianWeight = 0.1, Sensitivity = sensitivity, Solver = FlowTestData.Tight,
            });
            var g = new double[p.Length];
            flow.LossGradient(x, p, g, seed: 6);
            return g;
        }
    }

    [Fact]
    public void LossGradient_ReportsTheLossThatLogDensityGives()
    {
        double[] p = FlowTestData.Weights(25), x = FlowTestData.Points(26, 10);
        var flow = new ContinuousNormalizingFlow<CnfField.RhsSystem>(default, new CnfOptions { Solver = FlowTestData.Tight });
        var log = new double[10];
        flow.LogDensity(x, p, log);
        CnfLoss loss = flow.LossGradient(x, p, new double[p.Length]);
        Assert.Equal(-log.Average(), loss.NegativeLogLikelihood, 8);
        Assert.True(loss.Forward.FunctionEvaluations > 0 && loss.Backward.FunctionEvaluations > 0);
    }
}
