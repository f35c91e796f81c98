using OdeGen.Generators.Model;
using OdeGen.Generators.Tests.Differentiation;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Functions;

/// <summary>
/// The compiled Evaluate, Jvp and Vjp of each function compute exactly what their IR says: the IR (in the dynamics'
/// names, as every function's is) is run by the interpreter and compared bit for bit with the compiled struct,
/// whose code was printed from it in the function's names (to 1e-13 for VectorizeLoops, which sums in SIMD).
/// </summary>
public class FunctionInterpreterOracleTests
{
    private static readonly Lazy<IReadOnlyDictionary<string, SystemIr>> Ir = new(() =>
        CompiledFunctions.Run.Result.Results.Single().TrackedSteps[OdeDynamicsGenerator.FunctionTrackingNames.Simplify]
            .SelectMany(step => step.Outputs)
            .Select(output => ((Result<SystemIr>)output.Value).Value!)
            .ToDictionary(s => (s.Header.Namespace is null ? "" : s.Header.Namespace + ".") + s.Header.Types[^1].Name + "." + s.Header.MethodName));

    public static TheoryData<string> FunctionNames => FunctionCompileAndRunTests.FunctionNames;

    [Theory]
    [MemberData(nameof(FunctionNames))]
    public void CompiledCode_EqualsInterpretedIr_BitForBit(string name)
    {
        SystemIr ir = Ir.Value[name];
        FunctionUnderTest f = CompiledFunctions.Get(name);
        IDifferentiableFunction g = f.Function;
        Assert.Equal(TargetKind.Function, ir.Header.Kind);
        Assert.Null(ir.Jacobian);
        int n = g.InputCount, m = g.ParameterCount, k = g.OutputCount;
        var random = new Random(9);
        for (int s = 0; s < 4; s++)
        {
            var frame = new IrInterpreter.Frame
            {
                Y = FunctionChecks.Vector(random, n, -0.9, 0.9),
                P = FunctionChecks.Vector(random, m, 0.5, 1.5),
                YDot = FunctionChecks.Vector(random, n, -1, 1),
                PDot = FunctionChecks.Vector(random, m, -1, 1),
                A = FunctionChecks.Vector(random, k, -1, 1),
                Dydt = new double[k], DydtDot = new double[k], YBar = new double[n], PBar = new double[m],
                Dfdy = Array.Empty<double>(), Dfdp = Array.Empty<double>(),
                Resolve = method => ResolveIn(g.GetType().Assembly, method),
            };
            double[] y = new double[k], yDot = new double[k], xBar = new double[n], pBar = new double[m];

            IrInterpreter.Run(ir.Evaluate, frame);
            g.Evaluate(frame.Y, frame.P, y);
            AssertEqual(f.Case.Vectorized, frame.Dydt, y, "Evaluate");

            IrInterpreter.Run(ir.Jvp, frame);
            g.Jvp(frame.Y, frame.P, frame.YDot, frame.PDot, y, yDot);
            AssertEqual(f.Case.Vectorized, frame.DydtDot, yDot, "Jvp");

            IrInterpreter.Run(ir.Vjp, frame);
            g.Vjp(frame.Y, frame.P, frame.A, xBar, pBar);
            AssertEqual(f.Case.Vectorized, frame.YBar, xBar, "Vjp xBar");
            AssertEqual(f.Case.Vectorized, frame.PBar, pBar, "Vjp pBar");
        }
    }

    private static void AssertEqual(bool vectorized, double[] expected, double[] actual, string what)
    {
        if (vectorized)
        {
            CompileAndRunTests.AssertNear(expected, actual, 1e-13, what);
            return;
        }

        Xunit.Assert.True(expected.Select(BitConverter.DoubleToInt64Bits).SequenceEqual(actual.Select(BitConverter.DoubleToInt64Bits)),
            $"{what}: IR [{string.Join(", ", expected)}] vs compiled [{string.Join(", ", actual)}]");
    }

    /// <summary>"global::N.T.M" → the static method M of type N.T, as the system oracle resolves rules.</summary>
    internal static System.Reflection.MethodInfo ResolveIn(System.Reflection.Assembly assembly, string name)
    {
        string[] parts = name.Replace("global::", "", StringComparison.Ordinal).Split('.');
        Type type = assembly.GetType(string.Join(".", parts[..^1]))!;
        return type.GetMethod(parts[^1], System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic)!;
    }
}
