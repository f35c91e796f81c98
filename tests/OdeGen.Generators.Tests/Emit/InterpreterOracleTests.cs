using Microsoft.CodeAnalysis;
using OdeGen.Generators.Model;
using OdeGen.Generators.Tests.Differentiation;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Emit;

/// <summary>
/// The compiled generated code must compute exactly what its IR says: the IR is run by an
/// interpreter and compared bit for bit with the compiled Evaluate, Jvp, Vjp and Jacobian. Systems with
/// VectorizeLoops run their loops in SIMD from the same IR, summing in another order and with the vector
/// kernels: they are compared to 1e-13 of the largest output instead (the IR itself, which the interpreter
/// runs, is the same with and without the option).
/// </summary>
public class InterpreterOracleTests
{
    private static readonly Lazy<IReadOnlyDictionary<string, SystemIr>> Ir = new(() =>
    {
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(TestSources.Executable));
        return run.Result.Results.Single().TrackedSteps[OdeDynamicsGenerator.TrackingNames.Simplify]
            .SelectMany(step => step.Outputs)
            .Select(output => ((Result<SystemIr>)output.Value).Value!)
            .ToDictionary(s => s.Header.Types[^1].Name.Split('<')[0] + "." + s.Header.MethodName);
    });

    public static TheoryData<string> SystemNames => CompileAndRunTests.SystemNames;

    /// <summary>"global::N.T.M" → the static method M of type N.T (nested types joined by '+').</summary>
    private static System.Reflection.MethodInfo Resolve(System.Reflection.Assembly assembly, string name)
    {
        string[] parts = name.Replace("global::", "", StringComparison.Ordinal).Split('.');
        for (int split = parts.Length - 2; split >= 0; split--)
        {
            string typeName = string.Join(".", parts[..(split + 1)]) + string.Concat(parts[(split + 1)..^1].Select(p => "+" + p));
            if (assembly.GetType(typeName) is { } type)
            {
                return type.GetMethod(parts[^1], System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic)!;
            }
        }

        throw new InvalidOperationException("no method " + name);
    }

    [Theory]
    [MemberData(nameof(SystemNames))]
    public void CompiledCode_EqualsInterpretedIr_BitForBit(string name)
    {
        SystemIr ir = Ir.Value[name];
        IOdeSystem s = CompiledSystems.All[name].System;
        bool vectorized = TestSources.VectorizedSystems.Contains(name);
        Assert.Equal(vectorized, ir.Header.VectorizeLoops);
        void AssertBits(double[] expected, double[] actual, string what)
        {
            if (vectorized)
            {
                CompileAndRunTests.AssertNear(expected, actual, 1e-13, what);
            }
            else
            {
                AssertSameBits(expected, actual, what);
            }
        }

        int n = s.StateCount, m = s.ParameterCount;
        var random = new Random(7);
        for (int k = 0; k < 4; k++)
        {
            var f = new IrInterpreter.Frame
            {
                T = random.NextDouble(),
                TDot = random.NextDouble() - 0.5,
                Y = Vector(random, n, -0.9, 0.9),
                P = Vector(random, m, 0.5, 1.5),
                YDot = Vector(random, n, -1, 1),
                PDot = Vector(random, m, -1, 1),
                A = Vector(random, n, -1, 1),
                Dydt = new double[n], DydtDot = new double[n], YBar = new double[n], PBar = new double[m],
                Dfdy = new double[n * n], Dfdp = new double[n * m],
                Resolve = name => Resolve(s.GetType().Assembly, name),
            };
            double[] dydt = new double[n], dydtDot = new double[n], yBar = new double[n], pBar = new double[m], dfdy = new double[n * n], dfdp = new double[n * m];

            IrInterpreter.Run(ir.Evaluate, f);
            s.Evaluate(f.T, f.Y, f.P, dydt);
            AssertBits(f.Dydt, dydt, "Evaluate");

            IrInterpreter.Run(ir.Jvp, f);
            s.Jvp(f.T, f.Y, f.P, f.TDot, f.YDot, f.PDot, dydt, dydtDot);
            AssertBits(f.DydtDot, dydtDot, "Jvp");

            double tBar = IrInterpreter.Run(ir.Vjp, f);
            AssertBits(new[] { tBar }, new[] { s.Vjp(f.T, f.Y, f.P, f.A, yBar, pBar) }, "Vjp tBar");
            AssertBits(f.YBar, yBar, "Vjp yBar");
            AssertBits(f.PBar, pBar, "Vjp pBar");

            // With loops the Jacobian is assembled from Vjp rows in C#, not from an IR of its own.
            if (ir.Jacobian is not null)
            {
                IrInterpreter.Run(ir.Jacobian, f);
                s.Jacobian(f.T, f.Y, f.P, dfdy, dfdp);
                AssertBits(f.Dfdy, dfdy, "dfdy");
                AssertBits(f.Dfdp, dfdp, "dfdp");
            }
        }
    }

    private static double[] Vector(Random random, int length, double lo, double hi) =>
        Enumerable.Range(0, length).Select(_ => lo + ((hi - lo) * random.NextDouble())).ToArray();

    private static void AssertSameBits(double[] expected, double[] actual, string what) =>
        Assert.True(expected.Select(BitConverter.DoubleToInt64Bits).SequenceEqual(actual.Select(BitConverter.DoubleToInt64Bits)),
            $"{what}: IR [{string.Join(", ", expected)}] vs compiled [{string.Join(", ", actual)}]");
}
