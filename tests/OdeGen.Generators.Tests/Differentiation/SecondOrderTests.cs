using System.Reflection;
using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Infrastructure;
using OdeGen.Testing;

namespace OdeGen.Generators.Tests.Differentiation;

/// <summary>
/// The second-order methods of every <see cref="SecondOrderSources"/> system, compiled together and run: Divergence
/// against the trace of the generated Jacobian, DivergenceVjp against differences of Divergence, Hvp against
/// differences of the generated Vjp and the symmetry of the Hessian it applies.
/// </summary>
public class SecondOrderTests
{
    private static readonly Lazy<Assembly> Compiled = new(() =>
    {
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(SecondOrderSources.All.Values.ToArray()));
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        return CompiledSystems.EmitAndLoad(run.Output);
    });

    public static TheoryData<string> DoubleScenarios => new(SecondOrderSources.All.Keys.Where(k => k != "Float"));

    /// <summary>The generated system of scenario <paramref name="scenario"/>, built with its runtime sizes where it has any.</summary>
    internal static object Create(string scenario, params object[] sizes)
    {
        Type type = Compiled.Value.GetTypes().Single(t => t.IsValueType && t.Namespace == "SecondOrder." + scenario && t.Name.EndsWith("System", StringComparison.Ordinal));
        return type.GetConstructors().Any(c => c.GetParameters().Length > 0) ? Activator.CreateInstance(type, sizes)! : Activator.CreateInstance(type)!;
    }

    /// <summary>The double systems, with runtime parameter counts where the method loops over p.Length.</summary>
    internal static IOdeLaneSystemSecondOrder System(string scenario) => (IOdeLaneSystemSecondOrder)(scenario switch
    {
        "Loops" => Create(scenario, 18),
        "Mlp" => Create(scenario, (64 * 2) + 64 + (64 * 64) + 64 + (2 * 64) + 2),
        _ => Create(scenario),
    });

    [Theory]
    [MemberData(nameof(DoubleScenarios))]
    public void SecondOrderMethods_MatchTheFirstOrderCode(string scenario)
    {
        SecondOrderCheck.All(System(scenario), new Random(scenario.Length * 7919), scenario, samples: 3);
    }

    [Fact]
    public void Mlp_DivergenceIsOneSweep_NotOneJvpPerState()
    {
        // Divergence carries both tangents through the loops of one sweep: no loop over the states around the body,
        // and the 64×64 weight loop appears once (reading each weight once for both directions).
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(SecondOrderSources.Mlp));
        string text = run.Sources.Single(s => s.Key.EndsWith(".SecondOrder.g.cs", StringComparison.Ordinal)).Value;
        string divergence = text[text.IndexOf("public double Divergence(", StringComparison.Ordinal)..text.IndexOf("public double DivergenceVjp(", StringComparison.Ordinal)];
        Assert.Contains("h1Dot0", divergence, StringComparison.Ordinal);
        Assert.Contains("h1Dot1", divergence, StringComparison.Ordinal);
        Assert.Equal(1, Count(divergence, "p[192 + i * 64 + j]"));
    }

    [Fact]
    public void Hutchinson_WithAEqualToYDot_IsTheGradientOfEpsilonJacobianEpsilon()
    {
        // εᵀ(∂f/∂y)ε = ⟨ε, Jvp(ε)⟩; its gradient in p is Hvp's pBarDot with a = yDot = ε (forward over reverse).
        IOdeSystemSecondOrder system = System("Straight");
        var random = new Random(5);
        int n = system.StateCount, m = system.ParameterCount;
        double[] y = SecondOrderCheck.Vector(random, n, -0.9, 0.9), p = SecondOrderCheck.Vector(random, m, 0.5, 1.5), e = SecondOrderCheck.Vector(random, n, -1, 1);
        double[] yBarDot = new double[n], pBarDot = new double[m];
        system.Hvp(0.3, y, p, e, 0, e, new double[m], yBarDot, pBarDot);
        for (int k = 0; k < m; k++)
        {
            double[] plus = (double[])p.Clone(), minus = (double[])p.Clone();
            plus[k] += 1e-6;
            minus[k] -= 1e-6;
            double want = (Estimate(system, y, plus, e) - Estimate(system, y, minus, e)) / 2e-6;
            Assert.Equal(want, pBarDot[k], 1e-6);
        }
    }

    [Fact]
    public void FloatSecondOrder_AgreesWithTheDoubleTwin_ToFloatPrecision()
    {
        // The same method in double (checked against finite differences like the others) is the reference.
        string twin = SecondOrderSources.Float.Replace("namespace SecondOrder.Float;", "namespace SecondOrder.FloatTwin;", StringComparison.Ordinal)
            .Replace("float", "double", StringComparison.Ordinal).Replace("MathF", "Math", StringComparison.Ordinal).Replace("0.1f", "0.1", StringComparison.Ordinal);
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(twin));
        Assert.Empty(run.Result.Diagnostics);
        Type type = CompiledSystems.EmitAndLoad(run.Output).GetTypes().Single(t => t.Name == "RhsSystem");
        var reference = (IOdeSystemSecondOrder)Activator.CreateInstance(type)!;
        SecondOrderCheck.All(reference, new Random(3), "the float scenario in double");

        var single = (IOdeSystemSingleSecondOrder)Create("Float");
        var random = new Random(11);
        for (int sample = 0; sample < 5; sample++)
        {
            double[] y = SecondOrderCheck.Vector(random, 2, -0.9, 0.9), p = SecondOrderCheck.Vector(random, 2, 0.5, 1.5), a = SecondOrderCheck.Vector(random, 2, -1, 1);
            double[] yDot = SecondOrderCheck.Vector(random, 2, -1, 1), pDot = SecondOrderCheck.Vector(random, 2, -1, 1);
            float[] F(double[] v) => v.Select(x => (float)x).ToArray();
            double[] D(float[] v) => v.Select(x => (double)x).ToArray();
            Near(reference.Divergence(0.3, y, p), single.Divergence(0.3f, F(y), F(p)), "Divergence");

            double[] yBar = new double[2], pBar = new double[2];
            float[] yBarF = new float[2], pBarF = new float[2];
            double tBar = reference.DivergenceVjp(0.3, y, p, 1.5, yBar, pBar);
            float tBarF = single.DivergenceVjp(0.3f, F(y), F(p), 1.5f, yBarF, pBarF);
            Near(tBar, tBarF, "DivergenceVjp's tBar");
            NearAll(yBar.Concat(pBar), D(yBarF).Concat(D(pBarF)), "DivergenceVjp");

            double[] yBarDot = new double[2], pBarDot = new double[2];
            float[] yBarDotF = new float[2], pBarDotF = new float[2];
            reference.Hvp(0.3, y, p, a, 0.2, yDot, pDot, yBarDot, pBarDot);
            single.Hvp(0.3f, F(y), F(p), F(a), 0.2f, F(yDot), F(pDot), yBarDotF, pBarDotF);
            NearAll(yBarDot.Concat(pBarDot), D(yBarDotF).Concat(D(pBarDotF)), "Hvp");
        }

        static void Near(double want, double got, string what) => Assert.True(Math.Abs(want - got) <= 1e-5 * (1 + Math.Abs(want)), $"{what}: float {got:R}, double {want:R}");
        static void NearAll(IEnumerable<double> want, IEnumerable<double> got, string what)
        {
            foreach ((double w, double g) in want.Zip(got))
            {
                Near(w, g, what);
            }
        }
    }

    [Theory]
    [InlineData("Mlp")]
    [InlineData("Loops")]
    [InlineData("Dense")]
    public void WithVectorizeLoops_SecondOrderMethodsEqualThemWithout(string scenario)
    {
        // The scalar second-order methods run their qualifying loops in SIMD too; sums regroup, so 1e-12, not bits.
        string source = SecondOrderSources.All[scenario];
        string vectorized = source.Replace("namespace SecondOrder." + scenario + ";", "namespace SecondOrder.Vector" + scenario + ";", StringComparison.Ordinal)
            .Replace("SecondOrder = true)]", "SecondOrder = true, VectorizeLoops = true)]", StringComparison.Ordinal);
        Assert.Contains("VectorizeLoops = true", vectorized, StringComparison.Ordinal);
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(vectorized));
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Type type = CompiledSystems.EmitAndLoad(run.Output).GetTypes().Single(t => t.IsValueType && t.Name == "RhsSystem");
        object[] sizes = scenario switch { "Mlp" => new object[] { (64 * 2) + 64 + (64 * 64) + 64 + (2 * 64) + 2 }, "Loops" => new object[] { 18 }, _ => Array.Empty<object>() };
        var with = (IOdeSystemSecondOrder)(sizes.Length > 0 ? Activator.CreateInstance(type, sizes)! : Activator.CreateInstance(type)!);
        IOdeSystemSecondOrder without = System(scenario);

        var random = new Random(9);
        int n = with.StateCount, m = with.ParameterCount;
        double[] y = SecondOrderCheck.Vector(random, n, -0.9, 0.9), p = SecondOrderCheck.Vector(random, m, 0.5, 1.5), a = SecondOrderCheck.Vector(random, n, -1, 1);
        double[] yDot = SecondOrderCheck.Vector(random, n, -1, 1), pDot = SecondOrderCheck.Vector(random, m, -1, 1);
        double[] Outputs(IOdeSystemSecondOrder s)
        {
            double[] yBar = new double[n], pBar = new double[m], yBarDot = new double[n], pBarDot = new double[m];
            double divergence = s.Divergence(0.2, y, p), tBar = s.DivergenceVjp(0.2, y, p, 1.3, yBar, pBar);
            s.Hvp(0.2, y, p, a, 0.4, yDot, pDot, yBarDot, pBarDot);
            return yBar.Concat(pBar).Concat(yBarDot).Concat(pBarDot).Append(divergence).Append(tBar).ToArray();
        }

        CompileAndRunTests.AssertNear(Outputs(without), Outputs(with), 1e-12, scenario + " with VectorizeLoops");
    }

    [Fact]
    public void SecondOrderMethods_AllocateNothingPerCall()
    {
        foreach (string scenario in DoubleScenarios)
        {
            IOdeSystemSecondOrder system = System(scenario);
            int n = system.StateCount, m = system.ParameterCount;
            double[] y = new double[n], p = new double[m], a = new double[n], yBar = new double[n], pBar = new double[m];
            Array.Fill(y, 0.3);
            Array.Fill(p, 0.7);
            Array.Fill(a, 0.5);
            Calls(system, y, p, a, yBar, pBar);
            Assert.True(Allocations.Least(() => Calls(system, y, p, a, yBar, pBar), windows: 3) == 0, scenario);
        }
    }

    [Fact]
    public void SecondOrder_WithRuntimeStates_IsODE0041OnTheArgument()
    {
        string source = TestSources.LoopRuntime.Replace("[OdeDynamics]", "[OdeDynamics(SecondOrder = true)]", StringComparison.Ordinal);
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(source));
        Diagnostic error = Assert.Single(run.Result.Diagnostics);
        Assert.Equal("ODE0041", error.Id);
        Assert.Equal("SecondOrder = true", source[error.Location.SourceSpan.Start..error.Location.SourceSpan.End]);
        Assert.Empty(GeneratorHarness.Errors(run.Output));
    }

    private static void Calls(IOdeSystemSecondOrder system, double[] y, double[] p, double[] a, double[] yBar, double[] pBar)
    {
        system.Divergence(0.1, y, p);
        system.DivergenceVjp(0.1, y, p, 1.0, yBar, pBar);
        system.Hvp(0.1, y, p, a, 0.5, a, p, yBar, pBar);
    }

    private static double Estimate(IOdeSystem system, double[] y, double[] p, double[] e)
    {
        double[] f = new double[e.Length], fDot = new double[e.Length];
        system.Jvp(0.3, y, p, 0, e, new double[p.Length], f, fDot);
        return e.Zip(fDot, (u, v) => u * v).Sum();
    }

    private static int Count(string text, string part)
    {
        int count = 0;
        for (int at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
