using static OdeGen.Tests.Ensemble.EnsembleTestSupport;

namespace OdeGen.Tests.Ensemble;

// Each lane's gradient is the scalar discrete adjoint's (Ode.Gradient with Sensitivity.DiscreteAdjoint) of the same
// steps; the shared-θ sum is the sum of the samples' gradients, whatever the thread count.
public class EnsembleGradientTests
{
    private static readonly LorenzLanes Lorenz = new();
    private static readonly TanhMlpLanes Mlp = new();

    private static double[] Seed(int count, int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count * n).Select(_ => 2 * rng.NextDouble() - 1).ToArray();
    }

    private static (double[] y0s, double[] ps) MlpInputs(int count)
    {
        var rng = new Random(17);
        double[] y0s = Enumerable.Range(0, 2 * count).Select(_ => 2 * rng.NextDouble() - 1).ToArray();
        double[] ps = Enumerable.Range(0, count).SelectMany(j => TanhMlpLanes.Weights(100 + j)).ToArray();
        return (y0s, ps);
    }

    private static void AssertMatchesScalar<TSystem>(in TSystem system, EnsembleGradient g, double[] y0s, double[] ps, double t1,
        double[] seed, SolverOptions options, double tolerance) where TSystem : struct, IOdeLaneSystem
    {
        int n = system.StateCount, m = system.ParameterCount;
        for (int j = 0; j < g.Count; j++)
        {
            OdeGradient s = Ode.Gradient(system, y0s.AsSpan(j * n, n), ps.AsSpan(j * m, m), 0, [t1], seed.AsSpan(j * n, n), Sensitivity.DiscreteAdjoint, options);
            double dy = MaxRelative(g.Y0Of(j), s.Y0, 1e-3), dp = MaxRelative(g.ParametersOf(j), s.Parameters, 1e-3);
            Assert.True(dy <= tolerance && dp <= tolerance, $"trajectory {j}: dL/dy0 off by {dy:e2}, dL/dθ by {dp:e2}");
        }
    }

    public static IEnumerable<object[]> FixedCases() =>
        from w in Widths
        from m in new[] { "RK4", "Dopri5", "Midpoint", "Dop853" }
        select new object[] { w, m };

    [Theory]
    [MemberData(nameof(FixedCases))]
    public void FixedStep_EqualsScalarDiscreteAdjoint(LaneWidth width, string method)
    {
        var options = new SolverOptions { Method = OdeMethod.BuiltIn.Single(x => x.Name == method), FixedStep = 1e-2 };
        int count = 11;
        double[] y0s = LorenzStates(count), ps = LorenzParameters(count), seed = Seed(count, 3, 1);
        EnsembleGradient g = Ode.Gradient(Lorenz, new EnsembleBatch(y0s, ps), 0, [1], seed, Sensitivity.DiscreteAdjoint, options, Force(width));
        Assert.True(g.AllSucceeded);
        AssertMatchesScalar(Lorenz, g, y0s, ps, 1, seed, options, 1e-11);

        (double[] my0s, double[] mps) = MlpInputs(count);
        double[] mseed = Seed(count, 2, 2);
        EnsembleGradient gm = Ode.Gradient(Mlp, new EnsembleBatch(my0s, mps), 0, [1], mseed, Sensitivity.DiscreteAdjoint, options, Force(width));
        // The lane tanh is a vector kernel a few ulps from Math.Tanh: agreement to ~1e-13, not to the last bit.
        AssertMatchesScalar(Mlp, gm, my0s, mps, 1, mseed, options, 1e-11);
    }

    [Theory]
    [MemberData(nameof(AllWidths), MemberType = typeof(EnsembleTestSupport))]
    public void Adaptive_MatchesScalarDiscreteAdjoint(LaneWidth width)
    {
        var options = new SolverOptions { Method = OdeMethod.Tsit5, RelTol = 1e-9, AbsTol = 1e-12 };
        int count = 9;
        (double[] y0s, double[] ps) = MlpInputs(count);
        double[] seed = Seed(count, 2, 3);
        EnsembleGradient g = Ode.Gradient(Mlp, new EnsembleBatch(y0s, ps), 0, [2], seed, Sensitivity.DiscreteAdjoint, options, Force(width));
        // One lane takes the scalar steps: the same discrete gradient. Wider blocks take other (shared) steps: the
        // gradients of two discretizations within tolerance of each other.
        AssertMatchesScalar(Mlp, g, y0s, ps, 2, seed, options, width == LaneWidth.Lane1 ? 1e-11 : 1e-6);
    }

    [Fact]
    public void FixedStep_MatchesFiniteDifferencesOfTheEnsemble()
    {
        var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.05 };
        int count = 5;
        (double[] y0s, double[] ps) = MlpInputs(count);
        double[] seed = Seed(count, 2, 4);
        EnsembleGradient g = Ode.Gradient(Mlp, new EnsembleBatch(y0s, ps), 0, [1], seed, Sensitivity.DiscreteAdjoint, options);
        double Loss(double[] y, double[] p)
        {
            EnsembleSolution s = Ode.Solve(Mlp, new EnsembleBatch(y, p), 0, 1, options);
            double l = 0;
            for (int i = 0; i < seed.Length; i++) l += seed[i] * s.FinalStates[i];
            return l;
        }
        const double eps = 1e-6;
        foreach (int i in new[] { 0, 3, 7 })
        {
            double[] up = (double[])y0s.Clone(), down = (double[])y0s.Clone();
            up[i] += eps; down[i] -= eps;
            Assert.Equal((Loss(up, ps) - Loss(down, ps)) / (2 * eps), g.Y0[i], 7);
        }
        foreach (int k in new[] { 0, 17, 33, 50, 51 + 20, 4 * 50 + 49 })
        {
            double[] up = (double[])ps.Clone(), down = (double[])ps.Clone();
            up[k] += eps; down[k] -= eps;
            Assert.Equal((Loss(y0s, up) - Loss(y0s, down)) / (2 * eps), g.Parameters[k], 7);
        }
    }

    [Theory]
    [MemberData(nameof(AllWidths), MemberType = typeof(EnsembleTestSupport))]
    public void Shared_SumEqualsSumOfSamples_OnAnyThreadCount(LaneWidth width)
    {
        var options = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-8, AbsTol = 1e-10 };
        int count = 37;
        double[] theta = TanhMlpLanes.Weights(9);
        var rng = new Random(21);
        double[] y0s = Enumerable.Range(0, 2 * count).Select(_ => 2 * rng.NextDouble() - 1).ToArray();
        double[] seed = Seed(count, 2, 5);
        EnsembleGradient one = Ode.Gradient(Mlp, EnsembleBatch.Shared(y0s, theta), 0, [1], seed, Sensitivity.DiscreteAdjoint, options, Force(width, 1));
        EnsembleGradient two = Ode.Gradient(Mlp, EnsembleBatch.Shared(y0s, theta), 0, [1], seed, Sensitivity.DiscreteAdjoint, options, Force(width, 2));
        Assert.Equal(one.SharedParameters, two.SharedParameters);
        Assert.Equal(one.Y0, two.Y0);
        Assert.Equal(one.Parameters, two.Parameters);

        double[] ps = Enumerable.Range(0, count).SelectMany(_ => theta).ToArray();
        EnsembleGradient rows = Ode.Gradient(Mlp, new EnsembleBatch(y0s, ps), 0, [1], seed, Sensitivity.DiscreteAdjoint, options, Force(width));
        Assert.Null(rows.SharedParameters);
        Assert.Equal(rows.Parameters, one.Parameters);
        int m = theta.Length;
        // Summed in another order here (trajectory by trajectory): equal up to the rounding of the sums.
        for (int k = 0; k < m; k++)
        {
            double sum = 0, magnitude = 0;
            for (int j = 0; j < count; j++)
            {
                sum += rows.Parameters[j * m + k];
                magnitude += Math.Abs(rows.Parameters[j * m + k]);
            }
            Assert.True(Math.Abs(one.SharedParameters![k] - sum) <= 1e-14 * magnitude, $"parameter {k}: {one.SharedParameters[k]} vs {sum}");
        }
    }

    [Fact]
    public void FailedTrajectory_NaNRows_ExcludedFromTheSharedSum()
    {
        var blowUp = new BlowUpLanes();
        var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = 1e-3 };
        double[] y0s = [1, 1, 20, 1, 1];   // y0 = 20 with p = 0.5 blows up at t = 0.1
        double[] seed = [1, 1, 1, 1, 1];
        EnsembleGradient g = Ode.Gradient(blowUp, EnsembleBatch.Shared(y0s, [0.5]), 0, [1], seed, Sensitivity.DiscreteAdjoint, options, Force(LaneWidth.Lane256));
        Assert.Equal(OdeStatus.NonFiniteValue, g.Statuses[2]);
        Assert.True(double.IsNaN(g.Y0[2]) && double.IsNaN(g.Parameters[2]));
        double expected = 0;
        foreach (int j in new[] { 0, 1, 3, 4 })
        {
            OdeGradient s = Ode.Gradient(blowUp, [y0s[j]], [0.5], 0, [1.0], [1.0], Sensitivity.DiscreteAdjoint, options);
            Assert.Equal(s.Y0[0], g.Y0[j], 12);
            expected += s.Parameters[0];
        }
        Assert.Equal(expected, g.SharedParameters![0], 10);
    }
}
