using OdeGen.Generators.Ir;

namespace OdeGen.Generators.Model;

/// <summary>
/// The second-order methods of a system (<c>[OdeDynamics(SecondOrder = true)]</c>), each derived from first-order IR
/// by one more differentiation (Differentiation/SecondOrder.cs).
/// </summary>
/// <param name="Divergence">tr(∂f/∂y): forward mode seeded by unit vectors, keeping the diagonal only; returns the trace.</param>
/// <param name="DivergenceVjp">Reverse mode over <paramref name="Divergence"/> seeded by s.</param>
/// <param name="Hvp">Forward mode over the system's Vjp, a held fixed.</param>
internal sealed record SecondOrderIr(IrFunction Divergence, IrFunction DivergenceVjp, IrFunction Hvp)
{
    /// <summary>The three functions, each passed through <paramref name="pass"/> (the optimizer).</summary>
    public SecondOrderIr Map(System.Func<IrFunction, IrFunction> pass) => new(pass(Divergence), pass(DivergenceVjp), pass(Hvp));
}
