using System.Linq;
using OdeGen.Generators.Analyses;
using OdeGen.Generators.Model;

namespace OdeGen.Generators.Emit;

/// <summary>
/// Writes the third part of a <c>SecondOrder = true</c> system's struct, in a file of its own: Divergence, DivergenceVjp
/// and Hvp (<c>global::OdeGen.IOdeSystemSecondOrder</c>) and their lane forms (<c>IOdeLaneSystemSecondOrder</c>), printed
/// from the simplified second-order IR by the same printers as the first-order methods; float systems get the Single
/// interfaces.
/// </summary>
internal static class SecondOrderEmitter
{
    /// <summary>How the second-order file's hint name ends.</summary>
    public const string HintSuffix = ".SecondOrder.g.cs";

    /// <summary>
    /// The second-order file of <paramref name="system"/>, which has <see cref="EmitPlan.SecondOrder"/>; a [Differentiable]
    /// function's holds its Hvp (<see cref="FunctionTargetEmitter.EmitSecondOrder"/>).
    /// </summary>
    public static GeneratedFile Emit(EmitPlan system)
    {
        SystemHeader h = system.Header;
        string? pragma = h.Single ? LaneEmitter.FloatLanesPragma : null;
        string text = h.Kind == TargetKind.Function
            ? SystemEmitter.InContainingTypes(h, w => FunctionTargetEmitter.EmitSecondOrder(w, h, system.SecondOrder!.Hvp), pragma)
            : SystemEmitter.InContainingTypes(h, w => EmitStruct(w, h, system.SecondOrder!), pragma);
        return new GeneratedFile(h.HintKey, HintSuffix, text);
    }

    private static void EmitStruct(IndentedWriter w, SystemHeader h, SecondOrderPlan s)
    {
        MethodPlan divergence = s.Divergence!, divergenceVjp = s.DivergenceVjp!;
        string r = h.Single ? "float" : "double";
        string Ros = $"global::System.ReadOnlySpan<{r}>", Span = $"global::System.Span<{r}>";
        string lanes = h.Single ? "IOdeLaneSystemSingleSecondOrder" : "IOdeLaneSystemSecondOrder";
        w.Open($"public readonly partial struct {h.StructName} : global::OdeGen.{lanes}")
         .Line($"// The second-order methods of {h.StructName}, derived from its own first-order code: Divergence keeps the")
         .Line("// diagonal of the forward sweep seeded by unit vectors (direction j keeps output j only), DivergenceVjp")
         .Line("// reverses it, Hvp is forward mode over Vjp with a held fixed.");
        SystemEmitter.Method(w, h, $"{r} Divergence", divergence, $"{r} t", $"{Ros} y", $"{Ros} p");
        SystemEmitter.Method(w, h, $"{r} DivergenceVjp", divergenceVjp, $"{r} t", $"{Ros} y", $"{Ros} p", $"{r} s", $"{Span} yBar", $"{Span} pBar");
        SystemEmitter.Method(w, h, "void Hvp", s.Hvp, $"{r} t", $"{Ros} y", $"{Ros} p", $"{Ros} a", $"{r} tDot", $"{Ros} yDot", $"{Ros} pDot",
            $"{Span} yBarDot", $"{Span} pBarDot");

        const string LRos = "global::System.ReadOnlySpan<TLane>", LSpan = "global::System.Span<TLane>";
        LaneNumber number = LaneNumber.Of(h.Single);
        string constraint = $"    where TLane : unmanaged, {number.LaneInterface}<TLane>";
        LaneMethod(w, "TLane DivergenceLanes", divergence, constraint, $"{r} t", $"{LRos} y", $"{LRos} p");
        LaneMethod(w, "TLane DivergenceVjpLanes", divergenceVjp, constraint, $"{r} t", $"{LRos} y", $"{LRos} p", "TLane s", $"{LSpan} yBar", $"{LSpan} pBar");
        LaneMethod(w, "void HvpLanes", s.Hvp, constraint, $"{r} t", $"{LRos} y", $"{LRos} p", $"{LRos} a", $"{r} tDot", $"{LRos} yDot", $"{LRos} pDot",
            $"{LSpan} yBarDot", $"{LSpan} pBarDot");
        w.Close();
    }

    internal static void LaneMethod(IndentedWriter w, string returnAndName, MethodPlan body, string constraint, params string[] parameters)
    {
        w.Line()
         .Line("/// <inheritdoc/>")
         .Line($"public {returnAndName}<TLane>({string.Join(", ", parameters)})")
         .Line(constraint)
         .Open();
        LaneFunctionEmitter.EmitBody(w, body, parameters.Select(p => p.Substring(p.LastIndexOf(' ') + 1)));
        w.Close();
    }
}
