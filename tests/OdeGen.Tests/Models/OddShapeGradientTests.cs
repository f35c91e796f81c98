using OdeGen.Models;
using OdeGen.Tests.Generated;

namespace OdeGen.Tests.Models;

/// <summary>
/// The model's gradient against central differences of its loss on shapes where SIMD tails do the work: width-1 layers,
/// sizes that are no multiple of any vector width, batches smaller than a lane group (1) and one past a batch-major run (33),
/// at every lane width and batch-major. Whatever instruction sets the process has (DOTNET_EnableAVX512=0, the name .NET 10 reads,
/// DOTNET_EnableAVX2=0 change the paths the JIT takes), the derivative is the loss's.
/// </summary>
public class OddShapeGradientTests
{
    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (string name in Models.Keys)
        {
            foreach (int batch in new[] { 1, 3, 33 }) data.Add(name, batch);
        }

        return data;
    }

    private static readonly Dictionary<string, Func<Layer[]>> Models = new()
    {
        ["width 1"] = () => [new Linear(1, 1), new Tanh(1), new Linear(1, 1)],
        ["odd dense"] = () => [new Linear(7, 9), new Softplus(9), new Linear(9, 5), new Tanh(5), new GruCell(2, 3), new Linear(3, 3)],
        ["group norm"] = () => [new GroupNorm(1, 3, 5), new Tanh(15), new GroupNorm(3, 3, 5), new Linear(15, 2)],
        ["convolutions"] = () => [new Conv2d(1, 3, 5, 5, 3, padding: 1), new Tanh(75), new Conv2d(3, 3, 5, 5, 3, stride: 2, padding: 1),
            new GlobalAveragePool(3, 9), new Linear(3, 2)],
        ["1x1 convolution"] = () => [new Conv2d(3, 5, 3, 7, 1), new Linear(105, 1)],
        ["residual"] = () => [new ResidualBlock(2, 3, 3, 1), new GlobalAveragePool(2, 9), new Linear(2, 2)],
        ["lane ODE block"] = () => [new Linear(2, 2), new LaneOdeBlock<LaneMlp.RhsSystem>(new LaneMlp.RhsSystem(), 0, 0.3, Sensitivity.DiscreteAdjoint,
            new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.1 }), new Linear(2, 3)],
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Gradient_MatchesCentralDifferences_AtEveryLaneWidth(string name, int batch)
    {
        foreach ((LaneWidth lanes, bool batchMajor) in new[]
        {
            (LaneWidth.Lane1, false), (LaneWidth.Lane1, true), (LaneWidth.Lane128, false), (LaneWidth.Lane256, false), (LaneWidth.Lane512, false),
        })
        {
            var model = new Model(Models[name]()) { Lanes = lanes, BatchMajor = batchMajor };
            var random = new Random(batch + 3);
            double[] p = model.CreateParameters(seed: 4);
            double[] x = LayerChecks.Random(random, batch * model.InputSize), targets = LayerChecks.Random(random, batch * model.OutputSize);
            double[] gradient = new double[model.ParameterCount];
            model.Gradient(p, x, targets, Loss.MeanSquaredError, gradient);
            for (int direction = 0; direction < 2; direction++)
            {
                double[] v = LayerChecks.Random(random, p.Length);
                double fd = LayerChecks.Central(h => model.Evaluate(LayerChecks.Axpy(p, h, v), x, targets, Loss.MeanSquaredError), 1e-5);
                double analytic = LayerChecks.Dot(gradient, v);
                Assert.True(Math.Abs(fd - analytic) <= 1e-6 * (1 + Math.Abs(analytic)),
                    $"{name}, batch {batch}, {lanes}{(batchMajor ? " batch-major" : "")}: ⟨∇L, v⟩ = {analytic}, central difference {fd}");
            }
        }
    }
}
