using System.Globalization;
using System.Text;

namespace OdeGen.Generators.Tests.Infrastructure;

/// <summary>
/// Seeded random dynamics methods: nested arithmetic, every smooth Math group, locals with compound
/// assignments and dydt read-backs. Every operation is kept well defined on the test domain
/// (denominators and logarithm arguments are bounded away from zero), so finite differences are a
/// fair reference.
/// </summary>
internal static class RandomPrograms
{
    private const int States = 3, Parameters = 2;

    /// <summary><paramref name="count"/> programs, each in its own namespace Random{k}.</summary>
    public static IReadOnlyList<string> Create(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(k => Program(random, k)).ToList();
    }

    private static string Program(Random random, int k)
    {
        var body = new StringBuilder();
        var locals = new List<string>();
        var written = new List<int>();
        body.AppendLine($"double u = {Expr(random, 3, locals, written)};");
        locals.Add("u");
        string[] compound = { "+=", "-=", "*=" };
        body.AppendLine($"u {compound[random.Next(3)]} {Expr(random, 2, locals, written)};");
        for (int i = 0; i < States; i++)
        {
            body.AppendLine($"dydt[{i}] = {Expr(random, 4, locals, written)};");
            written.Add(i);
            if (random.Next(2) == 0)
            {
                body.AppendLine($"dydt[{i}] {compound[random.Next(3)]} {Expr(random, 2, locals, written)};");
            }
        }

        return $$"""
            using OdeGen;

            namespace Random{{k}};

            public static partial class Program{{k}}
            {
                [OdeDynamics(States = {{States}}, Parameters = {{Parameters}})]
                public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
                {
            {{body}}    }
            }
            """;
    }

    private static string Expr(Random r, int depth, List<string> locals, List<int> written)
    {
        if (depth == 0 || r.Next(5) == 0)
        {
            return Leaf(r, locals, written);
        }

        // Operands are parenthesized, so "1.5 + b * b" really is 1.5 plus a square.
        string a = $"({Expr(r, depth - 1, locals, written)})", b = $"({Expr(r, depth - 1, locals, written)})";
        return r.Next(13) switch
        {
            0 => $"{a} + {b}",
            1 => $"{a} - {b}",
            2 => $"{a} * {b}",
            3 => $"{a} / (1.5 + {b} * {b})",
            4 => $"-{a}",
            5 => $"Math.Sin({a}) * Math.Cos({b})",
            6 => $"Math.Tanh({a})",
            7 => $"Math.Atan({a}) + Math.Asin(0.5 * Math.Tanh({b}))",
            8 => $"Math.Exp(0.5 * Math.Sin({a}))",
            9 => $"Math.Sqrt(1.0 + {a} * {a})",
            10 => $"Math.Log(2.0 + {a} * {a}) - Math.Log10(1.5 + Math.Cos({b}))",
            11 => $"Math.Pow(1.5 + {a} * {a}, 0.5 + 0.25 * Math.Sin({b}))",
            _ => $"Math.Atan2({a}, 2.0 + Math.Sinh(0.5 * Math.Tanh({b}))) * Math.Cbrt(2.0 + Math.Cosh(0.1 * {b}))",
        };
    }

    private static string Leaf(Random r, List<string> locals, List<int> written) => r.Next(6) switch
    {
        0 => $"y[{r.Next(States)}]",
        1 => $"p[{r.Next(Parameters)}]",
        2 => "t",
        3 when locals.Count > 0 => locals[r.Next(locals.Count)],
        4 when written.Count > 0 => $"dydt[{written[r.Next(written.Count)]}]",
        _ => (Math.Round((r.NextDouble() * 4) - 2, 2)).ToString("0.0#", CultureInfo.InvariantCulture),
    };
}
