using OdeGen.Models;
using OdeGen.Samples.Classifier;
using OdeGen.Samples.Data;
using OdeGen.Tests.Models;

namespace OdeGen.Tests.Samples;

/// <summary>
/// The classifier sample's models, small: every model learns in one epoch of 256 images, the full gradient of a tiny
/// classifier with an ODE block matches finite differences, the residual block's backward matches them too, the NFE
/// counter counts the solver's calls, and trained parameters survive a save/load round trip.
/// </summary>
public sealed class ClassifierTests
{
    // Images of ten classes told apart by texture, which a convolution sees wherever it is: class k has stripes across
    // (k even) or down (k odd) of period 2 + k/2, at a random phase, plus noise.
    private static ImageDataset Synthetic(int count, int seed, int size = 28)
    {
        var random = new Random(seed);
        var pixels = new byte[count * size * size];
        var labels = new byte[count];
        for (int n = 0; n < count; n++)
        {
            int k = n % 10, period = 2 + (k / 2), phase = random.Next(period);
            labels[n] = (byte)k;
            for (int r = 0; r < size; r++)
            {
                for (int c = 0; c < size; c++)
                {
                    bool stripe = ((k % 2 == 0 ? r : c) + phase) % period == 0;
                    pixels[(n * size * size) + (r * size) + c] = (byte)((stripe ? 200 : 20) + (40 * random.NextDouble()));
                }
            }
        }

        return new ImageDataset("synthetic", count, size, size, pixels, labels);
    }

    [Theory]
    [InlineData("resnet")]
    [InlineData("resnet1")]
    [InlineData("rknet")]
    [InlineData("odenet")]
    [InlineData("odenet-discrete")]
    public void OneEpochOf256Images_LowersTheTrainingLoss(string model)
    {
        ImageDataset data = Synthetic(256, seed: 1);
        ClassifierNetwork network = ClassifierNetwork.Create(new ClassifierSpec(model, Channels: 4, Blocks: 2, Steps: 2, Tolerance: 1e-2));
        var settings = new TrainingSettings(Epochs: 1, Seed: 3, BatchSize: 16, LearningRate: 0.1);
        double[] initial = network.Model.CreateParameters(settings.Seed);
        double before = MeanLoss(network, initial, data);

        TrainingResult result = new ClassifierTrainer(network, settings).Train(data, data.Count, data, 64);
        double after = MeanLoss(network, result.Parameters, data);

        // This architecture starts slowly (PyTorch's copy too, benchmarks/peers/odenet_torch.py --train-check): a fall, not a fit.
        Assert.True(after < before - 0.02, $"{model}: the loss over the 256 images went from {before:F4} to {after:F4}.");
        Assert.Equal(16, result.Steps.Count);
        EpochRecord epoch = Assert.Single(result.Epochs);
        Assert.True(epoch.ForwardEvaluations > 0 && epoch.BackwardEvaluations > 0);
        Assert.True(result.BackwardBytesPerSample >= network.ActivationBytesPerSample);
        if (model == "rknet")
        {
            // Two RK4 steps: their 8 stages forward (f at the end of the last step is not evaluated: nothing reads it), 8 VJPs backward.
            Assert.Equal(8.0, epoch.ForwardEvaluations);
            Assert.Equal(8.0, epoch.BackwardEvaluations);
        }
    }

    [Theory]
    [InlineData("rknet", 0)]
    [InlineData("resnet", 0)]
    [InlineData("rknet", 4)]
    public void TinyClassifier_FullGradientMatchesFiniteDifferences(string model, int hidden)
    {
        // 16×16 images → 2 channels of 3×3 after the stem; every parameter of the model is checked. RK-Net's gradient is the
        // exact derivative of its RK4 steps (the discrete adjoint), so it must agree with finite differences to their error;
        // also with 4 channels between the dynamics' convolutions (--hidden).
        (Model m, double[] theta, double[] inputs, double[] targets) = Tiny(new ClassifierSpec(model, Channels: 2, Blocks: 2, Steps: 3, Rows: 16, Columns: 16, Hidden: hidden));
        var gradient = new double[theta.Length];
        m.Gradient(theta, inputs, targets, Loss.SoftmaxCrossEntropy, gradient);

        double scale = Math.Max(1, gradient.Max(Math.Abs));
        for (int k = 0; k < theta.Length; k++)
        {
            double fd = LayerChecks.Central(e => m.Evaluate(LayerChecks.Nudge(theta, k, e), inputs, targets, Loss.SoftmaxCrossEntropy), 1e-6);
            Assert.True(Math.Abs(fd - gradient[k]) <= 2e-7 * scale,
                $"{model}: ∂L/∂θ[{k}] ({m.Layout.Slices.First(s => s.Offset <= k && k < s.Offset + s.Length).Name}) is {gradient[k]:E8}, finite differences give {fd:E8}.");
        }
    }

    [Theory]
    [InlineData("odenet-discrete")]
    [InlineData("odenet")]
    public void TinyClassifier_AdaptiveGradientAgreesWithAFineRk4Gradient(string model)
    {
        // An adaptive solve's steps move with θ, so finite differences of it are noise at the level of the tolerance. The
        // adaptive gradients are held instead to the (finite-difference-checked) RK-Net gradient at 200 steps: all three
        // approximate the gradient of the exact flow, which the ReLUs inside f make only piecewise smooth (RK4 at 50 and 200
        // steps differ by 1e-5 in the logits), so they agree to a few per cent in norm, not to rounding. The layouts are the
        // same: one θ serves the models.
        (Model fine, double[] theta, double[] inputs, double[] targets) = Tiny(new ClassifierSpec("rknet", Channels: 2, Steps: 200, Rows: 16, Columns: 16));
        (Model adaptive, _, _, _) = Tiny(new ClassifierSpec(model, Channels: 2, Tolerance: 1e-9, Rows: 16, Columns: 16));
        double[] expected = new double[theta.Length], actual = new double[theta.Length];
        fine.Gradient(theta, inputs, targets, Loss.SoftmaxCrossEntropy, expected);
        adaptive.Gradient(theta, inputs, targets, Loss.SoftmaxCrossEntropy, actual);
        double difference = Math.Sqrt(expected.Select((e, k) => (actual[k] - e) * (actual[k] - e)).Sum()), norm = Math.Sqrt(expected.Sum(e => e * e));
        Assert.True(difference <= 0.1 * norm, $"{model}: ‖g − g_RK4‖ = {difference:E3}, ‖g_RK4‖ = {norm:E3}.");
    }

    [Theory]
    [InlineData("rknet")]
    [InlineData("resnet")]
    [InlineData("odenet")]
    public void SinglePrecision_LossAndGradientAgreeWithDouble_ToFloatPrecision(string model)
    {
        // rknet's ODE block (fixed RK4 steps) agrees to 6e-7 of the largest entry. odenet's adaptive back-solve moves more: its
        // steps follow the error estimate, which float's rounding of f shifts, and it re-integrates z backwards with f rounded
        // at every stage (measured 2.4e-4 of the largest entry at tolerance 1e-8, 4.8e-3 at 1e-6, where the solver's own error
        // dominates): held to 1e-3 at 1e-8.
        var spec = new ClassifierSpec(model, Channels: 4, Blocks: 2, Steps: 3, Tolerance: 1e-8, Rows: 16, Columns: 16, BatchOde: model == "odenet");
        (Model reference, double[] theta, double[] inputs, double[] targets) = Tiny(spec);
        (Model single, _, _, _) = Tiny(spec with { Precision = ConvolutionPrecision.Single });
        double[] g = new double[theta.Length], gSingle = new double[theta.Length];
        double loss = reference.Gradient(theta, inputs, targets, Loss.SoftmaxCrossEntropy, g);
        double lossSingle = single.Gradient(theta, inputs, targets, Loss.SoftmaxCrossEntropy, gSingle);
        Assert.True(Math.Abs(loss - lossSingle) <= 1e-5 * Math.Abs(loss), $"{model}: loss {lossSingle} vs double {loss}");
        Assert.NotEqual(loss, lossSingle);
        double scale = g.Max(Math.Abs), allowed = (model == "odenet" ? 1e-3 : 1e-4) * scale;
        for (int k = 0; k < g.Length; k++)
            Assert.True(Math.Abs(g[k] - gSingle[k]) <= allowed, $"{model}: ∂L/∂θ[{k}] {gSingle[k]:E6} vs double {g[k]:E6}");
    }

    // A tiny classifier on three 16×16 images, its weights nudged away from γ = 1, β = 0.
    private static (Model Model, double[] Theta, double[] Inputs, double[] Targets) Tiny(ClassifierSpec spec)
    {
        ImageDataset data = Synthetic(3, seed: 2, size: spec.Rows);
        Model m = ClassifierNetwork.Create(spec).Model;
        m.MaxDegreeOfParallelism = 1;
        double[] theta = m.CreateParameters(seed: 5);
        var random = new Random(6);
        for (int k = 0; k < theta.Length; k++) theta[k] += 0.1 * ((2 * random.NextDouble()) - 1);
        var inputs = new double[data.Count * data.Size];
        var targets = new double[data.Count];
        ClassifierTrainer.Fill(data, [0, 1, 2], inputs, targets);
        return (m, theta, inputs, targets);
    }

    [Fact]
    public void ResidualBlock_BackwardMatchesFiniteDifferences() =>
        LayerChecks.AssertBackwardMatchesDifferences(new ResidualBlock(channels: 4, height: 3, width: 3, groups: 2), seed: 7);

    [Theory]
    [InlineData("resnet", false)]
    [InlineData("resnet", true)]
    [InlineData("odenet", true)]
    [InlineData("odenet-discrete", true)]
    public void Network_GradientOfABatchAllocatesNothingAfterTheFirst(string model, bool single)
    {
        // The residual blocks recompute their intermediates in the model's scratch: no buffer per call, per sample or per block;
        // the ODE-Net's dynamics (a batch solved as one system) reuse their thread's buffers.
        var spec = new ClassifierSpec(model, Channels: 4, Blocks: 3, Steps: 2, Tolerance: 1e-3, Rows: 16, Columns: 16, BatchOde: model != "resnet",
            Precision: single ? ConvolutionPrecision.Single : ConvolutionPrecision.Double);
        (Model m, double[] theta, double[] inputs, double[] targets) = Tiny(spec);
        var gradient = new double[theta.Length];
        m.Gradient(theta, inputs, targets, Loss.SoftmaxCrossEntropy, gradient);
        Assert.Equal(0, Allocations.Least(() => m.Gradient(theta, inputs, targets, Loss.SoftmaxCrossEntropy, gradient), windows: 3));
    }

    [Fact]
    public void SaveThenLoad_GivesTheSameParametersAndPredictions()
    {
        ImageDataset data = Synthetic(64, seed: 4);
        var spec = new ClassifierSpec("rknet", Channels: 4, Steps: 2);
        ClassifierNetwork network = ClassifierNetwork.Create(spec);
        TrainingResult result = new ClassifierTrainer(network, new TrainingSettings(Epochs: 1, BatchSize: 32)).Train(data, 64, data, 0);
        string path = Path.Combine(Path.GetTempPath(), $"odegen-classifier-{Guid.NewGuid():N}.params");
        try
        {
            network.Model.Save(path, result.Parameters);
            ClassifierNetwork fresh = ClassifierNetwork.Create(spec);
            double[] loaded = fresh.Model.Load(path);
            Assert.Equal(result.Parameters, loaded);
            var trainer = new ClassifierTrainer(fresh, new TrainingSettings());
            Assert.Equal(new ClassifierTrainer(network, new TrainingSettings()).Error(result.Parameters, data, 64), trainer.Error(loaded, data, 64));

            // Another model's layout is refused with a message, not read as numbers.
            Assert.Throws<InvalidDataException>(() => ClassifierNetwork.Create(spec with { Channels = 8 }).Model.Load(path));
            Assert.Throws<InvalidDataException>(() => ClassifierNetwork.Create(spec with { Model = "resnet" }).Model.Load(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void IntegralControl_TakesTorchdiffeqsEvaluations_WherePiTakesMore()
    {
        // docs/odenet.md, "Function evaluations": at 16 channels and initialization, on random images, torchdiffeq's
        // integral control takes 32 evaluations (2 to choose the first step, 5 steps of 6), OdeGen's PI default 50.
        var random = new Random(5);
        var inputs = new double[4 * 28 * 28];
        for (int i = 0; i < inputs.Length; i++) inputs[i] = random.NextDouble();
        double[] targets = [1, 2, 3, 4];
        var nfe = new Dictionary<StepSizeControl, (double Forward, double Backward)>();
        foreach (StepSizeControl controller in new[] { StepSizeControl.Integral, StepSizeControl.ProportionalIntegral })
        {
            ClassifierNetwork network = ClassifierNetwork.Create(new ClassifierSpec("odenet", Channels: 16, Controller: controller));
            double[] theta = network.Model.CreateParameters(0);
            network.Model.Gradient(theta, inputs, targets, Loss.SoftmaxCrossEntropy, new double[theta.Length]);
            nfe[controller] = (network.ForwardEvaluations, network.BackwardEvaluations);
        }

        Assert.Equal(32.0, nfe[StepSizeControl.Integral].Forward);
        Assert.Equal(50.0, nfe[StepSizeControl.ProportionalIntegral].Forward);
        Assert.True(nfe[StepSizeControl.Integral].Backward < nfe[StepSizeControl.ProportionalIntegral].Backward,
            $"backward NFE: integral {nfe[StepSizeControl.Integral].Backward}, PI {nfe[StepSizeControl.ProportionalIntegral].Backward}");
        Assert.Equal(StepSizeControl.Integral, new ClassifierSpec("odenet", 16).Controller);
    }

    [Fact]
    public void Create_RejectsAnUnknownModel()
    {
        var e = Assert.Throws<ArgumentException>(() => ClassifierNetwork.Create(new ClassifierSpec("densenet", 4)));
        Assert.Contains("resnet, resnet1, rknet, odenet, odenet-discrete", e.Message);
    }

    [Fact]
    public void Create_NamesTheGroupsFlag_WhenTorchdiffeqsGroupsDoNotSplitTheChannels()
    {
        // min(32, 40) = 32 groups cannot split 40 channels: the message names the rule and a --groups that would.
        var e = Assert.Throws<ArgumentException>(() => ClassifierNetwork.Create(new ClassifierSpec("odenet", 40)));
        Assert.Contains("--channels 40", e.Message);
        Assert.Contains("--groups 20", e.Message);
        e = Assert.Throws<ArgumentException>(() => ClassifierNetwork.Create(new ClassifierSpec("resnet", 8, Groups: 3)));
        Assert.Contains("--groups 3", e.Message);

        ClassifierNetwork network = ClassifierNetwork.Create(new ClassifierSpec("resnet1", 40, Groups: 20));
        Assert.All(network.Model.Layers.OfType<GroupNorm>(), norm => Assert.Equal(20, norm.Groups));
        Assert.All(ClassifierNetwork.Create(new ClassifierSpec("resnet1", 64)).Model.Layers.OfType<GroupNorm>(), norm => Assert.Equal(32, norm.Groups));
    }

    [Fact]
    public void Hidden_WidensTheOdeBlockOnly_WithinHalfTheResNetsParameters()
    {
        // The 32-channel table's wider ODE-Net: 64 channels between the dynamics' convolutions, under half the six-block ResNet.
        int resnet = ClassifierNetwork.Create(new ClassifierSpec("resnet", 32)).Model.ParameterCount;
        int odenet = ClassifierNetwork.Create(new ClassifierSpec("odenet", 32)).Model.ParameterCount;
        int wide = ClassifierNetwork.Create(new ClassifierSpec("odenet", 32, Hidden: 64)).Model.ParameterCount;
        Assert.Equal((145_418, 52_938, 71_754), (resnet, odenet, wide));
        Assert.True(2 * wide <= resnet);
        Assert.Equal(odenet, ClassifierNetwork.Create(new ClassifierSpec("odenet", 32, Hidden: 32)).Model.ParameterCount);

        Assert.Contains("--hidden 20", Assert.Throws<ArgumentException>(() => ClassifierNetwork.Create(new ClassifierSpec("odenet", 32, Hidden: 20, Groups: 8))).Message);
        Assert.Contains("no ODE block", Assert.Throws<ArgumentException>(() => ClassifierNetwork.Create(new ClassifierSpec("resnet", 32, Hidden: 64))).Message);
    }

    private static double MeanLoss(ClassifierNetwork network, double[] theta, ImageDataset data)
    {
        var inputs = new double[data.Count * data.Size];
        var targets = new double[data.Count];
        ClassifierTrainer.Fill(data, Enumerable.Range(0, data.Count).ToArray(), inputs, targets);
        return network.Model.Evaluate(theta, inputs, targets, Loss.SoftmaxCrossEntropy);
    }
}
