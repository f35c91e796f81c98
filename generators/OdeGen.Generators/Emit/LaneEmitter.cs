using System.Linq;
using OdeGen.Generators.Analyses;
using OdeGen.Generators.Model;

namespace OdeGen.Generators.Emit;

/// <summary>
/// Writes the second part of a system's struct, in a file of its own: EvaluateLanes, JvpLanes and VjpLanes
/// (<c>global::OdeGen.IOdeLaneSystem</c> for a double system, <c>IOdeLaneSystemSingle</c> for a float one), printed
/// from the same simplified IR as their scalar namesakes by <see cref="LaneFunctionEmitter"/>; for straight-line
/// double dynamics also the fused-step members (<see cref="RegisterEmitter"/>, <c>global::OdeGen.IOdeFusedLaneSystem</c>).
/// </summary>
internal static class LaneEmitter
{
    /// <summary>How the lane file's hint name ends (the scalar file's is <see cref="HintNames.Extension"/>).</summary>
    public const string HintSuffix = ".Lanes.g.cs";

    /// <summary>
    /// The float lane family is [Experimental] (ODEGEN001) until a float solver uses it; the generated code that
    /// implements it opts in for the user, who opts in only where their own code names those types.
    /// </summary>
    public const string FloatLanesPragma = "#pragma warning disable ODEGEN001 // the float lane family is experimental (docs/lanes.md, \"Lane types\")";

    /// <summary>The lane file of <paramref name="system"/>.</summary>
    public static GeneratedFile Emit(EmitPlan system)
    {
        SystemHeader h = system.Header;
        return new GeneratedFile(h.HintKey, HintSuffix, SystemEmitter.InContainingTypes(h, w => EmitStruct(w, system), h.Single ? FloatLanesPragma : null));
    }

    private static void EmitStruct(IndentedWriter w, EmitPlan s)
    {
        const string Ros = "global::System.ReadOnlySpan<TLane>", Span = "global::System.Span<TLane>";
        LaneNumber number = LaneNumber.Of(s.Header.Single);
        string t = number.Real + " t", tDot = number.Real + " tDot", constraint = $"    where TLane : unmanaged, {number.LaneInterface}<TLane>";
        w.Line($"// The lane methods of {s.Header.StructName}: TLane.Count trajectories at once, one per SIMD lane, y[i] and p[k]")
         .Line("// holding state i and parameter k of every lane; each method means its scalar namesake, lane by lane.")
         .Open($"public readonly partial struct {s.Header.StructName} : {(s.FusedRegisters ? "global::OdeGen.IOdeFusedLaneSystem" : number.SystemInterface)}");
        Method(w, "void EvaluateLanes", s.Evaluate, constraint, first: true, t, $"{Ros} y", $"{Ros} p", $"{Span} dydt");
        Method(w, "void JvpLanes", s.Jvp, constraint, first: false, t, $"{Ros} y", $"{Ros} p", tDot, $"{Ros} yDot", $"{Ros} pDot", $"{Span} dydt", $"{Span} dydtDot");
        Method(w, "TLane VjpLanes", s.Vjp, constraint, first: false, t, $"{Ros} y", $"{Ros} p", $"{Ros} a", $"{Span} yBar", $"{Span} pBar");
        if (s.FusedRegisters)
        {
            RegisterEmitter.Emit(w, s);
        }

        w.Close();
    }

    private static void Method(IndentedWriter w, string returnAndName, MethodPlan body, string constraint, bool first, params string[] parameters)
    {
        if (!first)
        {
            w.Line();
        }

        w.Line("/// <inheritdoc/>")
         .Line($"public {returnAndName}<TLane>({string.Join(", ", parameters)})")
         .Line(constraint)
         .Open();
        LaneFunctionEmitter.EmitBody(w, body, parameters.Select(p => p.Substring(p.LastIndexOf(' ') + 1)));
        w.Close();
    }
}
