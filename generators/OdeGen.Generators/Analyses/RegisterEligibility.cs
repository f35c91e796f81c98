using System.Collections.Generic;
using System.Linq;
using OdeGen.Generators.Ir;

namespace OdeGen.Generators.Analyses;

/// <summary>
/// One accumulator that crosses a call in memory: stored to its one-element buffer (<c>sKept[0]</c> for a sum s) before the
/// line at <see cref="Store"/> (the first line with a call after the loop that last added to it); from there its reads print that element, up to
/// the line at <see cref="Restore"/> (the first that changes it or opens a loop or branch that uses it), before which it
/// is copied back into its local.
/// </summary>
/// <param name="Var">The <see cref="Op.Var"/>.</param>
/// <param name="Store">The printed line before which the accumulator is stored.</param>
/// <param name="Restore">The printed line before which it is copied back; -1 when no line after the call needs that.</param>
internal readonly record struct KeptAcrossCall(int Var, int Store, int Restore);

/// <summary>
/// Decides what may live in registers. (1) Which loop accumulators may stay in registers across calls of functions that are real calls (Math.Tanh,
/// Exp, Sin, …, and the user's functions), and plans for the others a store before the call, after which their reads
/// take the stored copy. (2) Whether a double system's whole state fits the fields of one value (<see cref="FitsRegisters"/>),
/// which gets it the fused-step members (Emit/RegisterEmitter.cs).
/// </summary>
/// <remarks>
/// Why: a call clobbers every floating-point register on x64 (System V) and the upper halves of the vector registers
/// everywhere, so a value live across it must live in memory. The JIT's register allocator then keeps an accumulator
/// that is summed in a loop and still live at a call after the loop on the stack for the whole loop: a store and a
/// load in the loop-carried dependency chain of every iteration. Divergence of a tanh MLP carries two tangent sums
/// past Math.Tanh that way and ran at 3.4× Evaluate; with the sums stored before the call and read from memory after
/// it, the loop keeps them in registers (1.4×). A copy into another local does not help (the JIT propagates it back); a store
/// to memory does. Accumulators that no loop adds to are left alone: the JIT's own spill of them costs one store.
/// </remarks>
internal static class RegisterEligibility
{
    /// <summary>More states than this would not fit the SIMD registers anyway; such systems keep the span path.</summary>
    public const int MaxRegisterStates = 32;

    /// <summary>
    /// True when the double system of <paramref name="header"/> gets the fused-step members: at most
    /// <see cref="MaxRegisterStates"/> states, and Evaluate straight-line code over constant state indices
    /// (<see cref="StraightLineOverStates"/>). Float systems never do: the fused steppers are double.
    /// </summary>
    public static bool FitsRegisters(Model.SystemHeader header, IrFunction evaluate) =>
        header.Kind == Model.TargetKind.Dynamics && !header.Single && header.States is > 0 and <= MaxRegisterStates && StraightLineOverStates(evaluate);

    /// <summary>
    /// True when every read of y and every write and read of dydt has a constant index, no loop is left and no index
    /// but dydt's own size names y.Length or dydt.Length: the function is straight-line code over the states, which can
    /// live in the fields of a value (which has no Length).
    /// </summary>
    public static bool StraightLineOverStates(IrFunction function)
    {
        foreach (Instr x in function.Body)
        {
            if (x.Op != Op.Buf && (NamesStateLength(x.Ix) || NamesStateLength(x.Ix2)))
            {
                return false;
            }

            switch (x.Op)
            {
                case Op.For:
                    return false;
                case Op.Input when x.Slot == Slot.Y && !IsLiteral(x.Ix):
                case Op.Store when x.Slot == Slot.Dydt && !IsLiteral(x.Ix):
                    return false;
                case Op.BufLoad when function.Body[x.A].Slot == Slot.Dydt && !IsLiteral(x.Ix):
                case Op.BufStore when function.Body[x.B].Slot == Slot.Dydt && !IsLiteral(x.Ix):
                    return false;
            }
        }

        return true;
    }

    private static bool IsLiteral(IndexExpr? index) => index is null or IndexExpr.Constant;

    private static bool NamesStateLength(IndexExpr? index) => index is not null && index.Lengths().Any(s => s is Slot.Y or Slot.Dydt);

    /// <summary>True for instructions that call out of the method (the JIT inlines Sqrt, Abs, Min, Max, FusedMultiplyAdd and the like).</summary>
    public static bool IsCall(Instr x) => x.IsExtern || BufferPlacement.CallsCRuntime(x);

    /// <summary>
    /// The accumulators of <paramref name="function"/> to keep in memory across calls, in order of <see cref="KeptAcrossCall.Store"/>;
    /// <paramref name="names"/> are the emitter's locals (null: a value printed inline into the line that uses it).
    /// </summary>
    public static EquatableArray<KeptAcrossCall> Plan(IrFunction function, IReadOnlyList<string?> names)
    {
        EquatableArray<Instr> body = function.Body;
        int count = body.Count;
        int[] parent = Parents(body);
        int[] line = Lines(body, names);

        // Where each Var is used: the lines that print a read, an addition, an assignment or a ref to it.
        var uses = new Dictionary<int, List<int>>();
        var calls = new List<int>();
        var writes = new Dictionary<int, List<int>>();
        for (int i = 0; i < count; i++)
        {
            Instr x = body[i];
            if (IsCall(x) && line[i] >= 0)
            {
                calls.Add(line[i]);
            }

            for (int k = 0; k < x.Arity; k++)
            {
                int o = x.Operand(k);
                if (body[o].Op == Op.Var)
                {
                    Use(uses, o, names[i] is null && x.Op == Op.VarGet ? -1 : i);
                    if (x.Op is Op.VarAdd or Op.VarSet || (x.Op == Op.ExternVjp && k > x.Index))
                    {
                        Use(writes, o, i);
                    }
                }
                else if (body[o].Op == Op.VarGet && names[o] is null && line[i] >= 0)
                {
                    Use(uses, body[o].A, line[i]);   // a read printed inline: each of its users' lines reads the Var
                }
            }
        }

        calls.Sort();
        var plan = new List<KeptAcrossCall>();
        foreach (KeyValuePair<int, List<int>> entry in uses)
        {
            int v = entry.Key, region = parent[v];
            if (!writes.TryGetValue(v, out List<int>? written))
            {
                continue;
            }

            // The uses, writes and calls as lines of the Var's own block (a nested loop or branch counts as its opening line).
            var at = new SortedSet<int>();
            foreach (int u in entry.Value)
            {
                at.Add(Top(parent, u, region));
            }

            var writtenAt = new HashSet<int>();
            foreach (int w in written)
            {
                writtenAt.Add(Top(parent, w, region));
            }

            int[] tops = new int[at.Count];
            at.CopyTo(tops);
            for (int g = 1; g < tops.Length; g++)
            {
                // Only a sum that a loop has just added to: that loop is what a register saves.
                int previous = tops[g - 1];
                int store = body[previous].Op == Op.For && writtenAt.Contains(previous) ? FirstCall(calls, parent, region, previous, tops[g]) : -1;
                if (store < 0)
                {
                    continue;
                }

                // Reads print the kept copy up to the first line that changes the sum or opens a loop or branch using it,
                // where it goes back into its local (a read inside a line that also calls would keep the local live).
                int restore = -1;
                for (int r = g; r < tops.Length && restore < 0; r++)
                {
                    if (body[tops[r]].IsRegion || writtenAt.Contains(tops[r]))
                    {
                        restore = tops[r];
                        g = r;
                    }
                }

                plan.Add(new KeptAcrossCall(v, store, restore));
                if (restore < 0)
                {
                    break;
                }
            }
        }

        plan.Sort((a, b) => a.Store != b.Store ? a.Store.CompareTo(b.Store) : a.Var.CompareTo(b.Var));
        return new EquatableArray<KeptAcrossCall>(plan.ToArray());
    }

    /// <summary>For each instruction, the opening of the innermost loop or branch around it (-1 at the method's top level).</summary>
    private static int[] Parents(EquatableArray<Instr> body)
    {
        var parent = new int[body.Count];
        var open = new Stack<int>();
        for (int i = 0; i < body.Count; i++)
        {
            Instr x = body[i];
            if (x.Op is Op.EndFor or Op.EndIf)
            {
                open.Pop();
            }

            parent[i] = open.Count > 0 ? open.Peek() : -1;
            if (x.Op is Op.For or Op.If)
            {
                open.Push(i);
            }
        }

        return parent;
    }

    /// <summary>
    /// The line each instruction is printed on: its own, or for a value printed inline the line of its (only) user;
    /// -1 for a value never printed. (An inline read of an accumulator prints on each of its users' lines.)
    /// </summary>
    private static int[] Lines(EquatableArray<Instr> body, IReadOnlyList<string?> names)
    {
        int count = body.Count;
        var user = new int[count];
        for (int i = 0; i < count; i++)
        {
            user[i] = -1;
        }

        for (int i = 0; i < count; i++)
        {
            Instr x = body[i];
            for (int k = 0; k < x.Arity; k++)
            {
                user[x.Operand(k)] = i;
            }
        }

        var line = new int[count];
        for (int i = count - 1; i >= 0; i--)
        {
            Instr x = body[i];
            line[i] = Printed(x, names[i]) ? i : user[i] >= 0 ? line[user[i]] : -1;
        }

        return line;
    }

    private static bool Printed(Instr x, string? name) => name is not null || x.IsRegion || Emit.FunctionEmitter.IsStatement(x);

    private static void Use(Dictionary<int, List<int>> uses, int v, int line)
    {
        if (!uses.TryGetValue(v, out List<int>? at))
        {
            uses[v] = at = new List<int> { v };
        }

        if (line >= 0)
        {
            at.Add(line);
        }
    }

    /// <summary>The line of <paramref name="region"/>'s own block that holds line <paramref name="at"/>; -1 when it is outside the block.</summary>
    private static int Top(int[] parent, int at, int region)
    {
        while (at >= 0 && parent[at] != region)
        {
            at = parent[at];
        }

        return at;
    }

    /// <summary>The first line of <paramref name="region"/>'s block strictly between two uses that calls out, or -1.</summary>
    private static int FirstCall(List<int> calls, int[] parent, int region, int after, int before)
    {
        foreach (int c in calls)
        {
            if (c <= after)
            {
                continue;
            }

            if (c >= before)
            {
                break;
            }

            int top = Top(parent, c, region);
            if (top > after && top < before)
            {
                return top;
            }
        }

        return -1;
    }
}
