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
    /// unchanged unless the header asks for it. The number of states must be known at compile time (the parser
    /// reports ODE0041 otherwise).
    /// </summary>
    public static SystemIr Attach(SystemIr system)
    {
        if (!system.Header.SecondOrder)
        {
            return system;
        }

        IrFunction divergence = Divergence.Build(system.Evaluate, system.Header.States);
        return system with
        {
            SecondOrder = new SecondOrderIr(divergence, ReverseMode.Vjp(DeadCode.Eliminate(divergence)), Hvp(system.Vjp)),
        };
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
