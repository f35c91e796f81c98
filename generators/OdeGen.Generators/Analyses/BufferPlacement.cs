using OdeGen.Generators.Ir;
using OdeGen.Generators.Model;

namespace OdeGen.Generators.Analyses;

/// <summary>
/// Where a scalar method's stackalloc buffers live: in the method itself, or in an entry method that allocates them and
/// hands them to the method's body, a method of its own (Emit/FunctionEmitter.cs, <see cref="MethodPlan.BuffersApart"/>).
/// </summary>
/// <remarks>
/// Why: the JIT zeroes a stackalloc of more than 16 bytes with 256- or 512-bit stores, and it does not count those
/// stores as code that leaves the upper halves of the vector registers dirty. A method that calls the C runtime's math
/// (Math.Tanh, Exp, Sin, …) gets one vzeroupper, in its prologue, before the zeroing; every call of that math after the
/// zeroing then runs its SSE code with the upper halves dirty. On this machine's AMD EPYC (AVX-512) that made the
/// loop-written MLP's Vjp 3–7 % slower than the hand-written one, whose tanh loop sits in a method of its own, and a
/// variant of it with its registers allocated differently 2.5× slower (BENCHMARKS.md, 5 December 2026, afternoon). A body
/// that allocates nothing gets the JIT's vzeroupper after the entry method's zeroing, so its calls run clean.
/// </remarks>
internal static class BufferPlacement
{
    /// <summary>
    /// True when <paramref name="function"/> of the target <paramref name="header"/> calls the C runtime's math and allocates
    /// a buffer the JIT zeroes with wide stores (more than 16 bytes, or a size known only at run time), all of its buffers
    /// outside loops and branches.
    /// </summary>
    public static bool Apart(SystemHeader header, IrFunction function)
    {
        bool wide = false, calls = false;
        int depth = 0;
        int element = function.Single ? sizeof(float) : sizeof(double);
        foreach (Instr x in function.Body)
        {
            depth += x.Op is Op.For or Op.If ? 1 : x.Op is Op.EndFor or Op.EndIf ? -1 : 0;
            calls |= CallsCRuntime(x);
            if (x.Op == Op.Buf && x.Slot is Slot.None or Slot.A)
            {
                if (depth > 0)
                {
                    return false;
                }

                wide |= Size(header, x.Ix!) is not int n || (long)n * element > 16;
            }
        }

        return wide && calls;
    }

    /// <summary>A buffer's number of elements where the compiler knows it: a constant, or the length of a span of declared size.</summary>
    private static int? Size(SystemHeader header, IndexExpr size)
    {
        if (size.ConstantValue is int n)
        {
            return n;
        }

        int outputs = header.Kind == TargetKind.Function ? header.Outputs : header.States;
        int known = size is IndexExpr.Length length ? length.Span switch
        {
            Slot.Y or Slot.YDot or Slot.YBar => header.States,
            Slot.A or Slot.Dydt or Slot.DydtDot => outputs,
            Slot.P or Slot.PDot or Slot.PBar => header.Parameters,
            _ => -1,
        } : -1;
        return known > 0 ? known : null;
    }

    /// <summary>True for calls of System.Math (or MathF) functions that the JIT does not expand inline: calls into the C runtime.</summary>
    public static bool CallsCRuntime(Instr x) => x.Op == Op.Call && x.Fn is Fn.Sin or Fn.Cos or Fn.Tan or Fn.Exp or Fn.Log
        or Fn.Log10 or Fn.Cbrt or Fn.Pow or Fn.Tanh or Fn.Sinh or Fn.Cosh or Fn.Atan or Fn.Asin or Fn.Acos or Fn.Atan2;
}
