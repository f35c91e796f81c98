using OdeGen.Models;

namespace OdeGen.Tests.Models;

/// <summary>Each built-in loss against central differences of itself, against values computed by hand, and on bad targets.</summary>
public class LossTests
{
    public static TheoryData<string> LossNames => new(Cases.Keys);

    private static readonly Dictionary<string, (Loss Loss, double[] Output, double[] Target)> Cases = new()
    {
        ["SoftmaxCrossEntropy"] = (Loss.SoftmaxCrossEntropy, [0.3, -1.2, 2.5, 0.1], [2]),
        ["MeanSquaredError"] = (Loss.MeanSquaredError, [0.3, -1.2, 2.5], [1.0, 0.5, -0.25]),
        ["GaussianNll"] = (Loss.GaussianNegativeLogLikelihood, [0.3, -1.2, 0.4, -0.7], [1.0, -0.5]),
        ["Kl"] = (Loss.DiagonalGaussianKl, [0.3, -1.2, 0.4, -0.7], [0.1, 0.2, -0.3, 0.5]),
    };

    [Theory]
    [MemberData(nameof(LossNames))]
    public void Gradient_MatchesCentralDifferences(string name)
    {
        (Loss loss, double[] output, double[] target) = Cases[name];
        Assert.Equal(target.Length, loss.TargetSize(output.Length));
        double[] gradient = new double[output.Length], unused = new double[output.Length];
        loss.Evaluate(output, target, gradient);
        for (int k = 0; k < output.Length; k++)
        {
            double central = LayerChecks.Central(e => loss.Evaluate(LayerChecks.Nudge(output, k, e), target, unused));
            LayerChecks.AssertClose(central, gradient[k], 1e-8, $"{loss.Name}: ∂L/∂o[{k}]");
        }
    }

    [Fact]
    public void Values_MatchTheirDefinitions()
    {
        double[] g = new double[4];
        double[] o = [0.3, -1.2, 2.5, 0.1];
        Assert.Equal(Math.Log(o.Sum(Math.Exp)) - 2.5, Loss.SoftmaxCrossEntropy.Evaluate(o, [2], g), 14);
        Assert.Equal(1000.0 - 1000.0 + Math.Log(1 + Math.Exp(-1000.0)), Loss.SoftmaxCrossEntropy.Evaluate([1000.0, 0.0], [0], g.AsSpan(0, 2)), 14);
        Assert.Equal(((0.3 - 1) * (0.3 - 1) + (1.7 * 1.7)) / 2, Loss.MeanSquaredError.Evaluate([0.3, -1.2], [1.0, 0.5], g.AsSpan(0, 2)), 14);
        // A standard normal at its mean: ½·log 2π per dimension.
        Assert.Equal(Math.Log(2 * Math.PI), Loss.GaussianNegativeLogLikelihood.Evaluate([0, 0, 0, 0], [0, 0], g), 14);
        // KL(N(μ, 1) ‖ N(0, 1)) = μ²/2; KL(q ‖ q) = 0.
        Assert.Equal(0.5 * 0.09, Loss.DiagonalGaussianKl.Evaluate([0.3, 0], [0, 0], g.AsSpan(0, 2)), 14);
        Assert.Equal(0.0, Loss.DiagonalGaussianKl.Evaluate([0.3, -1.2, 0.4, -0.7], [0.3, -1.2, 0.4, -0.7], g), 14);
    }

    [Fact]
    public void BadTargets_GiveSpecificExceptions()
    {
        double[] g = new double[3];
        Assert.Contains("class index in [0, 3)", Assert.Throws<ArgumentException>(() => Loss.SoftmaxCrossEntropy.Evaluate([1, 2, 3], [3], g)).Message);
        Assert.Contains("not 1.5", Assert.Throws<ArgumentException>(() => Loss.SoftmaxCrossEntropy.Evaluate([1, 2, 3], [1.5], g)).Message);
        Assert.Contains("even number of outputs", Assert.Throws<ArgumentException>(() => Loss.GaussianNegativeLogLikelihood.TargetSize(3)).Message);
        Assert.Contains("even number of outputs", Assert.Throws<ArgumentException>(() => Loss.DiagonalGaussianKl.TargetSize(5)).Message);
    }

    // A direct call with spans that do not fit the output: an IndexOutOfRangeException from inside the loop, or (a target too
    // long) a loss computed from the first entries as if nothing were wrong.
    [Theory]
    [MemberData(nameof(LossNames))]
    public void SpansOfTheWrongLength_AreArgumentExceptions(string name)
    {
        (Loss loss, double[] output, double[] target) = Cases[name];
        Assert.Contains("target has", Assert.Throws<ArgumentException>(() => loss.Evaluate(output, target[..^1], new double[output.Length])).Message, StringComparison.Ordinal);
        Assert.Contains("target has", Assert.Throws<ArgumentException>(() => loss.Evaluate(output, [.. target, 0.0], new double[output.Length])).Message, StringComparison.Ordinal);
        Assert.Contains("gradient has", Assert.Throws<ArgumentException>(() => loss.Evaluate(output, target, new double[output.Length - 1])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => loss.Evaluate([], [], []));
    }
}
