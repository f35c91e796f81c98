using System.Collections.Generic;
using OdeGen.Generators.Ir;

namespace OdeGen.Generators.Emit;

/// <summary>
/// The lane number kind of <see cref="ExpressionPrinter"/>: broadcast literals and t, loads of lanes, masks for conditions
/// on lane values, TLane functions. Arithmetic and bool conditions are the printer's.
/// </summary>
internal sealed partial class LaneFunctionEmitter
{
    /// <summary>
    /// The text of a condition: bools for loop indices as in scalar code, TLane masks for lane values; a
    /// bool meeting a mask becomes one (every lane or none).
    /// </summary>
    protected override string Condition(int id, Instr x)
    {
        if (!_laneCondition[id])
        {
            return BoolCondition(x);
        }

        switch (x.Op)
        {
            case Op.Compare:
                string kind = ((CompareKind)(int)x.Value) switch
                {
                    CompareKind.Less => "LessThan",
                    CompareKind.LessOrEqual => "LessThanOrEqual",
                    CompareKind.Greater => "GreaterThan",
                    CompareKind.GreaterOrEqual => "GreaterThanOrEqual",
                    CompareKind.Equal => "Equal",
                    _ => "NotEqual",
                };
                return $"TLane.{kind}({Expr(x.A).Text}, {Expr(x.B).Text})";
            case Op.Not:
                return $"TLane.AndNot({AllLanes()}, {Expr(x.A).Text})";
            default:
                bool and = x.Op == Op.And;
                if (_laneCondition[x.A] && _laneCondition[x.B])
                {
                    return $"TLane.{(and ? "And" : "Or")}({Expr(x.A).Text}, {Expr(x.B).Text})";
                }

                // One side is an index condition: it selects the mask or none (&&), all lanes or the mask (||).
                (int flag, int mask) = _laneCondition[x.A] ? (x.B, x.A) : (x.A, x.B);
                return and
                    ? $"({Expr(flag).Text} ? {Expr(mask).Text} : TLane.Zero)"
                    : $"({Expr(flag).Text} ? {AllLanes()} : {Expr(mask).Text})";
        }
    }

    /// <inheritdoc/>
    protected override string Literal(double value) => Constant(value);

    /// <inheritdoc/>
    protected override (string Text, int Prec) Input(int id, Instr x)
    {
        switch (x.Slot)
        {
            case Slot.T:
                _tUsed = true;
                return (_tLane, PrecAtom);
            case Slot.TDot:
                _tDotUsed = true;
                return (_tDotLane, PrecAtom);
            case Slot.S:
                return ("s", PrecAtom);   // DivergenceVjpLanes' seed is a TLane already
            case Slot.Index when _loop is not null && _loop.Stride(id) != 0:
                // Lane k runs iteration i + k: the index there is this one plus s·k, exactly (small integers).
                int s = _loop.Stride(id);
                string steps = s == 1 ? "TLane.Indices" : $"TLane.Create({Literals.Int(s)}) * TLane.Indices";
                return ($"TLane.Create(({_number.Real})({Ix(x.Ix)})) + {steps}", PrecAdd);
            case Slot.Index:
                return ($"TLane.Create(({_number.Real})({Ix(x.Ix)}))", PrecAtom);
            case Slot.Field:
                // One value for every lane: in a vectorized loop's helper, broadcast before the loop.
                return (_fieldLanes.TryGetValue(x.Callee!, out string? lanes) ? lanes : $"TLane.Create({x.Callee})", PrecAtom);
            case Slot _ when _loop is not null:
                return (Load(SlotName(x.Slot), Ix(x.Element), _loop.Stride(id)), PrecAtom);
            default:
                return (Element(x.Slot, SlotName(x.Slot), x.Element), PrecAtom);
        }
    }

    /// <inheritdoc/>
    protected override string VarGet(Instr x) => _names[x.A]!;

    /// <inheritdoc/>
    protected override string BufLoad(int id, Instr x) =>
        _loop is not null ? Load(BufName(x.A), Ix(x.Ix), _loop.Stride(id)) : Element(_function.Body[x.A].Slot, BufName(x.A), x.Ix!);

    /// <inheritdoc/>
    protected override string ExternCall(Instr x) => throw new System.InvalidOperationException("a call of a user function is printed by its statement");

    /// <summary>
    /// A known function on lanes. Most are TLane's own; the rest are built from masks exactly as System.Math
    /// defines them: Clamp by its two tests, Sign by comparisons with 0, CopySign by the sign bit, and the
    /// Min/Max slope a &lt;= b ? 1 : 0 by a select.
    /// </summary>
    protected override string Call(Instr x)
    {
        var args = new List<string>();
        for (int k = 0; k < x.Arity; k++)
        {
            args.Add(Expr(x.Operand(k)).Text);
        }

        switch (x.Fn)
        {
            case Fn.Clamp:
                return $"TLane.Select(TLane.LessThan({args[0]}, {args[1]}), {args[1]}, TLane.Select(TLane.GreaterThan({args[0]}, {args[2]}), {args[2]}, {args[0]}))";
            case Fn.Sign:
                return $"TLane.Select(TLane.GreaterThan({args[0]}, TLane.Zero), {Constant(1)}, TLane.Select(TLane.LessThan({args[0]}, TLane.Zero), {Constant(-1)}, TLane.Zero))";
            case Fn.CopySign:
                string signBit = Constant(-0.0);
                Instr magnitude = _function.Body[x.A];
                string abs = magnitude.Op == Op.Const && magnitude.Value >= 0 && !double.IsNaN(magnitude.Value) && System.BitConverter.DoubleToInt64Bits(magnitude.Value) >= 0
                    ? args[0]
                    : $"TLane.AndNot({args[0]}, {signBit})";
                return $"TLane.Or({abs}, TLane.And({args[1]}, {signBit}))";
            case Fn.LessOrEqualIndicator:
                return $"TLane.Select(TLane.LessThanOrEqual({args[0]}, {args[1]}), {Constant(1)}, TLane.Zero)";
            case Fn.Truncate:
                // Toward zero by Floor on |A|, saturated to the int range, and + 0 turns -0 into the +0 that the int 0 converts to.
                string truncated = $"TLane.Select(TLane.LessThan({args[0]}, TLane.Zero), -TLane.Floor(-({args[0]})), TLane.Floor({args[0]}))";
                return $"(TLane.Min(TLane.Max({truncated}, {Constant(int.MinValue)}), {Constant(int.MaxValue)}) + TLane.Zero)";
            default:
                return $"TLane.{x.Fn}({string.Join(", ", args)})";
        }
    }
}
