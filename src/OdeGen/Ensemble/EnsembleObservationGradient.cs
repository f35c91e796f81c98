namespace OdeGen;

/// <summary>
/// A loss on the states of one trajectory of an ensemble at the observation times, for
/// <c>Ode.LossGradient(system, EnsembleBatch, …)</c>: returns that trajectory's share L_j of L = Σ_j L_j and writes
/// ∂L_j/∂y(times[i]) as row i of <paramref name="dLdy"/>.
/// </summary>
/// <param name="trajectory">The trajectory's index j (its row of the batch's initial states).</param>
/// <param name="states">Row i = y_j(times[i]), times.Length × StateCount, row-major.</param>
/// <param name="dLdy">Where ∂L_j/∂y goes, in the same layout; all zero on entry.</param>
/// <returns>L_j.</returns>
/// <remarks>
/// Called once per trajectory that reached the last time, after its forward pass and before its backward pass, on the
/// thread that solves it: with several threads, calls for different trajectories may run at the same time (each gets
/// its own rows; write nothing shared).
/// </remarks>
public delegate double EnsembleObservationLoss(int trajectory, ReadOnlySpan<double> states, Span<double> dLdy);

/// <summary>
/// The result type of the obsolete <c>Ode.GradientEnsembleAtTimes</c>, <c>Ode.GradientEnsembleSharedAtTimes</c>,
/// <c>Ode.LossGradientEnsemble</c> and <c>Ode.LossGradientEnsembleShared</c>: an <see cref="EnsembleGradient"/>, which the
/// new verbs return.
/// </summary>
[Obsolete("Use EnsembleGradient, which Ode.Gradient(system, new EnsembleBatch(...), ...) and Ode.LossGradient(...) return. This type will be removed in the next release.")]
public sealed class EnsembleObservationGradient : EnsembleGradient
{
    internal EnsembleObservationGradient(EnsembleSolution solution, double[] times, int parameterCount, bool shared, bool withLoss)
        : base(solution, times, parameterCount, shared, withLoss, OdeGen.Sensitivity.DiscreteAdjoint)
    {
    }

    /// <summary>Throws <see cref="OdeSolverException"/> naming the first failed trajectory, if any; returns this gradient for chaining.</summary>
    public new EnsembleObservationGradient EnsureSuccess()
    {
        Solution.EnsureSuccess();
        return this;
    }
}
