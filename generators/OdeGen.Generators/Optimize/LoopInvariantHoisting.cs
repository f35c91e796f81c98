using System.Collections.Generic;
using OdeGen.Generators.Ir;
using OdeGen.Generators.Simplify;
using System.Runtime.CompilerServices;

namespace OdeGen.Generators.Optimize;

/// <summary>
/// Moves arithmetic that does not change from one iteration to the next out of its loop: the spiral model's
/// y[0]³ inside the loop over 50 hidden units is computed once, before the loop, instead of 50 times (and
/// once for the whole method rather than once per loop, since value numbering then finds it in every later
/// loop). Same operations on the same values, so the results are unchanged bit for bit.
/// </summary>
/// <remarks>
/// Only pure values move: arithmetic, known functions and reads of the input spans. A read of an input moves
/// only out of loops with constant bounds that run at least once, so a read that the loop would never have made
/// (y[0] of an empty span) is never made. Nothing leaves a branch: what a branch guards stays guarded.
/// </remarks>
internal static class LoopInvariantHoisting
{
    /// <summary>Returns <paramref name="function"/> with its loop-invariant values computed before their loops.</summary>
    [MethodImpl(Hot.Optimize)]
    public static IrFunction Run(IrFunction function, bool exact)
    {
        int[] target = Targets(function.Body);
        var builder = new IrBuilder(exact, function.Single, function.Body.Count);
        var map = new int[function.Body.Count];
        for (int i = 0; i < function.Body.Count; i++)
        {
            Instr x = function.Body[i];
            if (target[i] >= 0)
            {
                continue;   // built before its loop
            }

            if (x.Op == Op.For)
            {
                int close = Regions.Close(function.Body, i);
                for (int j = i + 1; j < close; j++)
                {
                    if (target[j] == i)
                    {
                        // Headed by the loop's statement: it is computed for the loop, not where it was written. The user's
                        // arithmetic keeps its primal phase (bit-exact, never contracted), so a value the reverse sweep
                        // recomputes in a reversed loop rounds as Evaluate's does wherever it lands.
                        Instr value = function.Body[j];
                        Phase phase = value.Phase == Phase.Primal ? Phase.Primal : x.Phase;
                        Simplifier.CopyNamed(builder, value with { Stmt = x.Stmt, Phase = phase, Copy = x.Copy }, j, map);
                    }
                }
            }

            Simplifier.CopyNamed(builder, x, i, map);
        }

        return DeadCode.Eliminate(builder.Build(function.Statements, function.UserStatements));
    }

    /// <summary>For each instruction, the For it is hoisted before (the outermost loop it leaves), or -1.</summary>
    [MethodImpl(Hot.Optimize)]
    private static int[] Targets(EquatableArray<Instr> body)
    {
        var target = new int[body.Count];
        var level = new int[body.Count];          // region depth the value lives at after hoisting
        var open = new List<int>();               // openers of the enclosing regions, outermost first
        for (int i = 0; i < body.Count; i++)
        {
            Instr x = body[i];
            target[i] = -1;
            if (x.Op is Op.EndFor or Op.EndIf)
            {
                open.RemoveAt(open.Count - 1);
                continue;
            }

            level[i] = open.Count;
            if (Movable(x))
            {
                int depth = Floor(body, open, x);
                for (int k = 0; k < x.Arity; k++)
                {
                    depth = System.Math.Max(depth, level[x.Operand(k)]);
                }

                if (depth < open.Count)
                {
                    level[i] = depth;
                    target[i] = open[depth];
                }
            }

            if (x.Op is Op.For or Op.If)
            {
                open.Add(i);
            }
        }

        return target;
    }

    /// <summary>The shallowest depth <paramref name="x"/> may move to: not out of a branch, nor (for a read) out of a loop that may not run.</summary>
    [MethodImpl(Hot.Optimize)]
    private static int Floor(EquatableArray<Instr> body, List<int> open, Instr x)
    {
        for (int d = open.Count - 1; d >= 0; d--)
        {
            Instr region = body[open[d]];
            bool runs = region.Op == Op.For && region.Ix?.ConstantValue is int lo && region.Ix2?.ConstantValue is int hi && hi > lo;
            if (region.Op != Op.For || (x.Op == Op.Input && !runs))
            {
                return d + 1;
            }
        }

        return 0;
    }

    /// <summary>Pure values whose operands are the whole of their inputs: no loads of mutable state, no calls of user code.</summary>
    [MethodImpl(Hot.Optimize)]
    private static bool Movable(Instr x) => x.Op switch
    {
        Op.Const or Op.Neg or Op.Add or Op.Sub or Op.Mul or Op.Div or Op.Call => true,
        Op.Input => x.Ix is null && x.Slot is not Slot.Index,
        _ => false,
    };
}
