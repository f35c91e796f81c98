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
/// <param name="Kept">EvaluateVjp split into the tape-keeping pair (<see cref="KeptIr"/>), made after optimization; null where it does not split.</param>
internal sealed record AugmentedIr(IrFunction EvaluateVjp, IrFunction? EvaluateDivergence, IrFunction? VjpDivergenceVjp, KeptIr? Kept = null)
{
    /// <summary>The functions there are, each passed through <paramref name="pass"/> (the optimizer).</summary>
    public AugmentedIr Map(System.Func<IrFunction, IrFunction> pass) =>
        new(pass(EvaluateVjp), EvaluateDivergence is null ? null : pass(EvaluateDivergence), VjpDivergenceVjp is null ? null : pass(VjpDivergenceVjp),
            Kept is null ? null : new KeptIr(pass(Kept.EvaluateKeeping), pass(Kept.VjpKept), Kept.Count));
}

/// <summary>
/// EvaluateVjp cut in two at its reverse sweep (Differentiation/KeptSplit.cs), for an integrator that keeps each stage's
/// primal values on its tape instead of computing them again in the reverse pass.
/// </summary>
/// <param name="EvaluateKeeping">f to dydt, and the values the reverse sweep reads to kept[0 … Count).</param>
/// <param name="VjpKept">Vjp's yBar, pBar and return, reading those values from kept.</param>
/// <param name="Count">Elements of kept one call writes (lane values in the lane methods).</param>
internal sealed record KeptIr(IrFunction EvaluateKeeping, IrFunction VjpKept, int Count);
