using OdeGen.Generators.Ir;

namespace OdeGen.Generators.Tests.Infrastructure;

/// <summary>
/// Executes IR directly: an oracle independent of the emitter, so a printing mistake (a lost
/// parenthesis, a wrong operator) shows up as a difference from the compiled code.
/// </summary>
internal static class IrInterpreter
{
    /// <summary>The spans an IR function reads and writes; unused ones may stay empty.</summary>
    public sealed class Frame
    {
        public double T, TDot, S;
        public double[] Y = [], P = [], YDot = [], PDot = [], A = [];
        public double[] Dydt = [], DydtDot = [], YBar = [], PBar = [], Dfdy = [], Dfdp = [];
        public double[] YBarDot = [], PBarDot = [];

        /// <summary>Finds the user's functions and rules that <see cref="Op.Extern"/> calls, by their emitted name.</summary>
        public Func<string, System.Reflection.MethodInfo>? Resolve;
    }

    /// <summary>Runs <paramref name="function"/> on <paramref name="frame"/>; returns the stored return value (or 0).</summary>
    public static double Run(IrFunction function, Frame frame) => new Machine(function, frame).Run();

    /// <summary>One run: values by instruction id, buffers, loop variables.</summary>
    private sealed class Machine(IrFunction function, Frame frame)
    {
        private readonly double[] _values = new double[function.Body.Count];
        private readonly Dictionary<int, double[]> _buffers = new();
        private readonly Dictionary<string, int> _loops = new();
        private double _result;

        public double Run()
        {
            Range(0, function.Body.Count);
            return _result;
        }

        private void Range(int start, int end)
        {
            for (int i = start; i < end; i++)
            {
                Instr x = function.Body[i];
                if (x.Op == Op.For)
                {
                    int close = Close(i);
                    int lo = Index(x.Ix!), hi = Index(x.Ix2!);
                    for (int k = 0; k < hi - lo; k++)
                    {
                        _loops[x.Name!] = x.Value == 1 ? hi - 1 - k : lo + k;
                        Range(i + 1, close);
                    }

                    _loops.Remove(x.Name!);
                    i = close;
                    continue;
                }

                if (x.Op == Op.If)
                {
                    (int otherwise, int last) = Sides(i);
                    if (_values[x.A] != 0)
                    {
                        Range(i + 1, otherwise >= 0 ? otherwise : last);
                    }
                    else if (otherwise >= 0)
                    {
                        Range(otherwise + 1, last);
                    }

                    i = last;
                    continue;
                }

                Step(i, x);
            }
        }

        /// <summary>The else (or -1) and the end of the branch opened at <paramref name="open"/>.</summary>
        private (int Else, int End) Sides(int open)
        {
            int depth = 0, otherwise = -1;
            for (int i = open; ; i++)
            {
                Op op = function.Body[i].Op;
                depth += op is Op.For or Op.If ? 1 : op is Op.EndFor or Op.EndIf ? -1 : 0;
                if (op == Op.Else && depth == 1)
                {
                    otherwise = i;
                }

                if (depth == 0)
                {
                    return (otherwise, i);
                }
            }
        }

        private int Close(int open)
        {
            int depth = 0;
            for (int i = open; ; i++)
            {
                depth += function.Body[i].Op switch { Op.For or Op.If => 1, Op.EndFor or Op.EndIf => -1, _ => 0 };
                if (depth == 0)
                {
                    return i;
                }
            }
        }

        private void Step(int i, Instr x)
        {
            double[] values = _values;
            double a = x.A >= 0 ? values[x.A] : 0, b = x.B >= 0 ? values[x.B] : 0, c = x.C >= 0 ? values[x.C] : 0;
            int index = x.Ix is null || x.Op is not (Op.Input or Op.Store or Op.BufStore or Op.BufLoad) ? x.Index : Index(x.Ix);
            switch (x.Op)
            {
                case Op.Const: values[i] = x.Value; break;
                case Op.Input when x.Slot == Slot.Index: values[i] = index; break;
                case Op.Input: values[i] = Read(frame, x.Slot, index); break;
                case Op.Neg: values[i] = -a; break;
                case Op.Add: values[i] = a + b; break;
                case Op.Sub: values[i] = a - b; break;
                case Op.Mul: values[i] = a * b; break;
                case Op.Div: values[i] = a / b; break;
                case Op.Call: values[i] = Call(x.Fn, a, b, c); break;
                case Op.Store when x.Slot == Slot.Return: _result = a; break;
                case Op.Store: Write(frame, x.Slot, index, a); break;
                case Op.Var: values[i] = a; break;
                case Op.VarAdd: values[x.A] += b; break;
                case Op.VarGet: values[i] = a; break;
                case Op.Buf: _buffers[i] = NewBuffer(x); break;
                case Op.BufStore when x.Value == 1: _buffers[x.B][index] += a; break;
                case Op.BufStore: _buffers[x.B][index] = a; break;
                case Op.BufLoad: values[i] = _buffers[x.A][index]; break;
                case Op.VarSet: values[x.A] = b; break;
                case Op.Compare: values[i] = Compare((CompareKind)(int)x.Value, x.A >= 0 ? a : Index(x.Ix!), x.A >= 0 ? b : Index(x.Ix2!)) ? 1 : 0; break;
                case Op.And: values[i] = a != 0 && b != 0 ? 1 : 0; break;
                case Op.Or: values[i] = a != 0 || b != 0 ? 1 : 0; break;
                case Op.Not: values[i] = a != 0 ? 0 : 1; break;
                case Op.Extern or Op.ExternJvp: values[i] = (double)frame.Resolve!(x.Callee!).Invoke(null, x.Args.Take(x.CallArity).Select(k => (object)values[k]).ToArray())!; break;
                case Op.ExternVjp:
                    object[] args = x.Args.Select(k => (object)values[k]).ToArray();
                    frame.Resolve!(x.Callee!).Invoke(null, args);
                    for (int k = x.Index + 1; k < args.Length; k++)
                    {
                        values[x.Args[k]] = (double)args[k];
                    }

                    break;
            }
        }

        private static bool Compare(CompareKind kind, double a, double b) => kind switch
        {
            CompareKind.Less => a < b,
            CompareKind.LessOrEqual => a <= b,
            CompareKind.Greater => a > b,
            CompareKind.GreaterOrEqual => a >= b,
            CompareKind.Equal => a == b,
            _ => a != b,
        };

        private double[] NewBuffer(Instr x)
        {
            switch (x.Slot)
            {
                case Slot.Dydt: Array.Clear(frame.Dydt); return frame.Dydt;
                case Slot.DydtDot: Array.Clear(frame.DydtDot); return frame.DydtDot;
                case Slot.A: return (double[])frame.A.Clone();
                default: return new double[Index(x.Ix!)];
            }
        }

        /// <summary>The value of an index expression, evaluated here on its own (not through the generator's folding).</summary>
        private int Index(IndexExpr e) => e switch
        {
            IndexExpr.Constant c => c.Value,
            IndexExpr.Variable v => _loops[v.Name],
            IndexExpr.Length { Span: Slot.Y } => frame.Y.Length,
            IndexExpr.Length { Span: Slot.P } => frame.P.Length,
            IndexExpr.Length { Span: Slot.A } => frame.A.Length,
            IndexExpr.Length { Span: Slot.Dydt } => frame.Dydt.Length,   // a function's output length (its Evaluate and Jvp)
            IndexExpr.Negate n => -Index(n.Operand),
            IndexExpr.Binary { Op: IndexOp.Add } b => Index(b.Left) + Index(b.Right),
            IndexExpr.Binary { Op: IndexOp.Subtract } b => Index(b.Left) - Index(b.Right),
            IndexExpr.Binary { Op: IndexOp.Multiply } b => Index(b.Left) * Index(b.Right),
            IndexExpr.Binary { Op: IndexOp.Divide } b => Index(b.Left) / Index(b.Right),
            IndexExpr.Binary { Op: IndexOp.Remainder } b => Index(b.Left) % Index(b.Right),
            _ => throw new ArgumentOutOfRangeException(nameof(e), e, "not an index the interpreter knows"),
        };
    }

    private static double Read(Frame f, Slot slot, int i) => slot switch
    {
        Slot.T => f.T,
        Slot.TDot => f.TDot,
        Slot.S => f.S,
        Slot.Y => f.Y[i],
        Slot.P => f.P[i],
        Slot.YDot => f.YDot[i],
        Slot.PDot => f.PDot[i],
        Slot.A => f.A[i],
        _ => throw new ArgumentOutOfRangeException(nameof(slot), slot, "not an input"),
    };

    private static void Write(Frame f, Slot slot, int i, double v)
    {
        switch (slot)
        {
            case Slot.Dydt: f.Dydt[i] = v; break;
            case Slot.DydtDot: f.DydtDot[i] = v; break;
            case Slot.YBar: f.YBar[i] += v; break;
            case Slot.PBar: f.PBar[i] += v; break;
            case Slot.YBarDot: f.YBarDot[i] += v; break;
            case Slot.PBarDot: f.PBarDot[i] += v; break;
            case Slot.Dfdy: f.Dfdy[i] = v; break;
            case Slot.Dfdp: f.Dfdp[i] = v; break;
            default: throw new ArgumentOutOfRangeException(nameof(slot), slot, "not an output");
        }
    }

    private static double Call(Fn fn, double a, double b, double c) => fn switch
    {
        Fn.Sin => Math.Sin(a),
        Fn.Cos => Math.Cos(a),
        Fn.Tan => Math.Tan(a),
        Fn.Exp => Math.Exp(a),
        Fn.Log => Math.Log(a),
        Fn.Log10 => Math.Log10(a),
        Fn.Sqrt => Math.Sqrt(a),
        Fn.Cbrt => Math.Cbrt(a),
        Fn.Pow => Math.Pow(a, b),
        Fn.Tanh => Math.Tanh(a),
        Fn.Sinh => Math.Sinh(a),
        Fn.Cosh => Math.Cosh(a),
        Fn.Atan => Math.Atan(a),
        Fn.Asin => Math.Asin(a),
        Fn.Acos => Math.Acos(a),
        Fn.Atan2 => Math.Atan2(a, b),
        Fn.Abs => Math.Abs(a),
        Fn.Min => Math.Min(a, b),
        Fn.Max => Math.Max(a, b),
        Fn.FusedMultiplyAdd => Math.FusedMultiplyAdd(a, b, c),
        Fn.Clamp => Math.Clamp(a, b, c),
        Fn.Sign => Math.Sign(a),
        Fn.CopySign => Math.CopySign(a, b),
        Fn.LessOrEqualIndicator => a <= b ? 1.0 : 0.0,
        _ => throw new ArgumentOutOfRangeException(nameof(fn), fn, null),
    };
}
