using OdeGen.Solvers;
using Xunit.Abstractions;

namespace OdeGen.Tests.Solvers;

public class TableauTests(ITestOutputHelper output)
{
    public static TheoryData<string> Methods()
    {
        var data = new TheoryData<string>();
        foreach (var m in OdeMethod.BuiltIn) data.Add(m.Name);
        return data;
    }

    private static OdeMethod Method(string name) => OdeMethod.BuiltIn.Single(m => m.Name == name);

    // ---- order conditions (Butcher): Σ b_i Φ_i(τ) = θ^|τ| / γ(τ) for every rooted tree τ up to order 5 ----

    /// <summary>A tableau's stage matrix and nodes; with <c>extended</c>, including the extra dense-output stages.</summary>
    private sealed record Stages(double[,] A, double[] C)
    {
        public static Stages Of(ButcherTableau t, bool extended)
        {
            int s = t.Stages, total = extended ? t.DenseStages : s;
            var a = new double[total, total];
            var c = new double[total];
            for (int i = 0; i < total; i++)
            {
                for (int j = 0; j < total; j++)
                    a[i, j] = i < s ? (j < s ? t.A[i * s + j] : 0) : t.DenseStageA[(i - s) * total + j];
                c[i] = i < s ? t.C[i] : t.DenseStageC[i - s];
            }
            return new Stages(a, c);
        }

        public double[] MatVec(double[] v)
        {
            int n = C.Length;
            var r = new double[n];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) r[i] += A[i, j] * v[j];
            return r;
        }
    }

    private static double[] Mul(double[] x, double[] y) => x.Zip(y, (a, b) => a * b).ToArray();
    private static double Dot(double[] w, double[] v) => w.Zip(v, (a, b) => a * b).Sum();

    /// <summary>(order of the tree, Φ(τ) as a stage vector, γ(τ)) for the 17 trees of order ≤ 5.</summary>
    private static List<(int Order, double[] Phi, double Gamma)> Trees(Stages t)
    {
        double[] one = Enumerable.Repeat(1.0, t.C.Length).ToArray(), c = t.C;
        double[] c2 = Mul(c, c), c3 = Mul(c2, c), c4 = Mul(c3, c);
        double[] ac = t.MatVec(c), ac2 = t.MatVec(c2), ac3 = t.MatVec(c3);
        double[] aac = t.MatVec(ac), aac2 = t.MatVec(ac2), aaac = t.MatVec(aac), acac = t.MatVec(Mul(c, ac));
        return
        [
            (1, one, 1),
            (2, c, 2),
            (3, c2, 3), (3, ac, 6),
            (4, c3, 4), (4, Mul(c, ac), 8), (4, ac2, 12), (4, aac, 24),
            (5, c4, 5), (5, Mul(c2, ac), 10), (5, Mul(c, ac2), 15), (5, Mul(c, aac), 30), (5, Mul(ac, ac), 20),
            (5, ac3, 20), (5, acac, 40), (5, aac2, 60), (5, aaac, 120),
        ];
    }

    /// <summary>The largest p ≤ 5 such that the weights satisfy every condition of order ≤ p (at θ).</summary>
    private static int OrderOf(ButcherTableau t, double[] weights, double theta = 1)
    {
        int order = 0;
        var stages = Stages.Of(t, extended: weights.Length > t.Stages);
        foreach (var group in Trees(stages).GroupBy(x => x.Order))
        {
            // Relative to the size of the terms: DOP853's coefficients reach a few hundred.
            bool ok = group.All(x => Math.Abs(Dot(weights, x.Phi) - Math.Pow(theta, x.Order) / x.Gamma)
                                     < 1e-14 * (1 + weights.Zip(x.Phi, (w, f) => Math.Abs(w * f)).Sum()));
            if (!ok) break;
            order = group.Key;
        }
        return order;
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Weights_SatisfyTheOrderConditions_OfTheStatedOrderAndNoHigher(string name)
    {
        var t = Method(name).Tableau;
        int measured = OrderOf(t, t.B);
        Assert.Equal(Math.Min(t.Order, 5), measured);
        if (t.ErrorWeights is { } e)
        {
            double[] bHat = t.B.Zip(e, (b, d) => b - d).ToArray();
            Assert.Equal(Math.Min(t.ErrorOrder, 5), OrderOf(t, bHat));
        }
        if (t.SecondErrorWeights is { } e2)
        {
            double[] bCheck = t.B.Zip(e2, (b, d) => b - d).ToArray();
            Assert.Equal(3, OrderOf(t, bCheck));   // DOP853's second estimate is third order
        }
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void ContinuousExtension_HasItsStatedOrderInsideTheStep(string name)
    {
        var t = Method(name).Tableau;
        if (t.Dense is not { } dense)
        {
            Assert.Equal(0, t.DenseOrder);
            return;
        }
        foreach (double theta in new[] { 0.1, 0.5, 0.83 })
        {
            double[] w = dense.Select(row => row.Select((coef, j) => coef * Math.Pow(theta, j + 1)).Sum()).ToArray();
            Assert.True(OrderOf(t, w, theta) >= Math.Min(t.DenseOrder, 5), $"{name}: dense output at θ = {theta} has order {OrderOf(t, w, theta)}");
        }
    }

    [Fact]
    public void FsalFlags()
    {
        var fsal = OdeMethod.BuiltIn.Where(m => m.Tableau.IsFsal).Select(m => m.Name).ToHashSet();
        Assert.Equal(new HashSet<string> { "BogackiShampine3", "Dopri5", "Tsit5" }, fsal);
    }

    [Fact]
    public void BadTableaux_AreRejected()
    {
        Assert.Throws<ArgumentException>(() => new ButcherTableau("bad", 2, [[], [0.5]], [0.5, 0.6], [0, 0.5]));
        Assert.Throws<ArgumentException>(() => new ButcherTableau("bad", 2, [[], [0.4]], [0, 1], [0, 0.5]));
        Assert.Throws<ArgumentException>(() => new ButcherTableau("bad", 2, [[], [0.5, 0.1]], [0, 1], [0, 0.5]));
        Assert.Throws<ArgumentException>(() => new ButcherTableau("bad", 2, [[]], [0, 1], [0, 0.5]));
        Assert.Throws<ArgumentException>(() => new ButcherTableau("bad", 2, [[], [0.5]], [0, 1], [0, 0.5], errorWeights: [1, 0], errorOrder: 1));
    }

    // ---- empirical order: fixed steps on the oscillator, least-squares slope of log(error) against log(h) ----

    [Theory]
    [MemberData(nameof(Methods))]
    public void EmpiricalOrder_MatchesTheMethodsOrder(string name)
    {
        var method = Method(name);
        int p = method.Tableau.Order;
        // Step counts that keep the error well above round-off and inside the asymptotic regime.
        int[] stepCounts = p switch
        {
            1 => [400, 800, 1600, 3200, 6400],
            2 => [100, 200, 400, 800, 1600],
            3 => [60, 120, 240, 480, 960],
            4 => [40, 80, 160, 320, 640],
            5 => [24, 48, 96, 192, 384],
            _ => [12, 16, 20, 24, 28, 32],   // order 8 reaches round-off quickly
        };
        double t1 = 2 * Math.PI;
        var hs = new List<double>();
        var errors = new List<double>();
        Span<double> exact = stackalloc double[2];
        foreach (int steps in stepCounts)
        {
            var options = new SolverOptions { Method = method, FixedStep = t1 / steps };
            var solution = Ode.Solve(new OscillatorSystem(), [1.0, 0.0], [1.0], 0, t1, options).EnsureSuccess();
            Assert.Equal(steps, solution.Stats.Steps);
            OscillatorSystem.Exact(1, t1, exact);
            hs.Add(t1 / steps);
            errors.Add(Math.Max(Math.Abs(solution.FinalState[0] - exact[0]), Math.Abs(solution.FinalState[1] - exact[1])));
        }
        double order = Fit.Order(hs, errors);
        output.WriteLine($"{name}: order {p}, measured {order:F3}; errors {string.Join(", ", errors.Select(e => e.ToString("E2")))}");
        Assert.InRange(order, p - 0.3, p + 0.3);
    }

    // ---- adaptive methods: tolerance proportionality, dense output, per-component tolerances ----

    public static TheoryData<string> AdaptiveMethods()
    {
        var data = new TheoryData<string>();
        foreach (var m in OdeMethod.BuiltIn.Where(m => m.IsAdaptive)) data.Add(m.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(AdaptiveMethods))]
    public void Adaptive_ErrorShrinksWithTolerance_AndDenseOutputIsAccurate(string name)
    {
        var method = Method(name);
        const double omega = 2;
        double t1 = 3 * 2 * Math.PI / omega;
        double previous = double.PositiveInfinity;
        Span<double> exact = stackalloc double[2], y = stackalloc double[2];
        foreach (double rtol in new[] { 1e-5, 1e-7, 1e-9 })
        {
            var options = new SolverOptions { Method = method, RelTol = rtol, AbsTol = rtol * 1e-2, Dense = true, MaxSteps = 1_000_000 };
            var solution = Ode.Solve(new OscillatorSystem(), [1.0, 0.0], [omega], 0, t1, options).EnsureSuccess();
            OscillatorSystem.Exact(omega, t1, exact);
            double error = Math.Max(Math.Abs(solution.FinalState[0] - exact[0]), Math.Abs(solution.FinalState[1] - exact[1]));
            double dense = 0;
            for (int i = 1; i < 500; i++)
            {
                double t = t1 * i / 500;
                solution.Interpolate(t, y);
                OscillatorSystem.Exact(omega, t, exact);
                dense = Math.Max(dense, Math.Max(Math.Abs(y[0] - exact[0]), Math.Abs(y[1] - exact[1])));
            }
            output.WriteLine($"{name} rtol {rtol:E0}: final error {error:E2}, worst dense error {dense:E2}, {solution.Stats}");
            Assert.True(error < previous, $"rtol {rtol}: error {error} not below {previous}");
            Assert.True(error < 1e4 * rtol, $"rtol {rtol}: error {error}");
            Assert.True(dense < 1e4 * rtol, $"rtol {rtol}: dense error {dense}");
            previous = error;
        }
    }

    // A method's own continuous extension of order q is exact for y = t^q (the local error terms vanish).
    [Theory]
    [InlineData("BogackiShampine3", 3)]
    [InlineData("Dopri5", 4)]
    [InlineData("Tsit5", 4)]
    [InlineData("Dop853", 7)]
    public void ContinuousExtension_IsExactForPolynomialsOfItsOrder(string name, int degree)
    {
        var options = new SolverOptions { Method = Method(name), FixedStep = 0.5, Dense = true };
        var solution = Ode.Solve(new MonomialField(degree), [0.0], 0, 2, options).EnsureSuccess();
        for (double t = 0; t <= 2; t += 0.046875)
        {
            // Relative to the value: DOP853's dense coefficients (up to ~500) cost a few digits to cancellation.
            double exact = Math.Pow(t, degree);
            Assert.True(Math.Abs(solution.Interpolate(t)[0] - exact) <= 1e-12 * Math.Max(1, exact), $"t = {t}: {solution.Interpolate(t)[0]} vs {exact}");
        }
    }

    [Fact]
    public void AbsTolVector_EqualEntries_MatchScalarAbsTol()
    {
        var scalar = Ode.Solve(new HandLorenz(), [1.0, 1, 1], [10, 28, 8.0 / 3], 0, 5, new SolverOptions { RelTol = 1e-6, AbsTol = 1e-8 });
        var vector = Ode.Solve(new HandLorenz(), [1.0, 1, 1], [10, 28, 8.0 / 3], 0, 5, new SolverOptions { RelTol = 1e-6, AbsTolVector = [1e-8, 1e-8, 1e-8] });
        Assert.Equal(scalar.Stats.Steps, vector.Stats.Steps);
        Assert.Equal(scalar.FinalState.ToArray(), vector.FinalState.ToArray());
    }

    // Component 0 decays to ~1e-20; a pure relative tolerance would chase it. A per-component absolute
    // tolerance for it (and none needed for the other) lets the solver stop caring once it is negligible.
    [Fact]
    public void AbsTolVector_LooseComponent_NeedsFewerSteps()
    {
        var tight = Ode.Solve(new TwoScaleField(), [1.0, 1.0], 0, 100, new SolverOptions { RelTol = 1e-8, AbsTolVector = [1e-30, 1e-12] });
        var loose = Ode.Solve(new TwoScaleField(), [1.0, 1.0], 0, 100, new SolverOptions { RelTol = 1e-8, AbsTolVector = [1e-6, 1e-12] });
        output.WriteLine($"tight: {tight.Stats}; loose: {loose.Stats}");
        Assert.True(loose.Stats.Steps < 0.75 * tight.Stats.Steps, $"{loose.Stats.Steps} vs {tight.Stats.Steps}");
        Assert.Equal(Math.Cos(100), loose.FinalState[1], 1e-5);
        // The tight setting really does track the negligible component to relative accuracy.
        Assert.Equal(1.0, tight.FinalState[0] / Math.Exp(-100), 1e-4);
    }

    [Fact]
    public void AbsTolVector_WrongLength_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            Ode.Solve(new OscillatorSystem(), [1.0, 0.0], [1.0], 0, 1, new SolverOptions { AbsTolVector = [1e-6] }));
        Assert.Contains("length 2", ex.Message);
        Assert.Throws<ArgumentException>(() =>
            Ode.Solve(new OscillatorSystem(), [1.0, 0.0], [1.0], 0, 1, new SolverOptions { AbsTolVector = [1e-6, -1] }));
    }

    /// <summary>y0' = −y0 (decays to nothing), y1' = −sin t (y1 = cos t).</summary>
    private readonly struct TwoScaleField : IVectorField
    {
        public int Dimension => 2;
        public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt)
        {
            dydt[0] = -y[0];
            dydt[1] = -Math.Sin(t);
        }
    }
}
