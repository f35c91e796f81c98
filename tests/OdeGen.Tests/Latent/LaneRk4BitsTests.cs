using System.Runtime.Intrinsics;
using OdeGen.Lanes;
using OdeGen.Latent;
using OdeGen.Solvers;

namespace OdeGen.Tests.Latent;

/// <summary>
/// LaneRk4 copies the shared Runge–Kutta kernel's RK4 arithmetic so that each lane can take its own step size. These
/// tests hold every lane, bit for bit, to the kernel (and its reverse step) run with that lane's h, at every lane width.
/// </summary>
public class LaneRk4BitsTests
{
    [Fact]
    public void Lane1_StepAndReverse_AreTheKernels() => Check<Lane1>();

    [Fact]
    public void Lane128_StepAndReverse_AreTheKernels() => Check<Lane128>();

    [Fact]
    public void Lane256_StepAndReverse_AreTheKernels() => Check<Lane256>();

    [Fact]
    public void Lane512_StepAndReverse_AreTheKernels()
    {
        if (!Vector512.IsHardwareAccelerated) return;   // Lane512 is not used where Vector512 is not accelerated
        Check<Lane512>();
    }

    private static void Check<TLane>() where TLane : unmanaged, ILane<TLane>
    {
        const int n = 3, hidden = 6;
        var f = new LaneTanhMlp(n, hidden);
        for (int seed = 0; seed < 5; seed++)
        {
            var random = new Random(seed);
            TLane[] p = Enumerable.Range(0, f.ParameterCount).Select(_ => TLane.Create(random.NextDouble() - 0.5)).ToArray();
            TLane[] z0 = Enumerable.Range(0, n).Select(_ => RandomLanes<TLane>(random, 0.5, 1.5)).ToArray();
            TLane[] zBar0 = Enumerable.Range(0, n).Select(_ => RandomLanes<TLane>(random, -1, 1)).ToArray();
            double[] hs = new double[TLane.Count];
            for (int lane = 0; lane < hs.Length; lane++) hs[lane] = lane == 1 ? 0 : 0.02 + (0.4 * random.NextDouble());   // lane 1: a series that has ended
            TLane h = TLane.Load(hs);
            var scratch = new TLane[LaneRk4.ScratchCount(f)];

            TLane[] stepped = (TLane[])z0.Clone();
            LaneRk4.Step<TLane>(f, p, stepped, h, scratch);
            TLane[] zBar = (TLane[])zBar0.Clone(), pBar = new TLane[f.ParameterCount];
            LaneRk4.Reverse<TLane>(f, p, z0, h, zBar, pBar, scratch);

            var kernel = new RungeKuttaKernel<TLane>(Tableaux.RK4);
            var reverse = new RungeKuttaReverse<TLane>(Tableaux.RK4, n);
            var stage = new Stage<TLane>(f, p);
            for (int lane = 0; lane < TLane.Count; lane++)
            {
                var k = new TLane[4 * n];
                var arg = new TLane[n];
                var expected = new TLane[n];
                stage.Evaluate(0, z0, k.AsSpan(0, n));
                kernel.Stages(ref stage, 0, hs[lane], z0, k, arg);
                kernel.Candidate(expected, z0, k, hs[lane]);
                AssertLaneBits(expected, stepped, lane, $"step, seed {seed}");

                TLane[] lambda = (TLane[])zBar0.Clone(), pBarExpected = new TLane[f.ParameterCount];
                reverse.Reverse(ref stage, 0, hs[lane], z0, p, lambda, pBarExpected, out _, out _);
                AssertLaneBits(lambda, zBar, lane, $"zBar, seed {seed}");
                AssertLaneBits(pBarExpected, pBar, lane, $"pBar, seed {seed}");
            }
        }
    }

    private static TLane RandomLanes<TLane>(Random random, double low, double high) where TLane : unmanaged, ILane<TLane>
    {
        double[] values = new double[TLane.Count];
        for (int i = 0; i < values.Length; i++) values[i] = low + ((high - low) * random.NextDouble());
        return TLane.Load(values);
    }

    private static void AssertLaneBits<TLane>(TLane[] expected, TLane[] actual, int lane, string what) where TLane : unmanaged, ILane<TLane>
    {
        for (int i = 0; i < expected.Length; i++)
        {
            double e = TLane.GetLane(expected[i], lane), a = TLane.GetLane(actual[i], lane);
            Assert.True(BitConverter.DoubleToInt64Bits(e) == BitConverter.DoubleToInt64Bits(a),
                $"{what}, {typeof(TLane).Name} lane {lane}, component {i}: the kernel gives {e:R}, LaneRk4 {a:R}");
        }
    }

    // The latent dynamics as the kernel's stage function and stage adjoint (autonomous: t is ignored, as LaneRk4 assumes).
    private readonly struct Stage<TLane>(LaneTanhMlp f, TLane[] p) : IStageFunction<TLane>, IStageAdjoint<TLane>
        where TLane : unmanaged, ILane<TLane>
    {
        private readonly TLane[] _work = new TLane[f.ScratchCount];

        public static bool DifferentiatesTime => false;

        public void Evaluate(double t, ReadOnlySpan<TLane> y, Span<TLane> dydt) => f.Evaluate<TLane>(y, p, dydt, _work);

        public void Evaluate(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> parameters, Span<TLane> dydt) =>
            f.Evaluate<TLane>(y, parameters, dydt, _work);

        public double Vjp(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> parameters, ReadOnlySpan<TLane> a, Span<TLane> yBar, Span<TLane> pBar)
        {
            f.Vjp<TLane>(y, parameters, a, yBar, pBar, _work);
            return 0;
        }
    }
}
