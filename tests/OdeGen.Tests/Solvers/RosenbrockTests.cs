using OdeGen.Solvers;
using Xunit.Abstractions;

namespace OdeGen.Tests.Solvers;

public class RosenbrockTests(ITestOutputHelper output)
{
    private static readonly RosenbrockTableau Rodas4 = RosenbrockTableaux.Rodas4;

    // ---- coefficients: the W-transformed tableau back to Hairer–Wanner's (α, γ, b) form, then their order conditions ----

    private sealed record Standard(int S, double Gamma, double[,] Alpha, double[,] BetaFull, double[] B, double[] BHat, double[,] GammaM);

    // U = Γ·k, so Γ⁻¹ = diag(1/γ) − C, α = A·Γ, b = m·Γ (HW II, (7.25)–(7.27)).
    private static Standard ToStandard(RosenbrockTableau t)
    {
        int s = t.Stages;
        var inv = new double[s, s];
        for (int i = 0; i < s; i++)
        {
            inv[i, i] = 1 / t.Gamma;
            for (int j = 0; j < i; j++) inv[i, j] = -t.C[i * s + j];
        }
        // Γ = inv⁻¹ by forward substitution (lower triangular).
        var g = new double[s, s];
        for (int col = 0; col < s; col++)
            for (int i = col; i < s; i++)
            {
                double sum = i == col ? 1 : 0;
                for (int k = col; k < i; k++) sum -= inv[i, k] * g[k, col];
                g[i, col] = sum / inv[i, i];
            }
        var alpha = new double[s, s];
        var beta = new double[s, s];
        for (int i = 0; i < s; i++)
            for (int j = 0; j < s; j++)
            {
                double v = 0;
                for (int k = 0; k < s; k++) v += t.A[i * s + k] * g[k, j];
                alpha[i, j] = v;
                beta[i, j] = v + g[i, j];
            }
        double[] Times(double[] m)
        {
            var r = new double[s];
            for (int j = 0; j < s; j++) for (int k = 0; k < s; k++) r[j] += m[k] * g[k, j];
            return r;
        }
        var mHat = new double[s];
        for (int i = 0; i < s; i++) mHat[i] = t.M[i] - t.ErrorWeights[i];
        return new Standard(s, t.Gamma, alpha, beta, Times(t.M), Times(mHat), g);
    }

    // Σ b Φ(tree) against 1/γ(tree) for the eight trees up to order 4, with β including its diagonal γ (so the right-hand
    // sides are those of Runge–Kutta methods); returns the largest residual of the trees up to the given order.
    private static double OrderResidual(Standard m, double[] b, int order, double theta = 1)
    {
        int s = m.S;
        var one = Enumerable.Repeat(1.0, s).ToArray();
        double[] Mul(double[,] a, double[] v)
        {
            var r = new double[s];
            for (int i = 0; i < s; i++) for (int j = 0; j < s; j++) r[i] += a[i, j] * v[j];
            return r;
        }
        double Dot(double[] v) { double r = 0; for (int i = 0; i < s; i++) r += b[i] * v[i]; return r; }
        double[] Hadamard(double[] x, double[] y) => x.Select((v, i) => v * y[i]).ToArray();
        var a1 = Mul(m.Alpha, one);          // α_i
        var b1 = Mul(m.BetaFull, one);       // Σ_j β̄_ij
        var residuals = new List<(int Order, double R)>
        {
            (1, Dot(one) - theta),
            (2, Dot(b1) - theta * theta / 2),
            (3, Dot(Hadamard(a1, a1)) - Math.Pow(theta, 3) / 3),
            (3, Dot(Mul(m.BetaFull, b1)) - Math.Pow(theta, 3) / 6),
            (4, Dot(Hadamard(Hadamard(a1, a1), a1)) - Math.Pow(theta, 4) / 4),
            (4, Dot(Hadamard(a1, Mul(m.Alpha, b1))) - Math.Pow(theta, 4) / 8),
            (4, Dot(Mul(m.BetaFull, Hadamard(a1, a1))) - Math.Pow(theta, 4) / 12),
            (4, Dot(Mul(m.BetaFull, Mul(m.BetaFull, b1))) - Math.Pow(theta, 4) / 24),
        };
        return residuals.Where(r => r.Order <= order).Max(r => Math.Abs(r.R));
    }

    [Fact]
    public void Rodas4_SatisfiesOrderConditions_PropagatedEmbeddedAndDense()
    {
        var m = ToStandard(Rodas4);
        double main = OrderResidual(m, m.B, 4), embedded = OrderResidual(m, m.BHat, 3);
        output.WriteLine($"order-4 residual {main:E2}, embedded order-3 residual {embedded:E2}");
        Assert.True(main < 1e-10, $"order 4: {main}");
        Assert.True(embedded < 1e-10, $"embedded order 3: {embedded}");
        Assert.True(OrderResidual(m, m.BHat, 4) > 1e-4);   // the embedded solution is genuinely of lower order

        // Non-autonomous consistency: α_i = Σ_j α_ij and d_i = Σ_j γ_ij (HW II, (7.4')).
        for (int i = 0; i < m.S; i++)
        {
            double rowAlpha = 0, rowGamma = 0;
            for (int j = 0; j < m.S; j++) { rowAlpha += m.Alpha[i, j]; rowGamma += m.GammaM[i, j]; }
            Assert.Equal(Rodas4.Alpha[i], rowAlpha, 1e-10);
            Assert.Equal(Rodas4.D[i], rowGamma, 1e-10);
        }

        // Dense output y(θ) = y0 + Σ w_i(θ) U_i, w(θ) = θm + θ(1 − θ)(h1 + θh2): third order at every θ.
        foreach (double theta in new[] { 0.1, 0.37, 0.5, 0.81, 1.0 })
        {
            var w = new double[m.S];
            for (int i = 0; i < m.S; i++) w[i] = theta * Rodas4.M[i] + theta * (1 - theta) * (Rodas4.Dense1[i] + theta * Rodas4.Dense2[i]);
            var bTheta = new double[m.S];
            for (int j = 0; j < m.S; j++) for (int k = 0; k < m.S; k++) bTheta[j] += w[k] * m.GammaM[k, j];
            double r = OrderResidual(m, bTheta, 3, theta);
            Assert.True(r < 1e-10, $"dense output at θ = {theta}: residual {r}");
        }
    }

    // ---- exact solutions ----

    [Theory]
    [InlineData(-1.0)]
    [InlineData(-50.0)]
    [InlineData(0.5)]
    [InlineData(-1e4)]
    public void Rodas4_LinearScalar_MatchesExponential(double lambda)
    {
        // y' = λy is DecaySystem with k = −λ.
        var options = new SolverOptions { Method = OdeMethod.Rodas4, RelTol = 1e-8, AbsTol = 1e-12 };
        var solution = Ode.Solve(new DecaySystem(), [1.0], [-lambda], 0, 2, options).EnsureSuccess();
        double exact = Math.Exp(2 * lambda);
        double err = Math.Abs(solution.FinalState[0] - exact);
        output.WriteLine($"λ = {lambda}: y(2) = {solution.FinalState[0]:R}, error {err:E2}, {solution.Stats}");
        Assert.True(err <= 1e-6 * Math.Max(exact, 1e-6), $"error {err}");
        if (lambda == -1e4)
        {
            // An explicit method is held to |hλ| ≲ 3.3 by stability long after the transient has died out.
            var dopri = Ode.Solve(new DecaySystem(), [1.0], [-lambda], 0, 2, new SolverOptions { RelTol = 1e-8, AbsTol = 1e-12, MaxSteps = 1_000_000 }).EnsureSuccess();
            output.WriteLine($"Dopri5 at the same tolerance: {dopri.Stats}");
            Assert.True(solution.Stats.Steps * 5 < dopri.Stats.Steps, $"Rodas4 {solution.Stats.Steps} steps vs Dopri5 {dopri.Stats.Steps}");
        }
    }

    [Fact]
    public void Rodas4_StiffLinearSystem_MatchesMatrixExponential_WithFewSteps()
    {
        double[] y0 = [1, 2];
        var options = new SolverOptions { Method = OdeMethod.Rodas4, RelTol = 1e-7, AbsTol = 1e-12, SaveAt = [0.001, 0.01, 0.5, 3, 20] };
        var solution = Ode.Solve(new StiffLinearSystem(), y0, [], 0, 20, options).EnsureSuccess();
        Span<double> exact = stackalloc double[2];
        for (int i = 0; i < solution.Count; i++)
        {
            StiffLinearSystem.Exact(solution.Times[i], y0, exact);
            for (int q = 0; q < 2; q++)
                Assert.True(Math.Abs(solution.State(i)[q] - exact[q]) <= 1e-5 * Math.Abs(exact[q]) + 1e-11,
                    $"t = {solution.Times[i]}, component {q}: {solution.State(i)[q]} vs {exact[q]}");
        }
        // Dopri5 is held by stability to |hλ| ≲ 3.3 with λ = −1000, about 6,000 steps over [0, 20]; Rodas4 is not.
        var dopri = Ode.Solve(new StiffLinearSystem(), y0, [], 0, 20, new SolverOptions { RelTol = 1e-7, AbsTol = 1e-12 }).EnsureSuccess();
        output.WriteLine($"Rodas4 {solution.Stats}; Dopri5 {dopri.Stats}");
        Assert.True(solution.Stats.Steps * 5 < dopri.Stats.Steps, $"Rodas4 {solution.Stats.Steps} steps vs Dopri5 {dopri.Stats.Steps}");
    }

    [Fact]
    public void Rodas4_ProtheroRobinson_NonAutonomousStiff_UsesTimeDerivative()
    {
        const double lambda = -1e5;
        var options = new SolverOptions { Method = OdeMethod.Rodas4, RelTol = 1e-7, AbsTol = 1e-10 };
        var solution = Ode.Solve(new ProtheroRobinsonSystem(), [2.0], [lambda], 0, 10, options).EnsureSuccess();
        double exact = ProtheroRobinsonSystem.Exact(lambda, 0, 2, 10);
        output.WriteLine($"y(10) = {solution.FinalState[0]:R} vs {exact:R}; {solution.Stats}");
        Assert.True(Math.Abs(solution.FinalState[0] - exact) < 1e-6);
        Assert.True(solution.Stats.Steps < 1000);   // an explicit method would need |h| ≲ 3.3e-5: some 300,000 steps
        Assert.Equal(solution.Stats.Steps, solution.Stats.JacobianEvaluations);   // once per step, reused by rejections
        Assert.Equal(solution.Stats.Steps + solution.Stats.RejectedSteps, solution.Stats.Factorizations);
    }

    // ---- empirical order ----

    [Fact]
    public void Rodas4_EmpiricalOrderIsFour()
    {
        // Non-stiff, non-autonomous (λ = −1) so that the classical order shows; fixed steps.
        const double lambda = -1, t1 = 4;
        var hs = new List<double>();
        var errors = new List<double>();
        foreach (int steps in new[] { 10, 20, 40, 80, 160 })
        {
            var options = new SolverOptions { Method = OdeMethod.Rodas4, FixedStep = t1 / steps };
            var solution = Ode.Solve(new ProtheroRobinsonSystem(), [2.0], [lambda], 0, t1, options).EnsureSuccess();
            Assert.Equal(steps, solution.Stats.Steps);
            hs.Add(t1 / steps);
            errors.Add(Math.Abs(solution.FinalState[0] - ProtheroRobinsonSystem.Exact(lambda, 0, 2, t1)));
        }
        double order = Fit.Order(hs, errors);
        output.WriteLine($"Rodas4 empirical order {order:F3}; errors {string.Join(", ", errors.Select(e => e.ToString("E2")))}");
        Assert.InRange(order, 3.7, 4.3);
    }

    [Fact]
    public void Rodas4_EmpiricalOrderIsFour_OnASystem()
    {
        const double omega = 1, t1 = 2 * Math.PI;
        var hs = new List<double>();
        var errors = new List<double>();
        Span<double> exact = stackalloc double[2];
        OscillatorSystem.Exact(omega, t1, exact);
        foreach (int steps in new[] { 20, 40, 80, 160, 320 })
        {
            var options = new SolverOptions { Method = OdeMethod.Rodas4, FixedStep = t1 / steps };
            var solution = Ode.Solve(new OscillatorSystem(), [1.0, 0.0], [omega], 0, t1, options).EnsureSuccess();
            hs.Add(t1 / steps);
            errors.Add(Math.Max(Math.Abs(solution.FinalState[0] - exact[0]), Math.Abs(solution.FinalState[1] - exact[1])));
        }
        double order = Fit.Order(hs, errors);
        output.WriteLine($"Rodas4 (oscillator) empirical order {order:F3}");
        Assert.InRange(order, 3.7, 4.3);
    }

    [Fact]
    public void Rodas4_DenseOutput_IsThirdOrderInsideSteps()
    {
        // Largest interpolation error over interior points of fixed steps: O(h^4) locally for a third-order extension.
        const double lambda = -1, t1 = 2;
        var hs = new List<double>();
        var errors = new List<double>();
        foreach (int steps in new[] { 8, 16, 32, 64 })
        {
            var options = new SolverOptions { Method = OdeMethod.Rodas4, FixedStep = t1 / steps, Dense = true };
            var solution = Ode.Solve(new ProtheroRobinsonSystem(), [2.0], [lambda], 0, t1, options).EnsureSuccess();
            double worst = 0;
            for (int k = 0; k < steps; k++)
                foreach (double theta in new[] { 0.25, 0.5, 0.75 })
                {
                    double t = (k + theta) * t1 / steps;
                    worst = Math.Max(worst, Math.Abs(solution.Interpolate(t)[0] - ProtheroRobinsonSystem.Exact(lambda, 0, 2, t)));
                }
            hs.Add(t1 / steps);
            errors.Add(worst);
        }
        double order = Fit.Order(hs, errors);
        output.WriteLine($"Rodas4 dense output: error order {order:F3}; errors {string.Join(", ", errors.Select(e => e.ToString("E2")))}");
        Assert.InRange(order, 3.6, 4.6);   // local error of a third-order interpolant; the global error is O(h^4) too
    }

    // ---- failure statuses ----

    [Fact]
    public void SingularIterationMatrix_StopsWithSingularMatrix_AtTheTime()
    {
        var options = new SolverOptions { Method = OdeMethod.Rodas4, InitialStep = 0.1 };
        var solution = Ode.SolveWithJacobian(new SingularJacobianField(), [1.0, -1.0], 0, 1, options);
        output.WriteLine(solution.Message);
        Assert.Equal(OdeStatus.SingularMatrix, solution.Status);
        Assert.False(solution.IsSuccess);
        Assert.Equal(0.0, solution.FailureTime);
        Assert.Contains("singular", solution.Message);
        Assert.Equal(5, solution.Stats.RejectedSteps);
        var ex = Assert.Throws<OdeSolverException>(() => solution.EnsureSuccess());
        Assert.Equal(OdeStatus.SingularMatrix, ex.Status);
    }

    [Fact]
    public void NaNFromF_Rodas4_StopsWithNonFiniteValue()
    {
        var options = new SolverOptions { Method = OdeMethod.Rodas4 };
        var solution = Ode.Solve(new NaNAfterField(0.5), [0.0], 0, 1, options);
        Assert.Equal(OdeStatus.NonFiniteValue, solution.Status);
        Assert.InRange(solution.FinalTime, 0.49, 0.5);
    }

    [Fact]
    public void ExplicitOnlyOperations_RejectStiffMethodsClearly()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => OdeMethod.Rodas4.Tableau);
        Assert.Contains("stiff method", ex.Message);
        Assert.True(OdeMethod.Rodas4.IsStiff);
        Assert.False(OdeMethod.Dopri5.IsStiff);
        Assert.Equal(4, OdeMethod.Rodas4.Order);
        Assert.Contains(OdeMethod.Rodas4, OdeMethod.All);
    }

    [Theory]
    [InlineData("Rodas4")]
    [InlineData("Kvaerno5")]
    public void Sensitivities_WithAStiffMethod_RunOrRefuseWithASentence(string method)
    {
        // Jvp, Forward and the interpolating adjoint run stiff methods; the back-solve and the discrete adjoint refuse them
        // with a sentence naming the alternatives, not an NRE (docs/sensitivity.md, "Stiff problems").
        var options = new SolverOptions { Method = OdeMethod.Stiff.Single(m => m.Name == method), RelTol = 1e-8, AbsTol = 1e-10 };
        OdeTangent jvp = Ode.Jvp(new DecaySystem(), [1.0], [0.5], 0, 1, [1.0], [0.0], options: options);
        Assert.True(jvp.IsSuccess);
        Assert.Equal(Math.Exp(-0.5), jvp.Tangent[0], 1e-7);
        // With no sensitivity given, a stiff method gets the interpolating adjoint: L = y(1) = e^{−p}, dL/dp = −e^{−p}.
        OdeGradient byDefault = Ode.Gradient(new DecaySystem(), [1.0], [0.5], 0, [1.0], [1.0], options: options);
        Assert.IsType<InterpolatingAdjointSensitivity>(byDefault.Sensitivity);
        // 1e-6, not rtol: with Kvaerno5 the backward quadrature's tolerance-level local errors add up over 16 segments
        // (measured 2.1e-7 relative in dL/dp; Rodas4 2e-12; docs/sensitivity.md, "Stiff problems").
        Assert.Equal(-Math.Exp(-0.5), byDefault.Parameters[0], 1e-6);
        var gradient = Assert.Throws<NotSupportedException>(() =>
            Ode.Gradient(new DecaySystem(), [1.0], [0.5], 0, [1.0], [1.0], OdeGen.Sensitivity.BacksolveAdjoint, options));
        Assert.Contains("InterpolatingAdjoint", gradient.Message);
        var discrete = Assert.Throws<NotSupportedException>(() =>
            Ode.Gradient(new DecaySystem(), [1.0], [0.5], 0, [1.0], [1.0], OdeGen.Sensitivity.DiscreteAdjoint, options));
        Assert.Contains(method, discrete.Message);
    }

    // ---- finite-difference Jacobian for plain vector fields ----

    private readonly struct StiffDecayField : IVectorField
    {
        public int Dimension => 2;
        public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt)
        {
            dydt[0] = -y[0] + y[1];
            dydt[1] = -1000 * y[1] + Math.Sin(t);
        }
    }

    [Fact]
    public void PlainVectorField_StiffMethod_UsesFiniteDifferenceJacobian()
    {
        var options = new SolverOptions { Method = OdeMethod.Rodas4, RelTol = 1e-6, AbsTol = 1e-10 };
        var stiff = Ode.Solve(new StiffDecayField(), [1.0, 1.0], 0, 5, options).EnsureSuccess();
        var reference = Ode.Solve(new StiffDecayField(), [1.0, 1.0], 0, 5, new SolverOptions { RelTol = 1e-11, AbsTol = 1e-14, MaxSteps = 1_000_000 }).EnsureSuccess();
        output.WriteLine($"Rodas4 (FD Jacobian) {stiff.Stats}; Dopri5 {reference.Stats}");
        for (int q = 0; q < 2; q++)
            Assert.True(Math.Abs(stiff.FinalState[q] - reference.FinalState[q]) < 1e-5 * Math.Abs(reference.FinalState[q]) + 1e-9);
        Assert.True(stiff.Stats.Steps * 5 < reference.Stats.Steps);
    }
}
