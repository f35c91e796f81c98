using System.Globalization;
using System.Text;

namespace OdeGen.Generators.Tests.Infrastructure;

/// <summary>
/// Seeded random dynamics whose loops the vectorizer takes (VectorizeLoops): 19 states, so every width
/// leaves a remainder (8, 4, 2); a loop that reads y[i], p at a contiguous and at a strided index, values
/// from before the loop and a local set in a branch before it, sets a local in a branch on values (a select), adds to a sum and writes a buffer and
/// dydt at its own element; a second loop that reads the buffer back. The expressions are
/// <see cref="StructuredPrograms"/>' (every Math function, well defined on the test domain).
/// </summary>
internal static class VectorPrograms
{
    public const int States = 19, Parameters = 4 + (3 * States);

    /// <summary>
    /// Program <paramref name="index"/> twice, as two sources: V{index}.Vectorized.Vectorized{index} with the
    /// option, and the same method as V{index}.Scalar.Scalar{index} without it.
    /// </summary>
    public static (string Vectorized, string Scalar) Create(int seed, int index)
    {
        var r = new Random(unchecked((seed * 7919) + index));
        var scope = new List<string> { "t", "p[1]" };
        var body = new StringBuilder();
        body.AppendLine($"double u = {StructuredPrograms.Expr(r, StructuredPrograms.Depth(r), scope)};");
        scope.Add("u");

        // A local set on both sides of a branch is a variable the loop reads (a broadcast).
        body.AppendLine("double w;");
        body.AppendLine($"if ({StructuredPrograms.Expr(r, 2, scope)} > {StructuredPrograms.Constant(r)}) {{ w = {StructuredPrograms.Expr(r, 2, scope)}; }} else {{ w = {StructuredPrograms.Expr(r, 2, scope)}; }}");
        scope.Add("w");
        body.AppendLine($"double acc = {StructuredPrograms.Expr(r, 2, scope)};");

        // Half the loops run to a constant, half to y.Length (the helper's bound is then read at run time).
        string bound = index % 2 == 0 ? States.ToString(CultureInfo.InvariantCulture) : "y.Length";
        body.AppendLine($"Span<double> h = stackalloc double[{States}];");
        body.AppendLine($"for (int i = 0; i < {bound}; i++)");
        body.AppendLine("{");
        var inner = new List<string>(scope) { "y[i]", "p[4 + i]", "p[4 + 2 * i + 1]", "y[0]" };
        body.AppendLine($"    double z = {StructuredPrograms.Expr(r, StructuredPrograms.Depth(r), inner)};");
        inner.Add("z");
        body.AppendLine($"    if ({StructuredPrograms.Expr(r, 2, inner)} > {StructuredPrograms.Constant(r)})");
        body.AppendLine($"    {{ z = {StructuredPrograms.Expr(r, 3, inner)}; }}");
        body.AppendLine($"    acc += {StructuredPrograms.Expr(r, 3, inner)};");
        body.AppendLine($"    h[i] = Math.Tanh(z);");
        body.AppendLine($"    dydt[i] = {StructuredPrograms.Expr(r, StructuredPrograms.Depth(r), inner)};");
        body.AppendLine("}");
        var second = new List<string>(scope) { "y[i]", "p[4 + 2 * States + i]", "h[i]" };
        body.AppendLine($"for (int i = 0; i < {bound}; i++)");
        body.AppendLine("{");
        body.AppendLine($"    dydt[i] += h[i] * {StructuredPrograms.Expr(r, 2, second)};");
        body.AppendLine("}");
        scope.Add("acc");
        body.AppendLine($"dydt[{r.Next(States)}] += {StructuredPrograms.Expr(r, StructuredPrograms.Depth(r), scope)};");
        return (Program(index, "Vectorized", ", VectorizeLoops = true", body), Program(index, "Scalar", string.Empty, body));
    }

    private static string Program(int index, string kind, string option, StringBuilder body) => $$"""
        using OdeGen;

        namespace V{{index}}.{{kind}};

        public static partial class {{kind}}{{index}}
        {
            const int States = {{States}};

            [OdeDynamics(States = {{States}}, Parameters = {{Parameters}}{{option}})]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
        {{body}}    }
        }
        """;
}
