using OdeGen.Flows;
using OdeGen.Samples.Cnf;

namespace OdeGen.Tests.Flows;

/// <summary>
/// The CNF sample's experiment, small: the toy densities' generators and entropies, and a short training run of the
/// 2→16→16→2 field on 8gaussians (lanes, exact trace and Hutchinson + RNODE) that must lower the held-out NLL and keep
/// the density's mass on a grid within 2 % of 1.
/// </summary>
public class CnfSampleTests
{
    [Fact]
    public void ToyDensities_SampleWhereTheirDensityLives_AndHaveTheDocumentedEntropies()
    {
        foreach (string name in ToyDensity.Names)
        {
            ToyDensity density = ToyDensity.Named(name);
            double[] points = density.Sample(new Random(1), 500);
            Assert.All(points, v => Assert.True(double.IsFinite(v) && Math.Abs(v) < 6, $"{name}: {v}"));
            if (density.HasDensity)
                Assert.All(Enumerable.Range(0, 500), i => Assert.True(double.IsFinite(density.LogDensity(points[2 * i], points[(2 * i) + 1])), name));
        }
        Assert.Equal(Math.Log(32), ToyDensity.Named("checkerboard").Entropy().Entropy, 12);
        var (h, error) = ToyDensity.Named("8gaussians").Entropy(40_000);
        // ln 8 + ln(2πe·σ²) with σ = 0.5/√2: the components barely overlap.
        double separated = Math.Log(8) + Math.Log(2 * Math.PI * Math.E * 0.125);
        Assert.True(Math.Abs(h - separated) <= 4 * error + 1e-3, $"8gaussians: {h:F4} ± {error:F4} vs {separated:F4}");
        Assert.Throws<ArgumentException>(() => ToyDensity.Named("spiral"));
    }

    [Theory]
    [InlineData(CnfTrace.Exact, 0.0)]
    [InlineData(CnfTrace.Hutchinson, 0.05)]
    public void ShortTraining_On8Gaussians_LowersTheHeldOutNll_AndKeepsTheMass(CnfTrace trace, double regularization)
    {
        ToyDensity data = ToyDensity.Named("8gaussians");
        var field = new CnfMlpSmall.RhsSystem(CnfMlpSmall.Size);
        var flow = ContinuousNormalizingFlow.WithLanes(field, new CnfOptions
        {
            Trace = trace, KineticWeight = regularization, JacobianWeight = regularization, Solver = new() { RelTol = 1e-5, AbsTol = 1e-5 },
            Sensitivity = Sensitivity.InterpolatingAdjoint(checkpoints: 1), ChunkSize = 32,
        });
        var exact = ContinuousNormalizingFlow.WithLanes(field, new CnfOptions { Solver = new() { RelTol = 1e-7, AbsTol = 1e-7 }, ChunkSize = 256 });
        double[] p = CnfMlpSmall.Initial(3), heldOut = data.Sample(new Random(4), 1000);
        double before = CnfExperiment.HeldOutNll(exact, heldOut, p).Nll;
        TrainingReport report = CnfExperiment.Train(flow, data, p, iterations: 40, batch: 64, learningRate: 1e-2, seed: 5);
        double after = CnfExperiment.HeldOutNll(exact, heldOut, p).Nll;
        Assert.True(after < before - 0.2, $"held-out NLL {before:F4} → {after:F4}");
        Assert.True(report.ForwardEvaluations > 0 && report.BackwardEvaluations > 0);
        var (_, mass) = CnfExperiment.Grid(exact, p, 60, 6.0);
        Assert.True(Math.Abs(mass - 1) <= 0.02, $"grid mass {mass:F4}");
    }
}
