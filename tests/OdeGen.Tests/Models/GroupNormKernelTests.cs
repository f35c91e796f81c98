using OdeGen.Models;
using OdeGen.Testing;

namespace OdeGen.Tests.Models;

/// <summary>
/// GroupNorm's SIMD kernel (Forward, Backward and their batches) against the generated function that defines the layer, on
/// the classifier's shapes and ragged ones; central differences and batch against one sample are in BatchMajorTests and LayerTests.
/// </summary>
public class GroupNormKernelTests
{
    [Theory]
    [InlineData(2, 4, 6)]
    [InlineData(3, 3, 169)]     // one channel per group, 13×13: a ragged SIMD tail
    [InlineData(16, 16, 676)]   // the classifier's first GroupNorm (16 channels, 26×26)
    [InlineData(4, 16, 5)]      // four channels per group, five pixels each
    [InlineData(1, 2, 1)]       // one pixel
    public void Kernel_EqualsTheGeneratedFunction(int groups, int channels, int pixels)
    {
        var layer = new GroupNorm(groups, channels, pixels);
        var random = new Random(groups * 1000 + pixels);
        int n = layer.InputSize;
        // Off-centre, scaled inputs: the kernel must subtract the mean before squaring, as the definition does.
        double[] x = LayerChecks.Random(random, n).Select(v => 3.0 + (2.0 * v)).ToArray();
        double[] p = LayerChecks.Random(random, layer.ParameterCount), yBar = LayerChecks.Random(random, n);
        double[] xBar0 = LayerChecks.Random(random, n), pBar0 = LayerChecks.Random(random, layer.ParameterCount);

        double[] y = new double[n], yGen = new double[n];
        layer.Forward(x, p, y, []);
        layer.ForwardGenerated(x, p, yGen);
        AssertClose(yGen, y, "y");

        double[] xBar = (double[])xBar0.Clone(), pBar = (double[])pBar0.Clone(), xBarGen = (double[])xBar0.Clone(), pBarGen = (double[])pBar0.Clone();
        layer.Backward(x, p, yBar, xBar, pBar, []);
        layer.BackwardGenerated(x, p, yBar, xBarGen, pBarGen);
        AssertClose(xBarGen, xBar, "xBar");
        AssertClose(pBarGen, pBar, "parameterBar");
    }

    [Theory]
    [InlineData(2, 4, 6)]
    [InlineData(16, 16, 36)]   // the ResNet blocks' GroupNorms
    public void KeptMoments_GiveTheSameBits_AsComputingThemAgain(int groups, int channels, int pixels)
    {
        var layer = new GroupNorm(groups, channels, pixels);
        const int Count = 5;
        var random = new Random(groups + pixels);
        double[] x = LayerChecks.Random(random, Count * layer.InputSize).Select(v => 3.0 + (2.0 * v)).ToArray();
        double[] p = LayerChecks.Random(random, layer.ParameterCount), yBar = LayerChecks.Random(random, x.Length);
        double[] y = new double[x.Length], yKept = new double[x.Length], moments = new double[layer.MomentsSize(Count)];
        layer.ForwardBatch(Count, x, p, y, []);
        layer.ForwardBatchKeepingMoments(Count, x, p, yKept, moments);
        Assert.Equal(y.Select(BitConverter.DoubleToInt64Bits), yKept.Select(BitConverter.DoubleToInt64Bits));
        double[] xBar = LayerChecks.Random(random, x.Length), pBar = LayerChecks.Random(random, p.Length);
        double[] xBarKept = (double[])xBar.Clone(), pBarKept = (double[])pBar.Clone();
        layer.BackwardBatch(Count, x, p, yBar, xBar, pBar, []);
        layer.BackwardBatchWithMoments(Count, x, p, yBar, xBarKept, pBarKept, moments);
        Assert.Equal(xBar.Select(BitConverter.DoubleToInt64Bits), xBarKept.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(pBar.Select(BitConverter.DoubleToInt64Bits), pBarKept.Select(BitConverter.DoubleToInt64Bits));

        // And the moments are used: other moments give another gradient.
        moments[1] *= 2;
        layer.BackwardBatchWithMoments(Count, x, p, yBar, xBarKept, pBarKept, moments);
        Assert.NotEqual(xBar.Select(BitConverter.DoubleToInt64Bits), xBarKept.Select(BitConverter.DoubleToInt64Bits));
    }

    [Theory]
    [InlineData(2, 4, 6)]
    [InlineData(3, 3, 169)]    // a ragged SIMD tail
    [InlineData(16, 16, 36)]   // the ResNet blocks' GroupNorms
    public void FusedRelu_GivesTheSameBits_AsTheTwoPasses(int groups, int channels, int pixels)
    {
        var layer = new GroupNorm(groups, channels, pixels);
        var relu = new Relu(layer.OutputSize);
        const int Count = 3;
        var random = new Random(groups + pixels + 7);
        double[] x = LayerChecks.Random(random, Count * layer.InputSize), p = LayerChecks.Random(random, layer.ParameterCount);
        p[layer.ParameterCount / 2] = 0.0;   // a zero γ with β = +0 or −0: normalized values of ±0, which the ReLU maps to +0
        double[] n = new double[x.Length], expected = new double[x.Length], moments = new double[layer.MomentsSize(Count)], kept = new double[moments.Length];
        layer.ForwardBatchKeepingMoments(Count, x, p, n, moments);
        relu.ForwardBatch(Count, n, default, expected, default);
        Assert.Contains(n, v => v < 0);
        double[] fused = LayerChecks.Random(random, x.Length), fusedNoMoments = new double[x.Length];
        layer.ForwardBatchRelu(Count, x, p, fused, kept);
        layer.ForwardBatchRelu(Count, x, p, fusedNoMoments, default);
        Assert.Equal(expected.Select(BitConverter.DoubleToInt64Bits), fused.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(expected.Select(BitConverter.DoubleToInt64Bits), fusedNoMoments.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(moments.Select(BitConverter.DoubleToInt64Bits), kept.Select(BitConverter.DoubleToInt64Bits));
    }

    [Fact]
    public void Batch_AllocatesNothing()
    {
        var layer = new GroupNorm(16, 16, 169);
        const int Count = 32;
        var random = new Random(3);
        double[] x = LayerChecks.Random(random, Count * layer.InputSize), p = LayerChecks.Random(random, layer.ParameterCount);
        double[] y = new double[x.Length], xBar = new double[x.Length], pBar = new double[p.Length];
        void Pass()
        {
            layer.ForwardBatch(Count, x, p, y, []);
            layer.BackwardBatch(Count, x, p, y, xBar, pBar, []);
        }

        Pass();
        Assert.Equal(0, Allocations.Least(Pass, windows: 3));
    }

    [Fact]
    public void WrongParameterLengths_AreRejected()
    {
        var layer = new GroupNorm(2, 4, 3);
        double[] x = new double[12];
        Assert.Equal("parameters", Assert.Throws<ArgumentException>(() => layer.ForwardBatch(1, x, new double[7], new double[12], [])).ParamName);
        Assert.Equal("parameterBar", Assert.Throws<ArgumentException>(() => layer.BackwardBatch(1, x, new double[8], x, new double[12], new double[3], [])).ParamName);
    }

    // Relative to the largest entry: the kernel sums in vectors, the generated code one value at a time.
    private static void AssertClose(double[] expected, double[] actual, string what)
    {
        double scale = Math.Max(1.0, expected.Max(Math.Abs));
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-12 * scale, $"{what}[{i}]: generated {expected[i]:R}, kernel {actual[i]:R}");
    }
}
