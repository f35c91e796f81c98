using System.Globalization;
using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Infrastructure;
using OdeGen.Generators.Tests.Parsing;

namespace OdeGen.Generators.Tests.Pipeline;

/// <summary>
/// What the legal-C# fuzzer (<see cref="LegalCSharpFuzzTests"/>) found, each reduced to the smallest program that showed
/// it, with the fix's promise: right derivatives, or a located ODE diagnostic that says the right thing.
/// </summary>
public class LegalCSharpFuzzFindingsTests
{
    [Fact]
    public void BufferInAFloatMethodWithoutLoops_NamesSpanOfFloat()
    {
        // As found: the refusal of a float method's buffer said "A Span<double> local … (use double locals)".
        Diagnostic d = DiagnosticTests.AssertDiagnostic("ODE0004", """
            using OdeGen;
            public static partial class Sys
            {
                [OdeDynamics]
                public static void Rhs(float t, ReadOnlySpan<float> y, ReadOnlySpan<float> p, Span<float> dydt)
                {
                    Span<float> h = [|stackalloc float[2]|];
                    h[0] = y[0];
                    dydt[0] = h[0] * p[0];
                }
            }
            """);
        string message = d.GetMessage(CultureInfo.InvariantCulture);
        Assert.Contains("A Span<float> local in a method without loops (use float locals)", message, StringComparison.Ordinal);
        Assert.DoesNotContain("double", message, StringComparison.Ordinal);
    }
}
