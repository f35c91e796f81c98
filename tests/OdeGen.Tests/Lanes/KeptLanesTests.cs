using OdeGen.Ensemble;
using OdeGen.Lanes;
using OdeGen.Testing;
using OdeGen.Tests.Generated;
using OdeGen.Tests.Sensitivities;

namespace OdeGen.Tests.Lanes;

/// <summary>A straight-line system whose reverse sweep reads values made with calls (sin of t, an exp, a quotient): kept as scalars.</summary>
public static partial class KeptStraight
{
    [OdeDynamics(States = 3, Parameters = 3)]
    public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        dydt[0] = (p[0] * (y[1] - y[0])) + (Math.Sin(t) * y[0] * y[0]);
        dydt[1] = (y[0] * (p[1] - y[2])) - (y[1] * Math.Exp(-0.1 * y[1]));
        dydt[2] = (y[0] * y[1]) - (p[2] * Math.Tanh(y[2]) / (1 + (y[2] * y[2])));
    }
}

/// <summary>
/// The tape-keeping pair (<see cref="IOdeLaneSystemKept"/>): EvaluateKeepingLanes gives EvaluateLanes's bits and VjpKeptLanes,
/// from what it kept, VjpLanes's, at every lane width; the lane discrete adjoint gives the same gradient bit for bit whether
/// its tape keeps the values for every step, for some (a budget smaller than the block) or for none.
/// </summary>
public class KeptLanesTests
{
    [Fact]
    public void SystemsGetThePair_OnlyWhereTheReverseSweepReadsBackCalls()
    {
        Assert.Equal(54, new SpiralModel.RhsSystem().KeptCount);   // the 50 activations tanh(W1·y³ + b1), and y_j², y_j³ of the two inputs
        Assert.True(new KeptStraight.RhsSystem().KeptCount > 0);
        Assert.False(typeof(IOdeLaneSystemKept).IsAssignableFrom(typeof(Lorenz.RhsSystem)));            // + − × only: nothing worth keeping
        Assert.False(typeof(IOdeLaneSystemKept).IsAssignableFrom(typeof(OneSweepBranchy.RhsSystem)));   // its reverse sweep branches on the forward's condition
    }

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (string system in new[] { "Spiral", "Straight" })
            foreach (int width in new[] { 1, 128, 256, 512 })
                data.Add(system, width);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Pair_GivesEvaluateLanesAndVjpLanes_BitForBit(string system, int width)
    {
        if (system == "Spiral") ForWidth(new SpiralModel.RhsSystem(), width);
        else ForWidth(new KeptStraight.RhsSystem(), width);
    }

    private static void ForWidth<TSystem>(TSystem system, int width) where TSystem : struct, IOdeLaneSystemKept
    {
        switch (width)
        {
            case 1: Same<TSystem, Lane1>(system); break;
            case 128: Same<TSystem, Lane128>(system); break;
            case 256: Same<TSystem, Lane256>(system); break;
            default: Same<TSystem, Lane512>(system); break;
        }
    }

    private static void Same<TSystem, TLane>(TSystem system) where TSystem : struct, IOdeLaneSystemKept where TLane : unmanaged, ILane<TLane>
    {
        int n = system.StateCount, m = system.ParameterCount, w = TLane.Count;
        var r = new Random(17);
        TLane Random(double scale)
        {
            var lanes = new double[w];
            for (int l = 0; l < w; l++) lanes[l] = scale * (2 * r.NextDouble() - 1);
            return TLane.Load(lanes);
        }

        for (int trial = 0; trial < 5; trial++)
        {
            double t = 0.3 + trial;
            TLane[] y = Enumerable.Range(0, n).Select(_ => Random(2)).ToArray();
            TLane[] p = Enumerable.Range(0, m).Select(_ => Random(0.5)).ToArray();
            TLane[] a = Enumerable.Range(0, n).Select(_ => Random(1)).ToArray();
            TLane[] f1 = new TLane[n], f2 = new TLane[n], kept = new TLane[system.KeptCount];
            system.EvaluateLanes(t, y, p, f1);
            system.EvaluateKeepingLanes(t, y, p, f2, kept);
            Assert.Equal(Bits(f1), Bits(f2));

            // yBar and pBar accumulate: start both from the same nonzero values.
            TLane[] yBar1 = Enumerable.Range(0, n).Select(_ => Random(1)).ToArray(), pBar1 = Enumerable.Range(0, m).Select(_ => Random(1)).ToArray();
            TLane[] yBar2 = (TLane[])yBar1.Clone(), pBar2 = (TLane[])pBar1.Clone();
            TLane tBar1 = system.VjpLanes(t, y, p, a, yBar1, pBar1);
            TLane tBar2 = system.VjpKeptLanes(t, y, p, kept, a, yBar2, pBar2);
            Assert.Equal(Bits(yBar1), Bits(yBar2));
            Assert.Equal(Bits(pBar1), Bits(pBar2));
            Assert.Equal(Bits([tBar1]), Bits([tBar2]));
        }
    }

    private static long[] Bits<TLane>(TLane[] values) where TLane : unmanaged, ILane<TLane>
    {
        var bits = new List<long>();
        var lanes = new double[TLane.Count];
        foreach (TLane v in values)
        {
            TLane.Store(v, lanes);
            bits.AddRange(lanes.Select(BitConverter.DoubleToInt64Bits));
        }

        return bits.ToArray();
    }

    // The spiral's 20 segments in lane blocks, a loss at four times, Dopri5: the tape keeps the activations of all steps
    // (default budget), of the first ten of each block (a budget of ten steps) or of none; the gradients are the same bits.
    [Theory]
    [InlineData(LaneWidth.Lane1)]
    [InlineData(LaneWidth.Lane256)]
    [InlineData(LaneWidth.Lane512)]
    public void LaneBlockGradient_KeptForAllSomeOrNoSteps_IsTheSameBits(LaneWidth width)
    {
        var system = new SpiralModel.RhsSystem();
        var r = new Random(3);
        double[] p = Enumerable.Range(0, 252).Select(_ => 0.2 * (2 * r.NextDouble() - 1)).ToArray();
        double[] y0s = Enumerable.Range(0, 40).Select(_ => 2 * r.NextDouble() - 1).ToArray();
        double[] times = [0.1, 0.4, 0.6, 1.0];
        var options = new SolverOptions { RelTol = 1e-7, AbsTol = 1e-9 };
        static double Loss(int j, ReadOnlySpan<double> states, Span<double> dLdy)
        {
            double sum = 0;
            for (int i = 0; i < states.Length; i++)
            {
                double d = states[i] - (0.1 * (j + i));
                sum += d * d;
                dLdy[i] = 2 * d;
            }

            return sum;
        }

        int tapeBytesPerStep = 5 * 54 * 8 * EnsembleOptions.LaneCount(width);   // Dopri5 keeps stages 1 … 5, 54 lane values each
        EnsembleGradient Run(long budget) => Ode.LossGradient(system, EnsembleBatch.Shared(y0s, p), 0.0, times, Loss, OdeGen.Sensitivity.DiscreteAdjoint, options,
            new EnsembleOptions { Width = width, MaxDegreeOfParallelism = 1, KeptBytes = budget });

        EnsembleGradient all = Run(64L << 20), some = Run(10L * tapeBytesPerStep), none = Run(0);
        Assert.True(all.Solution.AllSucceeded);
        Assert.True(all.Solution.Stats.Steps > 3 * 10, $"{all.Solution.Stats.Steps} steps: the ten-step budget must run out inside a block");
        foreach (EnsembleGradient g in new[] { some, none })
        {
            Assert.Equal(all.Losses, g.Losses);
            Assert.Equal(all.Y0, g.Y0);
            Assert.Equal(all.SharedParameters!, g.SharedParameters!);
            Assert.Equal(all.VjpEvaluations, g.VjpEvaluations);
            Assert.Equal(all.ForwardEvaluations, g.ForwardEvaluations);
        }
    }
}
