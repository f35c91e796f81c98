namespace OdeGen.Samples.Cnf;

/// <summary>
/// <see cref="CnfHyper"/>'s field split as torch computes it: <see cref="Hypernetwork"/> maps t and θ (the same packing as
/// CnfHyper: fc1, fc2, fc3) to the layer's weights once per evaluation, and <see cref="Layer"/> is the per-sample part,
/// dz/dt = Σ_k V_k·tanh(W_kᵀz + B_k), run over the batch in SIMD lanes. Used through
/// <c>ContinuousNormalizingFlow.WithHypernetwork(new CnfHyperSplit.HypernetworkFunction(...), new CnfHyperSplit.LayerSystem(), …)</c>.
/// </summary>
public static partial class CnfHyperSplit
{
    public const int D = CnfHyper.D, Hidden = CnfHyper.Hidden, Width = CnfHyper.Width, Block = CnfHyper.Block;

    /// <summary>The per-sample layer's parameters q: W (k·D + d), V = U·σ(G)/Width (Block + k·D + d), B (2·Block + k).</summary>
    public const int LayerSize = (2 * Block) + Width;
    private const int V = Block, B = 2 * Block;

    /// <summary>
    /// q = H(t, θ): CnfHyper's hypernetwork 1 → 32 → 32 → 448 (tanh), its gate σ(G) and the mean's 1/Width folded into V, so
    /// that the per-sample part is one layer. θ has CnfHyper's layout (<see cref="CnfHyper.Size"/> values; the size is given at
    /// run time: <c>new HypernetworkFunction(CnfHyper.Size)</c>).
    /// </summary>
    [Differentiable(Inputs = 1, Outputs = LayerSize, VectorizeLoops = true)]
    public static void Hypernetwork(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
    {
        Span<double> a1 = stackalloc double[Hidden];
        Span<double> s2 = stackalloc double[Hidden];
        Span<double> a2 = stackalloc double[Hidden];
        Span<double> u = stackalloc double[Block];
        Span<double> g = stackalloc double[Block];
        double t = x[0];
        for (int i = 0; i < Hidden; i++) a1[i] = Math.Tanh(p[CnfHyper.B1 + i] + (p[CnfHyper.W1 + i] * t));
        for (int i = 0; i < Hidden; i++)
        {
            double s = p[CnfHyper.B2 + i];
            for (int j = 0; j < Hidden; j++) s += p[CnfHyper.W2 + (i * Hidden) + j] * a1[j];
            s2[i] = s;
        }

        // The activations in loops of their own, which the generator runs in SIMD lanes (inside the dot products' loop
        // they would be one scalar call per row).
        for (int i = 0; i < Hidden; i++) a2[i] = Math.Tanh(s2[i]);

        // fc3's rows: [W | U | G | B]; W and B go straight to q, U·σ(G)/Width to V.
        for (int r = 0; r < Block; r++)
        {
            double w = p[CnfHyper.B3 + r], ur = p[CnfHyper.B3 + Block + r], gr = p[CnfHyper.B3 + (2 * Block) + r];
            for (int j = 0; j < Hidden; j++)
            {
                w += p[CnfHyper.W3 + (r * Hidden) + j] * a2[j];
                ur += p[CnfHyper.W3 + ((Block + r) * Hidden) + j] * a2[j];
                gr += p[CnfHyper.W3 + (((2 * Block) + r) * Hidden) + j] * a2[j];
            }
            y[r] = w;
            u[r] = ur;
            g[r] = gr;
        }
        for (int r = 0; r < Block; r++) y[V + r] = u[r] / (Width * (1 + Math.Exp(-g[r])));
        for (int k = 0; k < Width; k++)
        {
            double s = p[CnfHyper.B3 + (3 * Block) + k];
            for (int j = 0; j < Hidden; j++) s += p[CnfHyper.W3 + (((3 * Block) + k) * Hidden) + j] * a2[j];
            y[B + k] = s;
        }
    }

    /// <summary>
    /// The per-sample part: dz_d/dt = Σ_k V_kd·tanh(Σ_e W_ke z_e + B_k), parameters q from <see cref="Hypernetwork"/>. The
    /// two sums over k are locals, written to dzdt once: accumulated into dzdt[d] they would be a load and a store of the
    /// output per unit in every generated sweep (and the same for the divergence's tangents), as a span may alias p.
    /// </summary>
    [OdeDynamics(States = D, Parameters = LayerSize, SecondOrder = true)]
    public static void Layer(double t, ReadOnlySpan<double> z, ReadOnlySpan<double> p, Span<double> dzdt)
    {
        double f0 = 0, f1 = 0;
        for (int k = 0; k < Width; k++)
        {
            double s = p[B + k] + (p[k * D] * z[0]) + (p[(k * D) + 1] * z[1]);
            double h = Math.Tanh(s);
            f0 += p[V + (k * D)] * h;
            f1 += p[V + (k * D) + 1] * h;
        }
        dzdt[0] = f0;
        dzdt[1] = f1;
    }
}
