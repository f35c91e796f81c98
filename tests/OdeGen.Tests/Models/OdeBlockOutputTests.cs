using OdeGen.Models;
using OdeGen.Neural;

namespace OdeGen.Tests.Models;

/// <summary>
/// An ODE block's backward pass given its forward output (<see cref="Layer.BackwardFromOutput"/>): with the back-solve adjoint
/// it starts from z(t1) instead of re-solving forward, and the gradient is the re-solving one's to the bit (the forward pass
/// and the re-solve take the same steps), one sample at a time and as one batch system; the output is really used; and a
/// model, which now hands its blocks their outputs, still matches central differences.
/// </summary>
public class OdeBlockOutputTests
{
    private static readonly SolverOptions Adaptive = new() { Method = OdeMethod.Dopri5, RelTol = 1e-3, AbsTol = 1e-3 };

    private static OdeBlock<OdeNetDynamics> Block(Sensitivity sensitivity, bool together, out double[] p, out Random random)
    {
        var f = new OdeNetDynamics(4, 3, 3, groups: 2);
        var block = new OdeBlock<OdeNetDynamics>(f, 0, 1, sensitivity, Adaptive, f.Initialize) { BatchAsOneSystem = together };
        random = new Random(11);
        p = new double[block.ParameterCount];
        block.Initialize(p, random);
        for (int k = 0; k < p.Length; k++) p[k] *= 3;   // dynamics strong enough for several adaptive steps
        return block;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Backsolve_FromOutput_EqualsReSolve_ToTheBit(bool together)
    {
        const int Count = 5;
        OdeBlock<OdeNetDynamics> block = Block(Sensitivity.BacksolveAdjoint, together, out double[] p, out Random random);
        int n = block.InputSize;
        double[] x = LayerChecks.Random(random, Count * n), yBar = LayerChecks.Random(random, Count * n), y = new double[Count * n];
        block.ForwardBatch(Count, x, p, y, []);

        double[] xBar = new double[Count * n], pBar = new double[p.Length], xBarOut = new double[Count * n], pBarOut = new double[p.Length];
        block.BackwardBatch(Count, x, p, yBar, xBar, pBar, []);
        block.BackwardBatchFromOutput(Count, x, y, p, yBar, xBarOut, pBarOut, []);
        Assert.Equal(xBar.Select(BitConverter.DoubleToInt64Bits), xBarOut.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(pBar.Select(BitConverter.DoubleToInt64Bits), pBarOut.Select(BitConverter.DoubleToInt64Bits));
        Assert.Contains(pBar, v => v != 0);

        // The output is what the backward pass starts from: another one gives another gradient.
        double[] yOther = (double[])y.Clone(), xBarOther = new double[Count * n], pBarOther = new double[p.Length];
        yOther[1] += 0.25;
        block.BackwardBatchFromOutput(Count, x, yOther, p, yBar, xBarOther, pBarOther, []);
        Assert.NotEqual(pBar, pBarOther);
    }

    [Fact]
    public void OtherSensitivities_IgnoreTheOutput()
    {
        OdeBlock<OdeNetDynamics> block = Block(Sensitivity.InterpolatingAdjoint(), together: false, out double[] p, out Random random);
        int n = block.InputSize;
        double[] x = LayerChecks.Random(random, n), yBar = LayerChecks.Random(random, n), y = LayerChecks.Random(random, n);
        double[] xBar = new double[n], pBar = new double[p.Length], xBarOut = new double[n], pBarOut = new double[p.Length];
        block.Backward(x, p, yBar, xBar, pBar, []);
        block.BackwardFromOutput(x, y, p, yBar, xBarOut, pBarOut, []);   // y is not z(t1): the interpolating adjoint re-solves anyway
        Assert.Equal(pBar.Select(BitConverter.DoubleToInt64Bits), pBarOut.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(xBar.Select(BitConverter.DoubleToInt64Bits), xBarOut.Select(BitConverter.DoubleToInt64Bits));
    }

    [Fact]
    public void FromOutput_RejectsAnOutputOfTheWrongLength()
    {
        OdeBlock<OdeNetDynamics> block = Block(Sensitivity.BacksolveAdjoint, together: false, out double[] p, out _);
        int n = block.InputSize;
        Assert.Equal("y", Assert.Throws<ArgumentException>(() =>
            block.BackwardFromOutput(new double[n], new double[n - 1], p, new double[n], new double[n], new double[p.Length], [])).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() =>
            block.BackwardBatchFromOutput(2, new double[2 * n], new double[n], p, new double[2 * n], new double[2 * n], new double[p.Length], [])).ParamName);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Model_WithBacksolveBlock_MatchesCentralDifferences(bool together)
    {
        var model = new Model(
            new Linear(3, 4),
            new OdeBlock<TanhMlpSystem>(new TanhMlpSystem(4, 5), 0, 1, Sensitivity.BacksolveAdjoint, new SolverOptions { RelTol = 1e-11, AbsTol = 1e-12 })
            { BatchAsOneSystem = together },
            new Linear(4, 2));
        var random = new Random(12);
        double[] p = model.CreateParameters(seed: 13), inputs = LayerChecks.Random(random, 5 * 3), targets = LayerChecks.Random(random, 5 * 2);
        double[] gradient = new double[p.Length];
        model.Gradient(p, inputs, targets, Loss.MeanSquaredError, gradient);
        for (int k = 0; k < p.Length; k++)
        {
            double central = LayerChecks.Central(e => model.Evaluate(LayerChecks.Nudge(p, k, e), inputs, targets, Loss.MeanSquaredError), 1e-5);
            LayerChecks.AssertClose(central, gradient[k], 2e-6, $"dL/dθ[{k}]");
        }
    }
}
