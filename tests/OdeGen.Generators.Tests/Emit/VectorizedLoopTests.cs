using System.Reflection;
using OdeGen.Generators.Model;
using OdeGen.Generators.Analyses;
using OdeGen.Generators.Tests.Differentiation;
using OdeGen.Generators.Tests.Infrastructure;
using OdeGen.Testing;

namespace OdeGen.Generators.Tests.Emit;

/// <summary>
/// Loops vectorized across their index (VectorizeLoops): which loops qualify and why the others do not, and
/// that the vectorized methods compute what the same method without the option computes, up to rounding
/// (1e-13 of the largest output), allocating nothing. Finite differences and the dot-product test of the
/// VectorMlp scenario run with every other scenario in <see cref="CompileAndRunTests"/>.
/// </summary>
public class VectorizedLoopTests
{
    private const double Tolerance = 1e-13;

    [Fact]
    public void VectorMlp_EqualsTheSameMethodWithoutTheOption()
    {
        IOdeSystem vectorized = CompiledSystems.All["VectorMlp.Rhs"].System, scalar = CompiledSystems.All["VectorMlpScalar.Rhs"].System;
        CompareTwins(vectorized, scalar, new Random(11), Tolerance, "VectorMlp");
    }

    [Fact]
    public void EveryScenario_WithTheOption_EqualsItselfWithout()
    {
        // The option on every scenario's attribute (VectorMlp has it already), compiled apart from the scenarios as they are.
        string[] sources = TestSources.All.Values.Where(s => !s.Contains("VectorizeLoops", StringComparison.Ordinal))
            .Select(s => s.Replace("[OdeDynamics]", "[OdeDynamics(VectorizeLoops = true)]", StringComparison.Ordinal)
                          .Replace("[OdeDynamics(States", "[OdeDynamics(VectorizeLoops = true, States", StringComparison.Ordinal))
            .ToArray();
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(sources));
        Assert.Empty(run.Result.Diagnostics.Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        Assembly assembly = CompiledSystems.EmitAndLoad(run.Output);

        int compared = 0;
        foreach (Type type in assembly.GetTypes().Where(t => t.IsValueType && typeof(IOdeSystem).IsAssignableFrom(t)))
        {
            Type closed = type.ContainsGenericParameters ? type.MakeGenericType(type.GetGenericArguments().Select(_ => typeof(object)).ToArray()) : type;
            string name = type.DeclaringType!.Name.Split('`')[0] + "." + type.Name[..^"System".Length];
            CompareTwins((IOdeSystem)Activator.CreateInstance(closed)!, CompiledSystems.All[name].System, new Random(name.Length), 1e-12, name);
            compared++;
        }

        Assert.Equal(CompiledSystems.All.Count - TestSources.Random.Count - 2, compared);

        // Three scenarios have loops that qualify (the MLP, the reservoir's sums over y.Length, the fusion scenario's
        // own-element loop); the others' loops are short, unrolled, or reach a neighbour through %.
        Assert.Equal(
            new[] { "Scenarios.Fusion.Ring.RhsSystem.g.cs", "Scenarios.Loops.Mlp.RhsSystem.g.cs", "Scenarios.Loops.Reservoir.RhsSystem.g.cs" },
            run.ScalarSources.Where(s => s.Value.Contains("IsHardwareAccelerated", StringComparison.Ordinal)).Select(s => s.Key).OrderBy(k => k, StringComparer.Ordinal));
    }

    [Fact]
    public void VectorMlp_VectorizesEveryLoopButTheRing()
    {
        SystemIr ir = Ir(TestSources.VectorMlp);
        string?[] evaluate = Reasons(ir.Evaluate);

        // The hidden layer (strided weights, a select), the ring, the two output sums.
        Assert.Equal(4, evaluate.Length);
        Assert.Null(evaluate[0]);
        Assert.Equal("indexes with (i + 1) % 21, not base + s·i for a constant s", evaluate[1]);
        Assert.Null(evaluate[2]);
        Assert.Null(evaluate[3]);
        Assert.Equal(evaluate, Reasons(ir.Jvp));

        // Vjp: the forward hidden layer, the output layers' reverse loop, the ring's reverse loop (which adds to
        // hBar at i and at its neighbour) and the hidden layer's reverse loop.
        string?[] vjp = Reasons(ir.Vjp);
        Assert.Equal(4, vjp.Length);
        Assert.Equal(3, vjp.Count(r => r is null));
        Assert.Contains(vjp, r => r is not null && r.Contains("% 21", StringComparison.Ordinal));
    }

    [Fact]
    public void Option_IsOffByDefault_AndTheSameMethodWithoutItHasNoHelpers()
    {
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(TestSources.VectorMlpScalar));
        string text = Assert.Single(run.ScalarSources).Value;
        Assert.DoesNotContain("IsHardwareAccelerated", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Loop0", text, StringComparison.Ordinal);
        Assert.DoesNotContain("VectorizeLoops", text, StringComparison.Ordinal);

        // With it, a loop that stays scalar says why.
        string vectorized = Assert.Single(GeneratorHarness.Run(GeneratorHarness.Compile(TestSources.VectorMlp)).ScalarSources).Value;
        Assert.Contains("// stays scalar (VectorizeLoops): indexes with (i + 1) % 21, not base + s·i for a constant s", vectorized, StringComparison.Ordinal);
        Assert.False(Ir(TestSources.VectorMlpScalar).Header.VectorizeLoops);
    }

    [Fact]
    public void Legality_ContiguousAndStridedReadsWithASum_Qualify()
    {
        SystemIr ir = Ir(Method("double s = 0; for (int i = 0; i < 16; i++) { s += p[i] * y[i] + p[2 * i + 20]; } dydt[0] = Math.Tanh(s);"));
        Assert.Equal(new string?[] { null }, Reasons(ir.Evaluate));
        Assert.Equal(new string?[] { null }, Reasons(ir.Jvp));
        VectorLoop plan = Assert.Single(LoopVectorizer.Plan(ir.Evaluate));
        Assert.Contains(plan.Parameters, q => q.Kind == LoopParameterKind.Sum);
        Assert.Equal(new[] { 1, 1, 2 }, plan.Strides.Select(a => a.Stride).Where(s => s != 0).OrderBy(s => s));
    }

    [Theory]
    [InlineData("i", 1)]
    [InlineData("i * 2 + 1", 2)]
    [InlineData("2 * (i + 3)", 2)]
    [InlineData("y.Length - 1 - i", -1)]
    [InlineData("k * 16 + i", 1)]
    [InlineData("k * n + 3", 0)]
    [InlineData("-(i * 3) + k", -3)]
    [InlineData("i * i", null)]
    [InlineData("i % 8", null)]
    [InlineData("i / 2", null)]
    [InlineData("i * n", null)]
    public void Stride_IsTheConstantStepOfAnIndex_OrNull(string index, int? stride) => Assert.Equal(stride, IndexReader.Read(index).Stride("i"));

    [Fact]
    public void Legality_ADescendingIndexOverARuntimeBound_HasStrideMinusOne()
    {
        SystemIr ir = Ir(Method("for (int i = 0; i < y.Length; i++) { dydt[i] = p[y.Length - 1 - i] * y[i]; }"));
        VectorLoop plan = Assert.Single(LoopVectorizer.Plan(ir.Evaluate));
        Assert.Contains(-1, plan.Strides.Select(a => a.Stride));
        Assert.Contains(plan.Parameters, q => q.Kind == LoopParameterKind.Span && q.Slot == OdeGen.Generators.Ir.Slot.Y);
    }

    [Theory]
    [InlineData("for (int i = 0; i < 6; i++) { dydt[i] = p[i] * y[i]; }", "runs fewer than 8 times")]
    [InlineData("for (int i = 0; i < 16; i++) { dydt[i] = y[(i + 1) % 16]; }", "indexes with (i + 1) % 16, not base + s·i for a constant s")]
    [InlineData("for (int i = 0; i < 16; i++) { dydt[i] = p[i * i]; }", "indexes with i * i, not base + s·i for a constant s")]
    [InlineData("for (int i = 0; i < 16; i++) { dydt[i] = i < 8 ? y[i] : -y[i]; }", "branches on i")]
    [InlineData("for (int i = 0; i < 16; i++) { dydt[i] = (i * i) * y[i]; }", "uses i * i as a number, not base + s·i for a constant s")]
    public void Legality_LoopsThatMustStayScalar_SayWhy(string body, string reason)
    {
        Assert.Equal(new string?[] { reason }, Reasons(Ir(Method(body)).Evaluate));
    }

    [Fact]
    public void Legality_NestedLoops_TheInnermostThatQualifiesIsVectorized()
    {
        // The inner loop's sum qualifies, so the outer loop (which would too) stays scalar around it.
        SystemIr sums = Ir(Method("for (int i = 0; i < 16; i++) { double s = 0; for (int j = 0; j < 16; j++) { s += p[i * 16 + j] * y[j]; } dydt[i] = Math.Tanh(s); }"));
        Assert.Equal(new string?[] { "an inner loop is vectorized instead", null }, Reasons(sums.Evaluate));

        // Accumulating into h[i] is one element for every j, so the inner loop cannot be; the outer loop is,
        // with the inner loop inside its body (y[j] the same in every lane, p[i * 16 + j] at stride 16).
        SystemIr buffer = Ir(Method("Span<double> h = stackalloc double[16]; for (int i = 0; i < 16; i++) { h[i] = p[256 + i]; for (int j = 0; j < 16; j++) { h[i] += p[i * 16 + j] * y[j]; } } for (int k = 0; k < 16; k++) { dydt[k] = Math.Tanh(h[k]); }"));
        string?[] reasons = Reasons(buffer.Evaluate);
        Assert.Equal(new string?[] { null, "writes h[i], which is not an element of its own lane", null }, reasons);
        Assert.Equal(16, LoopVectorizer.Plan(buffer.Evaluate)[0].Strides.Max(a => a.Stride));
    }

    [Fact]
    public void Legality_ANeighbourInTheReverseSweep_StaysScalar()
    {
        // Reading h[i] and h[i + 1] is fine forward; backwards the loop adds to hBar[i] and hBar[i + 1], which the
        // next lane adds to as well.
        SystemIr ir = Ir(Method("Span<double> h = stackalloc double[17]; for (int i = 0; i < 17; i++) { h[i] = Math.Tanh(p[i] * y[i % 16]); } for (int i = 0; i < 16; i++) { dydt[i] = h[i] * h[i + 1] * y[i]; }"));
        Assert.Equal(new string?[] { "indexes with i % 16, not base + s·i for a constant s", null }, Reasons(ir.Evaluate));
        Assert.Contains(Reasons(ir.Vjp), r => r == "writes hBar and touches it at more than one index (i, i + 1)");
    }

    [Theory]
    [InlineData("double s = 0; for (int i = 0; i < 16; i++) { s += p[i] * y[i] + p[2 * i + 20]; } dydt[0] = Math.Tanh(s);")]
    [InlineData("for (int i = 0; i < 16; i++) { double s = 0; for (int j = 0; j < 16; j++) { s += p[i * 16 + j] * y[j]; } dydt[i] = Math.Tanh(s); }")]
    [InlineData("Span<double> h = stackalloc double[16]; for (int i = 0; i < 16; i++) { h[i] = p[256 + i]; for (int j = 0; j < 16; j++) { h[i] += p[i * 16 + j] * y[j]; } } for (int k = 0; k < 16; k++) { dydt[k] = Math.Tanh(h[k]); }")]
    [InlineData("Span<double> h = stackalloc double[17]; for (int i = 0; i < 17; i++) { h[i] = Math.Tanh(p[i] * y[i % 16]); } for (int i = 0; i < 16; i++) { dydt[i] = h[i] * h[i + 1] * y[i]; }")]
    [InlineData("for (int i = 0; i < y.Length; i++) { double z = Math.Sin(p[y.Length - 1 - i] * y[i]) + t; dydt[i] = z > 0.5 ? z * z : Math.Exp(-z); }")]
    [InlineData("for (int i = 0; i < 16; i++) { dydt[i] = y[i] / (i + 1) + (2 * i) * p[i] + (15 - i) * p[i + 16]; }")]
    public void Legality_ProgramsRunLikeTheirScalarTwins(string body)
    {
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(Method(body), Method(body, vectorize: false)));
        Assert.Empty(run.Result.Diagnostics.Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        Assembly assembly = CompiledSystems.EmitAndLoad(run.Output);
        Assert.Contains("IsHardwareAccelerated", run.ScalarSources.Single(s => s.Key.StartsWith("Legality.Loops.", StringComparison.Ordinal)).Value, StringComparison.Ordinal);
        CompareTwins(System(assembly, "Legality.Loops"), System(assembly, "Legality.Scalar.Loops"), new Random(3), Tolerance, body);
    }

    [Fact]
    public void VectorizedMethods_AllocateNothingPerCall()
    {
        IOdeSystem s = CompiledSystems.All["VectorMlp.Rhs"].System;
        int n = s.StateCount, m = s.ParameterCount;
        double[] y = Enumerable.Range(0, n).Select(i => 0.1 * (i + 1)).ToArray(), p = Enumerable.Range(0, m).Select(k => Math.Sin(k)).ToArray();
        double[] f = new double[n], fDot = new double[n], a = [0.3, -0.7], yBar = new double[n], pBar = new double[m];
        void Calls()
        {
            for (int k = 0; k < 100; k++)
            {
                s.Evaluate(0.5, y, p, f);
                s.Jvp(0.5, y, p, 1, y, p, f, fDot);
                s.Vjp(0.5, y, p, a, yBar, pBar);
            }
        }

        Calls();
        Assert.Equal(0, Allocations.Least(Calls, windows: 3));
    }

    [Fact]
    public void RandomVectorPrograms_EqualTheirScalarTwins_AndPassTheDotProductTest()
    {
        const int Count = 40;
        (string Vectorized, string Scalar)[] programs = Enumerable.Range(0, Count).Select(k => VectorPrograms.Create(PropertyTests.Seed, k)).ToArray();
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(programs.SelectMany(p => new[] { p.Vectorized, p.Scalar }).ToArray()));
        Assert.Empty(run.Result.Diagnostics.Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        Assembly assembly = CompiledSystems.EmitAndLoad(run.Output);

        for (int k = 0; k < Count; k++)
        {
            // Both loops qualify in every program, forward and backwards (the branch is a select, acc a sum).
            string text = run.ScalarSources.Single(s => s.Key.StartsWith($"V{k}.Vectorized.", StringComparison.Ordinal)).Value;
            string context = $"seed {PropertyTests.Seed}, program {k}:\n{programs[k].Vectorized}";
            foreach (string helper in new[] { "EvaluateLoop1<TLane>", "JvpLoop1<TLane>", "VjpLoop0<TLane>" })
            {
                Assert.True(text.Contains(helper, StringComparison.Ordinal), $"no {helper}; {context}");
            }

            IOdeSystem vectorized = System(assembly, $"V{k}.Vectorized.Vectorized{k}"), scalar = System(assembly, $"V{k}.Scalar.Scalar{k}");
            CompareTwins(vectorized, scalar, new Random(unchecked((PropertyTests.Seed * 31) + k)), 1e-12, context);
        }
    }

    private static IOdeSystem System(Assembly assembly, string type) =>
        (IOdeSystem)Activator.CreateInstance(assembly.GetType(type)!.GetNestedType("RhsSystem")!)!;

    /// <summary>Evaluate, Jvp and Vjp of the two systems agree to <paramref name="relative"/> of each output's largest element; the vectorized pair passes the dot-product test.</summary>
    internal static void CompareTwins(IOdeSystem vectorized, IOdeSystem scalar, Random random, double relative, string context)
    {
        int n = scalar.StateCount, m = scalar.ParameterCount;
        for (int sample = 0; sample < 4; sample++)
        {
            double t = random.NextDouble();
            double[] y = Vector(random, n, -0.9, 0.9), p = Vector(random, m, 0.5, 1.5), yDot = Vector(random, n, -1, 1), pDot = Vector(random, m, -1, 1), a = Vector(random, n, -1, 1);
            double tDot = random.NextDouble() - 0.5;

            double[] f = new double[n], g = new double[n];
            vectorized.Evaluate(t, y, p, f);
            scalar.Evaluate(t, y, p, g);
            CompileAndRunTests.AssertNear(g, f, relative, "Evaluate; " + context);

            double[] fv = new double[n], fDot = new double[n], gv = new double[n], gDot = new double[n];
            vectorized.Jvp(t, y, p, tDot, yDot, pDot, fv, fDot);
            scalar.Jvp(t, y, p, tDot, yDot, pDot, gv, gDot);
            CompileAndRunTests.AssertNear(gv, fv, relative, "Jvp f; " + context);
            CompileAndRunTests.AssertNear(gDot, fDot, relative, "Jvp; " + context);

            double[] yBar = new double[n], pBar = new double[m], yBar2 = new double[n], pBar2 = new double[m];
            double tBar = vectorized.Vjp(t, y, p, a, yBar, pBar), tBar2 = scalar.Vjp(t, y, p, a, yBar2, pBar2);
            CompileAndRunTests.AssertNear(yBar2, yBar, relative, "Vjp yBar; " + context);
            CompileAndRunTests.AssertNear(pBar2, pBar, relative, "Vjp pBar; " + context);
            CompileAndRunTests.AssertNear([tBar2], [tBar], relative, "Vjp tBar; " + context);

            double forward = Enumerable.Range(0, n).Sum(i => a[i] * fDot[i]);
            double reverse = Enumerable.Range(0, n).Sum(j => yBar[j] * yDot[j]) + Enumerable.Range(0, m).Sum(k => pBar[k] * pDot[k]) + (tBar * tDot);
            double scale = Enumerable.Range(0, n).Sum(i => Math.Abs(a[i] * fDot[i])) + 1e-300;
            Assert.True(Math.Abs(forward - reverse) <= 1e-12 * scale, $"<a, J v> = {forward:R} but <Jᵀa, v> = {reverse:R}; {context}");
        }
    }

    private static double[] Vector(Random random, int length, double lo, double hi) =>
        Enumerable.Range(0, length).Select(_ => lo + ((hi - lo) * random.NextDouble())).ToArray();

    /// <summary>The reason each loop of <paramref name="function"/> stays scalar, in program order (null: vectorized).</summary>
    internal static string?[] Reasons(OdeGen.Generators.Ir.IrFunction function) => LoopVectorizer.Analyze(function).Select(d => d.Reason).ToArray();

    /// <summary>The optimized IR of the one system in <paramref name="source"/>.</summary>
    internal static SystemIr Ir(string source)
    {
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(source));
        Assert.Empty(run.Result.Diagnostics.Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        return run.Result.Results.Single().TrackedSteps[OdeDynamicsGenerator.TrackingNames.Simplify]
            .SelectMany(step => step.Outputs)
            .Select(output => ((Result<SystemIr>)output.Value).Value!)
            .Single();
    }

    /// <summary>A 16-state method with <paramref name="body"/>, with the option (or without it, in Legality.Scalar).</summary>
    private static string Method(string body, bool vectorize = true) => $$"""
        using OdeGen;

        namespace Legality{{(vectorize ? string.Empty : ".Scalar")}};

        public static partial class Loops
        {
            [OdeDynamics(States = 16, Parameters = 300{{(vectorize ? ", VectorizeLoops = true" : string.Empty)}})]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                {{body}}
            }
        }
        """;
}
