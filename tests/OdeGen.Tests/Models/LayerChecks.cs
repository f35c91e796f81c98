using OdeGen.Models;

namespace OdeGen.Tests.Models;

/// <summary>Finite-difference and dot-product checks shared by the layer and model tests.</summary>
internal static class LayerChecks
{
    public static double[] Random(Random random, int length, double scale = 1.0)
    {
        double[] v = new double[length];
        for (int i = 0; i < length; i++) v[i] = scale * ((2 * random.NextDouble()) - 1);
        return v;
    }

    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    /// <summary>⟨yBar, layer(x, p)⟩: the scalar whose gradient Backward computes.</summary>
    public static double Probe(Layer layer, double[] x, double[] p, double[] yBar)
    {
        double[] y = new double[layer.OutputSize], scratch = new double[layer.ScratchSize];
        layer.Forward(x, p, y, scratch);
        return Dot(yBar, y);
    }

    /// <summary>
    /// Checks Backward against central differences of ⟨yBar, layer(x, p)⟩ entry by entry (every entry up to 40 of each,
    /// a spread of 40 beyond), and against one directional difference along a random (xDot, pDot) over all entries at once.
    /// </summary>
    public static void AssertBackwardMatchesDifferences(Layer layer, int seed, double tolerance = 1e-6, double inputScale = 1.0)
    {
        var random = new Random(seed);
        double[] x = Random(random, layer.InputSize, inputScale), p = Random(random, layer.ParameterCount, 0.5), yBar = Random(random, layer.OutputSize);
        double[] xBar = Random(random, layer.InputSize), pBar = Random(random, layer.ParameterCount);
        double[] xBar0 = (double[])xBar.Clone(), pBar0 = (double[])pBar.Clone();
        layer.Backward(x, p, yBar, xBar, pBar, new double[layer.ScratchSize]);
        for (int i = 0; i < xBar.Length; i++) xBar[i] -= xBar0[i];     // Backward adds: take off what was there
        for (int k = 0; k < pBar.Length; k++) pBar[k] -= pBar0[k];

        foreach (int i in Indices(x.Length))
            AssertClose(Central(e => Probe(layer, Nudge(x, i, e), p, yBar)), xBar[i], tolerance, $"{layer}: ∂/∂x[{i}]");
        foreach (int k in Indices(p.Length))
            AssertClose(Central(e => Probe(layer, x, Nudge(p, k, e), yBar)), pBar[k], tolerance, $"{layer}: ∂/∂p[{k}]");

        // All entries at once: d/dε ⟨yBar, layer(x + ε·xDot, p + ε·pDot)⟩ = ⟨xBar, xDot⟩ + ⟨pBar, pDot⟩.
        double[] xDot = Random(random, x.Length), pDot = Random(random, p.Length);
        double directional = Central(e => Probe(layer, Axpy(x, e, xDot), Axpy(p, e, pDot), yBar));
        AssertClose(directional, Dot(xBar, xDot) + Dot(pBar, pDot), tolerance, $"{layer}: directional derivative");
    }

    /// <summary>The dot-product identity ⟨yBar, J·v⟩ = ⟨Jᵀ·yBar, v⟩ for a generated function's Jvp and Vjp, to rounding.</summary>
    public static void AssertDotProductIdentity<TFunction>(in TFunction f, int seed, double inputScale = 1.0)
        where TFunction : struct, IDifferentiableFunction
    {
        var random = new Random(seed);
        double[] x = Random(random, f.InputCount, inputScale), p = Random(random, f.ParameterCount, 0.5);
        double[] xDot = Random(random, f.InputCount), pDot = Random(random, f.ParameterCount), yBar = Random(random, f.OutputCount);
        double[] y = new double[f.OutputCount], yDot = new double[f.OutputCount], xBar = new double[f.InputCount], pBar = new double[f.ParameterCount];
        f.Jvp(x, p, xDot, pDot, y, yDot);
        f.Vjp(x, p, yBar, xBar, pBar);
        double left = Dot(yBar, yDot), right = Dot(xBar, xDot) + Dot(pBar, pDot);
        Assert.True(Math.Abs(left - right) <= 1e-12 * (1 + Math.Abs(left)), $"{typeof(TFunction).Name}: ⟨yBar, J·v⟩ = {left}, ⟨Jᵀ·yBar, v⟩ = {right}");
    }

    public static double Central(Func<double, double> f, double h = 1e-6) => (f(h) - f(-h)) / (2 * h);

    public static double[] Nudge(double[] v, int i, double e)
    {
        double[] copy = (double[])v.Clone();
        copy[i] += e;
        return copy;
    }

    public static double[] Axpy(double[] x, double a, double[] v) => x.Select((xi, i) => xi + (a * v[i])).ToArray();

    public static void AssertClose(double expected, double actual, double tolerance, string what) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance * (1 + Math.Abs(expected)),
            $"{what}: finite differences give {expected:R}, the derivative {actual:R}");

    private static IEnumerable<int> Indices(int n) => n <= 40 ? Enumerable.Range(0, n) : Enumerable.Range(0, 40).Select(j => j * (n - 1) / 39).Distinct();
}
