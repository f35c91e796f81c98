namespace OdeGen.Samples.Deq;

/// <summary>The sample's two generated functions; sizes come from the constructors (inputs, parameters, outputs).</summary>
public static partial class Layers
{
    /// <summary>
    /// y = tanh(W·x + b) with W (outputs × inputs, row-major) then b in p. As the equilibrium cell its input is [z; image]
    /// and W = [W_z U]: z = tanh(W_z·z + U·image + b), the Deep Implicit Layers tutorial's layer. Second order for the
    /// Jacobian regulariser's gradient.
    /// </summary>
    [Differentiable(SecondOrder = true)]
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

    /// <summary>The linear head: y = W·x + b (class scores).</summary>
    [Differentiable]
    public static void Affine(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
    {
        int n = x.Length, m = y.Length;
        for (int o = 0; o < m; o++)
        {
            double s = p[(m * n) + o];
            for (int i = 0; i < n; i++)
            {
                s += p[(o * n) + i] * x[i];
            }

            y[o] = s;
        }
    }
}
