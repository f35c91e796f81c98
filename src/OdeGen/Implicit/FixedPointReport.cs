namespace OdeGen.Implicit;

/// <summary>How a forward or backward pass of an implicit layer ended.</summary>
public enum FixedPointStatus
{
    /// <summary>The residual met the tolerance.</summary>
    Converged,

    /// <summary>
    /// The iteration budget ran out while the residual was still falling; or, for a linear solve, the tolerance lies below
    /// the residual's rounding floor (see <see cref="ImplicitBackwardReport.RoundingFloor"/>), so no residual computed in
    /// double can certify it.
    /// </summary>
    NotConverged,

    /// <summary>Every solver of the chain stopped making progress (the map may have no fixed point).</summary>
    Stalled,

    /// <summary>The residual grew without bound or became NaN/∞ in every solver of the chain.</summary>
    Diverged,

    /// <summary>
    /// Backward passes only (<see cref="FixedPointLayer{TFunction}.Backward"/>, <see cref="SteadyState.Gradient"/>): the point
    /// they were given fails the forward pass's own convergence test for the x and θ they were given (the forward did not
    /// converge, or the point, x or θ changed since), so the implicit function theorem, which holds only at a solution, does
    /// not give the gradient there. The report's <c>PointResidual</c> says how far off the point is.
    /// </summary>
    NotASolution,
}

/// <summary>What one pass did: which solver finished, after how many evaluations, at what residual.</summary>
public readonly record struct FixedPointReport(
    FixedPointStatus Status,
    FixedPointMethod FinishedBy,
    int Iterations,
    double Residual,
    double RelativeResidual,
    int Fallbacks,
    int Restarts)
{
    /// <summary>True when the pass converged.</summary>
    public bool IsConverged => Status == FixedPointStatus.Converged;

    /// <summary>One line for logs.</summary>
    public override string ToString() => FormattableString.Invariant(
        $"{Status} by {FinishedBy} after {Iterations} evaluations: residual {Residual:G3} (relative {RelativeResidual:G3}), {Fallbacks} fallbacks, {Restarts} restarts");
}

/// <summary>What the backward pass (the implicit function theorem's linear solve) did.</summary>
/// <param name="Status">
/// Converged when <paramref name="RelativeResidual"/> met <see cref="FixedPointOptions.BackwardTolerance"/> and, for GMRES,
/// the tolerance is not below <see cref="RoundingFloor"/>.
/// </param>
/// <param name="Method">The backward solve that ran.</param>
/// <param name="Iterations">
/// Products (∂g/∂z)ᵀ·v spent: for GMRES every product, the ones that measure the true residual at the end of each cycle
/// included; for Anderson and the iteration the evaluations of the map u ↦ ∂L/∂z* + (∂g/∂z)ᵀu.
/// </param>
/// <param name="RelativeResidual">
/// ‖∂L/∂z* − (I − (∂g/∂z)ᵀ)u‖ / ‖∂L/∂z*‖ at the u the gradient is made from, measured by a product (never a solver's own
/// estimate, such as GMRES's Arnoldi recurrence); 0 for the phantom gradient, which solves no system.
/// </param>
public readonly record struct ImplicitBackwardReport(FixedPointStatus Status, ImplicitBackward Method, int Iterations, double RelativeResidual)
{
    /// <summary>
    /// True when z* passed the forward pass's convergence test and the linear solve met its tolerance (the phantom gradient
    /// always does: it solves nothing).
    /// </summary>
    public bool IsConverged => Status == FixedPointStatus.Converged;

    /// <summary>
    /// The residual of z* measured as <see cref="FixedPointOptions.Criterion"/> says, ‖g(z*) − z*‖ (relative: divided by
    /// ‖g(z*)‖), with the x and θ of this call: what <see cref="FixedPointLayer{TFunction}.Forward"/> compares with
    /// <see cref="FixedPointOptions.Tolerance"/>. Above it, the status is <see cref="FixedPointStatus.NotASolution"/>.
    /// </summary>
    public double PointResidual { get; init; }

    /// <summary>
    /// GMRES only (0 otherwise): how accurate <see cref="RelativeResidual"/> itself is, 8ε·(‖∂L/∂z*‖ + ‖A‖·‖u‖)/‖∂L/∂z*‖
    /// for A = I − (∂g/∂z)ᵀ (‖A‖ estimated from the solve's own products). Forming A·u in double costs about ε·‖A‖·‖u‖,
    /// which on an ill-conditioned A is far above the residual GMRES drives down, so a small computed residual there says
    /// nothing: a <see cref="FixedPointOptions.BackwardTolerance"/> below this floor is reported
    /// <see cref="FixedPointStatus.NotConverged"/> however small <see cref="RelativeResidual"/> is. The floor is the best
    /// relative residual this operator allows in double; a looser tolerance would only accept a gradient that inaccurate.
    /// </summary>
    public double RoundingFloor { get; init; }

    /// <summary>One line for logs.</summary>
    public override string ToString() => RoundingFloor > 0
        ? FormattableString.Invariant($"{Status} by {Method} after {Iterations} products: relative residual {RelativeResidual:G3} (rounding floor {RoundingFloor:G3}), z* residual {PointResidual:G3}")
        : FormattableString.Invariant($"{Status} by {Method} after {Iterations} products: relative residual {RelativeResidual:G3}, z* residual {PointResidual:G3}");
}

/// <summary>Thrown when a pass of an implicit layer does not converge and the options ask for an exception.</summary>
public sealed class FixedPointException(string message) : Exception(message);
