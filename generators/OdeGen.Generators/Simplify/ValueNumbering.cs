using System;
using System.Collections.Generic;
using OdeGen.Generators.Ir;
using System.Runtime.CompilerServices;

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
    private readonly Dictionary<Key, int> _known;

    // A table left by a finished builder on this thread, reused by the next: the passes rebuild every function
    // several times, and a table the size of a function each time is most of what the garbage collector sees.
    // One per thread: the compiler may run the generator on several threads at once.
    [ThreadStatic]
    private static Dictionary<Key, int>? s_spare;
    private readonly Stack<List<Key>> _scopes = new();

    // Closed scopes' lists, reused: a rebuild opens a scope for every loop and branch it copies.
    private readonly Stack<List<Key>> _spare = new();

    /// <summary>A table with room for about <paramref name="capacity"/> values.</summary>
    public ValueNumbering(int capacity = 0)
    {
        Dictionary<Key, int>? spare = s_spare;
        s_spare = null;
        _known = spare ?? new Dictionary<Key, int>(capacity);
    }

    /// <summary>Hands the table to the next builder on this thread; this instance must not be used afterwards.</summary>
    public void Release()
    {
        _known.Clear();
        _scopes.Clear();
        s_spare = _known;
    }

    /// <summary>The id of an existing instruction computing the same value, or -1.</summary>
    [MethodImpl(Hot.Optimize)]
    public int Find(Op op, Fn fn, int a, int b, int c, double value, Slot slot, int index, IndexExpr? ix, IndexExpr? ix2)
    {
        long bits = BitConverter.DoubleToInt64Bits(value);
        if (_known.TryGetValue(new Key(op, fn, a, b, c, bits, slot, index, ix, ix2), out int existing))
        {
            return existing;
        }

        // a+b and b+a are the same IEEE value (likewise a·b); reuse either order.
        if (op is Op.Add or Op.Mul && _known.TryGetValue(new Key(op, fn, b, a, c, bits, slot, index, ix, ix2), out existing))
        {
            return existing;
        }

        return -1;
    }

    /// <summary>Records that instruction <paramref name="id"/> computes this value.</summary>
    [MethodImpl(Hot.Optimize)]
    public void Add(Op op, Fn fn, int a, int b, int c, double value, Slot slot, int index, IndexExpr? ix, IndexExpr? ix2, int id)
    {
        var key = new Key(op, fn, a, b, c, BitConverter.DoubleToInt64Bits(value), slot, index, ix, ix2);
        if (_scopes.Count > 0)
        {
            _scopes.Peek().Add(key);
        }

        _known[key] = id;
    }

    /// <summary>Opens a loop body.</summary>
    public void Push() => _scopes.Push(_spare.Count > 0 ? _spare.Pop() : new());

    /// <summary>Closes the innermost loop body, forgetting what was defined in it.</summary>
    [MethodImpl(Hot.Optimize)]
    public void Pop()
    {
        List<Key> scope = _scopes.Pop();
        foreach (Key key in scope)
        {
            _known.Remove(key);
        }

        scope.Clear();
        _spare.Push(scope);
    }

    /// <summary>
    /// What an instruction computes. A struct of its own rather than a tuple: a tuple of more than seven elements
    /// boxes its tail on every hash, and hashing is what this table does for every instruction of every rebuild.
    /// </summary>
    private readonly struct Key : IEquatable<Key>
    {
        private readonly int _ops;   // Op, Fn and Slot packed: each is a byte.
        private readonly int _a, _b, _c, _index;
        private readonly long _bits;
        private readonly IndexExpr? _ix, _ix2;

        [MethodImpl(Hot.Optimize)]
        public Key(Op op, Fn fn, int a, int b, int c, long bits, Slot slot, int index, IndexExpr? ix, IndexExpr? ix2)
        {
            _ops = (byte)op | ((byte)fn << 8) | ((byte)slot << 16);
            _a = a;
            _b = b;
            _c = c;
            _bits = bits;
            _index = index;
            _ix = ix;
            _ix2 = ix2;
        }

        [MethodImpl(Hot.Optimize)]
        public bool Equals(Key other) =>
            _ops == other._ops && _a == other._a && _b == other._b && _c == other._c && _bits == other._bits && _index == other._index
            && Equals(_ix, other._ix) && Equals(_ix2, other._ix2);

        [MethodImpl(Hot.Optimize)]
        public override bool Equals(object? obj) => obj is Key other && Equals(other);

        [MethodImpl(Hot.Optimize)]
        public override int GetHashCode()
        {
            unchecked
            {
                int hash = _ops;
                hash = (hash * -1521134295) + _a;
                hash = (hash * -1521134295) + _b;
                hash = (hash * -1521134295) + _c;
                hash = (hash * -1521134295) + _bits.GetHashCode();
                hash = (hash * -1521134295) + _index;
                hash = (hash * -1521134295) + (_ix?.GetHashCode() ?? 0);
                return (hash * -1521134295) + (_ix2?.GetHashCode() ?? 0);
            }
        }

        [MethodImpl(Hot.Optimize)]
        private static bool Equals(IndexExpr? x, IndexExpr? y) => ReferenceEquals(x, y) || (x is not null && x.Equals(y));
    }
}
