using System.Linq;
using OdeGen.Generators.Analyses;
using OdeGen.Generators.Ir;
using OdeGen.Generators.Model;

namespace OdeGen.Generators.Emit;

/// <summary>
/// Writes the fused-step members of a lane system whose f is straight-line code over constant state indices
/// (<see cref="EmitPlan.FusedRegisters"/>, decided by <see cref="RegisterEligibility.FitsRegisters"/>): <c>LaneRegisters&lt;TLane&gt;</c>, the whole state of one
/// register as fields, with Evaluate printed on it as <c>Derivative</c>, and <c>FusedFixedSteps</c>, which hands that
/// type to the runtime's fused Runge–Kutta steppers (<c>global::OdeGen.Lanes.FusedFixedSteps</c>), and
/// <c>WithScalarRegisters</c>, which hands the one-trajectory form in doubles (<c>ScalarRegisters</c>) to the scalar adaptive solve
/// (<c>Ode.Solve</c>'s register stages and steps). Keeping the
/// stages in fields lets the JIT hold them in registers: no store and reload between the stages of a step.
/// </summary>
internal static class RegisterEmitter
{
    private const string Constraint = "    where TLane : unmanaged, global::OdeGen.Lanes.ILane<TLane>";
    private const string Inline = "[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]";

    /// <summary>FusedFixedSteps and the LaneRegisters type, inside the system's struct.</summary>
    public static void Emit(IndentedWriter w, EmitPlan s)
    {
        w.Line()
         .Line("/// <inheritdoc/>")
         .Line("public TLane FusedFixedSteps<TLane>(global::OdeGen.Lanes.FusedStepPlan plan, double t0, long firstStep, int steps, global::System.Span<TLane> y, global::System.ReadOnlySpan<TLane> p)")
         .Line(Constraint)
         .Line("    => global::OdeGen.Lanes.FusedFixedSteps.Run<LaneRegisters<TLane>, TLane>(plan, t0, firstStep, steps, y, p);")
         .Line()
         .Line("/// <inheritdoc/>")
         .Line("public TResult WithScalarRegisters<TAction, TResult>(ref TAction action)")
         .Line("    where TAction : struct, global::OdeGen.Lanes.IScalarRegistersAction<TResult>")
         .Line("    => action.Invoke<ScalarRegisters>();")
         .Line();
        string[] fields = Enumerable.Range(0, s.Header.States).Select(i => "S" + Literals.Int(i)).ToArray();
        const string type = "LaneRegisters<TLane>";
        w.Line("/// <summary>The states of one register of trajectories, state i in field S{i}: the value the fused steps keep in registers.</summary>")
         .Line($"public struct {type} : global::OdeGen.Lanes.ILaneRegisters<{type}, TLane>")
         .Line(Constraint)
         .Open()
         .Line("/// <summary>State i of every lane.</summary>");
        Fields(w, type, "TLane", fields);
        OneLiner(w, $"public static {type} MultiplyAdd(in {type} y, TLane w, in {type} k)",
            $"new() {{ {string.Join(", ", fields.Select(f => $"{f} = TLane.FusedMultiplyAdd(w, k.{f}, y.{f})"))} }}");
        Sums(w, type, "TLane", fields);
        w.Line("/// <summary>f(t, y, p) in every lane: EvaluateLanes, operation for operation, on fields instead of spans.</summary>");
        DerivativeHead(w, s, type, "TLane");
        LaneFunctionEmitter.EmitRegisterBody(w, s.Evaluate, new[] { "t", "y", "p", "dydt" });
        w.Line("return dydt;")
         .Close()
         .Close();
        EmitScalar(w, s, fields);
    }

    // The one-trajectory form in doubles: Ode.Solve's stages and its whole step loop run on it. Not LaneRegisters<Lane1>,
    // whose every operation is a call the JIT must inline: a Dopri5 step written on it ran out of the JIT's inlining budget
    // and left the sums as calls (BENCHMARKS.md, 6 December 2026, afternoon).
    private static void EmitScalar(IndentedWriter w, EmitPlan s, string[] fields)
    {
        const string type = "ScalarRegisters";
        w.Line()
         .Line("/// <summary>The states of one trajectory, state i in field S{i}: the value Ode.Solve's register steps keep in registers.</summary>")
         .Line($"public struct {type} : global::OdeGen.Lanes.IScalarRegisters<{type}>")
         .Open()
         .Line("/// <summary>State i.</summary>");
        Fields(w, type, "double", fields);
        Sums(w, type, "double", fields);
        w.Line("/// <summary>f(t, y, p): Evaluate, operation for operation, on fields instead of spans.</summary>");
        DerivativeHead(w, s, type, "double");
        FunctionEmitter.EmitRegisterBody(w, s.Evaluate, new[] { "t", "y", "p", "dydt" });
        w.Line("return dydt;")
         .Close()
         .Close();
    }

    // The fields (of type element), StateCount, Load and Store of a register type.
    private static void Fields(IndentedWriter w, string type, string element, string[] fields)
    {
        int n = fields.Length;
        w.Line($"public {element} {string.Join(", ", fields)};")
         .Line()
         .Line("/// <inheritdoc/>")
         .Line($"public static int StateCount => {Literals.Int(n)};")
         .Line();
        OneLiner(w, $"public static {type} Load(global::System.ReadOnlySpan<{element}> y)",
            $"new() {{ {string.Join(", ", Enumerable.Range(0, n).Reverse().Select(i => $"S{Literals.Int(i)} = y[{Literals.Int(i)}]"))} }}");   // the last first: one bounds check
        w.Line("/// <inheritdoc/>")
         .Line(Inline)
         .Open($"public static void Store(in {type} value, global::System.Span<{element}> y)");
        for (int i = n - 1; i >= 0; i--)
        {
            w.Line($"y[{Literals.Int(i)}] = value.S{Literals.Int(i)};");   // the last first: one bounds check
        }

        w.Close().Line();
    }

    // AddProduct (two roundings, as the scalar kernel adds its terms) and NonFinite of a register type.
    private static void Sums(IndentedWriter w, string type, string element, string[] fields)
    {
        OneLiner(w, $"public static {type} AddProduct(in {type} y, {element} w, in {type} k)",
            $"new() {{ {string.Join(", ", fields.Select(f => $"{f} = y.{f} + w * k.{f}"))} }}");
        OneLiner(w, $"public static {element} NonFinite(in {type} y)", string.Join(" + ", fields.Select(f => $"(y.{f} - y.{f})")));
    }

    // Derivative's signature and its dydt local. Methods with branches or loops clear dydt first (their body says so and
    // prints "dydt = default;").
    private static void DerivativeHead(IndentedWriter w, EmitPlan s, string type, string element) =>
        w.Line(Inline)
         .Open($"public static {type} Derivative(double t, in {type} y, global::System.ReadOnlySpan<{element}> p)")
         .Line(s.Evaluate.Function.Body.Any(x => x.Op == Op.Buf && x.Slot == Slot.Dydt) ? $"{type} dydt;" : $"{type} dydt = default;")
         .Line();

    private static void OneLiner(IndentedWriter w, string signature, string body) =>
        w.Line("/// <inheritdoc/>")
         .Line(Inline)
         .Line(signature + " =>")
         .Line("    " + body + ";")
         .Line();
}
