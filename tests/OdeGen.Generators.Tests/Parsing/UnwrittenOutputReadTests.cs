using System.Reflection;
using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Infrastructure;
using static OdeGen.Generators.Tests.Parsing.DiagnosticTests;

namespace OdeGen.Generators.Tests.Parsing;

/// <summary>
/// In a method with loops or branches the generated code keeps the output in a cleared buffer, while the user's method
/// reads whatever the caller's buffer holds: an element of dydt (or of a function's output) may be read, or added to,
/// only where every path has written it before. Elsewhere it is ODE0009 on the read. The accepted shapes are evaluated
/// with the buffer prefilled with NaN, so a read of an unwritten element would show, and must match the user's method bit
/// for bit.
/// </summary>
public class UnwrittenOutputReadTests
{
    public delegate void UserRhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt);

    public delegate void UserFunction(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y);

    [Theory]
    [InlineData("for (int i = 0; i < 3; i++) [|dydt[i]|] += y[i];")]
    [InlineData("for (int i = 0; i < 3; i++) [|dydt[i]|] -= y[i];")]
    [InlineData("for (int i = 0; i < 2; i++) dydt[i] = y[i]; dydt[2] = [|dydt[2]|] + y[0];")]
    [InlineData("for (int i = 0; i < 2; i++) dydt[i] = y[i]; [|dydt[2]|] += y[0];")]
    [InlineData("dydt[0] = y[0]; double s = 0; for (int i = 0; i < 3; i++) s += y[i]; dydt[1] = [|dydt[1]|] + s; dydt[2] = s;")]
    [InlineData("double s = 0; for (int i = 0; i < 3; i++) s += [|dydt[i]|]; dydt[0] = s; dydt[1] = y[1]; dydt[2] = y[2];")]
    [InlineData("for (int i = 0; i < 3; i++) { double u = [|dydt[i]|]; dydt[i] = u + y[i]; }")]
    [InlineData("for (int i = 1; i < 3; i++) dydt[i] = y[i]; for (int i = 0; i < 3; i++) [|dydt[i]|] += p[0];")]
    [InlineData("if (y[0] > 0) dydt[0] = y[0]; [|dydt[0]|] += 1; dydt[1] = y[1]; dydt[2] = y[2];")]
    [InlineData("if (y[0] > 0) dydt[0] = y[0]; else dydt[1] = y[1]; dydt[2] = [|dydt[0]|];")]
    [InlineData("if (y[0] > 0) { dydt[0] = y[0]; } else { dydt[0] = y[1]; dydt[1] = 0; } dydt[2] = [|dydt[1]|];")]
    [InlineData("for (int i = 0; i < 3; i++) { if (y[i] > 0) dydt[i] = y[i]; } dydt[0] = y[0]; dydt[1] = [|dydt[1]|] * 2; dydt[2] = y[2];")]
    [InlineData("int n = (int)p[0]; for (int i = 0; i < n; i++) dydt[0] = y[i]; dydt[1] = [|dydt[0]|]; dydt[2] = y[2];")]
    public void Dynamics_ReadOfAnElementNotWrittenOnEveryPath_IsODE0009_OnTheRead(string body)
    {
        Diagnostic d = AssertDiagnostic("ODE0009", Dynamics(body));
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
    }

    [Theory]
    [InlineData("for (int i = 0; i < v.Length; i++) [|v[i]|] += u[i];")]
    [InlineData("v[0] = u[0]; for (int i = 0; i < v.Length; i++) [|v[i]|] += w[0];")]
    [InlineData("if (u[0] > 0) v[0] = u[0]; v[1] = [|v[0]|];")]
    public void Function_ReadOfAnOutputElementNotWrittenOnEveryPath_IsODE0009_OnTheRead(string body) =>
        AssertDiagnostic("ODE0009", Function(body));

    [Theory]
    [InlineData("for (int i = 0; i < 3; i++) dydt[i] = y[i] * p[0]; for (int i = 0; i < 3; i++) dydt[i] += y[i] * y[i];")]
    [InlineData("for (int i = 0; i < dydt.Length; i++) dydt[i] = y[i]; for (int i = 0; i < dydt.Length; i++) dydt[i] -= p[0] * y[i];")]
    [InlineData("for (int i = 0; i < 3; i++) { dydt[i] = y[i]; dydt[i] += p[0]; }")]
    [InlineData("for (int i = 2; i >= 0; i--) dydt[i] = y[i]; for (int i = 0; i < 3; i++) dydt[i] += p[0];")]
    [InlineData("dydt[0] = y[0]; dydt[1] = y[1]; dydt[2] = y[2]; for (int i = 0; i < 3; i++) dydt[i] += p[0] * y[i];")]
    [InlineData("dydt[0] = y[0]; for (int i = 1; i < 3; i++) dydt[i] = y[i]; for (int i = 0; i < 3; i++) dydt[i] += p[0];")]
    [InlineData("if (y[0] > 0) dydt[0] = y[0]; else dydt[0] = -y[0]; dydt[0] += 1; dydt[1] = dydt[0] * y[1]; dydt[2] = y[2];")]
    [InlineData("if (y[0] > 0) { dydt[0] = y[0]; dydt[1] = 1; } else { dydt[1] = 2; dydt[0] = y[1]; } dydt[2] = dydt[0] + dydt[1];")]
    [InlineData("for (int i = 0; i < 3; i++) { if (y[i] > 0) dydt[i] = y[i]; else dydt[i] = p[0]; } for (int i = 0; i < 3; i++) dydt[i] += y[0];")]
    [InlineData("for (int i = 0; i < 3; i++) dydt[i] = 0; if (y[0] > 0) dydt[0] = y[0]; dydt[1] += dydt[0]; dydt[2] += y[2];")]
    // An arm's write merges with the earlier ones into a wider interval ([1] before, [0] in the arm: [0, 1]); the join keeps
    // [1] (the legal-C# fuzzer's programs 502:22 and 502:100 were refused for it).
    [InlineData("dydt[1] = y[1]; if (y[0] > 0) dydt[0] = y[0]; --dydt[1]; dydt[0] = y[2]; dydt[2] = dydt[1];")]
    [InlineData("dydt[1] = y[1]; if (y[0] > 0) { } else if (y[2] > 0) { dydt[0] = y[0]; } dydt[2] = dydt[1]; dydt[0] = 1;")]
    public void Dynamics_ReadOfAnElementWrittenOnEveryPath_IsGenerated_AndMatchesTheUsersMethod(string body)
    {
        Assembly assembly = Generated(Dynamics(body));
        var system = (IOdeSystem)Activator.CreateInstance(assembly.GetType("Sys+FSystem")!)!;
        var user = assembly.GetType("Sys")!.GetMethod("F")!.CreateDelegate<UserRhs>();
        foreach (double[] y in new[] { new[] { 0.1, -0.2, 0.3 }, new[] { -0.7, 0.4, -0.5 } })
        {
            double[] p = { 1.5 }, generated = { double.NaN, double.NaN, double.NaN }, expected = { double.NaN, double.NaN, double.NaN };
            system.Evaluate(0.25, y, p, generated);
            user(0.25, y, p, expected);
            AssertBitForBit(expected, generated);
        }
    }

    [Theory]
    [InlineData("for (int i = 0; i < v.Length; i++) v[i] = u[i]; for (int i = 0; i < v.Length; i++) v[i] += w[0] * u[i];")]
    [InlineData("if (u[0] > 0) v[0] = u[0]; else v[0] = w[0]; v[1] = v[0] * u[1];")]
    public void Function_ReadOfAnOutputElementWrittenOnEveryPath_IsGenerated_AndMatchesTheUsersMethod(string body)
    {
        Assembly assembly = Generated(Function(body));
        var function = (IDifferentiableFunction)Activator.CreateInstance(assembly.GetType("Sys+GFunction")!)!;
        var user = assembly.GetType("Sys")!.GetMethod("G")!.CreateDelegate<UserFunction>();
        foreach (double[] x in new[] { new[] { 0.1, -0.2 }, new[] { -0.7, 0.4 } })
        {
            double[] p = { 1.5 }, generated = { double.NaN, double.NaN }, expected = { double.NaN, double.NaN };
            function.Evaluate(x, p, generated);
            user(x, p, expected);
            AssertBitForBit(expected, generated);
        }
    }

    private static Assembly Generated(string source)
    {
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(source));
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.NotEmpty(run.Sources);
        Assert.Empty(GeneratorHarness.Errors(run.Output));
        return CompiledSystems.EmitAndLoad(run.Output);
    }

    private static void AssertBitForBit(double[] expected, double[] actual)
    {
        Assert.All(expected, e => Assert.False(double.IsNaN(e)));
        Assert.Equal(expected.Select(BitConverter.DoubleToInt64Bits), actual.Select(BitConverter.DoubleToInt64Bits));
    }

    private static string Dynamics(string body) => $$"""
        using OdeGen;
        public static partial class Sys
        {
            [OdeDynamics(States = 3, Parameters = 1)]
            public static void F(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                {{body}}
            }
        }
        """;

    private static string Function(string body) => $$"""
        using OdeGen;
        public static partial class Sys
        {
            [Differentiable(Inputs = 2, Parameters = 1, Outputs = 2)]
            public static void G(ReadOnlySpan<double> u, ReadOnlySpan<double> w, Span<double> v)
            {
                {{body}}
            }
        }
        """;
}
