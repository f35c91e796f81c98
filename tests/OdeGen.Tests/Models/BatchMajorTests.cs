using OdeGen.Models;
using OdeGen.Neural;

namespace OdeGen.Tests.Models;

/// <summary>
/// The batch-major path: each layer's ForwardBatch/BackwardBatch against its one-sample Forward/Backward and against central
/// differences, and a model run batch-major against the same model one sample at a time, for any thread count, without
/// allocating after the first batch.
/// </summary>
public class BatchMajorTests
{
    public static TheoryData<string> LayerNames => new(Layers.Keys);

    private static readonly Dictionary<string, Func<Layer>> Layers = new()
    {
        ["Linear"] = () => new Linear(7, 5),
        ["Conv2d k3 s1 p1"] = () => new Conv2d(2, 3, 5, 5, kernel: 3, stride: 1, padding: 1),
        ["Conv2d k3 s2 p0"] = () => new Conv2d(2, 2, 7, 6, kernel: 3, stride: 2, padding: 0),
        ["Conv2d k4 s2 p1"] = () => new Conv2d(3, 4, 6, 6, kernel: 4, stride: 2, padding: 1),
        // A patch of 20·16 = 320 taps: longer than one depth block of the product (256), so the sums run in two blocks.
        ["Conv2d k4 deep"] = () => new Conv2d(20, 7, 4, 4, kernel: 4, stride: 1, padding: 2),
        // 36·16 = 576 taps (the 64-channel ODE-Net has 585): the weight gradient's B, the patches transposed and unfolded
        // straight into the product's panels, spans two column blocks, and 13 samples' 325 columns two depth blocks.
        ["Conv2d k4 wide patch"] = () => new Conv2d(36, 3, 4, 4, kernel: 4, stride: 1, padding: 2),
        // 100 pixels: the batch runs in chunks of five samples (one column block of the product each).
        ["Conv2d k3 in chunks"] = () => new Conv2d(2, 3, 10, 10, kernel: 3, stride: 1, padding: 1),
        // 256 pixels: a sample goes alone, through the one-sample passes.
        ["Conv2d k3 large image"] = () => new Conv2d(1, 2, 16, 16, kernel: 3, stride: 1, padding: 1),
        ["TimeConv2d k3"] = () => new TimeConv2d(2, 3, 4, 4, kernel: 3, stride: 1, padding: 1),
        ["ResidualBlock"] = () => new ResidualBlock(4, 5, 5, groups: 2),
        ["Relu"] = () => new Relu(37),
        ["GroupNorm"] = () => new GroupNorm(groups: 2, channels: 4, pixels: 6),
        // 13×13 pixels (the stem's second image): channels whose length is no multiple of the SIMD width, one channel per group.
        ["GroupNorm 13x13"] = () => new GroupNorm(groups: 3, channels: 3, pixels: 169),
    };

    [Fact]
    public void ReluOverwriting_IsBackwardBatchIntoZeros_ToTheBit()
    {
        var relu = new Relu(37);
        const int Count = 13;
        var random = new Random(41);
        double[] x = LayerChecks.Random(random, Count * 37), yBar = LayerChecks.Random(random, Count * 37);
        x[3] = 0.0;
        x[4] = -0.0;
        yBar[5] = -0.0;
        yBar[6] = double.NaN;
        x[5] = x[6] = 1.0;
        double[] added = new double[x.Length], overwritten = LayerChecks.Random(random, x.Length);
        relu.BackwardBatch(Count, x, default, yBar, added, default, default);
        relu.BackwardBatchOverwriting(Count, x, yBar, overwritten);
        Assert.Equal(added.Select(BitConverter.DoubleToInt64Bits), overwritten.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(0L, BitConverter.DoubleToInt64Bits(overwritten[5]));   // +0 from −0 both ways
    }

    // The layers whose backward pass can overwrite ∂L/∂x (the model and the residual block then skip clearing it), in double
    // and with single-precision convolutions (16 channels: the tall kernels; 3: the narrow ones).
    private static readonly Dictionary<string, Func<Layer>> Overwriting = new()
    {
        ["Relu"] = () => new Relu(37),
        ["GroupNorm"] = () => new GroupNorm(groups: 2, channels: 4, pixels: 6),
        ["GroupNorm 13x13"] = () => new GroupNorm(groups: 3, channels: 3, pixels: 169),
        ["ResidualBlock"] = () => new ResidualBlock(4, 5, 5, groups: 2),
        ["ResidualBlock single 16"] = () => new ResidualBlock(16, 6, 6, groups: 4, precision: ConvolutionPrecision.Single),
        ["ResidualBlock single 3"] = () => new ResidualBlock(3, 5, 5, groups: 3, precision: ConvolutionPrecision.Single),
        ["Conv2d single k3 s1 p1"] = () => new Conv2d(16, 16, 6, 6, kernel: 3, stride: 1, padding: 1) { Precision = ConvolutionPrecision.Single },
        ["Conv2d single k3 in chunks"] = () => new Conv2d(2, 3, 10, 10, kernel: 3, stride: 1, padding: 1) { Precision = ConvolutionPrecision.Single },
    };

    public static TheoryData<string> OverwritingNames => new(Overwriting.Keys);

    [Theory]
    [MemberData(nameof(OverwritingNames))]
    public void BackwardInto_IsBackwardIntoZeros_ToTheBit_WhateverTheTargetHeld(string name)
    {
        Layer layer = Overwriting[name]();
        Assert.True(layer.OverwritesBatchInputGradient);
        foreach (int count in new[] { 1, 13 })
        {
            var random = new Random(count + name.Length);
            int n = layer.InputSize, m = layer.OutputSize;
            double[] x = LayerChecks.Random(random, count * n), p = LayerChecks.Random(random, layer.ParameterCount, 0.5), yBar = LayerChecks.Random(random, count * m);
            x[1] = -0.0;
            yBar[2] = -0.0;
            yBar[^1] = -0.0;
            double[] y = new double[count * m], scratch = new double[layer.BatchScratchSize(count)];
            layer.ForwardBatch(count, x, p, y, scratch);

            double[] added = new double[count * n], pBar = new double[layer.ParameterCount];
            layer.BackwardBatchFromOutput(count, x, y, p, yBar, added, pBar, scratch);
            double[] into = LayerChecks.Random(random, count * n), pBarInto = new double[layer.ParameterCount];
            into[0] = double.NaN;
            layer.BackwardBatchInto(count, x, y, p, yBar, into, pBarInto, scratch);
            Assert.Equal(added.Select(BitConverter.DoubleToInt64Bits), into.Select(BitConverter.DoubleToInt64Bits));
            Assert.Equal(pBar.Select(BitConverter.DoubleToInt64Bits), pBarInto.Select(BitConverter.DoubleToInt64Bits));
        }
    }

    // A convolution whose input is a ReLU's output gives the adjoint of the ReLU's input (the residual block's and the ODE-Net
    // dynamics' convolutions): against BackwardBatch into zeros then the ReLU's overwriting adjoint on x, ∂L/∂t included (at
    // t ≠ 0), in double and single precision (16 channels: the tall float kernels; 3 in chunks: the narrow ones).
    [Theory]
    [InlineData(16, 6, false, false)]
    [InlineData(16, 6, false, true)]
    [InlineData(3, 10, false, true)]
    [InlineData(16, 6, true, false)]
    [InlineData(16, 6, true, true)]
    [InlineData(3, 6, true, true)]
    public void BackwardThroughRelu_IsBackwardIntoZerosThenRelu_ToTheBit(int channels, int size, bool time, bool single)
    {
        var precision = single ? ConvolutionPrecision.Single : ConvolutionPrecision.Double;
        Conv2d conv = time ? new TimeConv2d(channels, channels, size, size, kernel: 3, padding: 1) { Precision = precision }
            : new Conv2d(channels, channels, size, size, kernel: 3, padding: 1) { Precision = precision };
        var relu = new Relu(conv.InputSize);
        const double T = 0.37;
        foreach (int count in new[] { 1, 13 })
        {
            var random = new Random(count + channels);
            int n = conv.InputSize, m = conv.OutputSize;
            double[] pre = LayerChecks.Random(random, count * n), x = new double[count * n], p = LayerChecks.Random(random, conv.ParameterCount, 0.5);
            double[] yBar = LayerChecks.Random(random, count * m), scratch = new double[conv.BatchScratchSize(count)];
            pre[1] = -0.0;
            relu.ForwardBatch(count, pre, default, x, scratch);
            yBar[2] = -0.0;
            double[] added = new double[count * n], masked = new double[count * n], pBar = new double[conv.ParameterCount];
            double tBar = time ? ((TimeConv2d)conv).BackwardBatch(T, count, x, p, yBar, added, pBar, scratch) : 0.0;
            if (!time) conv.BackwardBatch(count, x, p, yBar, added, pBar, scratch);
            relu.BackwardBatchOverwriting(count, x, added, masked);
            double[] through = LayerChecks.Random(random, count * n), pBarThrough = new double[conv.ParameterCount];
            through[0] = double.NaN;
            double tBarThrough = conv.BackwardBatchThroughRelu(T, count, x, p, yBar, through, pBarThrough, scratch);
            Assert.Equal(masked.Select(BitConverter.DoubleToInt64Bits), through.Select(BitConverter.DoubleToInt64Bits));
            Assert.Equal(pBar.Select(BitConverter.DoubleToInt64Bits), pBarThrough.Select(BitConverter.DoubleToInt64Bits));
            Assert.Equal(BitConverter.DoubleToInt64Bits(tBar), BitConverter.DoubleToInt64Bits(tBarThrough));
            Assert.Contains(0.0, through);
        }
    }

    [Theory]
    [MemberData(nameof(LayerNames))]
    public void Batch_EqualsOneSampleAtATime(string name)
    {
        Layer layer = Layers[name]();
        foreach (int count in new[] { 1, 2, 13 })
        {
            var random = new Random(count);
            int n = layer.InputSize, m = layer.OutputSize;
            double[] x = LayerChecks.Random(random, count * n), p = LayerChecks.Random(random, layer.ParameterCount, 0.5), yBar = LayerChecks.Random(random, count * m);
            double[] xBar0 = LayerChecks.Random(random, count * n), pBar0 = LayerChecks.Random(random, layer.ParameterCount);

            double[] y = new double[count * m], xBar = (double[])xBar0.Clone(), pBar = (double[])pBar0.Clone(), scratch = new double[layer.ScratchSize];
            for (int s = 0; s < count; s++)
            {
                layer.Forward(x.AsSpan(s * n, n), p, y.AsSpan(s * m, m), scratch);
                layer.Backward(x.AsSpan(s * n, n), p, yBar.AsSpan(s * m, m), xBar.AsSpan(s * n, n), pBar, scratch);
            }

            double[] yB = new double[count * m], xBarB = (double[])xBar0.Clone(), pBarB = (double[])pBar0.Clone(), scratchB = new double[layer.BatchScratchSize(count)];
            layer.ForwardBatch(count, x, p, yB, scratchB);
            layer.BackwardBatch(count, x, p, yBar, xBarB, pBarB, scratchB);

            if (layer is Conv2d or Relu or GroupNorm)
            {
                // A convolution's output is the same FMA chain over the patch whatever the number of columns, the ReLU's
                // select is the generated arithmetic, and GroupNorm's kernel runs each group alike whatever the count: equal to the bit.
                Assert.Equal(y.Select(BitConverter.DoubleToInt64Bits), yB.Select(BitConverter.DoubleToInt64Bits));
                Assert.Equal(xBar.Select(BitConverter.DoubleToInt64Bits), xBarB.Select(BitConverter.DoubleToInt64Bits));
            }

            if (layer is Conv2d && count == 1)
            {
                // One sample's weight gradient is the same product either way: the batch pass unfolds the patches transposed
                // straight into the product's panels (through the per-pixel gather map), the one-sample pass unfolds them
                // plainly and lets the product pack colsᵀ itself. Equal to the bit, so the unfoldings hold each other.
                Assert.Equal(pBar.Select(BitConverter.DoubleToInt64Bits), pBarB.Select(BitConverter.DoubleToInt64Bits));
            }

            AssertRelative(y, yB, 1e-12, $"{name}, {count} samples: y");
            AssertRelative(xBar, xBarB, 1e-12, $"{name}, {count} samples: xBar");
            AssertRelative(pBar, pBarB, 1e-12, $"{name}, {count} samples: parameterBar");
        }
    }

    [Theory]
    [MemberData(nameof(LayerNames))]
    public void BackwardBatch_MatchesCentralDifferences(string name)
    {
        // d/dε Σ_s ⟨yBar_s, layer(x_s + ε·xDot_s, p + ε·pDot)⟩ = ⟨xBar, xDot⟩ + ⟨pBar, pDot⟩, every entry at once.
        Layer layer = Layers[name]();
        const int Count = 5;
        var random = new Random(21);
        double[] x = LayerChecks.Random(random, Count * layer.InputSize), p = LayerChecks.Random(random, layer.ParameterCount, 0.5);
        double[] yBar = LayerChecks.Random(random, Count * layer.OutputSize), xDot = LayerChecks.Random(random, x.Length), pDot = LayerChecks.Random(random, p.Length);
        double[] scratch = new double[layer.BatchScratchSize(Count)], xBar = new double[x.Length], pBar = new double[p.Length];
        layer.BackwardBatch(Count, x, p, yBar, xBar, pBar, scratch);

        double Probe(double e)
        {
            double[] y = new double[Count * layer.OutputSize];
            layer.ForwardBatch(Count, LayerChecks.Axpy(x, e, xDot), LayerChecks.Axpy(p, e, pDot), y, new double[layer.BatchScratchSize(Count)]);
            return LayerChecks.Dot(yBar, y);
        }

        LayerChecks.AssertClose(LayerChecks.Central(Probe), LayerChecks.Dot(xBar, xDot) + LayerChecks.Dot(pBar, pDot), 1e-6, $"{name}: directional derivative");
    }

    [Fact]
    public void BadBatchSizes_GiveSpecificExceptions()
    {
        var conv = new Conv2d(2, 3, 5, 5, kernel: 3, padding: 1);
        double[] p = new double[conv.ParameterCount];
        Assert.Equal("y", Assert.Throws<ArgumentException>(() => conv.ForwardBatch(2, new double[2 * conv.InputSize], p, new double[conv.OutputSize], new double[conv.BatchScratchSize(2)])).ParamName);
        Assert.Contains("scratch", Assert.Throws<ArgumentException>(() => conv.ForwardBatch(2, new double[2 * conv.InputSize], p, new double[2 * conv.OutputSize], new double[conv.ScratchSize])).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => conv.ForwardBatch(0, [], p, [], []));
        var linear = new Linear(3, 2);
        Assert.Equal("xBar", Assert.Throws<ArgumentException>(() => new GroupNorm(1, 2, 2).BackwardBatch(2, new double[8], new double[4], new double[8], new double[4], new double[4], [])).ParamName);
        Assert.Contains("xBar", Assert.Throws<ArgumentException>(() => linear.BackwardBatch(2, new double[6], new double[8], new double[4], new double[3], new double[8], new double[linear.BatchScratchSize(2)])).Message);
    }

    // A classifier in miniature: a convolutional stem, a residual block, an ODE block over the image, a head.
    private static Model Classifier(Sensitivity sensitivity) => new(
        new Conv2d(1, 4, 8, 8, kernel: 3), new GroupNorm(2, 4, 36), new Relu(4 * 36),
        new Conv2d(4, 4, 6, 6, kernel: 4, stride: 2, padding: 1),
        new ResidualBlock(4, 3, 3, groups: 2),
        new OdeBlock<TanhMlpSystem>(new TanhMlpSystem(36, 6), 0, 1, sensitivity, new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.25 }),
        new GroupNorm(2, 4, 9), new Relu(36), new GlobalAveragePool(4, 9), new Linear(4, 3));

    [Fact]
    public void Model_BatchMajor_EqualsOneSampleAtATime_ForAnyThreadCount()
    {
        Model model = Classifier(Sensitivity.BacksolveAdjoint);
        const int Batch = 70;   // three runs of 23 or 24 samples
        var random = new Random(6);
        double[] p = model.CreateParameters(seed: 7), inputs = LayerChecks.Random(random, Batch * 64);
        double[] targets = Enumerable.Range(0, Batch).Select(i => (double)(i % 3)).ToArray();

        model.BatchMajor = false;
        model.MaxDegreeOfParallelism = 1;
        double[] reference = new double[p.Length], outputsReference = new double[Batch * 3];
        double lossReference = model.Gradient(p, inputs, targets, Loss.SoftmaxCrossEntropy, reference);
        long activationsOneAtATime = model.Memory.ActivationBytes;
        model.Predict(p, inputs, outputsReference);

        model.BatchMajor = true;
        double[][] gradients = [new double[p.Length], new double[p.Length]];
        double[] losses = new double[2], outputs = new double[Batch * 3];
        for (int i = 0; i < 2; i++)
        {
            model.MaxDegreeOfParallelism = i + 1;
            losses[i] = model.Gradient(p, inputs, targets, Loss.SoftmaxCrossEntropy, gradients[i]);
        }

        Assert.Equal(BitConverter.DoubleToInt64Bits(losses[0]), BitConverter.DoubleToInt64Bits(losses[1]));
        Assert.Equal(gradients[0].Select(BitConverter.DoubleToInt64Bits), gradients[1].Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(lossReference, losses[0], 12);
        AssertRelative(reference, gradients[0], 1e-12, "dL/dθ, batch-major against one sample at a time");
        model.Predict(p, inputs, outputs);
        AssertRelative(outputsReference, outputs, 1e-12, "outputs");

        // Batch-major holds every layer's input for all of a run's samples: the whole batch over the three runs.
        long perSample = model.Layers.Sum(l => (long)l.InputSize) * sizeof(double);
        Assert.Equal(Batch * perSample, model.Memory.ActivationBytes);
        Assert.Equal(Model.Partitions * perSample, activationsOneAtATime);
    }

    [Fact]
    public void Model_BatchMajor_MatchesCentralDifferencesOfTheLoss()
    {
        Model model = Classifier(Sensitivity.DiscreteAdjoint);
        var random = new Random(8);
        double[] p = model.CreateParameters(seed: 9), inputs = LayerChecks.Random(random, 6 * 64), gradient = new double[p.Length];
        double[] targets = Enumerable.Range(0, 6).Select(i => (double)(i % 3)).ToArray();
        model.Gradient(p, inputs, targets, Loss.SoftmaxCrossEntropy, gradient);
        for (int k = 0; k < p.Length; k += 7)
        {
            double central = LayerChecks.Central(e => model.Evaluate(LayerChecks.Nudge(p, k, e), inputs, targets, Loss.SoftmaxCrossEntropy), 1e-5);
            LayerChecks.AssertClose(central, gradient[k], 1e-6, $"dL/dθ[{k}]");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Model_GroupNormThenRelu_AsOnePass_GivesTheBitsOfTheTwo(bool single)
    {
        // A batch runs each GroupNorm and the ReLU after it as one pass and never writes the normalized image; the loss, the
        // gradient and the outputs must be those of the two layers run one after the other.
        var precision = single ? ConvolutionPrecision.Single : ConvolutionPrecision.Double;
        Layer[] Layers() =>
        [
            new Conv2d(1, 4, 8, 8, kernel: 3) { Precision = precision }, new GroupNorm(2, 4, 36), new Relu(4 * 36),
            new Conv2d(4, 4, 6, 6, kernel: 3, padding: 1) { Precision = precision }, new GroupNorm(2, 4, 36), new Relu(4 * 36),
            new GlobalAveragePool(4, 36), new Linear(4, 3),
        ];
        var random = new Random(31);
        double[] inputs = LayerChecks.Random(random, 40 * 64), targets = Enumerable.Range(0, 40).Select(i => (double)(i % 3)).ToArray();
        var results = new List<(double Loss, double[] Gradient, double[] Outputs)>();
        foreach (bool fuse in new[] { true, false })
        {
            var model = new Model(Layers()) { MaxDegreeOfParallelism = 1, FuseNormRelu = fuse, Lanes = LaneWidth.Lane1 };
            Assert.True(model.BatchMajor);
            double[] p = model.CreateParameters(seed: 32), gradient = new double[p.Length], outputs = new double[40 * 3];
            var nudge = new Random(33);
            for (int k = 0; k < p.Length; k++) p[k] += 0.1 * ((2 * nudge.NextDouble()) - 1);
            double loss = model.Gradient(p, inputs, targets, Loss.SoftmaxCrossEntropy, gradient);
            model.Predict(p, inputs, outputs);
            results.Add((loss, gradient, outputs));
        }

        Assert.Equal(BitConverter.DoubleToInt64Bits(results[1].Loss), BitConverter.DoubleToInt64Bits(results[0].Loss));
        Assert.Equal(results[1].Gradient.Select(BitConverter.DoubleToInt64Bits), results[0].Gradient.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(results[1].Outputs.Select(BitConverter.DoubleToInt64Bits), results[0].Outputs.Select(BitConverter.DoubleToInt64Bits));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ResidualBlock_KeptConvOutput_GivesTheBitsOfRecomputing_AndIsUsedOnlyForItsOwnForward(bool single)
    {
        // The block keeps conv₁'s output for the backward pass of the batch it ran forward; a backward pass on another x or
        // other parameters must recompute (the kept values would give another gradient), and every case the bits of a block
        // that keeps nothing.
        var precision = single ? ConvolutionPrecision.Single : ConvolutionPrecision.Double;
        var keeping = new ResidualBlock(16, 6, 6, groups: 4, precision: precision);
        var recomputing = new ResidualBlock(16, 6, 6, groups: 4, precision: precision) { KeepsConvOutput = false };
        Assert.True(keeping.KeepsConvOutput);
        const int Count = 5;
        var random = new Random(51);
        int n = keeping.InputSize;
        double[] x = LayerChecks.Random(random, Count * n), other = LayerChecks.Random(random, Count * n), yBar = LayerChecks.Random(random, Count * n);
        double[] p = new double[keeping.ParameterCount];
        keeping.Initialize(p, random);
        for (int k = 0; k < p.Length; k++) p[k] += 0.1 * ((2 * random.NextDouble()) - 1);
        double[] scratch = new double[keeping.BatchScratchSize(Count)], y = new double[Count * n];

        (double[] XBar, double[] PBar) Backward(ResidualBlock block, double[] input, double[] parameters)
        {
            double[] xBar = new double[Count * n], pBar = new double[p.Length];
            block.BackwardBatch(Count, input, parameters, yBar, xBar, pBar, scratch);
            return (xBar, pBar);
        }

        static void Same((double[] XBar, double[] PBar) expected, (double[] XBar, double[] PBar) actual)
        {
            Assert.Equal(expected.XBar.Select(BitConverter.DoubleToInt64Bits), actual.XBar.Select(BitConverter.DoubleToInt64Bits));
            Assert.Equal(expected.PBar.Select(BitConverter.DoubleToInt64Bits), actual.PBar.Select(BitConverter.DoubleToInt64Bits));
        }

        double[] p2 = (double[])p.Clone();
        p2[^1] += 0.25;   // conv₂'s last bias: conv₁'s output is the same, but the kept parameters are not
        double[] p3 = (double[])p.Clone();
        p3[keeping.ParameterShapes[0].Length] += 0.25;   // conv₁'s first weight
        keeping.ForwardBatch(Count, x, p, y, scratch);
        Same(Backward(recomputing, x, p), Backward(keeping, x, p));          // from the kept output
        Same(Backward(recomputing, other, p), Backward(keeping, other, p));  // another x: recomputed
        Same(Backward(recomputing, x, p3), Backward(keeping, x, p3));        // other weights of conv₁: recomputed
        Same(Backward(recomputing, x, p2), Backward(keeping, x, p2));
        Same(Backward(recomputing, x, p), Backward(keeping, x, p));          // the kept output again
        // Per sample, as the model counts it: the copy of x and conv₁'s output, and the parameters' copy.
        Assert.Equal((2L * n + p.Length) * sizeof(double), ((IBackwardMemory)keeping).HeldBackwardBytes);
        Assert.Null(((IBackwardMemory)recomputing).HeldBackwardBytes);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Model_ResidualBlocksKeepingConvOutput_AddTheirHeldBytes(bool keep)
    {
        // Every block holds its conv₁ output from its forward to its backward pass, all at once: the model's figure is the
        // blocks' sum (per sample), not the largest one's, so a deeper ResNet shows more memory, as it holds more.
        Layer[] Layers(int blocks) =>
        [
            new Conv2d(1, 4, 8, 8, kernel: 3), new GroupNorm(2, 4, 36), new Relu(4 * 36),
            .. Enumerable.Range(0, blocks).Select(_ => (Layer)new ResidualBlock(4, 6, 6, groups: 2) { KeepsConvOutput = keep }),
            new GlobalAveragePool(4, 36), new Linear(4, 3),
        ];
        var random = new Random(41);
        double[] inputs = LayerChecks.Random(random, 40 * 64), targets = Enumerable.Range(0, 40).Select(i => (double)(i % 3)).ToArray();
        long Held(int blocks)
        {
            var model = new Model(Layers(blocks)) { MaxDegreeOfParallelism = 1 };
            Assert.True(model.BatchMajor);
            double[] p = model.CreateParameters(seed: 42), gradient = new double[p.Length];
            // The least over calls: the figure also counts what a layer's backward pass allocated, and a call that lands on a
            // pool thread for the first time allocates that thread's buffers; the held bytes are in every call.
            long least = long.MaxValue;
            for (int call = 0; call < 6; call++)
            {
                model.Gradient(p, inputs, targets, Loss.SoftmaxCrossEntropy, gradient);
                least = Math.Min(least, model.Memory.OdeBlockBytes);
            }

            return least;
        }

        var block = new ResidualBlock(4, 6, 6, groups: 2);
        long perBlock = keep ? (2L * block.InputSize + block.ParameterCount) * sizeof(double) : 0;
        Assert.Equal(perBlock, Held(1));
        Assert.Equal(3 * perBlock, Held(3));
    }

    [Fact]
    public void Model_BatchMajor_AllocatesNothingPerBatch_AfterTheFirst()
    {
        Model model = Classifier(Sensitivity.BacksolveAdjoint);
        model.MaxDegreeOfParallelism = 1;   // Parallel.For allocates its own tasks
        var random = new Random(10);
        double[] p = model.CreateParameters(seed: 11), inputs = LayerChecks.Random(random, 40 * 64), gradient = new double[p.Length];
        double[] targets = Enumerable.Range(0, 40).Select(i => (double)(i % 3)).ToArray();
        model.Gradient(p, inputs, targets, Loss.SoftmaxCrossEntropy, gradient);
        Assert.Equal(0, Allocations.Least(() => model.Gradient(p, inputs, targets, Loss.SoftmaxCrossEntropy, gradient), windows: 3));
    }

    private static void AssertRelative(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Length == 0 ? 0 : expected.Max(Math.Abs);   // a layer without parameters has an empty parameterBar
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + scale), $"{what}[{i}]: {actual[i]} vs {expected[i]}");
    }
}
