using System.Globalization;
using System.Reflection;
using OdeGen.Generators.Model;
using OdeGen.Generators.Tests.Differentiation;
using OdeGen.Generators.Tests.Infrastructure;
using OdeGen.Generators.Tests.Pipeline;
using OdeGen.Lanes;
using OdeGen.Testing;

namespace OdeGen.Generators.Tests.Emit;

/// <summary>
/// Loops that read static readonly fields under VectorizeLoops: a field is one run-time constant, the same in every
/// iteration, so the loop is vectorized with the field broadcast to every lane. The vectorized methods equal the same
/// program with the fields' values written as literals bit for bit (a literal is broadcast the same way and, like a
/// field, has no derivative), the program without the option to <see cref="VectorizedLoopTests"/>' tolerance, and
/// finite differences and the dot-product test; loops that stay scalar for another reason still do, cleanly.
/// </summary>
public class VectorizedFieldLoopTests
{
    private const double Tolerance = 1e-13;

    private static readonly string Gain = Math.Sqrt(2.0).ToString("R", CultureInfo.InvariantCulture);
    private static readonly string Decay = (1.0 / 3.0).ToString("R", CultureInfo.InvariantCulture);

    /// <summary>
    /// A sum over y.Length (19: two registers of 8 and a scalar remainder of 3 at Lane512) and a loop with a select, each
    /// reading the fields only inside the loop: Gain of the method's own class (private), Rates.Decay of another.
    /// </summary>
    private const string Body = """
        double s = 0;
        for (int i = 0; i < y.Length; i++) { s += Gain * p[i] * y[i]; }
        for (int i = 0; i < y.Length; i++)
        {
            double z = Gain * y[i] + s * p[i + 19];
            dydt[i] = (z > Rates.Decay ? Math.Tanh(z) : z * Rates.Decay) - y[i] * Rates.Decay;
        }
        """;

    [Fact]
    public void Legality_ALoopReadingStaticReadonlyFields_QualifiesInEveryMethod()
    {
        SystemIr ir = VectorizedLoopTests.Ir(Source("Fields", Body, vectorize: true));
        Assert.Equal(new string?[] { null, null }, VectorizedLoopTests.Reasons(ir.Evaluate));
        Assert.Equal(new string?[] { null, null }, VectorizedLoopTests.Reasons(ir.Jvp));
        Assert.All(VectorizedLoopTests.Reasons(ir.Vjp), r => Assert.Null(r));
    }

    [Fact]
    public void ALoopReadingFields_IsVectorized_EqualsTheLiteralFormBitForBit_TheScalarFormToRounding_AndDifferentiates()
    {
        string literal = Body.Replace("Rates.Decay", Decay, StringComparison.Ordinal).Replace("Gain", Gain, StringComparison.Ordinal);
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(
            Source("Fields", Body, vectorize: true), Source("Fields.Literal", literal, vectorize: true), Source("Fields.Scalar", Body, vectorize: false)));
        Assert.Empty(run.Result.Diagnostics.Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        Assert.Empty(GeneratorHarness.Errors(run.Output));
        Assembly assembly = CompiledSystems.EmitAndLoad(run.Output);

        // Both loops forward, both in Jvp, and the reverse loops in Vjp run in helpers; none stays scalar. (Of the second-order
        // file's loops, those that branch on i or write yBarDot stay scalar, as they do without fields.)
        string text = run.ScalarSources["Fields.Loops.RhsSystem.g.cs"];
        foreach (string helper in new[] { "EvaluateLoop0<TLane>", "EvaluateLoop1<TLane>", "JvpLoop0<TLane>", "JvpLoop1<TLane>", "VjpLoop0<TLane>", "VjpLoop1<TLane>", "VjpLoop2<TLane>" })
        {
            Assert.Contains(helper, text, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("stays scalar", text, StringComparison.Ordinal);
        Assert.Contains("TLane.Create(global::Fields.Rates.Decay)", text, StringComparison.Ordinal);

        IOdeSystem vectorized = System(assembly, "Fields.Loops"), withLiterals = System(assembly, "Fields.Literal.Loops"), scalar = System(assembly, "Fields.Scalar.Loops");
        OutsideUserConstructsTests.AssertSameOutputs(withLiterals, vectorized, new Random(5), Array.Empty<double[]>());
        VectorizedLoopTests.CompareTwins(vectorized, scalar, new Random(6), Tolerance, "fields in vectorized loops");
        AssertDerivativesMatchDifferences(vectorized, new Random(7));
        SecondOrderCheck.All((IOdeSystemSecondOrder)vectorized, new Random(8), "fields in vectorized loops");
        AugmentedCheck.EvaluateVjp((IOdeAugmentedLaneSystem)vectorized, new Random(13), "fields in vectorized loops");
        AssertSameDivergencePairs((IOdeAugmentedSystemSecondOrder)withLiterals, (IOdeAugmentedSystemSecondOrder)vectorized, new Random(14));

        var lanes = (IOdeLaneSystem)vectorized;
        var random = new Random(9);
        LaneComparison.AssertLanesMatchScalar<Lane1>(lanes, Points(random, Lane1.Count), 0.3, 0.7, "fields", scalarVectorized: true);
        LaneComparison.AssertLanesMatchScalar<Lane128>(lanes, Points(random, Lane128.Count), 0.3, 0.7, "fields", scalarVectorized: true);
        LaneComparison.AssertLanesMatchScalar<Lane256>(lanes, Points(random, Lane256.Count), 0.3, 0.7, "fields", scalarVectorized: true);
        LaneComparison.AssertLanesMatchScalar<Lane512>(lanes, Points(random, Lane512.Count), 0.3, 0.7, "fields", scalarVectorized: true);
    }

    [Fact]
    public void ALoopReadingFields_InFloat_IsTheUsersMethod_AtEveryWidth()
    {
        // VectorizeLoops is for double methods: the float form keeps its loops scalar and is the user's method to the bit.
        Assembly assembly = LegalUserCodeTests.Generate(SingleSources.FromDouble(Source("Fields", Body, vectorize: true)));
        Type type = assembly.GetType("Fields.Single.Loops+RhsSystem")!;
        var system = (IOdeLaneSystemSingle)Activator.CreateInstance(type)!;
        var user = type.DeclaringType!.GetMethod("Rhs")!.CreateDelegate<SingleDynamics>();
        var random = new Random(10);
        for (int sample = 0; sample < 4; sample++)
        {
            LanePointSingle x = LanePointSingle.Random(random, 19, 38);
            float[] expected = new float[19], actual = new float[19];
            user(0.5f, x.Y, x.P, expected);
            system.Evaluate(0.5f, x.Y, x.P, actual);
            Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
        }

        LaneComparisonSingle.AssertLanesMatchScalar<LaneSingle1>(system, PointsSingle(random, LaneSingle1.Count), 0.3f, 0.7f, "fields, float");
        LaneComparisonSingle.AssertLanesMatchScalar<LaneSingle128>(system, PointsSingle(random, LaneSingle128.Count), 0.3f, 0.7f, "fields, float");
        LaneComparisonSingle.AssertLanesMatchScalar<LaneSingle256>(system, PointsSingle(random, LaneSingle256.Count), 0.3f, 0.7f, "fields, float");
        LaneComparisonSingle.AssertLanesMatchScalar<LaneSingle512>(system, PointsSingle(random, LaneSingle512.Count), 0.3f, 0.7f, "fields, float");
    }

    [Fact]
    public void AFieldNamedLikeAKeyword_OrLikeALocalOfTheLoop_GetsABroadcastOfItsOwn()
    {
        // The helper names a field's broadcast after the field: '@double' must not become a keyword, nor 'gain' the user's local.
        const string body = "for (int i = 0; i < y.Length; i++) { double gainLanes = y[i] * Gain; dydt[i] = gainLanes * @double + p[i] * Gain; }";
        string members = "private static readonly double @double = 1.0 / 3.0;";
        string literal = body.Replace("@double", Decay, StringComparison.Ordinal).Replace("* Gain", "* " + Gain, StringComparison.Ordinal);
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(Source("Fields", body, vectorize: true, members), Source("Fields.Literal", literal, vectorize: true, members)));
        Assert.Empty(run.Result.Diagnostics);
        Assert.Empty(GeneratorHarness.Errors(run.Output));
        string text = run.ScalarSources["Fields.Loops.RhsSystem.g.cs"];
        Assert.Contains("TLane doubleLanes = TLane.Create(global::Fields.Loops.@double);", text, StringComparison.Ordinal);
        Assert.Contains("TLane gainLanes_2 = TLane.Create(global::Fields.Loops.Gain);", text, StringComparison.Ordinal);
        Assembly assembly = CompiledSystems.EmitAndLoad(run.Output);
        OutsideUserConstructsTests.AssertSameOutputs(System(assembly, "Fields.Literal.Loops"), System(assembly, "Fields.Loops"), new Random(15), Array.Empty<double[]>());
    }

    [Theory]
    [InlineData("for (int i = 0; i < y.Length; i++) { dydt[i] = Gain * y[(i + 1) % 19] - p[i] * Rates.Decay; }", "indexes with (i + 1) % 19, not base + s·i for a constant s")]
    [InlineData("for (int i = 0; i < y.Length; i++) { dydt[i] = i < 8 ? Gain * y[i] : -y[i] * Rates.Decay; }", "branches on i")]
    [InlineData("for (int i = 0; i < 6; i++) { dydt[i] = Gain * y[i] * Rates.Decay + p[i]; }", "runs fewer than 8 times")]
    public void ALoopReadingFields_ThatMustStayScalarForAnotherReason_FallsBackCleanly(string body, string reason)
    {
        // Nothing vectorized: the method is the one without the option, bit for bit, and says why in the generated code.
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(Source("Fields", body, vectorize: true), Source("Fields.Scalar", body, vectorize: false)));
        Assert.Null(run.Result.Results.Single().Exception);
        Assert.Empty(run.Result.Diagnostics.Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        Assert.Empty(GeneratorHarness.Errors(run.Output));
        string text = Text(run, "Fields.Loops.");
        Assert.Contains("// stays scalar (VectorizeLoops): " + reason, text, StringComparison.Ordinal);
        Assert.DoesNotContain("IsHardwareAccelerated", text, StringComparison.Ordinal);

        Assembly assembly = CompiledSystems.EmitAndLoad(run.Output);
        IOdeSystem vectorized = System(assembly, "Fields.Loops");
        OutsideUserConstructsTests.AssertSameOutputs(System(assembly, "Fields.Scalar.Loops"), vectorized, new Random(11), Array.Empty<double[]>());
        AssertDerivativesMatchDifferences(vectorized, new Random(12));
    }

    [Fact]
    public void GeneratedSource_MatchesSnapshot()
    {
        // First order only: the second-order file's helpers are printed by the same code and checked by running above.
        var compilation = GeneratorHarness.Compile(Source("Fields", Body, vectorize: true).Replace(", SecondOrder = true", string.Empty, StringComparison.Ordinal));
        GeneratorRun run = GeneratorHarness.Run(compilation);
        Assert.All(run.Result.Diagnostics, d => Assert.Equal("ODE0016", d.Id));   // the select's kink
        string text = Text(run, "Fields.Loops.");
        Snapshot.Verify("VectorizedLoop.Fields", text);
        Incrementality.AssertAllStepsCached(run.Driver.RunGenerators(compilation.Clone()).GetRunResult());
    }

    /// <summary>
    /// EvaluateDivergence and VjpDivergenceVjp of <paramref name="actual"/> equal <paramref name="expected"/>'s bit for bit. (Under
    /// VectorizeLoops, the scalar methods are not their Lane1 forms to the bit, fields or not, so AugmentedCheck.DivergencePairs does not apply.)
    /// </summary>
    private static void AssertSameDivergencePairs(IOdeAugmentedSystemSecondOrder expected, IOdeAugmentedSystemSecondOrder actual, Random random)
    {
        int n = expected.StateCount, m = expected.ParameterCount;
        for (int sample = 0; sample < 3; sample++)
        {
            LanePoint x = LanePoint.Random(random, n, m);
            double t = random.NextDouble(), s = 0.5 + random.NextDouble();
            Assert.Equal(Pairs(expected, t, x, s).Select(BitConverter.DoubleToInt64Bits), Pairs(actual, t, x, s).Select(BitConverter.DoubleToInt64Bits));
        }
    }

    /// <summary>EvaluateDivergence's trace and f, then VjpDivergenceVjp's tBar, yBar and pBar (added to the point's).</summary>
    private static double[] Pairs(IOdeAugmentedSystemSecondOrder system, double t, LanePoint x, double s)
    {
        double[] f = new double[system.StateCount], yBar = (double[])x.YBar.Clone(), pBar = (double[])x.PBar.Clone();
        double trace = system.EvaluateDivergence(t, x.Y, x.P, f);
        double tBar = system.VjpDivergenceVjp(t, x.Y, x.P, x.A, s, yBar, pBar);
        return f.Prepend(trace).Append(tBar).Concat(yBar).Concat(pBar).ToArray();
    }

    /// <summary>Jvp against central differences of Evaluate, Vjp against Jvp by the dot-product test, at seeded points.</summary>
    private static void AssertDerivativesMatchDifferences(IOdeSystem system, Random random)
    {
        int n = system.StateCount, m = system.ParameterCount;
        for (int sample = 0; sample < 3; sample++)
        {
            var x = new Point(random.NextDouble(), LanePoint.Vector(random, n, -0.9, 0.9), LanePoint.Vector(random, m, 0.5, 1.5), random);
            Direction v = Direction.Random(random, system);
            double[] f = new double[n], fDot = new double[n];
            system.Jvp(x.T, x.Y, x.P, v.T, v.Y, v.P, f, fDot);
            FiniteDifferences fd = FiniteDifferences.Of(system, x);
            for (int i = 0; i < n; i++)
            {
                CompileAndRunTests.AssertClose(fd.Apply(i, v), fDot[i], $"dydtDot[{i}]");
            }

            double[] a = LanePoint.Vector(random, n, -1, 1), yBar = new double[n], pBar = new double[m];
            double tBar = system.Vjp(x.T, x.Y, x.P, a, yBar, pBar);
            double forward = a.Zip(fDot, (ai, d) => ai * d).Sum();
            double reverse = (tBar * v.T) + yBar.Zip(v.Y, (g, d) => g * d).Sum() + pBar.Zip(v.P, (g, d) => g * d).Sum();
            Assert.True(Math.Abs(forward - reverse) <= 1e-12 * (1 + Math.Abs(forward)), $"<a, J v> = {forward:R} but <Jᵀa, v> = {reverse:R}");
        }
    }

    /// <summary>The scalar files (first and second order) of the system whose hint names start with <paramref name="prefix"/>, each under its name.</summary>
    private static string Text(GeneratorRun run, string prefix) => string.Join("\n", run.ScalarSources
        .Where(s => s.Key.StartsWith(prefix, StringComparison.Ordinal)).OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"// ===== {s.Key} =====\n{s.Value}"));

    private static IOdeSystem System(Assembly assembly, string type) =>
        (IOdeSystem)Activator.CreateInstance(assembly.GetType(type)!.GetNestedType("RhsSystem")!)!;

    private static List<LanePoint> Points(Random random, int count) =>
        Enumerable.Range(0, count).Select(_ => LanePoint.Random(random, 19, 38)).ToList();

    private static List<LanePointSingle> PointsSingle(Random random, int count) =>
        Enumerable.Range(0, count).Select(_ => LanePointSingle.Random(random, 19, 38)).ToList();

    /// <summary>A 19-state, 38-parameter method with <paramref name="body"/>, and the fields it reads.</summary>
    private static string Source(string ns, string body, bool vectorize, string members = "") => $$"""
        using OdeGen;

        namespace {{ns}};

        public static partial class Loops
        {
            private static readonly double Gain = Math.Sqrt(2.0);
            {{members}}

            [OdeDynamics(States = 19, Parameters = 38, SecondOrder = true{{(vectorize ? ", VectorizeLoops = true" : string.Empty)}})]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                {{body}}
            }
        }

        public static class Rates
        {
            public static readonly double Decay = 1.0 / 3.0;
        }
        """;
}
