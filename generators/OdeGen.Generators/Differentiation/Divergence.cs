using System.Collections.Generic;
using System.Linq;
using System.Globalization;
using OdeGen.Generators.Ir;
using OdeGen.Generators.Simplify;

namespace OdeGen.Generators.Differentiation;

/// <summary>
/// tr(∂f/∂y) in generated code: forward mode in n directions at once, direction j seeded by the unit vector e_j and
/// sharing one primal sweep, keeping only output j of direction j. Every other tangent output is dropped, so dead code
/// removes what only fed them: the code computes the diagonal of ∂f/∂y, not the Jacobian. Loops keep one body that
/// carries the n tangents (one pass over a weight matrix serves them all); a read y[k] at a loop index k is seeded by
/// the indicator of k = j.
/// </summary>
internal static class Divergence
{
    /// <summary>
    /// The Divergence method's IR: returns Σ_j ∂f_j/∂y_j; <paramref name="states"/> must be known at compile time. With
    /// <paramref name="keepOutputs"/> it also writes f to dydt (EvaluateDivergence): the sweep computes f anyway.
    /// </summary>
    public static IrFunction Build(IrFunction primal, int states, bool keepOutputs = false)
    {
        bool readsOutputs = false;
        foreach (Instr x in primal.Body)
        {
            readsOutputs |= x.Op == Op.BufLoad && primal.Body[x.A].Slot == Slot.Dydt;
        }

        var b = new IrBuilder(exact: false, primal.Single);
        (int open, int close) = readsOutputs ? (-1, -1) : DiagonalLoop(primal);
        var plan = new DiagonalPlan(states, readsOutputs, primal, open, close, keepOutputs);
        if (open >= 0)
        {
            b.Stmt = -1;   // declared first, under no statement of the method
            b.Phase = Phase.Tangent;
            plan.Sum = b.Var(b.Const(0), "divergence");
        }

        ForwardSweep.Run(b, primal, plan);

        // Outputs computed into the dydt buffer (methods with loops or branches) are complete at the end.
        b.Stmt = -1;
        b.Phase = Phase.Tangent;
        if (open >= 0)
        {
            plan.Add(b, b.VarGet(plan.Sum));
        }
        else
        {
            foreach ((int buffer, int d) in plan.OutputBuffers)
            {
                plan.Add(b, b.BufLoad(buffer, IndexExpr.Of(d)));
            }
        }

        b.Store(Slot.Return, 0, plan.Trace < 0 ? b.Const(0) : plan.Trace);
        return b.Build(primal.Statements, primal.UserStatements);
    }

    /// <summary>
    /// A top-level loop over i whose iteration i computes dydt[i] from itself alone: it holds the only write of dydt
    /// (at [i], once per iteration), writes nothing else that outlives the iteration, and reads from before the loop only
    /// values that do not depend on y. Its iteration i then needs only the tangent along e_i (seeded by [k = i]), one
    /// direction instead of n, and adds ∂f_i/∂y_i to the trace directly. (-1, -1) when there is none.
    /// </summary>
    private static (int Open, int Close) DiagonalLoop(IrFunction primal)
    {
        int n = primal.Body.Count;
        bool[] onY = DependsOnY(primal);
        int write = -1, writes = 0;
        for (int i = 0; i < n; i++)
        {
            Instr x = primal.Body[i];
            if (x.Op == Op.BufStore && primal.Body[x.B].Slot == Slot.Dydt)
            {
                write = i;
                writes++;
            }
        }

        if (writes != 1)
        {
            return (-1, -1);
        }

        int depth = 0, open = -1;
        for (int i = 0; i < write; i++)
        {
            Op op = primal.Body[i].Op;
            if (op == Op.For && depth == 0)
            {
                open = i;
            }

            depth += op is Op.For or Op.If ? 1 : op is Op.EndFor or Op.EndIf ? -1 : 0;
        }

        if (open < 0 || depth == 0)
        {
            return (-1, -1);
        }

        int close = open, level = 0;
        for (int i = open; i < n; i++)
        {
            Op op = primal.Body[i].Op;
            level += op is Op.For or Op.If ? 1 : op is Op.EndFor or Op.EndIf ? -1 : 0;
            if (level == 0)
            {
                close = i;
                break;
            }
        }

        // The write is dydt[i] for the loop's own i, run once per iteration (or adding, if an inner loop repeats it).
        Instr store = primal.Body[write];
        bool nestedInLoop = false;
        for (int i = open + 1, inner = 0; i < write; i++)
        {
            Op op = primal.Body[i].Op;
            inner += op == Op.For ? 1 : op == Op.EndFor ? -1 : 0;
            nestedInLoop |= inner > 0 && i == write - 1;
        }

        if (store.Ix != IndexExpr.Of(primal.Body[open].Name!) || (nestedInLoop && store.Value != 1))
        {
            return (-1, -1);
        }

        for (int i = open + 1; i < close; i++)
        {
            Instr x = primal.Body[i];
            if (x.Op is Op.Buf or Op.Store || x.IsExtern
                || (x.Op is Op.VarAdd or Op.VarSet && x.A < open)
                || (x.Op == Op.BufStore && x.B < open && i != write))
            {
                return (-1, -1);
            }

            for (int k = 0; k < x.Arity; k++)
            {
                int operand = x.Operand(k);
                if (operand < open && onY[operand] && !(i == write && operand == store.B))
                {
                    return (-1, -1);
                }
            }
        }

        return (open, close);
    }

    /// <summary>Which values (and variables, buffers) depend on y, to a fixed point over loops.</summary>
    private static bool[] DependsOnY(IrFunction primal)
    {
        int n = primal.Body.Count;
        var on = new bool[n];
        bool changed = true;
        while (changed)
        {
            changed = false;
            for (int i = 0; i < n; i++)
            {
                Instr x = primal.Body[i];
                int target = x.Op switch
                {
                    Op.VarAdd or Op.VarSet => x.A,
                    Op.BufStore => x.B,
                    _ => i,
                };
                bool value = x.Op switch
                {
                    Op.Input => x.Slot == Slot.Y,
                    Op.VarAdd or Op.VarSet => on[x.B],
                    Op.BufStore => on[x.A],
                    _ => Enumerable.Range(0, x.Arity).Any(k => on[x.Operand(k)]),
                };
                if (value && !on[target])
                {
                    on[target] = true;
                    changed = true;
                }
            }
        }

        return on;
    }

    private sealed class DiagonalPlan : ForwardSweep.Plan
    {
        private readonly int _states;

        /// <summary>Whether the method reads dydt back: then every element's tangent may feed another output and is kept.</summary>
        private readonly bool _readsOutputs;

        private readonly HashSet<int> _outputTangents = new();

        private readonly IrFunction _primal;

        /// <summary>The loop whose iteration i needs only the direction e_i (<see cref="DiagonalLoop"/>), or -1.</summary>
        private readonly int _open, _close;

        /// <summary>Whether f itself is written too (its stores, and its dydt buffer as the output rather than scratch).</summary>
        private readonly bool _keepOutputs;

        public DiagonalPlan(int states, bool readsOutputs, IrFunction primal, int open, int close, bool keepOutputs)
        {
            _keepOutputs = keepOutputs;
            _states = states;
            _readsOutputs = readsOutputs;
            _primal = primal;
            _open = open;
            _close = close;
        }

        /// <summary>The accumulator the diagonal loop adds ∂f_i/∂y_i to.</summary>
        public int Sum { get; set; } = -1;

        /// <summary>Directions 0 … n-1 are e_0 … e_{n-1}; direction n, inside the diagonal loop only, is e_i for its own i.</summary>
        private bool InLoop(int position) => position > _open && position < _close;

        public override bool Active(int position, int d) => _open < 0 ? d < _states : InLoop(position) == (d == _states);

        /// <summary>The trace so far (a sum of values, in the order of the outputs), or -1.</summary>
        public int Trace { get; private set; } = -1;

        /// <summary>The tangent buffers of dydt, with their direction: element d of buffer d is ∂f_d/∂y_d.</summary>
        public List<(int Buffer, int Direction)> OutputBuffers { get; } = new();

        public override int Directions => _states + 1;

        public override int Seed(IrBuilder b, Slot slot, int index, IndexExpr? ix, int d)
        {
            if (slot != Slot.Y)
            {
                return -1;
            }

            if (ix is IndexExpr.Constant { Value: >= 0 } literalIndex)
            {
                index = literalIndex.Value;
            }

            bool literal = ix is null or IndexExpr.Constant { Value: >= 0 };
            if (literal && d < _states)
            {
                return index == d ? b.Const(1) : -1;
            }

            // [k = j] as a number: both k ≤ j and j ≤ k (j is the diagonal loop's own index in direction n).
            int k = literal ? b.Const(index) : b.Input(Slot.Index, 0, ix);
            int j = d < _states ? b.Const(d) : b.Input(Slot.Index, 0, IndexExpr.Of(_primal.Body[_open].Name!));
            return b.Mul(b.Call(Fn.LessOrEqualIndicator, k, j), b.Call(Fn.LessOrEqualIndicator, j, k));
        }

        public override void Store(IrBuilder b, Instr store, int[] tangents)
        {
            // Straight-line dynamics store each output once, at a constant index; only its own direction is kept.
            if (store.Slot == Slot.Dydt && store.Ix is null && store.Index < _states && tangents[store.Index] >= 0)
            {
                Add(b, tangents[store.Index]);
            }
        }

        public override bool KeepsStores => _keepOutputs;

        public override int Buffer(IrBuilder b, Instr buffer) =>
            buffer.Slot == Slot.Dydt && !_keepOutputs ? b.Buf(Slot.None, buffer.Ix!, "dydt", zeroed: true) : base.Buffer(b, buffer);

        public override int TangentBuffer(IrBuilder b, Instr buffer, int d)
        {
            if (buffer.Slot != Slot.Dydt)
            {
                return base.TangentBuffer(b, buffer, d);
            }

            int tangent = b.Buf(Slot.None, buffer.Ix!, Name("dydt", d), zeroed: true);
            OutputBuffers.Add((tangent, d));
            _outputTangents.Add(tangent);
            return tangent;
        }

        /// <summary>Direction d keeps only element d of dydt's tangent: other elements are not written (unless the method reads dydt back).</summary>
        public override void BufferWrite(IrBuilder b, Instr write, int[] dot, int d)
        {
            if (d == _states)
            {
                // In the diagonal loop: the write of dydt[i] adds its tangent along e_i to the trace.
                if (_primal.Body[write.B].Slot == Slot.Dydt && dot[write.A] >= 0)
                {
                    b.VarAdd(Sum, dot[write.A]);
                }
                else
                {
                    base.BufferWrite(b, write, dot, d);
                }

                return;
            }

            if (_readsOutputs || !_outputTangents.Contains(dot[write.B]))
            {
                base.BufferWrite(b, write, dot, d);
                return;
            }

            if (write.Ix is IndexExpr.Constant { Value: int index })
            {
                if (index == d)
                {
                    base.BufferWrite(b, write, dot, d);
                }

                return;
            }

            b.If(b.Compare(CompareKind.Equal, -1, -1, write.Ix, IndexExpr.Of(d)));
            base.BufferWrite(b, write, dot, d);
            b.EndIf();
        }

        public override string Name(string name, int d) => d == _states ? name + "Dot" : name + "Dot" + d.ToString(CultureInfo.InvariantCulture);

        public void Add(IrBuilder b, int term) => Trace = Trace < 0 ? term : b.Add(Trace, term);
    }
}
