using System;
using OdeGen.Generators.Ir;
using System.Runtime.CompilerServices;

namespace OdeGen.Generators.Simplify;

/// <summary>
/// Local rewrites applied as each instruction is built: constant folding and zero/one propagation.
/// Each returns the id of an equivalent existing or simpler value, or null to build the instruction.
/// </summary>
/// <remarks>
/// Folding uses the same IEEE double arithmetic the generated code would, so it never changes a
/// result. Rules marked inexact (0·x = 0, x + 0 = x, …) differ only for NaN, infinities or the sign
/// of zero; they are what makes structurally zero derivatives free, and they are off for Evaluate.
/// Known functions are never folded: the compiler's Math may differ from the runtime's.
/// </remarks>
internal static class Peephole
{
    /// <summary>Rewrites -a.</summary>
    [MethodImpl(Hot.Optimize)]
    public static int? Neg(IrBuilder b, int a)
    {
        Instr x = b[a];
        if (x.Op == Op.Const)
        {
            // Derivative code has no signed zeros to keep: -0 is the literal 0 there.
            return b.Const(x.Value == 0 && !b.Exact ? 0.0 : -x.Value);
        }

        // -(-a) is a, bit for bit.
        return x.Op == Op.Neg ? x.A : null;
    }

    /// <summary>Rewrites a + b.</summary>
    [MethodImpl(Hot.Optimize)]
    public static int? Add(IrBuilder b, int x, int y)
    {
        if (b.IsConst(x) && b.IsConst(y))
        {
            return b.Const(b[x].Value + b[y].Value);
        }

        if (b.Exact)
        {
            return null;
        }

        if (b.IsConst(x, 0))
        {
            return y;
        }

        if (b.IsConst(y, 0))
        {
            return x;
        }

        if (b[y].Op == Op.Neg)
        {
            return b.Sub(x, b[y].A);
        }

        return b[x].Op == Op.Neg ? b.Sub(y, b[x].A) : null;
    }

    /// <summary>Rewrites a - b.</summary>
    [MethodImpl(Hot.Optimize)]
    public static int? Sub(IrBuilder b, int x, int y)
    {
        if (b.IsConst(x) && b.IsConst(y))
        {
            return b.Const(b[x].Value - b[y].Value);
        }

        // x - (+0) is x for every x, including -0.
        if (b.IsConst(y, 0))
        {
            return x;
        }

        if (b.Exact)
        {
            return null;
        }

        if (b.IsConst(x, 0))
        {
            return b.Neg(y);
        }

        return b[y].Op == Op.Neg ? b.Add(x, b[y].A) : null;
    }

    /// <summary>Rewrites a * b.</summary>
    [MethodImpl(Hot.Optimize)]
    public static int? Mul(IrBuilder b, int x, int y)
    {
        if (b.IsConst(x) && b.IsConst(y))
        {
            return b.Const(b[x].Value * b[y].Value);
        }

        if (b.IsConst(y, 1))
        {
            return x;
        }

        if (b.IsConst(x, 1))
        {
            return y;
        }

        return b.Exact ? null : MulInexact(b, x, y);
    }

    /// <summary>Rewrites a / b.</summary>
    [MethodImpl(Hot.Optimize)]
    public static int? Div(IrBuilder b, int x, int y)
    {
        if (b.IsConst(x) && b.IsConst(y))
        {
            return b.Const(b[x].Value / b[y].Value);
        }

        if (b.IsConst(y, 1))
        {
            return x;
        }

        if (b.Exact)
        {
            return null;
        }

        if (b.IsConst(x, 0))
        {
            return x;
        }

        if (b.IsConst(y, -1))
        {
            return b.Neg(x);
        }

        return b[x].Op == Op.Neg ? b.Neg(b.Div(b[x].A, y)) : null;
    }

    /// <summary>Rewrites calls: only exact identities of Pow in derivative code.</summary>
    [MethodImpl(Hot.Optimize)]
    public static int? Call(IrBuilder b, Fn fn, int x, int y)
    {
        // [x <= y] of two literals is a literal (exact: the comparison is what the emitted code would do).
        if (fn == Fn.LessOrEqualIndicator && b.IsConst(x) && b.IsConst(y))
        {
            return b.Const(b[x].Value <= b[y].Value ? 1 : 0);
        }

        // CopySign of two literals is a literal (exact: the magnitude of one with the sign bit of the other).
        if (fn == Fn.CopySign && b.IsConst(x) && b.IsConst(y))
        {
            long magnitude = BitConverter.DoubleToInt64Bits(b[x].Value) & long.MaxValue, sign = BitConverter.DoubleToInt64Bits(b[y].Value) & long.MinValue;
            return b.Const(BitConverter.Int64BitsToDouble(magnitude | sign));
        }

        // An index is an integer, never NaN: [i <= i] is 1.
        if (fn == Fn.LessOrEqualIndicator && x == y && b[x].Op == Op.Input && b[x].Slot == Slot.Index)
        {
            return b.Const(1);
        }

        if (b.Exact || fn != Fn.Pow)
        {
            return null;
        }

        if (b.IsConst(y, 1))
        {
            return x;
        }

        return b.IsConst(y, 0) ? b.Const(1) : null;
    }

    [MethodImpl(Hot.Optimize)]
    private static int? MulInexact(IrBuilder b, int x, int y)
    {
        if (b.IsConst(x, 0) || b.IsConst(y, 0))
        {
            return b.Const(0);
        }

        if (b.IsConst(y, -1))
        {
            return b.Neg(x);
        }

        if (b.IsConst(x, -1))
        {
            return b.Neg(y);
        }

        // Pull negations out so sums can become differences: x·(-y) = -(x·y).
        if (b[x].Op == Op.Neg)
        {
            return b.Neg(b.Mul(b[x].A, y));
        }

        if (b[y].Op == Op.Neg)
        {
            return b.Neg(b.Mul(x, b[y].A));
        }

        // x·(1/y) = x/y: one operation instead of two.
        Instr r = b[y];
        return r.Op == Op.Div && b.IsConst(r.A, 1) ? b.Div(x, r.B) : null;
    }
}
