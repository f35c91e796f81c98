namespace OdeGen.Samples.Cnf;

/// <summary>
/// The flow's field: a time-dependent tanh MLP 2 → 64 → 64 → 64 → 2 in which every layer also sees t (the input of
/// layer l is [h_{l−1}; t]). Parameters, packed layer by layer: W (rows × (inputs + 1), the last column multiplies t), b.
/// </summary>
public static partial class CnfMlp
{
    public const int D = 2, H = 64;
    public const int W1 = 0, B1 = W1 + (H * (D + 1)), W2 = B1 + H, B2 = W2 + (H * (H + 1)), W3 = B2 + H, B3 = W3 + (H * (H + 1));
    public const int W4 = B3 + H, B4 = W4 + (D * (H + 1)), Size = B4 + D;

    // More than 1,000 parameters: the size is given at run time, new RhsSystem(Size) (ODE0013 caps declared sizes).
    [OdeDynamics(States = D, SecondOrder = true)]
    public static void Rhs(double t, ReadOnlySpan<double> z, ReadOnlySpan<double> p, Span<double> dzdt)
    {
        Span<double> h1 = stackalloc double[H];
        Span<double> h2 = stackalloc double[H];
        Span<double> h3 = stackalloc double[H];
        for (int i = 0; i < H; i++)
        {
            double s = p[B1 + i] + (p[W1 + (i * (D + 1)) + D] * t);
            for (int j = 0; j < D; j++) s += p[W1 + (i * (D + 1)) + j] * z[j];
            h1[i] = Math.Tanh(s);
        }
        for (int i = 0; i < H; i++)
        {
            double s = p[B2 + i] + (p[W2 + (i * (H + 1)) + H] * t);
            for (int j = 0; j < H; j++) s += p[W2 + (i * (H + 1)) + j] * h1[j];
            h2[i] = Math.Tanh(s);
        }
        for (int i = 0; i < H; i++)
        {
            double s = p[B3 + i] + (p[W3 + (i * (H + 1)) + H] * t);
            for (int j = 0; j < H; j++) s += p[W3 + (i * (H + 1)) + j] * h2[j];
            h3[i] = Math.Tanh(s);
        }
        for (int k = 0; k < D; k++)
        {
            double s = p[B4 + k] + (p[W4 + (k * (H + 1)) + H] * t);
            for (int j = 0; j < H; j++) s += p[W4 + (k * (H + 1)) + j] * h3[j];
            dzdt[k] = s;
        }
    }

    /// <summary>Glorot-uniform weights (fan-in and fan-out of each layer, t column included), zero biases, the last layer scaled down so the flow starts near the identity.</summary>
    public static double[] Initial(int seed)
    {
        var random = new Random(seed);
        var p = new double[Size];
        Glorot.Fill(p, random, W1, H, D + 1, 1.0);
        Glorot.Fill(p, random, W2, H, H + 1, 1.0);
        Glorot.Fill(p, random, W3, H, H + 1, 1.0);
        Glorot.Fill(p, random, W4, D, H + 1, 0.1);
        return p;
    }
}
