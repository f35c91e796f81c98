using System.Text.RegularExpressions;

namespace OdeGen.Generators.Ir;

/// <summary>Which parameter names a generated method gives the spans of the IR.</summary>
/// <remarks>
/// The IR is written in the dynamics' names whatever the target (Slot.Y, "y.Length", "a.Length"), so every pass
/// and a later transform of it (second order) see one vocabulary; a function target is printed in its own names.
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
            _ => throw new System.ArgumentOutOfRangeException(nameof(slot), slot, null),
        };

    /// <summary>The read-only input span named <paramref name="name"/> (whose Length an index may use), or null.</summary>
    public static Slot? InputOf(string name, SpanNaming naming)
    {
        foreach (Slot slot in new[] { Slot.Y, Slot.P, Slot.YDot, Slot.PDot, Slot.A })
        {
            if (Of(slot, naming) == name)
            {
                return slot;
            }
        }

        return null;
    }

    /// <summary>The canonical text of a function's output length: its Evaluate and Jvp have dydt (printed y), its Vjp only a.</summary>
    public const string OutputLength = "dydt.Length";

    private static readonly Regex Length = new(@"(?<![\w.@])(y|p|a|dydt|yDot|pDot|dydtDot)\.Length\b", RegexOptions.CultureInvariant);

    /// <summary>
    /// <paramref name="function"/> printed as a function's method: the span lengths its index texts mention are
    /// renamed into the function's names (loop variables and int locals never take a span's name: the parser
    /// reserves them), and the emitters name its spans by <see cref="SpanNaming.Function"/>.
    /// </summary>
    public static IrFunction ForFunction(IrFunction function)
    {
        var body = new Instr[function.Body.Count];
        for (int i = 0; i < body.Length; i++)
        {
            Instr x = function.Body[i];
            body[i] = x.IsExtern ? x : x with { Ix = Rename(x.Ix), Ix2 = Rename(x.Ix2), Name = x.Op == Op.Buf ? BufferName(x.Name) : x.Name };
        }

        return function with { Body = new Model.EquatableArray<Instr>(body), Naming = SpanNaming.Function };
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
            body[i] = x.IsExtern ? x : x with { Ix = AsA(x.Ix), Ix2 = AsA(x.Ix2) };
        }

        return vjp with { Body = new Model.EquatableArray<Instr>(body) };
    }

    private static readonly Regex Output = new(@"(?<![\w.@])dydt\.Length\b", RegexOptions.CultureInvariant);

    private static string? AsA(string? text) => text is null ? null : Output.Replace(text, "a.Length");

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

    private static string? Rename(string? text) =>
        text is null ? null : Length.Replace(text, m => Of(Canonical(m.Groups[1].Value), SpanNaming.Function) + ".Length");

    private static Slot Canonical(string name) => name switch
    {
        "y" => Slot.Y,
        "p" => Slot.P,
        "a" => Slot.A,
        "dydt" => Slot.Dydt,
        "yDot" => Slot.YDot,
        "pDot" => Slot.PDot,
        _ => Slot.DydtDot,
    };
}
