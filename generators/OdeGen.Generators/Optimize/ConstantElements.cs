using System.Collections.Generic;
using OdeGen.Generators.Ir;
using OdeGen.Generators.Simplify;
using System.Runtime.CompilerServices;

namespace OdeGen.Generators.Optimize;

/// <summary>
/// Replaces a buffer that is read and written only at constant elements, outside every loop and branch, by one value
/// per element: after the MLP's output loop is unrolled, the Vjp's copy of <c>a</c> (dydtBar) is read once per output
/// and cleared, so the copy, its stackalloc and its clearing stores give way to reads of <c>a</c> itself.
/// </summary>
/// <remarks>
/// Straight-line code runs each access once and in order, so the value an element holds at a read is the last value
/// stored before it (or its start: a's element for the copy of a, 0 for a zeroed buffer). Additions stay additions in
/// the same order (<c>old + v</c>); only the folding of the derivative builder (0 + v = v) applies to them. Buffers read
/// or written anywhere at a variable element or inside a region keep their memory.
/// </remarks>
internal static class ConstantElements
{
    /// <summary>Returns <paramref name="function"/> with its constant-element buffers replaced by values.</summary>
    [MethodImpl(Hot.Optimize)]
    public static IrFunction Run(IrFunction function)
    {
        HashSet<int> buffers = Candidates(function);
        if (buffers.Count == 0)
        {
            return function;
        }

        var builder = new IrBuilder(exact: false, function.Single, function.Body.Count);
        var map = new int[function.Body.Count];
        var values = new Dictionary<(int Buffer, int Element), int>();
        for (int i = 0; i < function.Body.Count; i++)
        {
            Instr x = function.Body[i];
            int buffer = x.Op == Op.BufLoad ? x.A : x.Op == Op.BufStore ? x.B : x.Op == Op.Buf ? i : -1;
            if (buffer < 0 || !buffers.Contains(buffer))
            {
                Simplifier.CopyNamed(builder, x, i, map);
                continue;
            }

            Simplifier.Attribute(builder, x);
            if (x.Op == Op.Buf)
            {
                map[i] = -1;   // nothing is declared: every element lives in a value
                continue;
            }

            int element = ((IndexExpr.Constant)x.Ix!).Value;
            if (x.Op == Op.BufLoad)
            {
                Simplifier.Record(builder, x, i, map, Current(builder, function.Body[buffer], buffer, element, values));
                continue;
            }

            int value = map[x.A];
            values[(buffer, element)] = x.Value == 1 ? builder.Add(Current(builder, function.Body[buffer], buffer, element, values), value) : value;
            map[i] = -1;
        }

        return DeadCode.Eliminate(builder.Build(function.Statements, function.UserStatements));
    }

    /// <summary>The value element <paramref name="element"/> of <paramref name="buffer"/> holds now.</summary>
    [MethodImpl(Hot.Optimize)]
    private static int Current(IrBuilder builder, Instr declaration, int buffer, int element, Dictionary<(int, int), int> values) =>
        values.TryGetValue((buffer, element), out int v) ? v
            : declaration.Slot == Slot.A ? builder.Input(Slot.A, element) : builder.Const(0);

    /// <summary>The buffers whose every access is at a constant element outside loops and branches.</summary>
    [MethodImpl(Hot.Optimize)]
    private static HashSet<int> Candidates(IrFunction function)
    {
        var body = function.Body;
        var result = new HashSet<int>();
        var refused = new HashSet<int>();
        int depth = 0;
        for (int i = 0; i < body.Count; i++)
        {
            Instr x = body[i];
            depth += x.Op is Op.For or Op.If ? 1 : x.Op is Op.EndFor or Op.EndIf ? -1 : 0;
            if (x.Op == Op.Buf && depth == 0 && Qualifies(x))
            {
                result.Add(i);
                continue;
            }

            int buffer = x.Op == Op.BufLoad ? x.A : x.Op == Op.BufStore ? x.B : -1;
            if (buffer >= 0 && (depth > 0 || x.Ix is not IndexExpr.Constant))
            {
                refused.Add(buffer);
            }
            else
            {
                // Any other use of a buffer (a vectorized loop's or a call's argument) keeps its memory.
                for (int k = 0; k < x.Arity; k++)
                {
                    int operand = x.Operand(k);
                    if (operand >= 0 && body[operand].Op == Op.Buf && !(k == 0 && x.Op == Op.BufLoad) && !(k == 1 && x.Op == Op.BufStore))
                    {
                        refused.Add(operand);
                    }
                }
            }
        }

        result.ExceptWith(refused);
        return result;
    }

    /// <summary>The copy of a (seeded from it) or a zeroed stackalloc buffer: buffers whose start is known.</summary>
    [MethodImpl(Hot.Optimize)]
    private static bool Qualifies(Instr buffer) =>
        buffer.Op == Op.Buf && (buffer.Slot == Slot.A || (buffer.Slot == Slot.None && buffer.Value == 1));
}
