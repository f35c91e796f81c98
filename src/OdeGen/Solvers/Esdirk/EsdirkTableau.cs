namespace OdeGen.Solvers;

/// <summary>
/// An ESDIRK method (explicit first stage, singly diagonally implicit Runge–Kutta) as data: stage i solves
/// Y_i = y + h Σ_{j&lt;i} a_ij k_j + hγ·k_i with k_i = F(t + c_i h, Y_i), by simplified Newton iterations with the
/// matrix I − hγJ. The step is y + h Σ b_i k_i and the error estimate h Σ (b_i − b̂_i) k_i.
/// </summary>
public sealed class EsdirkTableau
{
    /// <summary>Creates a tableau; row i of <paramref name="a"/> holds a_i0 … a_ii (the diagonal entries are γ, a_00 = 0).</summary>
    public EsdirkTableau(string name, int order, int embeddedOrder, double gamma, double[][] a, double[] b, double[] bHat, double[] c)
    {
        Name = name;
        Order = order;
        EmbeddedOrder = embeddedOrder;
        Gamma = gamma;
        Stages = b.Length;
        if (a.Length != Stages || bHat.Length != Stages || c.Length != Stages)
            throw new ArgumentException($"{name}: A, b̂ and c need {Stages} rows/entries.");
        A = new double[Stages * Stages];
        for (int i = 0; i < Stages; i++)
        {
            if (a[i].Length != i + 1) throw new ArgumentException($"{name}: row {i} of A must have {i + 1} entries (up to the diagonal).");
            if (i > 0 && a[i][i] != gamma) throw new ArgumentException($"{name}: diagonal entry {i} must be γ = {gamma}.");
            double sum = 0;
            for (int j = 0; j <= i; j++) { A[i * Stages + j] = a[i][j]; sum += a[i][j]; }
            // Stage consistency c_i = Σ_j a_ij, relative to the coefficients' size.
            if (Math.Abs(sum - c[i]) > 1e-12 * Math.Max(1, a[i].Sum(Math.Abs)))
                throw new ArgumentException($"{name}: row {i} of A sums to {sum}, not c = {c[i]}.");
        }
        if (a[0][0] != 0) throw new ArgumentException($"{name}: the first stage must be explicit.");
        B = b;
        BHat = bHat;
        C = c;
    }

    /// <summary>Display name.</summary>
    public string Name { get; }
    /// <summary>Order of the propagated solution.</summary>
    public int Order { get; }
    /// <summary>Order of the embedded solution.</summary>
    public int EmbeddedOrder { get; }
    /// <summary>The diagonal coefficient γ.</summary>
    public double Gamma { get; }
    /// <summary>Number of stages (the first explicit).</summary>
    public int Stages { get; }
    /// <summary>a_ij, row-major s×s, lower triangular including the diagonal.</summary>
    public double[] A { get; }
    /// <summary>Weights of the propagated solution.</summary>
    public double[] B { get; }
    /// <summary>Weights of the embedded solution.</summary>
    public double[] BHat { get; }
    /// <summary>Nodes.</summary>
    public double[] C { get; }

    /// <summary>
    /// True when the last row of A equals b and c_s = 1: the last stage value is the new solution and its k is
    /// F at the new point (the next step's explicit first stage).
    /// </summary>
    public bool IsStifflyAccurate
    {
        get
        {
            int s = Stages;
            if (C[s - 1] != 1) return false;
            for (int j = 0; j < s; j++) if (A[(s - 1) * s + j] != B[j]) return false;
            return true;
        }
    }
}

/// <summary>The built-in ESDIRK methods' coefficients.</summary>
public static class EsdirkTableaux
{
    /// <summary>
    /// Kværnø's ESDIRK 5(4) with seven stages (A. Kværnø, "Singly diagonally implicit Runge–Kutta methods with an explicit
    /// first stage", BIT 44, 2004): order 5 with an embedded order-4 solution, L-stable, stiffly accurate (both b and b̂ are
    /// rows of A), γ = 0.26.
    /// </summary>
    public static EsdirkTableau Kvaerno5 { get; } = new(
        "Kvaerno5", order: 5, embeddedOrder: 4, gamma: 0.26,
        a:
        [
            [0],
            [0.26, 0.26],
            [0.13, 0.84033320996790809, 0.26],
            [0.22371961478320505, 0.47675532319799699, -0.06470895363112615, 0.26],
            [0.16648564323248321, 0.10450018841591720, 0.03631482272098715, -0.13090704451073998, 0.26],
            [0.13855640231268224, 0, -0.04245337201752043, 0.02446657898003141, 0.61943039072480676, 0.26],
            [0.13659751177640291, 0, -0.05496908796538376, -0.04118626728321046, 0.62993304899016403, 0.06962479448202728, 0.26],
        ],
        b: [0.13659751177640291, 0, -0.05496908796538376, -0.04118626728321046, 0.62993304899016403, 0.06962479448202728, 0.26],
        bHat: [0.13855640231268224, 0, -0.04245337201752043, 0.02446657898003141, 0.61943039072480676, 0.26, 0],
        c: [0, 0.52, 1.230333209967908, 0.895765984350076, 0.436393609858648, 1, 1]);
}
