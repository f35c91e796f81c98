using System;
using OdeGen.Generators.Ir;
using OdeGen.Generators.Simplify;

namespace OdeGen.Generators.Differentiation;

/// <summary>
/// Forward mode over any IR function, the user's primal or code the generator derived itself (a Vjp with its
/// adjoint buffers, accumulators, loops and branches), in one or several directions at once: each instruction is
/// copied and followed right away by its tangent in every direction, so loops and branches keep one body that
/// carries all of them. What enters (the seeds) and what leaves (the stores) is the <see cref="Plan"/>'s; the
/// arithmetic is <see cref="ForwardMode"/>'s, which reads the one table of <see cref="DerivativeRules"/>.
/// </summary>
internal static class ForwardSweep
{
    /// <summary>The edges of a sweep: how many directions, their seeds, and what becomes of the function's stores and output buffers.</summary>
    internal abstract class Plan
    {
        /// <summary>How many tangents each value carries.</summary>
        public abstract int Directions { get; }

        /// <summary>The position of the instruction being differentiated (set by <see cref="Run"/> before each one).</summary>
        public int Position { get; set; }

        /// <summary>Whether the instruction at <paramref name="position"/> gets a tangent in direction <paramref name="d"/> (else it is zero there).</summary>
        public virtual bool Active(int position, int d) => true;

        /// <summary>The tangent, in direction <paramref name="d"/>, of a read of <paramref name="slot"/>[<paramref name="index"/>] (or [<paramref name="ix"/>]); -1 when it is zero.</summary>
        public abstract int Seed(IrBuilder b, Slot slot, int index, IndexExpr? ix, int d);

        /// <summary>What a store of the function becomes: <paramref name="tangents"/>[d] is its value's tangent in direction d (-1: zero).</summary>
        public abstract void Store(IrBuilder b, Instr store, int[] tangents);

        /// <summary>The copy of a buffer that has a slot (an output or an adjoint seeded from a); by default the same buffer.</summary>
        public virtual int Buffer(IrBuilder b, Instr buffer) => b.Buf(buffer.Slot, buffer.Ix!, buffer.Name, buffer.Value == 1);

        /// <summary>The buffer that holds a buffer's tangents in direction <paramref name="d"/>: zeroed where the buffer starts at 0 or from a (which has no tangent).</summary>
        public virtual int TangentBuffer(IrBuilder b, Instr buffer, int d) =>
            b.Buf(Slot.None, buffer.Ix!, Name(buffer.Name ?? "buffer", d), buffer.Value == 1 || buffer.Slot != Slot.None);

        /// <summary>The tangent of a buffer write in direction <paramref name="d"/>: by default the same write to the tangent buffer.</summary>
        public virtual void BufferWrite(IrBuilder b, Instr write, int[] dot, int d)
        {
            if (dot[write.B] >= 0)
            {
                ForwardMode.StateTangent(b, write, dot);
            }
        }

        /// <summary>Whether the function's own stores are kept beside their tangents' (f with its divergence); by default only the plan's stores are written.</summary>
        public virtual bool KeepsStores => false;

        /// <summary>The readable name of a tangent of <paramref name="name"/> in direction <paramref name="d"/>.</summary>
        public virtual string Name(string name, int d) => name + "Dot";
    }

    /// <summary>
    /// Appends to <paramref name="b"/> the copy of <paramref name="function"/> with its tangents; returns the tangent ids by
    /// direction and position (-1: structurally zero). Calls of the user's own rules have no second derivative and throw
    /// (the parser reports them first, ODE0040).
    /// </summary>
    public static int[][] Run(IrBuilder b, IrFunction function, Plan plan)
    {
        int n = function.Body.Count, k = plan.Directions;
        var map = new int[n];
        var dot = new int[k][];
        var seeds = new Func<IrBuilder, Slot, int, IndexExpr?, int>[k];
        var suffixes = new string[k];
        for (int d = 0; d < k; d++)
        {
            int direction = d;
            dot[d] = new int[n];
            seeds[d] = (bb, slot, index, ix) => plan.Seed(bb, slot, index, ix, direction);
            suffixes[d] = plan.Name(string.Empty, d);
        }

        var tangents = new int[k];
        for (int i = 0; i < n; i++)
        {
            Instr x = function.Body[i];
            plan.Position = i;
            Simplifier.Attribute(b, x);
            if (x.Op == Op.Store)
            {
                map[i] = -1;
            }
            else
            {
                int copy = x.Op == Op.Buf && x.Slot != Slot.None ? plan.Buffer(b, x) : Simplifier.Copy(b, x, map);
                Simplifier.Record(b, x, i, map, copy);
            }

            // The tangents of adjoint code stay under its heading ("adjoint of: …"), so Hvp reads as Vjp does.
            b.Phase = x.Phase == Phase.Adjoint ? Phase.Adjoint : Phase.Tangent;
            for (int d = 0; d < k; d++)
            {
                dot[d][i] = plan.Active(i, d) ? Tangent(b, x, i, map, dot[d], seeds[d], suffixes[d], plan, d) : -1;
            }

            if (x.Op == Op.Store)
            {
                for (int d = 0; d < k; d++)
                {
                    tangents[d] = dot[d][x.A];
                }

                Simplifier.Attribute(b, x);
                if (plan.KeepsStores)
                {
                    b.Store(x.Slot, x.Index, map[x.A], x.Ix);
                }

                plan.Store(b, x, tangents);
            }
        }

        return dot;
    }

    private static int Tangent(IrBuilder b, Instr x, int i, int[] map, int[] dot, Func<IrBuilder, Slot, int, IndexExpr?, int> seed, string suffix, Plan plan, int d)
    {
        switch (x.Op)
        {
            case Op.Store:
                return -1;
            case Op.ExternJvp or Op.ExternVjp:
                throw new InvalidOperationException("the user's derivative rule " + x.Callee + " has no derivative of its own");
            case Op.Extern:
                return ForwardMode.ExternTangent(b, x, map, dot);
            case Op.Buf:
                return plan.TangentBuffer(b, x, d);
            case Op.Var:
                int var = b.Var(dot[x.A] < 0 ? b.Const(0) : dot[x.A], x.Name is null ? null : plan.Name(x.Name, d));
                return var;
            case Op.BufStore:
                plan.BufferWrite(b, x, dot, d);
                return -1;
            case Op.VarAdd or Op.VarSet or Op.VarGet or Op.BufLoad when dot[x.A] < 0:
                return -1;   // a variable or buffer without a tangent in this direction (declared where the direction was inactive)
            case Op.VarAdd or Op.VarSet or Op.VarGet or Op.BufLoad:
                return ForwardMode.StateTangent(b, x, dot);
            case var _ when x.IsRegion || x.IsCondition:
                return -1;
            default:
                return ForwardMode.Tangent(b, x, map[i], map, dot, seed, suffix);
        }
    }
}
