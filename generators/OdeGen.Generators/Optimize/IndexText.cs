using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace OdeGen.Generators.Optimize;

/// <summary>
/// The int index expressions of the IR (<c>0 + i * 2 + j</c>, <c>y.Length - 1</c>) as small trees: a loop
/// variable is replaced by a literal when its loop is unrolled, and constant parts are folded so the emitted
/// index reads as a person would write it (<c>i * 2 + 1</c>, not <c>0 + i * 2 + 1</c>).
/// </summary>
/// <remarks>
/// The grammar is what the parser lets into an index: int literals, identifiers (loop variables, int
/// locals, <c>y.Length</c>), + - * / %, unary minus and parentheses. Text outside it is reported (null), so
/// the passes never rewrite an index they do not understand. Folding uses C# int semantics (truncating
/// division) and never folds a division or remainder by zero.
/// </remarks>
internal static class IndexText
{
    /// <summary>
    /// <paramref name="text"/> with each variable of <paramref name="values"/> replaced by its value and
    /// constant parts folded; <paramref name="literal"/> is set when the whole expression is a constant.
    /// Null when the text is outside the grammar (the caller must then leave its loop alone).
    /// </summary>
    public static string? Substitute(string text, IReadOnlyDictionary<string, int> values, out int? literal)
    {
        literal = null;
        Node? tree = new Reader(text).ReadAll();
        if (tree is null)
        {
            return null;
        }

        Node folded = Fold(tree, values);
        if (folded.Kind == 'n')
        {
            literal = folded.Value;
        }

        return Print(folded, 0);
    }

    /// <summary>The value of <paramref name="text"/> when it is a constant expression.</summary>
    public static int? Constant(string? text)
    {
        if (text is null)
        {
            return null;
        }

        Substitute(text, new Dictionary<string, int>(), out int? value);
        return value;
    }

    /// <summary>
    /// How <paramref name="text"/> moves when <paramref name="variable"/> grows by 1, when that is a constant
    /// s for every value of the other names (the text is base + s·variable, base free of the variable): 0 when
    /// the variable does not occur. Null when the text is outside the grammar or not of that form (i * i,
    /// i * n, i % 8, i / 2).
    /// </summary>
    public static int? Stride(string text, string variable)
    {
        Node? tree = new Reader(text).ReadAll();
        return tree is null ? null : Linear(tree, variable);
    }

    /// <summary>The names <paramref name="text"/> mentions (loop variables, y.Length, …); empty outside the grammar.</summary>
    public static IReadOnlyList<string> Names(string text)
    {
        var names = new List<string>();
        void Walk(Node? n)
        {
            if (n is null)
            {
                return;
            }

            if (n.Kind == 'v' && !names.Contains(n.Name!))
            {
                names.Add(n.Name!);
            }

            Walk(n.Left);
            Walk(n.Right);
        }

        Walk(new Reader(text).ReadAll());
        return names;
    }

    /// <summary>The coefficient of <paramref name="variable"/> in <paramref name="n"/>, or null when it is not a constant.</summary>
    private static int? Linear(Node n, string variable)
    {
        switch (n.Kind)
        {
            case 'n':
                return 0;
            case 'v':
                return n.Name == variable ? 1 : 0;
            case 'u':
                return Linear(n.Left!, variable) is int c ? unchecked(-c) : null;
        }

        int? l = Linear(n.Left!, variable), r = Linear(n.Right!, variable);
        if (l is null || r is null)
        {
            return null;
        }

        switch (n.Kind)
        {
            case '+':
                return unchecked(l.Value + r.Value);
            case '-':
                return unchecked(l.Value - r.Value);
            case '*' when l == 0 && r == 0:
                return 0;
            case '*':
                // One side holds the variable; the other must be a constant for the stride to be one.
                int? factor = l == 0 ? Constant(n.Left!) : r == 0 ? Constant(n.Right!) : null;
                return factor is int f ? unchecked((l == 0 ? r.Value : l.Value) * f) : null;
            default:
                // / and %: fine without the variable, not linear with it.
                return l == 0 && r == 0 ? 0 : null;
        }
    }

    /// <summary>The value of a subtree without names.</summary>
    private static int? Constant(Node n)
    {
        Node folded = Fold(n, new Dictionary<string, int>());
        return folded.Kind == 'n' ? folded.Value : null;
    }

    /// <summary>A node: 'n' number, 'v' variable, 'u' unary minus, or a binary operator character.</summary>
    private sealed class Node(char kind, int value = 0, string? name = null, Node? left = null, Node? right = null)
    {
        public char Kind { get; } = kind;
        public int Value { get; } = value;
        public string? Name { get; } = name;
        public Node? Left { get; } = left;
        public Node? Right { get; } = right;
    }

    private static Node Number(int v) => new('n', v);

    private static Node Fold(Node n, IReadOnlyDictionary<string, int> values)
    {
        switch (n.Kind)
        {
            case 'n':
                return n;
            case 'v':
                return values.TryGetValue(n.Name!, out int v) ? Number(v) : n;
            case 'u':
                Node operand = Fold(n.Left!, values);
                return operand.Kind == 'n' ? Number(unchecked(-operand.Value)) : new Node('u', left: operand);
        }

        Node l = Fold(n.Left!, values), r = Fold(n.Right!, values);
        if (l.Kind == 'n' && r.Kind == 'n' && Evaluate(n.Kind, l.Value, r.Value) is int c)
        {
            return Number(c);
        }

        // Identities that hold for every int (the operands are side-effect free): x + 0, 0 + x, x - 0,
        // x * 1, 1 * x, x * 0, 0 * x, x / 1.
        bool lz = l.Kind == 'n' && l.Value == 0, rz = r.Kind == 'n' && r.Value == 0;
        bool lo = l.Kind == 'n' && l.Value == 1, ro = r.Kind == 'n' && r.Value == 1;
        return n.Kind switch
        {
            '+' when rz => l,
            '+' when lz => r,
            '-' when rz => l,
            '*' when lz || rz => Number(0),
            '*' when ro => l,
            '*' when lo => r,
            '/' when ro => l,
            _ => new Node(n.Kind, left: l, right: r),
        };
    }

    private static int? Evaluate(char op, int a, int b) => op switch
    {
        '+' => unchecked(a + b),
        '-' => unchecked(a - b),
        '*' => unchecked(a * b),
        '/' when b != 0 && !(a == int.MinValue && b == -1) => a / b,
        '%' when b != 0 && !(a == int.MinValue && b == -1) => a % b,
        _ => null,
    };

    private static int Precedence(char kind) => kind switch { '+' or '-' => 1, '*' or '/' or '%' => 2, 'u' => 3, _ => 4 };

    private static string Print(Node n, int context)
    {
        string text = n.Kind switch
        {
            'n' => n.Value.ToString(CultureInfo.InvariantCulture),
            'v' => n.Name!,
            'u' => "-" + Print(n.Left!, 3),
            // Left-associative: the right operand of a same-precedence operator keeps its parentheses.
            _ => Print(n.Left!, Precedence(n.Kind)) + " " + n.Kind + " " + Print(n.Right!, Precedence(n.Kind) + 1),
        };
        int own = n.Kind == 'n' && n.Value < 0 ? 3 : Precedence(n.Kind);
        return own < context ? "(" + text + ")" : text;
    }

    /// <summary>A recursive-descent reader; null for text outside the grammar.</summary>
    private sealed class Reader(string text)
    {
        private int _at;

        public Node? ReadAll()
        {
            Node? n = Sum();
            Skip();
            return _at == text.Length ? n : null;
        }

        private Node? Sum()
        {
            Node? left = Product();
            while (left is not null && Peek() is '+' or '-')
            {
                char op = text[_at++];
                Node? right = Product();
                left = right is null ? null : new Node(op, left: left, right: right);
            }

            return left;
        }

        private Node? Product()
        {
            Node? left = Unary();
            while (left is not null && Peek() is '*' or '/' or '%')
            {
                char op = text[_at++];
                Node? right = Unary();
                left = right is null ? null : new Node(op, left: left, right: right);
            }

            return left;
        }

        private Node? Unary()
        {
            if (Peek() == '-')
            {
                _at++;
                Node? operand = Unary();
                return operand is null ? null : new Node('u', left: operand);
            }

            return Atom();
        }

        private Node? Atom()
        {
            char c = Peek();
            if (c == '(')
            {
                _at++;
                Node? inner = Sum();
                if (inner is null || Peek() != ')')
                {
                    return null;
                }

                _at++;
                return inner;
            }

            int start = _at;
            if (char.IsDigit(c))
            {
                while (_at < text.Length && char.IsDigit(text[_at]))
                {
                    _at++;
                }

                return int.TryParse(text.Substring(start, _at - start), NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? Number(v) : null;
            }

            if (char.IsLetter(c) || c == '_' || c == '@')
            {
                var name = new StringBuilder();
                while (_at < text.Length && (char.IsLetterOrDigit(text[_at]) || text[_at] is '_' or '.' or '@'))
                {
                    name.Append(text[_at++]);
                }

                return new Node('v', name: name.ToString());
            }

            return null;
        }

        private char Peek()
        {
            Skip();
            return _at < text.Length ? text[_at] : '\0';
        }

        private void Skip()
        {
            while (_at < text.Length && text[_at] == ' ')
            {
                _at++;
            }
        }
    }
}
