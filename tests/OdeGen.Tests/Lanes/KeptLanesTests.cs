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

    public static TheoryData<string, string, LaneWidth> GradientCases()
    {
        var data = new TheoryData<string, string, LaneWidth>();
        foreach (string system in new[] { "Spiral", "Straight" })
            foreach (string method in new[] { "Dopri5", "Tsit5", "Rk4" })
                foreach (LaneWidth width in new[] { LaneWidth.Lane1, LaneWidth.Lane256, LaneWidth.Lane512 })
                    data.Add(system, method, width);
        return data;
    }

    // Lane blocks, a loss at four times (restarts at each), adaptive FSAL methods and RK4's fixed step (its stage 0 from the
    // endpoint derivative); KeptStraight's kept values depend on t, and its times start at 10, where t + h is often not the
    // next step's start in the last bit. The tape keeps the values of all steps (default budget), of the first three of each
    // block or of none: the gradients are the same bits.
    [Theory]
    [MemberData(nameof(GradientCases))]
    public void LaneBlockGradient_KeptForAllSomeOrNoSteps_IsTheSameBits(string system, string method, LaneWidth width)
    {
        if (system == "Spiral") SameGradient(new SpiralModel.RhsSystem(), 0.0, method, width);
        else SameGradient(new KeptStraight.RhsSystem(), 10.0, method, width);
    }

    private static void SameGradient<TSystem>(TSystem system, double t0, string method, LaneWidth width) where TSystem : struct, IOdeLaneSystemKept
    {
        int n = system.StateCount, m = system.ParameterCount, count = 20;
        var r = new Random(3);
        double[] p = Enumerable.Range(0, m).Select(_ => (m > 10 ? 0.2 : 0.5) * (2 * r.NextDouble() - 1)).ToArray();
        double[] y0s = Enumerable.Range(0, count * n).Select(_ => 2 * r.NextDouble() - 1).ToArray();
        double[] times = [t0 + 0.1, t0 + 0.4, t0 + 0.6, t0 + 1.0];
        SolverOptions options = method switch
        {
            "Dopri5" => new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-7, AbsTol = 1e-9 },
            "Tsit5" => new SolverOptions { Method = OdeMethod.Tsit5, RelTol = 1e-7, AbsTol = 1e-9 },
            _ => new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.0137 },
        };
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

        int stages = method == "Rk4" ? 4 : 6;   // kept rows per step: live stages after the first, and stage 0
        long bytesPerStep = (long)stages * system.KeptCount * 8 * EnsembleOptions.LaneCount(width) * EnsembleLayout.Registers(options);
        EnsembleGradient Run(long budget) => Ode.LossGradient(system, EnsembleBatch.Shared(y0s, p), t0, times, Loss, OdeGen.Sensitivity.DiscreteAdjoint, options,
            new EnsembleOptions { Width = width, MaxDegreeOfParallelism = 1, KeptBytes = budget });

        EnsembleGradient all = Run(64L << 20), some = Run(3 * bytesPerStep), none = Run(0);
        Assert.True(all.Solution.AllSucceeded);
        Assert.All(all.Solution.BlockStats, s => Assert.True(s.Steps > 3, $"{s.Steps} steps: the three-step budget must run out inside every block"));
        foreach (EnsembleGradient g in new[] { some, none })
        {
            Assert.Equal(all.Losses, g.Losses);
            Assert.Equal(all.Y0, g.Y0);
            Assert.Equal(all.SharedParameters!, g.SharedParameters!);
            Assert.Equal(all.VjpEvaluations, g.VjpEvaluations);
            Assert.Equal(all.ForwardEvaluations, g.ForwardEvaluations);
        }
    }

    // Which rows the tape fills: with a budget of k steps, steps 0 … k − 1 keep every live stage's values and (f at their
    // start being evaluated at their own start time: the spiral does not read t) stage 0's; later steps keep none.
    [Theory]
    [InlineData(1000)]
    [InlineData(7)]
    public void Tape_KeepsEveryStageOfTheStepsWithinItsBudget(int steps)
    {
        var system = new SpiralModel.RhsSystem();
        var options = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-7, AbsTol = 1e-9 };
        const int count = 8;
        var r = new Random(4);
        double[] y0s = Enumerable.Range(0, 2 * count).Select(_ => 2 * r.NextDouble() - 1).ToArray();
        double[] p = Enumerable.Range(0, 252).Select(_ => 0.2 * (2 * r.NextDouble() - 1)).ToArray();
        double[] times = [0.3, 0.5, 1.0];
        int perStage = system.KeptCount;   // one register
        using var problem = new EnsembleProblem(count, 2, 252, y0s, p, sharedParameters: true, 0.0, times[^1], options);
        var solver = new LaneBlockSolver<SpiralModel.RhsSystem, Lane256>(system, problem);
        var tape = new LaneTape<Lane256>(2, options.Method.Tableau, perStage, (long)steps * 6 * perStage * 32);
        solver.Observer = tape;
        var output = new EnsembleSolution(count, 2, null, LaneWidth.Lane256, Lane256.Count);
        solver.SolveBlockThrough(0, output, times, new double[count * times.Length * 2], new int[times.Length]);
        Assert.True(output.AllSucceeded);
        Assert.True(tape.Count > 7, $"{tape.Count} steps");
        Assert.Equal(Math.Min(steps, 1000), tape.KeptSteps);
        for (int k = 0; k < tape.Count; k++)
        {
            bool kept = k < tape.KeptSteps;
            Assert.Equal(kept ? 5 * perStage : 0, tape.Kept(k).Length);
            Assert.Equal(kept ? perStage : 0, tape.KeptStart(k).Length);
        }
    }
}
