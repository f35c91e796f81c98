using System;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using OdeGen.Generators.Analyses;
using OdeGen.Generators.Differentiation;
using OdeGen.Generators.Emit;
using OdeGen.Generators.Model;
using OdeGen.Generators.Optimize;
using OdeGen.Generators.Simplify;

namespace OdeGen.Generators;

/// <summary>
/// Generates <c>{Type}.{Method}System</c> for every <c>[OdeDynamics]</c> method and <c>{Type}.{Method}Function</c> for every
/// <c>[Differentiable]</c> method:
/// parse (Roslyn → IR) → differentiate → simplify → emit, each a cached, named step.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class OdeDynamicsGenerator : IIncrementalGenerator
{
    /// <summary>Fully qualified name of the marker attribute.</summary>
    internal const string AttributeName = "OdeGen.OdeDynamicsAttribute";

    /// <summary>Fully qualified name of the attribute that marks differentiable functions (a second kind of target).</summary>
    internal const string FunctionAttributeName = "OdeGen.DifferentiableAttribute";

    /// <summary>Names of the tracked pipeline steps of [OdeDynamics] systems, shared with the incrementality tests.</summary>
    internal static class TrackingNames
    {
        /// <summary>Roslyn → model plus diagnostics.</summary>
        public const string Parse = "OdeGen.Parse";

        /// <summary>The error-free models.</summary>
        public const string Model = "OdeGen.Model";

        /// <summary>Which targets' file names need a case suffix, and which are shared (<see cref="HintPlan"/>).</summary>
        public const string FileNames = "OdeGen.FileNames";

        /// <summary>Forward and reverse mode.</summary>
        public const string Differentiate = "OdeGen.Differentiate";

        /// <summary>Folding, CSE and dead code.</summary>
        public const string Simplify = "OdeGen.Simplify";

        /// <summary>The analyses whose answers the emitters print (<see cref="EmitPlan"/>): lane uniformity, register eligibility, loop vectorization.</summary>
        public const string Plan = "OdeGen.Plan";

        /// <summary>C# text.</summary>
        public const string Emit = "OdeGen.Emit";

        /// <summary>C# text of the lane methods.</summary>
        public const string EmitLanes = "OdeGen.EmitLanes";

        /// <summary>C# text of the second-order methods (SecondOrder = true).</summary>
        public const string EmitSecondOrder = "OdeGen.EmitSecondOrder";

        /// <summary>C# text of the one-sweep methods (EvaluateVjp; EvaluateDivergence and VjpDivergenceVjp with SecondOrder = true).</summary>
        public const string EmitAugmented = "OdeGen.EmitAugmented";
    }

    /// <summary>The same steps for [Differentiable] functions, under names of their own so each target's caching can be asserted.</summary>
    internal static class FunctionTrackingNames
    {
        /// <summary>Roslyn → model plus diagnostics.</summary>
        public const string Parse = "OdeGen.Function.Parse";

        /// <summary>The error-free models.</summary>
        public const string Model = "OdeGen.Function.Model";

        /// <summary>Forward and reverse mode.</summary>
        public const string Differentiate = "OdeGen.Function.Differentiate";

        /// <summary>Folding, CSE and dead code.</summary>
        public const string Simplify = "OdeGen.Function.Simplify";

        /// <summary>The analyses whose answers the emitters print (<see cref="EmitPlan"/>).</summary>
        public const string Plan = "OdeGen.Function.Plan";

        /// <summary>C# text.</summary>
        public const string Emit = "OdeGen.Function.Emit";

        /// <summary>C# text of the lane methods.</summary>
        public const string EmitLanes = "OdeGen.Function.EmitLanes";

        /// <summary>C# text of Hvp and HvpLanes (SecondOrder = true).</summary>
        public const string EmitSecondOrder = "OdeGen.Function.EmitSecondOrder";
    }

    /// <summary>One kind of target's step names.</summary>
    private sealed record Steps(string Parse, string Model, string Differentiate, string Simplify, string Plan, string Emit, string EmitLanes, string EmitSecondOrder);

    private static readonly Steps DynamicsSteps = new(TrackingNames.Parse, TrackingNames.Model, TrackingNames.Differentiate,
        TrackingNames.Simplify, TrackingNames.Plan, TrackingNames.Emit, TrackingNames.EmitLanes, TrackingNames.EmitSecondOrder);

    private static readonly Steps FunctionSteps = new(FunctionTrackingNames.Parse, FunctionTrackingNames.Model, FunctionTrackingNames.Differentiate,
        FunctionTrackingNames.Simplify, FunctionTrackingNames.Plan, FunctionTrackingNames.Emit, FunctionTrackingNames.EmitLanes, FunctionTrackingNames.EmitSecondOrder);

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        // Two kinds of target, one pipeline: the parser tells them apart by the attribute and lowers both into the same
        // model, and every later step is the same function of it.
        IncrementalValuesProvider<SystemModel> systems = Models(context, AttributeName, DynamicsSteps);
        IncrementalValuesProvider<SystemModel> functions = Models(context, FunctionAttributeName, FunctionSteps);

        // File names must differ ignoring case: the few keys that do not get a suffix, and a key two targets share
        // (only in code the compiler rejects) gets no file. This needs all keys, of both kinds (a system's and a
        // function's keys end in different struct names, so they never equal); it is combined in only at AddSource.
        IncrementalValueProvider<HintPlan> hintPlan = systems
            .Select(static (m, _) => m.Header.HintKey)
            .Collect()
            .Combine(functions.Select(static (m, _) => m.Header.HintKey).Collect())
            .Select(static (keys, _) => HintNames.Plan(keys.Left.Concat(keys.Right)))
            .WithTrackingName(TrackingNames.FileNames);

        Generate(context, systems, hintPlan, DynamicsSteps);
        Generate(context, functions, hintPlan, FunctionSteps);
    }

    /// <summary>The parsed, error-free models of the methods marked <paramref name="attributeName"/>; their diagnostics are reported.</summary>
    private static IncrementalValuesProvider<SystemModel> Models(IncrementalGeneratorInitializationContext context, string attributeName, Steps steps)
    {
        // Local functions, lambdas, accessors and operators are taken too, to be told why they get nothing (ODE0020).
        IncrementalValuesProvider<Result<SystemModel>> parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(attributeName, static (node, _) => node is BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax
                or AnonymousFunctionExpressionSyntax or AccessorDeclarationSyntax, Parse)
            .WithTrackingName(steps.Parse);

        // Diagnostics have their own output: a moved line changes them but not the code.
        ReportDiagnostics(context, parsed.Select(static (r, _) => r.Diagnostics));

        return parsed
            .Where(static r => r.Value is not null)
            .Select(static (r, _) => r.Value!)
            .WithTrackingName(steps.Model);
    }

    /// <summary>
    /// The first-order methods of <paramref name="m"/>, with the second-order and one-sweep ones it asks for. With
    /// FuseMultiplyAdds the caller passes the user's method already contracted, so every method differentiates that f.
    /// </summary>
    private static SystemIr Differentiate(SystemModel m) => Augmented.Attach(SecondOrder.Attach(SystemDifferentiator.Differentiate(m), m), m);

    /// <summary>Differentiate → simplify → plan → emit (scalar and lanes) for one kind of target.</summary>
    private static void Generate(IncrementalGeneratorInitializationContext context, IncrementalValuesProvider<SystemModel> models,
        IncrementalValueProvider<HintPlan> hintPlan, Steps steps)
    {
        IncrementalValuesProvider<Result<SystemIr>> simplified = models
            .Select(static (m, ct) => Guarded(m.Header.MethodName, () => Differentiate(m.Header.FuseMultiplyAdds ? m with { Primal = FmaContraction.RunPrimal(m.Primal) } : m)))
            .WithTrackingName(steps.Differentiate)
            .Select(static (r, ct) => Then(r, s => s with
            {
                Evaluate = Optimizer.Run(s.Evaluate, exact: true),
                Jvp = Optimizer.Run(s.Jvp, exact: false),
                Vjp = Optimizer.Run(s.Vjp, exact: false),
                Jacobian = s.Jacobian is null ? null : Optimizer.Run(s.Jacobian, exact: false),
                SecondOrder = s.SecondOrder?.Map(f => Optimizer.Run(f, exact: false)),
                Augmented = s.Augmented?.Map(f => Optimizer.Run(f, exact: false)) is { } a ? a with { Kept = KeptSplit.Split(a.EvaluateVjp) } : null,
            }))
            .WithTrackingName(steps.Simplify);

        // Every decision the emitters print (which loops run in SIMD, which sums wait in memory across calls, which
        // conditions are lane masks, whether the lanes get the fused-step members) is made here, once per target.
        IncrementalValuesProvider<Result<EmitPlan>> planned = simplified
            .Select(static (r, ct) => Then(r, EmitPlan.Of))
            .WithTrackingName(steps.Plan);

        IncrementalValuesProvider<Result<GeneratedFile>> files = planned
            .Select(static (r, ct) => Then(r, Emit))
            .WithTrackingName(steps.Emit);

        context.RegisterSourceOutput(files.Combine(hintPlan), AddFile);
        ReportDiagnostics(context, files.Select(static (r, _) => r.Diagnostics));

        // The lane methods go to a second file of the partial struct (double and float targets alike): a failure
        // there (ODE0011) leaves the scalar struct intact; failures upstream are reported once, above.
        IncrementalValuesProvider<Result<GeneratedFile>> laneFiles = planned
            .Where(static r => r.Value is not null)
            .Select(static (r, ct) => Guarded(r.Value!.Header.MethodName, () => EmitLanes(r.Value!)))
            .WithTrackingName(steps.EmitLanes);
        context.RegisterSourceOutput(laneFiles.Combine(hintPlan), AddFile);
        ReportDiagnostics(context, laneFiles.Select(static (r, _) => r.Diagnostics));

        // Divergence, DivergenceVjp and Hvp (scalar and lanes; a function's Hvp only) go to a third file of the partial struct.
        IncrementalValuesProvider<Result<GeneratedFile>> secondOrderFiles = planned
            .Where(static r => r.Value?.SecondOrder is not null)
            .Select(static (r, ct) => Guarded(r.Value!.Header.MethodName, () => SecondOrderEmitter.Emit(r.Value!)))
            .WithTrackingName(steps.EmitSecondOrder);
        context.RegisterSourceOutput(secondOrderFiles.Combine(hintPlan), AddFile);
        ReportDiagnostics(context, secondOrderFiles.Select(static (r, _) => r.Diagnostics));

        // The one-sweep methods of a double system (EvaluateVjp, and with SecondOrder its divergence pairs) go to a fourth
        // file; [Differentiable] functions and float systems have none, so this step sees only dynamics.
        IncrementalValuesProvider<Result<GeneratedFile>> augmentedFiles = planned
            .Where(static r => r.Value?.Augmented is not null)
            .Select(static (r, ct) => Guarded(r.Value!.Header.MethodName, () => AugmentedEmitter.Emit(r.Value!)))
            .WithTrackingName(TrackingNames.EmitAugmented);
        context.RegisterSourceOutput(augmentedFiles.Combine(hintPlan), AddFile);
        ReportDiagnostics(context, augmentedFiles.Select(static (r, _) => r.Diagnostics));
    }

    private static void AddFile(SourceProductionContext context, (Result<GeneratedFile> File, HintPlan Plan) input)
    {
        (Result<GeneratedFile> file, HintPlan plan) = input;

        // Hint names are unique: keys are one-to-one with the structs' full names (file-local types are rejected,
        // ODE0022), a type has one method of a name marked with each attribute (ODE0012) and a system's struct name
        // ends in System where a function's ends in Function, keys equal ignoring case get a suffix, and a key two
        // targets share (two types of one name, a compile error) gets no file.
        if (file.Value is { } generated && HintNames.HintName(generated.HintKey, generated.Ending, plan) is { } hintName)
        {
            context.AddSource(hintName, generated.Text);
        }
    }

    /// <summary>
    /// Reports a step's diagnostics at locations in the compilation's own syntax trees. The pipeline carries locations as
    /// plain data (<see cref="LocationInfo"/>), and a location rebuilt from a path alone is an external one, which the
    /// compiler does not check against the user's <c>#pragma warning disable</c> or <c>[SuppressMessage]</c>: the
    /// documented way to silence a warning such as ODE0016 would not work. The compilation is combined in only here, after
    /// the cached steps, so an edit re-runs this loop over the (usually empty) lists and nothing else.
    /// </summary>
    private static void ReportDiagnostics(IncrementalGeneratorInitializationContext context, IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics) =>
        context.RegisterSourceOutput(diagnostics.Where(static d => d.Count > 0).Combine(context.CompilationProvider), static (output, input) =>
        {
            foreach (DiagnosticInfo info in input.Left)
            {
                output.ReportDiagnostic(info.ToDiagnostic(input.Right));
            }
        });

    /// <summary>Runs the next step on a successful result; failures pass through.</summary>
    private static Result<TOut> Then<TIn, TOut>(Result<TIn> input, Func<TIn, TOut> step)
        where TIn : class
        where TOut : class =>
        input.Value is null ? new Result<TOut>(null, input.Diagnostics) : Guarded(StepName(input.Value), () => step(input.Value));

    private static string StepName(object value) => value switch
    {
        SystemIr s => s.Header.MethodName,
        EmitPlan p => p.Header.MethodName,
        _ => value.GetType().Name,
    };

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
