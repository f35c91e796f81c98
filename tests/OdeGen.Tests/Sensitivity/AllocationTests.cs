using Xunit.Abstractions;
using static OdeGen.Tests.Sensitivities.SensitivityTestSupport;

// Not "OdeGen.Tests.Sensitivity": a namespace segment with that name would hide the OdeGen.Sensitivity class.
namespace OdeGen.Tests.Sensitivities;

/// <summary>
/// Memory of a gradient: what a call allocates does not grow with the number of steps, and what the methods keep (their
/// workspace, <see cref="GradientStats.WorkspaceBytes"/>: tapes, checkpoints, dense output) grows as each method says.
/// </summary>
public class AllocationTests(ITestOutputHelper output)
{
    private static long BytesFor(Action action)
    {
        action(); // JIT and first-call costs out of the way
        return Allocations.Least(action);
    }

    public static TheoryData<string> Methods => new() { "BacksolveAdjoint", "Forward", "Jvp" };

    // One call of `method` (Ode.Jvp, or Ode.Gradient by that sensitivity) on Lorenz with fixed-step RK4 of size h (1/h steps
    // a pass), asserting success; returns the steps taken.
    private static int Call(string method, SolverOptions options)
    {
        var system = new HandLorenz();
        if (method == "Jvp")
        {
            OdeTangent t = Ode.Jvp(system, LorenzY0, LorenzP, 0.0, 1.0, [0.0, 0.0, 1.0], [1.0, 0.0, 0.0], options: options);
            Assert.True(t.IsSuccess);
            return t.Stats.Steps;
        }
        var sensitivity = method == "Forward" ? OdeGen.Sensitivity.Forward : (OdeGen.Sensitivity)OdeGen.Sensitivity.BacksolveAdjoint;
        OdeGradient g = Ode.Gradient(system, LorenzY0, LorenzP, 0.0, ObservationTimes, ObservationDLdy, sensitivity, options);
        Assert.True(g.IsSuccess);
        return g.Stats.Forward.Steps + g.Stats.Backward.Steps;
    }

    private static readonly double[] ObservationTimes = [0.25, 0.5, 0.75, 1.0];
    private static readonly double[] ObservationDLdy = Enumerable.Repeat(1.0, 12).ToArray();

    private static SolverOptions FixedRk4(double h) => new() { Method = OdeMethod.RK4, FixedStep = h, MaxSteps = 10_000_000 };

    [Theory]
    [MemberData(nameof(Methods))]
    public void BytesAllocated_DoNotGrowWithSteps(string method)
    {
        int steps = 0;
        long Run(double h)
        {
            SolverOptions options = FixedRk4(h);
            return BytesFor(() => steps = Call(method, options));
        }
        long few = Run(1e-3);
        int fewSteps = steps;
        long many = Run(1e-5);
        int manySteps = steps;
        output.WriteLine($"{method}: {few} bytes for {fewSteps} steps, {many} bytes for {manySteps} steps");
        Assert.True(manySteps >= 90 * fewSteps, $"the runs should differ a hundredfold in steps ({fewSteps} vs {manySteps})");
        Assert.True(Math.Abs(many - few) < 0.1 * few, $"{method}: {few} bytes for {fewSteps} steps but {many} bytes for {manySteps} steps.");
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void BytesAllocated_AreTheSame_RightAfterAGarbageCollection(string method)
    {
        // What a call allocates must not depend on whether a GC has run since the last one. It did: creating an integrator
        // checked its options with Enum.IsDefined, whose enum data the runtime caches weakly, so the first call after any
        // GC allocated 240 bytes more. BytesAllocated_DoNotGrowWithSteps("Jvp") then failed (2,208 against 2,448 bytes)
        // whenever other tests' GCs fell inside its long runs; here the GC is forced, so the check does not depend on luck.
        SolverOptions options = FixedRk4(1e-3);
        void Once() => Call(method, options);
        long quiet = BytesFor(Once);
        long afterGc = BytesFor(() =>
        {
            GC.Collect();
            Once();
        });
        output.WriteLine($"{method}: {quiet} bytes a call, {afterGc} bytes for the first call after a GC");
        Assert.Equal(quiet, afterGc);
    }

    [Fact]
    public void DiscreteAdjoint_MemoryIsOneStatePerStep()
    {
        // The discrete adjoint keeps every accepted step's (t, h, y): (n + 2) doubles a step, in arrays that grow by
        // doubling (so between 1 and 2 times that). Its workspace grows with the steps, by that much.
        var system = new HandLorenz();
        long For(double h, out int steps)
        {
            var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = h, MaxSteps = 10_000_000 };
            OdeGradient g = Ode.Gradient(system, LorenzY0, LorenzP, 0.0, [1.0], [1.0, 1.0, 1.0], OdeGen.Sensitivity.DiscreteAdjoint, options);
            Assert.True(g.IsSuccess);
            steps = g.Stats.Forward.Steps;
            return g.Stats.WorkspaceBytes;
        }
        long few = For(1e-3, out int fewSteps), many = For(1e-5, out int manySteps);
        double perStep = (double)(many - few) / (manySteps - fewSteps), minimum = (3 + 2) * sizeof(double);
        output.WriteLine($"discrete adjoint: {few} bytes for {fewSteps} steps, {many} bytes for {manySteps} steps: {perStep:F1} bytes a step (the record is {minimum} bytes a step)");
        Assert.InRange(perStep, minimum, 4 * minimum);
    }

    [Fact]
    public void DiscreteAdjoint_Checkpointed_KeepsTwoNumbersAStep()
    {
        // 64 states: the every-step record is 66 doubles a step; with a checkpoint every 100 steps it is 2 doubles
        // a step (time and size) plus 64 per checkpoint, and the gradient is the same.
        var system = new DiffusionChain();
        double[] y0 = Enumerable.Range(0, DiffusionChain.N).Select(i => Math.Sin(0.1 * i)).ToArray();
        double[] p = [1.0, 0.1, 0.05];
        double[] dLdy = Enumerable.Range(0, DiffusionChain.N).Select(i => Math.Cos(0.2 * i)).ToArray();
        var checkpointed = new DiscreteAdjointSensitivity { StepsPerCheckpoint = 100 };
        double PerStep(OdeGen.Sensitivity method, out OdeGradient last)
        {
            OdeGradient? g = null;
            long For(double h)
            {
                var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = h, MaxSteps = 10_000_000 };
                g = Ode.Gradient(system, y0, p, 0.0, [1.0], dLdy, method, options);
                Assert.True(g.IsSuccess);
                return g.Stats.WorkspaceBytes;
            }
            long few = For(1e-3), many = For(1e-4);   // 1,000 and 10,000 steps
            last = g!;
            return (many - few) / 9000.0;
        }
        double every = PerStep(OdeGen.Sensitivity.DiscreteAdjoint, out OdeGradient a);
        double some = PerStep(checkpointed, out OdeGradient b);
        output.WriteLine($"discrete adjoint, 64 states: {every:F1} bytes a step recording every state, {some:F1} bytes a step with a checkpoint every 100 steps");
        AssertRelative(a.Y0, b.Y0, 1e-12, "dL/dy0");
        AssertRelative(a.Parameters, b.Parameters, 1e-12, "dL/dp");
        Assert.InRange(every, 66 * 8, 2 * 66 * 8);
        Assert.InRange(some, 2 * 8, 2 * (2 * 8 + 64 * 8 / 100.0));
    }

    [Fact]
    public void InterpolatingAdjoint_MemoryFollowsTheLongestSegment()
    {
        // The checkpointed adjoint keeps one segment's dense output at a time: with 100 segments it should need
        // a small fraction of what one segment spanning all 1e5 steps needs (no record of the whole forward pass: budget 0).
        var system = new HandLorenz();
        var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = 1e-5, MaxSteps = 10_000_000 };
        long For(int checkpoints)
        {
            OdeGradient g = Ode.Gradient(system, LorenzY0, LorenzP, 0.0, [1.0], [1.0, 1.0, 1.0],
                OdeGen.Sensitivity.InterpolatingAdjoint(checkpoints, recordBudgetBytes: 0), options);
            Assert.True(g.IsSuccess);
            return g.Stats.WorkspaceBytes;
        }
        long one = For(1), hundred = For(100);
        output.WriteLine($"interpolating adjoint over 1e5 steps: {one} bytes with 1 segment, {hundred} bytes with 100 segments");
        Assert.True(hundred < one / 20, $"{hundred} bytes with 100 segments vs {one} with 1.");
    }
}
