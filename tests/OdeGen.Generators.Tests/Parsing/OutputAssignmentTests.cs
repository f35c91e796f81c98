using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Infrastructure;
using static OdeGen.Generators.Tests.Parsing.DiagnosticTests;

namespace OdeGen.Generators.Tests.Parsing;

/// <summary>
/// Assigning the output span itself (dydt, a function's y) is ODE0043, which names the user's own output parameter; the
/// inputs keep ODE0007's message. Parameters are renamed (dynamics: time, s, k, ds; function: u, w, v) so that a message
/// naming the documented t, y, p, dydt or x instead of the user's names fails.
/// </summary>
public class OutputAssignmentTests
{
    [Theory]
    [InlineData("[|ds|] = new double[1]; ds[0] = s[0];")]
    [InlineData("ds[0] = s[0]; [|ds|] = ds.Slice(1);")]
    [InlineData("[|ds|] = default;")]
    [InlineData("([|ds|]) = default;")]
    [InlineData("if (s.Length > 1) { [|ds|] = new double[1]; } ds[0] = s[0];")]
    [InlineData("for (int i = 0; i < s.Length; i++) { ds[i] = s[i]; } [|ds|] = Span<double>.Empty;")]
    public void Dynamics_AssigningTheOutputSpan_IsODE0043_OnItsName_Only(string body) =>
        AssertOnly("ODE0043", Dynamics(body), "'ds' is the output span and cannot be replaced; write its elements instead (ds[i] = ...)");

    [Theory]
    [InlineData("[|v|] = new double[2]; v[0] = u[0];")]
    [InlineData("v[0] = u[0]; [|v|] = v.Slice(1);")]
    public void Function_AssigningTheOutputSpan_IsODE0043_NamingItsOwnOutput(string body)
    {
        Diagnostic d = AssertOnly("ODE0043", Function(body), "'v' is the output span and cannot be replaced; write its elements instead (v[i] = ...)");
        Assert.Contains("[Differentiable]", d.Descriptor.Title.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void FloatFunction_AssigningTheOutputSpan_IsODE0043() =>
        AssertOnly("ODE0043", Function("[|v|] = new float[1]; v[0] = u[0];", "float"),
            "'v' is the output span and cannot be replaced; write its elements instead (v[i] = ...)");

    [Theory]
    [InlineData("[|s|] = default; ds[0] = 1;", "'s' is an input and cannot be assigned; copy it into a double local and change the local, or write results to ds")]
    [InlineData("[|time|] = 2; ds[0] = time;", "'time' is an input and cannot be assigned; copy it into a double local and change the local, or write results to ds")]
    public void Dynamics_AssigningAnInput_KeepsODE0007sMessage(string body, string message) => AssertOnly("ODE0007", Dynamics(body), message);

    /// <summary>An input's element: C# itself refuses it too (a ReadOnlySpan's indexer is read-only), and OdeGen still says why.</summary>
    [Fact]
    public void Dynamics_AssigningAnInputsElement_KeepsODE0007sMessage() => AssertOnly("ODE0007", Dynamics("[|k[0]|] = 1; ds[0] = k[0];"),
        "'k' is an input and cannot be assigned; copy it into a double local and change the local, or write results to ds", validCSharp: false);

    [Theory]
    [InlineData("[|u|] = default; v[0] = 1;", "'u' is an input and cannot be assigned; copy it into a double local and change the local, or write results to v")]
    public void Function_AssigningAnInput_KeepsODE0007sMessage(string body, string message) => AssertOnly("ODE0007", Function(body), message);

    [Fact]
    public void Function_AssigningAnInputsElement_KeepsODE0007sMessage() => AssertOnly("ODE0007", Function("[|w[0]|] = 1; v[0] = w[0];"),
        "'w' is an input and cannot be assigned; copy it into a double local and change the local, or write results to v", validCSharp: false);

    /// <summary>
    /// <see cref="DiagnosticTests.AssertDiagnostic"/> (the code on the marked span, no generated code), and also: it is the
    /// run's only diagnostic, its message is <paramref name="message"/>, nothing is generated, and (when the user's code is
    /// <paramref name="validCSharp"/>) the compilation has no errors.
    /// </summary>
    private static Diagnostic AssertOnly(string id, string marked, string message, bool validCSharp = true)
    {
        Diagnostic d = AssertDiagnostic(id, marked);
        Assert.Equal(message, d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(marked.Replace("[|", "").Replace("|]", "")));
        Assert.Equal(new[] { id }, run.Result.Diagnostics.Select(x => x.Id));
        Assert.Empty(run.Sources);
        if (validCSharp)
        {
            Assert.Empty(GeneratorHarness.Errors(run.Output));
        }

        return d;
    }

    private static string Dynamics(string body) => $$"""
        using OdeGen;
        public static partial class Sys
        {
            [OdeDynamics]
            public static void F(double time, ReadOnlySpan<double> s, ReadOnlySpan<double> k, Span<double> ds)
            {
                {{body}}
            }
        }
        """;

    private static string Function(string body, string real = "double") => $$"""
        using OdeGen;
        public static partial class Sys
        {
            [Differentiable]
            public static void G(ReadOnlySpan<{{real}}> u, ReadOnlySpan<{{real}}> w, Span<{{real}}> v)
            {
                {{body}}
            }
        }
        """;
}
