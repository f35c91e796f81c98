using OdeGen.Implicit;

namespace OdeGen.Tests.Implicit;

/// <summary>The forward search: known fixed points, Anderson's regularisation, fallbacks and failures that say what happened.</summary>
public class FixedPointSearchTests
{
    /// <summary>A contraction (spectral radius below 0.7) with c, and its fixed point z* = (I − A)⁻¹c solved independently.</summary>
    internal static (double[] P, double[] Fixed) Contraction()
    {
        var random = new Random(11);
        double[] p = new double[20];
        for (int i = 0; i < 16; i++) p[i] = 0.3 * ((2 * random.NextDouble()) - 1);
        for (int i = 16; i < 20; i++) p[i] = (2 * random.NextDouble()) - 1;
        double[,] a = new double[4, 4];
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 4; j++) a[i, j] = (i == j ? 1 : 0) - p[(i * 4) + j];
        }

        return (p, LinearAlgebra.Solve(a, p.AsSpan(16, 4).ToArray()));
    }

    [Theory]
    [InlineData(FixedPointMethod.Anderson)]
    [InlineData(FixedPointMethod.Broyden)]
    [InlineData(FixedPointMethod.Damped)]
    public void Contraction_ConvergesToItsKnownFixedPoint(FixedPointMethod method)
    {
        (double[] p, double[] expected) = Contraction();
        var layer = new FixedPointLayer<ImplicitCells.AffineFunction>(new ImplicitCells.AffineFunction(),
            new FixedPointOptions { Method = method, Fallbacks = [], Criterion = ResidualCriterion.Absolute, Tolerance = 1e-13, MaxIterations = 400 });
        double[] z = new double[4];
        FixedPointReport report = layer.Forward([], p, z);
        Assert.Equal(FixedPointStatus.Converged, report.Status);
        Assert.Equal(method, report.FinishedBy);
        Assert.True(report.Residual <= 1e-13, report.ToString());
        for (int i = 0; i < 4; i++) Assert.Equal(expected[i], z[i], 11);
    }

    [Fact]
    public void AndersonAndBroyden_NeedFewerEvaluationsThanDampedIteration()
    {
        (double[] p, _) = Contraction();
        int Evaluations(FixedPointMethod method)
        {
            var layer = new FixedPointLayer<ImplicitCells.AffineFunction>(new ImplicitCells.AffineFunction(),
                new FixedPointOptions { Method = method, Fallbacks = [], Criterion = ResidualCriterion.Absolute, Tolerance = 1e-12, MaxIterations = 400 });
            return layer.Forward([], p, new double[4]).Iterations;
        }

        int damped = Evaluations(FixedPointMethod.Damped);
        // On a linear map of size 4, Anderson with memory 5 and Broyden are exact after a few more than 4 steps, up to
        // rounding (measured: 7 and 9 evaluations); the damped iteration gains a constant factor a step (48).
        Assert.True(Evaluations(FixedPointMethod.Anderson) <= 16, $"Anderson took {Evaluations(FixedPointMethod.Anderson)}");
        Assert.True(Evaluations(FixedPointMethod.Broyden) <= 16, $"Broyden took {Evaluations(FixedPointMethod.Broyden)}");
        Assert.True(damped >= 40, $"damped took {damped}");
    }

    [Fact]
    public void Anderson_InOneDimension_KeepsTwoEntries_AndNeedsNoRestartWithoutRegularization()
    {
        // In one dimension every residual is a multiple of every other: with three or more entries the least-squares
        // system is singular, and with λ = 0 the whole history used to restart (a restart per few steps). Two entries are
        // all a history in ℝ¹ can use (the secant step), so memory 5 is memory 2, and neither λ = 0 nor λ > 0 restarts.
        const double dottie = 0.7390851332151607;
        FixedPointReport Run(double lambda, int memory, double[] z)
        {
            var layer = new FixedPointLayer<ImplicitCells.CosineFunction>(new ImplicitCells.CosineFunction(),
                new FixedPointOptions { AndersonRegularization = lambda, AndersonMemory = memory, Fallbacks = [], Criterion = ResidualCriterion.Absolute, Tolerance = 1e-14 });
            return layer.Forward([], [], z);
        }

        double[] plain = new double[1], regularized = new double[1], secant = new double[1];
        FixedPointReport withoutLambda = Run(0, 5, plain), withLambda = Run(1e-6, 5, regularized), twoEntries = Run(0, 2, secant);
        Assert.Equal(FixedPointStatus.Converged, withoutLambda.Status);
        Assert.Equal(0, withoutLambda.Restarts);
        Assert.Equal(twoEntries, withoutLambda);
        Assert.True(withoutLambda.Iterations <= 10, withoutLambda.ToString());   // the secant method's superlinear rate
        Assert.Equal(FixedPointStatus.Converged, withLambda.Status);
        Assert.Equal(0, withLambda.Restarts);
        Assert.Equal(dottie, plain[0], 13);
        Assert.Equal(dottie, regularized[0], 13);
    }

    [Fact]
    public void Overflow_IsReportedAsDivergence_AndThrowsByDefault()
    {
        var cell = new ImplicitCells.ExponentialFunction();
        var quiet = new FixedPointLayer<ImplicitCells.ExponentialFunction>(cell, new FixedPointOptions { ThrowOnFailure = false, Method = FixedPointMethod.Damped, Fallbacks = [], Damping = 1 });
        double[] z = [0];
        FixedPointReport report = quiet.Forward([], [1.0], z);
        Assert.Equal(FixedPointStatus.Diverged, report.Status);
        Assert.False(report.IsConverged);
        Assert.True(double.IsFinite(z[0]), "the best point seen is left, never NaN");

        var loud = new FixedPointLayer<ImplicitCells.ExponentialFunction>(cell);
        var e = Assert.Throws<FixedPointException>(() => loud.Forward([], [1.0], new double[1]));
        Assert.Contains("did not converge", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NoFixedPoint_WalksTheWholeFallbackChain_AndSaysSo()
    {
        var layer = new FixedPointLayer<ImplicitCells.ShiftFunction>(new ImplicitCells.ShiftFunction(), new FixedPointOptions { ThrowOnFailure = false, MaxIterations = 500 });
        FixedPointReport report = layer.Forward([], [0.5], new double[1]);
        Assert.False(report.IsConverged, report.ToString());
        Assert.Equal(2, report.Fallbacks);                          // Anderson → Broyden → Damped
        Assert.Equal(FixedPointMethod.Damped, report.FinishedBy);
        Assert.InRange(report.Iterations, 3, 500);
        Assert.Equal(0.5, report.Residual, 12);                      // g(z) − z = θ everywhere
    }

    [Fact]
    public void GmresBackward_OnASingularResolvent_IsNotConverged_NeverInfinite()
    {
        // g(z) = z + θ at θ = 0: every z is a fixed point, I − ∂g/∂z = 0, so (I − ∂g/∂zᵀ)u = z̄ has no solution. GMRES's
        // Hessenberg column vanished and its triangular solve divided by zero: u = ∞, θ̄ = ∞, reported as Converged.
        var shift = new FixedPointLayer<ImplicitCells.ShiftFunction>(new ImplicitCells.ShiftFunction(),
            new FixedPointOptions { Backward = ImplicitBackward.Gmres, ThrowOnFailure = false });
        double[] z = [0.5], pBar = new double[1];
        Assert.True(shift.Forward([], [0.0], z).IsConverged);
        ImplicitBackwardReport report = shift.Backward([], [0.0], z, [1.0], [], pBar);
        Assert.False(report.IsConverged, report.ToString());
        Assert.True(double.IsFinite(pBar[0]), $"pBar = {pBar[0]}");
        Assert.Throws<FixedPointException>(() => new FixedPointLayer<ImplicitCells.ShiftFunction>(new ImplicitCells.ShiftFunction(),
            new FixedPointOptions { Backward = ImplicitBackward.Gmres }).Backward([], [0.0], z, [1.0], [], new double[1]));

        // A = diag(1, ½, ½, ½), c = 0: singular in one direction only, after a few Krylov vectors.
        double[] p = new double[20];
        p[0] = 1;
        for (int i = 1; i < 4; i++) p[(i * 4) + i] = 0.5;
        var affine = new FixedPointLayer<ImplicitCells.AffineFunction>(new ImplicitCells.AffineFunction(),
            new FixedPointOptions { Backward = ImplicitBackward.Gmres, ThrowOnFailure = false });
        double[] z4 = [0.3, 0, 0, 0], pBar4 = new double[20];
        Assert.True(affine.Forward([], p, z4).IsConverged);
        ImplicitBackwardReport report4 = affine.Backward([], p, z4, [1.0, 1.0, -1.0, 0.5], [], pBar4);
        Assert.False(report4.IsConverged, report4.ToString());
        Assert.All(pBar4, v => Assert.True(double.IsFinite(v), $"pBar = {v}"));
    }

    // AndersonMemory or BroydenMemory = int.MaxValue overflowed memory × n in the searches' constructors (an OverflowException
    // from new double[negative]); a history longer than the iterations is never filled, so it is kept at that length.
    [Theory]
    [InlineData(FixedPointMethod.Anderson)]
    [InlineData(FixedPointMethod.Broyden)]
    public void HugeMemory_IsTheSameAsAMemoryOfMaxIterations(FixedPointMethod method)
    {
        (double[] p, double[] expected) = Contraction();
        FixedPointReport Run(int memory, double[] z) => new FixedPointLayer<ImplicitCells.AffineFunction>(new ImplicitCells.AffineFunction(),
            new FixedPointOptions { Method = method, MaxIterations = 40, AndersonMemory = memory, BroydenMemory = memory, Tolerance = 1e-6 }).Forward([], p, z);
        double[] huge = new double[4], exact = new double[4];
        FixedPointReport a = Run(int.MaxValue, huge), b = Run(40, exact);
        Assert.True(a.IsConverged, a.ToString());
        Assert.Equal(b, a);
        Assert.Equal(exact, huge);
        for (int i = 0; i < 4; i++) Assert.Equal(expected[i], huge[i], 5);

        // Both int.MaxValue: no array could hold Broyden's history, which the message says. Anderson's keeps n + 1 entries
        // whatever the memory (more residuals than that are linearly dependent), so it is built and converges.
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new FixedPointLayer<ImplicitCells.AffineFunction>(new ImplicitCells.AffineFunction(),
            new FixedPointOptions { Method = method, MaxIterations = int.MaxValue, BroydenMemory = int.MaxValue }));
        Assert.Equal(nameof(FixedPointOptions.BroydenMemory), e.ParamName);
        FixedPointReport unbounded = new FixedPointLayer<ImplicitCells.AffineFunction>(new ImplicitCells.AffineFunction(),
            new FixedPointOptions { Method = FixedPointMethod.Anderson, MaxIterations = int.MaxValue, AndersonMemory = int.MaxValue, Tolerance = 1e-6 }).Forward([], p, new double[4]);
        Assert.True(unbounded.IsConverged, unbounded.ToString());
    }

    [Fact]
    public void BudgetExhausted_IsNotConverged_WithoutFallback()
    {
        (double[] p, _) = Contraction();
        var layer = new FixedPointLayer<ImplicitCells.AffineFunction>(new ImplicitCells.AffineFunction(),
            new FixedPointOptions { Method = FixedPointMethod.Damped, MaxIterations = 3, ThrowOnFailure = false });
        FixedPointReport report = layer.Forward([], p, new double[4]);
        Assert.Equal(FixedPointStatus.NotConverged, report.Status);
        Assert.Equal(0, report.Fallbacks);
        Assert.Equal(3, report.Iterations);
    }

    [Fact]
    public void BadInput_GetsSpecificExceptions()
    {
        (double[] p, _) = Contraction();
        var layer = new FixedPointLayer<ImplicitCells.AffineFunction>(new ImplicitCells.AffineFunction());
        Assert.Contains("p must have length 20", Assert.Throws<ArgumentException>(() => layer.Forward([], p.AsSpan(1).ToArray(), new double[4])).Message, StringComparison.Ordinal);
        Assert.Contains("z must have length 4", Assert.Throws<ArgumentException>(() => layer.Forward([], p, new double[3])).Message, StringComparison.Ordinal);
        Assert.Contains("x must have length 0", Assert.Throws<ArgumentException>(() => layer.Forward([1.0], p, new double[4])).Message, StringComparison.Ordinal);
        Assert.Contains("finite", Assert.Throws<ArgumentException>(() => layer.Forward([], p, [0, double.NaN, 0, 0])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new FixedPointLayer<ImplicitCells.AffineFunction>(new ImplicitCells.AffineFunction(), new FixedPointOptions { AndersonMemory = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FixedPointLayer<ImplicitCells.AffineFunction>(new ImplicitCells.AffineFunction(), new FixedPointOptions { Tolerance = double.NaN }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FixedPointLayer<ImplicitCells.AffineFunction>(new ImplicitCells.AffineFunction(), new FixedPointOptions { PhantomDamping = 1.5 }));
    }

    // Undefined enum values (a cast int) ran as damped iteration, relative residuals or a GMRES backward.
    [Fact]
    public void UndefinedEnumOptions_AreRefused()
    {
        static string Refused(FixedPointOptions options) => Assert.Throws<ArgumentOutOfRangeException>(() =>
            new FixedPointLayer<ImplicitCells.AffineFunction>(new ImplicitCells.AffineFunction(), options)).ParamName!;
        Assert.Equal("Method", Refused(new FixedPointOptions { Method = (FixedPointMethod)3 }));
        Assert.Equal("Fallbacks", Refused(new FixedPointOptions { Fallbacks = [FixedPointMethod.Broyden, (FixedPointMethod)(-1)] }));
        Assert.Equal("Criterion", Refused(new FixedPointOptions { Criterion = (ResidualCriterion)2 }));
        Assert.Equal("Backward", Refused(new FixedPointOptions { Backward = (ImplicitBackward)4 }));
    }
}
