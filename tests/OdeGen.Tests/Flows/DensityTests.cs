using OdeGen.Flows;
using OdeGen.Tests.Generated;

namespace OdeGen.Tests.Flows;

/// <summary>Log-densities and samples of a continuous normalizing flow against closed forms and against each other.</summary>
public class DensityTests
{
    [Fact]
    public void LinearField_LogDensityIsTheBaseDensityOfThePreimageMinusTimesTrace()
    {
        double[] p = { 0.3, -0.7, 0.4, -0.5, 0.25 };
        const double t0 = 0.5, t1 = 2.0;
        var flow = new ContinuousNormalizingFlow<LinearFlowField.RhsSystem>(default, new CnfOptions { T0 = t0, T1 = t1, Solver = FlowTestData.Tight });
        double[] x = { 0.8, -1.3 };
        double actual = flow.LogDensity(x, p);

        // z(t1) = E·(z(t0) + ∫ e^{−A(s−t0)}·c·s ds) with E = e^{A(t1−t0)}, c = (p4, p4): invert it with the same matrices.
        double[,] a = { { p[0], p[1] }, { p[2], p[3] } };
        double[] z0 = Preimage(a, p[4], t0, t1, x);
        double want = ContinuousNormalizingFlow<LinearFlowField.RhsSystem>.BaseLogDensity(z0) - ((t1 - t0) * (p[0] + p[3]));
        Assert.True(Math.Abs(actual - want) <= 1e-8, $"log p {actual:R}, closed form {want:R}");
    }

    [Fact]
    public void OneDimensionalAffineField_MatchesTheGaussianItPushesForward()
    {
        // dz/dt = a·z + b from z(0) ~ N(0, 1): z(T) = e^{aT}z0 + b(e^{aT} − 1)/a is N(μ, σ²) with σ = e^{aT}.
        const double a = -0.4, b = 0.9, T = 1.5;
        var flow = new ContinuousNormalizingFlow<AffineFlowField1D.RhsSystem>(default, new CnfOptions { T1 = T, Solver = FlowTestData.Tight });
        double sigma = Math.Exp(a * T), mu = b * (sigma - 1) / a;
        foreach (double x in new[] { -2.0, 0.1, 1.7, 3.2 })
        {
            double want = (-0.5 * Math.Log(2 * Math.PI)) - Math.Log(sigma) - (0.5 * ((x - mu) / sigma) * ((x - mu) / sigma));
            Assert.True(Math.Abs(flow.LogDensity([x], [a, b]) - want) <= 1e-8, $"x = {x}");
        }
    }

    [Fact]
    public void Sampling_ThenEvaluating_GivesTheSameLogDensities()
    {
        double[] p = FlowTestData.Weights(5);
        var flow = new ContinuousNormalizingFlow<CnfField.RhsSystem>(default, new CnfOptions { Solver = FlowTestData.Tight, ChunkSize = 8 });
        var z = new double[2 * 20];
        ContinuousNormalizingFlow<CnfField.RhsSystem>.DrawBase(new Random(6), z);
        double[] x = new double[z.Length], fromSampling = new double[20], fromDensity = new double[20];
        flow.Sample(z, p, x, fromSampling);
        flow.LogDensity(x, p, fromDensity);
        for (int i = 0; i < 20; i++)
            Assert.True(Math.Abs(fromSampling[i] - fromDensity[i]) <= 1e-7, $"sample {i}: {fromSampling[i]:R} vs {fromDensity[i]:R}");
        Assert.NotEqual(z, x);
    }

    [Fact]
    public void Density_IntegratesToOneOverAGrid()
    {
        double[] p = FlowTestData.Weights(7, scale: 0.5);
        var flow = new ContinuousNormalizingFlow<CnfField.RhsSystem>(default, new CnfOptions { Solver = new() { RelTol = 1e-7, AbsTol = 1e-9 }, ChunkSize = 256 });
        const int Side = 70;
        const double Extent = 6.5, h = 2 * Extent / Side;
        var grid = new double[2 * Side * Side];
        for (int i = 0; i < Side; i++)
        {
            for (int j = 0; j < Side; j++)
            {
                grid[2 * ((i * Side) + j)] = -Extent + ((i + 0.5) * h);
                grid[(2 * ((i * Side) + j)) + 1] = -Extent + ((j + 0.5) * h);
            }
        }
        var log = new double[Side * Side];
        flow.LogDensity(grid, p, log);
        double mass = log.Sum(Math.Exp) * h * h;
        Assert.True(Math.Abs(mass - 1) <= 0.01, $"∫p = {mass:R}");
    }

    [Fact]
    public void HutchinsonEstimates_AverageToTheExactLogDensity()
    {
        double[] p = FlowTestData.Weights(8);
        double[] x = { 0.4, -0.9 };
        var exact = new ContinuousNormalizingFlow<CnfField.RhsSystem>(default, new CnfOptions { Solver = FlowTestData.Tight });
        double want = exact.LogDensity(x, p);
        foreach (CnfNoise noise in new[] { CnfNoise.Rademacher, CnfNoise.Gaussian })
        {
            // One solve per estimate (chunks of one), each with its own ε from the seeded batch draw.
            var flow = new ContinuousNormalizingFlow<CnfField.RhsSystem>(default,
                new CnfOptions { Trace = CnfTrace.Hutchinson, Noise = noise, Solver = FlowTestData.Tight, ChunkSize = 1 });
            const int Count = 2000;
            var points = new double[2 * Count];
            for (int i = 0; i < Count; i++) x.CopyTo(points, 2 * i);
            var estimates = new double[Count];
            flow.LogDensity(points, p, estimates, seed: 9);
            double mean = estimates.Average();
            double error = Math.Sqrt(estimates.Sum(v => (v - mean) * (v - mean)) / (Count - 1) / Count);
            Assert.True(error > 0, "the estimates must vary");
            Assert.True(Math.Abs(mean - want) <= 4 * error, $"{noise}: mean {mean:R} vs exact {want:R}, standard error {error:R}");
        }
    }

    [Fact]
    public void Results_DoNotDependOnTheThreadCount()
    {
        double[] p = FlowTestData.Weights(10), x = FlowTestData.Points(11, 48);
        double[] one = new double[p.Length], two = new double[p.Length];
        CnfLoss lossOne = Flow(1).LossGradient(x, p, one, seed: 3), lossTwo = Flow(2).LossGradient(x, p, two, seed: 3);
        Assert.Equal(lossOne.Loss, lossTwo.Loss);
        Assert.Equal(one, two);
        double[] logOne = new double[48], logTwo = new double[48];
        Flow(1).LogDensity(x, p, logOne, seed: 4);
        Flow(2).LogDensity(x, p, logTwo, seed: 4);
        Assert.Equal(logOne, logTwo);

        static ContinuousNormalizingFlow<CnfField.RhsSystem> Flow(int threads) => new(default, new CnfOptions
        {
            Trace = CnfTrace.Hutchinson, KineticWeight = 0.1, JacobianWeight = 0.1, ChunkSize = 8, MaxDegreeOfParallelism = threads,
        });
    }

    [Theory]
    [InlineData(CnfTrace.Exact, LaneWidth.Lane256)]
    [InlineData(CnfTrace.Hutchinson, LaneWidth.Lane128)]
    [InlineData(CnfTrace.Hutchinson, LaneWidth.Lane512)]
    public void LaneFlow_AgreesWithTheScalarFlow(CnfTrace trace, LaneWidth width)
    {
        double[] p = FlowTestData.Weights(12), x = FlowTestData.Points(13, 13);
        var options = new CnfOptions { Trace = trace, KineticWeight = 0.2, JacobianWeight = 0.1, Solver = FlowTestData.Tight, ChunkSize = 7 };
        var scalar = new ContinuousNormalizingFlow<CnfField.RhsSystem>(default, options);
        var lanes = ContinuousNormalizingFlow.WithLanes(new CnfField.RhsSystem(), options, width);
        Assert.Equal(1, scalar.LaneCount);
        Assert.True(lanes.LaneCount > 1);
        double[] g1 = new double[p.Length], g2 = new double[p.Length], log1 = new double[13], log2 = new double[13];
        CnfLoss l1 = scalar.LossGradient(x, p, g1, seed: 2), l2 = lanes.LossGradient(x, p, g2, seed: 2);
        Assert.Equal(l1.Loss, l2.Loss, 9);
        for (int k = 0; k < p.Length; k++) Assert.True(Math.Abs(g1[k] - g2[k]) <= 1e-8 * (1 + Math.Abs(g1[k])), $"θ[{k}]: {g1[k]:R} vs {g2[k]:R}");
        scalar.LogDensity(x, p, log1, seed: 3);
        lanes.LogDensity(x, p, log2, seed: 3);
        for (int i = 0; i < 13; i++) Assert.Equal(log1[i], log2[i], 9);
    }

    [Fact]
    public void BadInput_IsRejectedWithAMessageThatSaysWhatToFix()
    {
        var flow = new ContinuousNormalizingFlow<CnfField.RhsSystem>(default);
        double[] p = FlowTestData.Weights(1);
        Assert.Contains("B × D", Assert.Throws<ArgumentException>(() => flow.LogDensity(new double[3], p, new double[1])).Message);
        Assert.Contains("length 2", Assert.Throws<ArgumentException>(() => flow.LogDensity(new double[4], p, new double[1])).Message);
        Assert.Contains("ParameterCount", Assert.Throws<ArgumentException>(() => flow.LogDensity(new double[2], new double[3], new double[1])).Message);
        Assert.Contains("finite", Assert.Throws<ArgumentException>(() => flow.LogDensity([double.NaN, 0], p, new double[1])).Message);
        Assert.Contains("T1 ≠ T0", Assert.Throws<ArgumentException>(() => new ContinuousNormalizingFlow<CnfField.RhsSystem>(default, new CnfOptions { T1 = 0 })).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new CnfOptions { KineticWeight = -1 });
    }

    private static double[] Preimage(double[,] a, double c, double t0, double t1, double[] x)
    {
        // With w = z − particular part: solve backwards by the exact linear map on the augmented state [z; t; 1],
        // d/dt [z; t; 1] = [[A, c·1, 0], [0, 0, 1], [0, 0, 0]]·[z; t; 1]: one 4×4 matrix exponential.
        var m = new double[4, 4];
        m[0, 0] = a[0, 0]; m[0, 1] = a[0, 1]; m[1, 0] = a[1, 0]; m[1, 1] = a[1, 1];
        m[0, 2] = c; m[1, 2] = c; m[2, 3] = 1;
        double[,] e = Expm(m, t0 - t1);
        double[] v = { x[0], x[1], t1, 1 };
        var r = new double[2];
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 4; j++)
                r[i] += e[i, j] * v[j];
        return r;
    }

    // e^{M·s} by scaling and squaring of a Taylor series (exact to rounding for these small matrices).
    private static double[,] Expm(double[,] m, double s)
    {
        int n = m.GetLength(0), squarings = 6;
        double scale = s / (1 << squarings);
        var result = new double[n, n];
        var term = new double[n, n];
        for (int i = 0; i < n; i++) { result[i, i] = 1; term[i, i] = 1; }
        for (int k = 1; k < 30; k++)
        {
            var next = new double[n, n];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    for (int l = 0; l < n; l++)
                        next[i, j] += term[i, l] * m[l, j] * scale / k;
            term = next;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    result[i, j] += term[i, j];
        }
        for (int q = 0; q < squarings; q++)
        {
            var square = new double[n, n];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    for (int l = 0; l < n; l++)
                        square[i, j] += result[i, l] * result[l, j];
            result = square;
        }
        return result;
    }
}
