using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace OdeGen.Generators;

/// <summary>Every diagnostic the generator reports. Errors mean no code is generated for that method.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "OdeGen";
    private const string HelpPage = "https://github.com/odegen/odegen/blob/main/docs/diagnostics.md";

    /// <summary>ODE0001: the method's shape is not the dynamics signature.</summary>
    public static readonly DiagnosticDescriptor InvalidSignature = Error("ODE0001",
        "[OdeDynamics] method has an unsupported signature",
        "[OdeDynamics] method '{0}' {1}; write 'static void {0}(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)'");

    /// <summary>ODE0002: the struct is nested into the user's type, which therefore must be partial.</summary>
    public static readonly DiagnosticDescriptor TypeNotPartial = Error("ODE0002",
        "Type containing an [OdeDynamics] or [Differentiable] method must be partial",
        "Type '{0}' must be declared 'partial' so OdeGen can add the generated '{1}' struct to it");

    /// <summary>ODE0003: a statement outside the supported subset.</summary>
    public static readonly DiagnosticDescriptor UnsupportedStatement = Error("ODE0003",
        "Unsupported statement in an [OdeDynamics] or [Differentiable] method",
        "'{0}' statements are not supported in {1}; use {2}");

    /// <summary>ODE0004: an expression outside the supported subset.</summary>
    public static readonly DiagnosticDescriptor UnsupportedExpression = Error("ODE0004",
        "Unsupported expression in an [OdeDynamics] or [Differentiable] method",
        "{0} is not supported in {1}; use {2}");

    /// <summary>ODE0005: a call to something that is not a known differentiable function.</summary>
    public static readonly DiagnosticDescriptor UnsupportedCall = Error("ODE0005",
        "Unsupported method call in an [OdeDynamics] or [Differentiable] method",
        "Call to '{0}' is not supported; mark your own helper [OdeDifferentiable], or use {1}: Sin, Cos, Tan, Exp, Log, Log10, Sqrt, Cbrt, Pow, Tanh, Sinh, Cosh, Atan, Asin, Acos, Atan2, Abs, Min, Max, Clamp, Sign, CopySign, FusedMultiplyAdd");

    /// <summary>ODE0006: span indices must be known at compile time.</summary>
    public static readonly DiagnosticDescriptor NonConstantIndex = Error("ODE0006",
        "Span index must be a compile-time constant",
        "Index '{0}' into '{1}' is not a compile-time constant; use an integer literal or a const int (inside a 'for' loop: an int expression of {2})");

    /// <summary>ODE0007: t, y and p (a function's x and p) are inputs, not assigned; the output span's own case is ODE0043.</summary>
    public static readonly DiagnosticDescriptor WriteToInput = Error("ODE0007",
        "Inputs of an [OdeDynamics] or [Differentiable] method are read-only",
        "'{0}' is an input and cannot be assigned; copy it into a {1} local and change the local, or write results to {2}");

    /// <summary>ODE0008: an index outside the declared (or any) size.</summary>
    public static readonly DiagnosticDescriptor IndexOutOfRange = Error("ODE0008",
        "Span index out of range",
        "Index {0} is outside '{1}', whose length is {2}; raise [{3} = ...)] or use an index below it");

    /// <summary>ODE0009: a value read before anything was assigned to it.</summary>
    public static readonly DiagnosticDescriptor ReadBeforeWrite = Error("ODE0009",
        "Value read before it is assigned",
        "'{0}' is read before it is assigned; assign it with '=' first");

    /// <summary>ODE0010: kinks break the smoothness the derivative code and adjoint method assume.</summary>
    public static readonly DiagnosticDescriptor NonSmoothFunction = new("ODE0010",
        "Non-smooth function in an [OdeDynamics] or [Differentiable] method",
        "'{0}' is not differentiable everywhere; at its kink or jump the generated derivative uses one side's slope{1}",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpLink("ODE0010"));

    /// <summary>ODE0011: a bug in the generator, reported instead of crashing the compiler.</summary>
    public static readonly DiagnosticDescriptor InternalError = Error("ODE0011",
        "OdeGen generator internal error",
        "OdeGen could not generate code for '{0}': {1}. Please report this with the method's source.");

    /// <summary>ODE0012: the generated struct's name is taken by a member the user declared, or by another marked overload.</summary>
    public static readonly DiagnosticDescriptor GeneratedNameTaken = Error("ODE0012",
        "Generated struct name is already used",
        "The struct '{1}' that OdeGen generates for '{2}' would clash with {3} in '{0}'; rename that member or the method");

    /// <summary>ODE0013: a declared size outside what the generator supports.</summary>
    public static readonly DiagnosticDescriptor UnsupportedSize = Error("ODE0013",
        "Unsupported system size",
        "{0} = {1} is outside the supported range 0 to {2}; use 0 (or leave it out) to infer the size from the indices used");

    /// <summary>ODE0014: a value the derivative needs is replaced in a way recomputation cannot undo.</summary>
    public static readonly DiagnosticDescriptor OverwrittenValue = Error("ODE0014",
        "Value overwritten while the derivative needs it",
        "'{0}' cannot be changed here: {1}. The generated derivative recomputes values instead of recording them, so a value it needs must not be replaced.");

    /// <summary>ODE0015: a loop that is not a counted loop with fixed bounds.</summary>
    public static readonly DiagnosticDescriptor UnsupportedLoop = Error("ODE0015",
        "Unsupported loop in an [OdeDynamics] or [Differentiable] method",
        "This 'for' loop is not supported: {0}; write 'for (int i = start; i < end; i++)' with start and end built from {1}");

    /// <summary>ODE0016: a branch on a differentiated value puts a kink or jump into f.</summary>
    public static readonly DiagnosticDescriptor NonSmoothBranch = new("ODE0016",
        "Branch on a differentiated value",
        "The condition '{0}' depends on {1}: {2} may have a kink or jump where it switches, the derivative is that of the branch taken{3}",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpLink("ODE0016"));

    /// <summary>ODE0017: a call to an [OdeDifferentiable] helper that cannot be inlined.</summary>
    public static readonly DiagnosticDescriptor UnsupportedHelper = Error("ODE0017",
        "Unsupported differentiable helper",
        "The [OdeDifferentiable] helper '{0}' cannot be used: {1}");

    /// <summary>ODE0018: a function with [OdeCustomDerivative] whose shape or rules do not fit.</summary>
    public static readonly DiagnosticDescriptor InvalidCustomDerivative = Error("ODE0018",
        "Invalid custom derivative rule",
        "The custom derivative of '{0}' cannot be used: {1}");

    /// <summary>ODE0019: a parameter passed by reference or as params, which the dynamics signature does not take.</summary>
    public static readonly DiagnosticDescriptor ParameterModifier = Error("ODE0019",
        "Parameter modifier not allowed on an [OdeDynamics] or [Differentiable] method",
        "The '{0}' modifier on parameter '{1}' of {4} method '{2}' is not allowed; declare it '{3} {1}', by value, without ref, in, out, ref readonly or params");

    /// <summary>ODE0020: [OdeDynamics] on a local function, a lambda, an accessor or an operator, which have no type to add the struct to.</summary>
    public static readonly DiagnosticDescriptor NotATypeMethod = Error("ODE0020",
        "[OdeDynamics] or [Differentiable] must mark a method declared in a type",
        "[{1}] cannot mark {0}: OdeGen adds the generated '{{Method}}{2}' struct to the type that declares the method; make it a static method of a partial class or struct");

    /// <summary>ODE0021: a constant index outside a stackalloc buffer.</summary>
    public static readonly DiagnosticDescriptor BufferIndexOutOfRange = Error("ODE0021",
        "Buffer index out of range",
        "Index {0} is outside the buffer '{1}', whose length is {2}; use an index from 0 to the length minus 1, or make the buffer larger");

    /// <summary>ODE0022: a method in a file-local type, which no other file can add a part to.</summary>
    public static readonly DiagnosticDescriptor FileLocalType = Error("ODE0022",
        "[OdeDynamics] or [Differentiable] method in a file-local type",
        "'{0}' is a file-local type: a 'file' type's parts must all be in one file, so OdeGen cannot add the generated '{1}' struct to it from its own file; remove 'file' (make the type 'internal' to keep it out of the assembly's API)");

    /// <summary>ODE0023: a variant interface, which cannot contain a struct.</summary>
    public static readonly DiagnosticDescriptor VariantContainingType = Error("ODE0023",
        "Type with variant type parameters cannot contain the generated struct",
        "'{0}' cannot contain the generated '{3}' struct because its type parameter '{1}' is '{2}' (a type with 'in' or 'out' type parameters cannot contain types); declare the method in another partial type, or remove '{2}'");

    /// <summary>ODE0025: an expression or statement nested deeper than the parser walks (the compiler's stack is not ours to spend).</summary>
    public static readonly DiagnosticDescriptor NestedTooDeeply = Error("ODE0025",
        "Expression or statement nested too deeply",
        "This is nested more than {0} levels deep (parentheses around right operands, unary minus, call arguments, conditions, blocks, loops and branches count; a long chain like 'a + b + c + ...' does not); compute inner parts into locals first");

    /// <summary>ODE0026: a method whose generated code would pass the limits of the runtime or of a sensible build.</summary>
    public static readonly DiagnosticDescriptor MethodTooLarge = Error("ODE0026",
        "[OdeDynamics] or [Differentiable] method too large",
        "'{0}' is too large to generate: {1}, more than the {2} OdeGen supports (its derivatives need up to six times as many, and a .NET method can have at most 65,534); compute it in a loop, or split it into smaller {3}");

    /// <summary>ODE0030: a [Differentiable] method's shape is not the function signature.</summary>
    public static readonly DiagnosticDescriptor InvalidFunctionSignature = Error("ODE0030",
        "[Differentiable] method has an unsupported signature",
        "[Differentiable] method '{0}' {1}; write 'static void {0}(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)' (or the same with float)");

    /// <summary>ODE0040: SecondOrder = true differentiates a custom function's forward rule once more, and cannot.</summary>
    public static readonly DiagnosticDescriptor SecondOrderCustomDerivative = Error("ODE0040",
        "A custom forward rule cannot be differentiated for SecondOrder",
        "'{0}' has [OdeCustomDerivative] rules, and SecondOrder = true differentiates its forward rule '{1}' once more, but {2}; write '{1}' in this file as an expression or statements ending in 'return value;' in the differentiable subset (it may call '{0}' and other functions with rules), replace [OdeCustomDerivative(...)] on '{0}' with [OdeDifferentiable], or remove SecondOrder = true");

    /// <summary>ODE0041: Divergence carries one tangent per state, so SecondOrder needs the number of states at compile time.</summary>
    public static readonly DiagnosticDescriptor SecondOrderNeedsStates = Error("ODE0041",
        "SecondOrder needs the number of states",
        "'{0}' loops over y.Length, so its number of states is known only at run time; Divergence carries one tangent per state and needs it when the code is generated: add States = n to [OdeDynamics]");

    /// <summary>ODE0042: a second-order method would be too large to generate.</summary>
    public static readonly DiagnosticDescriptor SecondOrderTooLarge = Error("ODE0042",
        "Second-order code too large",
        "'{0}' is too large for SecondOrder = true: its largest second-order method would hold {1} instructions, more than the {2} OdeGen generates; compute it in loops (a loop body is differentiated once), split it into smaller methods, or remove SecondOrder = true");

    /// <summary>
    /// ODE0043: the output span itself is assigned (ODE0007 is for the inputs); its elements are the results, the
    /// parameter is not replaced.
    /// </summary>
    public static readonly DiagnosticDescriptor AssignToOutput = Error("ODE0043",
        "The output span of an [OdeDynamics] or [Differentiable] method cannot be replaced",
        "'{0}' is the output span and cannot be replaced; write its elements instead ({0}[i] = ...)");

    private static readonly Dictionary<string, DiagnosticDescriptor> All = new()
    {
        [AssignToOutput.Id] = AssignToOutput,
        [SecondOrderTooLarge.Id] = SecondOrderTooLarge,
        [InvalidFunctionSignature.Id] = InvalidFunctionSignature,
        [SecondOrderCustomDerivative.Id] = SecondOrderCustomDerivative,
        [SecondOrderNeedsStates.Id] = SecondOrderNeedsStates,
        [NestedTooDeeply.Id] = NestedTooDeeply,
        [MethodTooLarge.Id] = MethodTooLarge,
        [VariantContainingType.Id] = VariantContainingType,
        [ParameterModifier.Id] = ParameterModifier,
        [NotATypeMethod.Id] = NotATypeMethod,
        [BufferIndexOutOfRange.Id] = BufferIndexOutOfRange,
        [FileLocalType.Id] = FileLocalType,
        [InvalidCustomDerivative.Id] = InvalidCustomDerivative,
        [UnsupportedHelper.Id] = UnsupportedHelper,
        [NonSmoothBranch.Id] = NonSmoothBranch,
        [OverwrittenValue.Id] = OverwrittenValue,
        [UnsupportedLoop.Id] = UnsupportedLoop,
        [InvalidSignature.Id] = InvalidSignature,
        [TypeNotPartial.Id] = TypeNotPartial,
        [UnsupportedStatement.Id] = UnsupportedStatement,
        [UnsupportedExpression.Id] = UnsupportedExpression,
        [UnsupportedCall.Id] = UnsupportedCall,
        [NonConstantIndex.Id] = NonConstantIndex,
        [WriteToInput.Id] = WriteToInput,
        [IndexOutOfRange.Id] = IndexOutOfRange,
        [ReadBeforeWrite.Id] = ReadBeforeWrite,
        [NonSmoothFunction.Id] = NonSmoothFunction,
        [InternalError.Id] = InternalError,
        [GeneratedNameTaken.Id] = GeneratedNameTaken,
        [UnsupportedSize.Id] = UnsupportedSize,
    };

    /// <summary>The descriptor with code <paramref name="id"/>.</summary>
    public static DiagnosticDescriptor ById(string id) => All[id];

    /// <summary>Every descriptor's code, for tests that walk them all.</summary>
    public static IEnumerable<string> Ids => All.Keys;

    /// <summary>The code's own section of docs/diagnostics.md: GitHub's anchor of the heading "## ODE00NN".</summary>
    internal static string HelpLink(string id) => HelpPage + "#" + id.ToLowerInvariant();

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLink(id),
            customTags: WellKnownDiagnosticTags.NotConfigurable);
}
