using System.Collections.Generic;
using OdeGen.Generators.Ir;

namespace OdeGen.Generators.Analyses;

/// <summary>
/// Recompute legality, reverse mode's analysis of what its forward sweep may read back instead of recomputing.
/// Reverse mode keeps no tape: the reversed body of a loop or branch side recomputes that iteration's primal values.
/// Two things make that legal. The language rules, which need the user's syntax to point at, stay in the parser and
/// are reported as ODE0014: no buffer element is replaced after it was read or by '*=' / '/=', no loop reads an element
/// of a buffer that it may write (<see cref="ElementRanges"/> tells elements apart), and a local declared outside a loop changes inside it only by += and -= (and is read after it).
/// Given a program that passes them, this analysis decides, per value, whether a buffer element still holds it after
/// the forward sweep, so that the reversed body reads the element back (<c>h[i] = tanh(s)</c>: the reverse sweep reads
/// <c>h[i]</c>) and what only served to compute it becomes dead code.
/// It runs on the primal IR before differentiation; no emitter decides recomputation.
/// </summary>
internal static class RecomputeAnalysis
{
    /// <summary>
    /// Values that stay readable in a buffer after the forward sweep: stored by the only write to a
    /// stackalloc buffer (so nothing overwrites the element), with '=', in the same loop body or branch
    /// side as the value's definition (so the element's index means the same iteration, and the write
    /// ran whenever the value was computed).
    /// </summary>
    public static int[] KeptInBuffers(IrFunction primal)
    {
        int n = primal.Body.Count;
        var kept = new int[n];
        for (int i = 0; i < n; i++)
        {
            kept[i] = -1;
        }

        var writes = new Dictionary<int, int>();
        for (int i = 0; i < n; i++)
        {
            Instr x = primal.Body[i];
            if (x.Op == Op.BufStore)
            {
                writes[x.B] = writes.TryGetValue(x.B, out int count) ? count + 1 : 1;
            }
        }

        for (int i = 0; i < n; i++)
        {
            Instr x = primal.Body[i];
            if (x.Op != Op.BufStore || x.Value != 0 || writes[x.B] != 1 || primal.Body[x.B].Slot != Slot.None || primal.Body[x.A].IsLoad
                || primal.Body[x.A].Op is Op.Const or Op.Input)
            {
                continue;
            }

            bool sameBlock = true;
            for (int k = x.A + 1; k < i && sameBlock; k++)
            {
                sameBlock = !primal.Body[k].IsRegion;
            }

            if (sameBlock)
            {
                kept[x.A] = i;
            }
        }

        return kept;
    }
}
