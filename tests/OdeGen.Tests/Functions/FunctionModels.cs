namespace OdeGen.Tests.Functions;

/// <summary>Functions the runtime tests use through <see cref="IDifferentiableFunction"/>: a dense tanh layer over runtime sizes.</summary>
public static partial class FunctionModels
{
    /// <summary>y = tanh(W·x + b): n = x.Length inputs, m = y.Length outputs, p = W (m×n, row-major) then b (m).</summary>
    [Differentiable]
    public static void Dense(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
    {
        int n = x.Length, m = y.Length;
        for (int o = 0; o < m; o++)
        {
            double s = p[(m * n) + o];
            for (int i = 0; i < n; i++)
            {
                s += p[(o * n) + i] * x[i];
            }

            y[o] = Math.Tanh(s);
        }
    }

    /// <summary>A two-output head with constant sizes: a softplus of a product and a squared difference.</summary>
    [Differentiable]
    public static void Head(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
    {
        y[0] = Math.Log(1.0 + Math.Exp(p[0] * x[0] * x[1]));
        double d = x[2] - p[1];
        y[1] = d * d;
    }
}
