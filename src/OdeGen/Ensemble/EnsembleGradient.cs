namespace OdeGen;

/// <summary>
/// The result of the ensemble gradients (<c>Ode.Gradient</c> and <c>Ode.LossGradient</c> on an
/// <see cref="EnsembleBatch"/>): for each trajectory dL/dy0 and dL/dθ of a loss on its states at the observation
/// times, the states there and, with a loss callback, the loss; for a shared θ also the parameter gradient summed over
/// the trajectories. <see cref="Sensitivity"/> says how it was computed.
/// </summary>
/// <remarks>
/// A trajectory that fails has NaN rows and is left out of the sums; check <see cref="AllSucceeded"/> or call
/// <see cref="EnsureSuccess"/>. Results do not depend on the thread count: blocks (or trajectories) write their own rows
/// and the sums run in order.
/// </remarks>
public class EnsembleGradient
{
    internal EnsembleGradient(EnsembleSolution solution, double[] times, int parameterCount, bool shared, bool withLoss, Sensitivity sensitivity)
    {
        Solution = solution;
        Times = times;
        ParameterCount = parameterCount;
        Sensitivity = sensitivity;
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

    /// <summary>
    /// Prepares this gradient to be written again by an observation-time gradient of the same shape
    /// (<see cref="Ensemble.LaneLossGradientWorkspace{TSystem}"/>): takes the new times (same count) and puts every
    /// output back as the constructor leaves it. Allocates nothing.
    /// </summary>
    internal void Reuse(ReadOnlySpan<double> times)
    {
        times.CopyTo(Times);
        States.AsSpan().Fill(double.NaN);
        DLdy.AsSpan().Clear();
        Y0.AsSpan().Clear();
        Parameters.AsSpan().Clear();
        SharedParameters?.AsSpan().Clear();
        Losses.AsSpan().Fill(double.NaN);
        Loss = double.NaN;
        BackwardEvaluations = 0;
        VjpEvaluations = 0;
        Solution.Reuse(Solution.Count, Solution.StateCount, Solution.SaveAt, Solution.Width, Solution.LanesPerBlock);
    }

    /// <summary>
    /// The gradient of a loss on the final states at <paramref name="t1"/> (one observation time), for a solve whose
    /// <see cref="Y0"/>, <see cref="Parameters"/> and sums are written after this call (the lane final-state driver and the
    /// distributed ensembles of OdeGen.Orleans): call <see cref="CompleteFinalStates"/> once the solution is filled.
    /// </summary>
    internal static EnsembleGradient ForFinalStates(EnsembleSolution solution, int parameterCount, bool shared, double t1, ReadOnlySpan<double> dLdyT)
    {
        var g = new EnsembleGradient(solution, [t1], parameterCount, shared, withLoss: false, OdeGen.Sensitivity.DiscreteAdjoint);
        dLdyT.CopyTo(g.DLdy);
        return g;
    }

    /// <summary>
    /// <see cref="SharedParameters"/> as the per-lane gradient forms it: the successful trajectories' dL/dθ rows added in
    /// trajectory order (also the distributed per-lane call's, which has the rows but not the order they were summed in).
    /// </summary>
    internal void SumSharedParametersByTrajectory()
    {
        if (SharedParameters is not { } total) return;
        int m = ParameterCount;
        for (int j = 0; j < Count; j++)
        {
            if (Statuses[j] != OdeStatus.Success) continue;
            for (int k = 0; k < m; k++) total[k] += Parameters[j * m + k];
        }
    }

    /// <summary>Copies the final states of the trajectories that reached t1 into <see cref="States"/> (NaN rows for the others).</summary>
    internal void CompleteFinalStates()
    {
        int n = StateCount;
        for (int j = 0; j < Count; j++)
            if (Solution.Statuses[j] == OdeStatus.Success) Solution.FinalStates.AsSpan(j * n, n).CopyTo(States.AsSpan(j * n, n));
    }

    /// <summary>The forward solve (final states = the states at the last time, statuses, work).</summary>
    public EnsembleSolution Solution { get; }
    /// <summary>How the gradient was computed (<see cref="OdeGen.Sensitivity.DiscreteAdjoint"/> for the lane blocks).</summary>
    public Sensitivity Sensitivity { get; }
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
    /// With a shared θ: Σ over the trajectories that succeeded of their dL/dθ, summed in a fixed order (lane by lane
    /// within a block and block by block, or trajectory by trajectory), so the same bits on any thread count. Null for
    /// per-trajectory parameters.
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
    public EnsembleGradient EnsureSuccess()
    {
        Solution.EnsureSuccess();
        return this;
    }
    /// <summary>Evaluations of f in the forward passes (lanes: one EvaluateLanes call per register counts once; <see cref="EnsembleSolution.Stats"/>).</summary>
    public long ForwardEvaluations => Solution.Stats.FunctionEvaluations;
    /// <summary>Evaluations of f in the backward passes (for the lane discrete adjoint, the stages recomputed from the tape).</summary>
    public long BackwardEvaluations { get; internal set; }
    /// <summary>VJPs of the backward passes (lanes: one VjpLanes call per register counts once).</summary>
    public long VjpEvaluations { get; internal set; }

    /// <summary>The states of trajectory <paramref name="j"/> at the observation times (Times.Length × StateCount).</summary>
    public ReadOnlySpan<double> StatesOf(int j) => States.AsSpan(Check(j) * Times.Length * StateCount, Times.Length * StateCount);
    /// <summary>dL/dy0 of trajectory <paramref name="j"/>.</summary>
    public ReadOnlySpan<double> Y0Of(int j) => Y0.AsSpan(Check(j) * StateCount, StateCount);
    /// <summary>dL/dθ of trajectory <paramref name="j"/>.</summary>
    public ReadOnlySpan<double> ParametersOf(int j) => Parameters.AsSpan(Check(j) * ParameterCount, ParameterCount);

    private int Check(int j) => (uint)j < (uint)Count ? j : throw new ArgumentOutOfRangeException(nameof(j), j, $"The ensemble has {Count} trajectories.");
}
