namespace OdeGen.Generators.Ir;

/// <summary>Which parameter names a generated method gives the spans of the IR.</summary>
/// <remarks>
/// The IR names spans by <see cref="Slot"/> whatever the target (Slot.Y, the length of Slot.A), so every pass and a
/// later transform of it (second order) see one vocabulary; a function target is printed in its own names.
/// </remarks>
internal enum SpanNaming : byte
{
    /// <summary>An [OdeDynamics] system: t, y, p, dydt, a, yBar, …</summary>
    Dynamics,

    /// <summary>A [Differentiable] function: x, p, y, xDot, yDot, yBar, xBar, pBar, and Hvp's xBarDot, pBarDot.</summary>
    Function,
}

/// <summary>The names of the spans of <see cref="Slot"/> under a <see cref="SpanNaming"/>, and the renaming of an IR function into them.</summary>
internal static class SpanNames
{
    /// <summary>The parameter name of <paramref name="slot"/>.</summary>
    public static string Of(Slot slot, SpanNaming naming) => naming == SpanNaming.Function
        ? slot switch
        {
            Slot.Y => "x",
            Slot.P => "p",
            Slot.YDot => "xDot",
            Slot.PDot => "pDot",
            Slot.A => "yBar",
            Slot.Dydt => "y",
            Slot.DydtDot => "yDot",
            Slot.YBar => "xBar",
            Slot.PBar => "pBar",
            Slot.YBarDot => "xBarDot",
            Slot.PBarDot => "pBarDot",
            _ => throw new System.ArgumentOutOfRangeException(nameof(slot), slot, "a function has no such span"),
        }
        : slot switch
        {
            Slot.T => "t",
            Slot.Y => "y",
            Slot.P => "p",
            Slot.TDot => "tDot",
            Slot.YDot => "yDot",
            Slot.PDot => "pDot",
            Slot.A => "a",
            Slot.Dydt => "dydt",
            Slot.DydtDot => "dydtDot",
            Slot.YBar => "yBar",
            Slot.PBar => "pBar",
            Slot.S => "s",
            Slot.YBarDot => "yBarDot",
            Slot.PBarDot => "pBarDot",
            Slot.Dfdy => "dfdy",
            Slot.Dfdp => "dfdp",
            Slot.Kept => "kept",
            _ => throw new System.ArgumentOutOfRangeException(nameof(slot), slot, null),
        };

    /// <summary>A function's output length: its Evaluate and Jvp have dydt (printed y), its Vjp only a (printed yBar).</summary>
    public static readonly IndexExpr OutputLength = new IndexExpr.Length(Slot.Dydt);

    /// <summary>
    /// <paramref name="function"/> printed as a function's method: the emitters name its spans, and the span lengths
    /// its indices mention, by <see cref="SpanNaming.Function"/> (loop variables and int locals never take a span's
    /// name: the parser reserves them); reverse mode's buffers for the output take the function's names.
    /// </summary>
    public static IrFunction ForFunction(IrFunction function)
    {
        var body = new Instr[function.Body.Count];
        for (int i = 0; i < body.Length; i++)
        {
            Instr x = function.Body[i];
            body[i] = x.Op == Op.Buf ? x with { Name = BufferName(x.Name) } : x;
        }

        return function with { Body = new EquatableArray<Instr>(body), Naming = SpanNaming.Function };
    }

    /// <summary>
    /// <paramref name="vjp"/> with the output length a function's primal code mentions (<see cref="OutputLength"/>)
    /// written as the length of a, the only span of output length that Vjp takes.
    /// </summary>
    public static IrFunction OutputLengthAsA(IrFunction vjp)
    {
        var body = new Instr[vjp.Body.Count];
        for (int i = 0; i < body.Length; i++)
        {
            Instr x = vjp.Body[i];
            body[i] = x with { Ix = x.Ix?.WithLength(Slot.Dydt, Slot.A), Ix2 = x.Ix2?.WithLength(Slot.Dydt, Slot.A) };
        }

        return vjp with { Body = new EquatableArray<Instr>(body) };
    }

    /// <summary>
    /// Reverse mode's buffers for the output: in Vjp, the values of f it reads back ("dydt") are the function's y, and
    /// the adjoint it seeds from a ("dydtBar") is a working copy of yBar; in Hvp their tangents ("dydtDot", "dydtBarDot")
    /// follow (neither Vjp nor Hvp has a parameter y or yDot).
    /// </summary>
    private static string? BufferName(string? name) => name switch
    {
        "dydt" => "y",
        "dydtBar" => "yBarWork",
        "dydtDot" => "yDot",
        "dydtBarDot" => "yBarWorkDot",
        _ => name,
    };
}
