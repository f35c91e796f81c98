using OdeGen.Lanes;
using OdeGen.Models;
using OdeGen.Neural;
using OdeGen.Tests.Generated;

namespace OdeGen.Tests.Models;

/// <summary>
/// Bad input to the layers and the model, found by probing every public entry point: each gets an exception that names the
/// argument, where it had read weights as biases, ignored a long span, or thrown IndexOutOfRangeException from generated code.
/// </summary>
public class ModelsBadInputTests
{
    // Layers whose one-sample passes are generated functions (FunctionLayer, LaneFunctionLayer) or hand-written (GroupNorm, ODE blocks).
    public static TheoryData<string> LayerNames => new(Layers.Keys);

    private static readonly Dictionary<string, Func<Layer>> Layers = new()
    {
        ["Linear(3,5)"] = () => new Linear(3, 5),
        ["Linear(1,1)"] = () => new Linear(1, 1),
        ["Relu(5)"] = () => new Relu(5),
        ["Tanh(7)"] = () => new Tanh(7),
        ["GlobalAveragePool(2,3)"] = () => new GlobalAveragePool(2, 3),
        ["GruCell(2,3)"] = () => new GruCell(2, 3),
        ["GroupNorm(2,4,3)"] = () => new GroupNorm(2, 4, 3),
        ["Conv2d(2,3,5,4,3,1,1)"] = () => new Conv2d(2, 3, 5, 4, 3, 1, 1),
        ["ResidualBlock(4,3,3,2)"] = () => new ResidualBlock(4, 3, 3, 2),
        ["OdeBlock(TanhMlp)"] = () => new OdeBlock<TanhMlpSystem>(new TanhMlpSystem(2, 3), 0, 1),
        ["LaneOdeBlock(LaneMlp)"] = () => new LaneOdeBlock<LaneMlp.RhsSystem>(new LaneMlp.RhsSystem(), 0, 0.5, Sensitivity.DiscreteAdjoint,
            new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.1 }),
    };

    // One span one entry too short or too long, the others right: (which span, its expected parameter name).
    private static IEnumerable<(string Span, int Delta)> Wrong()
    {
        foreach (string span in new[] { "x", "parameters", "y" })
        {
            yield return (span, -1);
            yield return (span, +1);
        }
    }

    [Theory]
    [MemberData(nameof(LayerNames))]
    public void Forward_SpanOfTheWrongLength_ThrowsNamingIt(string name)
    {
        Layer layer = Layers[name]();
        foreach ((string span, int delta) in Wrong())
        {
            if (span == "parameters" && layer.ParameterCount + delta < 0) continue;
            int n = layer.InputSize + (span == "x" ? delta : 0), m = layer.ParameterCount + (span == "parameters" ? delta : 0), k = layer.OutputSize + (span == "y" ? delta : 0);
            double[] scratch = new double[Math.Max(layer.ScratchSize, layer.BatchScratchSize(1))];
            var e = Assert.ThrowsAny<ArgumentException>(() => layer.Forward(new double[n], new double[m], new double[k], scratch));
            Assert.Equal(span, e.ParamName);
        }
    }

    [Theory]
    [MemberData(nameof(LayerNames))]
    public void Backward_SpanOfTheWrongLength_ThrowsNamingIt(string name)
    {
        Layer layer = Layers[name]();
        double[] scratch = new double[Math.Max(layer.ScratchSize, layer.BatchScratchSize(1))];
        foreach (string span in new[] { "x", "parameters", "yBar", "xBar", "parameterBar" })
        {
            foreach (int delta in new[] { -1, +1 })
            {
                int Size(string s, int size) => s == span ? size + delta : size;
                if (Size("parameters", layer.ParameterCount) < 0 || Size("parameterBar", layer.ParameterCount) < 0) continue;
                var x = new double[Size("x", layer.InputSize)];
                var p = new double[Size("parameters", layer.ParameterCount)];
                var yBar = new double[Size("yBar", layer.OutputSize)];
                var xBar = new double[Size("xBar", layer.InputSize)];
                var pBar = new double[Size("parameterBar", layer.ParameterCount)];
                if (span == "xBar" && xBar.Length == 0 && layer.AcceptsNoInputGradient) continue;   // the documented "no ∂L/∂x"
                var e = Assert.ThrowsAny<ArgumentException>(() => layer.Backward(x, p, yBar, xBar, pBar, scratch));
                Assert.Equal(span, e.ParamName);
            }
        }
    }

    [Theory]
    [MemberData(nameof(LayerNames))]
    public void BackwardFromOutput_OutputOfTheWrongLength_ThrowsNamingIt(string name)
    {
        Layer layer = Layers[name]();
        double[] scratch = new double[Math.Max(layer.ScratchSize, layer.BatchScratchSize(1))];
        var e = Assert.ThrowsAny<ArgumentException>(() => layer.BackwardFromOutput(new double[layer.InputSize], new double[layer.OutputSize + 1],
            new double[layer.ParameterCount], new double[layer.OutputSize], new double[layer.InputSize], new double[layer.ParameterCount], scratch));
        Assert.Equal("y", e.ParamName);
    }

    [Theory]
    [MemberData(nameof(LayerNames))]
    public void Lanes_SpanOfTheWrongLength_ThrowsNamingIt(string name)
    {
        Layer layer = Layers[name]();
        if (!layer.HasLanes) return;
        int n = layer.InputSize, m = layer.ParameterCount, k = layer.OutputSize;
        foreach (int delta in new[] { -1, +1 })
        {
            Assert.Equal("x", Assert.ThrowsAny<ArgumentException>(() => layer.ForwardLanes<Lane256>(new Lane256[n + delta], new Lane256[m], new Lane256[k])).ParamName);
            if (m + delta >= 0)
                Assert.Equal("parameters", Assert.ThrowsAny<ArgumentException>(() => layer.ForwardLanes<Lane256>(new Lane256[n], new Lane256[m + delta], new Lane256[k])).ParamName);
            Assert.Equal("y", Assert.ThrowsAny<ArgumentException>(() => layer.ForwardLanes<Lane256>(new Lane256[n], new Lane256[m], new Lane256[k + delta])).ParamName);
            Assert.Equal("yBar", Assert.ThrowsAny<ArgumentException>(() =>
                layer.BackwardLanes<Lane256>(new Lane256[n], new Lane256[m], new Lane256[k + delta], new Lane256[n], new Lane256[m])).ParamName);
            Assert.Equal("xBar", Assert.ThrowsAny<ArgumentException>(() =>
                layer.BackwardLanes<Lane256>(new Lane256[n], new Lane256[m], new Lane256[k], new Lane256[n + delta], new Lane256[m])).ParamName);
            if (m + delta >= 0)
                Assert.Equal("parameterBar", Assert.ThrowsAny<ArgumentException>(() =>
                    layer.BackwardLanes<Lane256>(new Lane256[n], new Lane256[m], new Lane256[k], new Lane256[n], new Lane256[m + delta])).ParamName);
        }
    }

    [Theory]
    [MemberData(nameof(LayerNames))]
    public void Batch_ParametersOfTheWrongLength_ThrowNamingThem(string name)
    {
        Layer layer = Layers[name]();
        const int count = 3;
        int n = layer.InputSize, m = layer.ParameterCount, k = layer.OutputSize;
        double[] scratch = new double[layer.BatchScratchSize(count)];
        Assert.Equal("parameters", Assert.ThrowsAny<ArgumentException>(() =>
            layer.ForwardBatch(count, new double[count * n], new double[m + 1], new double[count * k], scratch)).ParamName);
        Assert.Equal("parameters", Assert.ThrowsAny<ArgumentException>(() =>
            layer.BackwardBatch(count, new double[count * n], new double[m + 1], new double[count * k], new double[count * n], new double[m], scratch)).ParamName);
        Assert.Equal("parameterBar", Assert.ThrowsAny<ArgumentException>(() =>
            layer.BackwardBatch(count, new double[count * n], new double[m], new double[count * k], new double[count * n], new double[m + 1], scratch)).ParamName);
    }

    [Fact]
    public void Forward_ShortInput_NoLongerReadsWeightsAsBiases()
    {
        // Linear(3 → 2) given 2 inputs used n = 2 and read the bias at p[2·2 + o], inside the weights, and returned.
        var layer = new Linear(3, 2);
        Assert.Equal("x", Assert.ThrowsAny<ArgumentException>(() => layer.Forward(new double[] { 1, 2 }, new double[8], new double[2], [])).ParamName);
    }

    [Theory]
    [MemberData(nameof(LayerNames))]
    public void Initialize_ParametersOfTheWrongLength_ThrowNamingThem(string name)
    {
        Layer layer = Layers[name]();
        var e = Assert.ThrowsAny<ArgumentException>(() => layer.Initialize(new double[layer.ParameterCount + 1], new Random(1)));
        Assert.Equal("parameters", e.ParamName);
    }

    [Fact]
    public void FunctionLayer_NullShapes_ThrowsArgumentNull()
    {
        var f = new OdeGen.Layers.LayerFunctions.LinearFunction(2, 6, 2);
        Assert.Equal("shapes", Assert.Throws<ArgumentNullException>(() => new FunctionLayer<OdeGen.Layers.LayerFunctions.LinearFunction>(f, null!)).ParamName);
    }

    [Fact]
    public void DefaultOdeNetDynamics_HasNoState_AndAnOdeBlockOfItSaysSo()
    {
        // StateCount threw NullReferenceException on default (no layers).
        Assert.Equal(0, default(OdeNetDynamics).StateCount);
        Assert.Equal(0, default(OdeNetDynamics).ParameterCount);
        var e = Assert.ThrowsAny<ArgumentException>(() => new OdeBlock<OdeNetDynamics>(default, 0, 1));
        Assert.Equal("system", e.ParamName);
        Assert.Contains("StateCount is 0", e.Message);
    }

    [Fact]
    public void ParametersOf_BadLayerOrVector_ThrowsNamingIt()
    {
        var model = new Model(new Linear(3, 5), new Tanh(5), new Linear(5, 2));
        double[] p = model.CreateParameters();
        Assert.Equal("layer", Assert.Throws<ArgumentOutOfRangeException>(() => model.ParametersOf(-1, p)).ParamName);
        Assert.Equal("layer", Assert.Throws<ArgumentOutOfRangeException>(() => model.ParametersOf(3, p)).ParamName);
        Assert.Equal("parameters", Assert.Throws<ArgumentException>(() => model.ParametersOf(2, new double[5])).ParamName);
        Assert.Equal(12, model.ParametersOf(2, p).Length);
    }

    [Fact]
    public void Gradient_WhenALayerOverflows_ThrowsInsteadOfReturningNaN()
    {
        // Finite parameters and inputs whose products overflow: the loss and gradient came back NaN, the outputs ±∞, no error.
        var model = new Model(new Linear(3, 5), new Linear(5, 2));
        double[] p = model.CreateParameters(1);
        for (int i = 0; i < p.Length; i++) p[i] = 1e200 * (i % 2 == 0 ? 1 : -1);
        double[] x = [1e200, -1e200, 1e200, 1, 2, 3];
        var g = new double[model.ParameterCount];
        Assert.Equal(OdeStatus.NonFiniteValue, Assert.Throws<OdeSolverException>(() => model.Gradient(p, x, [0, 1], Loss.SoftmaxCrossEntropy, g)).Status);
        Assert.Equal(OdeStatus.NonFiniteValue, Assert.Throws<OdeSolverException>(() => model.Evaluate(p, x, new double[4], Loss.MeanSquaredError)).Status);
        var e = Assert.Throws<OdeSolverException>(() => model.Predict(p, x, new double[4]));
        Assert.Contains("output 0 of sample 0", e.Message);
    }

    [Fact]
    public async Task ConcurrentCalls_OnOneModel_TheSecondThrows()
    {
        // Two calls at once shared the model's buffers and returned wrong losses and gradients (14 of 400 in the probe).
        using var inside = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var gate = new GateLayer(3, inside, release);
        var model = new Model(gate, new Linear(3, 2)) { MaxDegreeOfParallelism = 1 };
        double[] p = model.CreateParameters(1), x = [0.1, 0.2, 0.3];
        var first = Task.Run(() => model.Evaluate(p, x, [1], Loss.SoftmaxCrossEntropy));
        Assert.True(inside.Wait(TimeSpan.FromSeconds(30)));
        gate.Blocking = false;
        var e = Assert.Throws<InvalidOperationException>(() => model.Gradient(p, x, [1], Loss.SoftmaxCrossEntropy, new double[model.ParameterCount]));
        Assert.Contains("one call at a time", e.Message);
        release.Set();
        double loss = await first;
        Assert.True(double.IsFinite(loss));
        // Once the first call is done, the model takes calls again.
        Assert.Equal(loss, model.Evaluate(p, x, [1], Loss.SoftmaxCrossEntropy));
    }

    [Fact]
    public void Loss_TargetSizeOfNoOutputs_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Loss.MeanSquaredError.TargetSize(-2));
        Assert.Throws<ArgumentException>(() => Loss.GaussianNegativeLogLikelihood.TargetSize(0));
        Assert.Throws<ArgumentException>(() => Loss.DiagonalGaussianKl.TargetSize(-2));
    }

    [Fact]
    public void Loss_DirectCallWithANonFiniteTarget_ThrowsNamingIt()
    {
        // A model checks its targets once per batch; called directly, the losses returned NaN with a NaN gradient.
        foreach (Loss loss in new[] { Loss.MeanSquaredError, Loss.GaussianNegativeLogLikelihood, Loss.DiagonalGaussianKl })
        {
            double[] target = new double[loss.TargetSize(4)];
            target[^1] = double.NaN;
            var e = Assert.Throws<ArgumentException>(() => loss.Evaluate([0.1, 0.2, 0.3, 0.4], target, new double[4]));
            Assert.Equal("target", e.ParamName);
        }
    }

    [Fact]
    public void InPlace_WhereTheLayerReadsWhatItWrites_IsRefused()
    {
        // y = x in place gave other numbers without an error: Linear(3, 3) read inputs it had overwritten, Tanh wrote 0, and
        // the residual block's shortcut added the overwritten x (its backward pass the same with xBar = yBar).
        double[] buffer = [0.3, -0.2, 0.5];
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => new Linear(3, 3).Forward(buffer, new double[12], buffer, [])).ParamName);
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => new Tanh(3).Forward(buffer, [], buffer, [])).ParamName);
        Assert.Equal("xBar", Assert.Throws<ArgumentException>(() => new Linear(3, 3).Backward(buffer, new double[12], new double[3], buffer, new double[12], [])).ParamName);
        var block = new ResidualBlock(2, 3, 3, 1);
        double[] p = new double[block.ParameterCount], image = new double[block.InputSize], scratch = new double[block.ScratchSize];
        block.Initialize(p, new Random(1));
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => block.Forward(image, p, image, scratch)).ParamName);
        Assert.Equal("xBar", Assert.Throws<ArgumentException>(() => block.Backward(new double[block.InputSize], p, image, image, new double[p.Length], scratch)).ParamName);
        // The passes that are safe in place take it: Relu's batch and the generated Vjp, which copies yBar before writing xBar.
        double[] bar = [1, 2, 3];
        new Linear(3, 3).Backward(buffer, new double[12], bar, bar, new double[12], []);
    }

    // The identity on `size` values whose first Forward (while Blocking) signals `inside` and waits for `release`.
    private sealed class GateLayer(int size, ManualResetEventSlim inside, ManualResetEventSlim release) : Layer(size, size)
    {
        public volatile bool Blocking = true;

        public override void Forward(ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, Span<double> y, Span<double> scratch)
        {
            if (Blocking)
            {
                inside.Set();
                release.Wait(TimeSpan.FromSeconds(30));
            }

            x.CopyTo(y);
        }

        public override void Backward(ReadOnlySpan<double> x, ReadOnlySpan<double> parameters, ReadOnlySpan<double> yBar,
            Span<double> xBar, Span<double> parameterBar, Span<double> scratch)
        {
            for (int i = 0; i < xBar.Length; i++) xBar[i] += yBar[i];
        }
    }
}
