namespace OdeGen.Samples.Cnf;

/// <summary>
/// The field of torchdiffeq's examples/cnf.py, written here to compare like with like (benchmarks/peers/cnf_torch.py is
/// the torch side): a hypernetwork of t alone, 1 → 32 → 32 → 3·64·2 + 64 (tanh), gives a width-64 layer's weights
/// W (64 × 2), biases B (64) and outputs U (64 × 2) gated by a sigmoid G; then dz/dt = (1/64)·Σ_k U_k·tanh(W_kᵀz + B_k).
/// Parameters, packed: fc1 (32 weights, 32 biases), fc2 (32 × 32, 32), fc3 (448 × 32, 448).
/// </summary>
/// <remarks>
/// Written per sample, the field recomputes the hypernetwork (about 15,000 multiply-adds) for every sample, where the
/// per-sample layer is about 260: torch evaluates it once per batch. So this copy measures our generated code on the same
/// function, not on the same arithmetic; BENCHMARKS.md (the CNF sections) gives both numbers.
/// </remarks>
public static partial class CnfHyper
{
    public const int D = 2, Hidden = 32, Width = 64, Block = Width * D, Outputs = (3 * Block) + Width;
    public const int W1 = 0, B1 = W1 + Hidden, W2 = B1 + Hidden, B2 = W2 + (Hidden * Hidden), W3 = B2 + Hidden, B3 = W3 + (Outputs * Hidden);
    public const int Size = B3 + Outputs;

    // More than 1,000 parameters: the size is given at run time, new RhsSystem(Size) (ODE0013 caps declared sizes).
    [OdeDynamics(States = D, SecondOrder = true)]
    public static void Rhs(double t, ReadOnlySpan<double> z, ReadOnlySpan<double> p, Span<double> dzdt)
    {
        Span<double> a1 = stackalloc double[Hidden];
        Span<double> a2 = stackalloc double[Hidden];
        Span<double> q = stackalloc double[Outputs];
        Span<double> h = stackalloc double[Width];
        for (int i = 0; i < Hidden; i++) a1[i] = Math.Tanh(p[B1 + i] + (p[W1 + i] * t));
        for (int i = 0; i < Hidden; i++)
        {
            double s = p[B2 + i];
            for (int j = 0; j < Hidden; j++) s += p[W2 + (i * Hidden) + j] * a1[j];
            a2[i] = Math.Tanh(s);
        }
        for (int r = 0; r < Outputs; r++)
        {
            double s = p[B3 + r];
            for (int j = 0; j < Hidden; j++) s += p[W3 + (r * Hidden) + j] * a2[j];
            q[r] = s;
        }

        // q = [W (k·D + d) | U (Block + k·D + d) | G (2·Block + k·D + d) | B (3·Block + k)].
        for (int k = 0; k < Width; k++)
        {
            double s = q[(3 * Block) + k];
            for (int d = 0; d < D; d++) s += z[d] * q[(k * D) + d];
            h[k] = Math.Tanh(s);
        }
        for (int d = 0; d < D; d++)
        {
            double s = 0;
            for (int k = 0; k < Width; k++) s += h[k] * q[Block + (k * D) + d] / (1 + Math.Exp(-q[(2 * Block) + (k * D) + d]));
            dzdt[d] = s / Width;
        }
    }

    /// <summary>torch.nn.Linear's default: weights and biases uniform in ±1/√fan_in.</summary>
    public static double[] Initial(int seed)
    {
        var random = new Random(seed);
        var p = new double[Size];
        void Fill(int offset, int count, int fanIn)
        {
            double limit = 1 / Math.Sqrt(fanIn);
            for (int i = 0; i < count; i++) p[offset + i] = ((2 * random.NextDouble()) - 1) * limit;
        }
        Fill(W1, 2 * Hidden, 1);
        Fill(W2, Hidden * (Hidden + 1), Hidden);
        Fill(W3, Outputs * (Hidden + 1), Hidden);
        return p;
    }
}
