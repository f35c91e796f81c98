using OdeGen.Generators.Ir;
using OdeGen.Generators.Model;
using OdeGen.Generators.Simplify;

namespace OdeGen.Generators.Differentiation;

/// <summary>
/// The second-order methods, each the generator's own first-order code differentiated once more:
/// Hvp is forward mode over Vjp (forward over reverse), Divergence is forward mode keeping the diagonal
/// (<see cref="Divergence"/>), DivergenceVjp is reverse mode over Divergence. The transforms take IR and give
/// IR; nothing here depends on the dynamics' t beyond treating it as one more input.
/// </summary>
internal static class SecondOrder
{
    /// <summary>
    /// <paramref name="system"/> with its second-order IR, built from its primal (Evaluate) and its unoptimized Vjp;
    /// unchanged unless the header asks for it. A system's number of states must be known at compile time (the parser
    /// reports ODE0041 otherwise); a [Differentiable] function gets Hvp only, over its own Vjp (yBar is its a).
    /// </summary>
    public static SystemIr Attach(SystemIr system, SystemModel model)
    {
        if (!system.Header.SecondOrder)
        {
            return system;
        }

        // Calls of functions with user rules: the first-order code the second order differentiates uses the partials the
        // parser lowered from the forward rules, not the rules (a compiled rule has no derivative of its own).
        SystemIr first = CustomPartials.Present(model.Primal) ? SystemDifferentiator.Differentiate(model, keepPartials: true) : system;
        if (system.Header.Kind == TargetKind.Function)
        {
            return system with { SecondOrder = new SecondOrderIr(null, null, Hvp(first.Vjp)) };
        }

        IrFunction divergence = Divergence.Build(first.Evaluate, system.Header.States);
        return system with
        {
            SecondOrder = new SecondOrderIr(divergence, ReverseMode.Vjp(DeadCode.Eliminate(divergence)), Hvp(first.Vjp)),
        };
    }

    /// <summary>
    /// The most IR instructions (before optimization) any one second-order method may hold; beyond, the parser reports
    /// ODE0042 instead of emitting it. Measured on a chain of statements over 10 states where every output depends on
    /// every state: 500 statements give a DivergenceVjp of 99,624 instructions, 30,254 locals and a 7.6 MB file; 100 give
    /// 4,413 instructions and 1,451 locals. 60,000 keeps a method near 18,000 locals (a .NET method may have 65,534).
    /// </summary>
    internal const int MaxInstructions = 60_000;

    /// <summary>
    /// The instruction count of the largest second-order method <paramref name="primal"/> would get, before optimization:
    /// the same transforms as <see cref="Attach"/> without the first-order methods, Jacobian or optimizer.
    /// </summary>
    public static int LargestMethod(IrFunction primal, int states, TargetKind kind)
    {
        IrFunction live = DeadCode.Eliminate(primal);
        int hvp = Hvp(ReverseMode.Vjp(live)).Body.Count;
        if (kind == TargetKind.Function)
        {
            return hvp;
        }

        IrFunction divergence = Divergence.Build(live, states);
        int divergenceVjp = ReverseMode.Vjp(DeadCode.Eliminate(divergence)).Body.Count;
        return System.Math.Max(hvp, System.Math.Max(divergence.Body.Count, divergenceVjp));
    }

    /// <summary>
    /// The Hvp method's IR from a Vjp's: every value of the Vjp gets its tangent along (tDot, yDot, pDot), with a held
    /// fixed (it has none); the Vjp's yBar and pBar writes become writes of their tangents to yBarDot and pBarDot, and its
    /// return value (aᵀ∂f/∂t) is dropped.
    /// </summary>
    public static IrFunction Hvp(IrFunction vjp)
    {
        var b = new IrBuilder(exact: false, vjp.Single);
        ForwardSweep.Run(b, vjp, new HvpPlan());
        return b.Build(vjp.Statements, vjp.UserStatements);
    }

    private sealed class HvpPlan : ForwardSweep.Plan
    {
        public override int Directions => 1;

        public override int Seed(IrBuilder b, Slot slot, int index, IndexExpr? ix, int d) => slot switch
        {
            Slot.T => b.Input(Slot.TDot, 0),
            Slot.Y => b.Input(Slot.YDot, index, ix),
            Slot.P => b.Input(Slot.PDot, index, ix),
            _ => -1,
        };

        public override void Store(IrBuilder b, Instr store, int[] tangents)
        {
            if (tangents[0] >= 0 && store.Slot is Slot.YBar or Slot.PBar)
            {
                b.Store(store.Slot == Slot.YBar ? Slot.YBarDot : Slot.PBarDot, store.Index, tangents[0], store.Ix);
            }
        }
    }
}
