namespace OdeGen.Samples.Cnf;

/// <summary>A smaller field of the same shape (2 → 16 → 16 → 2, t into every layer), for the sample's quick test.</summary>
public static partial class CnfMlpSmall
{
    public const int D = 2, H = 16;
    public const int W1 = 0, B1 = W1 + (H * (D + 1)), W2 = B1 + H, B2 = W2 + (H * (H + 1)), W3 = B2 + H, B3 = W3 + (D * (H + 1)), Size = B3 + D;

    // More than 1,000 parameters: the size is given at run time, new RhsSystem(Size) (ODE0013 caps declared sizes).
    [OdeDynamics(States = D, SecondOrder = true)]
    public static void Rhs(double t, ReadOnlySpan<double> z, ReadOnlySpan<double> p, Span<double> dzdt)
    {
        Span<double> h1 = stackalloc double[H];
        Span<double> h2 = stackalloc double[H];
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
        for (int k = 0; k < D; k++)
        {
            double s = p[B3 + k] + (p[W3 + (k * (H + 1)) + H] * t);
            for (int j = 0; j < H; j++) s += p[W3 + (k * (H + 1)) + j] * h2[j];
            dzdt[k] = s;
        }
    }

    /// <summary>Glorot-uniform weights, zero biases, the last layer scaled down.</summary>
    public static double[] Initial(int seed)
    {
        var random = new Random(seed);
        var p = new double[Size];
        Glorot.Fill(p, random, W1, H, D + 1, 1.0);
        Glorot.Fill(p, random, W2, H, H + 1, 1.0);
        Glorot.Fill(p, random, W3, D, H + 1, 0.1);
        return p;
    }
}
