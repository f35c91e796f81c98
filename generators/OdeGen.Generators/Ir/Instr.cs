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
internal sealed record Instr(Op Op, int A, int B, int C, double Value, Fn Fn, Slot Slot, int Index, int Stmt, Phase Phase, string? Name)
{
    /// <summary>Number of operands <see cref="Op"/> and <see cref="Fn"/> use.</summary>
    public int Arity => Op switch
    {
        Op.Neg or Op.Store => 1,
        Op.Add or Op.Sub or Op.Mul or Op.Div => 2,
        Op.Call => FnInfo.Arity(Fn),
        _ => 0,
    };

    /// <summary>Operand <paramref name="k"/> (0-based).</summary>
    public int Operand(int k) => k switch { 0 => A, 1 => B, _ => C };
}
