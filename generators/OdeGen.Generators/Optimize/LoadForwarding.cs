using System.Collections.Generic;
using OdeGen.Generators.Ir;
using OdeGen.Generators.Simplify;
using System.Runtime.CompilerServices;

namespace OdeGen.Generators.Optimize;

/// <summary>
/// Reads a buffer element once where the code reads it again with no write to that buffer in between: after
/// <see cref="LoopFusion"/>, the MLP's reverse loop recomputes h[i] for each output and for tanh's derivative, three
/// loads of one element that the JIT cannot merge (the stores to pBar between them might alias the stack buffer).
/// </summary>
/// <remarks>
/// Only within one block: every loop or branch boundary forgets what was read, so a read is reused only where it
/// dominates and nothing between ran twice. A write to the buffer forgets all its reads (elements at different index
/// expressions may be the same element). A read yields the value it read, so every result stays bit for bit.
/// </remarks>
internal static class LoadForwarding
{
    /// <summary>Returns <paramref name="function"/> with its repeated buffer reads merged.</summary>
    [MethodImpl(Hot.Optimize)]
    public static IrFunction Run(IrFunction function)
    {
        if (!HasRepeatedLoad(function))
        {
            return function;
        }

        var builder = new IrBuilder(exact: false, function.Single, function.Body.Count);
        var map = new int[function.Body.Count];
        var read = new Dictionary<(int Buffer, IndexExpr Element), int>();
        for (int i = 0; i < function.Body.Count; i++)
        {
            Instr x = function.Body[i];
            if (x.IsRegion)
            {
                read.Clear();
            }
            else if (x.Op == Op.BufLoad && read.TryGetValue((x.A, x.Ix!), out int earlier))
            {
                map[i] = map[earlier];
                builder.Name(map[i], x.Name);
                continue;
            }
            else if (x.Op == Op.BufStore)
            {
                Forget(read, x.B);
            }

            Simplifier.CopyNamed(builder, x, i, map);
            if (x.Op == Op.BufLoad)
            {
                read[(x.A, x.Ix!)] = i;
            }
        }

        return DeadCode.Eliminate(builder.Build(function.Statements, function.UserStatements));
    }

    [MethodImpl(Hot.Optimize)]
    private static void Forget(Dictionary<(int Buffer, IndexExpr Element), int> read, int buffer)
    {
        List<(int, IndexExpr)>? gone = null;
        foreach ((int Buffer, IndexExpr Element) key in read.Keys)
        {
            if (key.Buffer == buffer)
            {
                (gone ??= new List<(int, IndexExpr)>()).Add(key);
            }
        }

        if (gone is not null)
        {
            foreach ((int, IndexExpr) key in gone)
            {
                read.Remove(key);
            }
        }
    }

    /// <summary>Whether some block reads a buffer element twice (most functions have no such read: they are not rebuilt).</summary>
    [MethodImpl(Hot.Optimize)]
    private static bool HasRepeatedLoad(IrFunction function)
    {
        var read = new HashSet<(int, IndexExpr)>();
        foreach (Instr x in function.Body)
        {
            if (x.IsRegion)
            {
                read.Clear();
            }
            else if (x.Op == Op.BufLoad && !read.Add((x.A, x.Ix!)))
            {
                return true;
            }
        }

        return false;
    }
}
