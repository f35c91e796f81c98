using OdeGen.Implicit;

namespace OdeGen.Tests.Implicit;

/// <summary>Equilibria of generated dynamics and their implicit-function-theorem gradients.</summary>
public class SteadyStateTests
{
    /// <summary>A stable A (diagonally dominant, negative diagonal) and b for dy/dt = A·y + b.</summary>
    private static double[] LinearParameters() =>
    [
        -2.0, 0.5, 0.3,
        0.4, -1.5, 0.2,
        -0.1, 0.6, -3.0,
        1.0, -2.0, 0.5,
    ];

    private static double[,] A(double[] p)
    {
        var a = new double[3, 3];
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 3; j++) a[i, j] = p[(i * 3) + j];
        }

        return a;
    }

    /// <summary>A system that counts the products asked of it (VJPs, JVPs, Jacobians), else the wrapped one.</summary>
    private readonly struct Counting<TSystem>(TSystem inner, int[] counts) : IOdeSystem
        where TSystem : struct, IOdeSystem
    {
        public int StateCount => inner.StateCount;

        public int ParameterCount => inner.ParameterCount;

        public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => inner.Evaluate(t, y, p, dydt);

        public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot,
            Span<double> dydt, Span<double> dydtDot)
        {
            counts[1]++;
            inner.Jvp(t, y, p, tDot, yDot, pDot, dydt, dydtDot);
        }

        public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
        {
            counts[0]++;
            return inner.Vjp(t, y, p, a, yBar, pBar);
        }

        public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp)
        {
            counts[2]++;
            inner.Jacobian(t, y, p, dfdy, dfdp);
        }
    }

    public static TheoryData<string> Searches() => new() { "dense Newton", "Krylov Newton", "integrate" };

    private static SteadyStateOptions Options(string search) => search switch
    {
        "dense Newton" => new SteadyStateOptions(),
        "Krylov Newton" => new SteadyStateOptions { DenseLimit = 0 },
        _ => new SteadyStateOptions { Method = SteadyStateMethod.Integrate },
    };

    [Fact]
    public void UndefinedMethod_IsRefused()
    {
        double[] y = [5, -5, 5];
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            SteadyState.Solve(new ImplicitCells.LinearFlowSystem(), y, LinearParameters(), new SteadyStateOptions { Method = (SteadyStateMethod)2 }));
        Assert.Equal("Method", e.ParamName);
    }

    [Theory]
    [MemberData(nameof(Searches))]
    public void LinearFlow_SettlesAtMinusAInverseB(string search)
    {
        double[] p = LinearParameters();
        double[] expected = LinearAlgebra.Solve(A(p), p[9..].Select(v => -v).ToArray());
        double[] y = [5, -5, 5];
        SteadyStateReport report = SteadyState.Solve(new ImplicitCells.LinearFlowSystem(), y, p, Options(search));
        Assert.True(report.IsConverged, report.ToString());
        for (int i = 0; i < 3; i++) Assert.Equal(expected[i], y[i], 12);
        if (search == "integrate") Assert.True(report.IntegratedTime > 0, report.ToString());
        if (search == "Krylov Newton") Assert.True(report.LinearIterations > 0, report.ToString());
    }

    [Theory]
    [MemberData(nameof(Searches))]
    public void LinearFlow_GradientIsExact(string search)
    {
        // L = cᵀy*, y* = −A⁻¹b: with Aᵀλ = c, dL/db = −λ and dL/dA_ij = −λ_i·y*_j, solved here independently.
        double[] p = LinearParameters(), c = [0.7, -1.1, 0.4];
        double[] yStar = LinearAlgebra.Solve(A(p), p[9..].Select(v => -v).ToArray());
        double[] lambda = LinearAlgebra.Solve(LinearAlgebra.Transpose(A(p)), c);
        double[] pBar = new double[12];
        SteadyStateGradientReport report = SteadyState.Gradient(new ImplicitCells.LinearFlowSystem(), yStar, p, c, pBar, Options(search));
        Assert.True(report.IsConverged, report.ToString());
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(-lambda[i], pBar[9 + i], 12);
            for (int j = 0; j < 3; j++) Assert.Equal(-lambda[i] * yStar[j], pBar[(i * 3) + j], 12);
        }
    }

    [Theory]
    [MemberData(nameof(Searches))]
    public void NonlinearRing_GradientMatchesCentralDifferencesOfTheSolve(string search)
    {
        double[] p = [0.3, -0.8, 1.2, 0.1], w = [1.0, -0.5, 0.25, 2.0];
        var system = new ImplicitCells.RingSystem();
        double Loss(double[] theta)
        {
            double[] y = new double[4];
            SteadyState.Solve(system, y, theta, Options(search) with { Tolerance = 1e-13 });
            return w.Zip(y, (a, b) => a * b).Sum();
        }

        double[] yStar = new double[4], pBar = new double[4];
        SteadyState.Solve(system, yStar, p, Options(search) with { Tolerance = 1e-13 });
        SteadyState.Gradient(system, yStar, p, w, pBar, Options(search));
        const double h = 1e-6;
        for (int k = 0; k < 4; k++)
        {
            double[] plus = (double[])p.Clone(), minus = (double[])p.Clone();
            plus[k] += h;
            minus[k] -= h;
            double fd = (Loss(plus) - Loss(minus)) / (2 * h);
            Assert.True(Math.Abs(fd - pBar[k]) <= 1e-7 * (1 + Math.Abs(fd)), $"dL/dθ[{k}]: differences {fd:R}, implicit {pBar[k]:R}");
        }
    }

    // The gradient by GMRES costs its products and the one VJP that makes dL/dθ, nothing more: GMRES measured the residual of
    // the λ it returned, and the report carries that measurement (a second VJP, which the gradient spent before, gives the
    // same bits, as the test checks by making it). The dense solve measures its residual with one VJP, as LU reports none.
    [Theory]
    [InlineData("Krylov Newton")]
    [InlineData("dense Newton")]
    public void Gradient_SpendsTheLinearSolvesProductsAndOneVjp_AndReportsTheResidualOfItsLambda(string search)
    {
        double[] p = LinearParameters(), c = [0.7, -1.1, 0.4];
        double[] yStar = LinearAlgebra.Solve(A(p), p[9..].Select(v => -v).ToArray());
        double[] pBar = new double[12];
        int[] counts = new int[3];
        var system = new Counting<ImplicitCells.LinearFlowSystem>(new ImplicitCells.LinearFlowSystem(), counts);
        SteadyStateGradientReport report = SteadyState.Gradient(system, yStar, p, c, pBar, Options(search));
        Assert.True(report.IsConverged, report.ToString());
        bool dense = search == "dense Newton";
        Assert.Equal(dense, report.DenseJacobian);
        Assert.Equal(0, counts[1]);
        if (dense)
        {
            Assert.Equal(0, report.Products);
            Assert.Equal(2, counts[0]);   // the residual's VJP and the dL/dθ VJP
            Assert.Equal(1, counts[2]);
        }
        else
        {
            Assert.True(report.Products > 0, report.ToString());
            Assert.Equal(report.Products + 1, counts[0]);   // GMRES's products and the dL/dθ VJP
            Assert.Equal(0, counts[2]);
        }

        // λ is −dL/db = −pBar[9..12] (exactly: dL/db_i = −λ_i·1); its residual, measured with the same VJP, is the one reported.
        double[] lambda = pBar[9..].Select(v => -v).ToArray(), r = new double[3];
        new ImplicitCells.LinearFlowSystem().Vjp(0, yStar, p, lambda, r, new double[12]);
        for (int i = 0; i < 3; i++) r[i] -= c[i];
        Assert.Equal(Vectors.Norm(r) / Vectors.Norm(c), report.RelativeResidual);
        Assert.InRange(report.RoundingFloor, 1e-17, 1e-3 * 1e-8);   // far below the gradient's tolerance at the defaults
    }

    /// <summary>A = −H·diag(1, 1/√cond, 1/cond)·H with H = I − 2vvᵀ/‖v‖² (v = (1, 2, 3)), and b such that y* = (1, 2, 3).</summary>
    private static double[] SymmetricFlow(double condition)
    {
        double[] v = [1, 2, 3], d = [1, 1 / Math.Sqrt(condition), 1 / condition], p = new double[12];
        double H(int i, int j) => (i == j ? 1 : 0) - (2 * v[i] * v[j] / 14);
        for (int i = 0; i < 3; i++)
        {
            for (int j = 0; j < 3; j++)
            {
                double s = 0;
                for (int k = 0; k < 3; k++) s -= H(i, k) * d[k] * H(j, k);
                p[(i * 3) + j] = s;
            }
        }

        for (int i = 0; i < 3; i++) p[9 + i] = -((p[i * 3] * 1) + (p[(i * 3) + 1] * 2) + (p[(i * 3) + 2] * 3));
        return p;
    }

    // At condition 1e8, λ ≈ 1e8 has a residual no double arithmetic certifies below about 8ε·‖A‖·‖λ‖ ≈ 6e-8·‖c‖, above the
    // gradient's tolerance (1e-8). Both solves computed residuals below it (GMRES 7e-10 after 500 products, LU 7e-10) while
    // the exact ones, summed in decimal, were 2.6e-8 and 1.6e-8, and both were reported Converged. At 1e6 the floor is 6e-10.
    [Theory]
    [InlineData("Krylov Newton", 1e8, false)]
    [InlineData("dense Newton", 1e8, false)]
    [InlineData("Krylov Newton", 1e6, true)]
    [InlineData("dense Newton", 1e6, true)]
    public void IllConditionedJacobian_GradientIsNotConverged_BelowTheRoundingFloor(string search, double condition, bool certifiable)
    {
        double[] p = SymmetricFlow(condition), c = [0.7, -1.1, 0.4], pBar = new double[12];
        SteadyStateOptions options = Options(search) with { ThrowOnFailure = false };
        SteadyStateGradientReport report = SteadyState.Gradient(new ImplicitCells.LinearFlowSystem(), [1.0, 2.0, 3.0], p, c, pBar, options);
        Assert.Equal(certifiable ? FixedPointStatus.Converged : FixedPointStatus.NotConverged, report.Status);
        Assert.Equal(certifiable, report.RoundingFloor <= 1e-8);
        Assert.InRange(report.RoundingFloor, 1e-2 * condition * 1e-16, 1e2 * condition * 1e-16);   // ≈ 8ε·cond
        Assert.True(report.Products <= (search == "dense Newton" ? 0 : 20), report.ToString());   // GMRES stops at the floor
        if (certifiable) return;

        Assert.All(pBar, v => Assert.Equal(0, v));
        var e = Assert.Throws<FixedPointException>(() => SteadyState.Gradient(new ImplicitCells.LinearFlowSystem(), [1.0, 2.0, 3.0], p, c, pBar, options with { ThrowOnFailure = true }));
        Assert.Contains("below the residual's rounding floor", e.Message, StringComparison.Ordinal);
        Assert.Contains("achievable relative residual is about", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SingularJacobian_HasNoGradient_AndSaysSo()
    {
        // A = 0 and b = 0: every point is an equilibrium, so y* does not depend smoothly on θ.
        double[] p = new double[12], pBar = new double[12];
        var e = Assert.Throws<FixedPointException>(() => SteadyState.Gradient(new ImplicitCells.LinearFlowSystem(), [1.0, 2.0, 3.0], p, [1.0, 0, 0], pBar));
        Assert.Contains("singular", e.Message, StringComparison.Ordinal);
        SteadyStateGradientReport report = SteadyState.Gradient(new ImplicitCells.LinearFlowSystem(), [1.0, 2.0, 3.0], p, [1.0, 0, 0], pBar, new SteadyStateOptions { ThrowOnFailure = false });
        Assert.False(report.IsConverged);
        Assert.All(pBar, v => Assert.Equal(0, v));
    }

    [Fact]
    public void NoEquilibrium_IsReported_NotReturnedAsOne()
    {
        // A = 0, b ≠ 0: dy/dt = b never vanishes.
        double[] p = new double[12];
        p[9] = 1;
        double[] y = new double[3];
        Assert.Throws<FixedPointException>(() => SteadyState.Solve(new ImplicitCells.LinearFlowSystem(), y, p));
        SteadyStateReport report = SteadyState.Solve(new ImplicitCells.LinearFlowSystem(), y, p, new SteadyStateOptions { ThrowOnFailure = false });
        Assert.False(report.IsConverged);
        Assert.Equal(1, report.Residual, 12);
    }

    [Fact]
    public void BadInput_GetsSpecificExceptions()
    {
        double[] p = LinearParameters();
        var system = new ImplicitCells.LinearFlowSystem();
        Assert.Throws<ArgumentException>(() => SteadyState.Solve(system, new double[2], p));
        Assert.Throws<ArgumentException>(() => SteadyState.Solve(system, new double[3], p[1..]));
        Assert.Throws<ArgumentException>(() => SteadyState.Gradient(system, new double[3], p, [1.0, double.NaN, 0], new double[12]));
        Assert.Throws<ArgumentException>(() => SteadyState.Gradient(system, new double[3], p, [1.0, 0, 0], new double[11]));
        Assert.Throws<ArgumentOutOfRangeException>(() => SteadyState.Solve(system, new double[3], p, new SteadyStateOptions { Tolerance = 0 }));
    }

    // DenseLimit = int.MaxValue with 50 000 states: n² overflowed int in the workspace's constructor (OverflowException).
    // Past what an array holds the solve goes by GMRES, as above DenseLimit.
    [Fact]
    public void DenseLimitBeyondArrays_FallsBackToGmres()
    {
        var system = new OdeGen.Neural.TanhMlpSystem(50_000, 1);
        double[] y = new double[50_000], p = new double[system.ParameterCount];
        SteadyStateReport report = SteadyState.Solve(system, y, p, new SteadyStateOptions { DenseLimit = int.MaxValue });
        Assert.True(report.IsConverged, report.ToString());
    }
}
