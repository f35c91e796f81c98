using OdeGen.Generators.Ir;

namespace OdeGen.Generators.Model;

/// <summary>
/// The one-sweep methods of a double [OdeDynamics] system (Differentiation/Augmented.cs), each a pair of its other methods
/// computed together so that the primal values the two share are computed once.
/// </summary>
/// <param name="EvaluateVjp">f to dydt and Vjp's yBar, pBar and return (aᵀ∂f/∂t), from Vjp's one forward sweep.</param>
/// <param name="EvaluateDivergence">f to dydt and tr(∂f/∂y) returned, from Divergence's one sweep. Null without SecondOrder.</param>
/// <param name="VjpDivergenceVjp">
/// Vjp plus DivergenceVjp from one reverse sweep over f and its trace, seeded by a and s: yBar += aᵀ∂f/∂y + s·∂tr/∂y,
/// pBar likewise, returns aᵀ∂f/∂t + s·∂tr/∂t. Null without SecondOrder.
/// </param>
internal sealed record AugmentedIr(IrFunction EvaluateVjp, IrFunction? EvaluateDivergence, IrFunction? VjpDivergenceVjp)
{
    /// <summary>The functions there are, each passed through <paramref name="pass"/> (the optimizer).</summary>
    public AugmentedIr Map(System.Func<IrFunction, IrFunction> pass) =>
        new(pass(EvaluateVjp), EvaluateDivergence is null ? null : pass(EvaluateDivergence), VjpDivergenceVjp is null ? null : pass(VjpDivergenceVjp));
}
