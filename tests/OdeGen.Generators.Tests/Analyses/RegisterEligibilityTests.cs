using System.Reflection;
using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Analyses;

/// <summary>
/// Register eligibility: a sum added to in a loop and still needed after a call that leaves the method (Math.Exp,
/// Math.Tanh) crosses that call in memory: stored before it and read from memory after it, so the loop keeps it in a
/// register.
/// Checked on the generated text (where the store and the reads go, and where none goes) and by running the code: Evaluate
/// bit for bit equal to the user's method, Jvp against central differences, Vjp against Jvp (the dot-product identity).
/// </summary>
public class RegisterEligibilityTests
{
    private const string Source = """
        using OdeGen;

        namespace Kept;

        public static partial class Fields
        {
            // A sum over a loop (long enough to stay a loop), then a call, then the sum: kept across the call.
            [OdeDynamics(States = 8, Parameters = 8)]
            public static void AcrossCall(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                for (int i = 0; i < 8; i++)
                {
                    double s = 0.0;
                    for (int j = 0; j < 8; j++)
                    {
                        s += p[j] * y[(i + j) % 8];
                    }

                    double e = Math.Exp(y[i]);
                    dydt[i] = e * s + Math.Tanh(s);
                }
            }

            // The same sum with no loop around its additions: nothing to keep (the JIT's own spill is one store).
            [OdeDynamics(States = 2, Parameters = 2)]
            public static void NoLoop(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                double s = p[0] * y[0];
                s += p[1] * y[1];
                double e = Math.Exp(y[0]);
                dydt[0] = e * s;
                dydt[1] = s;
            }

            // The sum is used up by the call: nothing crosses it in Evaluate (Jvp's tangent sum crosses the Sin of the value).
            [OdeDynamics(States = 8, Parameters = 8)]
            public static void UsedBefore(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                for (int i = 0; i < 8; i++)
                {
                    double s = 0.0;
                    for (int j = 0; j < 8; j++)
                    {
                        s += p[j] * y[(i + j) % 8];
                    }

                    dydt[i] = Math.Sin(s);
                }
            }
        }
        """;

    private static readonly Lazy<GeneratorRun> Run = new(() =>
    {
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(Source));
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        return run;
    });

    private static readonly Lazy<Assembly> Compiled = new(() => CompiledSystems.EmitAndLoad(Run.Value.Output));

    [Fact]
    public void ASumNeededAfterACall_IsStoredBeforeItAndReloadedAfter()
    {
        string evaluate = Method(File("AcrossCall"), "public void Evaluate(");
        int store = evaluate.IndexOf("sKept[0] = s;", StringComparison.Ordinal);
        int call = evaluate.IndexOf("global::System.Math.Exp(", StringComparison.Ordinal);
        int read = evaluate.IndexOf("e * sKept[0]", StringComparison.Ordinal);
        Assert.Contains("global::System.Span<double> sKept = stackalloc double[1];", evaluate, StringComparison.Ordinal);
        Assert.True(store >= 0 && store < call && call < read, evaluate);
        Assert.DoesNotContain("dydt[i] = e * s ", evaluate.Replace("// dydt[i]", "", StringComparison.Ordinal), StringComparison.Ordinal);

        // Jvp carries the sum's tangent past the same call: both are kept, and read back from memory after it.
        string jvp = Method(File("AcrossCall"), "public void Jvp(");
        Assert.Contains("global::System.Span<double> sDotKept = stackalloc double[1];", jvp, StringComparison.Ordinal);
        int tangent = jvp.IndexOf("sDotKept[0] = sDot;", StringComparison.Ordinal);
        Assert.True(tangent >= 0 && tangent < jvp.IndexOf("global::System.Math.Exp(", StringComparison.Ordinal), jvp);
    }

    [Theory]
    [InlineData("NoLoop")]
    [InlineData("UsedBefore")]
    public void SumsThatNoLoopAddsTo_OrThatDieBeforeTheCall_StayPut(string method) =>
        Assert.DoesNotContain("Kept[0]", Method(File(method), "public void Evaluate("), StringComparison.Ordinal);

    [Theory]
    [InlineData("AcrossCall")]
    [InlineData("NoLoop")]
    [InlineData("UsedBefore")]
    public void KeptSums_ChangeNoResult(string method)
    {
        Type fields = Compiled.Value.GetType("Kept.Fields")!;
        var system = (IOdeSystem)Activator.CreateInstance(fields.GetNestedType(method + "System")!)!;
        int n = system.StateCount, m = system.ParameterCount;
        var random = new Random(method.Length);
        double[] y = Vector(random, n), p = Vector(random, m), yDot = Vector(random, n), pDot = Vector(random, m), a = Vector(random, n);

        // Evaluate is the user's method, bit for bit.
        double[] mine = new double[n], theirs = new double[n];
        system.Evaluate(0.5, y, p, mine);
        var user = (RhsDelegate)Delegate.CreateDelegate(typeof(RhsDelegate), fields.GetMethod(method)!);
        user(0.5, y, p, theirs);
        Assert.Equal(theirs, mine);

        // Jvp against central differences of Evaluate.
        double[] f = new double[n], fDot = new double[n], plus = new double[n], minus = new double[n];
        system.Jvp(0.5, y, p, 0.0, yDot, pDot, f, fDot);
        const double h = 1e-6;
        system.Evaluate(0.5, Along(y, yDot, h), Along(p, pDot, h), plus);
        system.Evaluate(0.5, Along(y, yDot, -h), Along(p, pDot, -h), minus);
        for (int i = 0; i < n; i++)
        {
            double want = (plus[i] - minus[i]) / (2 * h);
            Assert.True(Math.Abs(fDot[i] - want) <= 1e-7 * (1 + Math.Abs(want)), $"{method}: Jvp[{i}] {fDot[i]:R} vs {want:R}");
        }

        // aᵀ(J·v) = (aᵀJ)·v.
        double[] yBar = new double[n], pBar = new double[m];
        system.Vjp(0.5, y, p, a, yBar, pBar);
        double left = a.Zip(fDot, (x, z) => x * z).Sum();
        double right = yBar.Zip(yDot, (x, z) => x * z).Sum() + pBar.Zip(pDot, (x, z) => x * z).Sum();
        Assert.True(Math.Abs(left - right) <= 1e-12 * (1 + Math.Abs(left)), $"{method}: {left:R} vs {right:R}");
    }

    private delegate void RhsDelegate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt);

    private static string File(string method) =>
        Run.Value.Sources.Single(s => s.Key.EndsWith("Fields." + method + "System.g.cs", StringComparison.Ordinal)).Value;

    /// <summary>The text of the method that starts with <paramref name="signature"/>, up to the next member.</summary>
    private static string Method(string file, string signature)
    {
        int start = file.IndexOf(signature, StringComparison.Ordinal);
        int end = file.IndexOf("/// <inheritdoc/>", start, StringComparison.Ordinal);
        return file[start..(end < 0 ? file.Length : end)];
    }

    private static double[] Vector(Random random, int length) => Enumerable.Range(0, length).Select(_ => (2 * random.NextDouble()) - 1).ToArray();

    private static double[] Along(double[] x, double[] direction, double h) => x.Select((v, i) => v + (h * direction[i])).ToArray();
}
