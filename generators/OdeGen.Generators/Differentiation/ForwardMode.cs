using System;
using OdeGen.Generators.Ir;
using OdeGen.Generators.Simplify;

namespace OdeGen.Generators.Differentiation;

/// <summary>
/// Forward mode: each value's tangent is Σ_k ∂r/∂x_k · ẋ_k, built right after the value itself.
/// A tangent of -1 means "structurally zero"; such terms are never built.
/// </summary>
internal static class ForwardMode
{
    /// <summary>
    /// Builds the JVP: dydt = f and dydtDot = ∂f/∂t·tDot + ∂f/∂y·yDot + ∂f/∂p·pDot, each tangent
    /// written right after its primal statement so the code reads statement by statement.
    /// </summary>
    public static IrFunction Jvp(IrFunction primal)
    {
        var b = new IrBuilder(exact: false, primal.Single);
        var map = new int[primal.Body.Count];
        var dot = new int[primal.Body.Count];
        for (int i = 0; i < primal.Body.Count; i++)
        {
            Instr x = primal.Body[i];
            b.Stmt = x.Stmt;
            b.Phase = Phase.Primal;
            map[i] = Simplifier.Copy(b, x, map);
            if (map[i] >= 0 && !x.IsRegion)
            {
                b.Name(map[i], x.Name);
            }

            b.Phase = Phase.Tangent;
            dot[i] = x.Op switch
            {
                Op.Store => StoreTangent(b, x, dot),
                _ when x.IsRegion || x.IsCondition => -1,
                Op.Extern => ExternTangent(b, x, map, dot),
                Op.Var or Op.VarAdd or Op.VarSet or Op.VarGet or Op.Buf or Op.BufStore or Op.BufLoad => StateTangent(b, x, dot),
                _ => Tangent(b, x, map[i], map, dot, JvpSeed, "Dot"),
            };
        }

        return b.Build(primal.Statements, primal.UserStatements);
    }

    /// <summary>The user's forward rule, called with the arguments and their tangents (0 where structurally zero).</summary>
    internal static int ExternTangent(IrBuilder b, Instr x, int[] map, int[] dot)
    {
        int n = x.CallArity;
        if (System.Linq.Enumerable.All(System.Linq.Enumerable.Take(x.Args, n), a => dot[a] < 0))
        {
            return -1;
        }

        if (n < x.Args.Count)
        {
            // Second order: Σ ∂F/∂x_k · ẋ_k over the partials lowered from the user's forward rule, which differentiate again.
            int sum = -1;
            for (int k = 0; k < n; k++)
            {
                if (dot[x.Args[k]] >= 0)
                {
                    int term = b.Mul(map[x.Args[n + k]], dot[x.Args[k]]);
                    sum = sum < 0 ? term : b.Add(sum, term);
                }
            }

            b.Name(sum, x.Name is null ? null : x.Name + "Dot");
            return sum;
        }

        var args = new int[2 * n];
        for (int k = 0; k < n; k++)
        {
            args[k] = map[x.Args[k]];
            args[n + k] = dot[x.Args[k]] < 0 ? b.Const(0) : dot[x.Args[k]];
        }

        int tangent = b.Extern(Op.ExternJvp, x.Rules!.Split(';')[0], args);
        b.Name(tangent, x.Name is null ? null : x.Name + "Dot");
        return tangent;
    }

    private static int StoreTangent(IrBuilder b, Instr x, int[] dot)
    {
        b.Store(Slot.DydtDot, x.Index, dot[x.A] < 0 ? b.Const(0) : dot[x.A], x.Ix);
        return -1;
    }

    /// <summary>
    /// Accumulators and buffers get companions that hold their tangents: a tangent accumulator, a
    /// tangent buffer (dydtDot for dydt). Writes and reads go to the companion at the same place.
    /// For a Var or Buf the returned id is the companion; for a load, the tangent value.
    /// </summary>
    internal static int StateTangent(IrBuilder b, Instr x, int[] dot)
    {
        switch (x.Op)
        {
            case Op.Var:
                return b.Var(dot[x.A] < 0 ? b.Const(0) : dot[x.A], x.Name is null ? null : x.Name + "Dot");
            case Op.VarAdd:
                if (dot[x.B] >= 0)
                {
                    b.VarAdd(dot[x.A], dot[x.B]);
                }

                return -1;
            case Op.VarSet:
                b.VarSet(dot[x.A], dot[x.B] < 0 ? b.Const(0) : dot[x.B]);
                return -1;
            case Op.VarGet:
                return b.VarGet(dot[x.A]);
            case Op.Buf:
                return x.Slot == Slot.Dydt
                    ? b.Buf(Slot.DydtDot, x.Ix!, null, zeroed: true)
                    : b.Buf(Slot.None, x.Ix!, x.Name is null ? null : x.Name + "Dot", x.Value == 1);
            case Op.BufStore:
                if (dot[x.A] >= 0 || x.Value == 0)
                {
                    b.BufStore(dot[x.B], x.Ix!, dot[x.A] < 0 ? b.Const(0) : dot[x.A], x.Value == 1);
                }

                return -1;
            default:
                return b.BufLoad(dot[x.A], x.Ix!);
        }
    }

    /// <summary>
    /// Appends the tangents of every primal value (already copied, ids in <paramref name="map"/>)
    /// for one seed and returns them; used for Jacobian columns.
    /// </summary>
    public static int[] Tangents(IrBuilder b, IrFunction primal, int[] map, Func<IrBuilder, Slot, int, IndexExpr?, int> seed, string suffix)
    {
        var dot = new int[primal.Body.Count];
        for (int i = 0; i < primal.Body.Count; i++)
        {
            Instr x = primal.Body[i];
            b.Stmt = x.Stmt;
            b.Phase = Phase.Tangent;
            dot[i] = x.Op == Op.Store ? -1 : Tangent(b, x, map[i], map, dot, seed, suffix);
        }

        return dot;
    }

    /// <summary>The tangent of <paramref name="x"/> (copied as <paramref name="r"/>), or -1 when it is structurally zero.</summary>
    internal static int Tangent(IrBuilder b, Instr x, int r, int[] map, int[] dot, Func<IrBuilder, Slot, int, IndexExpr?, int> seed, string suffix)
    {
        if (x.Op == Op.Const)
        {
            return -1;
        }

        if (x.Op == Op.Input)
        {
            return seed(b, x.Slot, x.Index, x.Ix);
        }

        int arity = x.Arity;
        var args = new int[arity];
        for (int k = 0; k < arity; k++)
        {
            args[k] = map[x.Operand(k)];
        }

        int sum = -1;
        for (int k = 0; k < arity; k++)
        {
            int d = dot[x.Operand(k)];
            if (d < 0)
            {
                continue;
            }

            int term = b.Mul(d, DerivativeRules.Partial(b, x, k, args, r));
            sum = sum < 0 ? term : b.Add(sum, term);
        }

        if (sum >= 0 && x.Name is not null)
        {
            b.Name(sum, x.Name + suffix);
        }

        return sum >= 0 && b.IsConst(sum, 0) ? -1 : sum;
    }

    private static int JvpSeed(IrBuilder b, Slot slot, int index, IndexExpr? ix) => slot switch
    {
        Slot.T => b.Input(Slot.TDot, 0),
        Slot.Y => b.Input(Slot.YDot, index, ix),
        Slot.P => b.Input(Slot.PDot, index, ix),
        _ => -1,
    };
}
