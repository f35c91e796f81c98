using OdeGen.Generators.Ir;
using OdeGen.Generators.Simplify;

namespace OdeGen.Generators.Differentiation;

/// <summary>
/// Reverse mode in two sweeps. The forward sweep recomputes the primal values and keeps them in
/// locals (straight-line code needs no tape); the reverse sweep visits the instructions last to
/// first, so each value's adjoint is complete before it is pushed to the value's operands.
/// </summary>
internal static class ReverseMode
{
    /// <summary>Builds the VJP: yBar += aᵀ∂f/∂y, pBar += aᵀ∂f/∂p, returns aᵀ∂f/∂t.</summary>
    /// <param name="primal">Dead-code-free primal: exactly one store per output element.</param>
    public static IrFunction Vjp(IrFunction primal)
    {
        var b = new IrBuilder(exact: false);
        int n = primal.Body.Count;
        var map = new int[n];
        for (int i = 0; i < n; i++)
        {
            Instr x = primal.Body[i];
            b.Stmt = x.Stmt;
            b.Phase = Phase.Primal;
            map[i] = x.Op == Op.Store ? -1 : Simplifier.Copy(b, x, map);
            if (map[i] >= 0)
            {
                b.Name(map[i], x.Name);
            }
        }

        var bar = new int[n];
        for (int i = 0; i < n; i++)
        {
            bar[i] = -1;
        }

        int tBar = -1;
        for (int i = n - 1; i >= 0; i--)
        {
            Instr x = primal.Body[i];
            b.Stmt = x.Stmt;
            b.Phase = Phase.Adjoint;
            if (x.Op == Op.Store)
            {
                Accumulate(b, bar, x.A, b.Input(Slot.A, x.Index));
            }
            else if (bar[i] >= 0)
            {
                b.Name(bar[i], x.Name is null ? null : x.Name + "Bar");
                tBar = Pull(b, x, map, bar, i, tBar);
            }
        }

        b.Stmt = -1;
        b.Store(Slot.Return, 0, tBar < 0 ? b.Const(0) : tBar);
        return b.Build(primal.Statements, primal.UserStatements);
    }

    /// <summary>Pushes the adjoint of instruction <paramref name="i"/> to its operands (or out, for inputs); returns the t adjoint.</summary>
    private static int Pull(IrBuilder b, Instr x, int[] map, int[] bar, int i, int tBar)
    {
        if (x.Op == Op.Input)
        {
            switch (x.Slot)
            {
                case Slot.T: return bar[i];
                case Slot.Y: b.Store(Slot.YBar, x.Index, bar[i]); break;
                case Slot.P: b.Store(Slot.PBar, x.Index, bar[i]); break;
            }

            return tBar;
        }

        int arity = x.Arity;
        var args = new int[arity];
        for (int k = 0; k < arity; k++)
        {
            args[k] = map[x.Operand(k)];
        }

        for (int k = 0; k < arity; k++)
        {
            int operand = x.Operand(k);
            if (b.IsConst(map[operand]))
            {
                continue;
            }

            Accumulate(b, bar, operand, b.Mul(bar[i], DerivativeRules.Partial(b, x, k, args, map[i])));
        }

        return tBar;
    }

    private static void Accumulate(IrBuilder b, int[] bar, int target, int contribution)
    {
        if (b.IsConst(contribution, 0))
        {
            return;
        }

        bar[target] = bar[target] < 0 ? contribution : b.Add(bar[target], contribution);
    }
}
