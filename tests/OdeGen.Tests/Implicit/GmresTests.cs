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
        (int products, double residual) = gmres.Solve(ref map, b, x, tolerance * Vectors.Norm(b), maxProducts: 200);

        Assert.Equal(calls[0], products);
        Assert.InRange(products, 1, 200);
        Assert.Equal(TrueResidual(a, b, x), residual);   // bit for bit: the same product and the same norm
        Assert.True(reachable == residual <= tolerance * Vectors.Norm(b), $"cond {condition:G2}: residual {residual:G3} after {products} products");
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
            (int products, double residual) = new Gmres(n, 5).Solve(ref map, b, x, 1e-300, budget);
            Assert.Equal(calls[0], products);
            Assert.True(products <= budget, $"budget {budget}: {products} products");
            Assert.Equal(TrueResidual(a, b, x), residual);
        }
    }

    [Fact]
    public void Layer_WithAnIllConditionedResolvent_IsNotConverged_AndReportsTheTrueResidual()
    {
        // g(z) = A·z with A = I − M, M of singular values 0.5 … 5e-14: z* = 0, and (I − Aᵀ)u = Mᵀu = z̄ has u ≈ 1e13, whose
        // residual no double arithmetic can bring below about ε·‖M‖·‖u‖ ≈ 1e-3·‖z̄‖. GMRES's estimate fell below the
        // tolerance anyway, and the layer reported Converged with a gradient of that accuracy.
        double[,] m = Operator(4, 1e13, seed: 5);
        double[] p = new double[20];
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 4; j++) p[(i * 4) + j] = (i == j ? 1 : 0) - (0.5 * m[i, j]);
        }

        double[] zBar = [1.0, 1.0, -1.0, 0.5], z = new double[4], pBar = new double[20];
        var options = new FixedPointOptions { Backward = ImplicitBackward.Gmres, ThrowOnFailure = false };
        var layer = new FixedPointLayer<ImplicitCells.AffineFunction>(new ImplicitCells.AffineFunction(), options);
        Assert.True(layer.Forward([], p, z).IsConverged);
        ImplicitBackwardReport report = layer.Backward([], p, z, zBar, [], pBar);
        Assert.Equal(FixedPointStatus.NotConverged, report.Status);
        Assert.True(report.Iterations <= options.BackwardMaxIterations, report.ToString());

        // u is ∂L/∂c = pBar[16..20] (g is c + A·z). Its residual, summed here in decimal (28 digits, nearly exact for these
        // products), is far above the tolerance: Converged would have been a wrong gradient. In double arithmetic no
        // residual of it is better than ε·‖M‖·‖u‖ ≈ 1e-3·‖z̄‖, and GMRES minimised its own, so the reported one may sit
        // below that noise floor, but above the tolerance.
        double[] u = pBar[16..20];
        decimal[] exact = new decimal[4];
        for (int j = 0; j < 4; j++)
        {
            decimal s = (decimal)u[j];
            for (int i = 0; i < 4; i++) s -= (decimal)p[(i * 4) + j] * (decimal)u[i];
            exact[j] = (decimal)zBar[j] - s;
        }

        double exactRelative = Math.Sqrt(exact.Sum(v => (double)v * (double)v)) / Vectors.Norm(zBar);
        Assert.True(exactRelative > 1e3 * options.BackwardTolerance, $"{report}; exact relative residual {exactRelative:G3}");
        Assert.True(report.RelativeResidual > options.BackwardTolerance, $"{report}; exact relative residual {exactRelative:G3}");

        var e = Assert.Throws<FixedPointException>(() => new FixedPointLayer<ImplicitCells.AffineFunction>(new ImplicitCells.AffineFunction(),
            options with { ThrowOnFailure = true }).Backward([], p, z, zBar, [], new double[20]));
        Assert.Contains("backward solve of the implicit layer did not converge: NotConverged by Gmres", e.Message, StringComparison.Ordinal);
    }
}
