using System.Collections.Generic;
using OdeGen.Generators.Ir;
using OdeGen.Generators.Model;

namespace OdeGen.Generators.Differentiation;

/// <summary>
/// Splits the optimized one-sweep EvaluateVjp (<see cref="Augmented"/>) at the start of its reverse sweep into the pair a
/// tape-keeping integrator uses: EvaluateKeeping, the forward sweep (f, as Evaluate rounds it) that also writes the primal
/// values the reverse sweep reads into a caller's span <c>kept</c>; and VjpKept, the reverse sweep reading them back from
/// that span instead of computing them again. For an MLP the kept values are the activations (tanh of each hidden unit),
/// which is where the time of a VJP goes.
/// </summary>
/// <remarks>
/// <para>
/// The reverse sweep's uses of the forward sweep decide what is kept: every value the reverse sweep reads that the forward
/// sweep computed, at the top level of the method (a scalar: one element), and every buffer the reverse sweep reads (its
/// whole length, copied after the forward sweep: no later write changes it). Literals and reads of t, y and p are not kept:
/// the reverse method reads them itself. The instructions are the EvaluateVjp's own, in its order, so both halves compute
/// what it computes: EvaluateKeeping's dydt has Evaluate's bits and VjpKept's results Vjp's (compile-and-run tests hold both).
/// </para>
/// <para>
/// No split (null, and the system keeps only today's methods) when the reverse sweep reads something that cannot be kept as
/// a number: a condition (a reversed branch reuses the forward sweep's), a variable it changes, a buffer it writes, a
/// buffer of a size that is not a literal; when nothing worth keeping would be kept (no value made with a call); or when
/// more than <see cref="MaxKept"/> values would be.
/// </para>
/// </remarks>
internal static class KeptSplit
{
    /// <summary>
    /// The most values a pair may keep per call. Beyond it (a chain of thousands of statements, each kept) a tape would hold
    /// megabytes per step (4,096 × 6 stages × 64 bytes at Lane512 is 1.5 MB) and the pair would add as much code as the
    /// one-sweep file already has, so such a system keeps today's methods only.
    /// </summary>
    public const int MaxKept = 4096;

    /// <summary>The pair for <paramref name="evaluateVjp"/> (optimized), or null when it does not split (see remarks).</summary>
    public static KeptIr? Split(IrFunction evaluateVjp)
    {
        EquatableArray<Instr> body = evaluateVjp.Body;
        int n = body.Count, cut = -1, depth = 0;
        var depthOf = new int[n];
        for (int i = 0; i < n; i++)
        {
            Instr x = body[i];
            depth -= x.Op is Op.EndFor or Op.EndIf ? 1 : 0;
            depthOf[i] = x.Op == Op.Else ? depth - 1 : depth;
            if (cut < 0 && x.Phase == Phase.Adjoint)
            {
                if (depth != 0)
                {
                    return null;
                }

                cut = i;
            }

            depth += x.Op is Op.For or Op.If ? 1 : 0;
        }

        if (cut <= 0)
        {
            return null;
        }

        // What the reverse sweep reads of the forward sweep: kept scalars and buffers get their offsets in order of definition.
        var kind = new Kind[cut];
        for (int j = cut; j < n; j++)
        {
            Instr x = body[j];
            if ((x.Op == Op.Store && x.Slot is Slot.Dydt or Slot.DydtDot) || (x.Op == Op.Buf && x.Slot != Slot.None))
            {
                return null;
            }

            for (int k = 0; k < x.Arity; k++)
            {
                int o = x.Operand(k);
                if (o < 0 || o >= cut)
                {
                    continue;
                }

                Instr d = body[o];
                switch (d.Op)
                {
                    case Op.Const:
                    case Op.Input when d.Slot is Slot.T or Slot.Y or Slot.P or Slot.Field && (d.Ix is null || d.Ix.Variables().Count == 0):
                        kind[o] = Kind.Copied;
                        break;
                    case Op.Buf when d.Slot == Slot.None && x.Op == Op.BufLoad && d.Ix?.ConstantValue is > 0:
                        kind[o] = Kind.Buffer;
                        break;
                    case Op.Buf or Op.Input or Op.Var or Op.VarAdd or Op.VarSet or Op.Store or Op.BufStore or Op.ExternVjp:
                        return null;
                    default:
                        if (d.IsRegion || d.IsCondition || depthOf[o] != 0)
                        {
                            return null;
                        }

                        kind[o] = Kind.Scalar;
                        break;
                }
            }
        }

        var offset = new int[cut];
        int size = 0;
        for (int i = 0; i < cut; i++)
        {
            offset[i] = size;
            size += kind[i] switch { Kind.Scalar => 1, Kind.Buffer => body[i].Ix!.ConstantValue!.Value, _ => 0 };
        }

        if (size == 0 || size > MaxKept || !SavesACall(body, cut, kind))
        {
            return null;
        }

        return new KeptIr(Forward(evaluateVjp, cut, kind, offset), Reverse(evaluateVjp, cut, kind, offset), size);
    }

    /// <summary>
    /// Whether some kept value was computed with a call of a library or user function (Tanh, Exp, …): what a reverse sweep
    /// that reads it back saves. Values of + − × ÷ alone cost about what reading them back does (Lorenz's y1 − y0), so
    /// such a system gets no pair and no tape memory.
    /// </summary>
    private static bool SavesACall(EquatableArray<Instr> body, int cut, Kind[] kind)
    {
        var costly = new bool[cut];
        for (int i = 0; i < cut; i++)
        {
            Instr x = body[i];
            bool c = x.IsExtern || (x.Op == Op.Call && x.Fn is not (Fn.Abs or Fn.Min or Fn.Max or Fn.FusedMultiplyAdd or Fn.Clamp or Fn.Sign or Fn.Truncate or Fn.CopySign or Fn.LessOrEqualIndicator));
            for (int k = 0; k < x.Arity && !c; k++)
            {
                int o = x.Operand(k);
                c = o >= 0 && o < cut && costly[o];
            }

            costly[i] = c;
            if (x.Op == Op.BufStore && c)
            {
                costly[x.B] = true;   // the buffer holds a costly value (a buffer precedes its writes)
            }
        }

        for (int i = 0; i < cut; i++)
        {
            if (kind[i] is Kind.Scalar or Kind.Buffer && costly[i])
            {
                return true;
            }
        }

        return false;
    }

    private enum Kind : byte
    {
        /// <summary>Not read by the reverse sweep.</summary>
        None,

        /// <summary>A literal or a read of t, y or p: the reverse method makes its own.</summary>
        Copied,

        /// <summary>A number kept in one element.</summary>
        Scalar,

        /// <summary>A stackalloc buffer kept whole.</summary>
        Buffer,
    }

    // The forward sweep, each kept scalar written right after its definition (where it is in scope and final), each kept
    // buffer copied after the sweep.
    private static IrFunction Forward(IrFunction f, int cut, Kind[] kind, int[] offset)
    {
        var body = new List<Instr>(cut + 16);
        var map = new int[cut];
        for (int i = 0; i < cut; i++)
        {
            Instr x = f.Body[i];
            map[i] = body.Count;
            body.Add(x.Remapped(map));
            if (kind[i] == Kind.Scalar)
            {
                body.Add(new Instr(Op.Store, map[i], -1, -1, 0, Fn.None, Slot.Kept, offset[i], x.Stmt, Phase.Primal, null));
            }
        }

        var loopNames = new HashSet<string>();
        foreach (Instr x in f.Body)
        {
            if (x.Op == Op.For)
            {
                loopNames.Add(x.Name!);
            }
        }

        string index = "keptIndex";
        for (int k = 2; loopNames.Contains(index); k++)
        {
            index = "keptIndex" + k.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        for (int i = 0; i < cut; i++)
        {
            if (kind[i] != Kind.Buffer)
            {
                continue;
            }

            Instr buffer = f.Body[i];
            IndexExpr j = IndexExpr.Of(index);
            body.Add(new Instr(Op.For, -1, -1, -1, 0, Fn.None, Slot.None, 0, buffer.Stmt, Phase.Primal, index, IndexExpr.Of(0), buffer.Ix));
            int load = body.Count;
            body.Add(new Instr(Op.BufLoad, map[i], -1, -1, 0, Fn.None, Slot.None, 0, buffer.Stmt, Phase.Primal, null, j));
            body.Add(new Instr(Op.Store, load, -1, -1, 0, Fn.None, Slot.Kept, 0, buffer.Stmt, Phase.Primal, null, Shifted(j, offset[i])));
            body.Add(new Instr(Op.EndFor, -1, -1, -1, 0, Fn.None, Slot.None, 0, buffer.Stmt, Phase.Primal, null));
        }

        return f with { Body = new EquatableArray<Instr>(body.ToArray()) };
    }

    // The reverse sweep: the copied reads first, the kept scalars read from kept, and reads of a kept buffer read kept.
    private static IrFunction Reverse(IrFunction f, int cut, Kind[] kind, int[] offset)
    {
        int n = f.Body.Count;
        var body = new List<Instr>(n - cut + 16);
        var map = new int[n];
        for (int i = 0; i < cut; i++)
        {
            Instr x = f.Body[i];
            map[i] = -1;
            switch (kind[i])
            {
                case Kind.Copied:
                    map[i] = body.Count;
                    body.Add(x);
                    break;
                case Kind.Scalar:
                    map[i] = body.Count;
                    body.Add(new Instr(Op.Input, -1, -1, -1, 0, Fn.None, Slot.Kept, offset[i], x.Stmt, Phase.Primal, x.Name));
                    break;
            }
        }

        for (int j = cut; j < n; j++)
        {
            Instr x = f.Body[j];
            map[j] = body.Count;
            if (x.Op == Op.BufLoad && x.A < cut && kind[x.A] == Kind.Buffer)
            {
                body.Add(new Instr(Op.Input, -1, -1, -1, 0, Fn.None, Slot.Kept, 0, x.Stmt, x.Phase, x.Name, Shifted(x.Element, offset[x.A]), Copy: x.Copy));
                continue;
            }

            body.Add(x.Remapped(map));
        }

        return f with { Body = new EquatableArray<Instr>(body.ToArray()) };
    }

    private static IndexExpr Shifted(IndexExpr index, int by) =>
        by == 0 ? index
        : index.ConstantValue is { } c ? IndexExpr.Of(c + by)
        : new IndexExpr.Binary(IndexOp.Add, index, IndexExpr.Of(by));
}
