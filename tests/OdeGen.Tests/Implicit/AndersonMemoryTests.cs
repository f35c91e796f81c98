using OdeGen.Implicit;
using OdeGen.Tests.Functions;

namespace OdeGen.Tests.Implicit;

/// <summary>
/// Anderson with a memory longer than the state: more than n + 1 residuals in ℝⁿ are linearly dependent, so the
/// least-squares system of such a history is singular. A user who sets AndersonMemory = 5 on a 2- or 3-state problem
/// must get what the useful memory n + 1 gets, not a search slower than plain mixing.
/// </summary>
public class AndersonMemoryTests
{
    private const double Tolerance = 1e-10;

    /// <summary>z = tanh(W·[z; x] + b) with n states and one input: W_z a 0.97-weighted cycle plus noise, so plain mixing needs some 17 steps.</summary>
    private static double[] Parameters(int n)
    {
        int inputs = n + 1;
        double[] p = new double[(n * inputs) + n];
        var random = new Random(3);
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++) p[(i * inputs) + j] = 0.3 * ((2 * random.NextDouble()) - 1);
            p[(i * inputs) + ((i + 1) % n)] += 0.97;
            p[(i * inputs) + n] = 0.5;
            p[(n * inputs) + i] = 0.1 * (i + 1);
        }

        return p;
    }

    private static (FixedPointReport Report, double[] Z) Run(int n, int memory, double lambda, double tolerance = Tolerance, int maxIterations = 300)
    {
        var cell = new FunctionModels.DenseFunction(n + 1, (n * (n + 1)) + n, n);
        var layer = new FixedPointLayer<FunctionModels.DenseFunction>(cell, new FixedPointOptions
        {
            Method = FixedPointMethod.Anderson, Fallbacks = [], AndersonMemory = memory, AndersonRegularization = lambda,
            Tolerance = tolerance, MaxIterations = maxIterations, ThrowOnFailure = false,
        });
        double[] z = new double[n];
        return (layer.Forward([0.7], Parameters(n), z), z);
    }

    /// <summary>‖g(z) − z‖ / ‖g(z)‖ evaluated here, independently of the search's own bookkeeping.</summary>
    private static double RelativeResidual(int n, double[] z)
    {
        var cell = new FunctionModels.DenseFunction(n + 1, (n * (n + 1)) + n, n);
        double[] g = new double[n];
        cell.Evaluate([.. z, 0.7], Parameters(n), g);
        double r = Math.Sqrt(g.Zip(z, (a, b) => (a - b) * (a - b)).Sum()), norm = Math.Sqrt(g.Sum(v => v * v));
        return r / norm;
    }

    [Theory]
    [InlineData(2, 0.0)]
    [InlineData(2, 1e-8)]
    [InlineData(3, 0.0)]
    [InlineData(3, 1e-8)]
    public void MemoryBeyondTheStateLength_IsNoWorseThanMemoryN_AndNeverRestarts(int n, double lambda)
    {
        (FixedPointReport plain, double[] reference) = Run(n, 1, lambda);
        (FixedPointReport small, _) = Run(n, n, lambda);
        (FixedPointReport useful, _) = Run(n, n + 1, lambda);
        Assert.True(plain.IsConverged && small.IsConverged && useful.IsConverged, $"{plain} | {small} | {useful}");
        foreach (int memory in new[] { 5, 8, 50 })
        {
            (FixedPointReport report, double[] z) = Run(n, memory, lambda);
            string what = $"n = {n}, λ = {lambda}, memory {memory}: {report}; memory 1: {plain}; memory n: {small}";
            Assert.Equal(FixedPointStatus.Converged, report.Status);
            Assert.Equal(0, report.Restarts);
            Assert.True(report.Iterations <= small.Iterations, what);
            Assert.True(report.Iterations <= plain.Iterations, what);

            // Memory n + 1 is the whole useful history: a longer one is the same search, bit for bit.
            Assert.Equal(useful, report);

            // Converged means converged: the point returned is a fixed point, measured here.
            Assert.True(RelativeResidual(n, z) <= Tolerance, $"{what}: relative residual {RelativeResidual(n, z):G3}");
            for (int i = 0; i < n; i++) Assert.Equal(reference[i], z[i], 8);
        }
    }

    // λ scaled by the largest residual of the window grew relative to the newest one as the search converged, until a
    // λ of 1e-8 dragged the weights: 14, 17 and 28 evaluations here against 11, 12 and 11 without regularisation. Scaled
    // by the newest residual it stays a bound on the weights and costs at most one evaluation.
    [Theory]
    [InlineData(5)]
    [InlineData(8)]
    [InlineData(20)]
    public void SmallRegularization_CostsNoEvaluations_NearConvergence(int n)
    {
        (FixedPointReport unregularized, double[] reference) = Run(n, n + 1, 0);
        (FixedPointReport regularized, double[] z) = Run(n, n + 1, 1e-8);
        Assert.True(unregularized.IsConverged && regularized.IsConverged, $"{unregularized} | {regularized}");
        Assert.True(regularized.Iterations <= unregularized.Iterations + 1, $"λ = 1e-8: {regularized}; λ = 0: {unregularized}");
        Assert.True(RelativeResidual(n, z) <= Tolerance, $"relative residual {RelativeResidual(n, z):G3}");
        for (int i = 0; i < n; i++) Assert.Equal(reference[i], z[i], 8);
    }

    [Theory]
    [InlineData(2, 0.0)]
    [InlineData(3, 0.0)]
    [InlineData(2, 1e-8)]
    public void AtRoundingLevel_ConvergedMeansAnExactFixedPoint_AndTheIterateStaysFinite(int n, double lambda)
    {
        // Down at rounding level the residual differences are noise, and weights made of them would be too: the drop test
        // discards the dependent columns. A tolerance of 1e-300 is met only by a point that g maps onto itself exactly.
        (FixedPointReport report, double[] z) = Run(n, 5, lambda, tolerance: 1e-300, maxIterations: 200);
        Assert.All(z, v => Assert.True(double.IsFinite(v)));
        Assert.True(report.Residual <= 1e-14, report.ToString());
        Assert.True(RelativeResidual(n, z) <= (report.IsConverged ? 0 : 1e-14), $"{report}: relative residual {RelativeResidual(n, z):G3}");
    }

    [Fact]
    public void DependentColumn_IsDroppedWithTheOlderEntries_NotTheWholeHistory()
    {
        // Residuals a = (1, 0, 0), b = (0, 1, 0), c = (2, −1, 0): the differences a − c and b − c are parallel, so the
        // three-entry system is singular. The old mixer restarted from c alone; the drop test keeps b and c, whose best
        // combination c + ¾(b − c) = (½, ½, 0) is the least-squares answer, and a stays dropped.
        var mixer = new AndersonMixer(3, 4, regularization: 0, mixing: 1);
        mixer.Reset();
        double[][] r = [[1, 0, 0], [0, 1, 0], [2, -1, 0]];
        double[][] z = [[0.1, 0.2, 0.3], [0.4, -0.5, 0.6], [-0.7, 0.8, 0.9]];
        double[][] g = [.. z.Select((v, k) => v.Zip(r[k], (x, d) => x + d).ToArray())];
        double[] next = [];
        for (int k = 0; k < 3; k++)
        {
            next = (double[])z[k].Clone();
            Assert.False(mixer.Next(next, g[k], r[k]), $"step {k} restarted the history");
        }

        for (int i = 0; i < 3; i++) Assert.Equal(g[2][i] + (0.75 * (g[1][i] - g[2][i])), next[i], 14);

        // A fourth residual, independent of b and c: the history is now b, c, d (a stays gone), and the step mixes those
        // three by the constrained least-squares weights, computed independently here.
        double[] rd = [0.3, 0.2, 1], zd = [1, 1, 1], gd = [1.3, 1.2, 2];
        next = (double[])zd.Clone();
        Assert.False(mixer.Next(next, gd, rd));
        double[,] rows = { { 0, 2, 0.3 }, { 1, -1, 0.2 }, { 0, 0, 1 } };   // columns r_b, r_c, r_d
        double[] alpha = ConstrainedLeastSquares(rows);
        for (int i = 0; i < 3; i++)
        {
            double expected = (alpha[0] * g[1][i]) + (alpha[1] * g[2][i]) + (alpha[2] * gd[i]);
            Assert.Equal(expected, next[i], 12);
        }
    }

    /// <summary>argmin ‖R·α‖ subject to Σα = 1 for a 3 × 3 R, by the bordered (KKT) system solved independently.</summary>
    private static double[] ConstrainedLeastSquares(double[,] r)
    {
        var kkt = new double[4, 4];
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 3; j++)
            {
                double h = 0;
                for (int q = 0; q < 3; q++) h += r[q, i] * r[q, j];
                kkt[i, j] = h;
            }

            kkt[i, 3] = 1;
            kkt[3, i] = 1;
        }

        double[] solution = LinearAlgebra.Solve(kkt, [0, 0, 0, 1]);
        return solution[..3];
    }
}
