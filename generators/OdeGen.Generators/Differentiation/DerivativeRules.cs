using System;
using OdeGen.Generators.Ir;
using OdeGen.Generators.Simplify;

namespace OdeGen.Generators.Differentiation;

/// <summary>
/// The one table of local derivatives: for an instruction r = op(x0, x1, …) it builds ∂r/∂x_k.
/// Forward mode multiplies it by the operand's tangent, reverse mode by the result's adjoint, so
/// a rule written here serves both. Partials are built on demand, only for operands that carry a
/// derivative, so e.g. Pow(x, 2) never computes log(x).
/// </summary>
internal static class DerivativeRules
{
    private const double Ln10 = 2.302585092994046;

    /// <summary>
    /// Builds ∂r/∂(operand <paramref name="k"/>) of <paramref name="x"/>, whose operands (already
    /// mapped into <paramref name="b"/>) are <paramref name="args"/> and whose value is <paramref name="r"/>.
    /// </summary>
    public static int Partial(IrBuilder b, Instr x, int k, int[] args, int r) => x.Op switch
    {
        Op.Neg => b.Const(-1),
        Op.Add => b.Const(1),
        Op.Sub => b.Const(k == 0 ? 1 : -1),
        Op.Mul => args[1 - k],
        Op.Div => k == 0 ? b.Div(b.Const(1), args[1]) : b.Neg(b.Div(r, args[1])),
        Op.Call => Call(b, x.Fn, k, args, r),
        _ => throw new InvalidOperationException("no derivative rule for " + x.Op),
    };

    private static int Call(IrBuilder b, Fn fn, int k, int[] args, int r)
    {
        int u = args[0];
        switch (fn)
        {
            case Fn.Sin: return b.Call(Fn.Cos, u);
            case Fn.Cos: return b.Neg(b.Call(Fn.Sin, u));
            case Fn.Tan: return b.Add(b.Const(1), b.Mul(r, r));               // 1 + tan²
            case Fn.Exp: return r;
            case Fn.Log: return b.Div(b.Const(1), u);
            case Fn.Log10: return b.Div(b.Const(1), b.Mul(u, b.Const(Ln10)));
            case Fn.Sqrt: return b.Div(b.Const(0.5), r);
            case Fn.Cbrt: return b.Div(b.Const(1), b.Mul(b.Const(3), b.Mul(r, r)));
            case Fn.Pow: return Pow(b, k, args, r);
            case Fn.Tanh: return b.Sub(b.Const(1), b.Mul(r, r));              // 1 - tanh²
            case Fn.Sinh: return b.Call(Fn.Cosh, u);
            case Fn.Cosh: return b.Call(Fn.Sinh, u);
            case Fn.Atan: return b.Div(b.Const(1), b.Add(b.Const(1), b.Mul(u, u)));
            case Fn.Asin: return b.Div(b.Const(1), b.Call(Fn.Sqrt, b.Sub(b.Const(1), b.Mul(u, u))));
            case Fn.Acos: return b.Neg(b.Div(b.Const(1), b.Call(Fn.Sqrt, b.Sub(b.Const(1), b.Mul(u, u)))));
            case Fn.Atan2: return Atan2(b, k, args);
            case Fn.Abs: return b.Call(Fn.CopySign, b.Const(1), u);            // one side at 0: +1 or -1 by the sign bit
            case Fn.Min: return MinMax(b, k, args[0], args[1]);
            case Fn.Max: return MinMax(b, k, args[1], args[0]);
            case Fn.FusedMultiplyAdd: return k == 2 ? b.Const(1) : args[1 - k];
            case Fn.Clamp: return Clamp(b, k, args);
            case Fn.CopySign: return k == 0 ? CopySign(b, args) : b.Const(0);
            case Fn.Sign:
            case Fn.Truncate:
            case Fn.LessOrEqualIndicator:
                return b.Const(0);                                              // piecewise constant
            default:
                throw new InvalidOperationException("no derivative rule for " + fn);
        }
    }

    // d(u^v) = v·u^(v-1) du + u^v·ln(u) dv.
    private static int Pow(IrBuilder b, int k, int[] args, int r) => k == 0
        ? b.Mul(args[1], b.Call(Fn.Pow, args[0], b.Sub(args[1], b.Const(1))))
        : b.Mul(r, b.Call(Fn.Log, args[0]));

    // copysign(x, s) = |x|·sgn(s): ∂x is copysign(1, x)·copysign(1, s), Abs's slope (one side at ±0 by x's sign bit) times
    // s's sign; ∂s is 0 (a jump at s = ±0). Abs's own slope, CopySign(1, x), has a literal first operand, so k = 0 never
    // comes here for it and its second derivative is 0 as before.
    private static int CopySign(IrBuilder b, int[] args) =>
        b.Mul(b.Call(Fn.CopySign, b.Const(1), args[0]), b.Call(Fn.CopySign, b.Const(1), args[1]));

    // atan2(y, x): ∂y = x/(x²+y²), ∂x = -y/(x²+y²).
    private static int Atan2(IrBuilder b, int k, int[] args)
    {
        int y = args[0], x = args[1];
        int r2 = b.Add(b.Mul(x, x), b.Mul(y, y));
        return k == 0 ? b.Div(x, r2) : b.Neg(b.Div(y, r2));
    }

    // Clamp(x, lo, hi) is lo when x < lo, hi when x > hi, else x (Math.Clamp's own order of tests).
    private static int Clamp(IrBuilder b, int k, int[] args)
    {
        int x = args[0], lo = args[1], hi = args[2];
        int aboveLo = b.Call(Fn.LessOrEqualIndicator, lo, x);
        int belowHi = b.Call(Fn.LessOrEqualIndicator, x, hi);
        return k switch
        {
            0 => b.Mul(aboveLo, belowHi),
            1 => b.Sub(b.Const(1), aboveLo),
            _ => b.Mul(aboveLo, b.Sub(b.Const(1), belowHi)),
        };
    }

    // min(a, b) follows a when a <= b (max(a, b) follows a when b <= a); the other operand gets 1 - that.
    private static int MinMax(IrBuilder b, int k, int lo, int hi)
    {
        int first = b.Call(Fn.LessOrEqualIndicator, lo, hi);
        return k == 0 ? first : b.Sub(b.Const(1), first);
    }
}
