using System.Linq;
using OdeGen.Generators.Ir;

namespace OdeGen.Generators.Differentiation;

/// <summary>
/// The partial derivatives the parser lowers from a user's forward rule when a method asks for second order
/// (<see cref="Instr.CallArity"/>): the second-order methods differentiate through them; the first-order methods call the
/// user's rules as always, so for those the partials are dropped (and then removed as dead code).
/// </summary>
internal static class CustomPartials
{
    /// <summary>True when a call of a user function in <paramref name="function"/> carries its partials.</summary>
    public static bool Present(IrFunction function) => function.Body.Any(x => x.Op == Op.Extern && x.CallArity < x.Args.Count);

    /// <summary><paramref name="function"/> with every call of a user function reduced to its arguments.</summary>
    public static IrFunction Strip(IrFunction function)
    {
        if (!Present(function))
        {
            return function;
        }

        Instr[] body = function.Body.Select(x => x.Op == Op.Extern && x.CallArity < x.Args.Count
            ? x with { Args = new EquatableArray<int>(x.Args.Take(x.CallArity).ToArray()), Index = 0 }
            : x).ToArray();
        return function with { Body = new EquatableArray<Instr>(body) };
    }
}
