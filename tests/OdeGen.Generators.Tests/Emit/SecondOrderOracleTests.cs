using OdeGen.Generators.Model;
using OdeGen.Generators.Tests.Differentiation;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Emit;

/// <summary>
/// The compiled Divergence, DivergenceVjp and Hvp compute exactly what their IR says: the simplified second-order IR of
/// every <see cref="SecondOrderSources"/> double system is run by <see cref="IrInterpreter"/> and compared bit for bit.
/// </summary>
public class SecondOrderOracleTests
{
    private static readonly Lazy<IReadOnlyDictionary<string, SystemIr>> Ir = new(() =>
    {
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(SecondOrderSources.All.Values.ToArray()));
        return run.Result.Results.Single().TrackedSteps[OdeDynamicsGenerator.TrackingNames.Simplify]
            .SelectMany(step => step.Outputs)
            .Select(output => ((Result<SystemIr>)output.Value).Value!)
            .ToDictionary(s => s.Header.Namespace!["SecondOrder.".Length..]);
    });

    public static TheoryData<string> DoubleScenarios => SecondOrderTests.DoubleScenarios;

    [Theory]
    [MemberData(nameof(DoubleScenarios))]
    public void CompiledSecondOrderCode_EqualsInterpretedIr_BitForBit(string scenario)
    {
        SecondOrderIr ir = Ir.Value[scenario].SecondOrder!;
        IOdeSystemSecondOrder s = SecondOrderTests.System(scenario);
        int n = s.StateCount, m = s.ParameterCount;
        var random = new Random(7);
        for (int k = 0; k < 3; k++)
        {
            var f = new IrInterpreter.Frame
            {
                T = random.NextDouble(),
                TDot = random.NextDouble() - 0.5,
                S = random.NextDouble() + 0.5,
                Y = SecondOrderCheck.Vector(random, n, -0.9, 0.9),
                P = SecondOrderCheck.Vector(random, m, 0.5, 1.5),
                YDot = SecondOrderCheck.Vector(random, n, -1, 1),
                PDot = SecondOrderCheck.Vector(random, m, -1, 1),
                A = SecondOrderCheck.Vector(random, n, -1, 1),
                YBar = new double[n], PBar = new double[m], YBarDot = new double[n], PBarDot = new double[m],
            };

            Same(IrInterpreter.Run(ir.Divergence!, f), s.Divergence(f.T, f.Y, f.P), "Divergence");

            double[] yBar = new double[n], pBar = new double[m];
            Same(IrInterpreter.Run(ir.DivergenceVjp!, f), s.DivergenceVjp(f.T, f.Y, f.P, f.S, yBar, pBar), "DivergenceVjp's tBar");
            SameAll(f.YBar.Concat(f.PBar), yBar.Concat(pBar), "DivergenceVjp");

            double[] yBarDot = new double[n], pBarDot = new double[m];
            IrInterpreter.Run(ir.Hvp, f);
            s.Hvp(f.T, f.Y, f.P, f.A, f.TDot, f.YDot, f.PDot, yBarDot, pBarDot);
            SameAll(f.YBarDot.Concat(f.PBarDot), yBarDot.Concat(pBarDot), "Hvp");
        }
    }

    private static void Same(double expected, double actual, string what) =>
        Assert.True(BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(actual), $"{what}: IR {expected:R} vs compiled {actual:R}");

    private static void SameAll(IEnumerable<double> expected, IEnumerable<double> actual, string what)
    {
        foreach ((double e, double a) in expected.Zip(actual))
        {
            Same(e, a, what);
        }
    }
}
