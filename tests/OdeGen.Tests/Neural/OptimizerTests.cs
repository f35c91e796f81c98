using OdeGen.Neural;

namespace OdeGen.Tests.Neural;

/// <summary>
/// Three steps of each optimizer on θ0 = (1, −2) with the gradients g1 = (1, −2), g2 = (0.5, 1), g3 = (−1, 0),
/// against values worked out by hand from PyTorch's update rules (the arithmetic is in the comments).
/// </summary>
public sealed class OptimizerTests
{
    private static readonly double[][] Gradients = [[1, -2], [0.5, 1], [-1, 0]];

    private static double[][] Run(Optimizer optimizer)
    {
        double[] theta = [1, -2];
        var after = new double[3][];
        for (int k = 0; k < 3; k++)
        {
            optimizer.Step(theta, Gradients[k]);
            after[k] = (double[])theta.Clone();
        }
        Assert.Equal(3, optimizer.StepCount);
        return after;
    }

    private static void Near(double expected, double actual, double tolerance = 1e-12) =>
        Assert.True(Math.Abs(actual - expected) <= tolerance * Math.Max(1, Math.Abs(expected)), $"expected {expected:R}, got {actual:R}");

    [Fact]
    public void SgdWithMomentum_MatchesHandComputedSteps()
    {
        // lr = 0.1, μ = 0.9; the buffer starts as the first gradient.
        double[][] theta = Run(new Sgd(0.1, momentum: 0.9));
        // 1: b = (1, −2);                          θ = (1 − 0.1, −2 + 0.2)        = (0.9, −1.8)
        Near(0.9, theta[0][0]); Near(-1.8, theta[0][1]);
        // 2: b = 0.9·(1, −2) + (0.5, 1) = (1.4, −0.8); θ = (0.9 − 0.14, −1.8 + 0.08) = (0.76, −1.72)
        Near(0.76, theta[1][0]); Near(-1.72, theta[1][1]);
        // 3: b = 0.9·(1.4, −0.8) + (−1, 0) = (0.26, −0.72); θ = (0.76 − 0.026, −1.72 + 0.072) = (0.734, −1.648)
        Near(0.734, theta[2][0]); Near(-1.648, theta[2][1]);
    }

    [Fact]
    public void PlainSgd_IsGradientDescent()
    {
        // No momentum: θ ← θ − lr·g, so after three steps θ = θ0 − 0.5·(g1 + g2 + g3) = (1 − 0.25, −2 + 0.5).
        double[][] theta = Run(new Sgd(0.5));
        Near(0.75, theta[2][0]); Near(-1.5, theta[2][1]);
    }

    [Fact]
    public void RmsProp_MatchesHandComputedSteps()
    {
        // lr = 0.01, α = 0.99, ε = 1e-8 added after the root; v starts at 0.
        double[][] theta = Run(new RmsProp(0.01));
        // 1: v = 0.01·g² = (0.01, 0.04), √v = (0.1, 0.2);
        //    θ = (1 − 0.01·1/(0.1 + 1e-8), −2 + 0.01·2/(0.2 + 1e-8)) = (0.900000009999999, −1.9000000049999997)
        Near(0.900000009999999, theta[0][0], 1e-14); Near(-1.9000000049999997, theta[0][1], 1e-14);
        // 2: v = 0.99·(0.01, 0.04) + 0.01·(0.25, 1) = (0.0124, 0.0496), √v = (0.11135529, 0.22271057);
        //    θ = (0.90000001 − 0.005/0.11135530, −1.90000000 − 0.01/0.22271058) = (0.85509869, −1.94490133)
        Near(0.8550986885255629, theta[1][0]); Near(-1.9449013284905645, theta[1][1]);
        // 3: v = 0.99·(0.0124, 0.0496) + 0.01·(1, 0) = (0.022276, 0.049104), √v0 = 0.14925146;
        //    θ0 = 0.85509869 + 0.01/0.14925147 = 0.92209970; θ1 is unchanged (g = 0)
        Near(0.922099701119586, theta[2][0]); Near(-1.9449013284905645, theta[2][1]);
    }

    [Fact]
    public void Adam_MatchesHandComputedSteps()
    {
        // lr = 0.1, β = (0.9, 0.999), ε = 1e-8; θ ← θ − (lr/(1 − β1ᵗ))·m/(√v/√(1 − β2ᵗ) + ε).
        double[][] theta = Run(new Adam(0.1));
        // 1: m = (0.1, −0.2), v = (0.001, 0.004); m̂ = (1, −2), √v̂ = (1, 2): a step of lr against the sign,
        //    θ = (1 − 0.1/(1 + 1e-8), −2 + 0.2/(2 + 1e-8)) = (0.9000000010, −1.9000000005)
        Near(0.9000000009999999, theta[0][0], 1e-14); Near(-1.9000000005, theta[0][1], 1e-14);
        // 2: m = (0.14, −0.08), v = (0.001249, 0.004996); 1 − β1² = 0.19, 1 − β2² = 0.001999;
        //    m̂ = (0.7368421, −0.4210526), √v̂ = (0.7904507, 1.5809015);
        //    θ = (0.9 − 0.1·0.7368421/0.7904507, −1.9 + 0.1·0.4210526/1.5809015) = (0.8067820, −1.8733663)
        Near(0.8067820382981609, theta[1][0]); Near(-1.8733662967024314, theta[1][1]);
        // 3: m = (0.026, −0.072), v = (0.002247751, 0.004991004); 1 − β1³ = 0.271, 1 − β2³ = 0.002997001;
        //    m̂ = (0.0959410, −0.2656827), √v̂ = (0.8660255, 1.2904714);
        //    θ = (0.8067820 − 0.0110783, −1.8733663 + 0.0205880) = (0.7957037, −1.8527784)
        Near(0.7957037312938715, theta[2][0]); Near(-1.8527783665034414, theta[2][1]);
    }

    [Fact]
    public void Reset_ForgetsTheState_AndSizeMismatchThrows()
    {
        var adam = new Adam(0.1);
        double[][] first = Run(adam);
        adam.Reset();
        Assert.Equal(0, adam.StepCount);
        double[][] again = Run(adam);
        Assert.Equal(first[2], again[2]);
        Assert.Throws<ArgumentException>(() => adam.Step(new double[3], new double[3]));
        Assert.Throws<ArgumentException>(() => new RmsProp().Step(new double[2], new double[3]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RmsProp(alpha: 1.0));
        Assert.Throws<ArgumentException>(() => new Sgd(0.1, nesterov: true));
    }
}
