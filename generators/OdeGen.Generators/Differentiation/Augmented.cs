using OdeGen.Generators.Ir;
using OdeGen.Generators.Model;
using OdeGen.Generators.Simplify;

namespace OdeGen.Generators.Differentiation;

/// <summary>
/// The methods that do in one sweep what a caller otherwise asks of two: the augmented adjoint dynamics need f and the
/// VJP at the same (t, y, p) (Chen et al. 2018, Algorithm 2), a continuous normalizing flow f and its trace, then the VJPs
/// of both. Separately, each method recomputes the primal values; here the sweep that computes them for one serves the
/// other. Nothing new is differentiated: EvaluateVjp is reverse mode over the primal whose forward sweep also writes f;
/// EvaluateDivergence is Divergence's sweep writing f as well; VjpDivergenceVjp is reverse mode over EvaluateDivergence,
/// its outputs' adjoints seeded by a and its trace's by s.
/// </summary>
/// <remarks>
/// The user's arithmetic stays in the primal phase, so f rounds as Evaluate's does, and the derivative code is built by
/// the same transforms as Vjp's: EvaluateVjp gives Evaluate's and Vjp's bits. VjpDivergenceVjp sums the two adjoints as
/// it goes, so it agrees with Vjp + DivergenceVjp to rounding. [Differentiable] functions and float systems get none
/// (the runtime's one-sweep interfaces are double <see cref="TargetKind.Dynamics"/> ones).
/// </remarks>
internal static class Augmented
{
    /// <summary><paramref name="system"/> with its one-sweep IR (unoptimized, as the other methods' at this step).</summary>
    public static SystemIr Attach(SystemIr system, SystemModel model)
    {
        SystemHeader h = system.Header;
        if (h.Kind != TargetKind.Dynamics || h.Single)
        {
            return system;
        }

        IrFunction evaluateVjp = ReverseMode.VjpKeepingOutputs(system.Evaluate);
        if (system.SecondOrder is null)
        {
            return system with { Augmented = new AugmentedIr(evaluateVjp, null, null) };
        }

        // The primal the second-order methods differentiate (calls of user rules through their lowered partials).
        IrFunction first = CustomPartials.Present(model.Primal) ? SystemDifferentiator.Differentiate(model, keepPartials: true).Evaluate : system.Evaluate;
        IrFunction evaluateDivergence = Divergence.Build(first, h.States, keepOutputs: true);
        return system with
        {
            Augmented = new AugmentedIr(evaluateVjp, evaluateDivergence, ReverseMode.Vjp(DeadCode.Eliminate(evaluateDivergence))),
        };
    }
}
