using System.Globalization;
using System.Text;

namespace OdeGen.Generators.Tests.Infrastructure;

/// <summary>
/// Seeded random dynamics with control flow: expressions of depth up to 6 over every supported Math
/// function, an if/else that merges a local, a ?:, a loop with an accumulator, a buffer and a branch on the
/// loop index, a second loop over the same range reading the buffer, writes to dydt inside the loops and after them. Every operation stays well defined on the
/// test domain (y in [-0.9, 0.9], p in [0.5, 1.5], t in [0, 1]), so finite differences are a fair reference.
/// </summary>
internal static class StructuredPrograms
{
    public const int States = 3, Parameters = 3;

    /// <summary>
    /// Program <paramref name="index"/> of the stream seeded with <paramref name="seed"/>, in namespace P{index}.
    /// The seed is combined arithmetically (HashCode.Combine is randomized per process), so a printed seed reproduces.
    /// </summary>
    public static string Create(int seed, int index)
    {
        var r = new Random(unchecked((seed * 7919) + index));
        var scope = new List<string> { "t" };
        var body = new StringBuilder();
        body.AppendLine($"double u = {Expr(r, Depth(r), scope)};");
        scope.Add("u");
        body.AppendLine($"double w;");
        body.AppendLine($"if ({Expr(r, 2, scope)} > {Constant(r)})");
        body.AppendLine($"{{ w = {Expr(r, Depth(r), scope)}; u *= 0.5; }}");
        body.AppendLine($"else {{ w = {Expr(r, Depth(r), scope)}; }}");
        scope.Add("w");
        body.AppendLine($"double acc = {Expr(r, 2, scope)};");

        // Half the loops run to a constant (the optimizer unrolls them), half to y.Length (they stay loops). A
        // second loop over the same range reads the first one's buffer at its own element (the loops may fuse) or
        // at a neighbour's (they must not).
        string bound = index % 2 == 0 ? States.ToString(CultureInfo.InvariantCulture) : "y.Length";
        body.AppendLine($"Span<double> h = stackalloc double[{States}];");
        body.AppendLine($"for (int i = 0; i < {bound}; i++)");
        body.AppendLine("{");
        var inner = new List<string>(scope) { "y[i]", "p[i]", "y[(i + 1) % 3]" };
        inner.Remove("acc");
        body.AppendLine($"    double z = {Expr(r, Depth(r), inner)};");
        inner.Add("z");
        body.AppendLine($"    acc += i == {r.Next(States)} ? {Expr(r, 3, inner)} : z * {Constant(r)};");
        body.AppendLine($"    h[i] = Math.Tanh(z);");
        body.AppendLine($"    dydt[i] = {Expr(r, Depth(r), inner)};");
        body.AppendLine("}");
        string neighbour = r.Next(2) == 0 ? "i" : "(i + 1) % 3";
        var second = new List<string>(scope) { "y[i]", "p[i]", $"h[{neighbour}]" };
        second.Remove("acc");
        body.AppendLine($"for (int i = 0; i < {bound}; i++)");
        body.AppendLine("{");
        body.AppendLine($"    dydt[i] += h[{neighbour}] * {Expr(r, 2, second)};");
        body.AppendLine("}");
        scope.Add("acc");
        body.AppendLine($"dydt[{r.Next(States)}] += {Expr(r, Depth(r), scope)};");

        return $$"""
            using OdeGen;

            namespace P{{index}};

            public static partial class Program{{index}}
            {
                [OdeDynamics(States = {{States}}, Parameters = {{Parameters}})]
                public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
                {
            {{body}}    }
            }
            """;
    }

    internal static int Depth(Random r) => 1 + r.Next(6);

    internal static string Constant(Random r) => Math.Round((r.NextDouble() * 2) - 1, 2).ToString("0.0#", CultureInfo.InvariantCulture);

    internal static string Expr(Random r, int depth, List<string> scope)
    {
        if (depth == 0 || r.Next(4) == 0)
        {
            return r.Next(5) switch
            {
                0 => Constant(r),
                1 => $"y[{r.Next(States)}]",
                2 => $"p[{r.Next(Parameters)}]",
                _ => scope[r.Next(scope.Count)],
            };
        }

        // Operands are parenthesized; arguments of growing functions are squashed by Tanh or Sin first.
        string a = $"({Expr(r, depth - 1, scope)})", b = $"({Expr(r, depth - 1, scope)})";
        return r.Next(20) switch
        {
            0 or 1 => $"{a} + {b}",
            2 or 3 => $"{a} - {b}",
            4 or 5 => $"Math.Tanh({a}) * {b}",
            6 => $"{a} / (1.5 + {b} * {b})",
            7 => $"-{a}",
            8 => $"Math.Sin({a}) * Math.Cos({b})",
            9 => $"Math.Tan(0.5 * Math.Tanh({a}))",
            10 => $"Math.Exp(Math.Sin({a}))",
            11 => $"Math.Sqrt(1.0 + {a} * {a})",
            12 => $"Math.Log(2.0 + Math.Sin({a})) - Math.Log10(1.5 + Math.Cos({b}))",
            13 => $"Math.Pow(1.5 + Math.Sin({a}), 0.5 + 0.25 * Math.Sin({b}))",
            14 => $"Math.Atan({a}) + Math.Asin(0.5 * Math.Tanh({b})) + Math.Acos(0.5 * Math.Sin({b}))",
            15 => $"Math.Atan2(Math.Sin({a}), 2.0 + Math.Cos({b}))",
            16 => $"Math.Sinh(Math.Tanh({a})) + Math.Cosh(Math.Sin({b}))",
            17 => $"Math.Cbrt(2.0 + Math.Sin({a}))",
            18 => $"Math.FusedMultiplyAdd(Math.Tanh({a}), {b}, 0.5)",
            _ => $"{a} * {b}",
        };
    }
}
