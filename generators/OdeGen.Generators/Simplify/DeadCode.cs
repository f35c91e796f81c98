using System.Collections.Generic;
using OdeGen.Generators.Ir;
using OdeGen.Generators.Model;

namespace OdeGen.Generators.Simplify;

/// <summary>
/// Removes stores that a later store to the same element overwrites and every instruction no
/// remaining store depends on, then renumbers the survivors.
/// </summary>
internal static class DeadCode
{
    /// <summary>Returns <paramref name="function"/> without dead instructions.</summary>
    public static IrFunction Eliminate(IrFunction function)
    {
        EquatableArray<Instr> body = function.Body;
        bool[] live = MarkLive(body);
        var map = new int[body.Count];
        var kept = new List<Instr>(body.Count);
        for (int i = 0; i < body.Count; i++)
        {
            map[i] = -1;
            if (!live[i])
            {
                continue;
            }

            Instr x = body[i];
            map[i] = kept.Count;
            kept.Add(x with { A = Remap(map, x.A), B = Remap(map, x.B), C = Remap(map, x.C) });
        }

        return function with { Body = new EquatableArray<Instr>(kept.ToArray()) };
    }

    private static bool[] MarkLive(EquatableArray<Instr> body)
    {
        var live = new bool[body.Count];
        var overwritten = new HashSet<(Slot, int)>();
        for (int i = body.Count - 1; i >= 0; i--)
        {
            Instr x = body[i];
            if (x.Op == Op.Store)
            {
                // Accumulating slots (+=) keep every store; the others keep only the last one.
                bool accumulates = x.Slot is Slot.YBar or Slot.PBar;
                live[i] = accumulates || overwritten.Add((x.Slot, x.Index));
            }

            if (!live[i])
            {
                continue;
            }

            for (int k = 0; k < x.Arity; k++)
            {
                live[x.Operand(k)] = true;
            }
        }

        return live;
    }

    private static int Remap(int[] map, int id) => id < 0 ? -1 : map[id];
}
