using System;
using System.Linq;
using OdeGen.Generators.Emit;
using OdeGen.Generators.Ir;
using OdeGen.Generators.Model;

namespace OdeGen.Generators.Analyses;

/// <summary>
/// What the emitters print for one generated method, decided before emit: the IR in the method's span names, and the
/// analyses' answers about it. Equatable (no syntax, no symbols), so the plan is a cached step of its own.
/// </summary>
/// <param name="Function">The IR printed, renamed into a function's span names for a [Differentiable] target.</param>
/// <param name="Loops">
/// Loop-vectorization legality (<see cref="LoopVectorizer"/>): a decision for every loop of the scalar method when the
/// target opted in (VectorizeLoops, double only), else none.
/// </param>
/// <param name="KeptAcrossCalls">Register eligibility (<see cref="RegisterEligibility.Plan"/>): the scalar method's loop sums that cross calls in memory.</param>
/// <param name="LaneConditions">Lane uniformity (<see cref="LaneUniformity"/>): the conditions that are masks in the lane method.</param>
/// <param name="Merges">Which versions of a user's local share its local in the scalar method (<see cref="MergeCoalescing"/>).</param>
/// <param name="LaneMerges">The same for the lane method, which runs both sides of a branch (no value is computed into a variable's local).</param>
/// <param name="BuffersApart">
/// Buffer placement (<see cref="BufferPlacement"/>): the scalar method allocates its buffers and runs its body in a method of its own.
/// </param>
internal sealed record MethodPlan(IrFunction Function, EquatableArray<LoopDecision> Loops, EquatableArray<KeptAcrossCall> KeptAcrossCalls,
    EquatableArray<bool> LaneConditions, MergeCoalescing Merges, MergeCoalescing LaneMerges, bool BuffersApart = false);

/// <summary>The plans of a target's second-order methods (<see cref="SecondOrderIr"/>); a function's has Hvp only.</summary>
internal sealed record SecondOrderPlan(MethodPlan? Divergence, MethodPlan? DivergenceVjp, MethodPlan Hvp);

/// <summary>
/// The plans of a double system's one-sweep methods (<see cref="AugmentedIr"/>), and of the tape-keeping pair split from
/// EvaluateVjp (<see cref="KeptIr"/>; null, and KeptCount 0, where it does not split).
/// </summary>
/// <param name="EvaluateVjp">EvaluateVjp's plan.</param>
/// <param name="EvaluateDivergence">EvaluateDivergence's (its lane form's, where <paramref name="DivergenceAfterEvaluate"/>); null without SecondOrder.</param>
/// <param name="VjpDivergenceVjp">VjpDivergenceVjp's; null without SecondOrder.</param>
/// <param name="EvaluateKeeping">EvaluateKeepingLanes's, where EvaluateVjp splits.</param>
/// <param name="VjpKept">VjpKeptLanes's, where EvaluateVjp splits.</param>
/// <param name="KeptCount">How many values per lane the pair keeps (0 where it does not split).</param>
/// <param name="DivergenceAfterEvaluate">
/// Whether the scalar EvaluateDivergence calls Evaluate and then Divergence instead of running its one sweep: where
/// Evaluate runs a loop in SIMD registers (VectorizeLoops), its sums are grouped by lane and its functions are the lane
/// kernels, which the sweep's scalar loop does not reproduce to the bit; f must be Evaluate's bits all the same (a
/// continuous normalizing flow's field and Evaluate agree). The price is one more primal sweep.
/// </param>
internal sealed record AugmentedPlan(MethodPlan EvaluateVjp, MethodPlan? EvaluateDivergence, MethodPlan? VjpDivergenceVjp,
    MethodPlan? EvaluateKeeping = null, MethodPlan? VjpKept = null, int KeptCount = 0, bool DivergenceAfterEvaluate = false);

/// <summary>
/// Everything the emitters need about one target: its header and a <see cref="MethodPlan"/> per generated method, plus
/// the target-wide decision whether its lanes get the fused-step members (<see cref="RegisterEligibility.FitsRegisters"/>), and the
/// one-sweep methods' plans for a double system.
/// </summary>
/// <remarks>
/// Recompute legality, the fourth analysis, is not part of the plan because differentiation needs it before there is
/// anything to plan: <see cref="RecomputeAnalysis"/> runs on the primal IR while ReverseMode builds the derivative, and
/// the language rules behind it are the parser's ODE0014. No emitter ever decides it.
/// </remarks>
internal sealed record EmitPlan(SystemHeader Header, MethodPlan Evaluate, MethodPlan Jvp, MethodPlan Vjp, MethodPlan? Jacobian,
    SecondOrderPlan? SecondOrder, bool FusedRegisters, AugmentedPlan? Augmented = null)
{
    /// <summary>Runs the analyses over every method of <paramref name="target"/>.</summary>
    public static EmitPlan Of(SystemIr target)
    {
        SystemHeader h = target.Header;
        Func<IrFunction, MethodPlan> plan = f => Method(h, f);
        SecondOrderPlan? second = target.SecondOrder is { } s
            ? new SecondOrderPlan(s.Divergence is null ? null : plan(s.Divergence), s.DivergenceVjp is null ? null : plan(s.DivergenceVjp), plan(s.Hvp))
            : null;
        MethodPlan evaluate = plan(target.Evaluate);
        AugmentedPlan? augmented = target.Augmented is { } a
            ? new AugmentedPlan(plan(a.EvaluateVjp), a.EvaluateDivergence is null ? null : plan(a.EvaluateDivergence), a.VjpDivergenceVjp is null ? null : plan(a.VjpDivergenceVjp),
                a.Kept is null ? null : plan(a.Kept.EvaluateKeeping), a.Kept is null ? null : plan(a.Kept.VjpKept), a.Kept?.Count ?? 0,
                DivergenceAfterEvaluate: a.EvaluateDivergence is not null && second?.Divergence is not null && evaluate.Loops.Any(l => l.Plan is not null))
            : null;
        return new EmitPlan(h, evaluate, plan(target.Jvp), plan(target.Vjp), target.Jacobian is null ? null : plan(target.Jacobian),
            second, RegisterEligibility.FitsRegisters(h, target.Evaluate), augmented);
    }

    /// <summary>
    /// The plan of one method of the target <paramref name="header"/>. Also the way for a method whose IR is not (yet) a
    /// field of <see cref="SystemIr"/>: an emitter given bare IR plans it here, so the decisions are still this file's.
    /// </summary>
    public static MethodPlan Method(SystemHeader header, IrFunction ir)
    {
        IrFunction function = header.Kind == TargetKind.Function && ir.Naming != SpanNaming.Function ? SpanNames.ForFunction(ir) : ir;
        EquatableArray<LoopDecision> loops = header.VectorizeLoops && !function.Single
            ? LoopVectorizer.Analyze(function).ToEquatableArray()
            : EquatableArray<LoopDecision>.Empty;

        // Which values the scalar method prints inline does not depend on how its locals are spelled: no parameters needed.
        MergeCoalescing merges = MergeCoalescing.Plan(function);
        string?[] locals = LocalNames.Assign(function, Array.Empty<string>(), merges);
        return new MethodPlan(function, loops, RegisterEligibility.Plan(function, locals), LaneUniformity.LaneConditions(function), merges,
            MergeCoalescing.Plan(function, valuesInto: false), BufferPlacement.Apart(header, function));
    }
}
