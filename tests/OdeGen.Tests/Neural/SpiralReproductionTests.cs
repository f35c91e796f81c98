using OdeGen.Neural;
using Xunit.Abstractions;

namespace OdeGen.Tests.Neural;

/// <summary>
/// The spiral demo's first batch, number for number against torchdiffeq (tests/reference/spiral_init.json):
/// loss, gradient norm and every gradient tensor, with each of our gradient methods.
/// </summary>
public sealed class SpiralReproductionTests(ITestOutputHelper output)
{
    private static readonly TanhMlpSystem Model = new(2, 50, MlpInput.Cube);

    private static readonly Lazy<SpiralReference> Reference = new(() => SpiralReference.Load(Model.CreateLayout()));

    public static TheoryData<string> Methods => ["InterpolatingAdjoint", "InterpolatingAdjoint(1), interpolated observations", "BacksolveAdjoint", "DiscreteAdjoint"];

    private static OdeGen.Sensitivity MethodOf(string name) => name switch
    {
        "InterpolatingAdjoint" => OdeGen.Sensitivity.InterpolatingAdjoint(),
        "InterpolatingAdjoint(1), interpolated observations" => new InterpolatingAdjointSensitivity(1) { InterpolateObservations = true },
        "BacksolveAdjoint" => OdeGen.Sensitivity.BacksolveAdjoint,
        _ => OdeGen.Sensitivity.DiscreteAdjoint,
    };

    [Theory]
    [MemberData(nameof(Methods))]
    public void LossAndGradient_MatchTorchdiffeq(string method) =>
        AssertMatchesTorchdiffeq(new NeuralOdeTrainer<TanhMlpSystem>(Model) { Sensitivity = MethodOf(method) }, method);

    // The generated model with its loops vectorized (the benchmarks' fastest per-sample rows): tanh a few ulps from Math.Tanh,
    // sums in another order, the same numbers to the reference's 1e-6.
    [Theory]
    [MemberData(nameof(Methods))]
    public void LossAndGradient_MatchTorchdiffeq_WithVectorizedLoops(string method) =>
        AssertMatchesTorchdiffeq(new NeuralOdeTrainer<SpiralModelVectorized.RhsSystem>(default) { Sensitivity = MethodOf(method) }, method);

    private void AssertMatchesTorchdiffeq<TSystem>(NeuralOdeTrainer<TSystem> trainer, string method) where TSystem : struct, IOdeSystem
    {
        SpiralReference reference = Reference.Value;
        var gradient = new double[Model.ParameterCount];
        BatchResult result = trainer.Gradient(reference.Parameters, reference.Batch, gradient);
        Assert.True(result.IsSuccess, result.Status.ToString());

        foreach (var (name, entry) in reference.Results)
        {
            double gradientError = NormwiseError(entry.Gradient, gradient);
            output.WriteLine($"{method} vs {name}: loss {result.Loss:R} vs {entry.Loss:R} (rel {Rel(result.Loss, entry.Loss):E2}), " +
                $"grad norm {result.GradientNorm:R} vs {entry.GradNorm:R} (rel {Rel(result.GradientNorm, entry.GradNorm):E2}), " +
                $"gradient normwise rel {gradientError:E2}; nfe ours {result.FunctionEvaluations} f + {result.VjpEvaluations} VJP (20 solves), theirs fwd {entry.NfeForward} bwd {entry.NfeBackward} (one batched solve)");
        }

        // Every reference block (torchdiffeq backprop and adjoint, at the demo's tolerances and at 1e-12) agrees
        // with every one of our methods to 1e-6: the loss, the norm, and each gradient tensor normwise.
        foreach (var (name, entry) in reference.Results)
        {
            Assert.True(Rel(result.Loss, entry.Loss) <= 1e-6, $"{method} vs {name}: loss {result.Loss:R}, reference {entry.Loss:R}");
            Assert.True(Rel(result.GradientNorm, entry.GradNorm) <= 1e-6, $"{method} vs {name}: gradient norm {result.GradientNorm:R}, reference {entry.GradNorm:R}");
            foreach (ParameterSlice slice in Model.CreateLayout().Slices)
            {
                double error = NormwiseError(slice.Of(entry.Gradient), slice.Of(gradient));
                Assert.True(error <= 1e-6, $"{method} vs {name}: gradient of {slice.Name} differs by {error:E2} normwise");
            }
        }
    }

    [Fact]
    public void HandWrittenAndGeneratedModels_GiveTheSameBatchGradient()
    {
        SpiralReference reference = Reference.Value;
        var hand = new double[Model.ParameterCount];
        var generated = new double[Model.ParameterCount];
        BatchResult a = new NeuralOdeTrainer<TanhMlpSystem>(Model).Gradient(reference.Parameters, reference.Batch, hand);
        BatchResult b = new NeuralOdeTrainer<SpiralModel.RhsSystem>(default).Gradient(reference.Parameters, reference.Batch, generated);
        Assert.True(Rel(a.Loss, b.Loss) <= 1e-12, $"{a.Loss:R} vs {b.Loss:R}");
        Assert.True(NormwiseError(hand, generated) <= 1e-10, $"normwise {NormwiseError(hand, generated):E2}");
    }

    private static double Rel(double actual, double expected) => Math.Abs(actual - expected) / Math.Abs(expected);

    /// <summary>‖actual − expected‖₂ / ‖expected‖₂.</summary>
    private static double NormwiseError(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual)
    {
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            diff += (actual[i] - expected[i]) * (actual[i] - expected[i]);
            norm += expected[i] * expected[i];
        }
        return Math.Sqrt(diff / norm);
    }
}
