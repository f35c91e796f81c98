using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace OdeGen.Lanes;

/// <summary>
/// Fixed explicit Runge–Kutta steps with every stage in registers: for each step and each register of the block,
/// load the state, run the stages through the generated f (<see cref="ILaneRegisters{TSelf, TLane}.Derivative"/>,
/// inlined), store the new state. The registers of a block are independent, so the CPU overlaps their dependency
/// chains. Stage arguments and the update are the block solver's sums y + Σ (h·a_ij)·k_j in the same order, each
/// term a fused multiply-add (one rounding where the unfused solver has two); zero weights of the tableau are
/// multiplied rather than skipped (a finite value stays as it is), except the a_ij = 0 off the chain shape's
/// sub-diagonal, which that kernel leaves out. The block solver's general step adds the same terms.
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

    // For each step, for each register: load, step, check, store. Step k starts at t0 + k·h, as the block solver counts fixed steps.
    // Compiled optimized at once: one call runs for long, and its unoptimized first tier would not inline f.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static TLane Loop<TState, TLane, TStep>(StepRun run, in Weights<TLane> w, Span<TLane> y, ReadOnlySpan<TLane> p)
        where TState : unmanaged, ILaneRegisters<TState, TLane>
        where TLane : unmanaged, ILane<TLane>
        where TStep : IStep
    {
        for (int j = 0; j < run.Steps; j++)
        {
            double t = run.T0 + (run.FirstStep + j) * w.H;
            for (int g = 0; g < run.Registers; g++)
            {
                Span<TLane> yg = y.Slice(g * run.States, run.States);
                TState.Store(TStep.Next(TState.Load(yg), t, p.Slice(g * run.Parameters, run.Parameters), w), yg);
            }
        }

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

    private readonly struct TwoStages : IStep
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TState Next<TState, TLane>(in TState y, double t, ReadOnlySpan<TLane> p, in Weights<TLane> w)
            where TState : unmanaged, ILaneRegisters<TState, TLane>
            where TLane : unmanaged, ILane<TLane>
        {
            TState k1 = TState.Derivative(t, y, p);
            TState k2 = TState.Derivative(t + w.C2, Fma(y, w.A21, k1), p);
            return Fma(Fma(y, w.B1, k1), w.B2, k2);
        }
    }

    private readonly struct ThreeStages : IStep
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TState Next<TState, TLane>(in TState y, double t, ReadOnlySpan<TLane> p, in Weights<TLane> w)
            where TState : unmanaged, ILaneRegisters<TState, TLane>
            where TLane : unmanaged, ILane<TLane>
        {
            TState k1 = TState.Derivative(t, y, p);
            TState k2 = TState.Derivative(t + w.C2, Fma(y, w.A21, k1), p);
            TState k3 = TState.Derivative(t + w.C3, Fma(Fma(y, w.A31, k1), w.A32, k2), p);
            return Fma(Fma(Fma(y, w.B1, k1), w.B2, k2), w.B3, k3);
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
            TState k1 = TState.Derivative(t, y, p);
            TState k2 = TState.Derivative(t + w.C2, Fma(y, w.A21, k1), p);
            TState k3 = TState.Derivative(t + w.C3, Fma(y, w.A32, k2), p);
            TState k4 = TState.Derivative(t + w.C4, Fma(y, w.A43, k3), p);
            return Fma(Fma(Fma(Fma(y, w.B1, k1), w.B2, k2), w.B3, k3), w.B4, k4);
        }
    }

    private readonly struct FourStages : IStep
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TState Next<TState, TLane>(in TState y, double t, ReadOnlySpan<TLane> p, in Weights<TLane> w)
            where TState : unmanaged, ILaneRegisters<TState, TLane>
            where TLane : unmanaged, ILane<TLane>
        {
            TState k1 = TState.Derivative(t, y, p);
            TState k2 = TState.Derivative(t + w.C2, Fma(y, w.A21, k1), p);
            TState k3 = TState.Derivative(t + w.C3, Fma(Fma(y, w.A31, k1), w.A32, k2), p);
            TState k4 = TState.Derivative(t + w.C4, Fma(Fma(Fma(y, w.A41, k1), w.A42, k2), w.A43, k3), p);
            return Fma(Fma(Fma(Fma(y, w.B1, k1), w.B2, k2), w.B3, k3), w.B4, k4);
        }
    }
}
