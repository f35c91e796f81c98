using OdeGen.Models;
using OdeGen.Neural;

namespace OdeGen.Tests.Models;

/// <summary>
/// An ODE block that solves a batch as one system (<see cref="OdeBlock{TSystem}.BatchAsOneSystem"/>): with a fixed step it
/// equals one solve per sample; with an adaptive step its gradient matches central differences; batch-major dynamics equal
/// their one-sample passes; the batch system's Jacobian, Jvp and Vjp agree; nothing is allocated after the first batch.
/// </summary>
public class OdeBlockBatchTests
{
    private static readonly SolverOptions FixedRk4 = new() { Method = OdeMethod.RK4, FixedStep = 0.25 };

    // A stem to a 4 × 3 × 3 image, the ODE-Net's dynamics over it, a head.
    private static Model ImageModel(Sensitivity sensitivity, SolverOptions options, bool together)
    {
        var f = new OdeNetDynamics(4, 3, 3, groups: 2);
        return new Model(
            new Conv2d(1, 4, 6, 6, kernel: 4, stride: 2, padding: 1), new Relu(36),
            new OdeBlock<OdeNetDynamics>(f, 0, 1, sensitivity, options, f.Initialize) { BatchAsOneSystem = together },
            new GlobalAveragePool(4, 9), new Linear(4, 3));
    }

    public static TheoryData<string> SensitivityNames => new("BacksolveAdjoint", "InterpolatingAdjoint", "DiscreteAdjoint");

    private static Sensitivity Named(string name) => name switch
    {
        "BacksolveAdjoint" => Sensitivity.BacksolveAdjoint,
        "InterpolatingAdjoint" => Sensitivity.InterpolatingAdjoint(),
        _ => Sensitivity.DiscreteAdjoint,
    };

    [Theory]
    [MemberData(nameof(SensitivityNames))]
    public void FixedStep_BatchAsOneSystem_EqualsOneSolvePerSample_ForAnyThreadCount(string sensitivity)
    {
        const int Batch = 45;   // two runs of 22 and 23 samples
        var random = new Random(3);
        double[] inputs = LayerChecks.Random(random, Batch * 36), targets = Enumerable.Range(0, Batch).Select(i => (double)(i % 3)).ToArray();
        Model each = ImageModel(Named(sensitivity), FixedRk4, together: false), together = ImageModel(Named(sensitivity), FixedRk4, together: true);
        double[] p = each.CreateParameters(seed: 5), reference = new double[p.Length];
        double lossReference = each.Gradient(p, inputs, targets, Loss.SoftmaxCrossEntropy, reference);

        double[][] gradients = [new double[p.Length], new double[p.Length]];
        double[] losses = new double[2];
        for (int i = 0; i < 2; i++)
        {
            together.MaxDegreeOfParallelism = i + 1;
            losses[i] = together.Gradient(p, inputs, targets, Loss.SoftmaxCrossEntropy, gradients[i]);
        }

        Assert.Equal(BitConverter.DoubleToInt64Bits(losses[0]), BitConverter.DoubleToInt64Bits(losses[1]));
        Assert.Equal(gradients[0].Select(BitConverter.DoubleToInt64Bits), gradients[1].Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(lossReference, losses[0], 12);
        double scale = reference.Max(Math.Abs);
        for (int k = 0; k < p.Length; k++)
            Assert.True(Math.Abs(reference[k] - gradients[0][k]) <= 1e-12 * (1 + scale), $"{sensitivity}: dL/dθ[{k}] {gradients[0][k]} vs {reference[k]}");
    }

    [Fact]
    public void Adaptive_BatchAsOneSystem_MatchesCentralDifferencesOfTheLoss()
    {
        // Smooth dynamics without batch methods: the batch system evaluates them sample by sample, one step size for all.
        var model = new Model(
            new Linear(3, 4),
            new OdeBlock<TanhMlpSystem>(new TanhMlpSystem(4, 5), 0, 1, Sensitivity.InterpolatingAdjoint(), new SolverOptions { RelTol = 1e-11, AbsTol = 1e-12 })
            { BatchAsOneSystem = true },
            new Linear(4, 2));
        Assert.True(model.Layers[1].HasBatch);
        var random = new Random(4);
        double[] p = model.CreateParameters(seed: 6), inputs = LayerChecks.Random(random, 5 * 3), targets = LayerChecks.Random(random, 5 * 2);
        double[] gradient = new double[p.Length];
        model.Gradient(p, inputs, targets, Loss.MeanSquaredError, gradient);
        for (int k = 0; k < p.Length; k++)
        {
            double central = LayerChecks.Central(e => model.Evaluate(LayerChecks.Nudge(p, k, e), inputs, targets, Loss.MeanSquaredError), 1e-5);
            LayerChecks.AssertClose(central, gradient[k], 2e-6, $"dL/dθ[{k}]");
        }
    }

    [Fact]
    public void OdeNetDynamics_BatchPasses_EqualOneSampleAtATime()
    {
        var f = new OdeNetDynamics(4, 3, 3, groups: 2);
        const int Count = 7;
        int n = f.StateCount, m = f.ParameterCount;
        var random = new Random(5);
        double[] p = new double[m];
        f.Initialize(p, random);
        double[] y = LayerChecks.Random(random, Count * n), a = LayerChecks.Random(random, Count * n);
        double[] dydt = new double[Count * n], yBar = LayerChecks.Random(random, Count * n), pBar = LayerChecks.Random(random, m);
        double[] dydtB = new double[Count * n], yBarB = (double[])yBar.Clone(), pBarB = (double[])pBar.Clone();
        double tBar = 0;
        for (int s = 0; s < Count; s++)
        {
            f.Evaluate(0.4, y.AsSpan(s * n, n), p, dydt.AsSpan(s * n, n));
            tBar += f.Vjp(0.4, y.AsSpan(s * n, n), p, a.AsSpan(s * n, n), yBar.AsSpan(s * n, n), pBar);
        }

        f.EvaluateBatch(Count, 0.4, y, p, dydtB);
        double tBarB = f.VjpBatch(Count, 0.4, y, p, a, yBarB, pBarB);
        Assert.Equal(dydt.Select(BitConverter.DoubleToInt64Bits), dydtB.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(yBar.Select(BitConverter.DoubleToInt64Bits), yBarB.Select(BitConverter.DoubleToInt64Bits));
        for (int k = 0; k < m; k++) Assert.True(Math.Abs(pBar[k] - pBarB[k]) <= 1e-12 * (1 + Math.Abs(pBar[k])), $"pBar[{k}]");
        Assert.Equal(tBar, tBarB, 12);
    }

    [Fact]
    public void BatchSystem_JacobianJvpAndVjp_Agree()
    {
        var inner = new TanhMlpSystem(3, 4);
        var batch = new BatchSystem<TanhMlpSystem>(inner, null, 3);
        int n = batch.StateCount, m = batch.ParameterCount;
        Assert.Equal(9, n);
        var random = new Random(6);
        double[] y = LayerChecks.Random(random, n), p = LayerChecks.Random(random, m, 0.5), yDot = LayerChecks.Random(random, n), pDot = LayerChecks.Random(random, m);
        double[] dfdy = new double[n * n], dfdp = new double[n * m], f = new double[n], fDot = new double[n];
        batch.Jacobian(0.2, y, p, dfdy, dfdp);
        batch.Jvp(0.2, y, p, 0.0, yDot, pDot, f, fDot);
        for (int i = 0; i < n; i++)
        {
            double expected = 0;
            for (int j = 0; j < n; j++) expected += dfdy[(i * n) + j] * yDot[j];
            for (int k = 0; k < m; k++) expected += dfdp[(i * m) + k] * pDot[k];
            Assert.Equal(expected, fDot[i], 12);
        }

        // The samples do not interact: ∂f/∂y is zero off the diagonal blocks.
        Assert.Equal(0.0, dfdy[(0 * n) + 3]);
        Assert.Equal(0.0, dfdy[(8 * n) + 2]);

        double[] a = LayerChecks.Random(random, n), yBar = new double[n], pBar = new double[m];
        batch.Vjp(0.2, y, p, a, yBar, pBar);
        double left = LayerChecks.Dot(a, fDot), right = LayerChecks.Dot(yBar, yDot) + LayerChecks.Dot(pBar, pDot);
        Assert.True(Math.Abs(left - right) <= 1e-12 * (1 + Math.Abs(left)), $"⟨a, J·v⟩ = {left}, ⟨Jᵀa, v⟩ = {right}");
    }

    [Fact]
    public void BatchAsOneSystem_AllocatesNothingPerBatch_AfterTheFirst()
    {
        Model model = ImageModel(Sensitivity.BacksolveAdjoint, new SolverOptions { RelTol = 1e-4, AbsTol = 1e-4 }, together: true);
        model.MaxDegreeOfParallelism = 1;
        var random = new Random(7);
        double[] p = model.CreateParameters(seed: 8), inputs = LayerChecks.Random(random, 40 * 36), gradient = new double[p.Length];
        double[] targets = Enumerable.Range(0, 40).Select(i => (double)(i % 3)).ToArray();
        model.Gradient(p, inputs, targets, Loss.SoftmaxCrossEntropy, gradient);
        Assert.Equal(0, Allocations.Least(() => model.Gradient(p, inputs, targets, Loss.SoftmaxCrossEntropy, gradient), windows: 3));
        Assert.True(model.Memory.OdeBlockBytes > 0);
    }
}
