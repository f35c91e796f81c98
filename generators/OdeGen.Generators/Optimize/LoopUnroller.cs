using System.Collections.Generic;
using OdeGen.Generators.Ir;
using OdeGen.Generators.Simplify;
using System.Runtime.CompilerServices;

namespace OdeGen.Generators.Optimize;

/// <summary>
/// Unrolls loops with constant bounds and a few iterations (an MLP's input loop over two states, a
/// three-component cross product): the loop variable becomes a literal in every index, so the copies
/// read fixed elements that value numbering shares and that later passes can keep in registers
/// (<see cref="AccumulatorPromotion"/>). The copies run in the loop's order, so every result is
/// unchanged bit for bit.
/// </summary>
internal static class LoopUnroller
{
    /// <summary>Loops with at most this many iterations are unrolled.</summary>
    public const int MaxTrips = 4;

    /// <summary>…and only while the copies add at most this many instructions.</summary>
    public const int MaxCopiedInstructions = 400;

    /// <summary>Returns <paramref name="function"/> with its short constant loops unrolled.</summary>
    [MethodImpl(Hot.Optimize)]
    public static IrFunction Run(IrFunction function, bool exact)
    {
        var builder = new IrBuilder(exact, function.Single, function.Body.Count);
        var map = new int[function.Body.Count];
        new Copier(function, builder, map).Range(0, function.Body.Count);
        return DeadCode.Eliminate(builder.Build(function.Statements, function.UserStatements));
    }

    private sealed class Copier(IrFunction function, IrBuilder builder, int[] map)
    {
        private readonly Dictionary<string, int> _values = new();

        // The unrolled loops the current copy is in, outermost first: their statements and variables.
        private readonly List<(int Stmt, string Variable, Phase Phase)> _open = new();

        // Conditions on indices that unrolling made constant, by instruction position (for the current copy).
        private readonly Dictionary<int, bool> _known = new();

        // The current copy's heading, made once per copy rather than once per instruction (null: not made yet).
        private UnrolledCopy? _copy;

        [MethodImpl(Hot.Optimize)]
        public void Range(int start, int end)
        {
            for (int i = start; i < end; i++)
            {
                Instr x = Substituted(function.Body[i]);
                if (x.Op == Op.For && Unrollable(x, i) is { } bounds)
                {
                    int close = Regions.Close(function.Body, i);
                    bool labelled = !OneStatement(i, close);
                    if (labelled)
                    {
                        _open.Add((x.Stmt, x.Name!, x.Phase));
                    }

                    for (int k = 0; k < bounds.Hi - bounds.Lo; k++)
                    {
                        _values[x.Name!] = x.Value == 1 ? bounds.Hi - 1 - k : bounds.Lo + k;
                        _copy = null;
                        Range(i + 1, close);
                    }

                    if (labelled)
                    {
                        _open.RemoveAt(_open.Count - 1);
                    }

                    _values.Remove(x.Name!);
                    _copy = null;
                    i = close;
                    continue;
                }

                if (x.Op == Op.If && _known.TryGetValue(x.A, out bool taken))
                {
                    // Only the side this copy takes: no branch on a constant is left behind.
                    (int otherwise, int close) = Sides(i);
                    if (taken)
                    {
                        Range(i + 1, otherwise >= 0 ? otherwise : close);
                    }
                    else if (otherwise >= 0)
                    {
                        Range(otherwise + 1, close);
                    }

                    i = close;
                    continue;
                }

                Know(x, i);
                Simplifier.Attribute(builder, x);
                if (_open.Count > 0)
                {
                    builder.Copy = _copy ??= new UnrolledCopy(_open[0].Stmt, string.Join(", ", _open.ConvertAll(l => l.Variable + " = " + _values[l.Variable].ToString(System.Globalization.CultureInfo.InvariantCulture))), _open[0].Phase);
                }

                Simplifier.Record(builder, x, i, map, x.Op == Op.Input && x.Slot == Slot.Index && x.Ix?.ConstantValue is int number
                    ? builder.Const(number)   // (double)(j + 1) with j known is a literal
                    : Simplifier.Copy(builder, x, map));
            }
        }

        /// <summary>
        /// True when the loop's body (with its inner loops) is one statement of the user's, a sum's term say: its copies
        /// read as one group of lines under that statement, without a heading for each.
        /// </summary>
        [MethodImpl(Hot.Optimize)]
        private bool OneStatement(int open, int close)
        {
            int stmt = -1;
            for (int i = open + 1; i < close; i++)
            {
                Instr x = function.Body[i];
                if (x.IsRegion)
                {
                    continue;
                }

                if (stmt >= 0 && x.Stmt != stmt)
                {
                    return false;
                }

                stmt = x.Stmt;
            }

            return true;
        }

        /// <summary>Records the value of a condition on indices that is now constant.</summary>
        [MethodImpl(Hot.Optimize)]
        private void Know(Instr x, int at)
        {
            _known.Remove(at);
            bool? value = x.Op switch
            {
                Op.Compare when x.A < 0 && x.Ix?.ConstantValue is int l && x.Ix2?.ConstantValue is int r => ((CompareKind)(int)x.Value).Holds(l, r),
                Op.Not when _known.TryGetValue(x.A, out bool a) => !a,
                Op.And when _known.TryGetValue(x.A, out bool a) && _known.TryGetValue(x.B, out bool b) => a && b,
                Op.Or when _known.TryGetValue(x.A, out bool a) && _known.TryGetValue(x.B, out bool b) => a || b,
                _ => null,
            };
            if (value is bool known)
            {
                _known[at] = known;
            }
        }

        /// <summary>The Else (or -1) and EndIf of the branch opened at <paramref name="open"/>.</summary>
        [MethodImpl(Hot.Optimize)]
        private (int Else, int Close) Sides(int open)
        {
            int close = Regions.Close(function.Body, open), depth = 0;
            for (int i = open + 1; i < close; i++)
            {
                Instr x = function.Body[i];
                depth += x.Op is Op.For or Op.If ? 1 : x.Op is Op.EndFor or Op.EndIf ? -1 : 0;
                if (depth == 0 && x.Op == Op.Else)
                {
                    return (i, close);
                }
            }

            return (-1, close);
        }

        /// <summary>The loop's constant bounds when it is short.</summary>
        [MethodImpl(Hot.Optimize)]
        private (int Lo, int Hi)? Unrollable(Instr loop, int at)
        {
            if (loop.Ix?.ConstantValue is not int lo || loop.Ix2?.ConstantValue is not int hi || hi - lo > MaxTrips || hi <= lo)
            {
                return null;
            }

            int close = Regions.Close(function.Body, at);
            if ((long)(close - at - 1) * (hi - lo) > MaxCopiedInstructions)
            {
                return null;
            }

            return (lo, hi);
        }

        /// <summary><paramref name="x"/> with the unrolled loops' variables replaced in its indices.</summary>
        [MethodImpl(Hot.Optimize)]
        private Instr Substituted(Instr x)
        {
            if (_values.Count == 0 || (x.Ix is null && x.Ix2 is null))
            {
                return x;
            }

            IndexExpr? ix = x.Ix?.Substitute(_values), ix2 = x.Ix2?.Substitute(_values);

            // A constant element of an input or output span is its plain index, as in straight-line code.
            if (x.Op is Op.Input or Op.Store && x.Slot != Slot.Index && ix is IndexExpr.Constant { Value: int index })
            {
                return x with { Index = index, Ix = null };
            }

            return ReferenceEquals(ix, x.Ix) && ReferenceEquals(ix2, x.Ix2) ? x : x with { Ix = ix, Ix2 = ix2 };
        }
    }
}
