using OdeGen.Solvers;
using Xunit.Abstractions;

namespace OdeGen.Tests.Solvers;

public class EsdirkTests(ITestOutputHelper output)
{
    private static readonly EsdirkTableau Kvaerno5 = EsdirkTableaux.Kvaerno5;

    // Butcher's conditions for the 17 trees of order ≤ 5; the stage matrix may be implicit (lower triangular with diagonal).
    private static int OrderOf(EsdirkTableau t, double[] b)
    {
        int s = t.Stages;
        double[] Mat(double[] v)
        {
            var r = new double[s];
            for (int i = 0; i < s; i++) for (int j = 0; j < s; j++) r[i] += t.A[i * s + j] * v[j];
            return r;
        }
        double[] Mul(double[] x, double[] y) => x.Zip(y, (p, q) => p * q).ToArray();
        double Dot(double[] v) => b.Zip(v, (p, q) => p * q).Sum();
        double[] one = Enumerable.Repeat(1.0, s).ToArray(), c = t.C;
        double[] c2 = Mul(c, c), c3 = Mul(c2, c), c4 = Mul(c3, c);
        double[] ac = Mat(c), ac2 = Mat(c2), ac3 = Mat(c3), aac = Mat(ac), aac2 = Mat(ac2), aaac = Mat(aac), acac = Mat(Mul(c, ac));
        var trees = new (int Order, double[] Phi, double Gamma)[]
        {
            (1, one, 1), (2, c, 2), (3, c2, 3), (3, ac, 6),
            (4, c3, 4), (4, Mul(c, ac), 8), (4, ac2, 12), (4, aac, 24),
            (5, c4, 5), (5, Mul(c2, ac), 10), (5, Mul(c, ac2), 15), (5, Mul(c, aac), 30), (5, Mul(ac, ac), 20),
            (5, ac3, 20), (5, acac, 40), (5, aac2, 60), (5, aaac, 120),
        };
        int order = 0;
        foreach (var group in trees.GroupBy(x => x.Order))
        {
            // The published coefficients have 15–17 significant digits.
            if (!group.All(x => Math.Abs(Dot(x.Phi) - 1 / x.Gamma) < 1e-13)) break;
            order = group.Key;
        }
        return order;
    }

    [Fact]
    public void Kvaerno5_SatisfiesOrderConditions_FiveAndFour_StifflyAccurate()
    {
        Assert.Equal(5, OrderOf(Kvaerno5, Kvaerno5.B));
        Assert.Equal(4, OrderOf(Kvaerno5, Kvaerno5.BHat));
        Assert.True(Kvaerno5.IsStifflyAccurate);
        // L-stability: R(z) = 1 + z bᵀ(I − zA)⁻¹1 → 0 as z → −∞ (like 1/z). Rounding in 1 + z·(…) grows with |z|, so look
        // at moderate z where the decay is visible above it.
        double R(double z)
        {
            int s = Kvaerno5.Stages;
            var m = new double[s * s];
            for (int i = 0; i < s; i++) for (int j = 0; j < s; j++) m[i * s + j] = (i == j ? 1 : 0) - z * Kvaerno5.A[i * s + j];
            var rhs = Enumerable.Repeat(1.0, s).ToArray();
            var piv = new int[s];
            Assert.True(DenseLU.Factor(m, s, piv));
            DenseLU.Solve(m, s, piv, rhs);
            return 1 + z * Kvaerno5.B.Zip(rhs, (p, q) => p * q).Sum();
        }
        double r3 = R(-1e3), r5 = R(-1e5);
        output.WriteLine($"R(−1e3) = {r3:E2}, R(−1e5) = {r5:E2}");
        Assert.True(Math.Abs(r3) < 1e-2 && Math.Abs(r5) < 1e-4 && Math.Abs(r5) < Math.Abs(r3) / 20);
        foreach (double x in new[] { -0.5, -3.0, -30.0 }) Assert.True(Math.Abs(R(x)) < 1, $"|R({x})| ≥ 1");   // A-stable on the axis
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(0.5)]
    [InlineData(-1e4)]
    public void Kvaerno5_LinearScalar_MatchesExponential(double lambda)
    {
        var options = new SolverOptions { Method = OdeMethod.Kvaerno5, RelTol = 1e-9, AbsTol = 1e-12 };
        var solution = Ode.Solve(new DecaySystem(), [1.0], [-lambda], 0, 2, options).EnsureSuccess();
        double exact = Math.Exp(2 * lambda), err = Math.Abs(solution.FinalState[0] - exact);
        output.WriteLine($"λ = {lambda}: error {err:E2}, {solution.Stats}");
        Assert.True(err <= 1e-7 * Math.Max(exact, 1e-5), $"error {err}");
    }

    [Fact]
    public void Kvaerno5_StiffLinearSystem_MatchesMatrixExponential()
    {
        double[] y0 = [1, 2];
        var options = new SolverOptions { Method = OdeMethod.Kvaerno5, RelTol = 1e-8, AbsTol = 1e-12, SaveAt = [0.001, 0.01, 0.5, 3, 20] };
        var solution = Ode.Solve(new StiffLinearSystem(), y0, [], 0, 20, options).EnsureSuccess();
        Span<double> exact = stackalloc double[2];
        for (int i = 0; i < solution.Count; i++)
        {
            StiffLinearSystem.Exact(solution.Times[i], y0, exact);
            for (int q = 0; q < 2; q++)
                Assert.True(Math.Abs(solution.State(i)[q] - exact[q]) <= 1e-5 * Math.Abs(exact[q]) + 1e-11,
                    $"t = {solution.Times[i]}, component {q}: {solution.State(i)[q]} vs {exact[q]}");
        }
        output.WriteLine(solution.Stats.ToString());
        Assert.True(solution.Stats.Steps < 600, $"{solution.Stats.Steps} steps");
        Assert.Equal(solution.Stats.Steps, solution.Stats.JacobianEvaluations);
    }

    [Fact]
    public void Kvaerno5_EmpiricalOrderIsFive()
    {
        // Fixed steps, tight Newton tolerance (the tolerances set it), non-autonomous and non-stiff.
        const double lambda = -1, t1 = 4;
        var hs = new List<double>();
        var errors = new List<double>();
        foreach (int steps in new[] { 8, 16, 32, 64 })
        {
            var options = new SolverOptions { Method = OdeMethod.Kvaerno5, FixedStep = t1 / steps, RelTol = 1e-14, AbsTol = 1e-16 };
            var solution = Ode.Solve(new ProtheroRobinsonSystem(), [2.0], [lambda], 0, t1, options).EnsureSuccess();
            Assert.Equal(steps, solution.Stats.Steps);
            hs.Add(t1 / steps);
            errors.Add(Math.Abs(solution.FinalState[0] - ProtheroRobinsonSystem.Exact(lambda, 0, 2, t1)));
        }
        double order = Fit.Order(hs, errors);
        output.WriteLine($"Kvaerno5 empirical order {order:F3}; errors {string.Join(", ", errors.Select(e => e.ToString("E2")))}");
        Assert.InRange(order, 4.7, 5.3);
    }

    [Fact]
    public void Kvaerno5_SingularNewtonMatrix_StopsWithSingularMatrix()
    {
        var options = new SolverOptions { Method = OdeMethod.Kvaerno5, InitialStep = 0.1 };
        var solution = Ode.SolveWithJacobian(new SingularJacobianField(), [1.0, -1.0], 0, 1, options);
        Assert.Equal(OdeStatus.SingularMatrix, solution.Status);
        Assert.Equal(0.0, solution.FailureTime);
    }

    [Fact]
    public void Kvaerno5_FixedStepTooLargeForNewton_StopsWithConvergenceFailure()
    {
        // y' = y² from 1 blows up at t = 1; a fixed step of 0.9 asks Newton to solve past the pole region.
        var options = new SolverOptions { Method = OdeMethod.Kvaerno5, FixedStep = 0.9 };
        var solution = Ode.Solve(new BlowUpSystem(), [1.0], [], 0, 5, options);
        output.WriteLine(solution.Message);
        Assert.Equal(OdeStatus.ConvergenceFailure, solution.Status);
        Assert.False(solution.IsSuccess);
    }
}
