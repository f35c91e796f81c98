using System.Reflection;
using OdeGen.Generators.Tests.Infrastructure;
using OdeGen.Lanes;
using OdeGen.Testing;

namespace OdeGen.Generators.Tests.Emit;

/// <summary>
/// The fused-step members (RegisterEmitter): which systems get them, that <c>LaneRegisters.Derivative</c> is
/// EvaluateLanes in every lane at every width (bit for bit with one lane), and that <c>ScalarRegisters.Derivative</c> is
/// Evaluate bit for bit, for every scenario and random program that has them.
/// </summary>
public class FusedRegisterTests
{
    public static TheoryData<string> FusedNames => new(Fused());

    private static string[] Fused() => CompiledSystems.All
        .Where(s => s.Value.System is IOdeFusedLaneSystem).Select(s => s.Key).OrderBy(k => k, StringComparer.Ordinal).ToArray();

    [Fact]
    public void StraightLineSystems_GetTheRegisterForm_LoopsAndRuntimeSizesDoNot()
    {
        string[] fused = Fused();
        Assert.Contains("Lorenz.Rhs", fused);
        Assert.Contains("Switch.Rhs", fused);       // branches on states: blends, still straight-line
        Assert.Contains("Pendulums.Rhs", fused);    // a loop of two trips, unrolled; helpers inlined
        Assert.DoesNotContain("Chain.Rhs", fused);  // sizes from the constructor: no constant state count
        Assert.DoesNotContain("Mlp.Rhs", fused);    // loops of 50 trips stay loops
        foreach ((string name, SystemUnderTest s) in CompiledSystems.All)
        {
            bool hasRegisters = s.System.GetType().GetNestedType("LaneRegisters`1") is not null;
            Assert.True(hasRegisters == s.System is IOdeFusedLaneSystem, name);
            Assert.True((s.System.GetType().GetNestedType("ScalarRegisters") is not null) == hasRegisters, name);
        }
    }

    [Theory]
    [MemberData(nameof(FusedNames))]
    public void Derivative_IsEvaluateLanes(string name) =>
        AtEveryWidth((IOdeLaneSystem)CompiledSystems.All[name].System, new Random(name.Length * 7919 + name[0]));

    [Fact]
    public void RandomPrograms_Derivative_IsEvaluateLanes()
    {
        var fused = LaneCompileAndRunTests.RandomSystems.Value.Where(s => s is IOdeFusedLaneSystem).ToList();
        Assert.True(fused.Count >= 20, $"only {fused.Count} of the random programs are straight-line");
        var random = new Random(20261202);
        foreach (IOdeLaneSystem system in fused)
        {
            AtEveryWidth(system, random);
        }
    }

    [Theory]
    [MemberData(nameof(FusedNames))]
    public void ScalarDerivative_IsEvaluate(string name) =>
        ScalarIsEvaluate((IOdeSystem)CompiledSystems.All[name].System, new Random(name.Length * 104729 + name[0]));

    [Fact]
    public void RandomPrograms_ScalarDerivative_IsEvaluate()
    {
        var random = new Random(20261206);
        foreach (IOdeLaneSystem system in LaneCompileAndRunTests.RandomSystems.Value.Where(s => s is IOdeFusedLaneSystem))
        {
            ScalarIsEvaluate((IOdeSystem)system, random);
        }
    }

    // ScalarRegisters.Derivative against Evaluate at random points, bit for bit: the same text on doubles.
    private static void ScalarIsEvaluate(IOdeSystem system, Random random)
    {
        int n = system.StateCount, m = system.ParameterCount;
        // Nested in a generic type, ScalarRegisters takes that type's arguments.
        Type registers = system.GetType().GetNestedType("ScalarRegisters")!;
        if (registers.IsGenericTypeDefinition) registers = registers.MakeGenericType(system.GetType().GetGenericArguments());
        MethodInfo harness = ScalarHarness.MakeGenericMethod(registers);
        for (int trial = 0; trial < 8; trial++)
        {
            LanePoint point = LanePoint.Random(random, n, m);
            double t = 0.3 + random.NextDouble();
            var expected = new double[n];
            var actual = new double[n];
            system.Evaluate(t, point.Y, point.P, expected);
            harness.Invoke(null, new object[] { t, point.Y, point.P, actual });
            Assert.True(expected.Select(BitConverter.DoubleToInt64Bits).SequenceEqual(actual.Select(BitConverter.DoubleToInt64Bits)),
                $"{system.GetType().FullName}: Evaluate [{string.Join(", ", expected.Select(v => v.ToString("R")))}], ScalarRegisters.Derivative [{string.Join(", ", actual.Select(v => v.ToString("R")))}]");
        }
    }

    private static readonly MethodInfo ScalarHarness = typeof(FusedRegisterTests).GetMethod(nameof(ScalarDerivative), BindingFlags.NonPublic | BindingFlags.Static)!;

    private static void ScalarDerivative<TRegisters>(double t, double[] y, double[] p, double[] dydt)
        where TRegisters : unmanaged, IScalarRegisters<TRegisters>
    {
        Assert.Equal(y.Length, TRegisters.StateCount);
        TRegisters.Store(TRegisters.Derivative(t, TRegisters.Load(y), p), dydt);
    }

    internal static void AtEveryWidth(IOdeLaneSystem system, Random random)
    {
        Check<Lane1>(system, random);
        Check<Lane128>(system, random);
        Check<Lane256>(system, random);
        Check<Lane512>(system, random);
    }

    private static void Check<TLane>(IOdeLaneSystem system, Random random)
        where TLane : unmanaged, ILane<TLane>
    {
        int n = system.StateCount, m = system.ParameterCount;
        var points = Enumerable.Range(0, TLane.Count).Select(_ => LanePoint.Random(random, n, m)).ToList();
        TLane[] y = LaneComparison.Pack<TLane>(points.Select(q => q.Y).ToList(), n);
        TLane[] p = LaneComparison.Pack<TLane>(points.Select(q => q.P).ToList(), m);
        var expected = new TLane[n];
        var actual = new TLane[n];
        double t = 0.3 + random.NextDouble();
        system.EvaluateLanes<TLane>(t, y, p, expected);
        // Nested in a generic type, LaneRegisters takes that type's arguments before TLane.
        Type registers = system.GetType().GetNestedType("LaneRegisters`1")!.MakeGenericType(system.GetType().GetGenericArguments().Append(typeof(TLane)).ToArray());
        Harness.MakeGenericMethod(registers, typeof(TLane)).Invoke(null, new object[] { t, y, p, actual });
        for (int l = 0; l < TLane.Count; l++)
        {
            double[] e = LaneComparison.Unpack<TLane>(expected, l), a = LaneComparison.Unpack<TLane>(actual, l);
            // Same text, same operations; but .NET's own vector Exp, Sin and Cos contract their polynomials with
            // MultiplyAddEstimate, which the JIT may fold differently in the two inlining contexts (seen in one random
            // program at Lane512, last bit). So: bit for bit with one lane, to rounding with more.
            double scale = Math.Max(1e-300, e.Max(Math.Abs));
            bool same = typeof(TLane) == typeof(Lane1) ? e.SequenceEqual(a) : e.Zip(a).All(x => Math.Abs(x.First - x.Second) <= LaneComparison.Tolerance * scale);
            Assert.True(same, $"{system.GetType().FullName} at {typeof(TLane).Name}, lane {l}: EvaluateLanes [{string.Join(", ", e.Select(v => v.ToString("R")))}], Derivative [{string.Join(", ", a.Select(v => v.ToString("R")))}]");
        }
    }

    private static readonly MethodInfo Harness = typeof(FusedRegisterTests).GetMethod(nameof(Derivative), BindingFlags.NonPublic | BindingFlags.Static)!;

    // Load, Derivative, Store: the register form of f on spans, called through the interface the fused steps use.
    private static void Derivative<TRegisters, TLane>(double t, TLane[] y, TLane[] p, TLane[] dydt)
        where TRegisters : unmanaged, ILaneRegisters<TRegisters, TLane>
        where TLane : unmanaged, ILane<TLane>
    {
        Assert.Equal(y.Length, TRegisters.StateCount);
        TRegisters.Store(TRegisters.Derivative(t, TRegisters.Load(y), p), dydt);
    }
}
