using System.Collections.Generic;
using System.Globalization;
using OdeGen.Generators.Ir;

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
    /// <summary>The Divergence method's IR: returns Σ_j ∂f_j/∂y_j; <paramref name="states"/> must be known at compile time.</summary>
    public static IrFunction Build(IrFunction primal, int states)
    {
        var b = new IrBuilder(exact: false, primal.Single);
        bool readsOutputs = false;
        foreach (Instr x in primal.Body)
        {
            readsOutputs |= x.Op == Op.BufLoad && primal.Body[x.A].Slot == Slot.Dydt;
        }

        var plan = new DiagonalPlan(states, readsOutputs);
        ForwardSweep.Run(b, primal, plan);

        // Outputs computed into the dydt buffer (methods with loops or branches) are complete at the end.
        b.Stmt = -1;
        b.Phase = Phase.Tangent;
        foreach ((int buffer, int d) in plan.OutputBuffers)
        {
            plan.Add(b, b.BufLoad(buffer, d.ToString(CultureInfo.InvariantCulture)));
        }

        b.Store(Slot.Return, 0, plan.Trace < 0 ? b.Const(0) : plan.Trace);
        return b.Build(primal.Statements, primal.UserStatements);
    }

    private sealed class DiagonalPlan : ForwardSweep.Plan
    {
        private readonly int _states;

        /// <summary>Whether the method reads dydt back: then every element's tangent may feed another output and is kept.</summary>
        private readonly bool _readsOutputs;

        private readonly HashSet<int> _outputTangents = new();

        public DiagonalPlan(int states, bool readsOutputs)
        {
            _states = states;
            _readsOutputs = readsOutputs;
        }

        /// <summary>The trace so far (a sum of values, in the order of the outputs), or -1.</summary>
        public int Trace { get; private set; } = -1;

        /// <summary>The tangent buffers of dydt, with their direction: element d of buffer d is ∂f_d/∂y_d.</summary>
        public List<(int Buffer, int Direction)> OutputBuffers { get; } = new();

        public override int Directions => _states;

        public override int Seed(IrBuilder b, Slot slot, int index, string? ix, int d)
        {
            if (slot != Slot.Y)
            {
                return -1;
            }

            if (ix is null || int.TryParse(ix, NumberStyles.None, CultureInfo.InvariantCulture, out index))
            {
                return index == d ? b.Const(1) : -1;
            }

            // [k = d] as a number: both k ≤ d and d ≤ k.
            int k = b.Input(Slot.Index, 0, ix), j = b.Const(d);
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

        public override int Buffer(IrBuilder b, Instr buffer) =>
            buffer.Slot == Slot.Dydt ? b.Buf(Slot.None, buffer.Ix!, "dydt", zeroed: true) : base.Buffer(b, buffer);

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
            if (_readsOutputs || !_outputTangents.Contains(dot[write.B]))
            {
                base.BufferWrite(b, write, dot, d);
                return;
            }

            string direction = d.ToString(CultureInfo.InvariantCulture);
            if (int.TryParse(write.Ix, NumberStyles.None, CultureInfo.InvariantCulture, out int index))
            {
                if (index == d)
                {
                    base.BufferWrite(b, write, dot, d);
                }

                return;
            }

            b.If(b.Compare(CompareKind.Equal, -1, -1, write.Ix, direction));
            base.BufferWrite(b, write, dot, d);
            b.EndIf();
        }

        public override string Name(string name, int d) => name + "Dot" + d.ToString(CultureInfo.InvariantCulture);

        public void Add(IrBuilder b, int term) => Trace = Trace < 0 ? term : b.Add(Trace, term);
    }
}
