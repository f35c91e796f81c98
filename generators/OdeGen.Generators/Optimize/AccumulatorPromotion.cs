using System.Collections.Generic;
using OdeGen.Generators.Ir;
using OdeGen.Generators.Simplify;
using System.Runtime.CompilerServices;

namespace OdeGen.Generators.Optimize;

/// <summary>
/// Keeps the adjoint of a fixed input element in a local while a loop accumulates into it: a reverse
/// sweep that adds to <c>yBar[0]</c> in every iteration writes memory it reads back in the next, a chain of
/// store-to-load forwarding the CPU cannot overlap. The pass declares <c>double yBar0 = 0</c> before the
/// outermost loop, adds to it inside, and adds it to <c>yBar[0]</c> once after the loop, as a person
/// writing backpropagation by hand would.
/// </summary>
/// <remarks>
/// Only the accumulating outputs (yBar, pBar) at constant indices qualify: the generated code never reads
/// them, so nothing inside the loop can observe the delay. The sum is formed in another order
/// (yBar[0] + (Σ terms) instead of ((yBar[0] + t₁) + t₂)…), so the pass runs only where results need not be
/// bit for bit those of the unoptimized code: the derivative methods, never Evaluate.
/// </remarks>
internal static class AccumulatorPromotion
{
    /// <summary>Returns <paramref name="function"/> with loop-carried output adjoints kept in locals.</summary>
    [MethodImpl(Hot.Optimize)]
    public static IrFunction Run(IrFunction function)
    {
        var builder = new IrBuilder(exact: false, function.Single, function.Body.Count);
        var map = new int[function.Body.Count];
        var locals = new Dictionary<(Slot, int), int>();
        var order = new List<(Slot Slot, int Index)>();
        int depth = 0, closeAt = -1;
        for (int i = 0; i < function.Body.Count; i++)
        {
            Instr x = function.Body[i];
            Simplifier.Attribute(builder, x);
            if (x.Op == Op.For && depth == 0)
            {
                closeAt = Regions.Close(function.Body, i);
                Declare(builder, function, i, closeAt, locals, order);
            }

            depth += x.Op is Op.For or Op.If ? 1 : 0;
            depth -= x.Op is Op.EndFor or Op.EndIf ? 1 : 0;
            if (x.Op == Op.Store && locals.TryGetValue((x.Slot, x.Index), out int local) && x.Ix is null)
            {
                builder.VarAdd(local, map[x.A]);
                map[i] = -1;
                continue;
            }

            Simplifier.Record(builder, x, i, map, Simplifier.Copy(builder, x, map));

            if (i == closeAt)
            {
                Release(builder, locals, order);
            }
        }

        return DeadCode.Eliminate(builder.Build(function.Statements, function.UserStatements));
    }

    /// <summary>One local, starting at 0, for each output element the loop from <paramref name="open"/> adds to.</summary>
    [MethodImpl(Hot.Optimize)]
    private static void Declare(IrBuilder builder, IrFunction function, int open, int close,
        Dictionary<(Slot, int), int> locals, List<(Slot Slot, int Index)> order)
    {
        // The locals belong to the loop: the emitter heads them with the loop's statement.
        builder.Stmt = function.Body[open].Stmt;
        builder.Phase = function.Body[open].Phase;
        builder.Copy = function.Body[open].Copy;
        for (int i = open + 1; i < close; i++)
        {
            Instr x = function.Body[i];
            if (x.Op == Op.Store && SlotFacts.Accumulates(x.Slot) && x.Ix is null && !locals.ContainsKey((x.Slot, x.Index)))
            {
                string name = x.Slot switch { Slot.YBar => "yBar", Slot.PBar => "pBar", Slot.YBarDot => "yBarDot", _ => "pBarDot" } + x.Index.ToString(System.Globalization.CultureInfo.InvariantCulture);
                locals[(x.Slot, x.Index)] = builder.Var(builder.Const(0), name);
                order.Add((x.Slot, x.Index));
            }
        }
    }

    /// <summary>After the loop: each local is added to its output element once.</summary>
    [MethodImpl(Hot.Optimize)]
    private static void Release(IrBuilder builder, Dictionary<(Slot, int), int> locals, List<(Slot Slot, int Index)> order)
    {
        foreach ((Slot slot, int index) in order)
        {
            builder.Store(slot, index, builder.VarGet(locals[(slot, index)]));
        }

        locals.Clear();
        order.Clear();
    }
}
