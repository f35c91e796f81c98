using System.Collections.Generic;
using System.Linq;
using OdeGen.Generators.Ir;

using OdeGen.Generators.Optimize;

namespace OdeGen.Generators.Analyses;

/// <summary>
/// Which loops of a scalar method may run across their index in SIMD registers (the opt-in
/// <c>[OdeDynamics(VectorizeLoops = true)]</c>), and what the vectorized body needs from around it.
/// An analysis, not a rewrite: the IR is unchanged; the decisions go into the emit plan (<see cref="EmitPlan"/>), and Emit/VectorLoopEmitter.cs prints the chosen loops
/// as generic lane helpers plus the scalar loop for the remaining iterations.
/// </summary>
/// <remarks>
/// Iterations i, i+1, …, i+W-1 run together, one per lane, statement by statement, so a loop qualifies
/// only when that order computes what the scalar order computes, up to the grouping of sums:
/// <list type="number">
/// <item>It runs at least <see cref="MinimumTrips"/> times when its bounds are constants (runtime bounds are
/// fine: the helper then does nothing below one register's worth).</item>
/// <item>Every index in the body is base + s·i with a constant s (IndexExpr.Stride): s = 0 is the same
/// element in every lane (a broadcast), s = 1 a contiguous run, other s (the MLP's first layer reads
/// p[i * 2 + j] after unrolling j) a strided load. i * n, i % 8 or i / 2 disqualify.</item>
/// <item>A buffer written in the loop is touched only at one index, of i alone (no inner loop variable),
/// with s ≠ 0: each lane then keeps to its own element, as in the scalar order; writing h[i] and reading
/// h[i + 1] (a neighbour, which another lane writes) disqualifies, and so does writing one element in
/// every iteration.</item>
/// <item>yBar and pBar are only added to (the generated code never reads them), at s ≠ 0, so distinct lanes
/// add to distinct elements of one store; adding to the same element in every iteration disqualifies (the
/// optimizer turns the usual ones into locals first, which are sums).</item>
/// <item>A variable declared before the loop is either only read in it (a broadcast) or only added to (a
/// sum): each lane then sums its own iterations from 0 and the lanes are added to the variable after the
/// loop, a different grouping of the same terms. Setting it, or reading the sum it adds to, disqualifies.</item>
/// <item>Branches on values become selects (both sides run in every lane); branches on i, a condition computed
/// before the loop, a stackalloc, and calls of the user's functions disqualify. An index used as a number,
/// (double)(i + 1), is base + s·k in lane k (TLane.Indices): exact, as the scalar conversion.</item>
/// <item>Inner loops run inside the vectorized body when their bounds do not mention i (every lane runs the
/// same iterations); of nested loops that all qualify, the innermost is vectorized.</item>
/// </list>
/// The vectorized functions (Tanh, Exp, …) are the lane kernels, 1–3 ulp from Math; with the sums' grouping
/// that is why the option is opt-in.
/// </remarks>
internal static class LoopVectorizer
{
    /// <summary>Loops with constant bounds and fewer iterations stay scalar (the unroller takes up to 4).</summary>
    public const int MinimumTrips = 8;

    /// <summary>The loops chosen for vectorization, in program order.</summary>
    public static IReadOnlyList<VectorLoop> Plan(IrFunction function) =>
        Analyze(function).Where(d => d.Plan is not null).Select(d => d.Plan!).ToList();

    /// <summary>Every loop of <paramref name="function"/> with the decision: a plan, or why not.</summary>
    public static IReadOnlyList<LoopDecision> Analyze(IrFunction function)
    {
        var body = function.Body;
        var decisions = new List<LoopDecision>();
        var enclosing = new Stack<string>();
        for (int o = 0; o < body.Count; o++)
        {
            if (body[o].Op == Op.EndFor)
            {
                enclosing.Pop();
            }

            if (body[o].Op != Op.For)
            {
                continue;
            }

            var check = new Check(function, o, enclosing);
            decisions.Add(new LoopDecision(o, body[o].Name!, check.Reason, check.Reason is null ? check.Build() : null));
            enclosing.Push(body[o].Name!);
        }

        // Of nested loops that qualify, the innermost is vectorized.
        for (int k = 0; k < decisions.Count; k++)
        {
            LoopDecision d = decisions[k];
            int close = Regions.Close(body, d.Open);
            if (d.Plan is not null && decisions.Any(inner => inner.Open > d.Open && inner.Open < close && inner.Plan is not null))
            {
                decisions[k] = d with { Reason = "an inner loop is vectorized instead", Plan = null };
            }
        }

        return decisions;
    }

    /// <summary>The legality check of one loop; <see cref="Reason"/> is null when it qualifies.</summary>
    private sealed class Check
    {
        private readonly IrFunction _function;
        private readonly int _open, _close;
        private readonly string _v;
        private readonly HashSet<string> _inner = new(), _outerLoops;
        private readonly Dictionary<int, int> _strides = new();
        private readonly List<LoopParameter> _parameters = new();
        private readonly HashSet<(LoopParameterKind, int, Slot, string?)> _seen = new();

        public string? Reason { get; }

        public Check(IrFunction function, int open, IEnumerable<string> enclosing)
        {
            _function = function;
            _open = open;
            _close = Regions.Close(function.Body, open);
            _v = function.Body[open].Name!;
            _outerLoops = new HashSet<string>(enclosing);
            for (int i = open + 1; i < _close; i++)
            {
                if (function.Body[i].Op == Op.For)
                {
                    _inner.Add(function.Body[i].Name!);
                }
            }

            Reason = Find();
        }

        public VectorLoop Build()
        {
            Instr loop = _function.Body[_open];
            return new VectorLoop(_open, _close, _v, loop.Ix!, loop.Ix2!,
                _strides.OrderBy(s => s.Key).Select(s => new AccessStride(s.Key, s.Value)).ToEquatableArray(),
                _parameters.OrderBy(p => p.Kind).ThenBy(p => p.Id).ToEquatableArray());
        }

        private string? Find()
        {
            var body = _function.Body;
            Instr loop = body[_open];
            if (loop.Ix!.ConstantValue is int lo && loop.Ix2!.ConstantValue is int hi && hi - lo < MinimumTrips)
            {
                return $"runs fewer than {MinimumTrips} times";
            }

            if ((Names(loop.Ix!) ?? Names(loop.Ix2!)) is { } boundReason)
            {
                return boundReason;
            }

            var added = new HashSet<int>();
            var read = new HashSet<int>();
            var bufferIndices = new Dictionary<int, HashSet<IndexExpr>>();
            var written = new HashSet<int>();
            for (int i = _open + 1; i < _close; i++)
            {
                Instr x = body[i];
                string? reason = x.Op switch
                {
                    _ when x.IsExtern => "calls a user function",
                    Op.Buf => "declares a buffer",
                    Op.For when x.Ix!.Mentions(_v) || x.Ix2!.Mentions(_v) => $"an inner loop's bounds depend on {_v}",
                    Op.For => Names(x.Ix!) ?? Names(x.Ix2!),
                    Op.Compare when x.A < 0 && (x.Ix!.Mentions(_v) || x.Ix2!.Mentions(_v)) => $"branches on {_v}",
                    Op.Compare when x.A < 0 => Names(x.Ix!) ?? Names(x.Ix2!),
                    Op.Input when x.Slot is Slot.T or Slot.TDot => Use(LoopParameterKind.Time, -1, x.Slot),
                    Op.Input when x.Slot == Slot.Index => Number(i, x.Ix!),
                    // A static readonly field is one run-time constant in every iteration, so the loop may run in lanes with
                    // it broadcast, as a literal is: the helper reads it by its name once, before its loop.
                    Op.Input when x.Slot == Slot.Field => Use(LoopParameterKind.Field, x.Index, x.Slot, x.Callee),
                    Op.Input => Access(i, x.Ix, x.Slot, write: false),
                    Op.Store when x.Slot is not (Slot.YBar or Slot.PBar) => $"writes {x.Slot}",
                    Op.Store => Access(i, x.Ix, x.Slot, write: true),
                    Op.BufLoad or Op.BufStore => Access(i, x.Ix, Slot.None, write: x.Op == Op.BufStore),
                    _ => null,
                };
                if (reason is not null)
                {
                    return reason;
                }

                if (x.Op is Op.BufLoad or Op.BufStore)
                {
                    int buffer = x.Op == Op.BufLoad ? x.A : x.B;
                    (bufferIndices.TryGetValue(buffer, out var set) ? set : bufferIndices[buffer] = new HashSet<IndexExpr>()).Add(x.Ix!);
                    if (x.Op == Op.BufStore)
                    {
                        written.Add(buffer);
                    }
                }

                if ((reason = Operands(i, x, added, read)) is not null)
                {
                    return reason;
                }
            }

            if (added.Intersect(read).ToList() is { Count: > 0 } both)
            {
                return $"reads {VarName(both[0])}, which it adds to";
            }

            foreach (int buffer in written)
            {
                HashSet<IndexExpr> indices = bufferIndices[buffer];
                string name = body[buffer].Name ?? "a buffer";
                if (indices.Count > 1)
                {
                    return $"writes {name} and touches it at more than one index ({string.Join(", ", indices.Select(Print).OrderBy(s => s, System.StringComparer.Ordinal))})";
                }

                IndexExpr index = indices.Single();
                if (index.Stride(_v) == 0 || index.Variables().Any(_inner.Contains))
                {
                    return $"writes {name}[{Print(index)}], which is not an element of its own lane";
                }
            }

            return null;
        }

        /// <summary>The operands from before the loop: broadcast values, read variables, sums, buffers.</summary>
        private string? Operands(int i, Instr x, HashSet<int> added, HashSet<int> read)
        {
            for (int k = 0; k < x.Arity; k++)
            {
                int id = x.Operand(k);
                Instr operand = _function.Body[id];
                bool outer = id < _open;
                if (x.Op is Op.VarAdd or Op.VarGet or Op.VarSet && k == 0)
                {
                    if (!outer)
                    {
                        continue;
                    }

                    if (x.Op == Op.VarSet)
                    {
                        return $"sets {VarName(id)}, declared before the loop";
                    }

                    (x.Op == Op.VarAdd ? added : read).Add(id);
                    Use(x.Op == Op.VarAdd ? LoopParameterKind.Sum : LoopParameterKind.Variable, id, Slot.None);
                }
                else if ((x.Op == Op.BufLoad && k == 0) || (x.Op == Op.BufStore && k == 1))
                {
                    Use(LoopParameterKind.Buffer, id, Slot.None);
                }
                else if (outer && operand.IsCondition)
                {
                    return "branches on a condition computed before the loop";
                }
                else if (outer && operand.Op != Op.Const)
                {
                    Use(LoopParameterKind.Value, id, Slot.None);
                }
            }

            return null;
        }

        /// <summary>Classifies a read or write at <paramref name="index"/> (null: a constant element) by its stride in the loop variable.</summary>
        private string? Access(int id, IndexExpr? index, Slot span, bool write)
        {
            if (span != Slot.None)
            {
                Use(LoopParameterKind.Span, -1, span);
            }

            if (index is null)
            {
                _strides[id] = 0;
                return write ? $"adds to {Describe(span)} at one element in every iteration" : null;
            }

            if (index.Stride(_v) is not int stride)
            {
                return $"indexes with {Print(index)}, not base + s·{_v} for a constant s";
            }

            if (write && span != Slot.None && stride == 0)
            {
                return $"adds to {Describe(span)}[{Print(index)}] at one element in every iteration";
            }

            _strides[id] = stride;
            return Names(index);
        }

        /// <summary>An index used as a number: lane k's value is base + s·k (TLane.Indices), for a constant s.</summary>
        private string? Number(int id, IndexExpr index)
        {
            if (index.Stride(_v) is not int stride)
            {
                return $"uses {Print(index)} as a number, not base + s·{_v} for a constant s";
            }

            _strides[id] = stride;
            return Names(index);
        }

        /// <summary>Records the outer names an index mentions: enclosing loop variables and span lengths; anything else disqualifies.</summary>
        private string? Names(IndexExpr index)
        {
            foreach (Slot span in index.Lengths())
            {
                if (span is not (Slot.Y or Slot.P or Slot.YDot or Slot.PDot or Slot.A))
                {
                    return $"indexes with {SpanNames.Of(span, _function.Naming)}.Length";
                }

                Use(LoopParameterKind.Span, -1, span);
            }

            foreach (string name in index.Variables())
            {
                if (name == _v || _inner.Contains(name))
                {
                    continue;
                }

                if (_outerLoops.Contains(name))
                {
                    Use(LoopParameterKind.Int, -1, Slot.None, name);
                }
                else
                {
                    return $"indexes with {name}";
                }
            }

            return null;
        }

        private string Print(IndexExpr index) => index.Print(_function.Naming);

        private string? Use(LoopParameterKind kind, int id, Slot slot, string? name = null)
        {
            if (_seen.Add((kind, id, slot, name)))
            {
                _parameters.Add(new LoopParameter(kind, id, slot, name));
            }

            return null;
        }

        private string VarName(int var) => _function.Body[var].Name ?? "an accumulator";

        private static string Describe(Slot slot) => slot == Slot.YBar ? "yBar" : slot == Slot.PBar ? "pBar" : slot.ToString();
    }
}
