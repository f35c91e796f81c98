using System.Collections.Generic;
using OdeGen.Generators.Ir;
using OdeGen.Generators.Model;

namespace OdeGen.Generators.Simplify;

/// <summary>
/// Removes stores that a later store to the same element overwrites, every instruction no
/// remaining store depends on, and loops left empty, then renumbers the survivors.
/// </summary>
/// <remarks>
/// Accumulators and buffers are live when something live reads them; their writes are then live.
/// Inside a loop a read may come before the write that feeds it (the next iteration's read), so
/// liveness is iterated to a fixed point. Only stores outside loops overwrite: a loop may run zero times.
/// </remarks>
internal static class DeadCode
{
    /// <summary>Returns <paramref name="function"/> without dead instructions.</summary>
    public static IrFunction Eliminate(IrFunction function)
    {
        EquatableArray<Instr> body = function.Body;
        bool[] live = MarkLive(body);
        int count = 0;
        foreach (bool l in live)
        {
            count += l ? 1 : 0;
        }

        // Nothing dead (a common case between passes): the function as it is, not a copy of it.
        if (count == body.Count)
        {
            return function;
        }

        var map = new int[body.Count];
        var kept = new Instr[count];
        int n = 0;
        for (int i = 0; i < body.Count; i++)
        {
            map[i] = -1;
            if (!live[i])
            {
                continue;
            }

            map[i] = n;
            kept[n++] = body[i].Remapped(map);
        }

        return function with { Body = new EquatableArray<Instr>(kept) };
    }

    private static bool[] MarkLive(EquatableArray<Instr> body)
    {
        var live = new bool[body.Count];
        var overwritten = new HashSet<(Slot, int)>();
        var depth = new int[body.Count];
        int d = 0;
        for (int i = 0; i < body.Count; i++)
        {
            d -= body[i].Op is Op.EndFor or Op.EndIf ? 1 : 0;
            depth[i] = d;
            d += body[i].Op is Op.For or Op.If ? 1 : 0;
        }

        for (int i = body.Count - 1; i >= 0; i--)
        {
            Instr x = body[i];
            if (x.Op == Op.Store)
            {
                // Accumulating slots (+=) keep every store; the others keep only the last one.
                bool accumulates = SlotFacts.Accumulates(x.Slot);
                live[i] = accumulates || x.Ix is not null || depth[i] > 0 || overwritten.Add((x.Slot, x.Index));
            }

            // An output buffer (dydt, dydtDot) is the method's result.
            if (x.Op == Op.Buf && x.Slot is Slot.Dydt or Slot.DydtDot)
            {
                live[i] = true;
            }
        }

        bool changed = true;
        while (changed)
        {
            changed = KeepNonEmptyRegions(body, live);
            for (int i = body.Count - 1; i >= 0; i--)
            {
                Instr x = body[i];
                if (!live[i] && ((x.Op is Op.VarAdd or Op.VarSet && live[x.A]) || (x.Op == Op.BufStore && live[x.B])
                    || (x.Op == Op.ExternVjp && System.Linq.Enumerable.Any(System.Linq.Enumerable.Skip(x.Args, x.Index + 1), v => live[v]))))
                {
                    live[i] = true;
                    changed = true;
                }

                if (!live[i])
                {
                    continue;
                }

                for (int k = 0; k < x.Arity; k++)
                {
                    changed |= !live[x.Operand(k)];
                    live[x.Operand(k)] = true;
                }
            }
        }

        return live;
    }

    /// <summary>
    /// A loop or branch is live when something in its body is; it then keeps its else and closing
    /// instructions (and, through its operand, its condition). Returns whether anything became live.
    /// </summary>
    private static bool KeepNonEmptyRegions(EquatableArray<Instr> body, bool[] live)
    {
        bool changed = false;
        var open = new Stack<(int Start, int Else)>();
        var hasLive = new Stack<bool>();
        for (int i = 0; i < body.Count; i++)
        {
            Op op = body[i].Op;
            if (op is Op.For or Op.If)
            {
                open.Push((i, -1));
                hasLive.Push(false);
            }
            else if (op == Op.Else)
            {
                (int start, _) = open.Pop();
                open.Push((start, i));
            }
            else if (op is Op.EndFor or Op.EndIf)
            {
                (int start, int otherwise) = open.Pop();
                bool any = hasLive.Pop();
                if (any && !live[start])
                {
                    live[start] = live[i] = true;
                    if (otherwise >= 0)
                    {
                        live[otherwise] = true;
                    }

                    changed = true;
                }

                if (any && hasLive.Count > 0)
                {
                    hasLive.Pop();
                    hasLive.Push(true);
                }
            }
            else if (live[i] && hasLive.Count > 0)
            {
                hasLive.Pop();
                hasLive.Push(true);
            }
        }

        return changed;
    }

}
