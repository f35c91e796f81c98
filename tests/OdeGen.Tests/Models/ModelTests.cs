using Xunit.Abstractions;
using OdeGen.Models;
using OdeGen.Neural;

namespace OdeGen.Tests.Models;

/// <summary>
/// A model of stem + ODE block + head: its full gradient against central differences of its loss for each sensitivity, the
/// same numbers for any thread count, no allocation per batch, the memory it reports, and bad input.
/// </summary>
public class ModelTests(ITestOutputHelper output)
{
    private static readonly SolverOptions Tight = new() { RelTol = 1e-11, AbsTol = 1e-12 };

    public static TheoryData<string> SensitivityNames => new("Forward", "BacksolveAdjoint", "InterpolatingAdjoint", "DiscreteAdjoint");

    private static Sensitivity SensitivityNamed(string name) => name switch
    {
        "Forward" => Sensitivity.Forward,
        "BacksolveAdjoint" => Sensitivity.BacksolveAdjoint,
        "InterpolatingAdjoint" => Sensitivity.InterpolatingAdjoint(),
        _ => Sensitivity.DiscreteAdjoint,
    };

    private static Model StemOdeHead(Sensitivity sensitivity, SolverOptions options) => new(
        new Linear(3, 4),
        new Tanh(4),
        new OdeBlock<TanhMlpSystem>(new TanhMlpSystem(4, 5), 0, 1, sensitivity, options),
        new Linear(4, 2));

    [Theory]
    [MemberData(nameof(SensitivityNames))]
    public void FullGradient_MatchesCentralDifferencesOfTheLoss(string sensitivityName)
    {
        // The discrete adjoint is the exact gradient of the discrete solution: with a fixed step, the differences of that same
        // solution; the others differentiate the exact flow, which the tight tolerance makes the differences see.
        SolverOptions options = sensitivityName == "DiscreteAdjoint" ? new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.05 } : Tight;
        Model model = StemOdeHead(SensitivityNamed(sensitivityName), options);
        var random = new Random(1);
        double[] p = model.CreateParameters(seed: 3);
        double[] inputs = LayerChecks.Random(random, 5 * 3), targets = LayerChecks.Random(random, 5 * 2), gradient = new double[p.Length];
        double loss = model.Gradient(p, inputs, targets, Loss.MeanSquaredError, gradient);
        Assert.Equal(model.Evaluate(p, inputs, targets, Loss.MeanSquaredError), loss, 12);

        for (int k = 0; k < p.Length; k++)
        {
            double central = LayerChecks.Central(e => model.Evaluate(LayerChecks.Nudge(p, k, e), inputs, targets, Loss.MeanSquaredError), 1e-5);
            LayerChecks.AssertClose(central, gradient[k], 2e-6, $"{sensitivityName}: dL/dθ[{k}] ({SliceOf(model, k)})");
        }
    }

    [Fact]
    public void Gradient_IsTheSameBitForBit_ForAnyThreadCount()
    {
        Model model = StemOdeHead(Sensitivity.InterpolatingAdjoint(), new SolverOptions { RelTol = 1e-8, AbsTol = 1e-10 });
        var random = new Random(2);
        double[] p = model.CreateParameters(seed: 4), inputs = LayerChecks.Random(random, 37 * 3), targets = LayerChecks.Random(random, 37 * 2);
        double[][] gradients = new double[3][];
        double[] losses = new double[3];
        int[] threads = [1, 2, 5];
        for (int i = 0; i < threads.Length; i++)
        {
            model.MaxDegreeOfParallelism = threads[i];
            gradients[i] = new double[p.Length];
            losses[i] = model.Gradient(p, inputs, targets, Loss.MeanSquaredError, gradients[i]);
        }

        for (int i = 1; i < threads.Length; i++)
        {
            Assert.Equal(BitConverter.DoubleToInt64Bits(losses[0]), BitConverter.DoubleToInt64Bits(losses[i]));
            Assert.Equal(gradients[0].Select(BitConverter.DoubleToInt64Bits), gradients[i].Select(BitConverter.DoubleToInt64Bits));
        }
    }

    [Fact]
    public void Predict_GivesTheForwardPassOfEachSample()
    {
        Model model = new(new Linear(2, 3), new Softplus(3), new Linear(3, 1));
        double[] p = model.CreateParameters(seed: 1), inputs = [0.5, -1, 2, 0.25, 0, 0], outputs = new double[3];
        model.MaxDegreeOfParallelism = 3;
        model.Predict(p, inputs, outputs);
        for (int s = 0; s < 3; s++)
        {
            double[] h = new double[3], y = new double[1];
            model.Layers[0].Forward(inputs.AsSpan(2 * s, 2), model.ParametersOf(0, p), h, []);
            model.Layers[1].Forward((double[])h.Clone(), [], h, []);
            model.Layers[2].Forward(h, model.ParametersOf(2, p), y, []);
            Assert.Equal(y[0], outputs[s]);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Batch_AllocatesNothing_AfterTheFirst(int threads)
    {
        // Layers made of generated functions, a convolution among them; on two threads the partitions go to the pool through
        // the model's PartitionRunner, which (unlike Parallel.For) allocates nothing per call.
        var model = new Model(
            new Conv2d(1, 4, 6, 6, kernel: 3, padding: 1), new GroupNorm(2, 4, 36), new Relu(4 * 36),
            new Conv2d(4, 4, 6, 6, kernel: 4, stride: 2, padding: 1), new Tanh(4 * 9), new GlobalAveragePool(4, 9),
            new GruCell(2, 2), new Linear(2, 3))
        { MaxDegreeOfParallelism = threads };
        var random = new Random(3);
        // 70 samples: three runs of up to 32 for the batch-major layers, so two threads share them.
        double[] p = model.CreateParameters(), inputs = LayerChecks.Random(random, 70 * 36), gradient = new double[p.Length];
        double[] targets = Enumerable.Range(0, 70).Select(i => (double)(i % 3)).ToArray();
        model.Gradient(p, inputs, targets, Loss.SoftmaxCrossEntropy, gradient);
        model.Gradient(p, inputs, targets, Loss.SoftmaxCrossEntropy, gradient);

        long least = Allocations.Least(() => model.Gradient(p, inputs, targets, Loss.SoftmaxCrossEntropy, gradient));
        Assert.Equal(0, least);
        Assert.Equal(0, model.Memory.OdeBlockBytes);
    }

    public static TheoryData<string> AdjointNames => new("BacksolveAdjoint", "InterpolatingAdjoint", "DiscreteAdjoint");

    [Theory]
    [MemberData(nameof(AdjointNames))]
    public void OdeBlockModel_AllocatesNothingPerBatch_AfterTheFirst(string sensitivityName)
    {
        // Stem + ODE block + head on one thread: the block keeps its integrator and its sensitivity's workspace per thread,
        // so after the first batch neither pass allocates (the adaptive interpolating adjoint's dense output has grown to size).
        SolverOptions options = sensitivityName == "DiscreteAdjoint" ? new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.05 } : Tight;
        Model model = StemOdeHead(SensitivityNamed(sensitivityName), options);
        model.MaxDegreeOfParallelism = 1;
        var random = new Random(4);
        double[] p = model.CreateParameters(seed: 5), inputs = LayerChecks.Random(random, 8 * 3), gradient = new double[p.Length];
        double[] targets = Enumerable.Range(0, 8).Select(i => (double)(i % 2)).ToArray();
        model.Gradient(p, inputs, targets, Loss.SoftmaxCrossEntropy, gradient);
        double[] first = (double[])gradient.Clone();

        long least = Allocations.Least(() => model.Gradient(p, inputs, targets, Loss.SoftmaxCrossEntropy, gradient), windows: 3);
        output.WriteLine($"{sensitivityName}: {least} bytes per batch of 8 after the first; the block holds {model.Memory.OdeBlockBytes} bytes");
        Assert.Equal(0, least);
        Assert.Equal(first, gradient);   // the reused workspace gives the first batch's numbers, bit for bit
        Assert.True(model.Memory.OdeBlockBytes > 0);
    }

    [Fact]
    public void AdjointBlock_HoldsMemoryIndependentOfItsSteps_DiscreteAdjointGrowsWithThem()
    {
        long Bytes(Sensitivity sensitivity, double step)
        {
            var model = new Model(new OdeBlock<TanhMlpSystem>(new TanhMlpSystem(4, 8), 0, 1, sensitivity, new SolverOptions { Method = OdeMethod.RK4, FixedStep = step }))
            { MaxDegreeOfParallelism = 1 };
            double[] p = model.CreateParameters(), inputs = [0.1, 0.2, -0.3, 0.4], gradient = new double[p.Length];
            model.Gradient(p, inputs, [0, 0, 0, 0], Loss.MeanSquaredError, gradient);
            model.Gradient(p, inputs, [0, 0, 0, 0], Loss.MeanSquaredError, gradient);
            return model.Memory.OdeBlockBytes;
        }

        long backsolve100 = Bytes(Sensitivity.BacksolveAdjoint, 1e-2), backsolve1000 = Bytes(Sensitivity.BacksolveAdjoint, 1e-3);
        long discrete100 = Bytes(Sensitivity.DiscreteAdjoint, 1e-2), discrete1000 = Bytes(Sensitivity.DiscreteAdjoint, 1e-3);
        output.WriteLine($"bytes per backward pass: back-solve {backsolve100} (100 steps), {backsolve1000} (1000 steps); discrete {discrete100}, {discrete1000}");
        Assert.True(backsolve1000 < 1.1 * backsolve100, $"back-solve adjoint: {backsolve100} bytes at 100 steps, {backsolve1000} at 1000");
        Assert.True(discrete1000 > 5 * discrete100, $"discrete adjoint: {discrete100} bytes at 100 steps, {discrete1000} at 1000");
    }

    [Fact]
    public void StackOfResidualOdeBlocks_HoldsActivationsLinearInDepth()
    {
        long Activations(int depth)
        {
            var layers = Enumerable.Range(0, depth)
                .Select(_ => (Layer)new OdeBlock<TanhMlpSystem>(new TanhMlpSystem(4, 4), 0, 1, Sensitivity.BacksolveAdjoint, new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.1 }))
                .ToArray();
            var model = new Model(layers) { MaxDegreeOfParallelism = 1 };
            double[] p = model.CreateParameters(), gradient = new double[p.Length];
            model.Gradient(p, [0.1, 0.2, 0.3, 0.4], [0, 0, 0, 0], Loss.MeanSquaredError, gradient);
            return model.Memory.ActivationBytes;
        }

        Assert.Equal(4 * 8, Activations(1));
        Assert.Equal(4 * Activations(1), Activations(4));
    }

    // A null loss is how Predict runs without one: Evaluate and Gradient took it too and returned a loss of 0 (and a zero
    // gradient) for any parameters.
    [Fact]
    public void NullLoss_IsArgumentNull_NotALossOfZero()
    {
        Model model = new(new Linear(3, 2));
        double[] p = model.CreateParameters(seed: 1), g = new double[p.Length];
        Assert.Throws<ArgumentNullException>(() => model.Evaluate(p, [1, 2, 3], [0, 1], null!));
        Assert.Throws<ArgumentNullException>(() => model.Gradient(p, [1, 2, 3], [0, 1], null!, g));
    }

    [Fact]
    public void BadInput_GivesSpecificExceptions()
    {
        Model model = new(new Linear(3, 2));
        double[] p = model.CreateParameters(), g = new double[p.Length];
        Assert.Contains("layer 0", Assert.Throws<ArgumentException>(() => new Model(new Linear(3, 2), new Linear(3, 1))).Message);
        Assert.Equal("inputs", Assert.Throws<ArgumentException>(() => model.Gradient(p, new double[4], new double[2], Loss.MeanSquaredError, g)).ParamName);
        Assert.Equal("targets", Assert.Throws<ArgumentException>(() => model.Gradient(p, new double[6], new double[2], Loss.MeanSquaredError, g)).ParamName);
        Assert.Equal("parameters", Assert.Throws<ArgumentException>(() => model.Gradient(new double[3], new double[3], new double[2], Loss.MeanSquaredError, g)).ParamName);
        Assert.Equal("gradient", Assert.Throws<ArgumentException>(() => model.Gradient(p, new double[3], new double[2], Loss.MeanSquaredError, new double[1])).ParamName);
        var nan = Assert.Throws<ArgumentException>(() => model.Gradient(p, [1, 2, 3, 4, double.NaN, 6], new double[4], Loss.MeanSquaredError, g));
        Assert.Equal("inputs", nan.ParamName);
        Assert.Contains("row 1, entry 1", nan.Message);
        Assert.Equal("targets", Assert.Throws<ArgumentException>(() => model.Gradient(p, new double[3], [0, double.PositiveInfinity], Loss.MeanSquaredError, g)).ParamName);

        // A failing ODE solve throws with the solver's reason instead of handing on NaN.
        var stiff = new Model(new OdeBlock<TanhMlpSystem>(new TanhMlpSystem(2, 2), 0, 1, Sensitivity.BacksolveAdjoint, new SolverOptions { MaxSteps = 2, RelTol = 1e-12, AbsTol = 1e-14 }));
        double[] q = stiff.CreateParameters();
        q.AsSpan().Fill(3);
        Assert.Throws<OdeSolverException>(() => stiff.Gradient(q, [1, 1, 2, 2], [0, 0, 0, 0], Loss.MeanSquaredError, new double[q.Length]));
        // On several threads too, as itself rather than wrapped, call after call.
        stiff.MaxDegreeOfParallelism = 4;
        for (int call = 0; call < 2; call++)
            Assert.Throws<OdeSolverException>(() => stiff.Gradient(q, [1, 1, 2, 2, 1, 1, 2, 2], new double[8], Loss.MeanSquaredError, new double[q.Length]));
    }

    private static string SliceOf(Model model, int k) => model.Layout.Slices.First(s => k >= s.Offset && k < s.Offset + s.Length).Name;
}
