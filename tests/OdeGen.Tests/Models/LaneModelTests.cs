using OdeGen.Models;

namespace OdeGen.Tests.Models;

/// <summary>A model of layers with lane methods runs its samples in SIMD lanes: the same numbers as one sample at a time (to rounding), at every width and thread count, allocation-free.</summary>
public class LaneModelTests
{
    public static TheoryData<string> ModelNames => new(Models.Keys);

    private static readonly Dictionary<string, Func<Model>> Models = new()
    {
        ["dense"] = () => new(
            new Linear(6, 8), new Softplus(8), new GroupNorm(groups: 2, channels: 4, pixels: 2), new Relu(8),
            new GlobalAveragePool(channels: 4, pixels: 2), new Tanh(4), new GruCell(inputs: 2, hidden: 2), new Linear(2, 3)),
        // Convolutions in lanes are their matrix products over the group's pixels side by side (stride 1 and 2, the time plane).
        ["convolutional"] = () => new(
            new Conv2d(2, 4, 6, 5, kernel: 3, padding: 1), new GroupNorm(groups: 2, channels: 4, pixels: 30), new Relu(120),
            new Conv2d(4, 3, 6, 5, kernel: 4, stride: 2, padding: 1), new TimeConv2d(3, 3, 3, 2, kernel: 3, padding: 1),
            new GlobalAveragePool(channels: 3, pixels: 6), new Linear(3, 3)),
    };

    private static Model LaneModel(string name = "dense") => Models[name]();

    private static (double Loss, double[] Gradient, double[] Outputs, long Activations) Run(Model model, LaneWidth width, int threads, double[] p, double[] inputs, double[] targets)
    {
        model.Lanes = width;
        model.BatchMajor = false;   // Lane1 is the reference: one sample at a time
        model.MaxDegreeOfParallelism = threads;
        double[] gradient = new double[p.Length], outputs = new double[targets.Length * 3];
        double loss = model.Gradient(p, inputs, targets, Loss.SoftmaxCrossEntropy, gradient);
        model.Predict(p, inputs, outputs);
        return (loss, gradient, outputs, model.Memory.ActivationBytes);
    }

    [Theory]
    [MemberData(nameof(ModelNames))]
    public void Lanes_EqualOneSampleAtATime_AtEveryWidthAndThreadCount(string name)
    {
        Model model = LaneModel(name);
        Assert.All(model.Layers, l => Assert.True(l.HasLanes, l.ToString()));
        var random = new Random(5);
        const int Batch = 141;   // 16 runs of 8 or 9 samples: every width runs lane groups and leaves remainders to run one at a time
        double[] p = model.CreateParameters(seed: 2), inputs = LayerChecks.Random(random, Batch * model.InputSize);
        double[] targets = Enumerable.Range(0, Batch).Select(i => (double)(i % 3)).ToArray();
        var scalar = Run(model, LaneWidth.Lane1, 1, p, inputs, targets);

        foreach (LaneWidth width in new[] { LaneWidth.Lane128, LaneWidth.Lane256, LaneWidth.Lane512 })
        {
            var one = Run(model, width, 1, p, inputs, targets);
            var two = Run(model, width, 2, p, inputs, targets);
            // A run holds a lane group's activations at once: the lane path ran.
            int lanes = width switch { LaneWidth.Lane128 => 2, LaneWidth.Lane256 => 4, _ => 8 };
            Assert.Equal(lanes * scalar.Activations, one.Activations);
            Assert.Equal(BitConverter.DoubleToInt64Bits(one.Loss), BitConverter.DoubleToInt64Bits(two.Loss));
            Assert.Equal(one.Gradient.Select(BitConverter.DoubleToInt64Bits), two.Gradient.Select(BitConverter.DoubleToInt64Bits));
            Assert.Equal(scalar.Loss, one.Loss, 13);
            for (int k = 0; k < p.Length; k++)
                Assert.True(Math.Abs(scalar.Gradient[k] - one.Gradient[k]) <= 1e-13 * (1 + Math.Abs(scalar.Gradient[k])), $"{width}: dL/dθ[{k}] {one.Gradient[k]} vs {scalar.Gradient[k]}");
            for (int i = 0; i < scalar.Outputs.Length; i++)
                Assert.True(Math.Abs(scalar.Outputs[i] - one.Outputs[i]) <= 1e-13 * (1 + Math.Abs(scalar.Outputs[i])), $"{width}: output {i}");
        }
    }

    [Theory]
    [MemberData(nameof(ModelNames))]
    public void LaneBatch_AllocatesNothing_AfterTheFirst(string name)
    {
        Model model = LaneModel(name);
        model.MaxDegreeOfParallelism = 1;
        var random = new Random(6);
        // 16 runs of 8 samples: every width takes lane groups (40 samples left Lane256 and Lane512 one sample at a time).
        const int Batch = Model.Partitions * 8;
        double[] p = model.CreateParameters(), inputs = LayerChecks.Random(random, Batch * model.InputSize), gradient = new double[p.Length];
        double[] targets = Enumerable.Range(0, Batch).Select(i => (double)(i % 3)).ToArray();
        foreach (LaneWidth width in new[] { LaneWidth.Auto, LaneWidth.Lane512, LaneWidth.Lane256, LaneWidth.Lane128 })
        {
            model.Lanes = width;
            model.Gradient(p, inputs, targets, Loss.SoftmaxCrossEntropy, gradient);
            model.Gradient(p, inputs, targets, Loss.SoftmaxCrossEntropy, gradient);
            long bytes = OdeGen.Testing.Allocations.Least(() => model.Gradient(p, inputs, targets, Loss.SoftmaxCrossEntropy, gradient), windows: 3);
            Assert.True(bytes == 0, $"{width}: {bytes} B per batch after the first");
        }
    }
}
