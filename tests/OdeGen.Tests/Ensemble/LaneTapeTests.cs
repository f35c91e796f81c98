using OdeGen.Ensemble;
using OdeGen.Lanes;
using OdeGen.Solvers;
using static OdeGen.Tests.Ensemble.EnsembleTestSupport;

namespace OdeGen.Tests.Ensemble;

/// <summary>
/// The lane discrete adjoint differentiates the steps its block took, from the block's tape: each entry's start time,
/// start state, the size its stages used, and the arguments of its stages. Replaying an entry from its start with that size
/// must give the next entry's start state bit for bit, and reversing it at the kept stage arguments must give what reversing
/// it with the stages formed again gives (the kept arguments are the forward pass's own). The problems are ones where
/// t_{k+1} − t_k is not the size taken for some steps (Lorenz from t = 10, where t + h − t is often not h, adaptive and with
/// fixed steps counted from each restart), so the tape's old entry, t_{k+1} − t_k, would fail the replay.
/// </summary>
public class LaneTapeTests
{
    private static readonly LorenzLanes Lorenz = new();
    private static readonly double[] Times = [10.5, 11.0, 12.0];

    /// <summary>f and the VJP of every register of the block (the reverse step's own struct is private to it).</summary>
    private readonly struct Adjoint(int registers) : IStageAdjoint<Lane512>
    {
        public static bool DifferentiatesTime => false;

        public void Evaluate(double t, ReadOnlySpan<Lane512> y, ReadOnlySpan<Lane512> p, Span<Lane512> dydt)
        {
            for (int g = 0; g < registers; g++) Lorenz.EvaluateLanes(t, y.Slice(3 * g, 3), p.Slice(3 * g, 3), dydt.Slice(3 * g, 3));
        }

        public double Vjp(double t, ReadOnlySpan<Lane512> y, ReadOnlySpan<Lane512> p, ReadOnlySpan<Lane512> a, Span<Lane512> yBar, Span<Lane512> pBar)
        {
            for (int g = 0; g < registers; g++)
                Lorenz.VjpLanes(t, y.Slice(3 * g, 3), p.Slice(3 * g, 3), a.Slice(3 * g, 3), yBar.Slice(3 * g, 3), pBar.Slice(3 * g, 3));
            return 0;
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Tape_ReplaysEveryStep_AndItsKeptStagesReverseAsTheRecomputedOnes(bool fixedStep)
    {
        var options = fixedStep
            ? new SolverOptions { Method = OdeMethod.Dopri5, FixedStep = 0.0137 }
            : new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-8, AbsTol = 1e-8 };
        const int count = 8;
        using var problem = new EnsembleProblem(count, 3, 3, LorenzStates(count), LorenzParameters(count), sharedParameters: false, 10.0, Times[^1], options);
        var solver = new LaneBlockSolver<LorenzLanes, Lane512>(Lorenz, problem);
        int registers = solver.RegisterCount, n = 3 * registers, m = 3 * registers;   // lane values of a block's state and parameters
        var tape = new LaneTape<Lane512>(n, options.Method.Tableau);
        solver.Observer = tape;
        var output = new EnsembleSolution(count, 3, null, LaneWidth.Lane512, registers * Lane512.Count);
        var observed = new double[count * Times.Length * n];
        solver.SolveBlockThrough(0, output, Times, observed, new int[Times.Length]);
        Assert.True(output.AllSucceeded);
        Assert.True(tape.Count > 100, $"{tape.Count} steps");
        Assert.Equal(fixedStep ? 2 : 1, registers > 1 ? 2 : 1);   // fixed steps put several registers in a block: the tape holds them all

        var f = new Adjoint(registers);
        var replay = new RungeKuttaReverse<Lane512>(options.Method.Tableau, n);
        var recomputed = new RungeKuttaReverse<Lane512>(options.Method.Tableau, n);
        var kept = new RungeKuttaReverse<Lane512>(options.Method.Tableau, n);
        ReadOnlySpan<Lane512> p = solver.P;
        var end = new Lane512[n];
        var rng = new Random(5);
        int sizeDiffers = 0, misses = 0, reverseDiffers = 0;
        for (int k = 0; k < tape.Count; k++)
        {
            ReadOnlySpan<Lane512> next = k + 1 < tape.Count ? tape.State(k + 1) : solver.State;
            double nextTime = k + 1 < tape.Count ? tape.Time(k + 1) : Times[^1];
            if (nextTime - tape.Time(k) != tape.Size(k)) sizeDiffers++;
            replay.Advance(ref f, tape.Time(k), tape.Size(k), tape.State(k), p, end);
            if (!Bits(end).SequenceEqual(Bits(next))) misses++;

            Lane512[] seed = Enumerable.Range(0, n).Select(_ => Lane512.Create(2 * rng.NextDouble() - 1)).ToArray();
            Lane512[] lambdaA = (Lane512[])seed.Clone(), lambdaB = (Lane512[])seed.Clone();
            Lane512[] pBarA = new Lane512[m], pBarB = new Lane512[m];
            recomputed.Reverse(ref f, tape.Time(k), tape.Size(k), tape.State(k), p, lambdaA, pBarA, out _, out _);
            kept.ReverseAt(ref f, tape.Time(k), tape.Size(k), tape.State(k), tape.Stages(k), tape.Slots, p, lambdaB, pBarB);
            if (!Bits(lambdaA).SequenceEqual(Bits(lambdaB)) || !Bits(pBarA).SequenceEqual(Bits(pBarB))) reverseDiffers++;
        }
        Assert.True(sizeDiffers > 0, "every step's t_{k+1} − t_k equals its size: the problem cannot tell the two apart");
        Assert.Equal(0, misses);
        Assert.Equal(0, reverseDiffers);
    }

    [Fact]
    public void Tape_KeepsOnlyTheStagesTheReverseEvaluatesAt()
    {
        // Dopri5: stages 2 … 6 are kept; stage 1 is the start state and stage 7 (FSAL) feeds neither y_{k+1} nor a live stage.
        var tape = new LaneTape<Lane1>(3, OdeMethod.Dopri5.Tableau);
        Assert.Equal([-1, 0, 1, 2, 3, 4, -1], tape.Slots.ToArray());
        Assert.True(tape.PendingStage(6).IsEmpty);
        Assert.Equal(3, tape.PendingStage(1).Length);
    }

    private static long[] Bits(ReadOnlySpan<Lane512> values)
    {
        var doubles = new double[values.Length * Lane512.Count];
        for (int i = 0; i < values.Length; i++) Lane512.Store(values[i], doubles.AsSpan(i * Lane512.Count, Lane512.Count));
        return doubles.Select(BitConverter.DoubleToInt64Bits).ToArray();
    }
}
