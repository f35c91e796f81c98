namespace OdeGen.Generators.Ir;

/// <summary>What an instruction does.</summary>
internal enum Op : byte
{
    /// <summary>A literal <see cref="Instr.Value"/>.</summary>
    Const,

    /// <summary>Reads <see cref="Instr.Slot"/>[<see cref="Instr.Index"/>] (or the scalar t, tDot).</summary>
    Input,

    /// <summary>-A.</summary>
    Neg,

    /// <summary>A + B.</summary>
    Add,

    /// <summary>A - B.</summary>
    Sub,

    /// <summary>A * B.</summary>
    Mul,

    /// <summary>A / B.</summary>
    Div,

    /// <summary><see cref="Instr.Fn"/>(A[, B[, C]]).</summary>
    Call,

    /// <summary>Writes A to <see cref="Instr.Slot"/>[<see cref="Instr.Index"/>]; the only side effect.</summary>
    Store,
}

/// <summary>
/// Known functions. The first group is what users may call (System.Math); the last group exists
/// only inside derivative code (the slopes of the non-smooth functions).
/// </summary>
internal enum Fn : byte
{
    /// <summary>Not a call.</summary>
    None,
    Sin, Cos, Tan, Exp, Log, Log10, Sqrt, Cbrt, Pow, Tanh, Sinh, Cosh, Atan, Asin, Acos, Atan2, Abs, Min, Max, FusedMultiplyAdd,

    /// <summary>CopySign(A, B): the slope of Abs is CopySign(1, x).</summary>
    CopySign,

    /// <summary>A &lt;= B ? 1 : 0: the slope of Min and Max, picking the first argument at a tie.</summary>
    LessOrEqualIndicator,
}

/// <summary>The spans and scalars an instruction reads or writes.</summary>
internal enum Slot : byte
{
    /// <summary>No slot.</summary>
    None,
    T, Y, P, TDot, YDot, PDot, A,
    Dydt, DydtDot, YBar, PBar, Dfdy, Dfdp,

    /// <summary>The method's return value (Vjp returns aᵀ∂f/∂t).</summary>
    Return,
}

/// <summary>Which pass created an instruction; the emitter titles the user statement accordingly.</summary>
internal enum Phase : byte
{
    /// <summary>The user's computation (or its forward-mode companion).</summary>
    Primal,

    /// <summary>Forward-mode tangent code.</summary>
    Tangent,

    /// <summary>Reverse-sweep adjoint code.</summary>
    Adjoint,
}
