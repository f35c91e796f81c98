using Microsoft.CodeAnalysis;
using OdeGen.Generators.Model;
using OdeGen.Generators.Tests.Differentiation;
using OdeGen.Generators.Tests.Infrastructure;
using OdeGen.Lanes;
using OdeGen.Testing;

namespace OdeGen.Generators.Tests.Functions;

/// <summary>
/// Hvp of every [Differentiable] scenario with SecondOrder = true (<see cref="FunctionSecondOrderSources"/>), compiled
/// and run: against central differences of the generated Vjp, the symmetry of the Hessian it applies, HvpLanes against
/// Hvp at every width, the float flavour against its double twin, the IR oracle, and no allocation per call.
/// </summary>
public class FunctionSecondOrderTests
{
    public static TheoryData<string> FunctionNames => new(FunctionSecondOrderSources.Cases.Select(c => c.ToString()));

    [Theory]
    [MemberData(nameof(FunctionNames))]
    public void Hvp_MatchesDifferencesOfTheGeneratedVjp_AndIsSymmetric(string name)
    {
        SecondOrderFunctionUnderTest f = FunctionSecondOrderSources.Get(name);
        FunctionSecondOrderChecks.All(f.Function, new Random(FunctionChecks.StableSeed(name)), name, samples: 4);

        // The first-order methods of the struct are the same as without SecondOrder.
        FunctionChecks.All(f.Function, f.User, new Random(FunctionChecks.StableSeed(name) + 2), name, f.Case.Vectorized, samples: 2);
    }

    [Theory]
    [MemberData(nameof(FunctionNames))]
    public void HvpLanes_EqualHvp_InEveryLane_AtEveryWidth(string name)
    {
        SecondOrderFunctionUnderTest f = FunctionSecondOrderSources.Get(name);
        var random = new Random(FunctionChecks.StableSeed(name) + 1);
        for (int batch = 0; batch < 2; batch++)
        {
            FunctionSecondOrderChecks.LanesEqualScalar(f.Function, random, name, f.Case.Vectorized);
        }
    }

    [Theory]
    [MemberData(nameof(FunctionNames))]
    public void HvpAndHvpLanes_AllocateNothing_AfterTheFirstCall(string name)
    {
        IDifferentiableLaneFunctionSecondOrder g = FunctionSecondOrderSources.Get(name).Function;
        int n = g.InputCount, m = g.ParameterCount, k = g.OutputCount;
        double[] x = new double[n], p = new double[m], yBar = new double[k], xDot = new double[n], pDot = new double[m], xBarDot = new double[n], pBarDot = new double[m];
        Lane256[] xl = new Lane256[n], pl = new Lane256[m], yBarL = new Lane256[k], xBarDotL = new Lane256[n], pBarDotL = new Lane256[m];
        Array.Fill(p, 0.7);
        Array.Fill(pl, Lane256.Create(0.7));

        void Calls()
        {
            g.Hvp(x, p, yBar, xDot, pDot, xBarDot, pBarDot);
            g.HvpLanes<Lane256>(xl, pl, yBarL, xl, pl, xBarDotL, pBarDotL);
        }

        void TenCalls()
        {
            for (int r = 0; r < 10; r++)
            {
                Calls();
            }
        }

        Calls();
        Assert.Equal(0, Allocations.Least(TenCalls, windows: 3));
    }

    [Fact]
    public void FloatHvp_AgreesWithItsDoubleTwin_ToFloatPrecision_AndOneLaneIsBitForBit()
    {
        const int Inputs = 4, Outputs = 3, Parameters = Outputs + (Outputs * Inputs);
        var (single, twin) = FunctionSecondOrderSources.Float(Inputs, Parameters, Outputs);
        FunctionSecondOrderChecks.All(twin, new Random(3), "the float scenario in double");
        var random = new Random(13);
        for (int s = 0; s < 6; s++)
        {
            float[] x = F(FunctionChecks.Vector(random, Inputs, -0.9, 0.9)), p = F(FunctionChecks.Vector(random, Parameters, -1.5, 1.5));
            float[] yBar = F(FunctionChecks.Vector(random, Outputs, -1, 1)), xDot = F(FunctionChecks.Vector(random, Inputs, -1, 1));
            float[] pDot = F(FunctionChecks.Vector(random, Parameters, -1, 1));

            // The twin runs on the float inputs widened, so the two differ only by float rounding.
            double[] wantX = new double[Inputs], wantP = new double[Parameters];
            twin.Hvp(D(x), D(p), D(yBar), D(xDot), D(pDot), wantX, wantP);
            float[] gotX = new float[Inputs], gotP = new float[Parameters];
            single.Hvp(x, p, yBar, xDot, pDot, gotX, gotP);
            double scale = wantX.Concat(wantP).Select(Math.Abs).Max();
            foreach ((double want, float got) in wantX.Concat(wantP).Zip(gotX.Concat(gotP)))
            {
                Assert.True(Math.Abs(want - got) <= 1e-4 * (1 + scale), $"float Hvp {got:R}, double twin {want:R}");
            }

            var laneX = new LaneSingle1[Inputs];
            var laneP = new LaneSingle1[Parameters];
            single.HvpLanes<LaneSingle1>(L(x), L(p), L(yBar), L(xDot), L(pDot), laneX, laneP);
            Assert.Equal(gotX, laneX.Select(v => LaneSingle1.GetLane(v, 0)).ToArray());
            Assert.Equal(gotP, laneP.Select(v => LaneSingle1.GetLane(v, 0)).ToArray());
        }

        static float[] F(double[] v) => v.Select(u => (float)u).ToArray();
        static double[] D(float[] v) => v.Select(u => (double)u).ToArray();
        static LaneSingle1[] L(float[] v) => v.Select(LaneSingle1.Create).ToArray();
    }

    [Theory]
    [MemberData(nameof(FunctionNames))]
    public void CompiledHvp_EqualsInterpretedIr(string name)
    {
        SystemIr ir = FunctionSecondOrderSources.Run.Result.Results.Single().TrackedSteps[OdeDynamicsGenerator.FunctionTrackingNames.Simplify]
            .SelectMany(step => step.Outputs)
            .Select(output => ((Result<SystemIr>)output.Value).Value!)
            .Single(s => s.Header.Namespace + "." + s.Header.Types[^1].Name + "." + s.Header.MethodName == name);
        Assert.NotNull(ir.SecondOrder);
        Assert.Null(ir.SecondOrder!.Divergence);
        Assert.Null(ir.SecondOrder.DivergenceVjp);

        SecondOrderFunctionUnderTest f = FunctionSecondOrderSources.Get(name);
        IDifferentiableFunctionSecondOrder g = f.Function;
        int n = g.InputCount, m = g.ParameterCount, k = g.OutputCount;
        var random = new Random(9);
        for (int s = 0; s < 3; s++)
        {
            var frame = new IrInterpreter.Frame
            {
                Y = FunctionChecks.Vector(random, n, -0.9, 0.9),
                P = FunctionChecks.Vector(random, m, 0.5, 1.5),
                YDot = FunctionChecks.Vector(random, n, -1, 1),
                PDot = FunctionChecks.Vector(random, m, -1, 1),
                A = FunctionChecks.Vector(random, k, -1, 1),
                YBarDot = new double[n], PBarDot = new double[m],
                Resolve = method => FunctionInterpreterOracleTests.ResolveIn(g.GetType().Assembly, method),
            };
            IrInterpreter.Run(ir.SecondOrder.Hvp, frame);
            double[] xBarDot = new double[n], pBarDot = new double[m];
            g.Hvp(frame.Y, frame.P, frame.A, frame.YDot, frame.PDot, xBarDot, pBarDot);
            double[] expected = frame.YBarDot.Concat(frame.PBarDot).ToArray(), actual = xBarDot.Concat(pBarDot).ToArray();
            if (f.Case.Vectorized)
            {
                CompileAndRunTests.AssertNear(expected, actual, 1e-13, name + " Hvp");
            }
            else
            {
                Assert.True(expected.Select(BitConverter.DoubleToInt64Bits).SequenceEqual(actual.Select(BitConverter.DoubleToInt64Bits)),
                    $"{name} Hvp: IR [{string.Join(", ", expected)}] vs compiled [{string.Join(", ", actual)}]");
            }
        }
    }

    [Fact]
    public void EachSecondOrderFunction_GetsASecondOrderFile_NamedAfterItsStruct()
    {
        var names = FunctionSecondOrderSources.Run.Sources.Keys.ToHashSet();
        Assert.Contains("HvpFunctions.Straight.Maps.AffineFunction.SecondOrder.g.cs", names);
        Assert.Contains("HvpFunctions.Single.FloatLayer.ForwardFunction.SecondOrder.g.cs", names);
        Assert.Equal(3 * (FunctionSources.All.Length + 2), names.Count);   // the Dense file has two functions; the twin is one more
    }

    [Fact]
    public void SecondOrderOnAFunction_IsSilent_AndAddsTheSecondOrderInterface()
    {
        const string Source = """
            using OdeGen;
            public static partial class Sys
            {
                [Differentiable(Inputs = 1, SecondOrder = true)]
                public static void G(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y) { y[0] = x[0] * x[0] * p[0]; }
            }
            """;
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(Source));
        Assert.Empty(run.Result.Diagnostics);
        Assert.Empty(GeneratorHarness.Errors(run.Output));
        Assert.Contains("global::OdeGen.IDifferentiableLaneFunctionSecondOrder", run.Sources["Sys.GFunction.SecondOrder.g.cs"], StringComparison.Ordinal);
    }

    [Fact]
    public void AFunctionCallingACustomRule_GetsAnHvp_ThroughTheRulesForwardMethod()
    {
        // Logistic keeps its [OdeCustomDerivative] rules; Softplus is an inlined helper.
        SecondOrderFunctionUnderTest f = FunctionSecondOrderSources.Get("HvpFunctions.Helpers.Activations.Gate");
        FunctionSecondOrderChecks.All(f.Function, new Random(2), "Gate with the custom rule Logistic");
    }

    [Fact]
    public void LocalsNamedLikeHvpsParametersAndBuffers_AreRenamed_AndHvpIsRight()
    {
        // Hvp's own names (xBarDot; yBarWorkDot, the tangent of the buffer of y's adjoint, there as y[5] is never written;
        // five iterations, more than the unroller copies, at 4 - i, so the buffer stays a buffer: read in a loop, not at its index).
        const string Source = """
            using OdeGen;
            namespace N;
            public static partial class S
            {
                [Differentiable(Inputs = 2, Parameters = 1, Outputs = 6, SecondOrder = true)]
                public static void G(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
                {
                    double yDot = x[0] * x[1];
                    double xBarDot = Math.Sin(yDot) * p[0];
                    double yBarWorkDot = xBarDot * xBarDot;
                    for (int i = 0; i < 5; i++)
                    {
                        y[4 - i] = yBarWorkDot * x[i % 2];
                    }
                }
            }
            """;
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(Source));
        Assert.Empty(run.Result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error));
        Assert.Empty(GeneratorHarness.Errors(run.Output));
        string hvp = run.Sources.Single(s => s.Key.EndsWith(".SecondOrder.g.cs", StringComparison.Ordinal)).Value;
        Assert.Contains("yBarWorkDot_2", hvp, StringComparison.Ordinal);   // the tangent of y's adjoint buffer yields to the user's local
        var assembly = CompiledSystems.EmitAndLoad(run.Output);
        var g = (IDifferentiableLaneFunctionSecondOrder)Activator.CreateInstance(assembly.GetType("N.S+GFunction")!)!;
        FunctionSecondOrderChecks.All(g, new Random(1), "names");
        FunctionSecondOrderChecks.LanesEqualScalar(g, new Random(2), "names");
    }
}
