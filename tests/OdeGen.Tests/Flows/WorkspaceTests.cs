using OdeGen.Flows;
using OdeGen.Lanes;
using OdeGen.Testing;
using OdeGen.Tests.Generated;

namespace OdeGen.Tests.Flows;

/// <summary>
/// A flow keeps each chunk's augmented system (θ broadcast to the lanes: megabytes for a large field) and its buffers
/// across calls, and each worker's gradient workspace: a training loop then allocates only each call's result, and the reused
/// systems give the same bits as fresh ones whatever the batch, the layout or the noise of the call before.
/// </summary>
public class WorkspaceTests
{
    private static CnfOptions Options(CnfTrace trace, double jacobian, int chunk) => new()
    {
        Trace = trace, JacobianWeight = jacobian, KineticWeight = jacobian, Solver = new() { RelTol = 1e-6, AbsTol = 1e-8 }, ChunkSize = chunk,
    };

    private static CnfLoss? s_kept;

    [Theory]
    [InlineData(CnfTrace.Exact, 0.0)]
    [InlineData(CnfTrace.Hutchinson, 0.1)]
    public void LossGradient_AllocatesOnlyItsResult(CnfTrace trace, double jacobian)
    {
        const int Batch = 10;
        CnfOptions options = Options(trace, jacobian, chunk: 0);
        var flow = ContinuousNormalizingFlow.WithLanes(default(CnfField.RhsSystem), options, LaneWidth.Lane256);
        double[] points = FlowTestData.Points(5, Batch), p = FlowTestData.Weights(6), gradient = new double[p.Length];
        flow.LossGradient(points, p, gradient, seed: 1);
        long flowBytes = Allocations.Least(() => flow.LossGradient(points, p, gradient, seed: 2));

        // The chunks' gradients are computed in kept workspaces (no Ode.LossGradient result copies); the call's one
        // allocation is its result, a CnfLoss, and the noise draw's.
        long resultBytes = Allocations.Least(() => s_kept = new CnfLoss(1, 2, 3, 4, default, default));
        bool probe = trace == CnfTrace.Hutchinson || jacobian > 0;
        var noise = new double[points.Length];
        long noiseBytes = probe ? Allocations.Least(() => CnfNoiseSource.Fill(options.Noise, 2, noise)) : 0;
        Assert.True(flowBytes <= resultBytes + noiseBytes, $"flow {flowBytes} bytes per call, its CnfLoss {resultBytes}, the noise {noiseBytes}");
    }

    [Theory]
    [InlineData(CnfTrace.Exact, 0.0)]
    [InlineData(CnfTrace.Hutchinson, 0.1)]
    public void ReusedSystems_GiveTheBitsOfFreshOnes(CnfTrace trace, double jacobian)
    {
        CnfOptions options = Options(trace, jacobian, chunk: 8);
        var reused = ContinuousNormalizingFlow.WithLanes(default(CnfField.RhsSystem), options, LaneWidth.Lane256);
        double[] p = FlowTestData.Weights(7), gradient = new double[p.Length], fresh = new double[p.Length];

        // Batches of 20 (chunks 8, 8, 4), 13 (8, 5: a changed layout) and 20 again, each with its own noise.
        foreach (var (batch, seed) in new[] { (20, 1), (13, 2), (20, 3), (20, 4) })
        {
            double[] points = FlowTestData.Points(seed, batch);
            CnfLoss a = reused.LossGradient(points, p, gradient, seed);
            CnfLoss b = ContinuousNormalizingFlow.WithLanes(default(CnfField.RhsSystem), options, LaneWidth.Lane256).LossGradient(points, p, fresh, seed);
            Assert.Equal(b.Loss, a.Loss);
            Assert.Equal(fresh, gradient);
            var logA = new double[batch];
            var logB = new double[batch];
            reused.LogDensity(points, p, logA, seed);
            new ContinuousNormalizingFlow<CnfField.RhsSystem>(default, options).LogDensity(points, p, logB, seed);
            for (int i = 0; i < batch; i++) Assert.Equal(logB[i], logA[i], 10);
        }
    }

    [Fact]
    public void LaneCopyOfTheta_FollowsEveryChange()
    {
        // θ's lane copy is kept between calls and rebuilt when θ's bits change: p1, p2, p1 again, and −0 for +0.
        double[] noise = CnfNoiseSource.Draw(CnfNoise.Gaussian, 3, 5 * 2);
        CnfAugmentedSystem<LaneCnfKernel<CnfField.RhsSystem, Lane256>, Lane256> Fresh() => new(new(default), 5, false, true, true, noise);
        var kept = Fresh();
        double[] y = Vector(8, kept.StateCount), p1 = FlowTestData.Weights(9), p2 = FlowTestData.Weights(10);
        double[] p3 = (double[])p1.Clone();
        p3[0] = 0.0;
        double[] p4 = (double[])p3.Clone();
        p4[0] = -0.0;
        foreach (double[] p in new[] { p1, p2, p1, p3, p4, new double[p1.Length] })
        {
            double[] got = new double[kept.StateCount], want = new double[kept.StateCount];
            kept.Evaluate(0.4, y, p, got);
            Fresh().Evaluate(0.4, y, p, want);
            Assert.Equal(want, got);
            double[] a = Vector(11, kept.StateCount), yBar = new double[got.Length], pBar = new double[p.Length];
            double[] yBarWant = new double[got.Length], pBarWant = new double[p.Length];
            Assert.Equal(Fresh().Vjp(0.4, y, p, a, yBarWant, pBarWant), kept.Vjp(0.4, y, p, a, yBar, pBar));
            Assert.Equal(yBarWant, yBar);
            Assert.Equal(pBarWant, pBar);
        }
    }

    private static double[] Vector(int seed, int count)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (random.NextDouble() * 2) - 1).ToArray();
    }
}
