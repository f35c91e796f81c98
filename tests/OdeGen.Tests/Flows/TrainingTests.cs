using OdeGen.Flows;
using OdeGen.Neural;
using OdeGen.Tests.Generated;

namespace OdeGen.Tests.Flows;

/// <summary>A short training run with a fixed seed lowers the held-out negative log-likelihood.</summary>
public class TrainingTests
{
    [Theory]
    [InlineData(CnfTrace.Exact, 0.0)]
    [InlineData(CnfTrace.Hutchinson, 0.05)]
    public void ShortTraining_LowersTheNll(CnfTrace trace, double regularization)
    {
        // Data: a shifted, stretched Gaussian, which the flow must move away from N(0, I).
        static double[] Data(int seed, int count)
        {
            var z = new double[2 * count];
            ContinuousNormalizingFlow<CnfField.RhsSystem>.DrawBase(new Random(seed), z);
            for (int i = 0; i < count; i++)
            {
                z[2 * i] = 1.2 + (0.5 * z[2 * i]);
                z[(2 * i) + 1] = -0.8 + (0.4 * z[(2 * i) + 1]);
            }
            return z;
        }

        var flow = new ContinuousNormalizingFlow<CnfField.RhsSystem>(default, new CnfOptions
        {
            Trace = trace, KineticWeight = regularization, JacobianWeight = regularization, Solver = new() { RelTol = 1e-5, AbsTol = 1e-7 }, ChunkSize = 32,
        });
        double[] p = FlowTestData.Weights(31, scale: 0.3), heldOut = Data(32, 256), gradient = new double[p.Length];
        var exact = new ContinuousNormalizingFlow<CnfField.RhsSystem>(default, new CnfOptions { Solver = new() { RelTol = 1e-6, AbsTol = 1e-8 } });
        double before = HeldOutNll(exact, heldOut, p);
        var adam = new Adam(0.05);
        for (int iteration = 0; iteration < 40; iteration++)
        {
            flow.LossGradient(Data(100 + iteration, 64), p, gradient, seed: iteration);
            adam.Step(p, gradient);
        }
        double after = HeldOutNll(exact, heldOut, p);
        Assert.True(after < before - 0.3, $"held-out NLL {before:F4} → {after:F4}");
    }

    private static double HeldOutNll(ContinuousNormalizingFlow<CnfField.RhsSystem> flow, double[] points, double[] p)
    {
        var log = new double[points.Length / 2];
        flow.LogDensity(points, p, log);
        return -log.Average();
    }
}
