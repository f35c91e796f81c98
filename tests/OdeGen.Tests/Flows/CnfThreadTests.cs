using OdeGen.Flows;
using OdeGen.Lanes;
using OdeGen.Testing;
using OdeGen.Tests.Generated;
using OdeGen.Tests.Threading;

namespace OdeGen.Tests.Flows;

/// <summary>
/// A flow's chunks on several threads go through the workspace's runner, not Parallel.For, each worker with its kept
/// gradient workspace: a training call allocates its result alone on one thread or two, and the chunk results are
/// summed in chunk order, so every thread count gives the same bits.
/// </summary>
[Collection(WholeProcessAllocations.Name)]
public sealed class CnfThreadTests
{
    private static ContinuousNormalizingFlow<CnfField.RhsSystem> Flow(int threads) => ContinuousNormalizingFlow.WithLanes(default(CnfField.RhsSystem), new CnfOptions
    {
        Trace = CnfTrace.Hutchinson, KineticWeight = 0.1, JacobianWeight = 0.1, Solver = new() { RelTol = 1e-6, AbsTol = 1e-8 }, ChunkSize = 8,
        MaxDegreeOfParallelism = threads,
    }, LaneWidth.Lane256);

    [Fact]
    public void LossGradient_SameBitsOnOneToThreeThreadsAndAllCores()
    {
        double[] p = FlowTestData.Weights(21), x = FlowTestData.Points(22, 40);
        var one = new double[p.Length];
        CnfLoss expected = Flow(1).LossGradient(x, p, one, seed: 5);
        foreach (int threads in new[] { 2, 3, 0 })
        {
            var other = new double[p.Length];
            CnfLoss loss = Flow(threads).LossGradient(x, p, other, seed: 5);
            Assert.Equal((expected.Loss, expected.NegativeLogLikelihood, expected.Kinetic, expected.Jacobian, expected.Forward, expected.Backward),
                (loss.Loss, loss.NegativeLogLikelihood, loss.Kinetic, loss.Jacobian, loss.Forward, loss.Backward));
            Assert.Equal(one, other);
        }
    }

    private static CnfLoss? s_kept;

    // Whole process at two threads (the pool thread's allocations count too), the calling thread at one: each chunk's
    // gradient is computed in its worker's kept workspace, so a call allocates its result (a CnfLoss) and nothing else.
    [Fact]
    public void LossGradient_OnOneAndTwoThreads_AllocatesOnlyItsResult()
    {
        double[] p = FlowTestData.Weights(23), x = FlowTestData.Points(24, 40);
        var gradient = new double[p.Length];
        ContinuousNormalizingFlow<CnfField.RhsSystem> one = Flow(1), two = Flow(2);
        for (int call = 0; call < 4; call++)
        {
            one.LossGradient(x, p, gradient, seed: 6);
            two.LossGradient(x, p, gradient, seed: 6);
        }
        long resultBytes = Allocations.Least(() => s_kept = new CnfLoss(1, 2, 3, 4, default, default));
        var noise = new double[x.Length];
        long noiseBytes = Allocations.Least(() => CnfNoiseSource.Fill(CnfNoise.Rademacher, 6, noise));
        long oneBytes = Allocations.Least(() => one.LossGradient(x, p, gradient, seed: 6), windows: 5);
        long twoBytes = WholeProcessAllocations.Least(() => two.LossGradient(x, p, gradient, seed: 6), windows: 5);
        Assert.True(oneBytes <= resultBytes + noiseBytes, $"one thread {oneBytes} bytes per call (calling thread), its CnfLoss {resultBytes}, the noise {noiseBytes}");
        Assert.True(twoBytes <= resultBytes + noiseBytes, $"two threads {twoBytes} bytes per call (whole process), its CnfLoss {resultBytes}, the noise {noiseBytes}");
    }

    [Fact]
    public void AFailedChunk_ThrowsOdeSolverException_AsItself_OnTwoThreads()
    {
        double[] p = FlowTestData.Weights(25), x = FlowTestData.Points(26, 40);
        var flow = new ContinuousNormalizingFlow<CnfField.RhsSystem>(default, new CnfOptions
        {
            Solver = new() { RelTol = 1e-6, AbsTol = 1e-8, MaxSteps = 2 }, ChunkSize = 8, MaxDegreeOfParallelism = 2,
        });
        Assert.Throws<OdeSolverException>(() => flow.LossGradient(x, p, new double[p.Length], seed: 1));
        Assert.Throws<OdeSolverException>(() => flow.LogDensity(x, p, new double[40], seed: 1));
    }
}
