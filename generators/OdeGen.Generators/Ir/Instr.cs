using System.Runtime.CompilerServices;
namespace OdeGen.Generators.Ir;

/// <summary>
/// One SSA instruction. Its value id is its position in <see cref="IrFunction.Body"/>; operands
/// <see cref="A"/>, <see cref="B"/>, <see cref="C"/> refer to earlier positions (-1 when absent).
/// </summary>
/// <param name="Op">The operation.</param>
/// <param name="A">First operand, or the value a <see cref="Op.Store"/> writes.</param>
/// <param name="B">Second operand.</param>
/// <param name="C">Third operand (FusedMultiplyAdd).</param>
/// <param name="Value">The literal of a <see cref="Op.Const"/>.</param>
/// <param name="Fn">The function of a <see cref="Op.Call"/>.</param>
/// <param name="Slot">The span read by an <see cref="Op.Input"/> or written by a <see cref="Op.Store"/>.</param>
/// <param name="Index">The element of <see cref="Slot"/>.</param>
/// <param name="Stmt">Index of the user statement this came from (<see cref="IrFunction.Statements"/>), -1 for none.</param>
/// <param name="Phase">The pass that produced it.</param>
/// <param name="Name">A readable name for the emitted local (the user's local name), or null.</param>
/// <param name="Ix">
/// An int index expression (over loop variables, literals and span lengths) that replaces <see cref="Index"/>
/// for reads and writes inside loops; a loop's lower bound; a buffer's size; the left side of an int comparison.
/// </param>
/// <param name="Ix2">A loop's upper bound (exclusive); the right side of an int comparison.</param>
/// <param name="Args">The operands of the calls of user functions (<see cref="Op.Extern"/> and its rules), which may have more than three.</param>
/// <param name="Callee">The user's method an <see cref="Op.Extern"/>, <see cref="Op.ExternJvp"/> or <see cref="Op.ExternVjp"/> calls.</param>
/// <param name="Rules">An <see cref="Op.Extern"/>'s derivative rules as "jvp;vjp" (method names), or null.</param>
/// <param name="Copy">The copy of an unrolled loop this came from (like <see cref="Stmt"/>, for the emitted headings), or null.</param>
internal sealed record Instr(Op Op, int A, int B, int C, double Value, Fn Fn, Slot Slot, int Index, int Stmt, Phase Phase, string? Name,
    IndexExpr? Ix = null, IndexExpr? Ix2 = null, EquatableArray<int> Args = default, string? Callee = null, string? Rules = null,
    UnrolledCopy? Copy = null)
{
    /// <summary>
    /// How many of <see cref="Args"/> an <see cref="Op.Extern"/> passes to the user's function (<see cref="Index"/> when set):
    /// with SecondOrder = true the rest are its partial derivatives ∂F/∂x_k, values the parser lowered from the user's
    /// forward rule, which the differentiation uses in place of the rules so that they can be differentiated once more.
    /// </summary>
    public int CallArity => Op == Op.Extern && Index > 0 ? Index : Args.Count;

    /// <summary>True for calls of the user's functions and rules, whose operands are <see cref="Args"/>.</summary>
    public bool IsExtern => Op is Op.Extern or Op.ExternJvp or Op.ExternVjp;

    /// <summary>The element read or written: <see cref="Ix"/> or the literal <see cref="Index"/>.</summary>
    public IndexExpr Element => Ix ?? IndexExpr.Of(Index);

    /// <summary>True for instructions that open, split or close a loop or branch.</summary>
    public bool IsRegion => Op is Op.For or Op.EndFor or Op.If or Op.Else or Op.EndIf;

    /// <summary>True for conditions (bool values): never differentiated.</summary>
    public bool IsCondition => Op is Op.Compare or Op.And or Op.Or or Op.Not;

    /// <summary>True for instructions whose value depends on mutable state (never merged or moved).</summary>
    public bool IsLoad => Op is Op.VarGet or Op.BufLoad;

    /// <summary>Number of operands <see cref="Op"/> and <see cref="Fn"/> use.</summary>
    public int Arity => Op switch
    {
        Op.Extern or Op.ExternJvp or Op.ExternVjp => Args.Count,
        Op.Neg or Op.Store or Op.Var or Op.VarGet or Op.BufLoad or Op.If or Op.Not => 1,
        Op.Add or Op.Sub or Op.Mul or Op.Div or Op.VarAdd or Op.BufStore or Op.VarSet or Op.And or Op.Or => 2,
        Op.Compare => A >= 0 ? 2 : 0,
        Op.Call => FnInfo.Arity(Fn),
        _ => 0,
    };

    /// <summary>Operand <paramref name="k"/> (0-based).</summary>
    [MethodImpl(Hot.Optimize)]
    public int Operand(int k) => IsExtern ? Args[k] : k switch { 0 => A, 1 => B, _ => C };

    /// <summary>This instruction with every operand renamed by <paramref name="map"/> (operand id → new id); itself when none changes.</summary>
    [MethodImpl(Hot.Optimize)]
    public Instr Remapped(int[] map)
    {
        bool same = (A < 0 || map[A] == A) && (B < 0 || map[B] == B) && (C < 0 || map[C] == C);
        if (IsExtern)
        {
            for (int k = 0; k < Args.Count && same; k++)
            {
                same = map[Args[k]] == Args[k];
            }
        }

        if (same)
        {
            return this;
        }

        int[]? args = null;
        if (IsExtern)
        {
            args = new int[Args.Count];
            for (int k = 0; k < args.Length; k++)
            {
                args[k] = map[Args[k]];
            }
        }

        return this with
        {
            A = A < 0 ? -1 : map[A],
            B = B < 0 ? -1 : map[B],
            C = C < 0 ? -1 : map[C],
            Args = args is null ? Args : new EquatableArray<int>(args),
        };
    }
}
