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
    public void BufferInAFloatMethodWithoutLoops_IsGenerated_WithDerivativesRight()
    {
        // As found: the refusal of a float method's buffer said "A Span<double> local … (use double locals)". Buffers in
        // methods without loops are now generated (PatternAndBufferTests); this float one is checked as the fuzzer checks.
        const string Source = """
            using OdeGen;
            namespace Finding;
            public static partial class Sys
            {
                [OdeDynamics(States = 2, Parameters = 1)]
                public static void Rhs(float t, ReadOnlySpan<float> y, ReadOnlySpan<float> p, Span<float> dydt)
                {
                    Span<float> h = stackalloc float[2];
                    h[0] = y[0];
                    h[1] = MathF.Sin(y[1]) * h[0];
                    dydt[0] = h[0] * p[0];
                    dydt[1] = h[1] - t;
                }
            }
            """;
        PatternAndBufferTests.AssertGeneratedRight(new FuzzProgram(0, 0, Source, "Finding", "Sys", "Rhs", IsFunction: false, IsFloat: true,
            SecondOrder: false, Vectorized: false, Size: 2));
    }

    [Theory]
    [InlineData("[OdeDynamics(States = 2, Parameters = 1)]", "")]
    [InlineData("", "[OdeDynamics(States = 2, Parameters = 1)]")]
    public void PartialMethod_MarkedOnEitherPart_IsGeneratedFromItsImplementation(string onDefinition, string onImplementation)
    {
        // As found: the attribute on the defining declaration, as [GeneratedRegex] is written, was ODE0001 "must have a
        // body" for a method whose body is its implementation part. The implementation's parameter names are its own.
        SystemUnderTest s = LegalUserCodeTests.SingleSystem($$"""
            using OdeGen;
            namespace Users;
            public static partial class C
            {
                {{onDefinition}}
                public static partial void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt);

                {{onImplementation}}
                public static partial void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
                {
                    dydt[0] = y[1] * p[0];
                    dydt[1] = -Math.Sin(y[0]) + t;
                }
            }
            """);
        LegalUserCodeTests.AssertDerivativesRight(s);
    }

    [Fact]
    public void PartialMethod_WithItsImplementationInAnotherFile_IsODE0001OnTheName()
    {
        // Edits to the other file would not re-run the generator on the marked method, so the body is not read from there.
        Compilation input = GeneratorHarness.Compile("""
            using OdeGen;
            public static partial class C
            {
                [OdeDynamics]
                public static partial void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt);
            }
            """, """
            public static partial class C
            {
                public static partial void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = y[0];
            }
            """);
        Assert.Empty(GeneratorHarness.Errors(input));
        GeneratorRun run = GeneratorHarness.Run(input);
        Diagnostic d = Assert.Single(run.Result.Diagnostics);
        Assert.Equal("ODE0001", d.Id);
        Assert.Equal("Rhs", d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan));
        Assert.Equal("Source0.cs", d.Location.SourceTree.FilePath);
        Assert.Contains("in the same file", d.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        Assert.Empty(run.Sources);
    }
}
