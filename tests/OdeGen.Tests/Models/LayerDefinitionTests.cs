using OdeGen.Models;

namespace OdeGen.Tests.Models;

/// <summary>The forward values of the layers whose parameter layouts claim PyTorch's definitions, against those definitions written out directly.</summary>
public class LayerDefinitionTests
{
    [Fact]
    public void GroupNorm_NormalizesEachGroupThenScalesPerChannel()
    {
        const int Groups = 2, Channels = 4, Pixels = 3, PerGroup = Channels / Groups;
        var layer = new GroupNorm(Groups, Channels, Pixels);
        var random = new Random(11);
        double[] x = LayerChecks.Random(random, Channels * Pixels, 3), p = LayerChecks.Random(random, layer.ParameterCount), y = new double[x.Length];
        layer.Forward(x, p, y, []);
        for (int g = 0; g < Groups; g++)
        {
            var values = x.Skip(g * PerGroup * Pixels).Take(PerGroup * Pixels).ToArray();
            double mean = values.Average(), variance = values.Select(v => (v - mean) * (v - mean)).Average();
            for (int c = 0; c < PerGroup; c++)
            {
                double gamma = p[(g * 2 * PerGroup) + c], beta = p[(g * 2 * PerGroup) + PerGroup + c];
                for (int j = 0; j < Pixels; j++)
                {
                    int at = (((g * PerGroup) + c) * Pixels) + j;
                    Assert.Equal((gamma * (x[at] - mean) / Math.Sqrt(variance + 1e-5)) + beta, y[at], 12);
                }
            }
        }
    }

    [Fact]
    public void GruCell_FollowsPyTorchsGateEquations()
    {
        const int Inputs = 3, Hidden = 2;
        var cell = new GruCell(Inputs, Hidden);
        var random = new Random(12);
        double[] x = LayerChecks.Random(random, Inputs + Hidden), p = LayerChecks.Random(random, cell.ParameterCount), y = new double[Hidden];
        cell.Forward(x, p, y, []);

        // PyTorch's layout: weight_ih [3h][in], weight_hh [3h][h], bias_ih [3h], bias_hh [3h]; gates r, z, n.
        int wh = 3 * Hidden * Inputs, bi = wh + (3 * Hidden * Hidden), bh = bi + (3 * Hidden);
        double Ih(int row) => p[bi + row] + Enumerable.Range(0, Inputs).Sum(i => p[(row * Inputs) + i] * x[i]);
        double Hh(int row) => p[bh + row] + Enumerable.Range(0, Hidden).Sum(j => p[wh + (row * Hidden) + j] * x[Inputs + j]);
        static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
        for (int o = 0; o < Hidden; o++)
        {
            double r = Sigmoid(Ih(o) + Hh(o)), z = Sigmoid(Ih(Hidden + o) + Hh(Hidden + o));
            double n = Math.Tanh(Ih((2 * Hidden) + o) + (r * Hh((2 * Hidden) + o)));
            Assert.Equal(((1 - z) * n) + (z * x[Inputs + o]), y[o], 12);
        }
    }

    [Fact]
    public void Layout_NamesEachLayersBlocksInOrder()
    {
        var model = new Model(new Linear(3, 4), new Tanh(4), new GruCell(2, 2));   // the cell reads [u (2), h (2)]
        Assert.Equal(["0.Linear.weight", "0.Linear.bias", "2.GruCell.weight_ih", "2.GruCell.weight_hh", "2.GruCell.bias_ih", "2.GruCell.bias_hh"],
            model.Layout.Slices.Select(s => s.Name));
        Assert.Equal((4, 3), (model.Layout["0.Linear.weight"].Rows, model.Layout["0.Linear.weight"].Columns));
        Assert.Equal(model.Layout.Count, model.Layers.Sum(l => l.ParameterCount));
        Assert.Equal((3 * 2 * 2) + (3 * 2 * 2), model.Layout["2.GruCell.bias_ih"].Offset - model.Layout["2.GruCell.weight_ih"].Offset);
    }

    // Sizes no array holds: the weight of Conv2d(65536, 65536, 3×3) has 65536 × 589824 = 9·2³² entries, which wrapped to 0 in
    // int, so the layer claimed its bias alone (65536 parameters) and raised nothing; Linear and GroupNorm threw
    // OverflowException from checked arithmetic. Now each is an ArgumentOutOfRangeException that says so.
    [Fact]
    public void SizesBeyondAnArray_AreArgumentOutOfRange_NeverAWrongCount()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2d(65536, 65536, 3, 3, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2d(1, 1, 50000, 50000, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2d(1, 1, 1, 1, 3, padding: int.MaxValue));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Linear(65536, 65536));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GroupNorm(1, 65536, 65536));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GlobalAveragePool(65536, 65536));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GruCell(65536, 65536));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FunctionLayer<OdeGen.Tests.Functions.FunctionModels.DenseFunction>(new(2, 2, 1),
            new ParameterShape("a", 65536, 65536), new ParameterShape("b", 2)));
    }

    // A stride beyond the image (PyTorch allows it: one output pixel per window that fits) visited stride² phases of the
    // input gradient, and at int.MaxValue looped for ever (k + stride overflowed).
    [Fact]
    public void StrideBeyondTheImage_BuildsAtOnce_AndDifferentiates()
    {
        var huge = new Conv2d(2, 3, 4, 4, 3, stride: int.MaxValue, padding: 1) { Precision = ConvolutionPrecision.Single };
        Assert.Equal((1, 1), (huge.OutHeight, huge.OutWidth));
        LayerChecks.AssertBackwardMatchesDifferences(new Conv2d(2, 3, 4, 4, 3, stride: int.MaxValue, padding: 1), seed: 3);

        // The single-precision input gradient (by phases) against the double one.
        var single = new Conv2d(2, 3, 5, 5, 2, stride: 7, padding: 1) { Precision = ConvolutionPrecision.Single };
        var exact = new Conv2d(2, 3, 5, 5, 2, stride: 7, padding: 1);
        var random = new Random(4);
        double[] x = LayerChecks.Random(random, exact.InputSize), p = LayerChecks.Random(random, exact.ParameterCount), yBar = LayerChecks.Random(random, exact.OutputSize);
        double[] xs = new double[x.Length], xd = new double[x.Length], ps = new double[p.Length], pd = new double[p.Length];
        single.Backward(x, p, yBar, xs, ps, new double[single.ScratchSize]);
        exact.Backward(x, p, yBar, xd, pd, new double[exact.ScratchSize]);
        for (int i = 0; i < x.Length; i++) Assert.True(Math.Abs(xs[i] - xd[i]) <= 1e-5 * (1 + Math.Abs(xd[i])), $"xBar[{i}]: {xs[i]} vs {xd[i]}");
        for (int k = 0; k < p.Length; k++) Assert.True(Math.Abs(ps[k] - pd[k]) <= 1e-5 * (1 + Math.Abs(pd[k])), $"pBar[{k}]: {ps[k]} vs {pd[k]}");
    }
}
