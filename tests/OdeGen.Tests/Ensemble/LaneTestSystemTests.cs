using OdeGen.Lanes;
using static OdeGen.Tests.Ensemble.EnsembleTestSupport;

namespace OdeGen.Tests.Ensemble;

// The hand-written test systems are themselves checked: the dot-product test ⟨a, J·v⟩ = ⟨Jᵀ·a, v⟩ between Jvp and
// Vjp (scalar), and the lane methods against the scalar ones lane by lane at every width.
public class LaneTestSystemTests
{
    private static void DotProductTest<TSystem>(TSystem system, int seed) where TSystem : struct, IOdeLaneSystem
    {
        int n = system.StateCount, m = system.ParameterCount;
        var rng = new Random(seed);
        double[] R(int k) => Enumerable.Range(0, k).Select(_ => 2 * rng.NextDouble() - 1).ToArray();
        double[] y = R(n), p = R(m), yDot = R(n), pDot = R(m), a = R(n);
        double t = 0.3, tDot = 0.7;
        var f = new double[n];
        var jv = new double[n];
        system.Jvp(t, y, p, tDot, yDot, pDot, f, jv);
        var yBar = new double[n];
        var pBar = new double[m];
        double tBar = system.Vjp(t, y, p, a, yBar, pBar);
        double left = 0, right = tBar * tDot;
        for (int i = 0; i < n; i++) { left += a[i] * jv[i]; right += yBar[i] * yDot[i]; }
        for (int k = 0; k < m; k++) right += pBar[k] * pDot[k];
        Assert.Equal(left, right, 12);
        // And Jvp against central differences of Evaluate.
        const double eps = 1e-6;
        double[] Shift(double[] v, double[] d, double s) => v.Select((x, i) => x + s * d[i]).ToArray();
        var fp = new double[n];
        var fm = new double[n];
        system.Evaluate(t + eps * tDot, Shift(y, yDot, eps), Shift(p, pDot, eps), fp);
        system.Evaluate(t - eps * tDot, Shift(y, yDot, -eps), Shift(p, pDot, -eps), fm);
        for (int i = 0; i < n; i++) Assert.Equal((fp[i] - fm[i]) / (2 * eps), jv[i], 7);
    }

    [Fact]
    public void ScalarDerivatives_AreConsistent()
    {
        DotProductTest(new LorenzLanes(), 1);
        DotProductTest(new TanhMlpLanes(), 2);
        DotProductTest(new BlowUpLanes(), 3);
    }

    private static void LanesMatchScalar<TSystem, TLane>(TSystem system, int seed)
        where TSystem : struct, IOdeLaneSystem where TLane : unmanaged, ILane<TLane>
    {
        int n = system.StateCount, m = system.ParameterCount, w = TLane.Count;
        var rng = new Random(seed);
        double[][] Rows(int k) => Enumerable.Range(0, w).Select(_ => Enumerable.Range(0, k).Select(_ => 2 * rng.NextDouble() - 1).ToArray()).ToArray();
        double[][] y = Rows(n), p = Rows(m), yDot = Rows(n), pDot = Rows(m), a = Rows(n);
        TLane[] Pack(double[][] rows, int k)
        {
            var result = new TLane[k];
            var lane = new double[w];
            for (int i = 0; i < k; i++)
            {
                for (int l = 0; l < w; l++) lane[l] = rows[l][i];
                result[i] = TLane.Load(lane);
            }
            return result;
        }
        TLane[] yl = Pack(y, n), pl = Pack(p, m), yDotL = Pack(yDot, n), pDotL = Pack(pDot, m), al = Pack(a, n);
        var f = new TLane[n];
        var jv = new TLane[n];
        var yBar = new TLane[n];
        var pBar = new TLane[m];
        system.JvpLanes(0.4, yl, pl, 0.5, yDotL, pDotL, f, jv);
        TLane tBar = system.VjpLanes(0.4, yl, pl, al, yBar, pBar);
        var fe = new TLane[n];
        system.EvaluateLanes(0.4, yl, pl, fe);
        for (int l = 0; l < w; l++)
        {
            var fs = new double[n];
            var js = new double[n];
            var ybs = new double[n];
            var pbs = new double[m];
            system.Jvp(0.4, y[l], p[l], 0.5, yDot[l], pDot[l], fs, js);
            double tbs = system.Vjp(0.4, y[l], p[l], a[l], ybs, pbs);
            // The MLP's lane tanh is a vector kernel, a few ulps from Math.Tanh.
            for (int i = 0; i < n; i++)
            {
                Assert.Equal(fs[i], TLane.GetLane(f[i], l), 13);
                Assert.Equal(fs[i], TLane.GetLane(fe[i], l), 13);
                Assert.Equal(js[i], TLane.GetLane(jv[i], l), 13);
                Assert.Equal(ybs[i], TLane.GetLane(yBar[i], l), 13);
            }
            for (int k = 0; k < m; k++) Assert.Equal(pbs[k], TLane.GetLane(pBar[k], l), 13);
            Assert.Equal(tbs, TLane.GetLane(tBar, l), 13);
        }
    }

    [Fact]
    public void LaneMethods_MatchScalarMethods_AtEveryWidth()
    {
        LanesMatchScalar<LorenzLanes, Lane1>(new LorenzLanes(), 4);
        LanesMatchScalar<LorenzLanes, Lane128>(new LorenzLanes(), 5);
        LanesMatchScalar<LorenzLanes, Lane256>(new LorenzLanes(), 6);
        LanesMatchScalar<LorenzLanes, Lane512>(new LorenzLanes(), 7);
        LanesMatchScalar<TanhMlpLanes, Lane1>(new TanhMlpLanes(), 8);
        LanesMatchScalar<TanhMlpLanes, Lane128>(new TanhMlpLanes(), 9);
        LanesMatchScalar<TanhMlpLanes, Lane256>(new TanhMlpLanes(), 10);
        LanesMatchScalar<TanhMlpLanes, Lane512>(new TanhMlpLanes(), 11);
        LanesMatchScalar<BlowUpLanes, Lane512>(new BlowUpLanes(), 12);
    }
}

// Through the public entry point: on one thread the whole solve runs on the calling thread, and its allocations do
// not grow with the number of steps (results, input copies and the workspace only).
public class EnsemblePublicAllocationTests
{
    [Theory]
    [InlineData("RK4")]
    [InlineData("Dopri5")]
    public void SolveEnsemble_AllocationDoesNotGrowWithSteps(string method)
    {
        var lorenz = new LorenzLanes();
        var m = OdeMethod.BuiltIn.Single(x => x.Name == method);
        double[] y0s = LorenzStates(20), ps = LorenzParameters(20);
        var one = new EnsembleOptions { MaxDegreeOfParallelism = 1 };
        SolverOptions Options(double t1) => m.IsAdaptive
            ? new SolverOptions { Method = m, RelTol = 1e-9, AbsTol = 1e-11, SaveAt = [t1 / 2], MaxSteps = int.MaxValue }
            : new SolverOptions { Method = m, FixedStep = 1e-3, SaveAt = [t1 / 2], MaxSteps = int.MaxValue };
        long Bytes(double t1)
        {
            SolverOptions options = Options(t1);
            Ode.Solve(lorenz, new EnsembleBatch(y0s, ps), 0, t1, options, one);   // warm-up: JIT tiers
            // The least of three calls: beside the runtime's own one-off work, the input copies come from the shared
            // array pool, whose per-core stacks other tests' threads can empty now and then, and a miss there
            // allocates a few hundred bytes that are not the solver's.
            return Allocations.Least(() => Assert.True(Ode.Solve(lorenz, new EnsembleBatch(y0s, ps), 0, t1, options, one).AllSucceeded));
        }
        // Ten times the steps: a per-step allocation of even 8 bytes would add tens of KB (4,500 more RK4 steps); the
        // pool's misses can still differ by a few hundred bytes between the two measurements (seen in a full run).
        long few = Bytes(0.5), many = Bytes(5);
        Assert.InRange(Math.Abs(many - few), 0, 1024);
    }
}
