using System.Globalization;
using System.Reflection;
using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Functions;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Pipeline;

/// <summary>
/// Elements of slices of the inputs (<c>y[1..][0]</c>, <c>p[..2][1]</c>, <c>y.Slice(1, 2)[1]</c>, and read-only span locals
/// that name a slice), the legal-C# fuzzer's next most common refusal after assignments: each is the element start + k of
/// the span. Checked as every accepted construct is (Evaluate bit for bit, Jvp against central differences, Vjp by the
/// dot-product identity, Hvp against differences of Vjp, lanes against the scalar methods); an index outside the slice,
/// which C# would throw on, or not a constant, is a located diagnostic.
/// </summary>
public class SliceReadTests
{
    public static TheoryData<string, string> Accepted => new()
    {
        {
            "SlicesInStraightLineCode",
            "dydt[0] = y[1..][0] * p[..2][1];\ndydt[1] = y.Slice(1, 2)[1] - y[..][0] * p[1..][1];\ndydt[2] = Math.Sin(y[1..3][1]) + y[2..][0] * y[1..][1..][0];"
        },
        {
            "SliceLocalsWithBranchesAndLoops",
            "ReadOnlySpan<double> tail = y[1..];\nvar head = p[..2];\nReadOnlySpan<double> mid = y.Slice(1, 1);\ndouble s = 0;\n"
            + "for (int i = 0; i < 3; i++) s += y[i] * head[1];\ndydt[0] = tail[0] > 0 ? tail[1] * s : mid[0] - s;\ndydt[1] = head[0] * tail[1];\ndydt[2] = Math.Exp(-tail[1] * tail[1]) * p[2];"
        },
    };

    [Theory]
    [MemberData(nameof(Accepted))]
    public void SliceElements_AreGenerated_WithDerivativesRight(string name, string body)
    {
        SystemUnderTest s = LegalUserCodeTests.SingleSystem(Source("S" + name, body));
        LegalUserCodeTests.AssertDerivativesRight(s);
        SecondOrderCheck.All((IOdeSystemSecondOrder)s.System, new Random(name.Length), name);
    }

    [Fact]
    public void AFunctionReadingSlicesOfItsInputs_IsGenerated_WithDerivativesRight()
    {
        Assembly assembly = LegalUserCodeTests.Generate("""
            using OdeGen;
            namespace Users;
            public static partial class G
            {
                [Differentiable(Inputs = 3, Parameters = 2, Outputs = 2, SecondOrder = true)]
                public static void M(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
                {
                    ReadOnlySpan<double> rest = x[1..];
                    y[0] = x[1..][1] * Math.Tanh(p[1..][0] * rest[0]);
                    y[1] = x.Slice(0, 2)[0] * rest[1] + p[..1][0];
                }
            }
            """);
        Type type = assembly.GetType("Users.G+MFunction")!;
        var g = (IDifferentiableLaneFunctionSecondOrder)Activator.CreateInstance(type)!;
        FunctionChecks.All(g, type.DeclaringType!.GetMethod("M")!.CreateDelegate<UserFunction>(), new Random(80), "G.M");
        FunctionChecks.LanesEqualScalar(g, new Random(81), "G.M");
        FunctionSecondOrderChecks.All(g, new Random(82), "G.M");
    }

    [Theory]
    [InlineData("dydt[0] = y[1..3][[|2|]];", "ODE0021", "Index 2 is outside the buffer 'y[1..3]', whose length is 2")]
    [InlineData("ReadOnlySpan<double> s = y.Slice(2, 1);\ndydt[0] = s[[|1|]];", "ODE0021", "whose length is 1")]
    [InlineData("dydt[0] = y[1..][[|3|]];", "ODE0008", "Index 4")]
    [InlineData("dydt[0] = [|y[1..].Slice(-1, 1)[0]|];", "ODE0004", "Slice(-1, 1)")]
    [InlineData("for (int i = 0; i < 2; i++) dydt[i] = y[1..][[|i|]];", "ODE0006", "'i'")]
    public void SliceElementsOutsideTheSliceOrNotConstant_AreLocatedDiagnostics(string body, string code, string what)
    {
        Diagnostic d = Parsing.DiagnosticTests.AssertDiagnostic(code, Source("R", body));
        Assert.Contains(what, d.GetMessage(CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    private static string Source(string type, string body) => $$"""
        using OdeGen;
        namespace Users;
        public static partial class {{type}}
        {
            [OdeDynamics(States = 3, Parameters = 3, SecondOrder = true)]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                {{body}}
            }
        }
        """;
}
