using System.Reflection;
using OdeGen.Generators.Tests.Emit;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Differentiation;

/// <summary>
/// Randomly generated programs with branches and a loop (<see cref="StructuredPrograms"/>), 100 to a
/// compilation: Evaluate and Jvp's dydt equal the user's method bit for bit, Jvp and the Jacobian match central
/// differences, and Vjp passes the dot-product test. A failure names the seed and the program.
/// </summary>
public class PropertyTests
{
    internal const int Seed = 20261122;
    private const int Batches = 5, PerBatch = 100;

    public static TheoryData<int> BatchNumbers => new(Enumerable.Range(0, Batches));

    [Theory]
    [MemberData(nameof(BatchNumbers))]
    public void RandomStructuredPrograms_MatchFiniteDifferences_AndTheDotProductTest(int batch)
    {
        string[] sources = Enumerable.Range(batch * PerBatch, PerBatch).Select(k => StructuredPrograms.Create(Seed, k)).ToArray();
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(sources));
        Assert.Empty(run.Result.Diagnostics.Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        Assembly assembly = CompiledSystems.EmitAndLoad(run.Output);

        int checkedPrograms = 0;
        for (int k = batch * PerBatch; k < (batch + 1) * PerBatch; k++)
        {
            Type owner = assembly.GetType($"P{k}.Program{k}")!;
            var system = (IOdeSystem)Activator.CreateInstance(owner.GetNestedType("RhsSystem")!)!;
            var user = owner.GetMethod("Rhs")!.CreateDelegate<Dynamics>();
            string context = $"seed {Seed}, program {k}:\n{StructuredPrograms.Create(Seed, k)}";
            Check(system, user, new Random(unchecked((Seed * 31) + (k * 7) + 1)), context);
            checkedPrograms++;
        }

        Assert.Equal(PerBatch, checkedPrograms);
    }

    /// <summary>
    /// The first 50 programs again with VectorizeLoops, in one compilation with the programs as they are: most
    /// of their loops stay scalar (a branch on i, a neighbour through %), the second loop over y.Length
    /// qualifies; either way Evaluate, Jvp and Vjp equal the programs' to 1e-12 and pass the dot-product test.
    /// </summary>
    [Fact]
    public void RandomStructuredPrograms_WithVectorizeLoops_EqualThemWithout()
    {
        const int Count = 50;
        string[] plain = Enumerable.Range(0, Count).Select(k => StructuredPrograms.Create(Seed, k)).ToArray();
        string[] vectorized = plain.Select((source, k) => source
            .Replace($"namespace P{k};", $"namespace PV{k};", StringComparison.Ordinal)
            .Replace($"Parameters = {StructuredPrograms.Parameters})]", $"Parameters = {StructuredPrograms.Parameters}, VectorizeLoops = true)]", StringComparison.Ordinal)).ToArray();
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(plain.Concat(vectorized).ToArray()));
        Assert.Empty(run.Result.Diagnostics.Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        Assembly assembly = CompiledSystems.EmitAndLoad(run.Output);

        string[] texts = run.ScalarSources.Where(s => s.Key.StartsWith("PV", StringComparison.Ordinal)).Select(s => s.Value).ToArray();
        Assert.Equal(Count, texts.Length);
        Assert.Contains(texts, t => t.Contains("IsHardwareAccelerated", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.Contains("// stays scalar (VectorizeLoops): branches on i", StringComparison.Ordinal));
        for (int k = 0; k < Count; k++)
        {
            IOdeSystem with = (IOdeSystem)Activator.CreateInstance(assembly.GetType($"PV{k}.Program{k}")!.GetNestedType("RhsSystem")!)!;
            IOdeSystem without = (IOdeSystem)Activator.CreateInstance(assembly.GetType($"P{k}.Program{k}")!.GetNestedType("RhsSystem")!)!;
            VectorizedLoopTests.CompareTwins(with, without, new Random(unchecked((Seed * 17) + k)), 1e-12, $"seed {Seed}, program {k}:\n{vectorized[k]}");
        }
    }

    private static void Check(IOdeSystem system, Dynamics user, Random random, string context)
    {
        const int n = StructuredPrograms.States, m = StructuredPrograms.Parameters;
        for (int sample = 0; sample < 2; sample++)
        {
            var x = new Point(random.NextDouble(), Vector(random, n, -0.9, 0.9), Vector(random, m, 0.5, 1.5), random);
            double[] expected = new double[n], actual = new double[n];
            user(x.T, x.Y, x.P, expected);
            system.Evaluate(x.T, x.Y, x.P, actual);
            for (int i = 0; i < n; i++)
            {
                Assert.True(BitConverter.DoubleToInt64Bits(expected[i]) == BitConverter.DoubleToInt64Bits(actual[i]), $"Evaluate[{i}] {actual[i]:R} vs {expected[i]:R}; {context}");
            }

            FiniteDifferences fd = FiniteDifferences.Of(system, x);
            Direction v = Direction.Random(random, system);
            double[] f = new double[n], fDot = new double[n];
            system.Jvp(x.T, x.Y, x.P, v.T, v.Y, v.P, f, fDot);
            for (int i = 0; i < n; i++)
            {
                // Jvp returns the user's f, bit for bit: derivative-only rewrites never touch the primal (issue #22).
                Assert.True(BitConverter.DoubleToInt64Bits(expected[i]) == BitConverter.DoubleToInt64Bits(f[i]), $"Jvp's dydt[{i}] {f[i]:R} vs {expected[i]:R}; {context}");
                double want = fd.Apply(i, v);
                Assert.True(Math.Abs(want - fDot[i]) <= 1e-5 * (1 + Math.Abs(want)), $"Jvp[{i}] {fDot[i]:R} vs FD {want:R}; {context}");
            }

            double[] a = Vector(random, n, -1, 1), yBar = new double[n], pBar = new double[m];
            double tBar = system.Vjp(x.T, x.Y, x.P, a, yBar, pBar);
            double left = a.Zip(fDot, (ai, d) => ai * d).Sum();
            double right = (tBar * v.T) + yBar.Zip(v.Y, (g, d) => g * d).Sum() + pBar.Zip(v.P, (g, d) => g * d).Sum();
            Assert.True(Math.Abs(left - right) <= 1e-10 * (1 + Math.Abs(left)), $"dot product {left:R} vs {right:R}; {context}");

            double[] dfdy = new double[n * n], dfdp = new double[n * m];
            system.Jacobian(x.T, x.Y, x.P, dfdy, dfdp);
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    Assert.True(Math.Abs(fd.Dy[i, j] - dfdy[(i * n) + j]) <= 1e-5 * (1 + Math.Abs(fd.Dy[i, j])), $"dfdy[{i},{j}]; {context}");
                }

                for (int k = 0; k < m; k++)
                {
                    Assert.True(Math.Abs(fd.Dp[i, k] - dfdp[(i * m) + k]) <= 1e-5 * (1 + Math.Abs(fd.Dp[i, k])), $"dfdp[{i},{k}]; {context}");
                }
            }
        }
    }

    private static double[] Vector(Random random, int length, double lo, double hi) =>
        Enumerable.Range(0, length).Select(_ => lo + ((hi - lo) * random.NextDouble())).ToArray();
}
