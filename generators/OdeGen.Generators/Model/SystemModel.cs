using OdeGen.Generators.Ir;

namespace OdeGen.Generators.Model;

/// <summary>One type around the generated struct, as it must be re-declared (e.g. "static partial class", "Lorenz").</summary>
internal sealed record ContainingType(string Keywords, string Name);

/// <summary>
/// Where the generated struct goes and how it is named: everything the emitter needs about the
/// user's declaration, as plain strings.
/// </summary>
/// <remarks>
/// A size of -1 is known only at run time: the struct then takes it in its constructor. <paramref name="VectorizeLoops"/>
/// is the attribute's opt-in to loops run across their index in SIMD (Emit/VectorLoopEmitter.cs). <paramref name="HintKey"/>
/// names the system's files, one-to-one with the struct's fully qualified name (<see cref="HintNames"/>). <paramref name="SecondOrder"/>
/// is the attribute's request for Divergence, DivergenceVjp and Hvp (<see cref="SecondOrderIr"/>). <paramref name="CallsObsolete"/>
/// is true when the generated code calls a user's function or rule marked [Obsolete] (as a warning; the user sees it at their call).
/// </remarks>
/// A <see cref="TargetKind.Function"/> reuses the dynamics' vocabulary: <paramref name="States"/> is its number of inputs (x),
/// <paramref name="Outputs"/> its number of outputs (y), which for dynamics is <paramref name="States"/> again.
internal sealed record SystemHeader(string? Namespace, EquatableArray<ContainingType> Types, string MethodName, int States, int Parameters, bool Single = false, bool VectorizeLoops = false, string HintKey = "", bool SecondOrder = false,
    TargetKind Kind = TargetKind.Dynamics, int Outputs = 0, bool FuseMultiplyAdds = false, bool CallsObsolete = false)
{
    /// <summary>The generated struct's name, <c>{Method}System</c> or <c>{Method}Function</c>.</summary>
    public string StructName => MethodName + (Kind == TargetKind.Function ? "Function" : "System");
}

/// <summary>What a marked method is, and so what the generated struct implements.</summary>
internal enum TargetKind : byte
{
    /// <summary>[OdeDynamics]: f(t, y, p) → {Method}System, an IOdeSystem.</summary>
    Dynamics,

    /// <summary>[Differentiable]: y = g(x, p) → {Method}Function, an IDifferentiableFunction (no t, no Jacobian, three sizes).</summary>
    Function,
}

/// <summary>The parser's output: the header and the user's method as primal IR.</summary>
internal sealed record SystemModel(SystemHeader Header, IrFunction Primal);

/// <summary>
/// The differentiated target: one IR function per generated method; no Jacobian IR when it is built from Vjp rows, and
/// none for a function (which has no Jacobian method). The IR is in the dynamics' names for either kind of target.
/// <see cref="AugmentedIr"/> holds a double system's one-sweep methods.
/// </summary>
internal sealed record SystemIr(SystemHeader Header, IrFunction Evaluate, IrFunction Jvp, IrFunction Vjp, IrFunction? Jacobian, SecondOrderIr? SecondOrder = null,
    AugmentedIr? Augmented = null);

/// <summary>
/// A generated source file of the system <paramref name="HintKey"/>; its name is the key, a suffix when another
/// system's key differs only in case (added by the generator, which sees all keys), and <paramref name="Ending"/>.
/// </summary>
internal sealed record GeneratedFile(string HintKey, string Ending, string Text);
