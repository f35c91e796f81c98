using OdeGen.Layers;
using OdeGen.Models;
using OdeGen.Neural;

namespace OdeGen.Tests.Models;

/// <summary>Every built-in layer against central differences, and each generated layer function against the dot-product identity.</summary>
public class LayerTests
{
    public static TheoryData<string> LayerNames => new(Layers.Keys);

    private static readonly Dictionary<string, Func<Layer>> Layers = new()
    {
        ["Linear"] = () => new Linear(5, 3),
        ["Relu"] = () => new Relu(7),
        ["Softplus"] = () => new Softplus(7),
        ["Tanh"] = () => new Tanh(7),
        ["GroupNorm"] = () => new GroupNorm(groups: 2, channels: 4, pixels: 6),
        ["GlobalAveragePool"] = () => new GlobalAveragePool(channels: 3, pixels: 5),
        ["GruCell"] = () => new GruCell(inputs: 3, hidden: 4),
        ["Conv2d k3 s1 p1"] = () => new Conv2d(2, 3, 5, 5, kernel: 3, stride: 1, padding: 1),
        ["Conv2d k3 s2 p0"] = () => new Conv2d(2, 2, 7, 6, kernel: 3, stride: 2, padding: 0),
        ["Conv2d k4 s2 p1"] = () => new Conv2d(3, 2, 6, 6, kernel: 4, stride: 2, padding: 1),
        ["TimeConv2d k3"] = () => new TimeConv2d(2, 2, 4, 4, kernel: 3, stride: 1, padding: 1),
        ["OdeBlock"] = () => new OdeBlock<TanhMlpSystem>(new TanhMlpSystem(3, 5), 0, 0.7, Sensitivity.InterpolatingAdjoint(),
            new SolverOptions { RelTol = 1e-11, AbsTol = 1e-12 }),
    };

    [Theory]
    [MemberData(nameof(LayerNames))]
    public void Backward_MatchesCentralDifferences(string name) =>
        LayerChecks.AssertBackwardMatchesDifferences(Layers[name](), seed: name.Length, tolerance: 1e-6);

    [Fact]
    public void Softplus_IsFiniteAndExactFarOut()
    {
        var layer = new Softplus(4);
        double[] y = new double[4];
        layer.Forward([-800, -30, 30, 800], [], y, []);
        Assert.Equal([Math.Exp(-800), Math.Log(1 + Math.Exp(-30)), 30 + Math.Log(1 + Math.Exp(-30)), 800], y);
        LayerChecks.AssertBackwardMatchesDifferences(layer, seed: 3, inputScale: 40);
    }

    [Fact]
    public void GeneratedLayerFunctions_SatisfyTheDotProductIdentity()
    {
        LayerChecks.AssertDotProductIdentity(new LayerFunctions.LinearFunction(5, 18, 3), 1);
        LayerChecks.AssertDotProductIdentity(new LayerFunctions.ReluFunction(7, 7), 2);
        LayerChecks.AssertDotProductIdentity(new LayerFunctions.SoftplusFunction(7, 7), 3, inputScale: 5);
        LayerChecks.AssertDotProductIdentity(new LayerFunctions.TanhFunction(7, 7), 4);
        LayerChecks.AssertDotProductIdentity(new LayerFunctions.GroupNormGroupFunction(12, 4, 12), 5);
        LayerChecks.AssertDotProductIdentity(new LayerFunctions.GlobalAveragePoolFunction(15, 3), 6);
        LayerChecks.AssertDotProductIdentity(new LayerFunctions.GruCellFunction(7, (3 * 4 * 7) + 24, 4), 7);
    }

    [Fact]
    public void Conv2d_MatchesADirectConvolution()
    {
        // A direct 4-deep loop, written independently of the im2col path: PyTorch's definition with zero padding.
        var conv = new Conv2d(2, 3, 6, 5, kernel: 4, stride: 2, padding: 1);
        var random = new Random(9);
        double[] x = LayerChecks.Random(random, conv.InputSize), p = LayerChecks.Random(random, conv.ParameterCount), y = new double[conv.OutputSize];
        conv.Forward(x, p, y, new double[conv.ScratchSize]);
        Assert.Equal((3, 2), (conv.OutHeight, conv.OutWidth));
        for (int o = 0; o < 3; o++)
        for (int oy = 0; oy < conv.OutHeight; oy++)
        for (int ox = 0; ox < conv.OutWidth; ox++)
        {
            double s = p[(3 * 2 * 16) + o];
            for (int c = 0; c < 2; c++)
            for (int ky = 0; ky < 4; ky++)
            for (int kx = 0; kx < 4; kx++)
            {
                int iy = (oy * 2) - 1 + ky, ix = (ox * 2) - 1 + kx;
                if (iy >= 0 && iy < 6 && ix >= 0 && ix < 5) s += p[(((o * 2) + c) * 16) + (ky * 4) + kx] * x[(((c * 6) + iy) * 5) + ix];
            }

            Assert.Equal(s, y[(((o * conv.OutHeight) + oy) * conv.OutWidth) + ox], 12);
        }
    }

    [Fact]
    public void TimeConv2d_TimeDerivative_MatchesCentralDifferences()
    {
        var conv = new TimeConv2d(1, 2, 4, 4, kernel: 3, padding: 1);
        var random = new Random(2);
        double[] x = LayerChecks.Random(random, conv.InputSize), p = LayerChecks.Random(random, conv.ParameterCount), yBar = LayerChecks.Random(random, conv.OutputSize);
        double[] scratch = new double[conv.ScratchSize];
        double tBar = conv.Backward(0.3, x, p, yBar, new double[conv.InputSize], new double[conv.ParameterCount], scratch);
        double central = LayerChecks.Central(e =>
        {
            double[] y = new double[conv.OutputSize];
            conv.Forward(0.3 + e, x, p, y, scratch);
            return LayerChecks.Dot(yBar, y);
        });
        LayerChecks.AssertClose(central, tBar, 1e-7, "∂/∂t");
    }

    [Fact]
    public void BadSizes_GiveSpecificExceptions()
    {
        Assert.Equal("inputs", Assert.Throws<ArgumentOutOfRangeException>(() => new Linear(0, 3)).ParamName);
        Assert.Contains("3 groups", Assert.Throws<ArgumentException>(() => new GroupNorm(3, 4, 2)).Message);
        Assert.Equal("height", Assert.Throws<ArgumentOutOfRangeException>(() => new Conv2d(1, 1, 2, 5, kernel: 4)).ParamName);
    }
}
