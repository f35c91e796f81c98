using OdeGen.Generators.Analyses;
using OdeGen.Generators.Model;

namespace OdeGen.Generators.Emit;

/// <summary>
/// Writes the fourth part of a double system's struct, in a file of its own: the one-sweep methods
/// (<see cref="AugmentedIr"/>), scalar and lanes, on <c>global::OdeGen.IOdeAugmentedLaneSystem</c> (and, for
/// <c>SecondOrder = true</c>, <c>IOdeAugmentedLaneSystemSecondOrder</c>), printed by the same printers as the other methods.
/// </summary>
internal static class AugmentedEmitter
{
    /// <summary>How the one-sweep file's hint name ends.</summary>
    public const string HintSuffix = ".Augmented.g.cs";

    /// <summary>The one-sweep file of <paramref name="system"/>, which has <see cref="EmitPlan.Augmented"/>.</summary>
    public static GeneratedFile Emit(EmitPlan system) =>
        new(system.Header.HintKey, HintSuffix, SystemEmitter.InContainingTypes(system.Header, w => EmitStruct(w, system.Header, system.Augmented!)));

    private static void EmitStruct(IndentedWriter w, SystemHeader h, AugmentedPlan s)
    {
        const string Ros = "global::System.ReadOnlySpan<double>", Span = "global::System.Span<double>";
        const string LRos = "global::System.ReadOnlySpan<TLane>", LSpan = "global::System.Span<TLane>";
        const string Constraint = "    where TLane : unmanaged, global::OdeGen.Lanes.ILane<TLane>";
        bool secondOrder = s.EvaluateDivergence is not null, kept = s.EvaluateKeeping is not null;
        w.Open($"public readonly partial struct {h.StructName} : global::OdeGen.{(secondOrder ? "IOdeAugmentedLaneSystemSecondOrder" : "IOdeAugmentedLaneSystem")}"
            + (kept ? ", global::OdeGen.IOdeLaneSystemKept" : string.Empty))
         .Line($"// The one-sweep methods of {h.StructName}: EvaluateVjp is Vjp whose forward sweep also writes f (the primal")
         .Line("// values the reverse sweep needs are the ones f is made of), for the augmented adjoint dynamics.");
        if (secondOrder)
        {
            w.Line("// EvaluateDivergence is Divergence's sweep writing f too; VjpDivergenceVjp reverses it with f's adjoint")
             .Line("// seeded by a and the trace's by s, for a continuous normalizing flow's field and its gradient.");
        }

        SystemEmitter.Method(w, h, "double EvaluateVjp", s.EvaluateVjp, "double t", $"{Ros} y", $"{Ros} p", $"{Ros} a", $"{Span} dydt", $"{Span} yBar", $"{Span} pBar");
        SecondOrderEmitter.LaneMethod(w, "TLane EvaluateVjpLanes", s.EvaluateVjp, Constraint, "double t", $"{LRos} y", $"{LRos} p", $"{LRos} a", $"{LSpan} dydt", $"{LSpan} yBar", $"{LSpan} pBar");
        if (secondOrder)
        {
            if (s.DivergenceAfterEvaluate)
            {
                EvaluateThenDivergence(w);
            }
            else
            {
                SystemEmitter.Method(w, h, "double EvaluateDivergence", s.EvaluateDivergence!, "double t", $"{Ros} y", $"{Ros} p", $"{Span} dydt");
            }

            SystemEmitter.Method(w, h, "double VjpDivergenceVjp", s.VjpDivergenceVjp!, "double t", $"{Ros} y", $"{Ros} p", $"{Ros} a", "double s", $"{Span} yBar", $"{Span} pBar");
            SecondOrderEmitter.LaneMethod(w, "TLane EvaluateDivergenceLanes", s.EvaluateDivergence!, Constraint, "double t", $"{LRos} y", $"{LRos} p", $"{LSpan} dydt");
            SecondOrderEmitter.LaneMethod(w, "TLane VjpDivergenceVjpLanes", s.VjpDivergenceVjp!, Constraint, "double t", $"{LRos} y", $"{LRos} p", $"{LRos} a", "TLane s", $"{LSpan} yBar", $"{LSpan} pBar");
        }

        if (kept)
        {
            EmitKept(w, s, Constraint);
        }

        w.Close();
    }

    /// <summary>
    /// EvaluateDivergence as Evaluate and then Divergence (<see cref="AugmentedPlan.DivergenceAfterEvaluate"/>): f from
    /// Evaluate's vectorized loops, the same bits as Evaluate, and the trace from Divergence, the same bits as Divergence.
    /// </summary>
    private static void EvaluateThenDivergence(IndentedWriter w)
    {
        w.Line()
         .Line("/// <inheritdoc/>")
         .Open("public double EvaluateDivergence(double t, global::System.ReadOnlySpan<double> y, global::System.ReadOnlySpan<double> p, global::System.Span<double> dydt)")
         .Line("// Evaluate runs loops in SIMD registers (VectorizeLoops), which one scalar sweep would not round alike: f is")
         .Line("// Evaluate's, to the bit, and the trace Divergence's, at the cost of computing the primal values twice.")
         .Line("Evaluate(t, y, p, dydt);")
         .Line("return Divergence(t, y, p);")
         .Close();
    }

    /// <summary>
    /// The tape-keeping pair (<see cref="Model.KeptIr"/>): EvaluateKeepingLanes is EvaluateVjpLanes's forward sweep writing
    /// what its reverse sweep reads into kept; VjpKeptLanes is that reverse sweep reading them back.
    /// </summary>
    private static void EmitKept(IndentedWriter w, AugmentedPlan s, string constraint)
    {
        const string LRos = "global::System.ReadOnlySpan<TLane>", LSpan = "global::System.Span<TLane>";
        w.Line()
         .Line("// The tape-keeping pair: EvaluateKeepingLanes is EvaluateVjpLanes's forward sweep (f) that also writes the")
         .Line("// primal values its reverse sweep reads into kept; VjpKeptLanes is that reverse sweep (VjpLanes's results)")
         .Line("// reading them back instead of computing them again.")
         .Line()
         .Line("/// <inheritdoc/>")
         .Line($"public int KeptCount => {Literals.Int(s.KeptCount)};");
        SecondOrderEmitter.LaneMethod(w, "void EvaluateKeepingLanes", s.EvaluateKeeping!, constraint, "double t", $"{LRos} y", $"{LRos} p", $"{LSpan} dydt", $"{LSpan} kept");
        SecondOrderEmitter.LaneMethod(w, "TLane VjpKeptLanes", s.VjpKept!, constraint, "double t", $"{LRos} y", $"{LRos} p", $"{LRos} kept", $"{LRos} a", $"{LSpan} yBar", $"{LSpan} pBar");
    }
}
