using OdeGen.Models;
using OdeGen.Tests.Models;

namespace OdeGen.Tests.Layers;

/// <summary>
/// A convolution with <see cref="ConvolutionPrecision.Single"/>: its passes agree with the double ones to float precision; its
/// backward pass is the adjoint of its forward pass (central differences of a map linear in x and in the weights separately
/// have no truncation error, so the check is tight); one sample's passes are the batch's; nothing is allocated after the
/// first batch; it leaves the lanes to double layers.
/// </summary>
public class Conv2dSingleTests
{
    private const int Samples = 15;   // two chunks of the 6×6 images' backward pass

    public static TheoryData<string> Layers => new("time 17→16 6×6", "stride-2 3→7 9×9", "stride-2 3×3 5→6 8×7", "stride-3 2×2 4→3 10×11", "stride-2 16→16 13×13", "by pixels 1→9 3×3 20×18");

    private static Conv2d Create(string name, ConvolutionPrecision precision) => name switch
    {
        "time 17→16 6×6" => new TimeConv2d(17, 16, 6, 6, kernel: 3, padding: 1) { Precision = precision },
        // Strided, by phases of the input pixels: phases with different tap counts (3×3 over stride 2), pixels no tap reads
        // (2×2 over stride 3), and the classifier's stem shape (16 channels, the 13×13 image, odd phases).
        "stride-2 3×3 5→6 8×7" => new Conv2d(5, 6, 8, 7, kernel: 3, stride: 2, padding: 1) { Precision = precision },
        "stride-3 2×2 4→3 10×11" => new Conv2d(4, 3, 10, 11, kernel: 2, stride: 3, padding: 0) { Precision = precision },
        "stride-2 16→16 13×13" => new Conv2d(16, 16, 13, 13, kernel: 4, stride: 2, padding: 1) { Precision = precision },
        // The first convolution's shape (one plane, 3×3, no padding): the forward pass a vector of a row's pixels at a time.
        "by pixels 1→9 3×3 20×18" => new Conv2d(1, 9, 20, 18, kernel: 3) { Precision = precision },
        _ => new Conv2d(3, 7, 9, 9, kernel: 4, stride: 2, padding: 1) { Precision = precision },
    };

    private static double Forward(Conv2d conv, double t, double[] x, double[] p, double[] y, double[] scratch)
    {
        if (conv is TimeConv2d time) time.ForwardBatch(t, Samples, x, p, y, scratch);
        else conv.ForwardBatch(Samples, x, p, y, scratch);
        return 0;
    }

    private static double Backward(Conv2d conv, double t, double[] x, double[] p, double[] yBar, double[] xBar, double[] pBar, double[] scratch)
    {
        if (conv is TimeConv2d time) return time.BackwardBatch(t, Samples, x, p, yBar, xBar, pBar, scratch);
        conv.BackwardBatch(Samples, x, p, yBar, xBar, pBar, scratch);
        return 0;
    }

    [Theory]
    [InlineData(36, 8)]
    [InlineData(169, 16)]
    [InlineData(3, 8)]
    [InlineData(7, 40)]
    public void TransposeEight_IsTheScalarTransposition_AndTheBiasSums_ToTheBit(int pixels, int row)
    {
        if (!System.Runtime.Intrinsics.X86.Avx.IsSupported) return;   // AVX only (the scalar loop elsewhere)
        var random = new Random(pixels + row);
        double[] bars = LayerChecks.Random(random, 8 * pixels), bias = LayerChecks.Random(random, 8), expectedBias = (double[])bias.Clone();
        float[] barsT = new float[pixels * row], expected = new float[barsT.Length];
        for (int k = 0; k < 8; k++)
        {
            double sum = 0.0;
            for (int j = 0; j < pixels; j++)
            {
                sum += bars[(k * pixels) + j];
                expected[(j * row) + k] = (float)bars[(k * pixels) + j];
            }

            expectedBias[k] += sum;
        }

        Conv2d.TransposeEight(bars, pixels, barsT, row, bias);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(BitConverter.SingleToInt32Bits(expected[i]), BitConverter.SingleToInt32Bits(barsT[i]));
        for (int k = 0; k < 8; k++) Assert.Equal(BitConverter.DoubleToInt64Bits(expectedBias[k]), BitConverter.DoubleToInt64Bits(bias[k]));
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void Single_AgreesWithDouble_ToFloatPrecision(string name)
    {
        Conv2d single = Create(name, ConvolutionPrecision.Single), reference = Create(name, ConvolutionPrecision.Double);
        var random = new Random(21);
        double[] x = LayerChecks.Random(random, Samples * single.InputSize), p = LayerChecks.Random(random, single.ParameterCount), yBar = LayerChecks.Random(random, Samples * single.OutputSize);
        (double[] y, double[] xBar, double[] pBar, double tBar) = Run(single, x, p, yBar);
        (double[] yRef, double[] xBarRef, double[] pBarRef, double tBarRef) = Run(reference, x, p, yBar);
        AssertRelative(yRef, y, "y");
        AssertRelative(xBarRef, xBar, "xBar");
        AssertRelative(pBarRef, pBar, "pBar");
        AssertRelative([tBarRef], [tBar], "tBar");
        Assert.NotEqual(yRef, y);   // it did run in float
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void Single_BackwardIsTheAdjointOfItsForward_AgainstCentralDifferences(string name)
    {
        Conv2d conv = Create(name, ConvolutionPrecision.Single);
        var random = new Random(22);
        double[] x = LayerChecks.Random(random, Samples * conv.InputSize), p = LayerChecks.Random(random, conv.ParameterCount), yBar = LayerChecks.Random(random, Samples * conv.OutputSize);
        double[] v = LayerChecks.Random(random, x.Length), w = LayerChecks.Random(random, p.Length);
        (_, double[] xBar, double[] pBar, double tBar) = Run(conv, x, p, yBar);
        double[] scratch = new double[conv.BatchScratchSize(Samples)], yPlus = new double[yBar.Length], yMinus = new double[yBar.Length];

        // In x (and t), then in the weights and bias: each a linear map, so the central difference at h = 0.5 is exact but for rounding.
        const double H = 0.5;
        Forward(conv, 0.3 + H, LayerChecks.Axpy(x, H, v), p, yPlus, scratch);
        Forward(conv, 0.3 - H, LayerChecks.Axpy(x, -H, v), p, yMinus, scratch);
        double central = (LayerChecks.Dot(yBar, yPlus) - LayerChecks.Dot(yBar, yMinus)) / (2 * H);
        double adjoint = LayerChecks.Dot(xBar, v) + (conv is TimeConv2d ? tBar : 0.0);
        Assert.True(Math.Abs(central - adjoint) <= 1e-5 * (1 + Math.Abs(central)), $"x: {central} vs {adjoint}");

        Forward(conv, 0.3, x, LayerChecks.Axpy(p, H, w), yPlus, scratch);
        Forward(conv, 0.3, x, LayerChecks.Axpy(p, -H, w), yMinus, scratch);
        central = (LayerChecks.Dot(yBar, yPlus) - LayerChecks.Dot(yBar, yMinus)) / (2 * H);
        adjoint = LayerChecks.Dot(pBar, w);
        Assert.True(Math.Abs(central - adjoint) <= 1e-5 * (1 + Math.Abs(central)), $"θ: {central} vs {adjoint}");
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void Single_OneSample_IsTheBatchsSample(string name)
    {
        Conv2d conv = Create(name, ConvolutionPrecision.Single);
        var random = new Random(23);
        double[] x = LayerChecks.Random(random, Samples * conv.InputSize), p = LayerChecks.Random(random, conv.ParameterCount), yBar = LayerChecks.Random(random, Samples * conv.OutputSize);
        (double[] y, double[] xBar, _, _) = Run(conv, x, p, yBar);
        int n = conv.InputSize, m = conv.OutputSize, s = Samples - 1;
        double[] scratch = new double[conv.ScratchSize], yOne = new double[m], xBarOne = new double[n], pBarOne = new double[p.Length];
        if (conv is TimeConv2d time)
        {
            time.Forward(0.3, x.AsSpan(s * n, n), p, yOne, scratch);
            time.Backward(0.3, x.AsSpan(s * n, n), p, yBar.AsSpan(s * m, m), xBarOne, pBarOne, scratch);
        }
        else
        {
            conv.Forward(x.AsSpan(s * n, n), p, yOne, scratch);
            conv.Backward(x.AsSpan(s * n, n), p, yBar.AsSpan(s * m, m), xBarOne, pBarOne, scratch);
        }

        Assert.Equal(y.Skip(s * m).Take(m).Select(BitConverter.DoubleToInt64Bits), yOne.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(xBar.Skip(s * n).Take(n).Select(BitConverter.DoubleToInt64Bits), xBarOne.Select(BitConverter.DoubleToInt64Bits));
        Assert.False(conv.HasLanes);
        Assert.True(Create(name, ConvolutionPrecision.Double).HasLanes);
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void Single_AllocatesNothing_AfterTheFirstBatch(string name)
    {
        Conv2d conv = Create(name, ConvolutionPrecision.Single);
        var random = new Random(24);
        double[] x = LayerChecks.Random(random, Samples * conv.InputSize), p = LayerChecks.Random(random, conv.ParameterCount), yBar = LayerChecks.Random(random, Samples * conv.OutputSize);
        double[] y = new double[yBar.Length], xBar = new double[x.Length], pBar = new double[p.Length], scratch = new double[conv.BatchScratchSize(Samples)];
        void Step()
        {
            Forward(conv, 0.3, x, p, y, scratch);
            Backward(conv, 0.3, x, p, yBar, xBar, pBar, scratch);
        }

        Step();
        Assert.Equal(0, Allocations.Least(Step, windows: 3));
    }

    [Theory]
    [InlineData("time 17→16 6×6", ConvolutionPrecision.Double)]
    [InlineData("stride-2 3→7 9×9", ConvolutionPrecision.Double)]
    [InlineData("stride-2 3→7 9×9", ConvolutionPrecision.Single)]
    public void EmptyInputGradient_SkipsIt_AndLeavesTheParameterGradientsBits(string name, ConvolutionPrecision precision)
    {
        Conv2d conv = Create(name, precision);
        var random = new Random(25);
        double[] x = LayerChecks.Random(random, Samples * conv.InputSize), p = LayerChecks.Random(random, conv.ParameterCount), yBar = LayerChecks.Random(random, Samples * conv.OutputSize);
        (_, _, double[] pBar, _) = Run(conv, x, p, yBar);
        double[] pBarSkipped = new double[p.Length], scratch = new double[conv.BatchScratchSize(Samples)];
        if (conv is TimeConv2d)
        {
            // ∂L/∂t comes from the input gradient: a time convolution does not skip it.
            Assert.False(conv.AcceptsNoInputGradient);
            Assert.Throws<ArgumentException>(() => Backward(conv, 0.3, x, p, yBar, [], pBarSkipped, scratch));
            return;
        }

        Assert.True(conv.AcceptsNoInputGradient);
        Backward(conv, 0.3, x, p, yBar, [], pBarSkipped, scratch);
        Assert.Equal(pBar.Select(BitConverter.DoubleToInt64Bits), pBarSkipped.Select(BitConverter.DoubleToInt64Bits));
        double[] pBarOne = new double[p.Length], pBarOneSkipped = new double[p.Length], single = new double[conv.ScratchSize];
        int n = conv.InputSize, m = conv.OutputSize;
        conv.Backward(x.AsSpan(0, n), p, yBar.AsSpan(0, m), new double[n], pBarOne, single);
        conv.Backward(x.AsSpan(0, n), p, yBar.AsSpan(0, m), [], pBarOneSkipped, single);
        Assert.Equal(pBarOne.Select(BitConverter.DoubleToInt64Bits), pBarOneSkipped.Select(BitConverter.DoubleToInt64Bits));
    }

    private static (double[] Y, double[] XBar, double[] PBar, double TBar) Run(Conv2d conv, double[] x, double[] p, double[] yBar)
    {
        double[] y = new double[yBar.Length], xBar = new double[x.Length], pBar = new double[p.Length], scratch = new double[conv.BatchScratchSize(Samples)];
        Forward(conv, 0.3, x, p, y, scratch);
        double tBar = Backward(conv, 0.3, x, p, yBar, xBar, pBar, scratch);
        return (y, xBar, pBar, tBar);
    }

    // Float's rounding of inputs, weights and sums: relative to the largest entry, a few units of 2⁻²⁴ times the terms' count.
    private static void AssertRelative(double[] expected, double[] actual, string what)
    {
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 2e-5 * (1 + scale), $"{what}[{i}]: {actual[i]} vs double {expected[i]}");
    }
}
