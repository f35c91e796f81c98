using System.Reflection;
using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Differentiation;
using OdeGen.Generators.Tests.Emit;
using OdeGen.Generators.Tests.Functions;
using OdeGen.Generators.Tests.Infrastructure;
using OdeGen.Lanes;
using OdeGen.Testing;

namespace OdeGen.Generators.Tests.Pipeline;

/// <summary>
/// Legal C# as an outside user writes it, each case found by an adversarial hunt to break one of the generator's three
/// promises: it never throws into the compiler, it never emits code that does not compile (a construct is supported or
/// refused with a located ODE diagnostic), and the derivatives of what it supports are right.
/// </summary>
public class LegalUserCodeTests
{
    private const string Signature = "(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)";

    /// <summary>A partial class C with one marked Rhs of <paramref name="body"/> and the members <paramref name="members"/>.</summary>
    private static string Dynamics(string body, string attribute = "[OdeDynamics]", string members = "") => $$"""
        using OdeGen;
        namespace Users;
        public static partial class C
        {
            {{attribute}}
            public static void Rhs{{Signature}}
            {
                {{body}}
            }

            {{members}}
        }
        """;

    [Fact]
    public void PartialMethodHelper_IsInlinedFromItsImplementation()
    {
        // As found: the call binds to the declaration without a body, and the inliner read its missing body (ODE0011).
        SystemUnderTest s = SingleSystem(Dynamics("dydt[0] = H(y[0]) * p[0];", members: """
            [OdeDifferentiable] public static partial double H(double a);
            public static partial double H(double a) => a * Math.Sin(a);
            """));
        AssertDerivativesRight(s);
    }

    [Fact]
    public void YLengthAsANumber_InAFixedSizeLoop_KeepsTheSpanForm()
    {
        // As found: the loop unrolled to straight-line code got the fused-step register form, which printed y.Length on
        // its struct of states (CS1061 in generated code). p.Length stays a span's length there and is fine.
        SystemUnderTest s = SingleSystem(Dynamics("for (int i = 0; i < 2; i++) dydt[i] = y.Length * y[i] * y[i] + p.Length * p[i];",
            "[OdeDynamics(States = 2, Parameters = 2)]"));
        AssertDerivativesRight(s);
        Assert.False(s.System is IOdeFusedLaneSystem);

        SystemUnderTest fused = SingleSystem(Dynamics("for (int i = 0; i < 2; i++) dydt[i] = y[i] * y[i] + p.Length * p[i];",
            "[OdeDynamics(States = 2, Parameters = 2)]"));
        AssertDerivativesRight(fused);
        FusedRegisterTests.AtEveryWidth(Assert.IsAssignableFrom<IOdeFusedLaneSystem>(fused.System), new Random(2));
    }

    [Theory]
    [InlineData("States", false)]
    [InlineData("Parameters", false)]
    [InlineData("States", true)]
    [InlineData("VjpOnBuffers", true)]
    [InlineData("EvaluateLoop0", true)]
    public void LocalsNamedLikeMembersOfTheStruct_AreRenamedInTheGeneratedCode(string name, bool buffer)
    {
        // As found: a local 'States' hid the struct's constant in 'y = GeneratedSpans.Sized(y, States, …)' (CS0844), and a
        // stackalloc buffer 'VjpOnBuffers' hid the method Vjp calls with its buffers (CS0149), both in generated code.
        string body = buffer
            ? $"Span<double> {name} = stackalloc double[3];\n"
              + $"for (int i = 0; i < 3; i++) {name}[i] = Math.Tanh(y[i] * p[i]);\n"
              + $"for (int i = 0; i < 3; i++) dydt[i] = {name}[(i + 1) % 3] * y[i];"
            : $"double {name} = y[0] * p[0];\n"
              + $"dydt[0] = {name} * Math.Sin({name}) + (y[1] > 0 ? {name} : y[1]);\n"
              + $"dydt[1] = {name} * y[1] * Math.Exp(y[2]);\n"
              + $"dydt[2] = Math.Max({name}, y[2]);";
        SystemUnderTest s = SingleSystem(Dynamics(body, "[OdeDynamics(States = 3, Parameters = 3, SecondOrder = true, VectorizeLoops = true)]"));
        AssertDerivativesRight(s);
        SecondOrderCheck.All((IOdeSystemSecondOrder)s.System, new Random(3), name);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(40)]
    public void HelperLoop_InsideACallersLoopOfTheSameVariableName_GetsANameOfItsOwn(int states)
    {
        // As found: both loops were 'i' in the IR, and the inner one's end removed the outer 'i' (ODE0011, KeyNotFoundException).
        // With 2 states the loops unroll; with 40 they stay loops and are printed nested.
        SystemUnderTest s = SingleSystem(Dynamics($"for (int i = 0; i < {states}; i++) dydt[i] = H(y[i]) * p[i];",
            $"[OdeDynamics(States = {states}, Parameters = {states}, SecondOrder = true)]",
            "[OdeDifferentiable] static double H(double a) { double s = 0; for (int i = 1; i <= 3; i++) s += Math.Pow(a, i) / i; return s; }"));
        AssertDerivativesRight(s);
        SecondOrderCheck.All((IOdeSystemSecondOrder)s.System, new Random(4), "helper loop");
    }

    [Theory]
    [InlineData("s")]
    [InlineData("yBarDot")]
    [InlineData("pBarDot")]
    [InlineData("TLane")]
    public void LoopVariablesNamedLikeParametersOfTheSecondOrderMethods_AreRenamed(string name)
    {
        // As found: DivergenceVjp's 's' and Hvp's 'yBarDot', 'pBarDot' were redeclared by the loop (CS0136 in generated code),
        // and 'TLane' named a local after the lane methods' type parameter (CS0412).
        // 40 trips keep the loops (3 would be unrolled, and the name gone).
        SystemUnderTest s = SingleSystem(Dynamics(
            $"double q = 0;\nfor (int {name} = 0; {name} < 40; {name}++) {{ double r = y[{name}] * p[{name}]; q += Math.Tanh(r) * r; }}\n"
            + $"for (int {name} = 0; {name} < 40; {name}++) dydt[{name}] = y[{name}] > 0 ? q * y[{name}] : y[({name} + 1) % 40];",
            "[OdeDynamics(States = 40, Parameters = 40, SecondOrder = true)]"));
        AssertDerivativesRight(s);
        SecondOrderCheck.All((IOdeSystemSecondOrder)s.System, new Random(5), name);
    }

    [Theory]
    [InlineData("xBarDot")]
    [InlineData("pBarDot")]
    public void FunctionLoopVariablesNamedLikeParametersOfHvp_AreRenamed(string name)
    {
        string source = $$"""
            using OdeGen;
            namespace Users;
            public static partial class F
            {
                [Differentiable(Inputs = 40, Outputs = 40, Parameters = 40, SecondOrder = true)]
                public static void M(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
                {
                    double q = 0;
                    for (int {{name}} = 0; {{name}} < 40; {{name}}++) { double r = x[{{name}}] * p[{{name}}]; q += Math.Tanh(r) * r; }
                    for (int {{name}} = 0; {{name}} < 40; {{name}}++) y[{{name}}] = x[{{name}}] > 0 ? q * x[{{name}}] : x[({{name}} + 1) % 40];
                }
            }
            """;
        Assembly assembly = Generate(source);
        Type type = assembly.GetType("Users.F+MFunction")!;
        var g = (IDifferentiableFunctionSecondOrder)Activator.CreateInstance(type)!;
        FunctionChecks.All(g, type.DeclaringType!.GetMethod("M")!.CreateDelegate<UserFunction>(), new Random(6), name);
        FunctionSecondOrderChecks.All(g, new Random(7), name);
    }

    [Fact]
    public void SecondOrder_ThroughAForwardRuleWithAConditional_InAMethodWithoutBranches()
    {
        // As found: only the method and its helpers were searched for branches, so the forward rule's '?:' was lowered
        // as straight-line code, which has none: ODE0004 on it, then ODE0040 on the call, for a rule in the documented subset.
        SystemUnderTest s = SingleSystem(Dynamics("dydt[0] = F(y[0]) * p[0];\ndydt[1] = F(y[1] * y[0]);",
            "[OdeDynamics(SecondOrder = true)]", """
            [OdeCustomDerivative(nameof(FJvp), nameof(FVjp))] static double F(double x) => x > 0 ? x * x : -x;
            static double FJvp(double x, double xDot) { double d = x > 0 ? 2 * x : -1; return d * xDot; }
            static void FVjp(double x, double yBar, ref double xBar) { xBar += (x > 0 ? 2 * x : -1) * yBar; }
            """));
        AssertDerivativesRight(s);
        SecondOrderCheck.All((IOdeSystemSecondOrder)s.System, new Random(8), "forward rule");
    }

    [Fact]
    public void ContainingTypeParameterNamedTLane_AddsNoWarningInTheGeneratedFiles()
    {
        // As found: the lane methods' type parameter TLane hid G<TLane>'s (CS0693 in the generated lane and second-order
        // files, which breaks a warnings-as-errors build).
        Assembly assembly = Generate($$"""
            using OdeGen;
            namespace Users;
            public static partial class G<TLane>
            {
                [Differentiable(Inputs = 2, Parameters = 2, Outputs = 2, SecondOrder = true)]
                public static void M(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
                {
                    y[0] = x[0] * Math.Sin(p[0] * x[1]);
                    y[1] = Math.Exp(x[1]) * p[1];
                }

                [OdeDynamics(States = 2, Parameters = 2, SecondOrder = true)]
                public static void Rhs{{Signature}}
                {
                    dydt[0] = y[1] * p[0];
                    dydt[1] = -p[1] * Math.Sin(y[0]) + t;
                }
            }
            """);
        Type owner = assembly.GetType("Users.G`1")!.MakeGenericType(typeof(object));
        var g = (IDifferentiableLaneFunctionSecondOrder)Activator.CreateInstance(owner.GetNestedType("MFunction")!.MakeGenericType(typeof(object)))!;
        FunctionChecks.All(g, owner.GetMethod("M")!.CreateDelegate<UserFunction>(), new Random(9), "G<TLane>.M");
        FunctionChecks.LanesEqualScalar(g, new Random(10), "G<TLane>.M");
        FunctionSecondOrderChecks.All(g, new Random(11), "G<TLane>.M");
        FunctionSecondOrderChecks.LanesEqualScalar(g, new Random(12), "G<TLane>.M");
        SystemUnderTest s = Assert.Single(CompiledSystems.SystemsOf(assembly).Values);
        AssertDerivativesRight(s);
        SecondOrderCheck.All((IOdeSystemSecondOrder)s.System, new Random(13), "G<TLane>.Rhs");
    }

    [Theory]
    [InlineData(false, "[Obsolete(\"use G\")]", "")]
    [InlineData(true, "[Obsolete]", "")]
    [InlineData(true, "", "[Obsolete(\"old rule\", false)]")]
    public void ObsoleteCustomDerivative_WarnsOnlyAtTheUsersCall(bool secondOrder, string onFunction, string onRules)
    {
        // As found: the user's call to an [Obsolete] function (a warning) is copied into the generated code, with the calls
        // of its rules, and each copy repeated CS0618 (or CS0612) in the generated files.
        string rules = $$"""
            [OdeCustomDerivative(nameof(FJvp), nameof(FVjp))] {{onFunction}} static double F(double a, double b) => a * Math.Sin(b);
            {{onRules}} static double FJvp(double a, double b, double aDot, double bDot) => (aDot * Math.Sin(b)) + (a * Math.Cos(b) * bDot);
            {{onRules}} static void FVjp(double a, double b, double resultBar, ref double aBar, ref double bBar) { aBar += resultBar * Math.Sin(b); bBar += resultBar * a * Math.Cos(b); }
            """;
        SystemUnderTest s = SingleSystem(Dynamics("dydt[0] = F(y[0], p[0]) + y[1];\ndydt[1] = F(y[1] * y[0], p[1]);",
            $"[OdeDynamics(SecondOrder = {(secondOrder ? "true" : "false")})]", rules));
        AssertDerivativesRight(s);
        if (secondOrder)
        {
            SecondOrderCheck.All((IOdeSystemSecondOrder)s.System, new Random(14), "obsolete rule");
        }
    }

    /// <summary>Runs the generator on <paramref name="source"/> (legal C#), asserts it reported no error and its output compiles; its one double system.</summary>
    internal static SystemUnderTest SingleSystem(string source) => Assert.Single(CompiledSystems.SystemsOf(Generate(source)).Values);

    /// <summary>Runs the generator on <paramref name="source"/> (legal C#), asserts it reported no error and its files no warning; the loaded assembly with its output.</summary>
    internal static Assembly Generate(string source)
    {
        Compilation input = GeneratorHarness.Compile(source);
        Assert.Empty(GeneratorHarness.Errors(input));
        GeneratorRun run = GeneratorHarness.Run(input);
        Assert.Null(run.Result.Results.Single().Exception);
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);

        // The generated files add no warning of their own (a user's warnings-as-errors build stays green).
        Assert.Empty(run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Warning && !input.SyntaxTrees.Contains(d.Location.SourceTree)));
        return CompiledSystems.EmitAndLoad(run.Output);
    }

    /// <summary>
    /// Evaluate is the user's method bit for bit and Jvp's f is Evaluate; Jvp matches central differences; Vjp passes the
    /// dot-product test against Jvp; the lane methods mean the scalar ones at every width.
    /// </summary>
    internal static void AssertDerivativesRight(SystemUnderTest s)
    {
        int n = s.System.StateCount, m = s.System.ParameterCount;
        var random = new Random(20261206);
        for (int sample = 0; sample < 4; sample++)
        {
            var x = new Point(random.NextDouble(), Vector(random, n, -0.9, 0.9), Vector(random, m, 0.5, 1.5), random);
            double[] expected = new double[n], f = new double[n], fDot = new double[n];
            s.User(x.T, x.Y, x.P, expected);
            Direction v = Direction.Random(random, s.System);
            s.System.Jvp(x.T, x.Y, x.P, v.T, v.Y, v.P, f, fDot);
            Assert.Equal(expected.Select(BitConverter.DoubleToInt64Bits), f.Select(BitConverter.DoubleToInt64Bits));

            FiniteDifferences fd = FiniteDifferences.Of(s.System, x);
            for (int i = 0; i < n; i++)
            {
                CompileAndRunTests.AssertClose(fd.Apply(i, v), fDot[i], $"dydtDot[{i}]");
            }

            double[] a = Vector(random, n, -1, 1), yBar = new double[n], pBar = new double[m];
            double tBar = s.System.Vjp(x.T, x.Y, x.P, a, yBar, pBar);
            double forward = a.Zip(fDot, (ai, d) => ai * d).Sum();
            double reverse = (tBar * v.T) + yBar.Zip(v.Y, (g, d) => g * d).Sum() + pBar.Zip(v.P, (g, d) => g * d).Sum();
            Assert.True(Math.Abs(forward - reverse) <= 1e-12 * (1 + Math.Abs(forward)), $"<a, J v> = {forward:R} but <Jᵀa, v> = {reverse:R}");
        }

        var lanes = (IOdeLaneSystem)s.System;
        LaneComparison.AssertLanesMatchScalar<Lane1>(lanes, Points(random, 1, n, m), 0.3, 0.7, s.Name);
        LaneComparison.AssertLanesMatchScalar<Lane128>(lanes, Points(random, Lane128.Count, n, m), 0.3, 0.7, s.Name);
        LaneComparison.AssertLanesMatchScalar<Lane256>(lanes, Points(random, Lane256.Count, n, m), 0.3, 0.7, s.Name);
        LaneComparison.AssertLanesMatchScalar<Lane512>(lanes, Points(random, Lane512.Count, n, m), 0.3, 0.7, s.Name);
    }

    private static List<LanePoint> Points(Random random, int count, int n, int m) =>
        Enumerable.Range(0, count).Select(_ => LanePoint.Random(random, n, m)).ToList();

    private static double[] Vector(Random random, int length, double lo, double hi) =>
        Enumerable.Range(0, length).Select(_ => lo + ((hi - lo) * random.NextDouble())).ToArray();
}
