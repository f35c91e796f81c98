using OdeGen.Flows;
using OdeGen.Lanes;
using OdeGen.Tests.Generated;
using OdeGen.Tests.Threading;

namespace OdeGen.Tests.Flows;

/// <summary>
/// A flow's chunks on several threads go through the workspace's runner, not Parallel.For: a second thread adds no
/// allocation to a training call (what is left is the solver's own, the same on one thread), and the chunk results are
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

    // Whole process: the pool thread's allocations count too. The solver's results (Ode.LossGradient's copies) are allocated
    // per chunk on whichever thread runs it, so two threads are held to one thread's bytes, not to zero.
    [Fact]
    public void LossGradient_OnTwoThreads_AllocatesWhatOneThreadDoes()
    {
        double[] p = FlowTestData.Weights(23), x = FlowTestData.Points(24, 40);
        var gradient = new double[p.Length];
        ContinuousNormalizingFlow<CnfField.RhsSystem> one = Flow(1), two = Flow(2);
        for (int call = 0; call < 4; call++)
        {
            one.LossGradient(x, p, gradient, seed: 6);
            two.LossGradient(x, p, gradient, seed: 6);
        }
        long oneBytes = WholeProcessAllocations.Least(() => one.LossGradient(x, p, gradient, seed: 6), windows: 5);
        long twoBytes = WholeProcessAllocations.Least(() => two.LossGradient(x, p, gradient, seed: 6), windows: 5);
        Assert.True(twoBytes <= oneBytes, $"two threads {twoBytes} bytes per call, one thread {oneBytes}");
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
