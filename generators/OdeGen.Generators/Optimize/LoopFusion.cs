using System.Collections.Generic;
using System.Linq;
using OdeGen.Generators.Ir;
using OdeGen.Generators.Model;
using OdeGen.Generators.Simplify;
using System.Runtime.CompilerServices;

namespace OdeGen.Generators.Optimize;

/// <summary>
/// Fuses consecutive loops over the same range: the reverse sweep of an MLP runs the output layer backwards
/// once per output, then the hidden layer backwards, each a loop over the hidden units; fused, every hidden
/// unit is visited once and its adjoint, finished in the same iteration, can stay in a register
/// (<see cref="BufferScalarization"/>), as in backpropagation written by hand.
/// </summary>
/// <remarks>
/// Two reverse-sweep loops fuse when they have the same bounds, direction and variable, call no user code, write no
/// overwriting output, touch each buffer they share only at the loop variable (so iteration k of the second
/// loop sees exactly what the first loop left in element k), and share accumulators only by adding to them.
/// The instructions between the loops move before the first one when they touch nothing it touches, or after
/// the fused loop when the next loop neither touches nor reads them (the read of an accumulator the first loop
/// finished). Sums into
/// yBar, pBar and shared accumulators are formed in another order, so the pass runs for derivative methods only.
/// </remarks>
internal static class LoopFusion
{
    /// <summary>Returns <paramref name="function"/> with its fusible top-level loops fused.</summary>
    [MethodImpl(Hot.Optimize)]
    public static IrFunction Run(IrFunction function)
    {
        EquatableArray<Instr> body = function.Body;
        List<int> order = Order(body);
        if (order.Count == body.Count && IsIdentity(order))
        {
            return function;
        }

        // A fused loop that runs copies of an unrolled loop together belongs to none of them: its body heads each part.
        var mixed = new HashSet<int>();
        int open = -1, depth = 0;
        foreach (int i in order)
        {
            Instr x = body[i];
            if (depth == 0 && x.Op == Op.For)
            {
                open = i;
            }
            else if (open >= 0 && x.Copy != body[open].Copy)
            {
                mixed.Add(open);
            }

            depth += x.Op is Op.For or Op.If ? 1 : x.Op is Op.EndFor or Op.EndIf ? -1 : 0;
            open = depth == 0 ? -1 : open;
        }

        var builder = new IrBuilder(exact: false, function.Single, function.Body.Count);
        var map = new int[body.Count];
        foreach (int i in order)
        {
            Simplifier.CopyNamed(builder, mixed.Contains(i) ? body[i] with { Copy = null } : body[i], i, map);
        }

        return DeadCode.Eliminate(builder.Build(function.Statements, function.UserStatements));
    }

    /// <summary>The instructions in their fused order (the second loop's For and the first loop's EndFor dropped).</summary>
    [MethodImpl(Hot.Optimize)]
    private static List<int> Order(EquatableArray<Instr> body)
    {
        var order = new List<int>();
        int i = 0;
        while (i < body.Count)
        {
            if (body[i].Op != Op.For)
            {
                order.Add(i);
                i = body[i].Op == Op.If ? CopyRegion(body, i, order) : i + 1;
                continue;
            }

            // A run of loops fused into the first: instructions moved before it, the loop header, every body, one
            // EndFor, then the instructions that had to stay after a loop (a read of an accumulator it finished).
            int first = i, close = Regions.Close(body, i);
            var before = new List<int>();
            var after = new List<int>();
            var bodies = new List<(int Open, int Close)> { (first, close) };
            int next = close + 1;
            while (Next(body, bodies, next, before, after, out int nextLoop))
            {
                bodies.Add((nextLoop, Regions.Close(body, nextLoop)));
                next = bodies[bodies.Count - 1].Close + 1;
            }

            order.AddRange(before);
            order.Add(first);
            foreach ((int open, int end) in bodies)
            {
                for (int k = open + 1; k < end; k++)
                {
                    order.Add(k);
                }
            }

            order.Add(close);
            order.AddRange(after);
            i = next;
        }

        return order;
    }

    [MethodImpl(Hot.Optimize)]
    private static int CopyRegion(EquatableArray<Instr> body, int open, List<int> order)
    {
        int close = Regions.Close(body, open);
        for (int k = open + 1; k <= close; k++)
        {
            order.Add(k);
        }

        return close + 1;
    }

    /// <summary>
    /// Whether a loop that fuses with <paramref name="loops"/> follows at <paramref name="at"/>. The instructions
    /// between go to <paramref name="before"/> when they commute with the loops so far, otherwise to
    /// <paramref name="after"/> when they commute with the next loop and it does not use them; on failure
    /// nothing is added.
    /// </summary>
    [MethodImpl(Hot.Optimize)]
    private static bool Next(EquatableArray<Instr> body, List<(int Open, int Close)> loops, int at, List<int> before, List<int> after, out int loop)
    {
        loop = -1;
        int k = at;
        while (k < body.Count && body[k].Op != Op.For && !body[k].IsRegion)
        {
            k++;
        }

        if (k >= body.Count || body[k].Op != Op.For || !SameRange(body[loops[0].Open], body[k]))
        {
            return false;
        }

        int close = Regions.Close(body, k);
        var fused = Touches.Of(body, loops);
        var candidate = Touches.Of(body, new List<(int, int)> { (k, close) });
        if (!fused.FusesWith(candidate, body[k].Name!))
        {
            return false;
        }

        var early = new List<int>();
        var late = new HashSet<int>(after);
        for (int x = at; x < k; x++)
        {
            Instr instr = body[x];
            bool dependsOnLate = Enumerable.Range(0, instr.Arity).Any(o => late.Contains(instr.Operand(o)));
            if (!dependsOnLate && Movable(instr, fused))
            {
                early.Add(x);
            }
            else if (Movable(instr, candidate))
            {
                late.Add(x);
            }
            else
            {
                return false;
            }
        }

        // Whatever stays after must still commute with the new loop, which must not read it.
        foreach (int x in after)
        {
            if (!Movable(body[x], candidate))
            {
                return false;
            }
        }

        for (int x = k + 1; x < close; x++)
        {
            Instr instr = body[x];
            if (Enumerable.Range(0, instr.Arity).Any(o => late.Contains(instr.Operand(o))))
            {
                return false;
            }
        }

        before.AddRange(early);
        after.Clear();
        after.AddRange(late.OrderBy(x => x));
        loop = k;
        return true;
    }

    /// <summary>
    /// Same bounds, direction and variable, and both reverse sweeps: there fusing lets an adjoint finished within the
    /// iteration stay in a register. Forward loops stay apart: fusing the MLP's two output dot products into one loop
    /// with four accumulators measured slower (Jvp 1.10 → 1.18 × hand-written, BENCHMARKS.md).
    /// </summary>
    [MethodImpl(Hot.Optimize)]
    private static bool SameRange(Instr a, Instr b) =>
        a.Ix == b.Ix && a.Ix2 == b.Ix2 && a.Value == b.Value && a.Name == b.Name && a.Phase == Phase.Adjoint && b.Phase == Phase.Adjoint;

    /// <summary>An instruction between two loops that may move before the first: it touches nothing the loops touch.</summary>
    [MethodImpl(Hot.Optimize)]
    private static bool Movable(Instr x, Touches loops) => x.Op switch
    {
        _ when x.IsRegion || x.IsExtern => false,
        Op.BufLoad => !loops.Buffers.ContainsKey(x.A),
        Op.BufStore => !loops.Buffers.ContainsKey(x.B),
        Op.VarAdd or Op.VarSet or Op.VarGet => !loops.Vars.ContainsKey(x.A),
        Op.Store => x.Slot is Slot.YBar or Slot.PBar,
        _ => true,
    };

    [MethodImpl(Hot.Optimize)]
    private static bool IsIdentity(List<int> order)
    {
        for (int i = 0; i < order.Count; i++)
        {
            if (order[i] != i)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>What a set of loops reads and writes: buffers with the indices used, accumulators with how they are used.</summary>
    private sealed class Touches
    {
        public Dictionary<int, HashSet<IndexExpr>> Buffers { get; } = new();

        /// <summary>Per accumulator: true when it is only added to.</summary>
        public Dictionary<int, bool> Vars { get; } = new();

        public bool Opaque { get; private set; }

        [MethodImpl(Hot.Optimize)]
        public static Touches Of(EquatableArray<Instr> body, List<(int Open, int Close)> loops)
        {
            var t = new Touches();
            foreach ((int open, int close) in loops)
            {
                for (int k = open + 1; k < close; k++)
                {
                    t.Add(body[k]);
                }
            }

            return t;
        }

        [MethodImpl(Hot.Optimize)]
        private void Add(Instr x)
        {
            switch (x.Op)
            {
                case Op.BufLoad:
                    Index(x.A, x.Ix!);
                    break;
                case Op.BufStore:
                    Index(x.B, x.Ix!);
                    break;
                case Op.VarAdd:
                    Vars[x.A] = !Vars.TryGetValue(x.A, out bool only) || only;
                    break;
                case Op.VarSet or Op.VarGet:
                    Vars[x.A] = false;
                    break;
                case Op.Store:
                    Opaque |= x.Slot is not (Slot.YBar or Slot.PBar);
                    break;
                default:
                    Opaque |= x.IsExtern;
                    break;
            }
        }

        [MethodImpl(Hot.Optimize)]
        private void Index(int buffer, IndexExpr ix)
        {
            if (!Buffers.TryGetValue(buffer, out HashSet<IndexExpr>? indices))
            {
                Buffers[buffer] = indices = new HashSet<IndexExpr>();
            }

            indices.Add(ix);
        }

        /// <summary>True when a loop touching <paramref name="other"/> may run interleaved, iteration by iteration, with these.</summary>
        [MethodImpl(Hot.Optimize)]
        public bool FusesWith(Touches other, string variable)
        {
            if (Opaque || other.Opaque)
            {
                return false;
            }

            foreach (KeyValuePair<int, HashSet<IndexExpr>> b in other.Buffers)
            {
                if (Buffers.TryGetValue(b.Key, out HashSet<IndexExpr>? mine) && !(OnlyAt(mine, variable) && OnlyAt(b.Value, variable)))
                {
                    return false;
                }
            }

            foreach (KeyValuePair<int, bool> v in other.Vars)
            {
                if (Vars.TryGetValue(v.Key, out bool onlyAdded) && !(onlyAdded && v.Value))
                {
                    return false;
                }
            }

            return true;
        }

        [MethodImpl(Hot.Optimize)]
        private static bool OnlyAt(HashSet<IndexExpr> indices, string variable) => indices.Count == 1 && indices.Contains(IndexExpr.Of(variable));
    }
}
