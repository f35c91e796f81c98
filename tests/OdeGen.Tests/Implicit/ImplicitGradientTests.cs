using OdeGen.Implicit;
using OdeGen.Tests.Functions;

namespace OdeGen.Tests.Implicit;

/// <summary>
/// The backward pass of a deep-equilibrium cell z = tanh(W·[z; x] + b): the implicit function theorem's gradient
/// against finite differences of the converged layer and against backpropagation through a long unrolled solve.
/// </summary>
public class ImplicitGradientTests
{
    private const int N = 5, Nx = 3, M = (N * (N + Nx)) + N;

    private static FunctionModels.DenseFunction Cell => new(N + Nx, M, N);

    /// <summary>Weights small enough that the cell contracts in z (‖W_z‖ well below 1), an input, and the loss weights.</summary>
    private static (double[] P, double[] X, double[] W) Problem()
    {
        var random = new Random(5);
        double[] p = new double[M], x = new double[Nx], w = new double[N];
        for (int i = 0; i < M; i++) p[i] = 0.35 * ((2 * random.NextDouble()) - 1);
        for (int i = 0; i < Nx; i++) x[i] = (2 * random.NextDouble()) - 1;
        for (int i = 0; i < N; i++) w[i] = (2 * random.NextDouble()) - 1;
        return (p, x, w);
    }

    private static FixedPointOptions Tight(ImplicitBackward backward = ImplicitBackward.Gmres) => new()
    {
        Criterion = ResidualCriterion.Absolute,
        Tolerance = 1e-14,
        MaxIterations = 500,
        Backward = backward,
        BackwardTolerance = 1e-13,
        BackwardMaxIterations = 500,
        PhantomSteps = 300,
    };

    private static (double[] PBar, double[] XBar, double[] Z) Implicit(FixedPointOptions options, double[] p, double[] x, double[] w)
    {
        var layer = new FixedPointLayer<FunctionModels.DenseFunction>(Cell, options);
        double[] z = new double[N], pBar = new double[M], xBar = new double[Nx];
        layer.Forward(x, p, z);
        layer.Backward(x, p, z, w, xBar, pBar);
        return (pBar, xBar, z);
    }

    private static double Loss(double[] p, double[] x, double[] w)
    {
        var layer = new FixedPointLayer<FunctionModels.DenseFunction>(Cell, Tight());
        double[] z = new double[N];
        layer.Forward(x, p, z);
        return w.Zip(z, (a, b) => a * b).Sum();
    }

    private static void AssertClose(double expected, double actual, double tolerance, string what) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance * (1 + Math.Abs(expected)), $"{what}: expected {expected:R}, got {actual:R}");

    [Fact]
    public void ImplicitGradient_MatchesCentralDifferencesOfTheConvergedLayer()
    {
        (double[] p, double[] x, double[] w) = Problem();
        (double[] pBar, double[] xBar, _) = Implicit(Tight(), p, x, w);
        const double h = 1e-6;
        for (int k = 0; k < M; k += 3)
        {
            double[] plus = (double[])p.Clone(), minus = (double[])p.Clone();
            plus[k] += h;
            minus[k] -= h;
            AssertClose((Loss(plus, x, w) - Loss(minus, x, w)) / (2 * h), pBar[k], 1e-6, $"dL/dθ[{k}]");
        }

        for (int k = 0; k < Nx; k++)
        {
            double[] plus = (double[])x.Clone(), minus = (double[])x.Clone();
            plus[k] += h;
            minus[k] -= h;
            AssertClose((Loss(p, plus, w) - Loss(p, minus, w)) / (2 * h), xBar[k], 1e-6, $"dL/dx[{k}]");
        }
    }

    [Fact]
    public void ImplicitGradient_MatchesBackpropagationThroughALongUnrolledSolve()
    {
        (double[] p, double[] x, double[] w) = Problem();
        (double[] pBar, double[] xBar, _) = Implicit(Tight(), p, x, w);

        // 300 weight-tied steps from z = 0, every input kept, then reverse mode through all of them.
        const int steps = 300;
        var cell = Cell;
        var inputs = new double[steps][];
        double[] z = new double[N];
        for (int k = 0; k < steps; k++)
        {
            inputs[k] = [.. z, .. x];
            cell.Evaluate(inputs[k], p, z);
        }

        double[] u = (double[])w.Clone(), unrolledP = new double[M], unrolledX = new double[Nx];
        for (int k = steps - 1; k >= 0; k--)
        {
            double[] inputBar = new double[N + Nx];
            cell.Vjp(inputs[k], p, u, inputBar, unrolledP);
            for (int i = 0; i < Nx; i++) unrolledX[i] += inputBar[N + i];
            u = inputBar[..N];
        }

        for (int k = 0; k < M; k++) AssertClose(unrolledP[k], pBar[k], 1e-6, $"dL/dθ[{k}]");
        for (int k = 0; k < Nx; k++) AssertClose(unrolledX[k], xBar[k], 1e-6, $"dL/dx[{k}]");
    }

    [Theory]
    [InlineData(ImplicitBackward.Anderson)]
    [InlineData(ImplicitBackward.Iteration)]
    [InlineData(ImplicitBackward.Phantom)]   // 300 undamped steps: the truncated Neumann series, converged
    public void EveryBackwardSolver_AgreesWithGmres(ImplicitBackward backward)
    {
        (double[] p, double[] x, double[] w) = Problem();
        (double[] reference, double[] referenceX, _) = Implicit(Tight(), p, x, w);
        (double[] pBar, double[] xBar, _) = Implicit(Tight(backward), p, x, w);
        for (int k = 0; k < M; k++) AssertClose(reference[k], pBar[k], 1e-9, $"{backward} dL/dθ[{k}]");
        for (int k = 0; k < Nx; k++) AssertClose(referenceX[k], xBar[k], 1e-9, $"{backward} dL/dx[{k}]");
    }

    [Fact]
    public void OneStepPhantomGradient_IsTheVjpOfTheLastApplication()
    {
        (double[] p, double[] x, double[] w) = Problem();
        (double[] pBar, double[] xBar, double[] z) = Implicit(Tight(ImplicitBackward.Phantom) with { PhantomSteps = 1 }, p, x, w);
        double[] inputBar = new double[N + Nx], expected = new double[M];
        Cell.Vjp([.. z, .. x], p, w, inputBar, expected);
        for (int k = 0; k < M; k++) Assert.Equal(expected[k], pBar[k], 14);
        for (int k = 0; k < Nx; k++) Assert.Equal(inputBar[N + k], xBar[k], 14);
    }

    [Fact]
    public void Backward_Accumulates_LikeGeneratedVjps()
    {
        (double[] p, double[] x, double[] w) = Problem();
        var layer = new FixedPointLayer<FunctionModels.DenseFunction>(Cell, Tight());
        double[] z = new double[N], once = new double[M], twice = new double[M], xOnce = new double[Nx], xTwice = new double[Nx];
        layer.Forward(x, p, z);
        layer.Backward(x, p, z, w, xOnce, once);
        layer.Backward(x, p, z, w, xTwice, twice);
        layer.Backward(x, p, z, w, xTwice, twice);
        for (int k = 0; k < M; k++) Assert.Equal(2 * once[k], twice[k], 12);
        for (int k = 0; k < Nx; k++) Assert.Equal(2 * xOnce[k], xTwice[k], 12);
    }

    // GMRES's rounding floor must stay out of the way of ordinary cells: at the default tolerance (1e-10) and at the tight
    // one the tests use (1e-13) this contractive cell's floor, 8ε·(‖b‖ + ‖A‖·‖u‖)/‖b‖, is near 1e-14 or below.
    [Theory]
    [InlineData(1e-10)]
    [InlineData(1e-13)]
    public void GmresRoundingFloor_StaysFarBelowTheTolerance_OnAContractiveCell(double tolerance)
    {
        (double[] p, double[] x, double[] w) = Problem();
        var layer = new FixedPointLayer<FunctionModels.DenseFunction>(Cell, new FixedPointOptions { BackwardTolerance = tolerance });
        double[] z = new double[N];
        layer.Forward(x, p, z);
        ImplicitBackwardReport report = layer.Backward(x, p, z, w, new double[Nx], new double[M]);
        Assert.True(report.IsConverged, report.ToString());
        Assert.InRange(report.RoundingFloor, 1e-16, tolerance / 5);
    }

    [Fact]
    public void BackwardThatCannotConverge_Throws_OrReportsWhenAsked()
    {
        (double[] p, double[] x, double[] w) = Problem();
        var options = Tight(ImplicitBackward.Iteration) with { BackwardMaxIterations = 3 };
        var layer = new FixedPointLayer<FunctionModels.DenseFunction>(Cell, options);
        double[] z = new double[N];
        layer.Forward(x, p, z);
        Assert.Throws<FixedPointException>(() => layer.Backward(x, p, z, w, new double[Nx], new double[M]));

        var quiet = new FixedPointLayer<FunctionModels.DenseFunction>(Cell, options with { ThrowOnFailure = false });
        ImplicitBackwardReport report = quiet.Backward(x, p, z, w, new double[Nx], new double[M]);
        Assert.Equal(FixedPointStatus.NotConverged, report.Status);
        Assert.Equal(3, report.Iterations);
    }

    public static TheoryData<FixedPointMethod, ImplicitBackward> Combinations()
    {
        var data = new TheoryData<FixedPointMethod, ImplicitBackward>();
        foreach (FixedPointMethod f in Enum.GetValues<FixedPointMethod>())
        {
            foreach (ImplicitBackward b in Enum.GetValues<ImplicitBackward>()) data.Add(f, b);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public void ForwardAndBackward_AllocateNothing_AfterTheFirstCall(FixedPointMethod method, ImplicitBackward backward)
    {
        (double[] p, double[] x, double[] w) = Problem();
        var layer = new FixedPointLayer<FunctionModels.DenseFunction>(Cell, new FixedPointOptions { Method = method, Backward = backward, MaxIterations = 300, PhantomSteps = 5 });
        double[] z = new double[N], pBar = new double[M], xBar = new double[Nx];
        void Pass()
        {
            Array.Clear(z);
            layer.Forward(x, p, z);
            layer.Backward(x, p, z, w, xBar, pBar);
        }

        Pass();
        Assert.Equal(0, Allocations.Least(Pass));
    }
}
