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
/// liveness spreads along a work list (operands, writers, enclosing regions) rather than in one
/// backward sweep: each instruction is visited once, whatever the order of its uses. Only stores
/// outside loops and branches overwrite: a loop may run zero times.
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
        int n = body.Count;
        var live = new bool[n];

        // The regions: each instruction's innermost enclosing opener (For or If; -1 at the top), and each opener's
        // Else (or -1) and closing instruction. An Else or a closing instruction belongs to its own opener.
        var parent = new int[n];
        var otherwise = new int[n];
        var close = new int[n];
        var open = new Stack<int>();
        for (int i = 0; i < n; i++)
        {
            Op op = body[i].Op;
            if (op is Op.EndFor or Op.EndIf)
            {
                int opener = open.Pop();
                close[opener] = i;
                parent[i] = opener;
                continue;
            }

            parent[i] = open.Count > 0 ? open.Peek() : -1;
            if (op == Op.Else)
            {
                otherwise[open.Peek()] = i;
                parent[i] = open.Peek();
            }
            else if (op is Op.For or Op.If)
            {
                otherwise[i] = -1;
                open.Push(i);
            }
        }

        // The writers of each accumulator or buffer (VarAdd, VarSet, BufStore, and ExternVjp for the variables it sets):
        // live when what they write is. As lists in one array, writers of v at [first[v], first[v + 1]).
        var first = new int[n + 1];
        ForEachWrite(body, (target, writer) => first[target + 1]++);
        for (int v = 0; v < n; v++)
        {
            first[v + 1] += first[v];
        }

        var writers = new int[first[n]];
        var filled = new int[n];
        ForEachWrite(body, (target, writer) => writers[first[target] + filled[target]++] = writer);

        // The roots: the stores that remain visible, and the output buffers.
        var stack = new Stack<int>();
        var overwritten = new HashSet<(Slot, int)>();
        for (int i = n - 1; i >= 0; i--)
        {
            Instr x = body[i];
            bool root = false;
            if (x.Op == Op.Store)
            {
                // Accumulating slots (+=) keep every store; the others keep only the last one. Only stores outside every
                // region overwrite: a loop may run zero times, a branch may not be taken.
                root = SlotFacts.Accumulates(x.Slot) || x.Ix is not null || parent[i] >= 0 || overwritten.Add((x.Slot, x.Index));
            }

            // An output buffer (dydt, dydtDot) is the method's result.
            if (x.Op == Op.Buf && x.Slot is Slot.Dydt or Slot.DydtDot)
            {
                root = true;
            }

            if (root)
            {
                live[i] = true;
                stack.Push(i);
            }
        }

        // What the live instructions need: their operands, the writers of what they read, and the regions around them
        // (a loop or branch is live when something in it is, with its Else and closing instruction). Each instruction
        // enters the stack once, when it becomes live, so this is linear in the size of the body.
        while (stack.Count > 0)
        {
            int i = stack.Pop();
            Instr x = body[i];
            for (int k = 0; k < x.Arity; k++)
            {
                Mark(x.Operand(k));
            }

            for (int w = first[i]; w < first[i + 1]; w++)
            {
                Mark(writers[w]);
            }

            if (parent[i] >= 0)
            {
                Mark(parent[i]);
            }

            if (x.Op is Op.For or Op.If)
            {
                Mark(close[i]);
                if (otherwise[i] >= 0)
                {
                    Mark(otherwise[i]);
                }
            }
        }

        return live;

        void Mark(int id)
        {
            if (!live[id])
            {
                live[id] = true;
                stack.Push(id);
            }
        }
    }

    /// <summary>Calls <paramref name="write"/>(target, writer) for each instruction that changes an accumulator or buffer.</summary>
    private static void ForEachWrite(EquatableArray<Instr> body, System.Action<int, int> write)
    {
        for (int i = 0; i < body.Count; i++)
        {
            Instr x = body[i];
            switch (x.Op)
            {
                case Op.VarAdd or Op.VarSet:
                    write(x.A, i);
                    break;
                case Op.BufStore:
                    write(x.B, i);
                    break;
                case Op.ExternVjp:
                    for (int k = x.Index + 1; k < x.Args.Count; k++)
                    {
                        write(x.Args[k], i);
                    }

                    break;
            }
        }
    }
}
