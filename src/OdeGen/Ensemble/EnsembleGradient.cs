namespace OdeGen;

/// <summary>
/// The result of <c>Ode.GradientEnsemble</c> / <c>Ode.GradientEnsembleShared</c>: for each trajectory the gradient of
/// a loss on its final state with respect to its initial state and its parameters (the exact gradient of the discrete
/// solution the ensemble computed), and for a shared θ their sum.
/// </summary>
public sealed class EnsembleGradient
{
    internal EnsembleGradient(EnsembleSolution solution, int parameterCount, bool shared)
    {
        Solution = solution;
        ParameterCount = parameterCount;
        Y0 = new double[solution.Count * solution.StateCount];
        Parameters = new double[solution.Count * parameterCount];
        SharedParameters = shared ? new double[parameterCount] : null;
    }

    /// <summary>The forward solve the gradient differentiates (final states, statuses, work).</summary>
    public EnsembleSolution Solution { get; }
    /// <summary>Number of trajectories.</summary>
    public int Count => Solution.Count;
    /// <summary>States per trajectory (n).</summary>
    public int StateCount => Solution.StateCount;
    /// <summary>Parameters per trajectory (m).</summary>
    public int ParameterCount { get; }
    /// <summary>dL/dy0, row-major Count × StateCount; NaN rows for trajectories that did not reach t1.</summary>
    public double[] Y0 { get; }
    /// <summary>
    /// dL/dθ of each trajectory, row-major Count × ParameterCount (with a shared θ: each sample's own share); NaN rows
    /// for trajectories that did not reach t1.
    /// </summary>
    public double[] Parameters { get; }
    /// <summary>
    /// With a shared θ: Σ over the trajectories that reached t1 of their dL/dθ, summed lane by lane within a block and
    /// block by block in order, so it does not depend on the thread count. Null for per-trajectory parameters.
    /// </summary>
    public double[]? SharedParameters { get; }
    /// <summary>How each trajectory's forward solve ended.</summary>
    public OdeStatus[] Statuses => Solution.Statuses;
    /// <summary>True when every trajectory reached t1.</summary>
    public bool AllSucceeded => Solution.AllSucceeded;
    /// <summary>Throws <see cref="OdeSolverException"/> naming the first failed trajectory, if any; returns this gradient for chaining.</summary>
    public EnsembleGradient EnsureSuccess()
    {
        Solution.EnsureSuccess();
        return this;
    }
    /// <summary>Lane VJPs of the backward passes (one VjpLanes call counts once).</summary>
    public long VjpEvaluations { get; internal set; }

    /// <summary>dL/dy0 of trajectory <paramref name="i"/>.</summary>
    public ReadOnlySpan<double> Y0Of(int i) => Y0.AsSpan(Check(i) * StateCount, StateCount);
    /// <summary>dL/dθ of trajectory <paramref name="i"/>.</summary>
    public ReadOnlySpan<double> ParametersOf(int i) => Parameters.AsSpan(Check(i) * ParameterCount, ParameterCount);

    private int Check(int i) => (uint)i < (uint)Count ? i : throw new ArgumentOutOfRangeException(nameof(i), i, $"The ensemble has {Count} trajectories.");
}
