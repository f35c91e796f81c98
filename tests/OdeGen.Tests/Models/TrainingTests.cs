using Xunit.Abstractions;
using OdeGen.Models;
using OdeGen.Neural;

namespace OdeGen.Tests.Models;

/// <summary>End to end: Linear → ODE block → Linear trained with Adam on a toy regression; the loss must drop by a factor of 100 (it drops about 500-fold).</summary>
public class ModelTrainingTests(ITestOutputHelper output)
{
    [Fact]
    public void StemOdeBlockHead_LearnsAToyRegression()
    {
        // Targets: (sin(x₀ + x₁), x₀·x₁) on 64 points of [−1, 1]²; a 2 → 4 stem, a 4-state ODE block, a 4 → 2 head.
        var random = new Random(7);
        const int Count = 64;
        double[] inputs = LayerChecks.Random(random, 2 * Count), targets = new double[2 * Count];
        for (int s = 0; s < Count; s++)
        {
            double a = inputs[2 * s], b = inputs[(2 * s) + 1];
            targets[2 * s] = Math.Sin(a + b);
            targets[(2 * s) + 1] = a * b;
        }

        var model = new Model(
            new Linear(2, 4),
            new OdeBlock<TanhMlpSystem>(new TanhMlpSystem(4, 8), 0, 1, Sensitivity.BacksolveAdjoint, new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.1 }),
            new Linear(4, 2));
        double[] p = model.CreateParameters(seed: 1), gradient = new double[p.Length];
        var adam = new Adam(learningRate: 0.02);
        double first = model.Evaluate(p, inputs, targets, Loss.MeanSquaredError);
        for (int step = 0; step < 300; step++)
        {
            model.Gradient(p, inputs, targets, Loss.MeanSquaredError, gradient);
            adam.Step(p, gradient);
        }

        double last = model.Evaluate(p, inputs, targets, Loss.MeanSquaredError);
        output.WriteLine($"loss {first} -> {last}");
        Assert.True(last < first / 100, $"The loss went from {first} to {last}, not below a hundredth.");
    }
}
