using System.Reflection;
using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Infrastructure;
using OdeGen.Lanes;

namespace OdeGen.Generators.Tests.Differentiation;

/// <summary>
/// Issue #22, "never a wrong number": the f that Jvp returns (dydt), the f the lane methods return at Lane1 and
/// Evaluate all equal the user's method, compiled as written, bit for bit. Derivative-only rewrites (0·x = 0,
/// x + 0 = x, 0 − x = −x, 0/x = 0, x·(1/y) = x/y, FMA contraction) may change derivative values only.
/// </summary>
public class PrimalAgreementTests
{
    /// <summary>
    /// One rewrite per output that differs from IEEE arithmetic somewhere: x·(1/y) by an ulp in about a quarter of
    /// inputs; 0·x and 0/x in the sign of zero for negative x; x + 0 for x = −0; 0 − x for x = 0; and the others at
    /// infinities and NaN.
    /// </summary>
    internal const string Rewrites = """
        using OdeGen;

        namespace Primal;

        public static partial class Rewrites
        {
            [OdeDynamics]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                dydt[0] = p[0] * (1.0 / (1.0 + y[0]));
                dydt[1] = 0.0 * y[1] + y[0] * 0.0;
                dydt[2] = 0.0 / y[2] - (y[1] * y[2] + 0.0);
                dydt[3] = (0.0 - y[3] * y[0]) * (-y[1] * p[1]);
                dydt[4] = y[4] / -1.0 + Math.Pow(y[4], 1.0) * Math.Pow(y[0], 0.0) + (-y[3]) / p[1];
                dydt[5] = y[5] * y[5] + p[0] * y[0] - (y[1] * p[1] + y[2]) + t * t;
            }
        }
        """;

    /// <summary>The hostile tester's reproduction, alone.</summary>
    internal const string Reciprocal = """
        using OdeGen;

        namespace Primal;

        public static partial class Reciprocal
        {
            [OdeDynamics]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                dydt[0] = p[0] * (1.0 / (1.0 + y[0]));
            }
        }
        """;

    private static readonly Lazy<(Assembly Assembly, GeneratorRun Run)> Compiled = new(() =>
    {
        string[] sources = RandomPrograms.Create(count: 100, seed: 20261203).Append(Rewrites).Append(Reciprocal).ToArray();
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(sources));
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        return (CompiledSystems.EmitAndLoad(run.Output), run);
    });

    [Fact]
    public void XTimesReciprocal_JvpAndLanesReturnTheUsersF_BitForBit()
    {
        // The hostile tester's case: p[0] * (1.0 / (1.0 + y[0])) differed from Jvp's dydt by 1 ulp in ~25% of inputs.
        (IOdeSystem system, Dynamics user) = Load("Primal.Reciprocal");
        var random = new Random(22);
        int disagreements = 0, samples = 10_000;
        for (int s = 0; s < samples; s++)
        {
            double[] y = Vector(random, 1, -0.9, 0.9), p = Vector(random, 1, 0.5, 1.5);
            disagreements += Disagreements(system, user, random.NextDouble(), y, p) > 0 ? 1 : 0;
        }

        Assert.True(disagreements == 0, $"{disagreements} of {samples} inputs: Evaluate, Jvp's dydt and the user's method differ; last: {LastDisagreement}");
    }

    [Fact]
    public void DerivativeOnlyRewrites_NeverTouchThePrimal_AtSpecialValues()
    {
        (IOdeSystem system, Dynamics user) = Load("Primal.Rewrites");
        double[] special = { 0.0, -0.0, 1.0, -1.0, 0.5, -2.0, double.PositiveInfinity, double.NegativeInfinity, double.NaN, double.Epsilon, 1e308 };
        var random = new Random(23);
        for (int s = 0; s < 4000; s++)
        {
            double[] y = Enumerable.Range(0, 6).Select(_ => special[random.Next(special.Length)]).ToArray();
            double[] p = Enumerable.Range(0, 2).Select(_ => special[random.Next(special.Length)]).ToArray();
            Assert.True(Disagreements(system, user, special[random.Next(special.Length)], y, p) == 0, LastDisagreement);
        }
    }

    [Fact]
    public void RandomPrograms_EvaluateAndJvpReturnTheUsersF_BitForBit()
    {
        var random = new Random(24);
        double[] special = { 0.0, -0.0, 1.0, -1.0, double.PositiveInfinity, double.NaN };
        for (int k = 0; k < 100; k++)
        {
            (IOdeSystem system, Dynamics user) = Load($"Random{k}.Program{k}");
            for (int s = 0; s < 40; s++)
            {
                // Mostly ordinary inputs, some with special values (NaN, infinities and signed zeros must agree as well).
                double[] y = Vector(random, 3, -2, 2), p = Vector(random, 2, -2, 2);
                if (s % 4 == 3)
                {
                    y[random.Next(3)] = special[random.Next(special.Length)];
                }

                Assert.True(Disagreements(system, user, random.NextDouble(), y, p) == 0, $"program {k}, sample {s}: {LastDisagreement}\n{RandomPrograms.Create(100, 20261203)[k]}");
            }
        }
    }

    /// <summary>The last difference <see cref="Disagreements"/> found, for the failure message.</summary>
    [ThreadStatic]
    private static string? LastDisagreement;

    /// <summary>How many outputs of Evaluate, Jvp's dydt and EvaluateLanes/JvpLanes at Lane1 differ from the user's method (bits).</summary>
    private static int Disagreements(IOdeSystem system, Dynamics user, double t, double[] y, double[] p)
    {
        int n = system.StateCount;
        double[] expected = new double[n], evaluate = new double[n], jvp = new double[n], jvpDot = new double[n];
        user(t, y, p, expected);
        system.Evaluate(t, y, p, evaluate);
        system.Jvp(t, y, p, 1.0, Enumerable.Repeat(0.5, n).ToArray(), Enumerable.Repeat(0.25, p.Length).ToArray(), jvp, jvpDot);

        var lanes = (IOdeLaneSystem)system;
        Lane1[] yl = y.Select(v => Lane1.Create(v)).ToArray(), pl = p.Select(v => Lane1.Create(v)).ToArray();
        Lane1[] f = new Lane1[n], f2 = new Lane1[n], fDot = new Lane1[n];
        lanes.EvaluateLanes<Lane1>(t, yl, pl, f);
        lanes.JvpLanes<Lane1>(t, yl, pl, 1.0, Enumerable.Repeat(Lane1.Create(0.5), n).ToArray(), Enumerable.Repeat(Lane1.Create(0.25), p.Length).ToArray(), f2, fDot);

        int count = 0;
        string[] paths = { "Evaluate", "Jvp", "EvaluateLanes<Lane1>", "JvpLanes<Lane1>" };
        for (int i = 0; i < n; i++)
        {
            long want = BitConverter.DoubleToInt64Bits(expected[i]);
            double[] got = { evaluate[i], jvp[i], Lane1.GetLane(f[i], 0), Lane1.GetLane(f2[i], 0) };
            for (int k = 0; k < got.Length; k++)
            {
                // NaN payloads may differ between paths that both produce NaN; any NaN is the same result.
                bool same = BitConverter.DoubleToInt64Bits(got[k]) == want || (double.IsNaN(got[k]) && double.IsNaN(expected[i]));
                count += same ? 0 : 1;
                if (!same)
                {
                    LastDisagreement = $"{paths[k]} dydt[{i}] = {got[k]:R}, the user's method {expected[i]:R} (t = {t:R}, y = {string.Join(", ", y.Select(v => v.ToString("R")))}, p = {string.Join(", ", p.Select(v => v.ToString("R")))})";
                }
            }
        }

        return count;
    }

    private static (IOdeSystem System, Dynamics User) Load(string typeName)
    {
        Type owner = Compiled.Value.Assembly.GetType(typeName)!;
        var system = (IOdeSystem)Activator.CreateInstance(owner.GetNestedType("RhsSystem")!)!;
        return (system, owner.GetMethod("Rhs")!.CreateDelegate<Dynamics>());
    }

    private static double[] Vector(Random random, int length, double lo, double hi) =>
        Enumerable.Range(0, length).Select(_ => lo + ((hi - lo) * random.NextDouble())).ToArray();
}
