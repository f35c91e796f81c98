using OdeGen.Generators.Ir;

namespace OdeGen.Generators.Emit;

/// <summary>
/// Prints IR values as C# expressions, for every number kind the generated methods compute in: double and float in the
/// scalar methods (<see cref="FunctionEmitter"/>), TLane in the lane methods and vectorized loops
/// (<see cref="LaneFunctionEmitter"/>). The recursion over the operands, the locals that stop it, precedence and the
/// parentheses that keep the IR's grouping exist once, here; a number kind supplies only what differs between kinds:
/// its literals, how it reads inputs, variables and buffers, its functions and its conditions.
/// </summary>
internal abstract class ExpressionPrinter
{
    /// <summary>The precedences the printer parenthesizes by: + and −, * and /, unary minus and casts, atoms.</summary>
    protected const int PrecAdd = 1, PrecMul = 2, PrecUnary = 3, PrecAtom = 4;

    /// <summary>Starts a printer of <paramref name="function"/>'s values; <see cref="Names"/> is set once the locals are chosen.</summary>
    protected ExpressionPrinter(IrFunction function) => Function = function;

    /// <summary>The function whose values are printed.</summary>
    protected IrFunction Function { get; }

    /// <summary>The local of each value, null for a value printed inline where it is used.</summary>
    protected string?[] Names { get; set; } = System.Array.Empty<string?>();

    /// <summary>
    /// The C# text of value <paramref name="id"/> and its precedence: its local's name, unless
    /// <paramref name="definition"/> asks for the right-hand side that defines that local.
    /// </summary>
    protected (string Text, int Prec) Expr(int id, bool definition = false)
    {
        if (!definition && Names[id] is { } name)
        {
            return (name, PrecAtom);
        }

        Instr x = Function.Body[id];
        switch (x.Op)
        {
            case Op.Const:
                string literal = Literal(x.Value);
                return (literal, literal.StartsWith("-", System.StringComparison.Ordinal) ? PrecUnary : PrecAtom);
            case Op.Input:
                return Input(id, x);
            case Op.VarGet:
                return (VarGet(x), PrecAtom);
            case Op.BufLoad:
                return (BufLoad(id, x), PrecAtom);
            case Op.Neg:
                var operand = Expr(x.A);
                bool wrap = operand.Prec < PrecAtom;   // never print "--x" or "-a * b" for -(a * b)
                return ("-" + (wrap ? $"({operand.Text})" : operand.Text), PrecUnary);
            case Op.Call:
                return (Call(x), PrecAtom);
            case Op.Compare or Op.And or Op.Or or Op.Not:
                return (Condition(id, x), PrecAtom);
            case Op.Extern or Op.ExternJvp:
                return (ExternCall(x), PrecAtom);
            default:
                return Binary(x);
        }
    }

    /// <summary>A literal of the kind (a hoisted local or a broadcast in lane code).</summary>
    protected abstract string Literal(double value);

    /// <summary>A read of a span element, t, or a loop index used as a number.</summary>
    protected abstract (string Text, int Prec) Input(int id, Instr x);

    /// <summary>A read of a variable (a loop sum, a branch-merge local).</summary>
    protected abstract string VarGet(Instr x);

    /// <summary>A read of a buffer element.</summary>
    protected abstract string BufLoad(int id, Instr x);

    /// <summary>A known function of the kind's numbers.</summary>
    protected abstract string Call(Instr x);

    /// <summary>A condition, printed as an atom (fully parenthesized or a call).</summary>
    protected abstract string Condition(int id, Instr x);

    /// <summary>A call of the user's function whose value is printed inline.</summary>
    protected abstract string ExternCall(Instr x);

    /// <summary>+ - * /, parenthesized exactly as the IR groups them (the same text for every kind: TLane has the operators).</summary>
    protected (string Text, int Prec) Binary(Instr x)
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

    /// <summary>A condition without the parentheses that make it an atom elsewhere (for an if's own parentheses).</summary>
    protected string UnwrappedCondition(int id)
    {
        string text = Expr(id).Text;
        return Names[id] is null && text.StartsWith("(", System.StringComparison.Ordinal) && Function.Body[id].Op != Op.Not ? text.Substring(1, text.Length - 2) : text;
    }

    /// <summary>
    /// A condition that is a bool in every kind: a comparison of int index expressions, or And, Or, Not of bools.
    /// (A comparison of values is a bool in scalar code and a mask in lane code: the kinds print those.)
    /// </summary>
    protected string BoolCondition(Instr x) => x.Op switch
    {
        Op.Compare => $"({Ix(x.Ix)} {Symbol((CompareKind)(int)x.Value)} {Ix(x.Ix2)})",
        Op.And => $"({Expr(x.A).Text} && {Expr(x.B).Text})",
        Op.Or => $"({Expr(x.A).Text} || {Expr(x.B).Text})",
        _ => "!" + Expr(x.A).Text,
    };

    /// <summary>The C# operator of a comparison.</summary>
    protected static string Symbol(CompareKind kind) => kind switch
    {
        CompareKind.Less => "<",
        CompareKind.LessOrEqual => "<=",
        CompareKind.Greater => ">",
        CompareKind.GreaterOrEqual => ">=",
        CompareKind.Equal => "==",
        _ => "!=",
    };

    /// <summary>An index expression in the method's span names.</summary>
    protected string Ix(IndexExpr? index) => index!.Print(Function.Naming);

    /// <summary>The parameter name of <paramref name="slot"/> in this method (a system's or a function's).</summary>
    protected string SlotName(Slot slot) => SpanNames.Of(slot, Function.Naming);
}
