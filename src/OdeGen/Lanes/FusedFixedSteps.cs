using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OdeGen.Lanes;

/// <summary>
/// Fixed explicit Runge–Kutta steps with every stage in registers: for each step and each pair of registers of the
/// block, load the states, run the stages through the generated f (<see cref="ILaneRegisters{TSelf, TLane}.Derivative"/>,
/// inlined), store the new states. The registers of a block are independent, so the CPU overlaps their dependency
/// chains; a pair's two registers go through each stage together (<see cref="LanePair{TState, TLane}"/>), so that
/// their chains sit side by side in the instruction stream rather than a whole step apart. Stage arguments and the
/// update are the block solver's sums y + Σ (h·a_ij)·k_j in the same order, each term a fused multiply-add (one
/// rounding where the unfused solver has two); zero weights of the tableau are multiplied rather than skipped (a finite
/// value stays as it is), except the a_ij = 0 off the chain shape's sub-diagonal, which that kernel leaves out. The
/// block solver's general step adds the same terms.
/// </summary>
/// <remarks>
/// This is the one deliberate copy of the explicit Runge–Kutta arithmetic, which otherwise lives only in
/// <c>RungeKuttaKernel</c>: the kernel keeps stages in arrays and loops over components, while here each tableau shape
/// is unrolled so that a register's whole state and stages stay in CPU registers and f is inlined into the step (about
/// 5.9 times faster than the unfused general step on 10,000 Lorenz trajectories, BENCHMARKS.md). The price is a second copy of the sums, so a test
/// (<c>tests/OdeGen.Tests/Solvers/FusedKernelTests.cs</c>) holds it bit for bit to the kernel's fused step
/// (<c>RungeKuttaKernel.FusedStep</c>) for every tableau shape it covers; change both together.
/// </remarks>
// Public because generated code in the user's assembly implements or calls it; hidden from completion.
[EditorBrowsable(EditorBrowsableState.Never)]
public static class FusedFixedSteps
{
    /// <summary>
    /// Advances every register of <paramref name="y"/> by <paramref name="steps"/> steps (see
    /// <see cref="IOdeFusedLaneSystem.FusedFixedSteps"/>: step k starts at t0 + k·h); returns Σ (v − v) over the final
    /// states, NaN in every lane that met a non-finite value during the run.
    /// </summary>
    public static TLane Run<TState, TLane>(FusedStepPlan plan, double t0, long firstStep, int steps, Span<TLane> y, ReadOnlySpan<TLane> p)
        where TState : unmanaged, ILaneRegisters<TState, TLane>
        where TLane : unmanaged, ILane<TLane>
    {
        if (plan.AdaptiveRun is { } adaptive)
        {
            // Not fixed steps: a per-lane adaptive run (FusedAdaptiveSteps), which needed this system's register type.
            FusedAdaptiveSteps.Run<TState, TLane>((FusedAdaptiveRun<TLane>)adaptive);
            return TLane.Zero;
        }
        int n = TState.StateCount, registers = n == 0 ? 0 : y.Length / n;
        if (registers * n != y.Length || registers == 0 || p.Length % registers != 0)
            throw new ArgumentException($"y holds {y.Length} lane values and p {p.Length}: expected whole registers of {n} states.", nameof(y));
        var run = new StepRun(t0, firstStep, steps, n, p.Length / registers, registers);
        var w = new Weights<TLane>(plan);
        return plan.Stages switch
        {
            1 => Loop<TState, TLane, OneStage>(run, w, y, p),
            2 => Loop<TState, TLane, TwoStages>(run, w, y, p),
            3 => Loop<TState, TLane, ThreeStages>(run, w, y, p),
            _ when plan.Chain => Loop<TState, TLane, FourStageChain>(run, w, y, p),
            _ => Loop<TState, TLane, FourStages>(run, w, y, p),
        };
    }

    /// <summary>Which steps, and the block's shape.</summary>
    private readonly record struct StepRun(double T0, long FirstStep, int Steps, int States, int Parameters, int Registers);

    /// <summary>The plan's weights broadcast once, and its stage offsets (an unused weight is 0).</summary>
    private readonly struct Weights<TLane> where TLane : unmanaged, ILane<TLane>
    {
        public readonly TLane A21, A31, A32, A41, A42, A43, B1, B2, B3, B4;
        public readonly double H, C2, C3, C4;

        public Weights(FusedStepPlan plan)
        {
            A21 = TLane.Create(plan.A(1, 0));
            A31 = TLane.Create(plan.A(2, 0));
            A32 = TLane.Create(plan.A(2, 1));
            A41 = TLane.Create(plan.A(3, 0));
            A42 = TLane.Create(plan.A(3, 1));
            A43 = TLane.Create(plan.A(3, 2));
            B1 = TLane.Create(plan.B(0));
            B2 = TLane.Create(plan.B(1));
            B3 = TLane.Create(plan.B(2));
            B4 = TLane.Create(plan.B(3));
            H = plan.H;
            C2 = plan.Offset(1);
            C3 = plan.Offset(2);
            C4 = plan.Offset(3);
        }
    }

    /// <summary>One step of one register: the stages of a tableau shape, unrolled.</summary>
    private interface IStep
    {
        static abstract TState Next<TState, TLane>(in TState y, double t, ReadOnlySpan<TLane> p, in Weights<TLane> w)
            where TState : unmanaged, ILaneRegisters<TState, TLane>
            where TLane : unmanaged, ILane<TLane>;
    }

    // The steps (Steps), then the check.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static TLane Loop<TState, TLane, TStep>(StepRun run, in Weights<TLane> w, Span<TLane> y, ReadOnlySpan<TLane> p)
        where TState : unmanaged, ILaneRegisters<TState, TLane>
        where TLane : unmanaged, ILane<TLane>
        where TStep : IStep
    {
        // The registers in pairs, one pair's two dependency chains side by side (LanePair), and an odd one out alone.
        int paired = run.Registers & ~1;
        Steps<LanePair<TState, TLane>, TLane, TStep>(run, w, y, p, 0, paired);
        if (paired < run.Registers) Steps<TState, TLane, TStep>(run, w, y, p, paired, run.Registers);

        // Checked once, at the end: a non-finite value stays in the state for good (every step adds its state to the
        // stages' terms, and a stage, zero weight or not, enters every sum it is in: 0·NaN is NaN), so a lane that met
        // one anywhere in the run ends non-finite.
        TLane bad = TLane.Zero;
        for (int g = 0; g < run.Registers; g++)
        {
            bad += TState.NonFinite(TState.Load(y.Slice(g * run.States, run.States)));
        }

        return bad;
    }

    // For each step, for each group of registers in [from, to): load, step, store. Step k starts at t0 + k·h, as the
    // block solver counts fixed steps. The step loop is outside: the registers of a block are independent, so while one
    // group's step waits on its chain the CPU runs the next group's (a group's own steps are one long chain). Kept out
    // of Loop, one method per group type, so that each inlines its whole step.
    // Compiled optimized at once: one call runs for long, and its unoptimized first tier would not inline f.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Steps<TGroup, TLane, TStep>(StepRun run, in Weights<TLane> w, Span<TLane> y, ReadOnlySpan<TLane> p, int from, int to)
        where TGroup : unmanaged, ILaneRegisters<TGroup, TLane>
        where TLane : unmanaged, ILane<TLane>
        where TStep : IStep
    {
        if (from >= to) return;
        int r = TGroup.StateCount / run.States, n = r * run.States, m = r * run.Parameters, groups = (to - from) / r;
        // Walked by reference (Run checked the lengths, Loop passes whole groups): with spans and indices the group loop
        // kept integers on the stack, and in some processes (not others) 10,000 Lorenz trajectories took 11.6-12.0 ms
        // instead of 8.3; without those loads such processes took 10.3 (likely 4K aliasing: a stack load waiting on a
        // state's store a multiple of 4 KB away).
        ref TLane y0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(y), from * run.States);
        ref TLane p0 = ref Unsafe.Add(ref MemoryMarshal.GetReference(p), from * run.Parameters);
        for (int j = 0; j < run.Steps; j++)
        {
            double t = run.T0 + (run.FirstStep + j) * w.H;
            ref TLane yg = ref y0, pg = ref p0;
            for (int g = 0; g < groups; g++)
            {
                Span<TLane> ys = MemoryMarshal.CreateSpan(ref yg, n);
                TGroup.Store(TStep.Next(TGroup.Load(ys), t, MemoryMarshal.CreateReadOnlySpan(ref pg, m), w), ys);
                yg = ref Unsafe.Add(ref yg, n);
                pg = ref Unsafe.Add(ref pg, m);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TState Fma<TState, TLane>(in TState y, TLane w, in TState k)
        where TState : unmanaged, ILaneRegisters<TState, TLane>
        where TLane : unmanaged, ILane<TLane> => TState.MultiplyAdd(y, w, k);

    private readonly struct OneStage : IStep
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TState Next<TState, TLane>(in TState y, double t, ReadOnlySpan<TLane> p, in Weights<TLane> w)
            where TState : unmanaged, ILaneRegisters<TState, TLane>
            where TLane : unmanaged, ILane<TLane> =>
            Fma(y, w.B1, TState.Derivative(t, y, p));
    }

    // Each sum is built up as soon as its next term is known, in the order of the nested form: the same operations in
    // the same order (same bits), but a stage's k dies as soon as the sums that read it have taken it, so fewer values
    // stay live across the following stages.
    private readonly struct TwoStages : IStep
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TState Next<TState, TLane>(in TState y, double t, ReadOnlySpan<TLane> p, in Weights<TLane> w)
            where TState : unmanaged, ILaneRegisters<TState, TLane>
            where TLane : unmanaged, ILane<TLane>
        {
            TState k = TState.Derivative(t, y, p);
            TState a2 = Fma(y, w.A21, k), sum = Fma(y, w.B1, k);
            k = TState.Derivative(t + w.C2, a2, p);
            return Fma(sum, w.B2, k);
        }
    }

    private readonly struct ThreeStages : IStep
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TState Next<TState, TLane>(in TState y, double t, ReadOnlySpan<TLane> p, in Weights<TLane> w)
            where TState : unmanaged, ILaneRegisters<TState, TLane>
            where TLane : unmanaged, ILane<TLane>
        {
            TState k = TState.Derivative(t, y, p);
            TState a2 = Fma(y, w.A21, k), a3 = Fma(y, w.A31, k), sum = Fma(y, w.B1, k);
            k = TState.Derivative(t + w.C2, a2, p);
            a3 = Fma(a3, w.A32, k);
            sum = Fma(sum, w.B2, k);
            k = TState.Derivative(t + w.C3, a3, p);
            return Fma(sum, w.B3, k);
        }
    }

    // The classic RK4 shape: stage i reads stage i − 1 only.
    private readonly struct FourStageChain : IStep
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TState Next<TState, TLane>(in TState y, double t, ReadOnlySpan<TLane> p, in Weights<TLane> w)
            where TState : unmanaged, ILaneRegisters<TState, TLane>
            where TLane : unmanaged, ILane<TLane>
        {
            TState k = TState.Derivative(t, y, p);
            TState a = Fma(y, w.A21, k), sum = Fma(y, w.B1, k);
            k = TState.Derivative(t + w.C2, a, p);
            a = Fma(y, w.A32, k);
            sum = Fma(sum, w.B2, k);
            k = TState.Derivative(t + w.C3, a, p);
            a = Fma(y, w.A43, k);
            sum = Fma(sum, w.B3, k);
            k = TState.Derivative(t + w.C4, a, p);
            return Fma(sum, w.B4, k);
        }
    }

    private readonly struct FourStages : IStep
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TState Next<TState, TLane>(in TState y, double t, ReadOnlySpan<TLane> p, in Weights<TLane> w)
            where TState : unmanaged, ILaneRegisters<TState, TLane>
            where TLane : unmanaged, ILane<TLane>
        {
            TState k = TState.Derivative(t, y, p);
            TState a2 = Fma(y, w.A21, k), a3 = Fma(y, w.A31, k), a4 = Fma(y, w.A41, k), sum = Fma(y, w.B1, k);
            k = TState.Derivative(t + w.C2, a2, p);
            a3 = Fma(a3, w.A32, k);
            a4 = Fma(a4, w.A42, k);
            sum = Fma(sum, w.B2, k);
            k = TState.Derivative(t + w.C3, a3, p);
            a4 = Fma(a4, w.A43, k);
            sum = Fma(sum, w.B3, k);
            k = TState.Derivative(t + w.C4, a4, p);
            return Fma(sum, w.B4, k);
        }
    }
}
