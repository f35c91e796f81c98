namespace OdeGen.Tests.Functions;

/// <summary>
/// Generated [Differentiable] functions used through the interfaces, as a model built around an ODE would use them:
/// a gradient by the chain rule through two functions (Vjp of the head, then of the layer) against central differences of
/// the composed loss; Jvp against the same; sizes; and no allocation per call.
/// </summary>
public class DifferentiableFunctionTests
{
    private const int Inputs = 4, Hidden = 3;

    /// <summary>The loss L(x, θ) = Σ head(dense(x, θ_dense), θ_head), generic as runtime code is (no boxing).</summary>
    private static double Loss<TLayer, THead>(in TLayer layer, in THead head, double[] x, double[] layerP, double[] headP)
        where TLayer : struct, IDifferentiableFunction
        where THead : struct, IDifferentiableFunction
    {
        Span<double> h = stackalloc double[layer.OutputCount];
        Span<double> y = stackalloc double[head.OutputCount];
        layer.Evaluate(x, layerP, h);
        head.Evaluate(h, headP, y);
        double sum = 0;
        foreach (double v in y)
        {
            sum += v;
        }

        return sum;
    }

    [Fact]
    public void ChainRuleThroughTwoFunctions_MatchesCentralDifferences()
    {
        var layer = new FunctionModels.DenseFunction(Inputs, (Hidden * Inputs) + Hidden, Hidden);
        var head = new FunctionModels.HeadFunction();
        Assert.Equal((Inputs, (Hidden * Inputs) + Hidden, Hidden), (layer.InputCount, layer.ParameterCount, layer.OutputCount));
        Assert.Equal((3, 2, 2), (head.InputCount, head.ParameterCount, head.OutputCount));

        var random = new Random(4);
        double[] x = Vector(random, Inputs), layerP = Vector(random, layer.ParameterCount), headP = Vector(random, head.ParameterCount);

        // Reverse: yBar = 1 for a sum, then the head's xBar is the layer's yBar.
        double[] h = new double[Hidden], hBar = new double[Hidden], xBar = new double[Inputs];
        double[] layerBar = new double[layer.ParameterCount], headBar = new double[head.ParameterCount];
        layer.Evaluate(x, layerP, h);
        head.Vjp(h, headP, new[] { 1.0, 1.0 }, hBar, headBar);
        layer.Vjp(x, layerP, hBar, xBar, layerBar);

        for (int i = 0; i < Inputs; i++)
        {
            AssertClose(Central(e => Loss(layer, head, Nudge(x, i, e), layerP, headP)), xBar[i], $"dL/dx[{i}]");
        }

        for (int k = 0; k < layerP.Length; k++)
        {
            AssertClose(Central(e => Loss(layer, head, x, Nudge(layerP, k, e), headP)), layerBar[k], $"dL/dθ_dense[{k}]");
        }

        for (int k = 0; k < headP.Length; k++)
        {
            AssertClose(Central(e => Loss(layer, head, x, layerP, Nudge(headP, k, e))), headBar[k], $"dL/dθ_head[{k}]");
        }

        // Forward: the JVP of the composition along (xDot, 0) equals ⟨∇ₓL, xDot⟩.
        double[] xDot = Vector(random, Inputs), hDot = new double[Hidden], y = new double[2], yDot = new double[2];
        layer.Jvp(x, layerP, xDot, new double[layer.ParameterCount], h, hDot);
        head.Jvp(h, headP, hDot, new double[head.ParameterCount], y, yDot);
        AssertClose(xBar.Zip(xDot, (a, b) => a * b).Sum(), yDot.Sum(), "JVP of the composition");
    }

    [Fact]
    public void Constructor_RejectsANegativeSize()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new FunctionModels.DenseFunction(3, -1, 2));
        Assert.Equal("parameters", e.ParamName);
    }

    [Fact]
    public void Calls_AllocateNothing_AfterTheFirst()
    {
        var layer = new FunctionModels.DenseFunction(Inputs, (Hidden * Inputs) + Hidden, Hidden);
        double[] x = new double[Inputs], p = new double[layer.ParameterCount], y = new double[Hidden], yDot = new double[Hidden];
        double[] xBar = new double[Inputs], pBar = new double[p.Length];
        Run(layer);

        Assert.Equal(0, Allocations.Least(() =>
        {
            for (int r = 0; r < 100; r++)
            {
                Run(layer);
            }
        }));

        void Run<T>(in T g)
            where T : struct, IDifferentiableFunction
        {
            g.Evaluate(x, p, y);
            g.Jvp(x, p, x, p, y, yDot);
            g.Vjp(x, p, y, xBar, pBar);
        }
    }

    private static double Central(Func<double, double> f)
    {
        const double H = 1e-6;
        return (f(H) - f(-H)) / (2 * H);
    }

    private static double[] Nudge(double[] v, int i, double e)
    {
        double[] copy = (double[])v.Clone();
        copy[i] += e;
        return copy;
    }

    private static double[] Vector(Random random, int length) => Enumerable.Range(0, length).Select(_ => (random.NextDouble() * 1.6) - 0.8).ToArray();

    private static void AssertClose(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-7 * (1 + Math.Abs(expected)), $"{what}: finite differences {expected:R}, generated {actual:R}");
}
