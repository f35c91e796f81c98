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
/// is the attribute's request for Divergence, DivergenceVjp and Hvp (<see cref="SecondOrderIr"/>).
/// </remarks>
internal sealed record SystemHeader(string? Namespace, EquatableArray<ContainingType> Types, string MethodName, int States, int Parameters, bool Single = false, bool VectorizeLoops = false, string HintKey = "", bool SecondOrder = false)
{
    /// <summary>The generated struct's name, <c>{Method}System</c>.</summary>
    public string StructName => MethodName + "System";
}

/// <summary>The parser's output: the header and the user's method as primal IR.</summary>
internal sealed record SystemModel(SystemHeader Header, IrFunction Primal);

/// <summary>The differentiated system: one IR function per generated method; no Jacobian IR when it is built from Vjp rows.</summary>
internal sealed record SystemIr(SystemHeader Header, IrFunction Evaluate, IrFunction Jvp, IrFunction Vjp, IrFunction? Jacobian, SecondOrderIr? SecondOrder = null);

/// <summary>
/// A generated source file of the system <paramref name="HintKey"/>; its name is the key, a suffix when another
/// system's key differs only in case (added by the generator, which sees all keys), and <paramref name="Ending"/>.
/// </summary>
internal sealed record GeneratedFile(string HintKey, string Ending, string Text);
