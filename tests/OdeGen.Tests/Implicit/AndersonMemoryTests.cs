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
}
