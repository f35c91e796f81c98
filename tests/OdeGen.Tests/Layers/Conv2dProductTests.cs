using OdeGen.Models;
using OdeGen.Testing;
using OdeGen.Tests.Models;

namespace OdeGen.Tests.Layers;

/// <summary>
/// Conv2d's matrix-product formulation (im2col, three products, col2im) against its first one, the generated
/// LinearFunction applied pixel by pixel, and against the dot-product identity of a map linear in x and in W; no
/// allocation per call. (Central differences of every layer are in LayerTests.)
/// </summary>
public class Conv2dProductTests
{
    public static TheoryData<string> Convolutions => new(Cases.Keys);

    private static readonly Dictionary<string, Func<Conv2d>> Cases = new()
    {
        ["ODE-Net 64c 7×7"] = () => new Conv2d(64, 64, 7, 7, kernel: 3, padding: 1),
        ["ODE-Net time 64c 7×7"] = () => new TimeConv2d(64, 64, 7, 7, kernel: 3, padding: 1),
        ["32c 14×14 → 16c"] = () => new Conv2d(32, 16, 14, 14, kernel: 3, padding: 1),
        ["k4 s2 p1"] = () => new Conv2d(3, 5, 9, 8, kernel: 4, stride: 2, padding: 1),
        ["k3 s2 p0 time"] = () => new TimeConv2d(2, 7, 7, 6, kernel: 3, stride: 2),
        ["1×1 kernel"] = () => new Conv2d(4, 3, 3, 5, kernel: 1),
    };

    [Theory]
    [MemberData(nameof(Convolutions))]
    public void Products_MatchThePerPixelGeneratedLayer(string name)
    {
        Conv2d conv = Cases[name]();
        var random = new Random(name.Length);
        double[] x = LayerChecks.Random(random, conv.InputSize), p = LayerChecks.Random(random, conv.ParameterCount, 0.3);
        double[] yBar = LayerChecks.Random(random, conv.OutputSize);
        double t = 0.37;
        double[] scratch = new double[conv.ScratchSize], reference = new double[conv.PerPixelScratchSize];

        double[] y = new double[conv.OutputSize], yRef = new double[conv.OutputSize];
        Forward(conv, t, x, p, y, scratch);
        conv.ForwardPerPixel(conv.TimeChannel ? t : 0.0, x, p, yRef, reference);
        AssertClose(yRef, y, "y");

        double[] xBar = LayerChecks.Random(random, conv.InputSize), pBar = LayerChecks.Random(random, conv.ParameterCount);
        double[] xBarRef = (double[])xBar.Clone(), pBarRef = (double[])pBar.Clone();
        double tBar = Backward(conv, t, x, p, yBar, xBar, pBar, scratch);
        double tBarRef = conv.BackwardPerPixel(conv.TimeChannel ? t : 0.0, x, p, yBar, xBarRef, pBarRef, reference);
        AssertClose(xBarRef, xBar, "xBar (added to what was there)");
        AssertClose(pBarRef, pBar, "parameterBar (added to what was there)");
        AssertClose([tBarRef], [tBar], "tBar");
    }

    [Theory]
    [MemberData(nameof(Convolutions))]
    public void SatisfiesTheDotProductIdentity_InTheInputAndInTheWeights(string name)
    {
        // With b = 0 and t = 0, y = conv(x; W) is linear in x and in W: ⟨yBar, y⟩ = ⟨Jₓᵀ·yBar, x⟩ = ⟨J_Wᵀ·yBar, W⟩.
        Conv2d conv = Cases[name]();
        var random = new Random(3 * name.Length);
        int weights = conv.ParameterCount - conv.OutChannels;
        double[] x = LayerChecks.Random(random, conv.InputSize), p = LayerChecks.Random(random, conv.ParameterCount);
        p.AsSpan(weights).Clear();
        double[] yBar = LayerChecks.Random(random, conv.OutputSize), y = new double[conv.OutputSize], scratch = new double[conv.ScratchSize];
        Forward(conv, 0.0, x, p, y, scratch);
        double[] xBar = new double[conv.InputSize], pBar = new double[conv.ParameterCount];
        Backward(conv, 0.0, x, p, yBar, xBar, pBar, scratch);
        double left = LayerChecks.Dot(yBar, y);
        Assert.True(Math.Abs(left - LayerChecks.Dot(xBar, x)) <= 1e-11 * (1 + Math.Abs(left)), $"⟨yBar, y⟩ = {left}, ⟨xBar, x⟩ = {LayerChecks.Dot(xBar, x)}");
        double viaWeights = LayerChecks.Dot(pBar.AsSpan(0, weights), p.AsSpan(0, weights));
        Assert.True(Math.Abs(left - viaWeights) <= 1e-11 * (1 + Math.Abs(left)), $"⟨yBar, y⟩ = {left}, ⟨WBar, W⟩ = {viaWeights}");
        double biasBar = 0;
        foreach (double v in yBar) biasBar += v;
        Assert.Equal(biasBar, pBar.AsSpan(weights).ToArray().Sum(), 9);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(20)]
    public void KeptPackedWeights_FollowWeightsChangedInPlace(int count)
    {
        // The convolution keeps its weights packed between calls; an in-place update (what an optimizer step does), even of
        // one weight by one ulp or to −0, must give what a fresh convolution gives, forward and backward, one sample or a batch.
        var random = new Random(count);
        var conv = new TimeConv2d(4, 5, 6, 6, kernel: 3, padding: 1);
        double[] x = LayerChecks.Random(random, count * conv.InputSize), p = LayerChecks.Random(random, conv.ParameterCount, 0.3);
        double[] yBar = LayerChecks.Random(random, count * conv.OutputSize), scratch = new double[conv.BatchScratchSize(count)];
        (double[] Y, double[] XBar, double[] PBar) Run(Conv2d layer)
        {
            double[] y = new double[count * layer.OutputSize], xBar = new double[count * layer.InputSize], pBar = new double[layer.ParameterCount];
            ((TimeConv2d)layer).ForwardBatch(0.25, count, x, p, y, scratch);
            ((TimeConv2d)layer).BackwardBatch(0.25, count, x, p, yBar, xBar, pBar, scratch);
            return (y, xBar, pBar);
        }

        Run(conv);
        foreach (Action change in new Action[] { () => p[7] = Math.BitIncrement(p[7]), () => p[0] = -0.0, () => p.AsSpan(0, 30).Reverse() })
        {
            change();
            var kept = Run(conv);
            var fresh = Run(new TimeConv2d(4, 5, 6, 6, kernel: 3, padding: 1));
            Assert.Equal(fresh.Y, kept.Y);
            Assert.Equal(fresh.XBar, kept.XBar);
            Assert.Equal(fresh.PBar, kept.PBar);
        }
    }

    [Theory]
    [MemberData(nameof(Convolutions))]
    public void BatchPasses_EqualOneSampleProducts_ToTheBit(string name)
    {
        // Small images run batches through the direct passes (DirectConvolution, no unfolded patches), one sample through the
        // products: y, xBar and one sample's parameterBar the same bits (the weight gradient of 13 samples sums their pixels in
        // one chain, equal to the per-sample sums to rounding).
        Conv2d conv = Cases[name]();
        var random = new Random(7 * name.Length);
        const double t = 0.61;
        foreach (int count in new[] { 1, 13 })
        {
            int n = conv.InputSize, m = conv.OutputSize;
            double[] x = LayerChecks.Random(random, count * n), p = LayerChecks.Random(random, conv.ParameterCount, 0.3), yBar = LayerChecks.Random(random, count * m);
            double[] xBar0 = LayerChecks.Random(random, count * n), pBar0 = LayerChecks.Random(random, conv.ParameterCount);
            double[] y = new double[count * m], xBar = (double[])xBar0.Clone(), pBar = (double[])pBar0.Clone(), scratch = new double[conv.ScratchSize];
            double tBar = 0.0;
            for (int s = 0; s < count; s++)
            {
                double[] xs = x[(s * n)..((s + 1) * n)], ys = new double[m], xBars = xBar[(s * n)..((s + 1) * n)];
                Forward(conv, t, xs, p, ys, scratch);
                tBar += Backward(conv, t, xs, p, yBar[(s * m)..((s + 1) * m)], xBars, pBar, scratch);
                ys.CopyTo(y, s * m);
                xBars.CopyTo(xBar, s * n);
            }

            double[] yB = new double[count * m], xBarB = (double[])xBar0.Clone(), pBarB = (double[])pBar0.Clone(), scratchB = new double[conv.BatchScratchSize(count)];
            double tBarB = 0.0;
            if (conv is TimeConv2d timed)
            {
                timed.ForwardBatch(t, count, x, p, yB, scratchB);
                tBarB = timed.BackwardBatch(t, count, x, p, yBar, xBarB, pBarB, scratchB);
            }
            else
            {
                conv.ForwardBatch(count, x, p, yB, scratchB);
                conv.BackwardBatch(count, x, p, yBar, xBarB, pBarB, scratchB);
            }

            Assert.Equal(y.Select(BitConverter.DoubleToInt64Bits), yB.Select(BitConverter.DoubleToInt64Bits));
            Assert.Equal(xBar.Select(BitConverter.DoubleToInt64Bits), xBarB.Select(BitConverter.DoubleToInt64Bits));
            if (count == 1)
            {
                Assert.Equal(pBar.Select(BitConverter.DoubleToInt64Bits), pBarB.Select(BitConverter.DoubleToInt64Bits));
                Assert.Equal(BitConverter.DoubleToInt64Bits(tBar), BitConverter.DoubleToInt64Bits(tBarB));
            }
            else
            {
                AssertClose(pBar, pBarB, "parameterBar of 13 samples");
                AssertClose([tBar], [tBarB], "tBar of 13 samples");
            }
        }
    }

    [Fact]
    public void BatchPasses_AllocateNothing()
    {
        var conv = new TimeConv2d(16, 16, 6, 6, kernel: 3, padding: 1);
        var random = new Random(5);
        const int count = 20;
        double[] x = LayerChecks.Random(random, count * conv.InputSize), p = LayerChecks.Random(random, conv.ParameterCount), yBar = LayerChecks.Random(random, count * conv.OutputSize);
        double[] y = new double[count * conv.OutputSize], xBar = new double[count * conv.InputSize], pBar = new double[conv.ParameterCount];
        double[] scratch = new double[conv.BatchScratchSize(count)];
        void Both()
        {
            conv.ForwardBatch(0.5, count, x, p, y, scratch);
            conv.BackwardBatch(0.5, count, x, p, yBar, xBar, pBar, scratch);
        }

        Both();
        Assert.Equal(0, Allocations.Least(Both, windows: 3));
    }

    [Fact]
    public void ForwardAndBackward_AllocateNothing()
    {
        var conv = new TimeConv2d(64, 64, 7, 7, kernel: 3, padding: 1);
        var random = new Random(4);
        double[] x = LayerChecks.Random(random, conv.InputSize), p = LayerChecks.Random(random, conv.ParameterCount), yBar = LayerChecks.Random(random, conv.OutputSize);
        double[] y = new double[conv.OutputSize], xBar = new double[conv.InputSize], pBar = new double[conv.ParameterCount], scratch = new double[conv.ScratchSize];
        void Both()
        {
            conv.Forward(0.5, x, p, y, scratch);
            conv.Backward(0.5, x, p, yBar, xBar, pBar, scratch);
        }

        Both();
        Assert.Equal(0, Allocations.Least(Both, windows: 3));
    }

    [Fact]
    public void WrongSizes_Throw()
    {
        var conv = new Conv2d(2, 3, 5, 5, kernel: 3, padding: 1);
        Assert.Contains("scratch", Assert.Throws<ArgumentException>(() => conv.Forward(new double[conv.InputSize], new double[conv.ParameterCount], new double[conv.OutputSize], new double[3])).Message);
        Assert.Contains("xBar", Assert.Throws<ArgumentException>(() => conv.Backward(new double[conv.InputSize], new double[conv.ParameterCount], new double[conv.OutputSize],
            new double[1], new double[conv.ParameterCount], new double[conv.ScratchSize])).Message);
    }

    private static void Forward(Conv2d conv, double t, double[] x, double[] p, double[] y, double[] scratch)
    {
        if (conv is TimeConv2d timed) timed.Forward(t, x, p, y, scratch);
        else conv.Forward(x, p, y, scratch);
    }

    private static double Backward(Conv2d conv, double t, double[] x, double[] p, double[] yBar, double[] xBar, double[] pBar, double[] scratch) =>
        conv is TimeConv2d timed ? timed.Backward(t, x, p, yBar, xBar, pBar, scratch) : Backward0(conv, x, p, yBar, xBar, pBar, scratch);

    private static double Backward0(Conv2d conv, double[] x, double[] p, double[] yBar, double[] xBar, double[] pBar, double[] scratch)
    {
        conv.Backward(x, p, yBar, xBar, pBar, scratch);
        return 0.0;
    }

    // The two formulations add in different orders: equal to rounding relative to the values' size.
    private static void AssertClose(double[] expected, double[] actual, string what)
    {
        double scale = 1.0;
        foreach (double v in expected) scale = Math.Max(scale, Math.Abs(v));
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-12 * scale, $"{what}[{i}]: products {actual[i]}, per pixel {expected[i]}");
    }
}
