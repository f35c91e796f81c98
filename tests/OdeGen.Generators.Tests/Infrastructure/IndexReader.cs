using OdeGen.Generators.Ir;

namespace OdeGen.Generators.Tests.Infrastructure;

/// <summary>
/// Reads index expressions written as C# text (<c>i * 2 + 1</c>, <c>y.Length - 1</c>) into the IR's
/// <see cref="IndexExpr"/> trees, so tests state their cases as a person reads them. Test input only: the
/// generator builds its trees from Roslyn syntax and never reads text back.
/// </summary>
internal static class IndexReader
{
    public static IndexExpr Read(string text)
    {
        int at = 0;
        IndexExpr e = Sum(text, ref at);
        Assert.Equal(text.Length, at);
        return e;
    }

    private static IndexExpr Sum(string s, ref int at)
    {
        IndexExpr left = Product(s, ref at);
        while (Peek(s, ref at) is '+' or '-')
        {
            IndexOp op = s[at++] == '+' ? IndexOp.Add : IndexOp.Subtract;
            left = new IndexExpr.Binary(op, left, Product(s, ref at));
        }

        return left;
    }

    private static IndexExpr Product(string s, ref int at)
    {
        IndexExpr left = Unary(s, ref at);
        while (Peek(s, ref at) is '*' or '/' or '%')
        {
            char c = s[at++];
            IndexOp op = c == '*' ? IndexOp.Multiply : c == '/' ? IndexOp.Divide : IndexOp.Remainder;
            left = new IndexExpr.Binary(op, left, Unary(s, ref at));
        }

        return left;
    }

    private static IndexExpr Unary(string s, ref int at)
    {
        if (Peek(s, ref at) == '-')
        {
            at++;
            return new IndexExpr.Negate(Unary(s, ref at));
        }

        if (Peek(s, ref at) == '(')
        {
            at++;
            IndexExpr inner = Sum(s, ref at);
            Assert.Equal(')', Peek(s, ref at));
            at++;
            return inner;
        }

        int start = at;
        while (at < s.Length && (char.IsLetterOrDigit(s[at]) || s[at] is '_' or '.'))
        {
            at++;
        }

        string word = s[start..at];
        Assert.NotEqual("", word);
        return word switch
        {
            "y.Length" => new IndexExpr.Length(Slot.Y),
            "p.Length" => new IndexExpr.Length(Slot.P),
            "a.Length" => new IndexExpr.Length(Slot.A),
            "dydt.Length" => new IndexExpr.Length(Slot.Dydt),
            _ when char.IsDigit(word[0]) => IndexExpr.Of(int.Parse(word, System.Globalization.CultureInfo.InvariantCulture)),
            _ => IndexExpr.Of(word),
        };
    }

    private static char Peek(string s, ref int at)
    {
        while (at < s.Length && s[at] == ' ')
        {
            at++;
        }

        return at < s.Length ? s[at] : '\0';
    }
}
