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

    /// <summary>Rosenbrock's function (a − x0)² + b(x1 − x0²)² with p = (a, b), one output: its Hessian is known in closed form.</summary>
    [Differentiable(SecondOrder = true)]
    public static void Rosenbrock(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
    {
        double u = p[0] - x[0];
        double v = x[1] - (x[0] * x[0]);
        y[0] = (u * u) + (p[1] * v * v);
    }

    /// <summary>The dense tanh layer of <see cref="Dense"/> with Hvp: runtime sizes, loops, second order.</summary>
    [Differentiable(SecondOrder = true)]
    public static void DenseSecondOrder(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
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
}
