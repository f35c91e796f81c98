using System.Reflection;
using Microsoft.CodeAnalysis;
using OdeGen.Generators.Tests.Emit;
using OdeGen.Generators.Tests.Functions;
using OdeGen.Generators.Tests.Infrastructure;
using OdeGen.Lanes;
using OdeGen.Testing;

namespace OdeGen.Generators.Tests.Differentiation;

/// <summary>
/// SecondOrder = true through functions with [OdeCustomDerivative] rules: the generator differentiates the forward rule
/// once more (as JAX differentiates a custom_jvp rule). Checked by running the code: Divergence against the trace of the
/// generated Jacobian, DivergenceVjp against differences of Divergence, Hvp against differences of the generated Vjp
/// (which calls the rules), the lanes against the scalar methods, no allocation; for a [Differentiable] function, Hvp
/// against differences of its Vjp; the second-order file in a reviewed snapshot. A forward rule the generator cannot read
/// is ODE0040 on the call.
/// </summary>
public class CustomRuleSecondOrderTests
{
    /// <summary>Series (two arguments, a rule over Math.Exp) and Logistic (a rule that calls Logistic itself), in a loop and straight.</summary>
    private static readonly string Dynamics = TestSources.CustomRules.Replace(
        "[OdeDynamics(States = 3, Parameters = 2)]", "[OdeDynamics(States = 3, Parameters = 2, SecondOrder = true)]", StringComparison.Ordinal);

    private static readonly string Function = FunctionSources.HelpersAndRules.Replace("[Differentiable(", "[Differentiable(SecondOrder = true, ", StringComparison.Ordinal);

    private static readonly Lazy<(GeneratorRun Run, Assembly Assembly)> Compiled = new(() =>
    {
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(Dynamics, Function));
        Assert.DoesNotContain(run.Result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        return (run, CompiledSystems.EmitAndLoad(run.Output));
    });

    private static IOdeLaneSystemSecondOrder System() =>
        (IOdeLaneSystemSecondOrder)Activator.CreateInstance(Compiled.Value.Assembly.GetType("Scenarios.Custom.Kinetics+RhsSystem")!)!;

    [Fact]
    public void SecondOrderMethods_ThroughCustomRules_MatchTheFirstOrderCode()
    {
        SecondOrderCheck.All(System(), new Random(40), "Kinetics with custom rules", samples: 4);
    }

    [Fact]
    public void SecondOrderLaneMethods_ThroughCustomRules_EqualScalar_AtEveryWidth()
    {
        IOdeLaneSystemSecondOrder system = System();
        var random = new Random(41);
        SecondOrderLaneTests.Check<Lane1>(system, random, "custom rules");
        SecondOrderLaneTests.Check<Lane128>(system, random, "custom rules");
        SecondOrderLaneTests.Check<Lane256>(system, random, "custom rules");
        SecondOrderLaneTests.Check<Lane512>(system, random, "custom rules");
    }

    [Fact]
    public void SecondOrderMethods_ThroughCustomRules_DoNotAllocate()
    {
        IOdeSystemSecondOrder system = System();
        double[] y = [0.3, -0.2, 0.5], p = [0.7, -0.4], a = [0.5, 1.0, -1.0], yBar = new double[3], pBar = new double[2];
        void Calls()
        {
            system.Divergence(0.2, y, p);
            system.DivergenceVjp(0.2, y, p, 1.0, yBar, pBar);
            system.Hvp(0.2, y, p, a, 0.1, y, p, yBar, pBar);
        }

        Calls();
        Assert.Equal(0, Allocations.Least(Calls, windows: 3));
    }

    [Fact]
    public void FirstOrderCode_StillCallsTheRules_SecondOrderCode_DifferentiatesThem()
    {
        IReadOnlyDictionary<string, string> sources = Compiled.Value.Run.Sources;
        string first = sources.Single(s => s.Key.EndsWith("Kinetics.RhsSystem.g.cs", StringComparison.Ordinal)).Value;
        string second = sources.Single(s => s.Key.EndsWith("Kinetics.RhsSystem.SecondOrder.g.cs", StringComparison.Ordinal)).Value;
        Assert.Contains("SeriesJvp(", first, StringComparison.Ordinal);
        Assert.Contains("SeriesVjp(", first, StringComparison.Ordinal);

        // Series' forward rule is Math.Exp arithmetic: its partials are plain code, and no Series rule is called.
        Assert.DoesNotContain("SeriesJvp(", second, StringComparison.Ordinal);
        Assert.DoesNotContain("SeriesVjp(", second, StringComparison.Ordinal);
        Assert.Contains("Series(", second, StringComparison.Ordinal);
    }

    [Fact]
    public void SecondOrderFile_ThroughCustomRules_MatchesSnapshot()
    {
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(Dynamics));
        Assert.Empty(GeneratorHarness.Errors(run.Output));
        Snapshot.Verify("SecondOrder.CustomRules", run.Sources.Single(s => s.Key.EndsWith(".SecondOrder.g.cs", StringComparison.Ordinal)).Value);
    }

    [Fact]
    public void FunctionHvp_ThroughCustomRules_MatchesDifferencesOfItsVjp_AndLanesEqualScalar()
    {
        Type type = Compiled.Value.Assembly.GetType("Functions.Helpers.Activations+GateFunction")!;
        var g = (IDifferentiableLaneFunctionSecondOrder)Activator.CreateInstance(type)!;
        FunctionSecondOrderChecks.All(g, new Random(42), "Gate with Logistic's rules", samples: 4);
        FunctionSecondOrderChecks.LanesEqualScalar(g, new Random(43), "Gate with Logistic's rules");
    }

    [Fact]
    public void AForwardRuleOutsideTheSubset_IsODE0040OnTheCall()
    {
        // The forward rule loops with while: the generator can call it but not differentiate it.
        const string Source = """
            using OdeGen;

            namespace Bad;

            public static partial class Table
            {
                [OdeCustomDerivative(nameof(SquashJvp), nameof(SquashVjp))]
                static double Squash(double x) => x / (1 + Math.Abs(x));

                static double SquashJvp(double x, double xDot)
                {
                    double d = 1 + Math.Abs(x);
                    int n = 0;
                    while (n < 1) { n++; }
                    return xDot / (d * d);
                }

                static void SquashVjp(double x, double resultBar, ref double xBar) => xBar += resultBar / ((1 + Math.Abs(x)) * (1 + Math.Abs(x)));

                [OdeDynamics(States = 1, Parameters = 1, SecondOrder = true)]
                public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
                {
                    dydt[0] = Squash(p[0] * y[0]);
                }
            }
            """;
        GeneratorRun run = GeneratorHarness.Run(GeneratorHarness.Compile(Source));
        Diagnostic error = Assert.Single(run.Result.Diagnostics, d => d.Id == "ODE0040");
        Assert.StartsWith("Squash(p[0] * y[0])", Source[error.Location.SourceSpan.Start..], StringComparison.Ordinal);
        Assert.Contains("forward rule 'SquashJvp'", error.GetMessage(), StringComparison.Ordinal);

        // The rule's own unsupported statement is reported where it is.
        Assert.Contains(run.Result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error && d.Id != "ODE0040"
            && Source[d.Location.SourceSpan.Start..].StartsWith("while", StringComparison.Ordinal));
        Assert.Empty(GeneratorHarness.Errors(run.Output));
        Assert.Empty(run.Sources);
    }
}
