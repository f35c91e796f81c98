using System.Collections.Generic;
using OdeGen.Generators.Ir;
using OdeGen.Generators.Simplify;
using System.Runtime.CompilerServices;

namespace OdeGen.Generators.Optimize;

/// <summary>
/// Replaces a zeroed buffer that one loop reads and writes only at its own iteration's element by a local
/// declared in the loop body: after <see cref="LoopFusion"/>, the MLP's hidden adjoint hBar[i] is added to,
/// read and cleared within iteration i, so it lives in a register instead of a stack array that each
/// iteration stores and reloads.
/// </summary>
/// <remarks>
/// The buffer must start zeroed (the local starts at 0 in every iteration), and every access in the function
/// must sit in that one loop at exactly the loop variable, so each element is touched only by its own
/// iteration and nothing reads it afterwards. Every value and its order of operations stay the same.
/// </remarks>
internal static class BufferScalarization
{
    /// <summary>Returns <paramref name="function"/> with its iteration-local buffers kept in locals.</summary>
    [MethodImpl(Hot.Optimize)]
    public static IrFunction Run(IrFunction function, bool exact)
    {
        Dictionary<int, List<int>> locals = Candidates(function);
        if (locals.Count == 0)
        {
            return function;
        }

        var builder = new IrBuilder(exact, function.Single, function.Body.Count);
        var map = new int[function.Body.Count];
        var local = new Dictionary<int, int>();   // buffer → its accumulator in the current loop
        var pending = new Dictionary<int, string>();   // accesses that declare their buffer's local with the value they store → the loop's variable
        int depth = 0;
        for (int i = 0; i < function.Body.Count; i++)
        {
            Instr x = function.Body[i];
            depth += x.Op is Op.For or Op.If ? 1 : x.Op is Op.EndFor or Op.EndIf ? -1 : 0;
            Simplifier.Attribute(builder, x);
            if (pending.TryGetValue(i, out string? variable))
            {
                // The first access stores: the local starts at that value (0 + v for an addition, which the
                // derivative builder folds to v; the user's own arithmetic keeps the addition).
                int start = x.Value == 1 ? builder.Add(builder.Const(0), map[x.A]) : map[x.A];
                local[x.B] = builder.Var(start, LocalName(function, x.B, variable));
                continue;
            }

            if (x.Op == Op.BufStore && local.TryGetValue(x.B, out int v))
            {
                if (x.Value == 1)
                {
                    builder.VarAdd(v, map[x.A]);
                }
                else
                {
                    builder.VarSet(v, map[x.A]);
                }

                continue;
            }

            if (x.Op == Op.BufLoad && local.TryGetValue(x.A, out int w))
            {
                map[i] = builder.VarGet(w);
                continue;
            }

            Simplifier.Record(builder, x, i, map, Simplifier.Copy(builder, x, map));

            if (x.Op == Op.For && locals.TryGetValue(i, out List<int>? buffers))
            {
                foreach (int buffer in buffers)
                {
                    int first = FirstAccess(function, i, buffer);
                    if (first >= 0)
                    {
                        pending[first] = x.Name!;
                    }
                    else
                    {
                        local[buffer] = builder.Var(builder.Const(0), LocalName(function, buffer, x.Name!));
                    }
                }
            }
            else if (depth == 0)
            {
                local.Clear();   // the top-level loop that owned them is closed
            }
        }

        return DeadCode.Eliminate(builder.Build(function.Statements, function.UserStatements));
    }

    /// <summary>The local that holds <paramref name="buffer"/>'s element in an iteration of the loop over <paramref name="variable"/>.</summary>
    private static string LocalName(IrFunction function, int buffer, string variable) => (function.Body[buffer].Name ?? "buffer") + "_" + variable;

    /// <summary>
    /// The position of the loop at <paramref name="loop"/>'s first access to <paramref name="buffer"/> when it is a store in
    /// the loop's own body (not in a nested loop or branch), where the local can be declared with the stored value; else -1.
    /// </summary>
    [MethodImpl(Hot.Optimize)]
    private static int FirstAccess(IrFunction function, int loop, int buffer)
    {
        int depth = 0;
        for (int i = loop + 1; i < function.Body.Count; i++)
        {
            Instr x = function.Body[i];
            if (x.Op is Op.EndFor or Op.EndIf && depth-- == 0)
            {
                return -1;
            }

            depth += x.Op is Op.For or Op.If ? 1 : 0;
            if ((x.Op == Op.BufLoad && x.A == buffer) || (x.Op == Op.BufStore && x.B == buffer))
            {
                return x.Op == Op.BufStore && depth == 0 ? i : -1;
            }
        }

        return -1;
    }

    /// <summary>Top-level loops with the buffers that only they touch, at their variable.</summary>
    [MethodImpl(Hot.Optimize)]
    private static Dictionary<int, List<int>> Candidates(IrFunction function)
    {
        var body = function.Body;
        var owner = new Dictionary<int, int>();   // buffer → the one loop that touches it, or -1
        int depth = 0, loop = -1;
        for (int i = 0; i < body.Count; i++)
        {
            Instr x = body[i];
            if (x.Op is Op.For or Op.If && depth == 0)
            {
                loop = x.Op == Op.For ? i : -1;   // a top-level branch owns nothing
            }

            depth += x.Op is Op.For or Op.If ? 1 : x.Op is Op.EndFor or Op.EndIf ? -1 : 0;
            int buffer = x.Op == Op.BufLoad ? x.A : x.Op == Op.BufStore ? x.B : -1;
            if (buffer < 0)
            {
                continue;
            }

            bool here = depth > 0 && loop >= 0 && x.Ix is IndexExpr.Variable v && v.Name == body[loop].Name && Qualifies(body[buffer]);
            owner[buffer] = !here ? -1 : owner.TryGetValue(buffer, out int o) && o != loop ? -1 : loop;
        }

        var result = new Dictionary<int, List<int>>();
        foreach (KeyValuePair<int, int> o in owner)
        {
            if (o.Value >= 0)
            {
                if (!result.TryGetValue(o.Value, out List<int>? list))
                {
                    result[o.Value] = list = new List<int>();
                }

                list.Add(o.Key);
            }
        }

        return result;
    }

    /// <summary>A zeroed stackalloc buffer (not dydt, not the adjoint seeded from a).</summary>
    [MethodImpl(Hot.Optimize)]
    private static bool Qualifies(Instr buffer) => buffer.Op == Op.Buf && buffer.Slot == Slot.None && buffer.Value == 1;
}
