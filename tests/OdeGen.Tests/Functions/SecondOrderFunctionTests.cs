namespace OdeGen.Tests.Functions;

/// <summary>
/// Generated Hvp of [Differentiable(SecondOrder = true)] functions used through <see cref="IDifferentiableFunctionSecondOrder"/>,
/// as an optimizer would: the full Hessian of Rosenbrock's function, one Hvp per unit direction, against its closed form;
/// a Newton step from it; a runtime-sized layer's Hvp against central differences of its Vjp; no allocation per call.
/// </summary>
public class SecondOrderFunctionTests
{
    /// <summary>The Hessian of yBarᵀg with respect to x (n×n, row-major), one Hvp per column, generic as runtime code is.</summary>
    private static void InputHessian<TFunction>(in TFunction g, ReadOnlySpan<double> x, ReadOnlySpan<double> p, ReadOnlySpan<double> yBar, Span<double> hessian)
        where TFunction : struct, IDifferentiableFunctionSecondOrder
    {
        int n = g.InputCount;
        Span<double> direction = stackalloc double[n];
        Span<double> pDot = stackalloc double[g.ParameterCount];
        Span<double> pBarDot = stackalloc double[g.ParameterCount];
        direction.Clear();
        pDot.Clear();
        hessian.Clear();
        for (int j = 0; j < n; j++)
        {
            direction[j] = 1;
            g.Hvp(x, p, yBar, direction, pDot, hessian.Slice(j * n, n), pBarDot);
            direction[j] = 0;
        }
    }

    [Fact]
    public void RosenbrockHessian_FromHvp_EqualsTheClosedForm()
    {
        var g = new FunctionModels.RosenbrockFunction();
        Assert.Equal((2, 2, 1), (g.InputCount, g.ParameterCount, g.OutputCount));
        double[] p = { 1.0, 100.0 };
        var random = new Random(21);
        for (int s = 0; s < 5; s++)
        {
            double[] x = { (random.NextDouble() * 4) - 2, (random.NextDouble() * 4) - 2 };
            double[] hessian = new double[4];
            InputHessian(g, x, p, new[] { 1.0 }, hessian);

            // ∂²f/∂x0² = 2 − 4b(x1 − x0²) + 8b·x0², ∂²f/∂x0∂x1 = −4b·x0, ∂²f/∂x1² = 2b.
            double b = p[1];
            double[] want = { 2 - (4 * b * (x[1] - (x[0] * x[0]))) + (8 * b * x[0] * x[0]), -4 * b * x[0], -4 * b * x[0], 2 * b };
            for (int i = 0; i < 4; i++)
            {
                Assert.True(Math.Abs(want[i] - hessian[i]) <= 1e-12 * (1 + Math.Abs(want[i])), $"H[{i}] {hessian[i]:R}, closed form {want[i]:R}");
            }
        }
    }

    [Fact]
    public void NewtonSteps_WithTheGeneratedGradientAndHessian_FindRosenbrocksMinimum()
    {
        var g = new FunctionModels.RosenbrockFunction();
        double[] p = { 1.0, 100.0 }, x = { -1.2, 1.0 }, hessian = new double[4];
        for (int step = 0; step < 50; step++)
        {
            double[] gradient = new double[2], pBar = new double[2];
            g.Vjp(x, p, new[] { 1.0 }, gradient, pBar);
            InputHessian(g, x, p, new[] { 1.0 }, hessian);
            double det = (hessian[0] * hessian[3]) - (hessian[1] * hessian[2]);
            x[0] -= ((hessian[3] * gradient[0]) - (hessian[1] * gradient[1])) / det;
            x[1] -= ((hessian[0] * gradient[1]) - (hessian[2] * gradient[0])) / det;
        }

        Assert.Equal(1.0, x[0], 1e-10);
        Assert.Equal(1.0, x[1], 1e-10);
    }

    [Fact]
    public void DenseLayerHvp_MatchesCentralDifferencesOfItsVjp_AtRuntimeSizes()
    {
        const int Inputs = 5, Outputs = 3, Parameters = (Outputs * Inputs) + Outputs;
        var g = new FunctionModels.DenseSecondOrderFunction(Inputs, Parameters, Outputs);
        var random = new Random(8);
        double[] Vector(int length) => Enumerable.Range(0, length).Select(_ => (random.NextDouble() * 2) - 1).ToArray();
        double[] x = Vector(Inputs), p = Vector(Parameters), yBar = Vector(Outputs), xDot = Vector(Inputs), pDot = Vector(Parameters);
        double[] xBarDot = new double[Inputs], pBarDot = new double[Parameters];
        g.Hvp(x, p, yBar, xDot, pDot, xBarDot, pBarDot);

        const double h = 1e-5;
        double[] xPlus = new double[Inputs], pPlus = new double[Parameters], xMinus = new double[Inputs], pMinus = new double[Parameters];
        g.Vjp(x.Zip(xDot, (a, d) => a + (h * d)).ToArray(), p.Zip(pDot, (a, d) => a + (h * d)).ToArray(), yBar, xPlus, pPlus);
        g.Vjp(x.Zip(xDot, (a, d) => a - (h * d)).ToArray(), p.Zip(pDot, (a, d) => a - (h * d)).ToArray(), yBar, xMinus, pMinus);
        double[] want = xPlus.Zip(xMinus, (a, b) => (a - b) / (2 * h)).Concat(pPlus.Zip(pMinus, (a, b) => (a - b) / (2 * h))).ToArray();
        double[] got = xBarDot.Concat(pBarDot).ToArray();
        for (int i = 0; i < want.Length; i++)
        {
            Assert.True(Math.Abs(want[i] - got[i]) <= 1e-7 * (1 + Math.Abs(want[i])), $"Hvp[{i}] {got[i]:R}, differences of Vjp {want[i]:R}");
        }
    }

    [Fact]
    public void Hvp_AllocatesNothing_AfterTheFirstCall()
    {
        var g = new FunctionModels.DenseSecondOrderFunction(4, 15, 3);
        double[] x = new double[4], p = new double[15], yBar = new double[3], xBarDot = new double[4], pBarDot = new double[15];
        Array.Fill(p, 0.3);
        Array.Fill(yBar, 1.0);
        g.Hvp(x, p, yBar, x, p, xBarDot, pBarDot);
        Assert.Equal(0, Allocations.Least(() =>
        {
            for (int r = 0; r < 10; r++)
            {
                g.Hvp(x, p, yBar, x, p, xBarDot, pBarDot);
            }
        }));
    }
}
