using System.Collections.Generic;
using OdeGen.Generators.Ir;
using OdeGen.Generators.Model;
using System.Runtime.CompilerServices;

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
    [MethodImpl(Hot.Optimize)]
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

    [MethodImpl(Hot.Optimize)]
    private static bool[] MarkLive(EquatableArray<Instr> body)
    {
        int n = body.Count;
        var live = new bool[n];

        // The per-instruction tables live in one array kept for the next call on this thread: every pass ends with
        // this one, and five arrays the size of the function each time would be much of what the passes allocate.
        int[] scratch = s_scratch is { } kept && kept.Length >= (5 * n) + 1 ? kept : new int[(5 * n) + 1];
        s_scratch = null;
        System.Array.Clear(scratch, 0, (5 * n) + 1);
        var parent = new System.Span<int>(scratch, 0, n);
        var otherwise = new System.Span<int>(scratch, n, n);
        var close = new System.Span<int>(scratch, 2 * n, n);
        var filled = new System.Span<int>(scratch, 3 * n, n);
        var first = new System.Span<int>(scratch, 4 * n, n + 1);

        // The regions: each instruction's innermost enclosing opener (For or If; -1 at the top), and each opener's
        // Else (or -1) and closing instruction. An Else or a closing instruction belongs to its own opener.
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
        for (int i = 0; i < n; i++)
        {
            Instr x = body[i];
            for (int k = FirstWritten(x); k < LastWritten(x); k++)
            {
                first[Written(x, k) + 1]++;
            }
        }

        for (int v = 0; v < n; v++)
        {
            first[v + 1] += first[v];
        }

        var writers = new int[first[n]];
        for (int i = 0; i < n; i++)
        {
            Instr x = body[i];
            for (int k = FirstWritten(x); k < LastWritten(x); k++)
            {
                int target = Written(x, k);
                writers[first[target] + filled[target]++] = i;
            }
        }
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
                Mark(live, stack, x.Operand(k));
            }

            for (int w = first[i]; w < first[i + 1]; w++)
            {
                Mark(live, stack, writers[w]);
            }

            if (parent[i] >= 0)
            {
                Mark(live, stack, parent[i]);
            }

            if (x.Op is Op.For or Op.If)
            {
                Mark(live, stack, close[i]);
                if (otherwise[i] >= 0)
                {
                    Mark(live, stack, otherwise[i]);
                }
            }
        }

        s_scratch = scratch;
        return live;
    }

    [System.ThreadStatic]
    private static int[]? s_scratch;

    [MethodImpl(Hot.Optimize)]
    private static void Mark(bool[] live, Stack<int> stack, int id)
    {
        if (!live[id])
        {
            live[id] = true;
            stack.Push(id);
        }
    }

    // The accumulators and buffers an instruction changes, as operands k in [FirstWritten, LastWritten) of it: VarAdd and
    // VarSet change A, BufStore changes B, ExternVjp the variables after its arguments and the result's adjoint.
    [MethodImpl(Hot.Optimize)]
    private static int FirstWritten(Instr x) => x.Op switch
    {
        Op.VarAdd or Op.VarSet => 0,
        Op.BufStore => 1,
        Op.ExternVjp => x.Index + 1,
        _ => 0,
    };

    [MethodImpl(Hot.Optimize)]
    private static int LastWritten(Instr x) => x.Op switch
    {
        Op.VarAdd or Op.VarSet => 1,
        Op.BufStore => 2,
        Op.ExternVjp => x.Args.Count,
        _ => 0,
    };

    [MethodImpl(Hot.Optimize)]
    private static int Written(Instr x, int k) => x.IsExtern ? x.Args[k] : k == 0 ? x.A : x.B;
}
