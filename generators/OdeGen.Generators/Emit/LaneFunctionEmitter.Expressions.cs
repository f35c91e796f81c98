using System.Collections.Generic;
using OdeGen.Generators.Ir;

namespace OdeGen.Generators.Emit;

/// <summary>The C# text of values in lane code: arithmetic as in scalar code, masks for conditions, TLane functions.</summary>
internal sealed partial class LaneFunctionEmitter
{
    /// <summary>An index condition without the parentheses that make it an atom elsewhere.</summary>
    private string UnwrappedCondition(int id)
    {
        string text = Expr(id).Text;
        return _names[id] is null && text.StartsWith("(", System.StringComparison.Ordinal) && _function.Body[id].Op != Op.Not ? text.Substring(1, text.Length - 2) : text;
    }

    /// <summary>
    /// The text of a condition: bools for loop indices as in scalar code, TLane masks for lane values; a
    /// bool meeting a mask becomes one (every lane or none).
    /// </summary>
    private string ConditionExpr(int id)
    {
        Instr x = _function.Body[id];
        if (!_laneCondition[id])
        {
            switch (x.Op)
            {
                case Op.Compare:
                    return $"({Ix(x.Ix)} {Symbol((CompareKind)(int)x.Value)} {Ix(x.Ix2)})";
                case Op.And:
                    return $"({Expr(x.A).Text} && {Expr(x.B).Text})";
                case Op.Or:
                    return $"({Expr(x.A).Text} || {Expr(x.B).Text})";
                default:
                    return "!" + Expr(x.A).Text;
            }
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

    /// <summary>The C# operator of an index comparison.</summary>
    private static string Symbol(CompareKind kind) => kind switch
    {
        CompareKind.Less => "<",
        CompareKind.LessOrEqual => "<=",
        CompareKind.Greater => ">",
        CompareKind.GreaterOrEqual => ">=",
        CompareKind.Equal => "==",
        _ => "!=",
    };

    /// <summary>
    /// The C# text of value <paramref name="id"/> and its precedence: its local's name, unless
    /// <paramref name="definition"/> asks for the right-hand side that defines that local.
    /// </summary>
    private (string Text, int Prec) Expr(int id, bool definition = false)
    {
        if (!definition && _names[id] is { } name)
        {
            return (name, PrecAtom);
        }

        Instr x = _function.Body[id];
        switch (x.Op)
        {
            case Op.Const:
                return (Constant(x.Value), PrecAtom);
            case Op.Input:
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
                    case Slot _ when _loop is not null:
                        return (Load(SlotName(x.Slot), Ix(x.Element), _loop.Stride(id)), PrecAtom);
                    default:
                        return (Element(x.Slot, SlotName(x.Slot), x.Element), PrecAtom);
                }

            case Op.VarGet:
                return (_names[x.A]!, PrecAtom);
            case Op.BufLoad when _loop is not null:
                return (Load(BufName(x.A), Ix(x.Ix), _loop.Stride(id)), PrecAtom);
            case Op.BufLoad:
                return (Element(_function.Body[x.A].Slot, BufName(x.A), x.Ix!), PrecAtom);
            case Op.Neg:
                var operand = Expr(x.A);
                return ("-" + (operand.Prec < PrecAtom ? $"({operand.Text})" : operand.Text), PrecUnary);
            case Op.Call:
                return (Call(x), PrecAtom);
            case Op.Compare or Op.And or Op.Or or Op.Not:
                return (ConditionExpr(id), PrecAtom);
            case Op.Extern or Op.ExternJvp:
                throw new System.InvalidOperationException("a call of a user function is printed by its statement");
            default:
                return Binary(x);
        }
    }

    /// <summary>+ - * / on TLane, parenthesized exactly as the IR groups them.</summary>
    private (string Text, int Prec) Binary(Instr x)
    {
        (string symbol, int prec) = x.Op switch
        {
            Op.Add => ("+", PrecAdd),
            Op.Sub => ("-", PrecAdd),
            Op.Mul => ("*", PrecMul),
            _ => ("/", PrecMul),
        };
        var left = Expr(x.A);
        var right = Expr(x.B);

        // Floating-point operations do not associate: keep the IR's grouping exactly.
        string l = left.Prec < prec ? $"({left.Text})" : left.Text;
        string r = right.Prec <= prec ? $"({right.Text})" : right.Text;
        return ($"{l} {symbol} {r}", prec);
    }

    /// <summary>
    /// A known function on lanes. Most are TLane's own; the rest are built from masks exactly as System.Math
    /// defines them: Clamp by its two tests, Sign by comparisons with 0, CopySign by the sign bit, and the
    /// Min/Max slope a &lt;= b ? 1 : 0 by a select.
    /// </summary>
    private string Call(Instr x)
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
            default:
                return $"TLane.{x.Fn}({string.Join(", ", args)})";
        }
    }
}
