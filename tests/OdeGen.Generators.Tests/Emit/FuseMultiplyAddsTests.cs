using System.Runtime.InteropServices;
using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Differentiation;
using OdeGen.Generators.Tests.Infrastructure;
using OdeGen.Lanes;

namespace OdeGen.Generators.Tests.Emit;

/// <summary>
/// <c>FuseMultiplyAdds = true</c>: every scenario the generator accepts compiles with it, its derivatives still match
/// finite differences and the dot-product test, its f agrees with the unfused f to a few ulps of the terms, its Lane1
/// methods still equal its scalar ones bit for bit, and the emitted code really calls the fused operation.
/// </summary>
public class FuseMultiplyAddsTests
{
    private static readonly Lazy<IReadOnlyDictionary<string, SystemUnderTest>> Fused = new(CompileFused);

    public static TheoryData<string> SystemNames => new(CompiledSystems.All.Keys.OrderBy(k => k, StringComparer.Ordinal));

    /// <summary>A scenario's source with the option set on each of its [OdeDynamics] attributes.</summary>
    internal static string WithOption(string source) => source
        .Replace("[OdeDynamics]", "[OdeDynamics(FuseMultiplyAdds = true)]", StringComparison.Ordinal)
        .Replace("[OdeDynamics(", "[OdeDynamics(FuseMultiplyAdds = true, ", StringComparison.Ordinal)
        .Replace("FuseMultiplyAdds = true, FuseMultiplyAdds = true)]", "FuseMultiplyAdds = true)]", StringComparison.Ordinal);

    private static IReadOnlyDictionary<string, SystemUnderTest> CompileFused()
    {
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(TestSources.Executable.Select(WithOption).ToArray()));
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        return CompiledSystems.SystemsOf(CompiledSystems.EmitAndLoad(run.Output));
    }

    [Fact]
    public void EveryScenario_CompilesWithTheOption()
    {
        Assert.Equal(CompiledSystems.All.Keys.OrderBy(k => k, StringComparer.Ordinal), Fused.Value.Keys.OrderBy(k => k, StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(SystemNames))]
    public void Derivatives_MatchFiniteDifferences_AndTheDotProductTest(string name)
    {
        SystemUnderTest s = Fused.Value[name];
        int n = s.System.StateCount, m = s.System.ParameterCount;
        foreach (Point x in CompileAndRunTests.Points(s))
        {
            FiniteDifferences fd = FiniteDifferences.Of(s.System, x);
            Direction v = Direction.Random(x.Random, s.System);
            double[] f = new double[n], fDot = new double[n], a = CompileAndRunTests.RandomVector(x.Random, n), yBar = new double[n], pBar = new double[m];
            s.System.Jvp(x.T, x.Y, x.P, v.T, v.Y, v.P, f, fDot);
            double tBar = s.System.Vjp(x.T, x.Y, x.P, a, yBar, pBar);
            for (int i = 0; i < n; i++)
            {
                CompileAndRunTests.AssertClose(fd.Apply(i, v), fDot[i], $"dydtDot[{i}]");
            }

            for (int j = 0; j < n; j++)
            {
                CompileAndRunTests.AssertClose(Enumerable.Range(0, n).Sum(i => a[i] * fd.Dy[i, j]), yBar[j], $"yBar[{j}]");
            }

            for (int k = 0; k < m; k++)
            {
                CompileAndRunTests.AssertClose(Enumerable.Range(0, n).Sum(i => a[i] * fd.Dp[i, k]), pBar[k], $"pBar[{k}]");
            }

            double forward = Enumerable.Range(0, n).Sum(i => a[i] * fDot[i]);
            double reverse = Enumerable.Range(0, n).Sum(j => yBar[j] * v.Y[j]) + Enumerable.Range(0, m).Sum(k => pBar[k] * v.P[k]) + (tBar * v.T);
            double scale = Enumerable.Range(0, n).Sum(i => Math.Abs(a[i] * fDot[i])) + 1e-300;
            Assert.True(Math.Abs(forward - reverse) <= 1e-12 * scale, $"<a, J v> = {forward:R} but <Jᵀa, v> = {reverse:R}");
        }
    }

    [Theory]
    [MemberData(nameof(SystemNames))]
    public void Evaluate_AgreesWithTheUnfusedForm_ToAFewUlps(string name)
    {
        SystemUnderTest fused = Fused.Value[name], plain = CompiledSystems.All[name];
        int n = plain.System.StateCount;
        foreach (Point x in CompileAndRunTests.Points(plain))
        {
            double[] expected = new double[n], actual = new double[n], jvpF = new double[n], fDot = new double[n];
            plain.System.Evaluate(x.T, x.Y, x.P, expected);
            fused.System.Evaluate(x.T, x.Y, x.P, actual);

            // Each contraction drops one rounding of a product (half an ulp of it): a few ulps of the largest output,
            // on the scale of these programs' terms (inputs and parameters of order 1).
            CompileAndRunTests.AssertNear(expected, actual, 8 * Math.Pow(2, -52), "Evaluate");

            // Jvp returns the same contracted f as Evaluate.
            fused.System.Jvp(x.T, x.Y, x.P, 0, new double[n], new double[fused.System.ParameterCount], jvpF, fDot);
            Assert.Equal(actual, jvpF);
        }
    }

    [Theory]
    [MemberData(nameof(SystemNames))]
    public void Lane1_EqualsTheScalarMethods_BitForBit(string name)
    {
        SystemUnderTest s = Fused.Value[name];
        if (s.System is not IOdeLaneSystem lanes || TestSources.VectorizedSystems.Contains(name))
        {
            return;   // no lane form (runtime sizes), or scalar loops that VectorizeLoops sums in another order
        }

        int n = s.System.StateCount, m = s.System.ParameterCount;
        foreach (Point x in CompileAndRunTests.Points(s))
        {
            double[] f = new double[n], laneF = new double[n], a = CompileAndRunTests.RandomVector(x.Random, n);
            double[] yBar = new double[n], pBar = new double[m], laneYBar = new double[n], lanePBar = new double[m];
            s.System.Evaluate(x.T, x.Y, x.P, f);
            lanes.EvaluateLanes<Lane1>(x.T, Lanes(x.Y), Lanes(x.P), Lanes(laneF));
            double tBar = s.System.Vjp(x.T, x.Y, x.P, a, yBar, pBar);
            Lane1 laneTBar = lanes.VjpLanes<Lane1>(x.T, Lanes(x.Y), Lanes(x.P), Lanes(a), Lanes(laneYBar), Lanes(lanePBar));
            Assert.Equal(Bits(f), Bits(laneF));
            Assert.Equal(Bits(yBar), Bits(laneYBar));
            Assert.Equal(Bits(pBar), Bits(lanePBar));
            Assert.Equal(BitConverter.DoubleToInt64Bits(tBar), BitConverter.DoubleToInt64Bits(MemoryMarshal.Cast<Lane1, double>(new[] { laneTBar })[0]));
        }
    }

    [Fact]
    public void Lorenz_CallsTheFusedOperation_InEveryForm()
    {
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(WithOption(TestSources.Lorenz)));
        Assert.Empty(GeneratorHarness.Errors(run.Output));
        string text = string.Join("\n", run.Sources.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"// ===== {s.Key} =====\n{s.Value}"));
        Snapshot.Verify("Lorenz.FuseMultiplyAdds", text);

        // dydt[1] = y[0] * (rho - y[2]) - y[1] and dydt[2] = y[0] * y[1] - beta * y[2], each one fused operation.
        string scalar = run.ScalarSources.Single().Value;
        string evaluate = scalar[scalar.IndexOf("void Evaluate", StringComparison.Ordinal)..scalar.IndexOf("void Jvp", StringComparison.Ordinal)];
        Assert.Equal(2, Count(evaluate, "global::System.Math.FusedMultiplyAdd("));
        string lanesText = run.LaneSources.Single().Value;
        string derivative = lanesText[lanesText.IndexOf("Derivative(double t", StringComparison.Ordinal)..];
        Assert.True(Count(derivative, "TLane.FusedMultiplyAdd(") >= 2, "the register form's f is fused");
    }

    private static int Count(string text, string what)
    {
        int count = 0;
        for (int at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private static Span<Lane1> Lanes(double[] values) => MemoryMarshal.Cast<double, Lane1>(values.AsSpan());

    private static long[] Bits(double[] values) => values.Select(BitConverter.DoubleToInt64Bits).ToArray();
}
