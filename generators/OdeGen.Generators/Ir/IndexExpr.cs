using System.Collections.Generic;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace OdeGen.Generators.Ir;

/// <summary>The operators of an <see cref="IndexExpr.Binary"/>: the int arithmetic the parser lets into an index.</summary>
internal enum IndexOp : byte
{
    Add, Subtract, Multiply, Divide, Remainder,
}

/// <summary>
/// An int index expression of the IR (<c>i * 2 + j</c>, <c>y.Length - 1</c>) as an equatable tree: a span
/// element's index, a loop's bounds, a buffer's size, an index compared in a branch or used as a number.
/// </summary>
/// <remarks>
/// The parser builds it from the user's int expression (int locals and buffer lengths are expanded, parentheses
/// become structure); the passes substitute and fold it (an unrolled loop's variable becomes a literal) and ask
/// its stride in a loop variable; the emitters print it in the target's span names (<see cref="Print"/>, the one
/// place an index becomes text). Folding follows C# int semantics (wrapping, truncating division) and never
/// folds a division or remainder by zero, so a folded index computes what the unfolded one did.
/// </remarks>
internal abstract record IndexExpr
{
    private IndexExpr()
    {
    }

    // The leaves hash without the record's generated code (which hashes the runtime type too): value numbering hashes
    // an index for every instruction it meets. Equal leaves hash equal, which is all a hash must do.

    /// <summary>An int literal.</summary>
    public sealed record Constant(int Value) : IndexExpr
    {
        /// <inheritdoc/>
        public override int GetHashCode() => unchecked((Value * -1521134295) + 1);
    }

    /// <summary>A loop variable (by the name the IR's <see cref="Op.For"/> gives it).</summary>
    public sealed record Variable(string Name) : IndexExpr
    {
        /// <inheritdoc/>
        public override int GetHashCode() => unchecked((Name.GetHashCode() * -1521134295) + 2);
    }

    /// <summary>The length of one of the method's spans (printed in the target's names: y.Length, x.Length, a.Length, …).</summary>
    public sealed record Length(Slot Span) : IndexExpr
    {
        /// <inheritdoc/>
        public override int GetHashCode() => unchecked(((int)Span * -1521134295) + 3);
    }

    /// <summary>-Operand.</summary>
    public sealed record Negate(IndexExpr Operand) : IndexExpr
    {
        // Value numbering hashes and compares indices for every instruction it meets: a tree's hash is
        // computed once, not by walking it, and unequal trees are told apart by it first.
        private readonly int _hash = unchecked(Operand.GetHashCode() * -1521134295 + 7);

        /// <inheritdoc/>
        public bool Equals(Negate? other) => other is not null && _hash == other._hash && Operand.Equals(other.Operand);

        /// <inheritdoc/>
        public override int GetHashCode() => _hash;
    }

    /// <summary>Left Op Right.</summary>
    public sealed record Binary(IndexOp Op, IndexExpr Left, IndexExpr Right) : IndexExpr
    {
        // As for Negate: the hash once, and compared first.
        private readonly int _hash = unchecked(((int)Op * -1521134295 + Left.GetHashCode()) * -1521134295 + Right.GetHashCode());

        /// <inheritdoc/>
        public bool Equals(Binary? other) =>
            other is not null && _hash == other._hash && Op == other.Op && Left.Equals(other.Left) && Right.Equals(other.Right);

        /// <inheritdoc/>
        public override int GetHashCode() => _hash;
    }

    /// <summary>The literal <paramref name="value"/>.</summary>
    [MethodImpl(Hot.Optimize)]
    public static IndexExpr Of(int value) => (uint)(value + SmallOffset) < (uint)Small.Length ? Small[value + SmallOffset] : new Constant(value);

    // The literals unrolling and folding make most (loop indices, small sizes), made once: an unrolled copy
    // substitutes one into every index it has. Sharing them is invisible, as a tree compares by value.
    private const int SmallOffset = 64;
    private static readonly Constant[] Small = MakeSmall();

    private static Constant[] MakeSmall()
    {
        var small = new Constant[SmallOffset + 1024];
        for (int i = 0; i < small.Length; i++)
        {
            small[i] = new Constant(i - SmallOffset);
        }

        return small;
    }

    /// <summary>The loop variable <paramref name="name"/>.</summary>
    [MethodImpl(Hot.Optimize)]
    public static IndexExpr Of(string name) => new Variable(name);

    /// <summary>The value when the expression folds to a constant (2 + 1, but not i - i: only constant parts fold).</summary>
    public int? ConstantValue => this switch
    {
        Constant c => c.Value,
        Variable or Length => null,
        _ => Fold(this, null) is Constant c ? c.Value : null,
    };

    /// <summary>Whether the expression mentions the loop variable <paramref name="name"/>.</summary>
    [MethodImpl(Hot.Optimize)]
    public bool Mentions(string name) => this switch
    {
        Variable v => v.Name == name,
        Negate n => n.Operand.Mentions(name),
        Binary b => b.Left.Mentions(name) || b.Right.Mentions(name),
        _ => false,
    };

    /// <summary>The loop variables the expression mentions, in order of first mention.</summary>
    public IReadOnlyList<string> Variables()
    {
        var names = new List<string>();
        Walk(this, n =>
        {
            if (n is Variable v && !names.Contains(v.Name))
            {
                names.Add(v.Name);
            }
        });
        return names;
    }

    /// <summary>The spans whose lengths the expression mentions, in order of first mention.</summary>
    public IReadOnlyList<Slot> Lengths()
    {
        var spans = new List<Slot>();
        Walk(this, n =>
        {
            if (n is Length l && !spans.Contains(l.Span))
            {
                spans.Add(l.Span);
            }
        });
        return spans;
    }

    /// <summary>
    /// The expression with each loop variable of <paramref name="values"/> replaced by its value and the constant
    /// parts folded, so an unrolled copy's index reads as a person would write it (<c>i * 2 + 1</c>, not <c>i * 2 + (0 + 1)</c>).
    /// </summary>
    [MethodImpl(Hot.Optimize)]
    public IndexExpr Substitute(IReadOnlyDictionary<string, int> values) => Fold(this, values);

    /// <summary>The expression with the length of <paramref name="from"/> written as the length of <paramref name="to"/>.</summary>
    public IndexExpr WithLength(Slot from, Slot to) => this switch
    {
        Length l when l.Span == from => new Length(to),
        Negate n => new Negate(n.Operand.WithLength(from, to)),
        Binary b => new Binary(b.Op, b.Left.WithLength(from, to), b.Right.WithLength(from, to)),
        _ => this,
    };

    /// <summary>
    /// How the expression moves when <paramref name="variable"/> grows by 1, when that is a constant s for every
    /// value of the other names (base + s·variable, base free of the variable): 0 when the variable does not
    /// occur; null when the expression is not of that form (i * i, i * n, i % 8, i / 2).
    /// </summary>
    [MethodImpl(Hot.Optimize)]
    public int? Stride(string variable)
    {
        switch (this)
        {
            case Constant or Length:
                return 0;
            case Variable v:
                return v.Name == variable ? 1 : 0;
            case Negate n:
                return n.Operand.Stride(variable) is int c ? unchecked(-c) : null;
        }

        var b = (Binary)this;
        int? l = b.Left.Stride(variable), r = b.Right.Stride(variable);
        if (l is null || r is null)
        {
            return null;
        }

        switch (b.Op)
        {
            case IndexOp.Add:
                return unchecked(l.Value + r.Value);
            case IndexOp.Subtract:
                return unchecked(l.Value - r.Value);
            case IndexOp.Multiply when l == 0 && r == 0:
                return 0;
            case IndexOp.Multiply:
                // One side holds the variable; the other must be a constant for the stride to be one.
                int? factor = l == 0 ? b.Left.ConstantValue : r == 0 ? b.Right.ConstantValue : null;
                return factor is int f ? unchecked((l == 0 ? r.Value : l.Value) * f) : null;
            default:
                // / and %: fine without the variable, not linear with it.
                return l == 0 && r == 0 ? 0 : null;
        }
    }

    /// <summary>The expression as C# text, with the spans' lengths in the names of <paramref name="naming"/>.</summary>
    public string Print(SpanNaming naming) => PrintAt(this, naming, Context.Top);

    /// <summary>The expression in the dynamics' names (for diagnostics and debugging).</summary>
    public sealed override string ToString() => Print(SpanNaming.Dynamics);

    // ---- folding --------------------------------------------------------------------------------

    [MethodImpl(Hot.Optimize)]
    private static IndexExpr Fold(IndexExpr n, IReadOnlyDictionary<string, int>? values)
    {
        switch (n)
        {
            case Variable v:
                return values is not null && values.TryGetValue(v.Name, out int value) ? Of(value) : n;
            case Negate neg:
                IndexExpr operand = Fold(neg.Operand, values);
                return operand is Constant c ? Of(unchecked(-c.Value)) : operand == neg.Operand ? n : new Negate(operand);
            case Binary b:
                return FoldBinary(b, Fold(b.Left, values), Fold(b.Right, values));
            default:
                return n;
        }
    }

    [MethodImpl(Hot.Optimize)]
    private static IndexExpr FoldBinary(Binary n, IndexExpr l, IndexExpr r)
    {
        if (l is Constant lc && r is Constant rc && Evaluate(n.Op, lc.Value, rc.Value) is int c)
        {
            return Of(c);
        }

        // Identities that hold for every int (the operands are side-effect free): x + 0, 0 + x, x - 0,
        // x * 1, 1 * x, x * 0, 0 * x, x / 1.
        bool lz = l is Constant { Value: 0 }, rz = r is Constant { Value: 0 };
        bool lo = l is Constant { Value: 1 }, ro = r is Constant { Value: 1 };
        return n.Op switch
        {
            IndexOp.Add when rz => l,
            IndexOp.Add when lz => r,
            IndexOp.Subtract when rz => l,
            IndexOp.Multiply when lz || rz => Of(0),
            IndexOp.Multiply when ro => l,
            IndexOp.Multiply when lo => r,
            IndexOp.Divide when ro => l,
            _ => l == n.Left && r == n.Right ? n : new Binary(n.Op, l, r),
        };
    }

    [MethodImpl(Hot.Optimize)]
    private static int? Evaluate(IndexOp op, int a, int b) => op switch
    {
        IndexOp.Add => unchecked(a + b),
        IndexOp.Subtract => unchecked(a - b),
        IndexOp.Multiply => unchecked(a * b),
        IndexOp.Divide when b != 0 && !(a == int.MinValue && b == -1) => a / b,
        IndexOp.Remainder when b != 0 && !(a == int.MinValue && b == -1) => a % b,
        _ => null,
    };

    private static void Walk(IndexExpr n, System.Action<IndexExpr> visit)
    {
        visit(n);
        switch (n)
        {
            case Negate neg:
                Walk(neg.Operand, visit);
                break;
            case Binary b:
                Walk(b.Left, visit);
                Walk(b.Right, visit);
                break;
        }
    }

    // ---- printing -------------------------------------------------------------------------------

    /// <summary>Binding strength: an operand printed where a stronger one is needed gets parentheses.</summary>
    private enum Context
    {
        Top, Sum, Product, Unary, Atom,
    }

    private static Context Strength(IndexExpr n) => n switch
    {
        Constant c => c.Value < 0 ? Context.Unary : Context.Atom,
        Variable or Length => Context.Atom,
        Negate => Context.Unary,
        Binary { Op: IndexOp.Add or IndexOp.Subtract } => Context.Sum,
        _ => Context.Product,
    };

    private static string PrintAt(IndexExpr n, SpanNaming naming, Context context)
    {
        string text = n switch
        {
            Constant c => c.Value.ToString(CultureInfo.InvariantCulture),
            Variable v => v.Name,
            Length l => SpanNames.Of(l.Span, naming) + ".Length",
            // -(-i), never --i (a decrement).
            Negate neg => "-" + PrintAt(neg.Operand, naming, Context.Atom),
            // Left-associative: the right operand of a same-strength operator keeps its parentheses.
            Binary b => PrintAt(b.Left, naming, Strength(b)) + " " + Symbol(b.Op) + " " + PrintAt(b.Right, naming, Strength(b) + 1),
            _ => throw new System.InvalidOperationException(),
        };
        return Strength(n) < context ? "(" + text + ")" : text;
    }

    private static string Symbol(IndexOp op) => op switch
    {
        IndexOp.Add => "+",
        IndexOp.Subtract => "-",
        IndexOp.Multiply => "*",
        IndexOp.Divide => "/",
        _ => "%",
    };
}
