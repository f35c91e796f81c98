using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using OdeGen.CodeFixes;
using OdeGen.Generators.Tests.Infrastructure;

namespace OdeGen.Generators.Tests.Parsing;

/// <summary>
/// Each code fix, before and after, with the generator running on both sides: the before code has exactly the
/// marked diagnostic, the fix gives the after code, and the after code has no diagnostic at all (its system is generated).
/// </summary>
public class CodeFixTests
{
    private sealed class Test<TFix> : CSharpCodeFixTest<GeneratorDiagnostics, TFix, DefaultVerifier>
        where TFix : CodeFixProvider, new()
    {
        public Test(string before, string after)
        {
            // The running runtime's assemblies and OdeGen, as the other generator tests compile against: no download.
            ReferenceAssemblies = new ReferenceAssemblies("net10.0");
            TestState.AdditionalReferences.AddRange(GeneratorHarness.References);
            TestCode = Usings + before;
            FixedCode = Usings + after;
            // The generator's errors are not configurable: '#pragma warning disable' does not hide them, by design.
            TestBehaviors |= TestBehaviors.SkipSuppressionCheck;
        }
    }

    /// <summary>
    /// The generator's diagnostics as an analyzer's, so the test kit sees them at every step of applying a fix (it
    /// asks analyzers again after each fix; a generator's own diagnostics it reads only once).
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    private sealed class GeneratorDiagnostics : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
            [.. DiagnosticDescriptors.Ids.Select(DiagnosticDescriptors.ById)];

        public override void Initialize(AnalysisContext context)
        {
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.EnableConcurrentExecution();
            // Per document, so each diagnostic is local to the file it points into (code fixes need that).
            context.RegisterSemanticModelAction(c =>
            {
                SyntaxTree tree = c.SemanticModel.SyntaxTree;
                GeneratorDriver driver = CSharpGeneratorDriver.Create(new OdeDynamicsGenerator()).RunGenerators(c.SemanticModel.Compilation, c.CancellationToken);
                // The generator's model keeps locations as path and span (no syntax tree survives parsing); the IDE
                // maps them to the document of that path, and so does this.
                foreach (Diagnostic d in driver.GetRunResult().Diagnostics.Where(d => d.Location.GetLineSpan().Path == tree.FilePath))
                {
                    c.ReportDiagnostic(Diagnostic.Create(d.Id, d.Descriptor.Category, d.GetMessage(), d.Severity, d.DefaultSeverity,
                        d.Descriptor.IsEnabledByDefault, d.WarningLevel, d.Descriptor.Title, d.Descriptor.Description, d.Descriptor.HelpLinkUri,
                        Location.Create(tree, d.Location.SourceSpan)));
                }
            });
        }
    }

    private const string Usings = "using System;\nusing OdeGen;\n\n";

    [Fact]
    public void FixableCodes_AreTheGeneratorsOwn()
    {
        Assert.Equal(FixableDiagnostics.InvalidSignature, DiagnosticDescriptors.InvalidSignature.Id);
        Assert.Equal(FixableDiagnostics.ParameterModifier, DiagnosticDescriptors.ParameterModifier.Id);
        Assert.Equal(FixableDiagnostics.TypeNotPartial, DiagnosticDescriptors.TypeNotPartial.Id);
        Assert.Equal(FixableDiagnostics.UnsupportedCall, DiagnosticDescriptors.UnsupportedCall.Id);
        Assert.Equal(FixableDiagnostics.GeneratedNameTaken, DiagnosticDescriptors.GeneratedNameTaken.Id);
    }

    [Fact]
    public Task MakeTypePartial_AddsPartialToEveryContainingType() => new Test<MakeTypePartialFix>("""
        public static class {|ODE0002:Outer|}
        {
            // the model
            static class {|ODE0002:Decay|}
            {
                [OdeDynamics]
                public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = -p[0] * y[0];
            }
        }
        """, """
        public static partial class Outer
        {
            // the model
            static partial class Decay
            {
                [OdeDynamics]
                public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = -p[0] * y[0];
            }
        }
        """) { NumberOfFixAllIterations = 1 }.RunAsync();

    [Fact]
    public Task FixSignature_MakesTheMethodStaticAndVoid_KeepingTheParameterNames() => new Test<FixSignatureFix>("""
        public partial class Decay
        {
            [OdeDynamics]
            public {|ODE0001:double|} {|ODE0001:Rhs|}(double time, ReadOnlySpan<double> state, ReadOnlySpan<double> theta, Span<double> rate) =>
                rate[0] = -theta[0] * state[0];
        }
        """, """
        public partial class Decay
        {
            [OdeDynamics]
            public static void Rhs(double time, ReadOnlySpan<double> state, ReadOnlySpan<double> theta, Span<double> rate) =>
                rate[0] = -theta[0] * state[0];
        }
        """).RunAsync();

    [Fact]
    public Task FixSignature_GivesTheFourParameters() => new Test<FixSignatureFix>("""
        public static partial class Decay
        {
            [OdeDynamics]
            public static void Rhs{|ODE0001:(double t, ReadOnlySpan<double> y, Span<double> dydt)|} => dydt[0] = -y[0];
        }
        """, """
        public static partial class Decay
        {
            [OdeDynamics]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = -y[0];
        }
        """).RunAsync();

    [Fact]
    public Task FixSignature_DropsParameterModifiers() => new Test<FixSignatureFix>("""
        public static partial class Decay
        {
            [OdeDynamics]
            public static void Rhs({|ODE0019:in|} double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = -p[0] * y[0];
        }
        """, """
        public static partial class Decay
        {
            [OdeDynamics]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = -p[0] * y[0];
        }
        """).RunAsync();

    [Fact]
    public Task FixSignature_OffersNothingOnADifferentiableFunction() => new Test<FixSignatureFix>("""
        public static partial class Layers
        {
            [Differentiable]
            public static void Scale({|ODE0019:in|} ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y) => y[0] = p[0] * x[0];
        }
        """, """
        public static partial class Layers
        {
            [Differentiable]
            public static void Scale({|ODE0019:in|} ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y) => y[0] = p[0] * x[0];
        }
        """).RunAsync();

    [Fact]
    public Task MarkHelper_AddsOdeDifferentiableToTheUsersMethod() => new Test<MarkHelperDifferentiableFix>("""
        public static partial class Decay
        {
            [OdeDynamics]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = {|ODE0005:Rate(p[0], y[0])|};

            // k·y, the decay rate
            public static double Rate(double k, double y) => -k * y;
        }
        """, """
        public static partial class Decay
        {
            [OdeDynamics]
            public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = Rate(p[0], y[0]);

            // k·y, the decay rate
            [OdeDifferentiable]
            public static double Rate(double k, double y) => -k * y;
        }
        """).RunAsync();

    [Fact]
    public Task RenameClashingMethod_RenamesTheMethodAndItsReferences() => new Test<RenameClashingMethodFix>("""
        public static partial class Decay
        {
            public const int RhsSystem = 3;

            [OdeDynamics]
            public static void {|ODE0012:Rhs|}(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = -p[0] * y[0];

            public static void Use(Span<double> dydt) => Rhs(0, [1.0], [2.0], dydt);
        }
        """, """
        public static partial class Decay
        {
            public const int RhsSystem = 3;

            [OdeDynamics]
            public static void RhsDynamics(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = -p[0] * y[0];

            public static void Use(Span<double> dydt) => RhsDynamics(0, [1.0], [2.0], dydt);
        }
        """).RunAsync();
}
