using System.Reflection;
using OdeGen.Generators.Tests.Infrastructure;
using OdeGen.Lanes;
using OdeGen.Testing;

namespace OdeGen.Generators.Tests.Pipeline;

/// <summary>
/// The float lanes' comparison with the double twin (<see cref="FloatTwin"/>): a program whose lanes miss the fixed
/// tolerance only through its conditioning passes, and a wrong lane value still fails, in the judge alone and through
/// the whole check on a generated program.
/// </summary>
public class FloatTwinTests
{
    [Fact]
    public void Program501_74_LanesAsAccurateAsTheScalarFloat_Passes()
    {
        // As found: float program 501:74 missed the fixed 1e-5 although lanes and scalar float have the same errors
        // against the double twin.
        FuzzProgram x = LegalCSharpFuzz.Create(501, 74);
        Assert.True(x.IsFloat);
        var stats = new FuzzStats();
        List<string> failures = LegalCSharpFuzzTests.CheckBatch(new[] { x }, stats);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Equal(1, stats.Generated);
    }

    [Fact]
    public void Twin_IsTheSameProgramInDouble()
    {
        FuzzProgram x = LegalCSharpFuzz.Create(501, 74);
        FuzzProgram twin = FloatTwin.Of(x);
        Assert.False(twin.IsFloat);
        Assert.DoesNotContain("float", twin.Source, StringComparison.Ordinal);
        Assert.DoesNotContain("MathF", twin.Source, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"[0-9]f\b", twin.Source);
        Assert.Equal(x.Source.Replace("MathF", "Math", StringComparison.Ordinal).Replace("float", "double", StringComparison.Ordinal).Length,
            twin.Source.Length + System.Text.RegularExpressions.Regex.Matches(x.Source, @"[0-9]f\b").Count);
        Assert.Empty(GeneratorHarness.Errors(GeneratorHarness.Compile(twin.Source)));
    }

    [Fact]
    public void Judge_LanesNoWorseThanTheScalarFloat_Passes()
    {
        double[] twin = { 1.0, -2.0, 1e-3 };
        float[] scalar = { 1.0001f, -2f, 1e-3f }, lanes = { 0.9997f, -2f, 1e-3f };
        FloatTwin.Judge(scalar, lanes, twin, "judge");
    }

    [Theory]
    [InlineData(0, 1.001f)]   // a wrong term: 0.1 % off
    [InlineData(2, 0.5f)]     // a small element replaced by another lane's value
    [InlineData(1, float.NaN)]
    public void Judge_AWrongLaneValue_Fails(int element, float wrong)
    {
        double[] twin = { 1.0, -2.0, 0.25 };
        float[] scalar = { 1.0000001f, -2f, 0.25f }, lanes = (float[])scalar.Clone();
        lanes[element] = wrong;
        Assert.Throws<InvalidOperationException>(() => FloatTwin.Judge(scalar, lanes, twin, "judge"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WholeCheck_OnProgram501_74_CatchesTwoLanesSwapped(bool swap)
    {
        // The generated lanes of 501:74 with lanes 0 and 1 of every output swapped: the fixed tolerance misses, and the twin
        // must not excuse it. Unswapped, the same path passes (the check is not failing for another reason).
        FuzzProgram x = LegalCSharpFuzz.Create(501, 74);
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(x.Source));
        Assembly assembly = CompiledSystems.EmitAndLoad(run.Output);
        Type type = assembly.GetType(x.GeneratedTypeName)!;
        ConstructorInfo? sized = type.GetConstructors().FirstOrDefault(c => c.GetParameters().Length > 0);
        var system = (IOdeLaneSystemSingle)(sized is null ? Activator.CreateInstance(type)! : sized.Invoke(sized.GetParameters().Select(_ => (object)x.Size).ToArray()));
        IOdeLaneSystemSingle judged = swap ? new SwappedLanes(system) : system;
        // Data on which the fixed tolerance misses even for the unswapped lanes, so that the twin is what decides.
        Exception? miss = null;
        List<LanePointSingle>? points = null;
        for (int seed = 0; seed < 40 && miss is null; seed++)
        {
            var random = new Random(seed);
            points = Enumerable.Range(0, LaneSingle256.Count).Select(_ => LanePointSingle.Random(random, system.StateCount, system.ParameterCount)).ToList();
            miss = Record.Exception(() => FuzzCheck.WideLanes(() => LaneComparisonSingle.AssertLanesMatchScalar<LaneSingle256>(system, points, 0.3f, 0.7f, x.ToString()), relative: 1e-5));
        }

        Assert.NotNull(miss);
        if (swap)
        {
            Assert.Throws<InvalidOperationException>(() => FloatTwin.LanesAgainstTwin(x, judged, points!, 0.3f, 0.7f, miss));
        }
        else
        {
            FloatTwin.LanesAgainstTwin(x, judged, points!, 0.3f, 0.7f, miss);
        }
    }

    /// <summary>A lane system whose lane methods swap lanes 0 and 1 of every output: a lane bug.</summary>
    private sealed class SwappedLanes(IOdeLaneSystemSingle inner) : IOdeLaneSystemSingle
    {
        public int StateCount => inner.StateCount;

        public int ParameterCount => inner.ParameterCount;

        public void Evaluate(float t, ReadOnlySpan<float> y, ReadOnlySpan<float> p, Span<float> dydt) => inner.Evaluate(t, y, p, dydt);

        public void Jvp(float t, ReadOnlySpan<float> y, ReadOnlySpan<float> p, float tDot, ReadOnlySpan<float> yDot, ReadOnlySpan<float> pDot, Span<float> dydt, Span<float> dydtDot) =>
            inner.Jvp(t, y, p, tDot, yDot, pDot, dydt, dydtDot);

        public float Vjp(float t, ReadOnlySpan<float> y, ReadOnlySpan<float> p, ReadOnlySpan<float> a, Span<float> yBar, Span<float> pBar) =>
            inner.Vjp(t, y, p, a, yBar, pBar);

        public void Jacobian(float t, ReadOnlySpan<float> y, ReadOnlySpan<float> p, Span<float> dfdy, Span<float> dfdp) => inner.Jacobian(t, y, p, dfdy, dfdp);

        public void EvaluateLanes<TLane>(float t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, Span<TLane> dydt)
            where TLane : unmanaged, ILaneSingle<TLane>
        {
            inner.EvaluateLanes(t, y, p, dydt);
            Swap(dydt);
        }

        public void JvpLanes<TLane>(float t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, float tDot, ReadOnlySpan<TLane> yDot, ReadOnlySpan<TLane> pDot, Span<TLane> dydt, Span<TLane> dydtDot)
            where TLane : unmanaged, ILaneSingle<TLane>
        {
            inner.JvpLanes(t, y, p, tDot, yDot, pDot, dydt, dydtDot);
            Swap(dydt);
            Swap(dydtDot);
        }

        public TLane VjpLanes<TLane>(float t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, ReadOnlySpan<TLane> a, Span<TLane> yBar, Span<TLane> pBar)
            where TLane : unmanaged, ILaneSingle<TLane> => inner.VjpLanes(t, y, p, a, yBar, pBar);

        private static void Swap<TLane>(Span<TLane> values)
            where TLane : unmanaged, ILaneSingle<TLane>
        {
            Span<float> column = stackalloc float[TLane.Count];
            for (int i = 0; i < values.Length; i++)
            {
                for (int l = 0; l < TLane.Count; l++)
                {
                    column[l] = TLane.GetLane(values[i], l);
                }

                (column[0], column[1]) = (column[1], column[0]);
                values[i] = TLane.Load(column);
            }
        }
    }
}
