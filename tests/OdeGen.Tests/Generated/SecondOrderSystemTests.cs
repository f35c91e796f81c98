namespace OdeGen.Tests.Generated;

/// <summary>
/// The second-order code of a generated CNF field used as a continuous normalizing flow uses it: Hutchinson's estimate
/// εᵀ(∂f/∂y)ε, averaged over many random signs ε, converges to the exact Divergence; and Hvp with a = yDot = ε is the
/// gradient of that estimate, which is how a flow trains on stochastic traces by the adjoint.
/// </summary>
public class SecondOrderSystemTests
{
    private static readonly CnfField.RhsSystem System = default;

    private static double[] Weights(int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, CnfField.Size).Select(_ => (random.NextDouble() * 2) - 1).ToArray();
    }

    [Fact]
    public void HutchinsonEstimates_ConvergeToTheDivergence()
    {
        double[] p = Weights(1), y = { 0.3, -0.4 };
        const double t = 0.2;
        double divergence = System.Divergence(t, y, p);

        var random = new Random(2);
        const int Samples = 20_000;
        double sum = 0, sumOfSquares = 0;
        double[] e = new double[2], f = new double[2], fDot = new double[2], pDot = new double[CnfField.Size];
        for (int k = 0; k < Samples; k++)
        {
            for (int i = 0; i < 2; i++)
            {
                e[i] = random.Next(2) == 0 ? -1 : 1;
            }

            System.Jvp(t, y, p, 0, e, pDot, f, fDot);
            double estimate = (e[0] * fDot[0]) + (e[1] * fDot[1]);
            sum += estimate;
            sumOfSquares += estimate * estimate;
        }

        double mean = sum / Samples, spread = Math.Sqrt(((sumOfSquares / Samples) - (mean * mean)) / Samples);
        Assert.True(spread > 0, "the estimates must vary (the off-diagonal of ∂f/∂y is not zero)");
        Assert.True(Math.Abs(mean - divergence) <= 5 * spread, $"mean of {Samples} estimates {mean:R} vs Divergence {divergence:R} (standard error {spread:R})");

        // The exact trace is the sum of the diagonal of the generated Jacobian.
        double[] dfdy = new double[4], dfdp = new double[2 * CnfField.Size];
        System.Jacobian(t, y, p, dfdy, dfdp);
        Assert.Equal(dfdy[0] + dfdy[3], divergence, 1e-13);
    }

    [Fact]
    public void Hvp_WithAAndYDotEqualToEpsilon_IsTheGradientOfTheEstimate()
    {
        double[] p = Weights(3), y = { -0.2, 0.5 }, e = { 1, -1 };
        const double t = 0.6, h = 1e-6;
        double[] yBarDot = new double[2], pBarDot = new double[CnfField.Size];
        System.Hvp(t, y, p, e, 0, e, new double[CnfField.Size], yBarDot, pBarDot);

        for (int k = 0; k < CnfField.Size; k++)
        {
            double[] plus = (double[])p.Clone(), minus = (double[])p.Clone();
            plus[k] += h;
            minus[k] -= h;
            double want = (Estimate(t, y, plus, e) - Estimate(t, y, minus, e)) / (2 * h);
            Assert.True(Math.Abs(want - pBarDot[k]) <= 1e-7 * (1 + Math.Abs(want)), $"p[{k}]: Hvp {pBarDot[k]:R}, differences {want:R}");
        }

        for (int i = 0; i < 2; i++)
        {
            double[] plus = (double[])y.Clone(), minus = (double[])y.Clone();
            plus[i] += h;
            minus[i] -= h;
            double want = (Estimate(t, plus, p, e) - Estimate(t, minus, p, e)) / (2 * h);
            Assert.True(Math.Abs(want - yBarDot[i]) <= 1e-7 * (1 + Math.Abs(want)), $"y[{i}]: Hvp {yBarDot[i]:R}, differences {want:R}");
        }
    }

    [Fact]
    public void DivergenceVjp_IsTheGradientOfTheExactTrace()
    {
        double[] p = Weights(4), y = { 0.1, 0.7 };
        const double t = 0.3, h = 1e-6;
        double[] yBar = new double[2], pBar = new double[CnfField.Size];
        double tBar = System.DivergenceVjp(t, y, p, 1.0, yBar, pBar);
        Assert.Equal((System.Divergence(t + h, y, p) - System.Divergence(t - h, y, p)) / (2 * h), tBar, 1e-7);
        for (int k = 0; k < CnfField.Size; k++)
        {
            double[] plus = (double[])p.Clone(), minus = (double[])p.Clone();
            plus[k] += h;
            minus[k] -= h;
            Assert.Equal((System.Divergence(t, y, plus) - System.Divergence(t, y, minus)) / (2 * h), pBar[k], 1e-7);
        }
    }

    private static double Estimate(double t, double[] y, double[] p, double[] e)
    {
        double[] f = new double[2], fDot = new double[2];
        System.Jvp(t, y, p, 0, e, new double[p.Length], f, fDot);
        return (e[0] * fDot[0]) + (e[1] * fDot[1]);
    }
}
