using OdeGen.Implicit;

namespace OdeGen.Tests.Implicit;

/// <summary>
/// GMRES judges convergence by the true residual ‖b − A·x‖, never by the Arnoldi recurrence's estimate, which in
/// finite precision can fall far below it (ill-conditioned A, lost orthogonality); the residual it reports is the true one.
/// </summary>
public class GmresTests
{
    /// <summary>A dense n×n operator that counts its products (the test double for the layer's resolvent map).</summary>
    private readonly struct DenseMap(double[,] a, int[] calls) : ILinearMap
    {
        public void Apply(ReadOnlySpan<double> x, Span<double> result)
        {
            calls[0]++;
            for (int i = 0; i < result.Length; i++)
            {
                double s = 0;
                for (int j = 0; j < x.Length; j++) s += a[i, j] * x[j];
                result[i] = s;
            }
        }
    }

    /// <summary>Q·diag(σ)·Qᵀ with Q a product of random plane rotations: symmetric, eigenvalues from 1 down to 1/condition.</summary>
    private static double[,] Operator(int n, double condition, int seed)
    {
        var random = new Random(seed);
        var a = new double[n, n];
        for (int i = 0; i < n; i++) a[i, i] = Math.Pow(condition, -(double)i / (n - 1));

        // The same rotation on rows and columns (a similarity) keeps the eigenvalues and spreads them over every entry.
        for (int sweep = 0; sweep < 2 * n; sweep++)
        {
            int p = random.Next(n), q = (p + 1 + random.Next(n - 1)) % n;
            double angle = random.NextDouble() * Math.PI, c = Math.Cos(angle), s = Math.Sin(angle);
            for (int j = 0; j < n; j++) (a[p, j], a[q, j]) = ((c * a[p, j]) - (s * a[q, j]), (s * a[p, j]) + (c * a[q, j]));
            for (int i = 0; i < n; i++) (a[i, p], a[i, q]) = ((c * a[i, p]) - (s * a[i, q]), (s * a[i, p]) + (c * a[i, q]));
        }

        return a;
    }

    private static double TrueResidual(double[,] a, double[] b, double[] x)
    {
        var map = new DenseMap(a, new int[1]);
        double[] ax = new double[b.Length];
        map.Apply(x, ax);
        for (int i = 0; i < b.Length; i++) ax[i] = b[i] - ax[i];
        return Vectors.Norm(ax);
    }

    [Theory]
    [InlineData(1e2, 30, 1e-12, true)]
    [InlineData(1e2, 4, 1e-6, true)]       // short restarts: many cycles, each ended by a true residual
    [InlineData(1e8, 30, 1e-12, false)]    // the truth stalls near ε·cond ≈ 1e-9 while the estimate falls below 1e-12
    [InlineData(1e14, 30, 1e-10, false)]   // the truth stalls near 1e-3
    public void ReportedResidual_IsTheTrueResidualOfTheReturnedX_AndEveryProductIsCounted(double condition, int restart, double tolerance, bool reachable)
    {
        const int n = 12;
        double[,] a = Operator(n, condition, seed: 7);
        var random = new Random(8);
        double[] b = new double[n], x = new double[n];
        for (int i = 0; i < n; i++) b[i] = (2 * random.NextDouble()) - 1;
        int[] calls = new int[1];
        var map = new DenseMap(a, calls);
        var gmres = new Gmres(n, restart);
        GmresResult result = gmres.Solve(ref map, b, x, tolerance * Vectors.Norm(b), maxProducts: 200);

        Assert.Equal(calls[0], result.Products);
        Assert.InRange(result.Products, 1, 200);
        Assert.Equal(TrueResidual(a, b, x), result.Residual);   // bit for bit: the same product and the same norm
        Assert.True(reachable == result.Meets(tolerance * Vectors.Norm(b)), $"cond {condition:G2}: {result}");
        // What makes the tight tolerances unreachable is the rounding floor: ε·‖A‖·‖x‖ ≈ ε·cond·‖b‖ is above them.
        Assert.True(reachable == result.RoundingFloor <= tolerance * Vectors.Norm(b), $"cond {condition:G2}: {result}");
    }

    [Fact]
    public void BudgetIsKept_WithTheResidualCheckInsideIt()
    {
        const int n = 12;
        double[,] a = Operator(n, 1e6, seed: 3);
        double[] b = new double[n];
        b[0] = 1;
        foreach (int budget in new[] { 1, 2, 3, 7, 13, 31 })
        {
            int[] calls = new int[1];
            var map = new DenseMap(a, calls);
            double[] x = new double[n];
            GmresResult result = new Gmres(n, 5).Solve(ref map, b, x, 1e-300, budget);
            Assert.Equal(calls[0], result.Products);
            Assert.True(result.Products <= budget, $"budget {budget}: {result}");
            Assert.Equal(TrueResidual(a, b, x), result.Residual);
        }
    }

    /// <summary>g(z) = A·z with A = I − M/2, M of singular values 1 … 1e-13: z* = 0, and (I − Aᵀ)u = Mᵀu/2 = z̄ has u ≈ 1e13.</summary>
    private static double[] IllConditionedLayer()
    {
        double[,] m = Operator(4, 1e13, seed: 5);
        double[] p = new double[20];
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 4; j++) p[(i * 4) + j] = (i == j ? 1 : 0) - (0.5 * m[i, j]);
        }

        return p;
    }

    // The residual of u ≈ 1e13 can be no better than about ε·‖M‖·‖u‖ ≈ 1e-3·‖z̄‖ in double arithmetic (its exact value, summed
    // below in decimal, is 2e-3 … 3e-3·‖z̄‖), but GMRES minimises the residual it computes, which went down to 1e-7 … 1e-5.
    // Before the rounding floor the looser tolerances here were reported Converged, each with a gradient of that accuracy; at
    // 1e-10 the computed residual never got that low.
    [Theory]
    [InlineData(1e-10)]
    [InlineData(1e-6)]
    [InlineData(1e-5)]
    [InlineData(1e-3)]
    public void Layer_WithAnIllConditionedResolvent_IsNotConverged_AtAnyToleranceBelowTheRoundingFloor(double tolerance)
    {
        double[] p = IllConditionedLayer();
        double[] zBar = [1.0, 1.0, -1.0, 0.5], z = new double[4], pBar = new double[20];
        var options = new FixedPointOptions { Backward = ImplicitBackward.Gmres, ThrowOnFailure = false, BackwardTolerance = tolerance };
        var layer = new FixedPointLayer<ImplicitCells.AffineFunction>(new ImplicitCells.AffineFunction(), options);
        Assert.True(layer.Forward([], p, z).IsConverged);
        ImplicitBackwardReport report = layer.Backward([], p, z, zBar, [], pBar);
        Assert.Equal(FixedPointStatus.NotConverged, report.Status);
        Assert.True(report.Iterations <= options.BackwardMaxIterations, report.ToString());

        // u is ∂L/∂c = pBar[16..20] (g is c + A·z). Its residual, summed here in decimal (28 digits, nearly exact for these
        // products), is above the tolerance: Converged would have been a wrong gradient. The floor says so, and is of the
        // size of that exact residual, not of the computed one.
        double[] u = pBar[16..20];
        decimal[] exact = new decimal[4];
        for (int j = 0; j < 4; j++)
        {
            decimal s = (decimal)u[j];
            for (int i = 0; i < 4; i++) s -= (decimal)p[(i * 4) + j] * (decimal)u[i];
            exact[j] = (decimal)zBar[j] - s;
        }

        double exactRelative = Math.Sqrt(exact.Sum(v => (double)v * (double)v)) / Vectors.Norm(zBar);
        Assert.True(exactRelative > tolerance, $"{report}; exact relative residual {exactRelative:G3}");
        Assert.True(report.RoundingFloor > tolerance, $"{report}; exact relative residual {exactRelative:G3}");
        Assert.InRange(report.RoundingFloor, exactRelative / 10, exactRelative * 10);

        var e = Assert.Throws<FixedPointException>(() => new FixedPointLayer<ImplicitCells.AffineFunction>(new ImplicitCells.AffineFunction(),
            options with { ThrowOnFailure = true }).Backward([], p, z, zBar, [], new double[20]));
        Assert.Contains("backward solve of the implicit layer did not converge: NotConverged by Gmres", e.Message, StringComparison.Ordinal);
        Assert.Contains("below the residual's rounding floor", e.Message, StringComparison.Ordinal);
        Assert.Contains("achievable relative residual is about", e.Message, StringComparison.Ordinal);
    }

    // Well-conditioned operators keep converging at tight tolerances: the floor, 8ε·(‖b‖ + ‖A‖·‖x‖), is near 1e-15·‖b‖ there.
    [Theory]
    [InlineData(1.0, 1e-13)]
    [InlineData(10.0, 1e-13)]
    [InlineData(1e2, 1e-12)]
    [InlineData(1e3, 1e-11)]
    public void WellConditionedOperators_StillConverge_WithTheFloorFarBelowTheTolerance(double condition, double tolerance)
    {
        foreach (int n in new[] { 5, 40 })
        {
            double[,] a = Operator(n, condition, seed: n);
            var random = new Random(n + 1);
            double[] b = new double[n], x = new double[n];
            for (int i = 0; i < n; i++) b[i] = (2 * random.NextDouble()) - 1;
            var map = new DenseMap(a, new int[1]);
            GmresResult result = new Gmres(n, 30).Solve(ref map, b, x, tolerance * Vectors.Norm(b), maxProducts: 400);
            Assert.True(result.Meets(tolerance * Vectors.Norm(b)), $"n {n}, cond {condition:G2}: {result}");
            Assert.True(result.RoundingFloor <= 0.1 * tolerance * Vectors.Norm(b), $"n {n}, cond {condition:G2}: {result}");
            double[] exact = LinearAlgebra.Solve(a, b);
            for (int i = 0; i < n; i++) Assert.Equal(exact[i], x[i], 10 * condition * tolerance * Vectors.Norm(b));   // ‖x − x*‖ ≤ ‖A⁻¹‖·‖r‖, ‖A⁻¹‖ = cond
        }
    }
}
