using System.Runtime.CompilerServices;

namespace OdeGen.Lanes;

/// <summary>
/// Fixed explicit Runge–Kutta steps with every stage in registers: for each step and each register of the block,
/// load the state, run the stages through the generated f (<see cref="ILaneRegisters{TSelf, TLane}.Derivative"/>,
/// inlined), store the new state. The registers of a block are independent, so the CPU overlaps their dependency
/// chains. Stage arguments and the update are the block solver's sums y + Σ (h·a_ij)·k_j in the same order, each
/// term a fused multiply-add (one rounding where the unfused solver has two); zero weights of the tableau are
/// multiplied rather than skipped, which leaves a finite value unchanged.
/// </summary>
public static class FusedFixedSteps
{
    /// <summary>
    /// Advances every register of <paramref name="y"/> by <paramref name="steps"/> steps (see
    /// <see cref="IOdeFusedLaneSystem.FusedFixedSteps"/>: step k starts at t0 + k·h); returns Σ (v − v) over every state after every step.
    /// </summary>
    public static TLane Run<TState, TLane>(FusedStepPlan plan, double t0, long firstStep, int steps, Span<TLane> y, ReadOnlySpan<TLane> p)
        where TState : unmanaged, ILaneRegisters<TState, TLane>
        where TLane : unmanaged, ILane<TLane>
    {
        int n = TState.StateCount, registers = n == 0 ? 0 : y.Length / n;
        if (registers * n != y.Length || registers == 0 || p.Length % registers != 0)
            throw new ArgumentException($"y holds {y.Length} lane values and p {p.Length}: expected whole registers of {n} states.", nameof(y));
        var block = new Block(n, p.Length / registers, registers);
        return plan.Stages switch
        {
            1 => OneStage<TState, TLane>(plan, t0, firstStep, steps, y, p, block),
            2 => TwoStages<TState, TLane>(plan, t0, firstStep, steps, y, p, block),
            3 => ThreeStages<TState, TLane>(plan, t0, firstStep, steps, y, p, block),
            _ when plan.Chain => FourStageChain<TState, TLane>(plan, t0, firstStep, steps, y, p, block),
            _ => FourStages<TState, TLane>(plan, t0, firstStep, steps, y, p, block),
        };
    }

    private readonly record struct Block(int States, int Parameters, int Registers);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TState Fma<TState, TLane>(in TState y, TLane w, in TState k)
        where TState : unmanaged, ILaneRegisters<TState, TLane>
        where TLane : unmanaged, ILane<TLane> => TState.MultiplyAdd(y, w, k);

    // The start time of fixed step k, as the block solver counts fixed steps: t0 + k·h.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double StartTime(FusedStepPlan plan, double t0, long firstStep, int j) => t0 + (firstStep + j) * plan.H;

    private static TLane OneStage<TState, TLane>(FusedStepPlan plan, double t0, long firstStep, int steps, Span<TLane> y, ReadOnlySpan<TLane> p, Block b)
        where TState : unmanaged, ILaneRegisters<TState, TLane>
        where TLane : unmanaged, ILane<TLane>
    {
        TLane b1 = TLane.Create(plan.B(0));
        TLane bad = TLane.Zero;
        for (int j = 0; j < steps; j++)
        {
            double t = StartTime(plan, t0, firstStep, j);
            for (int g = 0; g < b.Registers; g++)
            {
                Span<TLane> yg = y.Slice(g * b.States, b.States);
                ReadOnlySpan<TLane> pg = p.Slice(g * b.Parameters, b.Parameters);
                TState y0 = TState.Load(yg);
                TState next = Fma(y0, b1, TState.Derivative(t, y0, pg));
                bad += TState.NonFinite(next);
                TState.Store(next, yg);
            }
        }

        return bad;
    }

    private static TLane TwoStages<TState, TLane>(FusedStepPlan plan, double t0, long firstStep, int steps, Span<TLane> y, ReadOnlySpan<TLane> p, Block b)
        where TState : unmanaged, ILaneRegisters<TState, TLane>
        where TLane : unmanaged, ILane<TLane>
    {
        TLane a21 = TLane.Create(plan.A(1, 0)), b1 = TLane.Create(plan.B(0)), b2 = TLane.Create(plan.B(1));
        double c2 = plan.Offset(1);
        TLane bad = TLane.Zero;
        for (int j = 0; j < steps; j++)
        {
            double t = StartTime(plan, t0, firstStep, j), t2 = t + c2;
            for (int g = 0; g < b.Registers; g++)
            {
                Span<TLane> yg = y.Slice(g * b.States, b.States);
                ReadOnlySpan<TLane> pg = p.Slice(g * b.Parameters, b.Parameters);
                TState y0 = TState.Load(yg);
                TState k1 = TState.Derivative(t, y0, pg);
                TState k2 = TState.Derivative(t2, Fma(y0, a21, k1), pg);
                TState next = Fma(Fma(y0, b1, k1), b2, k2);
                bad += TState.NonFinite(next);
                TState.Store(next, yg);
            }
        }

        return bad;
    }

    private static TLane ThreeStages<TState, TLane>(FusedStepPlan plan, double t0, long firstStep, int steps, Span<TLane> y, ReadOnlySpan<TLane> p, Block b)
        where TState : unmanaged, ILaneRegisters<TState, TLane>
        where TLane : unmanaged, ILane<TLane>
    {
        TLane a21 = TLane.Create(plan.A(1, 0)), a31 = TLane.Create(plan.A(2, 0)), a32 = TLane.Create(plan.A(2, 1));
        TLane b1 = TLane.Create(plan.B(0)), b2 = TLane.Create(plan.B(1)), b3 = TLane.Create(plan.B(2));
        double c2 = plan.Offset(1), c3 = plan.Offset(2);
        TLane bad = TLane.Zero;
        for (int j = 0; j < steps; j++)
        {
            double t = StartTime(plan, t0, firstStep, j), t2 = t + c2, t3 = t + c3;
            for (int g = 0; g < b.Registers; g++)
            {
                Span<TLane> yg = y.Slice(g * b.States, b.States);
                ReadOnlySpan<TLane> pg = p.Slice(g * b.Parameters, b.Parameters);
                TState y0 = TState.Load(yg);
                TState k1 = TState.Derivative(t, y0, pg);
                TState k2 = TState.Derivative(t2, Fma(y0, a21, k1), pg);
                TState k3 = TState.Derivative(t3, Fma(Fma(y0, a31, k1), a32, k2), pg);
                TState next = Fma(Fma(Fma(y0, b1, k1), b2, k2), b3, k3);
                bad += TState.NonFinite(next);
                TState.Store(next, yg);
            }
        }

        return bad;
    }

    // The classic RK4 shape: stage i reads stage i − 1 only.
    private static TLane FourStageChain<TState, TLane>(FusedStepPlan plan, double t0, long firstStep, int steps, Span<TLane> y, ReadOnlySpan<TLane> p, Block b)
        where TState : unmanaged, ILaneRegisters<TState, TLane>
        where TLane : unmanaged, ILane<TLane>
    {
        TLane a21 = TLane.Create(plan.A(1, 0)), a32 = TLane.Create(plan.A(2, 1)), a43 = TLane.Create(plan.A(3, 2));
        TLane b1 = TLane.Create(plan.B(0)), b2 = TLane.Create(plan.B(1)), b3 = TLane.Create(plan.B(2)), b4 = TLane.Create(plan.B(3));
        double c2 = plan.Offset(1), c3 = plan.Offset(2), c4 = plan.Offset(3);
        TLane bad = TLane.Zero;
        for (int j = 0; j < steps; j++)
        {
            double t = StartTime(plan, t0, firstStep, j), t2 = t + c2, t3 = t + c3, t4 = t + c4;
            for (int g = 0; g < b.Registers; g++)
            {
                Span<TLane> yg = y.Slice(g * b.States, b.States);
                ReadOnlySpan<TLane> pg = p.Slice(g * b.Parameters, b.Parameters);
                TState y0 = TState.Load(yg);
                TState k1 = TState.Derivative(t, y0, pg);
                TState k2 = TState.Derivative(t2, Fma(y0, a21, k1), pg);
                TState k3 = TState.Derivative(t3, Fma(y0, a32, k2), pg);
                TState k4 = TState.Derivative(t4, Fma(y0, a43, k3), pg);
                TState next = Fma(Fma(Fma(Fma(y0, b1, k1), b2, k2), b3, k3), b4, k4);
                bad += TState.NonFinite(next);
                TState.Store(next, yg);
            }
        }

        return bad;
    }

    private static TLane FourStages<TState, TLane>(FusedStepPlan plan, double t0, long firstStep, int steps, Span<TLane> y, ReadOnlySpan<TLane> p, Block b)
        where TState : unmanaged, ILaneRegisters<TState, TLane>
        where TLane : unmanaged, ILane<TLane>
    {
        TLane a21 = TLane.Create(plan.A(1, 0)), a31 = TLane.Create(plan.A(2, 0)), a32 = TLane.Create(plan.A(2, 1));
        TLane a41 = TLane.Create(plan.A(3, 0)), a42 = TLane.Create(plan.A(3, 1)), a43 = TLane.Create(plan.A(3, 2));
        TLane b1 = TLane.Create(plan.B(0)), b2 = TLane.Create(plan.B(1)), b3 = TLane.Create(plan.B(2)), b4 = TLane.Create(plan.B(3));
        double c2 = plan.Offset(1), c3 = plan.Offset(2), c4 = plan.Offset(3);
        TLane bad = TLane.Zero;
        for (int j = 0; j < steps; j++)
        {
            double t = StartTime(plan, t0, firstStep, j), t2 = t + c2, t3 = t + c3, t4 = t + c4;
            for (int g = 0; g < b.Registers; g++)
            {
                Span<TLane> yg = y.Slice(g * b.States, b.States);
                ReadOnlySpan<TLane> pg = p.Slice(g * b.Parameters, b.Parameters);
                TState y0 = TState.Load(yg);
                TState k1 = TState.Derivative(t, y0, pg);
                TState k2 = TState.Derivative(t2, Fma(y0, a21, k1), pg);
                TState k3 = TState.Derivative(t3, Fma(Fma(y0, a31, k1), a32, k2), pg);
                TState k4 = TState.Derivative(t4, Fma(Fma(Fma(y0, a41, k1), a42, k2), a43, k3), pg);
                TState next = Fma(Fma(Fma(Fma(y0, b1, k1), b2, k2), b3, k3), b4, k4);
                bad += TState.NonFinite(next);
                TState.Store(next, yg);
            }
        }

        return bad;
    }
}
