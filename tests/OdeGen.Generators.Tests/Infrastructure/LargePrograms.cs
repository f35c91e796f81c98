using System.Text;

namespace OdeGen.Generators.Tests.Infrastructure;

/// <summary>
/// The hostile shapes of issue #22: very long sums, deeply nested parentheses and calls, and long chains of
/// statements. Each is a complete source file with one [OdeDynamics] method <c>Rhs</c> in class <c>Big</c>.
/// </summary>
internal static class LargePrograms
{
    /// <summary>
    /// dydt[0] = p[k0]*y[j0] + p[k1]*y[j1] + … with <paramref name="terms"/> distinct products (a left-deep chain of +),
    /// over 10 states and <paramref name="parameters"/> parameters; the other states decay.
    /// </summary>
    public static string Sum(int terms, int parameters = 1000)
    {
        var sum = new StringBuilder();
        for (int i = 0; i < terms; i++)
        {
            sum.Append(i == 0 ? "" : " + ").Append($"p[{i % parameters}] * y[{(i / parameters) % 10}]");
        }

        return Wrap("dydt[0] = " + sum + ";\n" + Decay(1));
    }

    /// <summary>The hostile tester's literal sum: p[0]*y[0] + … + p[terms-1]*y[terms-1] (indices past the size limit).</summary>
    public static string LiteralSum(int terms)
    {
        var sum = new StringBuilder("dydt[0] = ");
        for (int i = 0; i < terms; i++)
        {
            sum.Append(i == 0 ? "" : " + ").Append($"p[{i}] * y[{i}]");
        }

        return Wrap(sum + ";");
    }

    /// <summary>dydt[0] = y[0] + (y[1] + (y[2] + … )) nested <paramref name="depth"/> deep (right-nested parentheses).</summary>
    public static string RightNested(int depth)
    {
        var text = new StringBuilder("dydt[0] = ");
        for (int i = 0; i < depth; i++)
        {
            text.Append($"p[{i % 10}] * y[{i % 10}] + (");
        }

        text.Append("y[0]").Append(')', depth).Append(";\n").Append(Decay(1));
        return Wrap(text.ToString());
    }

    /// <summary>dydt[0] = Math.Sin(0.5 * Math.Sin(0.5 * … y[0] …)) nested <paramref name="depth"/> deep.</summary>
    public static string NestedCalls(int depth)
    {
        var text = new StringBuilder("dydt[0] = ");
        for (int i = 0; i < depth; i++)
        {
            text.Append($"Math.Sin(p[{i % 10}] * ");
        }

        text.Append("y[0]").Append(')', depth).Append(";\n").Append(Decay(1));
        return Wrap(text.ToString());
    }

    /// <summary>
    /// <paramref name="statements"/> statements over 10 locals x0..x9 (started from y): statement k updates
    /// x[k % 10] from itself, a parameter and its neighbour, so every output depends on every state.
    /// </summary>
    public static string Chain(int statements)
    {
        var text = new StringBuilder();
        for (int i = 0; i < 10; i++)
        {
            text.Append($"double x{i} = y[{i}];\n");
        }

        for (int k = 0; k < statements; k++)
        {
            int i = k % 10, j = (k + 1) % 10;
            // Each update is contractive or bounded, so 5,000 of them keep the values and the derivatives finite.
            text.Append((k % 3) switch
            {
                0 => $"x{i} = 0.9 * x{i} + 0.1 * Math.Sin(x{j} * p[{k % 10}]);\n",
                1 => $"x{i} = x{i} * p[{k % 10}] / Math.Sqrt(1.0 + x{i} * x{i});\n",
                _ => $"x{i} = x{i} - 0.01 * x{i} * x{j};\n",
            });
        }

        for (int i = 0; i < 10; i++)
        {
            text.Append($"dydt[{i}] = x{i};\n");
        }

        return Wrap(text.ToString());
    }

    private static string Decay(int from)
    {
        var text = new StringBuilder();
        for (int i = from; i < 10; i++)
        {
            text.Append($"dydt[{i}] = -y[{i}];\n");
        }

        return text.ToString();
    }

    private static string Wrap(string body) => $$"""
        using OdeGen;

        namespace Large;

        public static partial class Big
        {
            [OdeDynamics]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
        {{body}}
            }
        }
        """;
}
