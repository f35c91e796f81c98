namespace OdeGen.Layers;

/// <summary>
/// The arithmetic of the built-in layers, written as <c>[Differentiable]</c> functions so that the runtime's own build
/// runs the OdeGen generator on them: each method here gets a <c>{Method}Function</c> struct with Evaluate, Jvp, Vjp and
/// lane methods, and no derivative in this folder is written by hand. Sizes come from the span lengths (the structs'
/// constructors take them); the layer classes in OdeGen.Models create the structs with the right sizes.
/// </summary>
public static partial class LayerFunctions
{
    /// <summary>
    /// y = W·x + b with n = x.Length inputs and m = y.Length outputs; p = W (m×n, row-major: PyTorch's
    /// <c>Linear.weight</c>) then b (m). A convolution applies the same function to each image patch (im2col).
    /// </summary>
    [Differentiable]
    public static void Linear(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
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

    /// <summary>y = max(x, 0), element by element (the slope at 0 is 0).</summary>
    [Differentiable(Parameters = 0)]
    public static void Relu(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
    {
        int n = x.Length;
        for (int i = 0; i < n; i++)
        {
            y[i] = x[i] > 0 ? x[i] : 0.0;
        }
    }

    /// <summary>
    /// y = log(1 + eˣ), element by element, in the form that neither overflows nor loses the small values:
    /// x + log(1 + e⁻ˣ) for x &gt; 0, log(1 + eˣ) otherwise (both branches equal and have slope ½ at 0).
    /// </summary>
    [Differentiable(Parameters = 0)]
    public static void Softplus(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
    {
        int n = x.Length;
        for (int i = 0; i < n; i++)
        {
            y[i] = x[i] > 0 ? x[i] + Math.Log(1.0 + Math.Exp(-x[i])) : Math.Log(1.0 + Math.Exp(x[i]));
        }
    }

    /// <summary>y = tanh(x), element by element.</summary>
    [Differentiable(Parameters = 0)]
    public static void Tanh(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
    {
        int n = x.Length;
        for (int i = 0; i < n; i++)
        {
            y[i] = Math.Tanh(x[i]);
        }
    }

    /// <summary>
    /// Group normalization of one group: x holds its c = p.Length / 2 channels of s = x.Length / c values each
    /// (channel-major); p = γ (c) then β (c). y = γ·(x − μ)/√(σ² + 1e-5) + β with μ and σ² (biased) over the whole
    /// group, as PyTorch's <c>GroupNorm</c> with eps = 1e-5.
    /// </summary>
    [Differentiable]
    public static void GroupNormGroup(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
    {
        int c = p.Length / 2, n = x.Length, s = x.Length / (p.Length / 2);
        double sum = 0.0;
        for (int i = 0; i < n; i++)
        {
            sum += x[i];
        }

        double mean = sum / n;
        double squares = 0.0;
        for (int i = 0; i < n; i++)
        {
            squares += (x[i] - mean) * (x[i] - mean);
        }

        double inverse = 1.0 / Math.Sqrt((squares / n) + 1e-5);
        for (int k = 0; k < c; k++)
        {
            for (int j = 0; j < s; j++)
            {
                y[(k * s) + j] = (p[k] * (x[(k * s) + j] - mean) * inverse) + p[c + k];
            }
        }
    }

    /// <summary>
    /// Global average pooling: y[k] is the mean of channel k's s = x.Length / y.Length values (x channel-major), as
    /// PyTorch's <c>AdaptiveAvgPool2d((1, 1))</c> followed by a flatten.
    /// </summary>
    [Differentiable(Parameters = 0)]
    public static void GlobalAveragePool(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
    {
        int c = y.Length, s = x.Length / y.Length;
        for (int k = 0; k < c; k++)
        {
            double sum = 0.0;
            for (int j = 0; j < s; j++)
            {
                sum += x[(k * s) + j];
            }

            y[k] = sum / s;
        }
    }

    /// <summary>
    /// A GRU cell as PyTorch's <c>GRUCell</c>: x = [input (m = x.Length − h), hidden state (h = y.Length)], y = h'.
    /// r = σ(W_ir·u + b_ir + W_hr·h + b_hr), z = σ(W_iz·u + b_iz + W_hz·h + b_hz),
    /// n = tanh(W_in·u + b_in + r⊙(W_hn·h + b_hn)), h' = (1 − z)⊙n + z⊙h.
    /// p = W_ih (3h×m, rows r, z, n), W_hh (3h×h), b_ih (3h), b_hh (3h): PyTorch's order, so its weights load as they are.
    /// </summary>
    [Differentiable]
    public static void GruCell(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
    {
        int h = y.Length, m = x.Length - y.Length;
        int wh = 3 * h * m, bi = wh + (3 * h * h), bh = bi + (3 * h);
        for (int o = 0; o < h; o++)
        {
            double ar = p[bi + o] + p[bh + o];
            double az = p[bi + h + o] + p[bh + h + o];
            double ai = p[bi + (2 * h) + o];
            double ah = p[bh + (2 * h) + o];
            for (int i = 0; i < m; i++)
            {
                ar += p[(o * m) + i] * x[i];
                az += p[((h + o) * m) + i] * x[i];
                ai += p[(((2 * h) + o) * m) + i] * x[i];
            }

            for (int j = 0; j < h; j++)
            {
                ar += p[wh + (o * h) + j] * x[m + j];
                az += p[wh + ((h + o) * h) + j] * x[m + j];
                ah += p[wh + (((2 * h) + o) * h) + j] * x[m + j];
            }

            double r = 1.0 / (1.0 + Math.Exp(-ar));
            double z = 1.0 / (1.0 + Math.Exp(-az));
            double cand = Math.Tanh(ai + (r * ah));
            y[o] = ((1.0 - z) * cand) + (z * x[m + o]);
        }
    }
}
