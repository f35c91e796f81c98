using System;
using System.Collections.Generic;
using OdeGen.Generators.Ir;

namespace OdeGen.Generators.Simplify;

/// <summary>
/// Common subexpressions by hash-consing: every pure instruction is looked up by what it computes
/// (opcode, operands, literal, slot) before it is added, so a value computed twice exists once.
/// Straight-line code makes this safe everywhere; once branches exist the table must be scoped
/// per region so a value is only reused where its definition dominates.
/// </summary>
internal sealed class ValueNumbering
{
    private readonly Dictionary<(Op, Fn, int, int, int, long, Slot, int), int> _known = new();

    /// <summary>The id of an existing instruction computing the same value, or -1.</summary>
    public int Find(Op op, Fn fn, int a, int b, int c, double value, Slot slot, int index)
    {
        long bits = BitConverter.DoubleToInt64Bits(value);
        if (_known.TryGetValue((op, fn, a, b, c, bits, slot, index), out int existing))
        {
            return existing;
        }

        // a+b and b+a are the same IEEE value (likewise a·b); reuse either order.
        if (op is Op.Add or Op.Mul && _known.TryGetValue((op, fn, b, a, c, bits, slot, index), out existing))
        {
            return existing;
        }

        return -1;
    }

    /// <summary>Records that instruction <paramref name="id"/> computes this value.</summary>
    public void Add(Op op, Fn fn, int a, int b, int c, double value, Slot slot, int index, int id) =>
        _known[(op, fn, a, b, c, BitConverter.DoubleToInt64Bits(value), slot, index)] = id;
}
