using System.Reflection;
using System.Runtime.Intrinsics;
using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Infrastructure;
using OdeGen.Tests.ChildProcesses;
using Xunit.Abstractions;

namespace OdeGen.Generators.Tests.Emit;

/// <summary>
/// EvaluateDivergence under VectorizeLoops: its f is Evaluate's bit for bit, and its trace Divergence's, for loop shapes
/// that run in SIMD registers in Evaluate (sums grouped by lane, the lane kernels of Exp, Tanh and Sin, a stackalloc
/// hidden layer, a run-time length, an inner loop), at the widest width this process has and, in child processes, with
/// AVX-512 and with AVX2 switched off (the helpers' narrower branches). One sweep computing f in scalar order missed
/// Evaluate's bits by an ulp or more, so a continuous normalizing flow's field disagreed with Evaluate.
/// </summary>
public class VectorizedDivergenceTests(ITestOutputHelper output)
{
    // (AugmentedCheck.DivergencePairs holds Lane1 to the scalar methods' bits, which VectorizeLoops' scalar methods do not
    // keep: their lane forms are not vectorized across the loop index. Only f and the trace are this test's.)

    /// <summary>Bodies of Rhs with 16 states and 32 parameters, each with a loop VectorizeLoops runs in registers in Evaluate.</summary>
    private static readonly (string Name, string Body)[] Shapes =
    {
        ("OwnElement", "for (int i = 0; i < 16; i++) dydt[i] = Math.Exp(-y[i] * y[i]) * p[i] - y[i] * p[i + 16];"),
        ("SumThenOwnElement", "double s = 0;\nfor (int i = 0; i < 16; i++) s += y[i] * p[i];\nfor (int i = 0; i < 16; i++) dydt[i] = Math.Tanh(s * y[i]) - p[i + 16] * y[i];"),
        ("HiddenLayer", "Span<double> h = stackalloc double[16];\nfor (int i = 0; i < 16; i++) h[i] = Math.Tanh(p[i] * y[i] + p[16 + i]);\ndouble s = 0;\nfor (int i = 0; i < 16; i++) s += h[i] * p[i];\nfor (int i = 0; i < 16; i++) dydt[i] = s * h[i] - y[i];"),
        ("RunTimeLength", "double s = 0;\nfor (int i = 0; i < y.Length; i++) s += y[i] * y[i] * p[i];\nfor (int i = 0; i < y.Length; i++) dydt[i] = Math.Sin(y[i]) * p[0] - s * y[i] * p[i + 16];"),
        ("InnerSums", "for (int i = 0; i < 16; i++) dydt[i] = -y[i] * p[i + 16];\nfor (int k = 0; k < 2; k++) { double s = 0; for (int j = 0; j < 16; j++) s += p[j] * y[j] * (k + 1); dydt[k] += s; }"),
    };

    private static readonly Lazy<(Assembly Assembly, GeneratorRun Run)> Compiled = new(() =>
    {
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(Shapes.Select(s => Source(s.Name, s.Body)).ToArray()));
        Assert.Empty(run.Result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
        Assert.Empty(GeneratorHarness.Errors(run.Output));
        return (CompiledSystems.EmitAndLoad(run.Output), run);
    });

    [Fact]
    public void EvaluateDivergence_WritesEvaluatesBits_AndReturnsDivergencesBits()
    {
        (Assembly assembly, GeneratorRun run) = Compiled.Value;
        string widths = $"Vector512.IsHardwareAccelerated={Vector512.IsHardwareAccelerated}, Vector256.IsHardwareAccelerated={Vector256.IsHardwareAccelerated}, "
            + $"Vector128.IsHardwareAccelerated={Vector128.IsHardwareAccelerated}";
        output.WriteLine(widths);
        if (Environment.GetEnvironmentVariable("ODEGEN_VECTOR_WIDTH_REPORT") is { } report)
        {
            File.WriteAllText(report, widths);
        }

        foreach ((string name, _) in Shapes)
        {
            // Evaluate runs a loop in registers: its helper is there, dispatching on the hardware's widths.
            string scalar = run.ScalarSources.Single(s => s.Key.StartsWith($"Users.{name}.", StringComparison.Ordinal) && s.Key.EndsWith("RhsSystem.g.cs", StringComparison.Ordinal)).Value;
            Assert.Contains("Vector512.IsHardwareAccelerated", scalar, StringComparison.Ordinal);
            string augmented = run.Sources.Single(s => s.Key.StartsWith($"Users.{name}.", StringComparison.Ordinal) && s.Key.EndsWith(".Augmented.g.cs", StringComparison.Ordinal)).Value;
            Assert.Contains("Evaluate(t, y, p, dydt);\n", augmented, StringComparison.Ordinal);
            Assert.Contains("return Divergence(t, y, p);\n", augmented, StringComparison.Ordinal);

            var system = (IOdeAugmentedLaneSystemSecondOrder)Activator.CreateInstance(assembly.GetType($"Users.{name}.C")!.GetNestedType("RhsSystem")!)!;
            var random = new Random(name.Length);
            for (int sample = 0; sample < 8; sample++)
            {
                double t = random.NextDouble();
                double[] y = Vector(random, 16, -1.5, 1.5), p = Vector(random, 32, -1, 1);
                double[] f = new double[16], f2 = new double[16];
                system.Evaluate(t, y, p, f);
                double trace = system.EvaluateDivergence(t, y, p, f2);
                Assert.True(f.Select(BitConverter.DoubleToInt64Bits).SequenceEqual(f2.Select(BitConverter.DoubleToInt64Bits)),
                    $"{name} ({widths}): EvaluateDivergence's f [{string.Join(", ", f2.Select(v => v.ToString("R")))}] is not Evaluate's [{string.Join(", ", f.Select(v => v.ToString("R")))}]");
                Assert.Equal(BitConverter.DoubleToInt64Bits(system.Divergence(t, y, p)), BitConverter.DoubleToInt64Bits(trace));
            }
        }
    }

    [DotnetHostFact]
    public void EvaluateDivergence_WritesEvaluatesBits_WithAvx512AndWithAvx2SwitchedOff()
    {
        string testAssembly = typeof(VectorizedDivergenceTests).Assembly.Location;
        string[][] settings = { new[] { "DOTNET_EnableAVX512F", "DOTNET_EnableAVX512" }, new[] { "DOTNET_EnableAVX2" } };
        foreach (string[] variables in settings)
        {
            string work = Directory.CreateTempSubdirectory("odegen-divergence-").FullName;
            string report = Path.Combine(work, "widths.txt");
            var environment = variables.ToDictionary(v => v, _ => "0");
            environment["ODEGEN_VECTOR_WIDTH_REPORT"] = report;
            Dotnet.Result child = Dotnet.Process(DotnetHost.Path!, work, null, environment, TimeSpan.FromMinutes(4),
                "test", testAssembly, "--filter", $"FullyQualifiedName={typeof(VectorizedDivergenceTests).FullName}.{nameof(EvaluateDivergence_WritesEvaluatesBits_AndReturnsDivergencesBits)}", "--nologo");
            string what = string.Join(" ", variables.Select(v => v + "=0"));
            string widths = File.Exists(report) ? File.ReadAllText(report) : "(no report: the test did not run)";
            output.WriteLine($"{what}: exit {child.ExitCode} in {child.Seconds:F1} s; {widths}");
            Assert.True(child.ExitCode == 0, $"{what}: the bit-for-bit test failed (exit {child.ExitCode}):\n{child.Output}");
            Assert.Contains("Passed!", child.Output, StringComparison.Ordinal);
            Assert.Contains("Vector512.IsHardwareAccelerated=False", widths, StringComparison.Ordinal);
            if (variables.Contains("DOTNET_EnableAVX2"))
            {
                Assert.Contains("Vector256.IsHardwareAccelerated=False", widths, StringComparison.Ordinal);
            }

            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder is harmless.
            }
        }
    }

    private static double[] Vector(Random random, int length, double lo, double hi) =>
        Enumerable.Range(0, length).Select(_ => lo + ((hi - lo) * random.NextDouble())).ToArray();

    private static string Source(string name, string body) => $$"""
        using OdeGen;
        namespace Users.{{name}};
        public static partial class C
        {
            [OdeDynamics(States = 16, Parameters = 32, SecondOrder = true, VectorizeLoops = true)]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                {{body}}
            }
        }
        """;
}
