using System;
using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using OdeGen.Generators.Differentiation;
using OdeGen.Generators.Emit;
using OdeGen.Generators.Model;
using OdeGen.Generators.Optimize;
using OdeGen.Generators.Simplify;

namespace OdeGen.Generators;

/// <summary>
/// Generates <c>{Type}.{Method}System</c> for every <c>[OdeDynamics]</c> method:
/// parse (Roslyn → IR) → differentiate → simplify → emit, each a cached, named step.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class OdeDynamicsGenerator : IIncrementalGenerator
{
    /// <summary>Fully qualified name of the marker attribute.</summary>
    internal const string AttributeName = "OdeGen.OdeDynamicsAttribute";

    /// <summary>Names of the tracked pipeline steps, shared with the incrementality tests.</summary>
    internal static class TrackingNames
    {
        /// <summary>Roslyn → model plus diagnostics.</summary>
        public const string Parse = "OdeGen.Parse";

        /// <summary>The error-free models.</summary>
        public const string Model = "OdeGen.Model";

        /// <summary>Which systems' file names need a case suffix, and which are shared (<see cref="HintPlan"/>).</summary>
        public const string FileNames = "OdeGen.FileNames";

        /// <summary>Forward and reverse mode.</summary>
        public const string Differentiate = "OdeGen.Differentiate";

        /// <summary>Folding, CSE and dead code.</summary>
        public const string Simplify = "OdeGen.Simplify";

        /// <summary>C# text.</summary>
        public const string Emit = "OdeGen.Emit";

        /// <summary>C# text of the lane methods.</summary>
        public const string EmitLanes = "OdeGen.EmitLanes";

        /// <summary>C# text of the second-order methods (SecondOrder = true).</summary>
        public const string EmitSecondOrder = "OdeGen.EmitSecondOrder";
    }

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // Local functions, lambdas, accessors and operators are taken too, to be told why they get nothing (ODE0020).
        IncrementalValuesProvider<Result<SystemModel>> parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(AttributeName, static (node, _) => node is BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax
                or AnonymousFunctionExpressionSyntax or AccessorDeclarationSyntax, Parse)
            .WithTrackingName(TrackingNames.Parse);

        // Diagnostics have their own output: a moved line changes them but not the code.
        context.RegisterSourceOutput(parsed.Select(static (r, _) => r.Diagnostics), ReportDiagnostics);

        IncrementalValuesProvider<SystemModel> models = parsed
            .Where(static r => r.Value is not null)
            .Select(static (r, _) => r.Value!)
            .WithTrackingName(TrackingNames.Model);

        // File names must differ ignoring case: the few keys that do not get a suffix, and a key two systems share
        // (only in code the compiler rejects) gets no file. This needs all keys; it is combined in only at AddSource.
        IncrementalValueProvider<HintPlan> hintPlan = models
            .Select(static (m, _) => m.Header.HintKey)
            .Collect()
            .Select(static (keys, _) => HintNames.Plan(keys))
            .WithTrackingName(TrackingNames.FileNames);

        IncrementalValuesProvider<Result<SystemIr>> simplified = models
            .Select(static (m, ct) => Guarded(m.Header.MethodName, () => SecondOrder.Attach(SystemDifferentiator.Differentiate(m))))
            .WithTrackingName(TrackingNames.Differentiate)
            .Select(static (r, ct) => Then(r, s => s with
            {
                Evaluate = Optimizer.Run(s.Evaluate, exact: true),
                Jvp = Optimizer.Run(s.Jvp, exact: false),
                Vjp = Optimizer.Run(s.Vjp, exact: false),
                Jacobian = s.Jacobian is null ? null : Optimizer.Run(s.Jacobian, exact: false),
                SecondOrder = s.SecondOrder?.Map(f => Optimizer.Run(f, exact: false)),
            }))
            .WithTrackingName(TrackingNames.Simplify);

        IncrementalValuesProvider<Result<GeneratedFile>> files = simplified
            .Select(static (r, ct) => Then(r, Emit))
            .WithTrackingName(TrackingNames.Emit);

        context.RegisterSourceOutput(files.Combine(hintPlan), AddFile);

        // The lane methods go to a second file of the partial struct (double and float systems alike): a failure
        // there (ODE0011) leaves the scalar system intact; failures upstream are reported once, above.
        IncrementalValuesProvider<Result<GeneratedFile>> laneFiles = simplified
            .Where(static r => r.Value is not null)
            .Select(static (r, ct) => Guarded(r.Value!.Header.MethodName, () => EmitLanes(r.Value!)))
            .WithTrackingName(TrackingNames.EmitLanes);
        context.RegisterSourceOutput(laneFiles.Combine(hintPlan), AddFile);

        // Divergence, DivergenceVjp and Hvp (scalar and lanes) go to a third file of the partial struct.
        IncrementalValuesProvider<Result<GeneratedFile>> secondOrderFiles = simplified
            .Where(static r => r.Value?.SecondOrder is not null)
            .Select(static (r, ct) => Guarded(r.Value!.Header.MethodName, () => SecondOrderEmitter.Emit(r.Value!)))
            .WithTrackingName(TrackingNames.EmitSecondOrder);
        context.RegisterSourceOutput(secondOrderFiles.Combine(hintPlan), AddFile);
    }

    private static void AddFile(SourceProductionContext context, (Result<GeneratedFile> File, HintPlan Plan) input)
    {
        (Result<GeneratedFile> file, HintPlan plan) = input;
        ReportDiagnostics(context, file.Diagnostics);

        // Hint names are unique: keys are one-to-one with the structs' full names (file-local types are rejected,
        // ODE0022), a type has one marked method of a name (ODE0012), keys equal ignoring case get a suffix, and
        // a key two systems share (two types of one name, a compile error) gets no file.
        if (file.Value is { } generated && HintNames.HintName(generated.HintKey, generated.Ending, plan) is { } hintName)
        {
            context.AddSource(hintName, generated.Text);
        }
    }

    private static void ReportDiagnostics(SourceProductionContext context, EquatableArray<DiagnosticInfo> diagnostics)
    {
        foreach (DiagnosticInfo info in diagnostics)
        {
            context.ReportDiagnostic(info.ToDiagnostic());
        }
    }

    /// <summary>Runs the next step on a successful result; failures pass through.</summary>
    private static Result<TOut> Then<TIn, TOut>(Result<TIn> input, Func<TIn, TOut> step)
        where TIn : class
        where TOut : class =>
        input.Value is null ? new Result<TOut>(null, input.Diagnostics) : Guarded(StepName(input.Value), () => step(input.Value));

    private static string StepName(object value) => value is SystemIr s ? s.Header.MethodName : value.GetType().Name;

    /// <summary>The generator must never throw into the compiler: a bug becomes diagnostic ODE0011.</summary>
    internal static Result<T> Guarded<T>(string method, Func<T> step)
        where T : class
    {
        try
        {
            return Result<T>.Ok(step());
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Result<T>.Fail(DiagnosticInfo.Create(DiagnosticDescriptors.InternalError, null, method, e.GetType().Name + ": " + e.Message));
        }
    }
}
