namespace OdeGen;

/// <summary>
/// A loss on the states of one trajectory of an ensemble at the observation times, for
/// <c>Ode.LossGradientEnsemble</c> / <c>Ode.LossGradientEnsembleShared</c>: returns that trajectory's share L_j of
/// L = Σ_j L_j and writes ∂L_j/∂y(times[i]) as row i of <paramref name="dLdy"/>.
/// </summary>
/// <param name="trajectory">The trajectory's index j (its row of y0s).</param>
/// <param name="states">Row i = y_j(times[i]), times.Length × StateCount, row-major.</param>
/// <param name="dLdy">Where ∂L_j/∂y goes, in the same layout; all zero on entry.</param>
/// <returns>L_j.</returns>
/// <remarks>
/// Called once per trajectory that reached the last time, after its block's forward pass and before its backward
/// pass, on the thread that solves the block: with several threads, calls for different trajectories may run at the
/// same time (each gets its own rows; write nothing shared).
/// </remarks>
public delegate double EnsembleObservationLoss(int trajectory, ReadOnlySpan<double> states, Span<double> dLdy);

/// <summary>
/// The result of the ensemble gradients of a loss on the states at several observation times
/// (<c>Ode.GradientEnsembleAtTimes</c> / <c>Ode.GradientEnsembleSharedAtTimes</c>, <c>Ode.LossGradientEnsemble</c>
/// / <c>Ode.LossGradientEnsembleShared</c>): for each trajectory dL/dy0 and dL/dθ — the exact gradient of the discrete
/// solution the lane blocks computed, stopping at every observation time — with the states there and, with a loss
/// callback, the loss; for a shared θ also the parameter gradient summed over the trajectories.
/// </summary>
public sealed class EnsembleObservationGradient
{
    internal EnsembleObservationGradient(EnsembleSolution solution, double[] times, int parameterCount, bool shared, bool withLoss)
    {
        Solution = solution;
        Times = times;
        ParameterCount = parameterCount;
        int count = solution.Count, n = solution.StateCount;
        States = new double[count * times.Length * n];
        States.AsSpan().Fill(double.NaN);
        DLdy = new double[count * times.Length * n];
        Y0 = new double[count * n];
        Parameters = new double[count * parameterCount];
        SharedParameters = shared ? new double[parameterCount] : null;
        Losses = new double[count];
        Losses.AsSpan().Fill(double.NaN);
        HasLoss = withLoss;
    }

    /// <summary>The forward solve (final states = the states at the last time, statuses, work of each block).</summary>
    public EnsembleSolution Solution { get; }
    /// <summary>The observation times (a copy).</summary>
    public double[] Times { get; }
    /// <summary>Number of trajectories.</summary>
    public int Count => Solution.Count;
    /// <summary>States per trajectory (n).</summary>
    public int StateCount => Solution.StateCount;
    /// <summary>Parameters per trajectory (m).</summary>
    public int ParameterCount { get; }
    /// <summary>
    /// The forward pass's states at the observation times, Count × Times.Length × StateCount (trajectory-major:
    /// trajectory j's rows are contiguous, row i = y_j(times[i])); NaN from a trajectory's failure on.
    /// </summary>
    public double[] States { get; }
    /// <summary>
    /// ∂L/∂y at the observation times in the layout of <see cref="States"/>: the caller's dLdy, or what the loss
    /// callback wrote (zero for trajectories that failed, which the callback never sees).
    /// </summary>
    public double[] DLdy { get; }
    /// <summary>dL/dy0, row-major Count × StateCount; NaN rows for trajectories that did not reach the last time.</summary>
    public double[] Y0 { get; }
    /// <summary>dL/dθ of each trajectory, row-major Count × ParameterCount (with a shared θ: each one's share); NaN rows for failures.</summary>
    public double[] Parameters { get; }
    /// <summary>
    /// With a shared θ: Σ over the trajectories that succeeded of their dL/dθ, summed lane by lane within a block and
    /// block by block in order (no atomics; the same bits on any thread count). Null for per-trajectory parameters.
    /// </summary>
    public double[]? SharedParameters { get; }
    /// <summary>True when the gradient came from a loss callback (then <see cref="Losses"/> and <see cref="Loss"/> are its values).</summary>
    public bool HasLoss { get; }
    /// <summary>Each trajectory's loss L_j as the callback returned it; NaN for failures and without a callback.</summary>
    public double[] Losses { get; }
    /// <summary>
    /// Σ_j L_j over the trajectories that succeeded, in trajectory order (NaN without a callback). Like
    /// <see cref="SharedParameters"/> it leaves failed trajectories out: check <see cref="AllSucceeded"/>.
    /// </summary>
    public double Loss { get; internal set; } = double.NaN;
    /// <summary>How each trajectory's forward solve ended.</summary>
    public OdeStatus[] Statuses => Solution.Statuses;
    /// <summary>True when every trajectory reached the last time.</summary>
    public bool AllSucceeded => Solution.AllSucceeded;
    /// <summary>Throws <see cref="OdeSolverException"/> naming the first failed trajectory, if any; returns this gradient for chaining.</summary>
    public EnsembleObservationGradient EnsureSuccess()
    {
        Solution.EnsureSuccess();
        return this;
    }
    /// <summary>Lane evaluations of f in the forward passes (one EvaluateLanes call per register counts once; <see cref="EnsembleSolution.Stats"/>).</summary>
    public long ForwardEvaluations => Solution.Stats.FunctionEvaluations;
    /// <summary>Lane evaluations of f in the backward passes (the stages recomputed from the tape).</summary>
    public long BackwardEvaluations { get; internal set; }
    /// <summary>Lane VJPs of the backward passes (one VjpLanes call per register counts once).</summary>
    public long VjpEvaluations { get; internal set; }

    /// <summary>The states of trajectory <paramref name="j"/> at the observation times (Times.Length × StateCount).</summary>
    public ReadOnlySpan<double> StatesOf(int j) => States.AsSpan(Check(j) * Times.Length * StateCount, Times.Length * StateCount);
    /// <summary>dL/dy0 of trajectory <paramref name="j"/>.</summary>
    public ReadOnlySpan<double> Y0Of(int j) => Y0.AsSpan(Check(j) * StateCount, StateCount);
    /// <summary>dL/dθ of trajectory <paramref name="j"/>.</summary>
    public ReadOnlySpan<double> ParametersOf(int j) => Parameters.AsSpan(Check(j) * ParameterCount, ParameterCount);

    private int Check(int j) => (uint)j < (uint)Count ? j : throw new ArgumentOutOfRangeException(nameof(j), j, $"The ensemble has {Count} trajectories.");
}
