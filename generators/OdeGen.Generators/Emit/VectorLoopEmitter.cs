using System.Collections.Generic;
using System.Linq;
using OdeGen.Generators.Ir;
using OdeGen.Generators.Analyses;

namespace OdeGen.Generators.Emit;

/// <summary>
/// Loops of the scalar methods run across their index in SIMD (<c>[OdeDynamics(VectorizeLoops = true)]</c>;
/// legality: <see cref="LoopVectorizer"/>). Each chosen loop becomes a private generic helper over TLane,
/// printed by <see cref="LaneFunctionEmitter"/> from the loop's own IR, and at the loop's place the method calls
/// it at the widest width the hardware accelerates, then runs the scalar loop for the iterations that did
/// not fill a register:
/// <code>
/// int iFrom = 0;
/// if (Vector512.IsHardwareAccelerated) { iFrom = EvaluateLoop0&lt;Lane512&gt;(iFrom, p, h, y0, y1); }
/// else if (Vector256.IsHardwareAccelerated) { … Lane256 … }
/// else if (Vector128.IsHardwareAccelerated) { … Lane128 … }
/// for (int i = iFrom; i &lt; 50; i++) { the scalar body }
/// </code>
/// IsHardwareAccelerated is a constant to the JIT, so the method keeps one call and no test; on Arm64 the
/// same code takes the Vector128 (NEON) branch.
/// </summary>
internal static class VectorLoopEmitter
{
    private static readonly (string Vector, string Lane)[] Widths =
    {
        ("Vector512", "Lane512"),
        ("Vector256", "Lane256"),
        ("Vector128", "Lane128"),
    };

    /// <summary>The helper of the <paramref name="k"/>-th vectorized loop of <paramref name="method"/>.</summary>
    public static string HelperName(string method, int k) => method + "Loop" + Literals.Int(k);

    /// <summary>
    /// Writes the declaration of <paramref name="from"/> (the loop's lower bound) and the width dispatch that
    /// moves it past the iterations the helper ran; the caller then opens the scalar loop from there.
    /// </summary>
    public static void Dispatch(IndentedWriter writer, VectorLoop loop, SpanNaming naming, string helper, string from, IEnumerable<string> arguments)
    {
        string args = string.Join(", ", new[] { from }.Concat(arguments));
        writer.Line($"// vectorized across {loop.Variable} (VectorizeLoops): TLane.Count iterations at a time at the widest width the hardware has, the rest one at a time below");
        writer.Line($"int {from} = {loop.Lower.Print(naming)};");
        for (int k = 0; k < Widths.Length; k++)
        {
            writer.Open($"{(k == 0 ? "if" : "else if")} (global::System.Runtime.Intrinsics.{Widths[k].Vector}.IsHardwareAccelerated)")
                  .Line($"{from} = {helper}<global::OdeGen.Lanes.{Widths[k].Lane}>({args});")
                  .Close();
        }
    }

    /// <summary>Writes the helpers of the vectorized loops of <paramref name="plan"/> (<see cref="MethodPlan.Loops"/>) after their method.</summary>
    public static void Helpers(IndentedWriter writer, MethodPlan plan, IEnumerable<string> parameters, string method)
    {
        var names = parameters.ToList();
        var loops = plan.Loops.Where(d => d.Plan is not null).Select(d => d.Plan!).ToList();
        for (int k = 0; k < loops.Count; k++)
        {
            writer.Line();
            writer.Line($"// the loop over {loops[k].Variable} of {method}, TLane.Count iterations at a time from {loops[k].Variable} on; returns where the scalar loop resumes");
            LaneFunctionEmitter.EmitLoopHelper(writer, plan, names, loops[k], HelperName(method, k));
        }
    }
}
