using OdeGen.Neural;

namespace OdeGen.Tests.Neural;

/// <summary>The hand-written MLP's derivatives: finite differences, the dot-product test, Jacobian against JVPs, and its generated twin.</summary>
public sealed class TanhMlpSystemTests
{
    public static TheoryData<MlpInput> Inputs => [MlpInput.Identity, MlpInput.Cube];

    private static (TanhMlpSystem System, double[] Y, double[] P) Setup(MlpInput input, int seed = 5)
    {
        var system = new TanhMlpSystem(3, 7, input);
        var random = new Random(seed);
        double[] y = new double[3], p = new double[system.ParameterCount];
        Initializers.Uniform(y, random, -1.2, 1.2);
        Initializers.Normal(p, random, 0, 0.6);
        return (system, y, p);
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Vjp_MatchesCentralDifferences(MlpInput input)
    {
        var (system, y, p) = Setup(input);
        double[] a = [0.7, -1.3, 0.4];
        double[] yBar = new double[3], pBar = new double[system.ParameterCount];
        Assert.Equal(0.0, system.Vjp(0.2, y, p, a, yBar, pBar));

        double Loss(double[] yy, double[] pp)
        {
            var f = new double[3];
            system.Evaluate(0.2, yy, pp, f);
            return a[0] * f[0] + a[1] * f[1] + a[2] * f[2];
        }
        for (int j = 0; j < 3; j++) Near(Central(x => Loss(x, p), y, j), yBar[j], $"yBar[{j}]");
        for (int k = 0; k < p.Length; k++) Near(Central(x => Loss(y, x), p, k), pBar[k], $"pBar[{k}]");
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void DotProductTest_AndJacobian_AgreeWithJvp(MlpInput input)
    {
        var (system, y, p) = Setup(input);
        var random = new Random(9);
        double[] yDot = new double[3], pDot = new double[system.ParameterCount], a = new double[3];
        Initializers.Normal(yDot, random);
        Initializers.Normal(pDot, random);
        Initializers.Normal(a, random);
        double[] f = new double[3], fDot = new double[3], fPlain = new double[3];
        system.Jvp(0, y, p, 1.0, yDot, pDot, f, fDot);
        system.Evaluate(0, y, p, fPlain);
        Assert.Equal(fPlain, f);

        // ⟨a, J·v⟩ = ⟨Jᵀ·a, v⟩ with v = (ẏ, ṗ); Vjp accumulates, so start from non-zero outputs and subtract.
        double[] yBar = [1, 2, 3], pBar = Enumerable.Repeat(0.5, system.ParameterCount).ToArray();
        system.Vjp(0, y, p, a, yBar, pBar);
        double left = a[0] * fDot[0] + a[1] * fDot[1] + a[2] * fDot[2], right = 0;
        for (int j = 0; j < 3; j++) right += (yBar[j] - (j + 1)) * yDot[j];
        for (int k = 0; k < pBar.Length; k++) right += (pBar[k] - 0.5) * pDot[k];
        Near(left, right, "dot-product test", 1e-13);

        // The dense Jacobians times the tangents give the JVP.
        int m = system.ParameterCount;
        double[] dfdy = Enumerable.Repeat(double.NaN, 9).ToArray(), dfdp = Enumerable.Repeat(double.NaN, 3 * m).ToArray();
        system.Jacobian(0, y, p, dfdy, dfdp);
        for (int i = 0; i < 3; i++)
        {
            double sum = 0;
            for (int j = 0; j < 3; j++) sum += dfdy[i * 3 + j] * yDot[j];
            for (int k = 0; k < m; k++) sum += dfdp[i * m + k] * pDot[k];
            Near(fDot[i], sum, $"J·v[{i}]", 1e-13);
        }
    }

    [Fact]
    public void MatchesTheGeneratedLoopModel()
    {
        var hand = new TanhMlpSystem(2, 50, MlpInput.Cube);
        var generated = default(SpiralModel.RhsSystem);
        Assert.Equal(generated.ParameterCount, hand.ParameterCount);
        var random = new Random(11);
        double[] y = [0.8, -1.1], p = new double[252], a = [0.3, -0.9];
        Initializers.Normal(p, random, 0, 0.3);
        double[] f1 = new double[2], f2 = new double[2];
        hand.Evaluate(0, y, p, f1);
        generated.Evaluate(0, y, p, f2);
        for (int i = 0; i < 2; i++) Near(f2[i], f1[i], $"f[{i}]", 1e-14);
        double[] yb1 = new double[2], yb2 = new double[2], pb1 = new double[252], pb2 = new double[252];
        hand.Vjp(0, y, p, a, yb1, pb1);
        generated.Vjp(0, y, p, a, yb2, pb2);
        for (int j = 0; j < 2; j++) Near(yb2[j], yb1[j], $"yBar[{j}]", 1e-13);
        for (int k = 0; k < 252; k++) Near(pb2[k], pb1[k], $"pBar[{k}]", 1e-13);
    }

    [Fact]
    public void Layout_NamesThePyTorchTensors()
    {
        ParameterLayout layout = new TanhMlpSystem(2, 50, MlpInput.Cube).CreateLayout();
        Assert.Equal(252, layout.Count);
        Assert.Equal(["W1", "b1", "W2", "b2"], layout.Slices.Select(s => s.Name));
        Assert.Equal((0, 50, 2), (layout["W1"].Offset, layout["W1"].Rows, layout["W1"].Columns));
        Assert.Equal(100, layout["b1"].Offset);
        Assert.Equal(150 + 50 + 3, layout["W2"].Index(1, 3));
        // An entry outside the slice would be another slice's: W2 is 2 × 50, so (1, 50) would be b2[0] and (2, 0) past the end.
        Assert.Throws<ArgumentOutOfRangeException>(() => layout["W2"].Index(1, 50));
        Assert.Throws<ArgumentOutOfRangeException>(() => layout["W2"].Index(2, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => layout["b1"].Index(-1, 0));
        Assert.Equal(249, layout["W2"].Index(1, 49));
        Assert.Equal(250, layout["b2"].Offset);
        Assert.Throws<KeyNotFoundException>(() => layout["W3"]);
        Assert.Throws<ArgumentException>(() => layout.AddVector("b1", 2));
    }

    private static double Central(Func<double[], double> g, double[] x, int k)
    {
        const double h = 1e-6;
        double[] plus = (double[])x.Clone(), minus = (double[])x.Clone();
        plus[k] += h;
        minus[k] -= h;
        return (g(plus) - g(minus)) / (2 * h);
    }

    private static void Near(double expected, double actual, string what, double rel = 1e-7) =>
        Assert.True(Math.Abs(actual - expected) <= rel * Math.Max(1, Math.Abs(expected)), $"{what}: expected {expected:R}, got {actual:R}");
}
