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
    /// <param name="denseStagesA">
    /// Extra stages used only by the continuous extension, evaluated after a step is accepted (as DOP853 does):
    /// row e holds the coefficients over stages 0 .. Stages + e − 1. With them, each row of
    /// <paramref name="dense"/> has one polynomial per stage, extra stages included.
    /// </param>
    /// <param name="denseStagesC">Nodes of the extra stages.</param>
    /// <param name="secondErrorWeights">
    /// A second, lower-order error estimate b − b̌, combined with the first as in Hairer's DOP853:
    /// err = e₁² / √(e₁² + 0.01·e₂²). The step-size exponent then uses the method's order.
    /// </param>
    public ButcherTableau(string name, int order, double[][] a, double[] b, double[] c,
        double[]? errorWeights = null, int errorOrder = 0, double[][]? dense = null, int denseOrder = 0,
        double[][]? denseStagesA = null, double[]? denseStagesC = null, double[]? secondErrorWeights = null)
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
        SecondErrorWeights = secondErrorWeights;
        if ((denseStagesA is null) != (denseStagesC is null))
            throw new ArgumentException($"{name}: give both denseStagesA and denseStagesC, or neither.", denseStagesA is null ? "denseStagesA" : "denseStagesC");
        DenseStageC = denseStagesC ?? [];
        DenseStages = Stages + DenseStageC.Length;
        DenseStageA = FlattenExtra(denseStagesA ?? [], Stages, DenseStages);
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
    /// <summary>
    /// Number of stages the continuous extension combines: <see cref="Stages"/> plus the extra stages
    /// evaluated after acceptance (<see cref="DenseStageA"/>).
    /// </summary>
    public int DenseStages { get; }
    /// <summary>Coefficients of the extra dense-output stages, row-major (DenseStages − Stages) × DenseStages.</summary>
    public double[] DenseStageA { get; }
    /// <summary>Nodes of the extra dense-output stages.</summary>
    public double[] DenseStageC { get; }
    /// <summary>The second error estimate's weights (see the constructor), or null.</summary>
    public double[]? SecondErrorWeights { get; }
    /// <summary>True when the last stage equals f at the new point.</summary>
    public bool IsFsal { get; }
    /// <summary>True when the method has an embedded error estimate.</summary>
    public bool IsAdaptive => ErrorWeights is not null;

    private RungeKuttaTerms? _terms;

    // Built on first use and kept: integrators are created per solve, the tableau's index lists once.
    internal RungeKuttaTerms Terms => _terms ??= new RungeKuttaTerms(this);

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

    private static double[] FlattenExtra(double[][] rows, int s, int total)
    {
        var flat = new double[rows.Length * total];
        for (int e = 0; e < rows.Length; e++)
        {
            if (rows[e].Length > s + e)
                throw new ArgumentException($"denseStagesA[{e}] has {rows[e].Length} entries; extra stage {e} may use at most the {s + e} stages before it.", "denseStagesA");
            rows[e].AsSpan().CopyTo(flat.AsSpan(e * total));
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
    // Sums are checked to 1e-14 relative to the magnitude of their terms: high-order methods
    // (DOP853) have coefficients near 50 whose published digits cancel to about that accuracy.
    private static bool SumsTo(ReadOnlySpan<double> terms, double expected)
    {
        double sum = 0, magnitude = 1;
        foreach (double x in terms) { sum += x; magnitude += Math.Abs(x); }
        return Math.Abs(sum - expected) <= 1e-14 * magnitude;
    }

    // Consistency conditions every explicit tableau must meet; a typo in a coefficient fails here, at startup. Each exception
    // names the constructor's argument at fault (they named none, so a user's own tableau failed without saying where).
    private void Validate()
    {
        if (C.Length != Stages) throw new ArgumentException($"{Name}: c has {C.Length} entries, b has {Stages}.", "c");
        if (!SumsTo(B, 1.0)) throw new ArgumentException($"{Name}: Σb = {B.Sum()}, not 1.", "b");
        for (int i = 0; i < Stages; i++)
        {
            ReadOnlySpan<double> row = A.AsSpan(i * Stages, Stages);
            for (int j = i; j < Stages; j++)
                if (row[j] != 0) throw new ArgumentException($"{Name}: a[{i}][{j}] makes the method implicit.", "a");
            if (!SumsTo(row, C[i])) throw new ArgumentException($"{Name}: row {i} of a sums to {row.ToArray().Sum()}, c = {C[i]}.", "c");
        }
        for (int e = 0; e < DenseStageC.Length; e++)
        {
            ReadOnlySpan<double> row = DenseStageA.AsSpan(e * DenseStages, DenseStages);
            if (!SumsTo(row, DenseStageC[e])) throw new ArgumentException($"{Name}: extra dense stage {e} sums to {row.ToArray().Sum()}, c = {DenseStageC[e]}.", "denseStagesC");
        }
        foreach (var (weights, what, parameter) in new[] { (ErrorWeights, "b − b̂", "errorWeights"), (SecondErrorWeights, "b − b̌", "secondErrorWeights") })
        {
            if (weights is null) continue;
            if (weights.Length != Stages) throw new ArgumentException($"{Name}: {what} has {weights.Length} entries, not {Stages}.", parameter);
            if (!SumsTo(weights, 0)) throw new ArgumentException($"{Name}: Σ({what}) = {weights.Sum()}, not 0.", parameter);
        }
        if (SecondErrorWeights is not null && ErrorWeights is null)
            throw new ArgumentException($"{Name}: a second error estimate needs the first.", "errorWeights");
        if (Dense is { } d)
        {
            if (d.Length != DenseStages) throw new ArgumentException($"{Name}: dense output has {d.Length} rows, not {DenseStages}.", "dense");
            for (int i = 0; i < DenseStages; i++)
            {
                if (d[i].Length != d[0].Length) throw new ArgumentException($"{Name}: dense row {i} has degree {d[i].Length}, row 0 has {d[0].Length}.", "dense");
                // b_i(1) must equal b_i (0 for extra stages): the interpolant ends on the step's solution.
                double bi = i < Stages ? B[i] : 0;
                if (!SumsTo(d[i], bi)) throw new ArgumentException($"{Name}: b_{i}(1) = {d[i].Sum()}, b = {bi}.", "dense");
            }
        }
        else if (DenseStageC.Length > 0)
        {
            throw new ArgumentException($"{Name}: extra dense stages without a continuous extension.", "dense");
        }
    }
}
