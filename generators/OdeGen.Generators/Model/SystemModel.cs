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
/// is the attribute's opt-in to loops run across their index in SIMD (Emit/VectorLoopEmitter.cs).
/// </remarks>
internal sealed record SystemHeader(string? Namespace, EquatableArray<ContainingType> Types, string MethodName, int States, int Parameters, bool Single = false, bool VectorizeLoops = false)
{
    /// <summary>The generated struct's name, <c>{Method}System</c>.</summary>
    public string StructName => MethodName + "System";

    /// <summary>A file name unique per method: namespace, types and method joined by dots.</summary>
    public string HintName
    {
        get
        {
            var sb = new System.Text.StringBuilder();
            if (Namespace is not null)
            {
                sb.Append(Namespace).Append('.');
            }

            foreach (ContainingType type in Types)
            {
                foreach (char c in type.Name)
                {
                    sb.Append(char.IsLetterOrDigit(c) || c == '_' ? c : '_');
                }

                sb.Append('.');
            }

            return sb.Append(StructName).Append(".g.cs").ToString();
        }
    }
}

/// <summary>The parser's output: the header and the user's method as primal IR.</summary>
internal sealed record SystemModel(SystemHeader Header, IrFunction Primal);

/// <summary>The differentiated system: one IR function per generated method; no Jacobian IR when it is built from Vjp rows.</summary>
internal sealed record SystemIr(SystemHeader Header, IrFunction Evaluate, IrFunction Jvp, IrFunction Vjp, IrFunction? Jacobian);

/// <summary>A generated source file.</summary>
internal sealed record GeneratedFile(string HintName, string Text);
