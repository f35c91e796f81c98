using System.Collections.Generic;
using OdeGen.Generators.Ir;

namespace OdeGen.Generators.Emit;

/// <summary>
/// Prints one IR function as a C# method body. Literals, unnamed input reads and unnamed values
/// used once are printed inline (pure arithmetic, so moving them changes no result); every other
/// value becomes a local. Each group of lines is headed by the user statement it came from.
/// </summary>
internal sealed class FunctionEmitter
{
    private const int PrecAdd = 1, PrecMul = 2, PrecUnary = 3, PrecAtom = 4;

    private readonly IrFunction _function;
    private readonly string?[] _names;

    private FunctionEmitter(IrFunction function, IEnumerable<string> parameters)
    {
        _function = function;
        _names = AssignNames(function, parameters);
    }

    /// <summary>
    /// Writes the statements of <paramref name="function"/> to <paramref name="writer"/>; locals are
    /// named so they never shadow <paramref name="parameters"/>.
    /// </summary>
    public static void EmitBody(IndentedWriter writer, IrFunction function, IEnumerable<string> parameters) =>
        new FunctionEmitter(function, parameters).Emit(writer);

    private void Emit(IndentedWriter writer)
    {
        (int, bool) group = (-1, false);
        bool first = true;
        int lastUserStatement = -1;
        for (int i = 0; i < _function.Body.Count; i++)
        {
            Instr x = _function.Body[i];
            if (x.Op != Op.Store && _names[i] is null)
            {
                continue;   // printed inline where it is used
            }

            var key = (x.Stmt, x.Phase == Phase.Adjoint);
            if (key != group && x.Stmt >= 0)
            {
                if (!first)
                {
                    writer.Line();
                }

                string prefix = x.Phase == Phase.Adjoint ? "// adjoint of: " : "// ";
                if (x.Phase != Phase.Adjoint && x.Stmt < _function.UserStatements)
                {
                    // Statements whose own code was folded into this one's (overwritten stores, inlined
                    // values) are still part of the derivation: list them above it, in source order.
                    for (int s = lastUserStatement + 1; s < x.Stmt; s++)
                    {
                        writer.Line(prefix + _function.Statements[s]);
                    }

                    lastUserStatement = System.Math.Max(lastUserStatement, x.Stmt);
                }

                writer.Line(prefix + _function.Statements[x.Stmt]);
            }

            group = key;
            first = false;
            writer.Line(x.Op == Op.Store ? StoreLine(x) : $"double {_names[i]} = {Expr(i, definition: true).Text};");
        }
    }

    private string StoreLine(Instr x)
    {
        string value = Expr(x.A).Text;
        return x.Slot switch
        {
            Slot.Return => $"return {value};",
            Slot.YBar or Slot.PBar => $"{SlotName(x.Slot)}[{Literals.Int(x.Index)}] += {value};",
            _ => $"{SlotName(x.Slot)}[{Literals.Int(x.Index)}] = {value};",
        };
    }

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
                string literal = Literals.Double(x.Value);
                return (literal, literal.StartsWith("-", System.StringComparison.Ordinal) ? PrecUnary : PrecAtom);
            case Op.Input:
                return (x.Slot is Slot.T or Slot.TDot ? SlotName(x.Slot) : $"{SlotName(x.Slot)}[{Literals.Int(x.Index)}]", PrecAtom);
            case Op.Neg:
                var operand = Expr(x.A);
                bool wrap = operand.Prec < PrecAtom;   // never print "--x" or "-a * b" for -(a * b)
                return ("-" + (wrap ? $"({operand.Text})" : operand.Text), PrecUnary);
            case Op.Call:
                return (Call(x), PrecAtom);
            default:
                return Binary(x);
        }
    }

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

    private string Call(Instr x)
    {
        if (x.Fn == Fn.LessOrEqualIndicator)
        {
            return $"({Expr(x.A).Text} <= {Expr(x.B).Text} ? 1.0 : 0.0)";
        }

        var args = new List<string>();
        for (int k = 0; k < x.Arity; k++)
        {
            args.Add(Expr(x.Operand(k)).Text);
        }

        return $"global::System.Math.{x.Fn}({string.Join(", ", args)})";
    }

    private static string SlotName(Slot slot) => slot switch
    {
        Slot.T => "t",
        Slot.Y => "y",
        Slot.P => "p",
        Slot.TDot => "tDot",
        Slot.YDot => "yDot",
        Slot.PDot => "pDot",
        Slot.A => "a",
        Slot.Dydt => "dydt",
        Slot.DydtDot => "dydtDot",
        Slot.YBar => "yBar",
        Slot.PBar => "pBar",
        Slot.Dfdy => "dfdy",
        Slot.Dfdp => "dfdp",
        _ => throw new System.ArgumentOutOfRangeException(nameof(slot), slot, null),
    };

    /// <summary>Names the values that become locals (null: printed inline), unique within the method.</summary>
    private static string?[] AssignNames(IrFunction function, IEnumerable<string> parameters)
    {
        var uses = new int[function.Body.Count];
        for (int i = 0; i < uses.Length; i++)
        {
            Instr x = function.Body[i];
            for (int k = 0; k < x.Arity; k++)
            {
                uses[x.Operand(k)]++;
            }
        }

        var taken = new HashSet<string>(parameters);
        var names = new string?[uses.Length];
        int temp = 0;
        for (int i = 0; i < uses.Length; i++)
        {
            Instr x = function.Body[i];
            bool local = x.Op switch
            {
                Op.Const or Op.Store => false,
                Op.Input => x.Name is not null,
                _ => x.Name is not null || uses[i] > 1,
            };
            if (local)
            {
                names[i] = x.Name is null ? Fresh(taken, "v", ref temp) : Unique(taken, x.Name);
            }
        }

        return names;
    }

    private static string Unique(HashSet<string> taken, string hint)
    {
        string name = hint;
        for (int k = 2; !taken.Add(name); k++)
        {
            name = hint + "_" + Literals.Int(k);
        }

        return name;
    }

    private static string Fresh(HashSet<string> taken, string prefix, ref int counter)
    {
        string name;
        do
        {
            name = prefix + Literals.Int(++counter);
        }
        while (!taken.Add(name));
        return name;
    }
}
