using System;
using System.Collections.Generic;
using OdeGen.Generators.Ir;

namespace OdeGen.Generators.Simplify;

/// <summary>
/// Common subexpressions by hash-consing: every pure instruction is looked up by what it computes
/// (opcode, operands, literal, slot, index) before it is added, so a value computed twice exists once.
/// </summary>
/// <remarks>
/// The table is scoped by loop: a value defined inside a loop body is forgotten when the body
/// closes, so it is only reused where its definition dominates (inside that body). Values from
/// outside a loop are reused inside it, which is what shares primal work with derivative code.
/// </remarks>
internal sealed class ValueNumbering
{
    private readonly Dictionary<(Op, Fn, int, int, int, long, Slot, int, IndexExpr?, IndexExpr?), int> _known = new();
    private readonly Stack<List<(Op, Fn, int, int, int, long, Slot, int, IndexExpr?, IndexExpr?)>> _scopes = new();

    /// <summary>The id of an existing instruction computing the same value, or -1.</summary>
    public int Find(Op op, Fn fn, int a, int b, int c, double value, Slot slot, int index, IndexExpr? ix, IndexExpr? ix2)
    {
        long bits = BitConverter.DoubleToInt64Bits(value);
        if (_known.TryGetValue((op, fn, a, b, c, bits, slot, index, ix, ix2), out int existing))
        {
            return existing;
        }

        // a+b and b+a are the same IEEE value (likewise a·b); reuse either order.
        if (op is Op.Add or Op.Mul && _known.TryGetValue((op, fn, b, a, c, bits, slot, index, ix, ix2), out existing))
        {
            return existing;
        }

        return -1;
    }

    /// <summary>Records that instruction <paramref name="id"/> computes this value.</summary>
    public void Add(Op op, Fn fn, int a, int b, int c, double value, Slot slot, int index, IndexExpr? ix, IndexExpr? ix2, int id)
    {
        var key = (op, fn, a, b, c, BitConverter.DoubleToInt64Bits(value), slot, index, ix, ix2);
        if (_scopes.Count > 0)
        {
            _scopes.Peek().Add(key);
        }

        _known[key] = id;
    }

    /// <summary>Opens a loop body.</summary>
    public void Push() => _scopes.Push(new());

    /// <summary>Closes the innermost loop body, forgetting what was defined in it.</summary>
    public void Pop()
    {
        foreach (var key in _scopes.Pop())
        {
            _known.Remove(key);
        }
    }
}
