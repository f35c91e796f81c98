using System.Linq;
using OdeGen.Generators.Ir;
using OdeGen.Generators.Model;

namespace OdeGen.Generators.Emit;

/// <summary>
/// Writes the second part of a double system's struct, in a file of its own: EvaluateLanes, JvpLanes and
/// VjpLanes (<c>global::OdeGen.IOdeLaneSystem</c>), printed from the same simplified IR as their scalar
/// namesakes by <see cref="LaneFunctionEmitter"/>; for straight-line dynamics also the fused-step members
/// (<see cref="RegisterEmitter"/>, <c>global::OdeGen.IOdeFusedLaneSystem</c>).
/// </summary>
internal static class LaneEmitter
{
    /// <summary>How the lane file's hint name ends (the scalar file's is ".g.cs").</summary>
    public const string HintSuffix = ".Lanes.g.cs";

    private const string Constraint = "    where TLane : unmanaged, global::OdeGen.Lanes.ILane<TLane>";

    /// <summary>The lane file of <paramref name="system"/> (a double system: float ones have no lane variant).</summary>
    public static GeneratedFile Emit(SystemIr system)
    {
        SystemHeader h = system.Header;
        string hint = h.HintName.Substring(0, h.HintName.Length - ".g.cs".Length) + HintSuffix;
        return new GeneratedFile(hint, SystemEmitter.InContainingTypes(h, w => EmitStruct(w, system)));
    }

    private static void EmitStruct(IndentedWriter w, SystemIr s)
    {
        const string Ros = "global::System.ReadOnlySpan<TLane>", Span = "global::System.Span<TLane>";
        w.Line($"// The lane methods of {s.Header.StructName}: TLane.Count trajectories at once, one per SIMD lane, y[i] and p[k]")
         .Line("// holding state i and parameter k of every lane; each method means its scalar namesake, lane by lane.")
         .Open($"public readonly partial struct {s.Header.StructName} : global::OdeGen.{(RegisterEmitter.Applies(s) ? "IOdeFusedLaneSystem" : "IOdeLaneSystem")}");
        Method(w, "void EvaluateLanes", s.Evaluate, first: true, "double t", $"{Ros} y", $"{Ros} p", $"{Span} dydt");
        Method(w, "void JvpLanes", s.Jvp, first: false, "double t", $"{Ros} y", $"{Ros} p", "double tDot", $"{Ros} yDot", $"{Ros} pDot", $"{Span} dydt", $"{Span} dydtDot");
        Method(w, "TLane VjpLanes", s.Vjp, first: false, "double t", $"{Ros} y", $"{Ros} p", $"{Ros} a", $"{Span} yBar", $"{Span} pBar");
        if (RegisterEmitter.Applies(s))
        {
            RegisterEmitter.Emit(w, s);
        }

        w.Close();
    }

    private static void Method(IndentedWriter w, string returnAndName, IrFunction body, bool first, params string[] parameters)
    {
        if (!first)
        {
            w.Line();
        }

        w.Line("/// <inheritdoc/>")
         .Line($"public {returnAndName}<TLane>({string.Join(", ", parameters)})")
         .Line(Constraint)
         .Open();
        LaneFunctionEmitter.EmitBody(w, body, parameters.Select(p => p.Substring(p.LastIndexOf(' ') + 1)));
        w.Close();
    }
}
