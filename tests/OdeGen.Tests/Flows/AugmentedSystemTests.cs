using OdeGen.Flows;
using OdeGen.Lanes;
using OdeGen.Testing;
using OdeGen.Tests.Generated;

namespace OdeGen.Tests.Flows;

/// <summary>
/// The augmented system's own derivatives (written once from the field's generated Vjp, Jvp, DivergenceVjp and Hvp):
/// the VJP against central differences of Evaluate, the dot-product identity between JVP and VJP, the dense
/// Jacobian against JVPs, and no allocation per call.
/// </summary>
public class AugmentedSystemTests
{
    // Lanes 1: the scalar kernel; 4: the generated lane methods in Lane256 (5 samples: one full group, one padded).
    public static TheoryData<bool, bool, bool, int> Layouts => new()
    {
        { true, false, false, 1 }, { false, false, false, 1 }, { true, true, true, 1 }, { false, true, true, 1 }, { true, false, true, 1 },
        { true, false, false, 4 }, { false, false, false, 4 }, { true, true, true, 4 }, { false, true, true, 4 }, { true, false, true, 4 },
    };

    private static IOdeSystem System(bool exact, bool kinetic, bool jacobian, int lanes, int batch = 5)
    {
        double[] noise = CnfNoiseSource.Draw(CnfNoise.Gaussian, 1, batch * 2);
        return lanes == 1
            ? new CnfAugmentedSystem<ScalarCnfKernel<CnfField.RhsSystem>, Lane1>(new(default), batch, exact, kinetic, jacobian, noise)
            : new CnfAugmentedSystem<LaneCnfKernel<CnfField.RhsSystem, Lane256>, Lane256>(new(default), batch, exact, kinetic, jacobian, noise);
    }

    private static double[] Random(int seed, int count)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (r.NextDouble() * 2) - 1).ToArray();
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Vjp_MatchesCentralDifferencesOfEvaluate(bool exact, bool kinetic, bool jacobian, int lanes)
    {
        var system = System(exact, kinetic, jacobian, lanes);
        int n = system.StateCount, m = system.ParameterCount;
        double[] y = Random(2, n), p = FlowTestData.Weights(3), a = Random(4, n);
        const double t = 0.35, h = 1e-6;
        double[] yBar = new double[n], pBar = new double[m];
        double tBar = system.Vjp(t, y, p, a, yBar, pBar);

        double Scalar(double tt, double[] yy, double[] pp)
        {
            var f = new double[n];
            system.Evaluate(tt, yy, pp, f);
            return f.Zip(a, (u, v) => u * v).Sum();
        }

        Assert.Equal((Scalar(t + h, y, p) - Scalar(t - h, y, p)) / (2 * h), tBar, 6);
        for (int i = 0; i < n; i++)
        {
            double[] plus = (double[])y.Clone(), minus = (double[])y.Clone();
            plus[i] += h;
            minus[i] -= h;
            Assert.Equal((Scalar(t, plus, p) - Scalar(t, minus, p)) / (2 * h), yBar[i], 6);
        }
        for (int k = 0; k < m; k += 5)
        {
            double[] plus = (double[])p.Clone(), minus = (double[])p.Clone();
            plus[k] += h;
            minus[k] -= h;
            Assert.Equal((Scalar(t, y, plus) - Scalar(t, y, minus)) / (2 * h), pBar[k], 6);
        }
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void JvpAndVjp_SatisfyTheDotProductIdentity(bool exact, bool kinetic, bool jacobian, int lanes)
    {
        var system = System(exact, kinetic, jacobian, lanes);
        int n = system.StateCount, m = system.ParameterCount;
        double[] y = Random(5, n), p = FlowTestData.Weights(6), a = Random(7, n), yDot = Random(8, n), pDot = Random(9, m);
        const double t = 0.6, tDot = 0.7;
        double[] f = new double[n], fDot = new double[n], yBar = new double[n], pBar = new double[m];
        system.Jvp(t, y, p, tDot, yDot, pDot, f, fDot);
        double tBar = system.Vjp(t, y, p, a, yBar, pBar);
        double left = a.Zip(fDot, (u, v) => u * v).Sum();
        double right = yBar.Zip(yDot, (u, v) => u * v).Sum() + pBar.Zip(pDot, (u, v) => u * v).Sum() + (tBar * tDot);
        Assert.True(Math.Abs(left - right) <= 1e-12 * (1 + Math.Abs(left)), $"⟨a, J·v⟩ = {left:R}, ⟨Jᵀa, v⟩ = {right:R}");
        var g = new double[n];
        system.Evaluate(t, y, p, g);
        for (int i = 0; i < n; i++) Assert.Equal(g[i], f[i], 13);
    }

    [Fact]
    public void Jacobian_HoldsTheJvpColumns()
    {
        var system = System(exact: false, kinetic: true, jacobian: true, lanes: 4, batch: 2);
        int n = system.StateCount, m = system.ParameterCount;
        double[] y = Random(10, n), p = FlowTestData.Weights(11);
        const double t = 0.2;
        double[] dfdy = new double[n * n], dfdp = new double[n * m];
        system.Jacobian(t, y, p, dfdy, dfdp);
        double[] yDot = Random(12, n), pDot = Random(13, m), f = new double[n], fDot = new double[n];
        system.Jvp(t, y, p, 0, yDot, pDot, f, fDot);
        for (int i = 0; i < n; i++)
        {
            double want = 0;
            for (int j = 0; j < n; j++) want += dfdy[(i * n) + j] * yDot[j];
            for (int k = 0; k < m; k++) want += dfdp[(i * m) + k] * pDot[k];
            Assert.Equal(want, fDot[i], 12);
        }
    }

    /// <summary>
    /// A full group of lanes is gathered by strided loads, a padded one element by element: the same samples in both give
    /// the same bits (batch 2L − 1 whose second group repeats the first group's first L − 1 samples, noise included), for
    /// double lanes and for the float lanes of CnfPrecision.Single.
    /// </summary>
    [Theory]
    [InlineData(true, false, false)]
    [InlineData(false, true, true)]
    public void FullAndPaddedGroups_GatherTheSameBits(bool exact, bool kinetic, bool jacobian)
    {
        Check(Build<LaneCnfKernel<CnfField.RhsSystem, Lane256>, Lane256>(new(default), exact, kinetic, jacobian), FlowTestData.Weights(21));
        Check(Build<LaneCnfKernel<CnfField.RhsSystem, LaneFloat512>, LaneFloat512>(new(default), exact, kinetic, jacobian), FlowTestData.Weights(21));

        static CnfAugmentedSystem<TKernel, TLane> Build<TKernel, TLane>(TKernel kernel, bool exact, bool kinetic, bool jacobian)
            where TKernel : struct, ICnfKernel<TLane> where TLane : unmanaged, ILane<TLane>
        {
            int l = TLane.Count, batch = (2 * l) - 1;
            double[] noise = CnfNoiseSource.Draw(CnfNoise.Gaussian, 1, batch * 2);
            Array.Copy(noise, 0, noise, 2 * l, 2 * (l - 1));
            return new(kernel, batch, exact, kinetic, jacobian, noise);
        }

        static void Check<TKernel, TLane>(CnfAugmentedSystem<TKernel, TLane> system, double[] p)
            where TKernel : struct, ICnfKernel<TLane> where TLane : unmanaged, ILane<TLane>
        {
            int l = TLane.Count, stride = system.Stride, n = system.StateCount;
            double[] y = Random(22, n), a = Random(23, n), f = new double[n], yBar = new double[n], pBar = new double[system.ParameterCount];
            Array.Copy(y, 0, y, l * stride, (l - 1) * stride);
            Array.Copy(a, 0, a, l * stride, (l - 1) * stride);
            system.Evaluate(0.3, y, p, f);
            system.Vjp(0.3, y, p, a, yBar, pBar);
            for (int q = 0; q < (l - 1) * stride; q++)
            {
                Assert.Equal(f[q], f[(l * stride) + q]);
                Assert.Equal(yBar[q], yBar[(l * stride) + q]);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Calls_AllocateNothing(bool exact, bool kinetic, bool jacobian, int lanes)
    {
        Check(System(exact, kinetic, jacobian, lanes) switch
        {
            CnfAugmentedSystem<ScalarCnfKernel<CnfField.RhsSystem>, Lane1> scalar => Measure(scalar),
            CnfAugmentedSystem<LaneCnfKernel<CnfField.RhsSystem, Lane256>, Lane256> wide => Measure(wide),
            _ => throw new InvalidOperationException(),
        });

        static void Check(long bytes) => Assert.Equal(0, bytes);
    }

    // Through the struct type itself, as the solvers call it (a call through IOdeSystem would box nothing either, but this is the real path).
    private static long Measure<TSystem>(TSystem system) where TSystem : struct, IOdeSystem
    {
        int n = system.StateCount, m = system.ParameterCount;
        double[] y = Random(14, n), p = FlowTestData.Weights(15), a = Random(16, n), f = new double[n], fDot = new double[n];
        double[] yBar = new double[n], pBar = new double[m];
        Call();
        return Allocations.Least(() =>
        {
            for (int i = 0; i < 10; i++) Call();
        }, windows: 3);

        void Call()
        {
            system.Evaluate(0.3, y, p, f);
            system.Vjp(0.3, y, p, a, yBar, pBar);
            system.Jvp(0.3, y, p, 1, a, pBar, f, fDot);
        }
    }
}
