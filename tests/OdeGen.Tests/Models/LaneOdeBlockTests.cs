using OdeGen.Lanes;
using OdeGen.Models;
using OdeGen.Testing;
using OdeGen.Tests.Generated;

namespace OdeGen.Tests.Models;

/// <summary>
/// A model with an ODE block of generated lane dynamics runs its samples through the block in lanes (fixed step): the same
/// loss and gradient as one sample at a time to rounding, for each sensitivity, the same bits on one thread or two.
/// </summary>
public class LaneOdeBlockTests
{
    public static TheoryData<string> SensitivityNames => new("Forward", "BacksolveAdjoint", "InterpolatingAdjoint", "DiscreteAdjoint");

    private static readonly SolverOptions FixedRk4 = new() { Method = OdeMethod.RK4, FixedStep = 0.05 };

    private static Model StemOdeHead(string sensitivity, SolverOptions options) => new(
        new Linear(3, 2),
        new Tanh(2),
        new LaneOdeBlock<LaneMlp.RhsSystem>(new LaneMlp.RhsSystem(), 0, 0.5, sensitivity switch
        {
            "Forward" => Sensitivity.Forward,
            "BacksolveAdjoint" => Sensitivity.BacksolveAdjoint,
            "InterpolatingAdjoint" => Sensitivity.InterpolatingAdjoint(),
            _ => Sensitivity.DiscreteAdjoint,
        }, options),
        new Linear(2, 3));

    [Theory]
    [MemberData(nameof(SensitivityNames))]
    public void Lanes_EqualOneSampleAtATime_AndDoNotDependOnThreads(string sensitivity)
    {
        Model model = StemOdeHead(sensitivity, FixedRk4);
        Assert.All(model.Layers, l => Assert.True(l.HasLanes, l.ToString()));
        var random = new Random(8);
        // Model.Partitions runs of 8 or 9 samples: every width takes lane groups, and some runs end with samples left over.
        const int Batch = Model.Partitions * 8 + 5;
        double[] p = model.CreateParameters(seed: 4), inputs = LayerChecks.Random(random, Batch * 3);
        double[] targets = Enumerable.Range(0, Batch).Select(i => (double)(i % 3)).ToArray();
        (double loss, double[] gradient, long activations) = Run(model, LaneWidth.Lane1, 1, p, inputs, targets);
        foreach (LaneWidth width in new[] { LaneWidth.Lane128, LaneWidth.Lane256, LaneWidth.Lane512 })
        {
            var one = Run(model, width, 1, p, inputs, targets);
            var two = Run(model, width, 2, p, inputs, targets);
            Assert.True(one.Activations > activations, $"{width}: the lane path ran (a group's activations are held at once)");
            Assert.Equal(BitConverter.DoubleToInt64Bits(one.Loss), BitConverter.DoubleToInt64Bits(two.Loss));
            Assert.Equal(one.Gradient.Select(BitConverter.DoubleToInt64Bits), two.Gradient.Select(BitConverter.DoubleToInt64Bits));
            Assert.Equal(loss, one.Loss, 12);
            for (int k = 0; k < p.Length; k++)
                Assert.True(Math.Abs(gradient[k] - one.Gradient[k]) <= 1e-12 * (1 + Math.Abs(gradient[k])), $"{width} {sensitivity}: dL/dθ[{k}] {one.Gradient[k]} vs {gradient[k]}");
        }
    }

    [Fact]
    public void AdaptiveSteps_RunOneSampleAtATime()
    {
        Model model = StemOdeHead("InterpolatingAdjoint", new SolverOptions { RelTol = 1e-8, AbsTol = 1e-8 });
        Assert.False(model.Layers[2].HasLanes);
        var random = new Random(9);
        double[] p = model.CreateParameters(seed: 4), inputs = LayerChecks.Random(random, 16 * 3), targets = new double[16];
        var lanes = Run(model, LaneWidth.Auto, 1, p, inputs, targets);
        var scalar = Run(model, LaneWidth.Lane1, 1, p, inputs, targets);
        Assert.Equal(scalar.Activations, lanes.Activations);
        Assert.Equal(scalar.Gradient, lanes.Gradient);
    }

    [Theory]
    [InlineData("BacksolveAdjoint")]
    [InlineData("InterpolatingAdjoint")]
    [InlineData("DiscreteAdjoint")]
    public void LaneModel_AllocatesNothingPerBatch_AfterTheFirst(string sensitivity)
    {
        // One thread, every lane width (emulated where the hardware lacks it) and one sample at a time: after the first
        // batch nothing is allocated. The model splits a batch into Model.Partitions runs and a run takes lane groups
        // only when it holds a whole group, so a batch of 16 × 8 samples puts every width on the lane path (a batch of
        // 32 had left Lane256 and Lane512 one sample at a time, and hidden that the lane block's ensemble calls allocated).
        Model model = StemOdeHead(sensitivity, FixedRk4);
        model.MaxDegreeOfParallelism = 1;
        var random = new Random(8);
        const int Batch = Model.Partitions * 8;
        double[] p = model.CreateParameters(seed: 4), inputs = LayerChecks.Random(random, Batch * 3), gradient = new double[p.Length];
        double[] targets = Enumerable.Range(0, Batch).Select(i => (double)(i % 3)).ToArray();
        foreach (LaneWidth width in new[] { LaneWidth.Auto, LaneWidth.Lane512, LaneWidth.Lane256, LaneWidth.Lane128, LaneWidth.Lane1 })
        {
            model.Lanes = width;
            model.Gradient(p, inputs, targets, Loss.SoftmaxCrossEntropy, gradient);
            model.Gradient(p, inputs, targets, Loss.SoftmaxCrossEntropy, gradient);
            // Five windows: under heavy load the runtime's own one-off work (tiering) once landed in all three of three.
            long bytes = Allocations.Least(() => model.Gradient(p, inputs, targets, Loss.SoftmaxCrossEntropy, gradient), windows: 5);
            Assert.True(bytes == 0, $"{width}: {bytes} B per batch after the first");
        }
    }

    [Theory]
    [InlineData("BacksolveAdjoint")]
    [InlineData("InterpolatingAdjoint")]
    public void BackwardLanes_ThroughTheBlocksWorkspace_AllocateNothingAfterTheFirst(string sensitivity)
    {
        // The adjoints run a group's samples one by one through the block's per-thread workspace (the ensemble call's
        // trajectory-by-trajectory path, without its result objects); the numbers are the per-sample block's.
        var block = (LaneOdeBlock<LaneMlp.RhsSystem>)StemOdeHead(sensitivity, FixedRk4).Layers[2];
        var random = new Random(10);
        int n = block.InputSize, m = block.ParameterCount, lanes = Lane128.Count;
        double[] theta = LayerChecks.Random(random, m);
        double[] xs = LayerChecks.Random(random, lanes * n), yBars = LayerChecks.Random(random, lanes * n);
        Lane128[] x = new Lane128[n], yBar = new Lane128[n], p = new Lane128[m], xBar = new Lane128[n], pBar = new Lane128[m];
        for (int i = 0; i < n; i++)
        {
            x[i] = Lane128.Load([xs[i], xs[n + i]]);
            yBar[i] = Lane128.Load([yBars[i], yBars[n + i]]);
        }
        for (int k = 0; k < m; k++) p[k] = Lane128.Create(theta[k]);
        block.BackwardLanes<Lane128>(x, p, yBar, xBar, pBar);

        Assert.Equal(0, Allocations.Least(() => block.BackwardLanes<Lane128>(x, p, yBar, xBar, pBar), windows: 3));

        // Lane j's dL/dx is the per-sample block's.
        for (int j = 0; j < lanes; j++)
        {
            double[] one = new double[n], pOne = new double[m];
            block.Backward(xs.AsSpan(j * n, n), theta, yBars.AsSpan(j * n, n), one, pOne, []);
            var fresh = new Lane128[n];
            var freshP = new Lane128[m];
            block.BackwardLanes<Lane128>(x, p, yBar, fresh, freshP);
            for (int i = 0; i < n; i++) Assert.Equal(one[i], System.Runtime.InteropServices.MemoryMarshal.Cast<Lane128, double>(fresh)[(i * lanes) + j]);
        }
    }

    private static (double Loss, double[] Gradient, long Activations) Run(Model model, LaneWidth width, int threads, double[] p, double[] inputs, double[] targets)
    {
        model.Lanes = width;
        model.BatchMajor = false;   // Lane1 is the reference: one sample at a time
        model.MaxDegreeOfParallelism = threads;
        double[] gradient = new double[p.Length];
        double loss = model.Gradient(p, inputs, targets, Loss.SoftmaxCrossEntropy, gradient);
        return (loss, gradient, model.Memory.ActivationBytes);
    }
}
