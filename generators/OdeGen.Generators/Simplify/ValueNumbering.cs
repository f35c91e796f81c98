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
    // A hash table of its own rather than a Dictionary: scopes close in the reverse order they open, so the entries form
    // a stack and closing a scope pops its entries, each the head of its bucket's chain (anything added to that bucket
    // later was popped before it). The table's arrays are kept for the next builder on this thread: the passes rebuild
    // every function several times, and a table the size of a function each time was most of what the garbage collector
    // saw. (One per thread: the compiler may run the generator on several threads at once.)
    [ThreadStatic]
    private static Storage? s_spare;

    private readonly Storage _table;
    private readonly Stack<int> _scopes = new();

    /// <summary>A table with room for about <paramref name="capacity"/> values.</summary>
    [MethodImpl(Hot.Optimize)]
    public ValueNumbering(int capacity = 0)
    {
        Storage? spare = s_spare;
        s_spare = null;
        _table = spare ?? new Storage(capacity);
    }

    /// <summary>Hands the table to the next builder on this thread; this instance must not be used afterwards.</summary>
    [MethodImpl(Hot.Optimize)]
    public void Release()
    {
        _table.Clear();
        _scopes.Clear();
        s_spare = _table;
    }

    /// <summary>The id of an existing instruction computing the same value, or -1.</summary>
    [MethodImpl(Hot.Optimize)]
    public int Find(Op op, Fn fn, int a, int b, int c, double value, Slot slot, int index, IndexExpr? ix, IndexExpr? ix2)
    {
        long bits = BitConverter.DoubleToInt64Bits(value);
        int existing = _table.Find(new Key(op, fn, a, b, c, bits, slot, index, ix, ix2));
        if (existing >= 0)
        {
            return existing;
        }

        // a+b and b+a are the same IEEE value (likewise a·b); reuse either order.
        return op is Op.Add or Op.Mul ? _table.Find(new Key(op, fn, b, a, c, bits, slot, index, ix, ix2)) : -1;
    }

    /// <summary>Records that instruction <paramref name="id"/> computes this value (which no entry computes yet: <see cref="Find"/> came first).</summary>
    [MethodImpl(Hot.Optimize)]
    public void Add(Op op, Fn fn, int a, int b, int c, double value, Slot slot, int index, IndexExpr? ix, IndexExpr? ix2, int id) =>
        _table.Push(new Key(op, fn, a, b, c, BitConverter.DoubleToInt64Bits(value), slot, index, ix, ix2), id);

    /// <summary>Opens a loop body.</summary>
    [MethodImpl(Hot.Optimize)]
    public void Push() => _scopes.Push(_table.Count);

    /// <summary>Closes the innermost loop body, forgetting what was defined in it.</summary>
    [MethodImpl(Hot.Optimize)]
    public void Pop() => _table.PopTo(_scopes.Pop());

    /// <summary>The entries, as a stack with a hash chain through each bucket.</summary>
    private sealed class Storage
    {
        private int[] _buckets;   // index of the bucket's newest entry + 1; 0: empty
        private Key[] _keys;
        private int[] _values, _hashes, _next;

        [MethodImpl(Hot.Optimize)]
        public Storage(int capacity)
        {
            int size = 16;
            while (size < capacity)
            {
                size *= 2;
            }

            _buckets = new int[size];
            _keys = new Key[size];
            _values = new int[size];
            _hashes = new int[size];
            _next = new int[size];
        }

        public int Count { get; private set; }

        [MethodImpl(Hot.Optimize)]
        public int Find(Key key)
        {
            int hash = key.GetHashCode();
            for (int e = _buckets[hash & (_buckets.Length - 1)] - 1; e >= 0; e = _next[e])
            {
                if (_hashes[e] == hash && _keys[e].Equals(key))
                {
                    return _values[e];
                }
            }

            return -1;
        }

        [MethodImpl(Hot.Optimize)]
        public void Push(Key key, int value)
        {
            if (Count == _keys.Length)
            {
                Grow();
            }

            int e = Count++, hash = key.GetHashCode(), bucket = hash & (_buckets.Length - 1);
            _keys[e] = key;
            _values[e] = value;
            _hashes[e] = hash;
            _next[e] = _buckets[bucket] - 1;
            _buckets[bucket] = e + 1;
        }

        [MethodImpl(Hot.Optimize)]
        public void PopTo(int count)
        {
            for (int e = Count - 1; e >= count; e--)
            {
                _buckets[_hashes[e] & (_buckets.Length - 1)] = _next[e] + 1;
                _keys[e] = default;   // no reference to an index tree outlives the builder
            }

            Count = count;
        }

        [MethodImpl(Hot.Optimize)]
        public void Clear() => PopTo(0);

        private void Grow()
        {
            int size = _keys.Length * 2;
            Array.Resize(ref _keys, size);
            Array.Resize(ref _values, size);
            Array.Resize(ref _hashes, size);
            Array.Resize(ref _next, size);

            // Re-chained oldest first, so each chain is still newest first.
            _buckets = new int[size];
            for (int e = 0; e < Count; e++)
            {
                int bucket = _hashes[e] & (size - 1);
                _next[e] = _buckets[bucket] - 1;
                _buckets[bucket] = e + 1;
            }
        }
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
