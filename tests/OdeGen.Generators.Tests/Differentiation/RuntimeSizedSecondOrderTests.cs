using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Differentiation;

/// <summary>
/// SecondOrder = true on dynamics whose loops run over y.Length and p.Length: the documented path (ODE0041's fix) is
/// States = n in the attribute with the parameters from the constructor. Such a system builds, its second-order methods
/// match its first-order code (trace, differences, symmetry), and a wrong parameter count is refused by the constructor.
/// Without States the method is ODE0041 (<see cref="SecondOrderTests"/>).
/// </summary>
public class RuntimeSizedSecondOrderTests
{
    private const string Source = """
        using OdeGen;

        namespace RuntimeSized;

        public static partial class Field
        {
            [OdeDynamics(States = 5, SecondOrder = true)]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
            {
                int n = y.Length;
                for (int i = 0; i < y.Length; i++)
                {
                    double s = p[n * n + i];
                    for (int j = 0; j < y.Length; j++)
                    {
                        s += p[i * n + j] * y[j];
                    }

                    dydt[i] = Math.Tanh(s) - 0.2 * y[i] * y[(i + 1) % n];
                }
            }
        }
        """;

    [Fact]
    public void DeclaredStates_ParametersFromTheConstructor_SecondOrderMatchesTheFirstOrderCode()
    {
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(Source));
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Type type = CompiledSystems.EmitAndLoad(run.Output).GetType("RuntimeSized.Field+RhsSystem")!;
        var system = (IOdeSystemSecondOrder)Activator.CreateInstance(type, 30)!;
        Assert.Equal(5, system.StateCount);
        Assert.Equal(30, system.ParameterCount);
        SecondOrderCheck.All(system, new Random(5), "runtime parameters", samples: 3);
        Assert.ThrowsAny<Exception>(() => Activator.CreateInstance(type, -1));
    }
}
