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
        public double T, TDot;
        public double[] Y = [], P = [], YDot = [], PDot = [], A = [];
        public double[] Dydt = [], DydtDot = [], YBar = [], PBar = [], Dfdy = [], Dfdp = [];
    }

    /// <summary>Runs <paramref name="function"/> on <paramref name="frame"/>; returns the stored return value (or 0).</summary>
    public static double Run(IrFunction function, Frame frame)
    {
        var values = new double[function.Body.Count];
        double result = 0;
        for (int i = 0; i < values.Length; i++)
        {
            Instr x = function.Body[i];
            double a = x.A >= 0 ? values[x.A] : 0, b = x.B >= 0 ? values[x.B] : 0, c = x.C >= 0 ? values[x.C] : 0;
            switch (x.Op)
            {
                case Op.Const: values[i] = x.Value; break;
                case Op.Input: values[i] = Read(frame, x.Slot, x.Index); break;
                case Op.Neg: values[i] = -a; break;
                case Op.Add: values[i] = a + b; break;
                case Op.Sub: values[i] = a - b; break;
                case Op.Mul: values[i] = a * b; break;
                case Op.Div: values[i] = a / b; break;
                case Op.Call: values[i] = Call(x.Fn, a, b, c); break;
                case Op.Store when x.Slot == Slot.Return: result = a; break;
                case Op.Store: Write(frame, x.Slot, x.Index, a); break;
            }
        }

        return result;
    }

    private static double Read(Frame f, Slot slot, int i) => slot switch
    {
        Slot.T => f.T,
        Slot.TDot => f.TDot,
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
        Fn.CopySign => Math.CopySign(a, b),
        Fn.LessOrEqualIndicator => a <= b ? 1.0 : 0.0,
        _ => throw new ArgumentOutOfRangeException(nameof(fn), fn, null),
    };
}
