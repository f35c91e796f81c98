using System.Reflection;
using OdeGen.Generators.Tests.Infrastructure;
using OdeGen.Lanes;
using OdeGen.Testing;

namespace OdeGen.Generators.Tests.Functions;

/// <summary>
/// The generated structs of the [Differentiable] scenarios (<see cref="FunctionSources"/>), compiled in memory and
/// run: every method against the user's method, central differences and the dot-product test; lanes against scalar;
/// sizes, the float flavour, and no allocation per call.
/// </summary>
public class FunctionCompileAndRunTests
{
    public static TheoryData<string> FunctionNames => new(FunctionSources.Cases.Select(c => c.ToString()));

    [Theory]
    [MemberData(nameof(FunctionNames))]
    public void EvaluateJvpVjp_MatchTheUserMethod_FiniteDifferences_AndTheDotProductTest(string name)
    {
        FunctionUnderTest f = CompiledFunctions.Get(name);
        FunctionChecks.All(f.Function, f.User, new Random(FunctionChecks.StableSeed(name)), name, f.Case.Vectorized, samples: 6);
    }

    [Theory]
    [MemberData(nameof(FunctionNames))]
    public void LaneMethods_EqualScalarMethods_InEveryLane_AtEveryWidth(string name)
    {
        FunctionUnderTest f = CompiledFunctions.Get(name);
        var random = new Random(FunctionChecks.StableSeed(name) + 1);
        for (int batch = 0; batch < 3; batch++)
        {
            FunctionChecks.LanesEqualScalar(f.Function, random, name, f.Case.Vectorized);
        }
    }

    [Theory]
    [MemberData(nameof(FunctionNames))]
    public void Sizes_AreTheDeclaredOrInferredOrConstructedOnes(string name)
    {
        FunctionUnderTest f = CompiledFunctions.Get(name);
        Assert.Equal(f.Case.Inputs, f.Function.InputCount);
        Assert.Equal(f.Case.Parameters, f.Function.ParameterCount);
        Assert.Equal(f.Case.Outputs, f.Function.OutputCount);
    }

    [Fact]
    public void RuntimeSizes_AreTakenByTheConstructor_WhichRejectsNegativeOnes()
    {
        Type conv = CompiledFunctions.Get("Functions.Conv.Conv.Layer").Function.GetType();
        ParameterInfo[] parameters = Assert.Single(conv.GetConstructors()).GetParameters();
        Assert.Equal(new[] { "inputs", "parameters", "outputs" }, parameters.Select(q => q.Name));
        var e = Assert.Throws<TargetInvocationException>(() => Activator.CreateInstance(conv, 10, -1, 4));
        Assert.Equal("parameters", Assert.IsType<ArgumentOutOfRangeException>(e.InnerException).ParamName);

        // Straight-line code has its sizes as constants and no constructor beyond the default.
        Type affine = CompiledFunctions.Get("Functions.Straight.Maps.Affine").Function.GetType();
        Assert.Empty(affine.GetConstructors());
        Assert.Equal(4, affine.GetField("Outputs")!.GetRawConstantValue());
    }

    [Fact]
    public void ConvolutionOverAnotherWidth_IsCorrectToo()
    {
        // The same generated code for a 9-wide image (x.Length = 2 · 5 · 9, y.Length = 2 · 3 · 7).
        var c = new FunctionCase("Functions.Conv.Conv", "Layer", 90, 38, 42, 90, 38, 42);
        FunctionUnderTest f = CompiledFunctions.Load(c, CompiledFunctions.Get("Functions.Conv.Conv.Layer").Function.GetType().Assembly);
        FunctionChecks.All(f.Function, f.User, new Random(5), c.ToString(), samples: 2);
        FunctionChecks.LanesEqualScalar(f.Function, new Random(6), c.ToString());
    }

    [Fact]
    public void FloatFunction_EqualsItsUserMethod_AndItsDoubleTwinToFloatPrecision()
    {
        const int Inputs = 4, Outputs = 3, Parameters = Outputs + (Outputs * Inputs);
        var (single, user, twin) = CompiledFunctions.Float(Inputs, Parameters, Outputs);
        var random = new Random(11);
        for (int s = 0; s < 6; s++)
        {
            double[] x = FunctionChecks.Vector(random, Inputs, -0.9, 0.9), p = FunctionChecks.Vector(random, Parameters, -1.5, 1.5);
            double[] xDot = FunctionChecks.Vector(random, Inputs, -1, 1), pDot = FunctionChecks.Vector(random, Parameters, -1, 1);
            double[] yBar = FunctionChecks.Vector(random, Outputs, -1, 1);
            float[] xf = ToFloat(x), pf = ToFloat(p);

            float[] expected = new float[Outputs], y = new float[Outputs];
            user(xf, pf, expected);
            single.Evaluate(xf, pf, y);
            Assert.Equal(expected, y);

            // The twin runs on the float inputs widened, so the two differ only by float rounding.
            double[] xw = xf.Select(v => (double)v).ToArray(), pw = pf.Select(v => (double)v).ToArray();
            double[] ty = new double[Outputs], tDot = new double[Outputs];
            twin.Jvp(xw, pw, xDot, pDot, ty, tDot);
            float[] jy = new float[Outputs], jDot = new float[Outputs];
            single.Jvp(xf, pf, ToFloat(xDot), ToFloat(pDot), jy, jDot);
            AssertNear(ty, jy, "Jvp y");
            AssertNear(tDot, jDot, "Jvp yDot");

            double[] txb = new double[Inputs], tpb = new double[Parameters];
            twin.Vjp(xw, pw, yBar, txb, tpb);
            float[] xb = new float[Inputs], pb = new float[Parameters];
            single.Vjp(xf, pf, ToFloat(yBar), xb, pb);
            AssertNear(txb, xb, "Vjp xBar");
            AssertNear(tpb, pb, "Vjp pBar");

            // One lane equals the scalar float methods bit for bit.
            var ys = new LaneSingle1[Outputs];
            single.EvaluateLanes<LaneSingle1>(xf.Select(LaneSingle1.Create).ToArray(), pf.Select(LaneSingle1.Create).ToArray(), ys);
            Assert.Equal(y, ys.Select(v => LaneSingle1.GetLane(v, 0)).ToArray());
            var xbs = new LaneSingle1[Inputs];
            var pbs = new LaneSingle1[Parameters];
            single.VjpLanes<LaneSingle1>(xf.Select(LaneSingle1.Create).ToArray(), pf.Select(LaneSingle1.Create).ToArray(),
                ToFloat(yBar).Select(LaneSingle1.Create).ToArray(), xbs, pbs);
            Assert.Equal(xb, xbs.Select(v => LaneSingle1.GetLane(v, 0)).ToArray());
            Assert.Equal(pb, pbs.Select(v => LaneSingle1.GetLane(v, 0)).ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(FunctionNames))]
    public void Calls_AllocateNothing_AfterTheFirst(string name)
    {
        IDifferentiableLaneFunction g = CompiledFunctions.Get(name).Function;
        int n = g.InputCount, m = g.ParameterCount, k = g.OutputCount;
        double[] x = new double[n], p = new double[m], xDot = new double[n], pDot = new double[m];
        double[] y = new double[k], yDot = new double[k], yBar = new double[k], xBar = new double[n], pBar = new double[m];
        Lane256[] xl = new Lane256[n], pl = new Lane256[m], yl = new Lane256[k], xBarL = new Lane256[n], pBarL = new Lane256[m];
        Array.Fill(p, 0.7);
        Array.Fill(pl, Lane256.Create(0.7));

        void All()
        {
            g.Evaluate(x, p, y);
            g.Jvp(x, p, xDot, pDot, y, yDot);
            g.Vjp(x, p, yBar, xBar, pBar);
            g.EvaluateLanes<Lane256>(xl, pl, yl);
            g.VjpLanes<Lane256>(xl, pl, yl, xBarL, pBarL);
        }

        void TenCalls()
        {
            for (int r = 0; r < 10; r++)
            {
                All();
            }
        }

        All();
        Assert.Equal(0, Allocations.Least(TenCalls, windows: 3));
    }

    [Fact]
    public void EachFunction_GetsAScalarFileAndALaneFile_NamedAfterItsStruct()
    {
        var names = CompiledFunctions.Run.Sources.Keys.ToHashSet();
        Assert.Contains("Functions.Straight.Maps.AffineFunction.g.cs", names);
        Assert.Contains("Functions.Straight.Maps.AffineFunction.Lanes.g.cs", names);
        Assert.Contains("Functions.Single.FloatLayer.ForwardFunction.Lanes.g.cs", names);
        Assert.Equal(2 * (FunctionSources.All.Length + 2), names.Count);   // the Dense file has two functions; the twin is one more
    }

    private static float[] ToFloat(double[] values) => values.Select(v => (float)v).ToArray();

    private static void AssertNear(double[] expected, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4 * (1 + Math.Abs(expected[i])), $"{what}[{i}]: double twin {expected[i]:R}, float {actual[i]:R}");
        }
    }
}
