namespace OdeGen.Solvers;

/// <summary>
/// An explicit Runge–Kutta method as data: the coefficients, the embedded error weights and,
/// where the method has one, its continuous extension. One stepper serves every tableau.
/// </summary>
public sealed class ButcherTableau
{
    /// <summary>Creates and checks a tableau.</summary>
    /// <param name="name">Display name.</param>
    /// <param name="order">Order of the propagated solution.</param>
    /// <param name="a">Strictly lower-triangular stage matrix; row i holds a[i][0..i-1].</param>
    /// <param name="b">Weights of the propagated solution.</param>
    /// <param name="c">Nodes.</param>
    /// <param name="errorWeights">b − b̂ (null for fixed-step methods).</param>
    /// <param name="errorOrder">Order of the embedded solution b̂ (controls the step-size exponent).</param>
    /// <param name="dense">
    /// Continuous extension: dense[i][j] is the coefficient of θ^(j+1) in b_i(θ), so that
    /// y(t0 + θh) = y0 + h Σ b_i(θ) k_i. Null: cubic Hermite interpolation is used.
    /// </param>
    /// <param name="denseOrder">Order of the continuous extension (0 when there is none; informational and tested).</param>
    public ButcherTableau(string name, int order, double[][] a, double[] b, double[] c,
        double[]? errorWeights = null, int errorOrder = 0, double[][]? dense = null, int denseOrder = 0)
    {
        Name = name;
        Order = order;
        Stages = b.Length;
        C = c;
        B = b;
        ErrorWeights = errorWeights;
        ErrorOrder = errorOrder;
        Dense = dense;
        DenseOrder = dense is null ? 0 : denseOrder;
        A = Flatten(a, Stages);
        Validate();
        // First same as last: the last stage is evaluated at (t + h, y_new), so it is the next step's first.
        IsFsal = c[Stages - 1] == 1.0 && RowEqualsB(a[Stages - 1], b);
    }

    /// <summary>Display name.</summary>
    public string Name { get; }
    /// <summary>Order of the propagated solution.</summary>
    public int Order { get; }
    /// <summary>Order of the embedded solution (0 when there is none).</summary>
    public int ErrorOrder { get; }
    /// <summary>Number of stages.</summary>
    public int Stages { get; }
    /// <summary>Stage matrix, row-major Stages × Stages (strictly lower triangular).</summary>
    public double[] A { get; }
    /// <summary>Weights.</summary>
    public double[] B { get; }
    /// <summary>Nodes.</summary>
    public double[] C { get; }
    /// <summary>b − b̂, or null for fixed-step methods.</summary>
    public double[]? ErrorWeights { get; }
    /// <summary>Continuous-extension polynomials (see the constructor), or null.</summary>
    public double[][]? Dense { get; }
    /// <summary>Order of the continuous extension (0 when the method has none and cubic Hermite is used).</summary>
    public int DenseOrder { get; }
    /// <summary>True when the last stage equals f at the new point.</summary>
    public bool IsFsal { get; }
    /// <summary>True when the method has an embedded error estimate.</summary>
    public bool IsAdaptive => ErrorWeights is not null;

    /// <inheritdoc/>
    public override string ToString() => Name;

    private static double[] Flatten(double[][] a, int s)
    {
        if (a.Length != s) throw new ArgumentException($"a has {a.Length} rows, b has {s} entries.", nameof(a));
        var flat = new double[s * s];
        for (int i = 0; i < a.Length; i++)
        {
            if (a[i].Length > i) throw new ArgumentException($"a[{i}] has {a[i].Length} entries; an explicit method's row {i} has at most {i}.", nameof(a));
            for (int j = 0; j < a[i].Length; j++)
                flat[i * s + j] = a[i][j];
        }
        return flat;
    }

    private static bool RowEqualsB(double[] row, double[] b)
    {
        for (int j = 0; j < b.Length; j++)
        {
            double aij = j < row.Length ? row[j] : 0.0;
            if (aij != b[j]) return false;
        }
        return true;
    }

    // Consistency conditions every explicit tableau must meet; a typo in a coefficient fails here, at startup.
    private void Validate()
    {
        const double tol = 1e-14;
        if (C.Length != Stages) throw new ArgumentException($"{Name}: c has {C.Length} entries, b has {Stages}.");
        if (Math.Abs(B.Sum() - 1.0) > tol) throw new ArgumentException($"{Name}: Σb = {B.Sum()}, not 1.");
        for (int i = 0; i < Stages; i++)
        {
            double rowSum = 0;
            for (int j = 0; j < Stages; j++)
            {
                if (j >= i && A[i * Stages + j] != 0) throw new ArgumentException($"{Name}: a[{i}][{j}] makes the method implicit.");
                rowSum += A[i * Stages + j];
            }
            if (Math.Abs(rowSum - C[i]) > tol) throw new ArgumentException($"{Name}: row {i} of a sums to {rowSum}, c = {C[i]}.");
        }
        if (ErrorWeights is { } e)
        {
            if (e.Length != Stages) throw new ArgumentException($"{Name}: error weights have {e.Length} entries.");
            if (Math.Abs(e.Sum()) > tol) throw new ArgumentException($"{Name}: Σ(b − b̂) = {e.Sum()}, not 0.");
        }
        if (Dense is { } d)
        {
            if (d.Length != Stages) throw new ArgumentException($"{Name}: dense output has {d.Length} rows.");
            for (int i = 0; i < Stages; i++)
            {
                if (d[i].Length != d[0].Length) throw new ArgumentException($"{Name}: dense row {i} has degree {d[i].Length}, row 0 has {d[0].Length}.");
                // b_i(1) must equal b_i: the interpolant ends on the step's solution.
                if (Math.Abs(d[i].Sum() - B[i]) > tol) throw new ArgumentException($"{Name}: b_{i}(1) = {d[i].Sum()}, b = {B[i]}.");
            }
        }
    }
}
