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

    /// <summary>Writes A to <see cref="Instr.Slot"/>[<see cref="Instr.Index"/>] (or [<see cref="Instr.Ix"/>]).</summary>
    Store,

    /// <summary>
    /// Opens a counted loop <c>for (int Name = Ix; Name &lt; Ix2; Name++)</c> (descending when
    /// <see cref="Instr.Value"/> is 1); the instructions up to the matching <see cref="EndFor"/> are its body.
    /// Values defined in the body are not visible after it.
    /// </summary>
    For,

    /// <summary>Closes the innermost open <see cref="For"/>.</summary>
    EndFor,

    /// <summary>A mutable double local, initialised to A: a loop accumulator (only <see cref="VarAdd"/> changes it).</summary>
    Var,

    /// <summary>Adds B to the <see cref="Var"/> A.</summary>
    VarAdd,

    /// <summary>The current value of the <see cref="Var"/> A.</summary>
    VarGet,

    /// <summary>
    /// A double buffer of <see cref="Instr.Ix"/> elements: a stackalloc local (<see cref="Slot.None"/>),
    /// or an output span (<see cref="Slot.Dydt"/>, <see cref="Slot.DydtDot"/>) cleared first, or an
    /// adjoint buffer seeded from <see cref="Slot.A"/>. With <see cref="Instr.Value"/> 1 it starts zeroed.
    /// </summary>
    Buf,

    /// <summary>Writes A to buffer B at [<see cref="Instr.Ix"/>]; <see cref="Instr.Value"/> 1 adds instead.</summary>
    BufStore,

    /// <summary>Reads buffer A at [<see cref="Instr.Ix"/>].</summary>
    BufLoad,

    /// <summary>Opens a branch taken when the condition A is true; the body runs to <see cref="Else"/> or <see cref="EndIf"/>.</summary>
    If,

    /// <summary>Starts the other side of the innermost open <see cref="If"/>.</summary>
    Else,

    /// <summary>Closes the innermost open <see cref="If"/>.</summary>
    EndIf,

    /// <summary>Sets the <see cref="Var"/> A to B (an assignment inside a branch).</summary>
    VarSet,

    /// <summary>
    /// A comparison (a bool): A and B (doubles), or <see cref="Instr.Ix"/> and <see cref="Instr.Ix2"/>
    /// (int index expressions) when A is -1; <see cref="Instr.Value"/> is a <see cref="CompareKind"/>.
    /// </summary>
    Compare,

    /// <summary>A &amp;&amp; B on conditions.</summary>
    And,

    /// <summary>A || B on conditions.</summary>
    Or,

    /// <summary>!A on a condition.</summary>
    Not,

    /// <summary>A call of the user's function <see cref="Instr.Callee"/> on <see cref="Instr.Args"/>, opaque to the generator.</summary>
    Extern,

    /// <summary>The user's forward rule <see cref="Instr.Callee"/> on <see cref="Instr.Args"/> (arguments, then their tangents).</summary>
    ExternJvp,

    /// <summary>
    /// A call of the user's reverse rule <see cref="Instr.Callee"/>: <see cref="Instr.Args"/> holds the n
    /// arguments (n = <see cref="Instr.Index"/>), the result's adjoint, then n <see cref="Var"/>s passed by ref.
    /// </summary>
    ExternVjp,
}

/// <summary>The comparison of a <see cref="Op.Compare"/>, kept in <see cref="Instr.Value"/>.</summary>
internal enum CompareKind
{
    Less, LessOrEqual, Greater, GreaterOrEqual, Equal, NotEqual,
}

/// <summary>Comparisons of index values known at compile time (the parser's size-decided conditions, the unroller's folds).</summary>
internal static class CompareKinds
{
    /// <summary>Whether <paramref name="l"/> compares to <paramref name="r"/> as <paramref name="kind"/> says.</summary>
    public static bool Holds(this CompareKind kind, int l, int r) => kind switch
    {
        CompareKind.Less => l < r,
        CompareKind.LessOrEqual => l <= r,
        CompareKind.Greater => l > r,
        CompareKind.GreaterOrEqual => l >= r,
        CompareKind.Equal => l == r,
        _ => l != r,
    };
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

    /// <summary>Clamp(A, B, C): A limited to [B, C].</summary>
    Clamp,

    /// <summary>Sign(A) as a number (-1, 0 or 1): piecewise constant, so its derivative is 0.</summary>
    Sign,

    /// <summary>CopySign(A, B): |A| with B's sign bit; the user's Math.CopySign, and the slope of Abs, CopySign(1, x).</summary>
    CopySign,

    /// <summary>A &lt;= B ? 1 : 0: the slope of Min and Max, picking the first argument at a tie.</summary>
    LessOrEqualIndicator,

    /// <summary>
    /// (double)(int)A: the user's cast to int of a number used as a number, A rounded toward zero (to +0 for -1 &lt; A &lt; 0,
    /// as the int 0 converts) and saturated to the int range, as .NET converts; piecewise constant, so its derivative is 0.
    /// </summary>
    Truncate,
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

    /// <summary>An int index expression (<see cref="Instr.Ix"/>, e.g. a loop variable) used as a number: never differentiated.</summary>
    Index,

    /// <summary>The seed of a scalar result's adjoint (DivergenceVjp's s): a scalar like t.</summary>
    S,

    /// <summary>Hvp's outputs, the tangents of yBar and pBar: accumulated (+=) like them.</summary>
    YBarDot, PBarDot,

    /// <summary>
    /// The primal values a forward sweep keeps for its reverse sweep (Differentiation/KeptSplit.cs): written (=) by
    /// EvaluateKeepingLanes, read by VjpKeptLanes.
    /// </summary>
    Kept,

    /// <summary>
    /// A static readonly field of the method's number type, read by its name (<see cref="Instr.Callee"/>, fully qualified):
    /// a run-time constant, never differentiated, never folded (its value is not known when the generator runs), one
    /// value for every lane. <see cref="Instr.Index"/> numbers the method's fields, so two fields are never one value.
    /// </summary>
    Field,
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
