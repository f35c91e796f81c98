using System.Globalization;
using System.Reflection;
using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Pipeline;

/// <summary>
/// Two more of the legal-C# fuzzer's refusals of code with a clear meaning: conditions written as patterns
/// (<c>y[0] is &gt; 0.2 and &lt; 1.5</c>, <c>x is not &gt; c</c>, <c>k is 0 or 2</c>), which are the comparisons they spell, and
/// <c>stackalloc</c> buffers in methods without loops or branches. Checked as the fuzzer checks a generated program
/// (<see cref="FuzzCheck"/>: Evaluate bit for bit with the user's method, Jvp against central differences, the dot-product
/// identity, Hvp against differences of Vjp, lanes against the scalar methods), for dynamics and functions, double and float.
/// </summary>
public class PatternAndBufferTests
{
    public static TheoryData<string, bool, bool> Programs => new()
    {
        {
            "if (y[0] is > -0.2 and < 0.5) { dydt[0] = y[0] * p[0]; } else { dydt[0] = -y[1]; }\n"
            + "dydt[1] = y[1] is not > 0.1 ? Math.Sin(y[1]) : y[2] * p[1];\nconst int k = 2;\ndydt[2] = k is 0 or 2 && (y[2] is >= 0 or < -0.5) ? y[2] * t : p[2];",
            false, true
        },
        {
            "Span<double> h = stackalloc double[3];\nh[0] = y[0] * p[0];\nh[1] = Math.Tanh(h[0]) + y[1];\nh[2] = h[1] * h[0] - t;\n"
            + "dydt[0] = h[2];\ndydt[1] = h[1] * p[1];\ndydt[2] = h[0] + h[2] * y[2];",
            false, true
        },
        {
            "Span<float> h = stackalloc float[3];\nh[0] = y[0] * p[0];\nh[1] = MathF.Exp(-h[0] * h[0]);\nh[2] = y[2] is > -0.5f and <= 0.5f ? h[1] : h[0];\n"
            + "dydt[0] = h[2] * p[1];\ndydt[1] = h[1] - y[1];\ndydt[2] = h[0] * y[2];",
            true, false
        },
    };

    [Theory]
    [MemberData(nameof(Programs))]
    public void PatternsAndStraightLineBuffers_AreGenerated_WithDerivativesRight(string body, bool isFloat, bool secondOrder)
    {
        foreach (bool function in new[] { false, true })
        {
            string num = isFloat ? "float" : "double";
            string source = Source(body, num, function, secondOrder);
            AssertGeneratedRight(new FuzzProgram(0, body.Length, source, "Users", "C", function ? "G" : "Rhs", function, isFloat, secondOrder, Vectorized: false));
        }
    }

    [Theory]
    [InlineData("dydt[0] = y[0] is [|double.NaN|] ? 1 : y[1];", "ODE0004", "compare with a number other than NaN")]
    [InlineData("dydt[0] = y[0] is [|double d|] ? d : y[1];", "ODE0004", "The pattern 'double d'")]
    public void PatternsWithoutAComparison_AreLocatedDiagnostics(string body, string code, string what)
    {
        Diagnostic d = Parsing.DiagnosticTests.AssertDiagnostic(code, Source(body, "double", function: false, secondOrder: false));
        Assert.Contains(what, d.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    /// <summary>Generates <paramref name="program"/> alone (no error, generated files add no warning) and runs the fuzzer's checks on it.</summary>
    internal static void AssertGeneratedRight(FuzzProgram program)
    {
        Compilation input = GeneratorHarness.Compile(program.Source);
        Assert.Empty(GeneratorHarness.Errors(input));
        GeneratorRun run = GeneratorHarness.Run(input);
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Empty(GeneratorHarness.Errors(run.Output));
        Assembly assembly = CompiledSystems.EmitAndLoad(run.Output);
        FuzzCheck.All(FuzzTarget.Load(assembly, program), new Random(program.Index));
    }

    /// <summary>The body as dynamics (t, y, p, dydt) or, renamed, as a function (x, p, y); 3 states, inputs, outputs and parameters.</summary>
    private static string Source(string body, string num, bool function, bool secondOrder)
    {
        string attribute = function ? "Differentiable(Inputs = 3, Parameters = 3, Outputs = 3" : "OdeDynamics(States = 3, Parameters = 3";
        string method = function
            ? $"G(ReadOnlySpan<{num}> x, ReadOnlySpan<{num}> p, Span<{num}> y)"
            : $"Rhs({num} t, ReadOnlySpan<{num}> y, ReadOnlySpan<{num}> p, Span<{num}> dydt)";
        string text = function
            ? body.Replace("y[", "x[", StringComparison.Ordinal).Replace("dydt[", "y[", StringComparison.Ordinal).Replace(" * t", " * p[0]", StringComparison.Ordinal).Replace(" - t", " - p[0]", StringComparison.Ordinal)
            : body;
        return $$"""
            using OdeGen;
            namespace Users;
            public static partial class C
            {
                [{{attribute}}{{(secondOrder ? ", SecondOrder = true" : "")}})]
                public static void {{method}}
                {
                    {{text}}
                }
            }
            """;
    }
}
