using OdeGen.Generators.Ir;
using OdeGen.Generators.Simplify;
using System.Runtime.CompilerServices;

namespace OdeGen.Generators.Optimize;

/// <summary>
/// Contracts a·b + c and a·b − c in derivative code into Math.FusedMultiplyAdd: one instruction on every
/// CPU the JIT targets with FMA (x64 since Haswell, every Arm64), and one rounding instead of two, so the
/// derivative is as accurate or more. Where the product has another use it stays as it is (contracting
/// would compute it twice).
/// </summary>
/// <remarks>
/// The user's own arithmetic (the primal phase) is not contracted here: Evaluate, and the f that Jvp and
/// the reverse sweep recompute, must round exactly as the user's method does. A system that opts in with
/// FuseMultiplyAdds = true has its primal contracted before it is differentiated (<see cref="RunPrimal"/>), so
/// every generated method, scalar, lane and register form, computes the same contracted f. On a CPU without
/// FMA, Math.FusedMultiplyAdd is exact but computed in software; docs/how-differentiation-works.md says so.
/// </remarks>
internal static class FmaContraction
{
    /// <summary>Returns <paramref name="function"/> with its derivative products and sums fused.</summary>
    [MethodImpl(Hot.Optimize)]
    public static IrFunction Run(IrFunction function) => Run(function, primal: false);

    /// <summary>
    /// The user's method as parsed with its own products and sums fused (FuseMultiplyAdds = true): a·b + c, a·b − c and
    /// c ± a·b where the product has no other use. Loop sums (s += a·b, a <see cref="Op.VarAdd"/>) keep their two roundings:
    /// their accumulator's form is what the loop passes and the vectorizer work on.
    /// </summary>
    [MethodImpl(Hot.Optimize)]
    public static IrFunction RunPrimal(IrFunction primal) => Run(primal, primal: true);

    [MethodImpl(Hot.Optimize)]
    private static IrFunction Run(IrFunction function, bool primal)
    {
        int[] uses = Uses(function);
        var builder = new IrBuilder(exact: false, function.Single, function.Body.Count);
        var map = new int[function.Body.Count];
        for (int i = 0; i < function.Body.Count; i++)
        {
            Instr x = function.Body[i];
            Simplifier.Attribute(builder, x);
            Simplifier.Record(builder, x, i, map, Fused(builder, function, x, uses, map, primal) ?? Simplifier.Copy(builder, x, map));
        }

        return DeadCode.Eliminate(builder.Build(function.Statements, function.UserStatements));
    }

    /// <summary>The fused form of an Add or Sub in derivative code, or null.</summary>
    [MethodImpl(Hot.Optimize)]
    private static int? Fused(IrBuilder builder, IrFunction function, Instr x, int[] uses, int[] map, bool primal)
    {
        if ((x.Phase == Phase.Primal && !primal) || x.Op is not (Op.Add or Op.Sub))
        {
            return null;
        }

        bool left = Product(function, x.A, uses), right = Product(function, x.B, uses);
        if (left)
        {
            // a·b + c, a·b − c = fma(a, b, −c)
            Instr m = function.Body[x.A];
            int c = x.Op == Op.Add ? map[x.B] : builder.Neg(map[x.B]);
            return builder.Call(Fn.FusedMultiplyAdd, map[m.A], map[m.B], c);
        }

        if (right)
        {
            // c + a·b = fma(a, b, c); c − a·b = fma(−a, b, c)
            Instr m = function.Body[x.B];
            int a = x.Op == Op.Add ? map[m.A] : builder.Neg(map[m.A]);
            return builder.Call(Fn.FusedMultiplyAdd, a, map[m.B], map[x.A]);
        }

        return null;
    }

    [MethodImpl(Hot.Optimize)]
    private static bool Product(IrFunction function, int id, int[] uses) => function.Body[id].Op == Op.Mul && uses[id] == 1;

    [MethodImpl(Hot.Optimize)]
    private static int[] Uses(IrFunction function)
    {
        var uses = new int[function.Body.Count];
        foreach (Instr x in function.Body)
        {
            for (int k = 0; k < x.Arity; k++)
            {
                uses[x.Operand(k)]++;
            }
        }

        return uses;
    }
}
