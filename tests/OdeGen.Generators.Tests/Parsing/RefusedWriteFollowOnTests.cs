using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Parsing;

/// <summary>
/// A write to the output whose value is refused (an unsupported call, an unwritten element added to) still writes that
/// element in the user's method: later reads of it must not add an ODE0009 that only repeats the first diagnostic. The
/// one error left is the real one, on its own span.
/// </summary>
public class RefusedWriteFollowOnTests
{
    [Theory]
    // Straight-line methods, whose outputs are values.
    [InlineData("ODE0005", "dydt[0] = [|Opaque(y[0])|]; dydt[1] = dydt[0] * 2; dydt[2] = y[2];")]
    [InlineData("ODE0005", "dydt[0] = y[0]; dydt[0] += [|Opaque(y[1])|]; dydt[1] = dydt[0]; dydt[2] = dydt[0] + y[2];")]
    [InlineData("ODE0009", "[|dydt[0]|] += y[0]; dydt[1] = dydt[0]; dydt[2] = dydt[0] * y[2];")]
    // Methods with loops or branches, whose outputs are a buffer written element by element.
    [InlineData("ODE0005", "double s = 0; for (int i = 0; i < 3; i++) s += y[i]; dydt[0] = [|Opaque(s)|]; dydt[1] = dydt[0] + 1; dydt[2] = y[2];")]
    [InlineData("ODE0005", "if (y[0] > 0) dydt[0] = [|Opaque(y[0])|]; else dydt[0] = y[1]; dydt[1] = dydt[0]; dydt[2] = y[2];")]
    [InlineData("ODE0005", "for (int i = 0; i < 3; i++) dydt[i] = [|Opaque(y[i])|]; dydt[0] += dydt[1] * dydt[2];")]
    [InlineData("ODE0009", "double s = 0; for (int i = 0; i < 3; i++) s += y[i]; [|dydt[0]|] += s; dydt[1] = dydt[0]; dydt[2] = dydt[0] * y[2];")]
    public void ReadsAfterARefusedWrite_ReportOnlyTheRealDiagnostic(string id, string body)
    {
        string marked = Source(body);
        int start = marked.IndexOf("[|", StringComparison.Ordinal), end = marked.IndexOf("|]", StringComparison.Ordinal) - 2;
        string source = marked.Replace("[|", "", StringComparison.Ordinal).Replace("|]", "", StringComparison.Ordinal);

        Compilation input = GeneratorHarness.Compile(source);
        GeneratorRun run = GeneratorHarness.Run(input);
        Diagnostic d = Assert.Single(run.Result.Diagnostics, x => x.Severity == DiagnosticSeverity.Error);
        Assert.Equal(id, d.Id);
        Assert.Equal(TextSpan.FromBounds(start, end), d.Location.SourceSpan);
        Assert.Empty(run.Sources);
    }

    private static string Source(string body) => $$"""
        using OdeGen;
        public static partial class Sys
        {
            private static double Opaque(double x) => x * x;

            [OdeDynamics(States = 3, Parameters = 1)]
            public static void F(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                {{body}}
            }
        }
        """;
}
