using OdeGen.Generators.Ir;

namespace OdeGen.Generators.Model;

/// <summary>
/// The second-order methods of a target with <c>SecondOrder = true</c>, each derived from first-order IR by one more
/// differentiation (Differentiation/SecondOrder.cs): a system's three, a [Differentiable] function's Hvp only (a function
/// has no trace: its inputs and outputs differ in number and meaning).
/// </summary>
/// <param name="Divergence">tr(∂f/∂y): forward mode seeded by unit vectors, keeping the diagonal only; returns the trace. Null for a function.</param>
/// <param name="DivergenceVjp">Reverse mode over <paramref name="Divergence"/> seeded by s. Null for a function.</param>
/// <param name="Hvp">Forward mode over the target's Vjp, a (a function's yBar) held fixed.</param>
internal sealed record SecondOrderIr(IrFunction? Divergence, IrFunction? DivergenceVjp, IrFunction Hvp)
{
    /// <summary>The functions there are, each passed through <paramref name="pass"/> (the optimizer).</summary>
    public SecondOrderIr Map(System.Func<IrFunction, IrFunction> pass) =>
        new(Divergence is null ? null : pass(Divergence), DivergenceVjp is null ? null : pass(DivergenceVjp), pass(Hvp));
}
