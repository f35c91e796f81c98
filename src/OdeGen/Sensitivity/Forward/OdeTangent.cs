namespace OdeGen;

/// <summary>
/// The solution of a solve and its tangent for one nudge (ẏ0, ṗ, ṫ0, ṫ1) of the inputs, as computed by
/// <see cref="Ode.Jvp{TSystem}"/>: a Jacobian-vector product through the solver.
/// </summary>
/// <remarks>
/// When the solve fails, <see cref="Status"/> says why and the final state and tangent are NaN.
/// </remarks>
public sealed class OdeTangent
{
    private readonly double[] _savedStates, _savedTangents;
    private readonly int _n;

    internal OdeTangent(double[] state, double[] tangent, double[] saveTimes, double[] savedStates, double[] savedTangents,
        SolverStats stats, long jvpEvaluations, long functionEvaluations, OdeStatus status)
    {
        State = state;
        Tangent = tangent;
        SaveTimes = saveTimes;
        _savedStates = savedStates;
        _savedTangents = savedTangents;
        _n = state.Length;
        Stats = stats;
        JvpEvaluations = jvpEvaluations;
        FunctionEvaluations = functionEvaluations;
        Status = status;
    }

    /// <summary>y(t1).</summary>
    public double[] State { get; }

    /// <summary>
    /// The tangent of y(t1) including the moving end points: z(t1) + f(t1, y(t1))·ṫ1, where z solves the
    /// tangent equation from z(t0) = ẏ0 − f(t0, y0)·ṫ0.
    /// </summary>
    public double[] Tangent { get; }

    /// <summary>The <see cref="SolverOptions.SaveAt"/> times (empty when none were given).</summary>
    public double[] SaveTimes { get; }

    /// <summary>y(SaveTimes[i]).</summary>
    public ReadOnlySpan<double> StateAt(int i) => _savedStates.AsSpan(Index(i), _n);

    /// <summary>
    /// The tangent of y(SaveTimes[i]) at that fixed time: z(SaveTimes[i]) (it includes the effect of ṫ0,
    /// but not of ṫ1, which only moves the end point).
    /// </summary>
    public ReadOnlySpan<double> TangentAt(int i) => _savedTangents.AsSpan(Index(i), _n);

    /// <summary>Work counters of the solve of [y; z] (its FunctionEvaluations are evaluations of that augmented field).</summary>
    public SolverStats Stats { get; }

    /// <summary>Calls of <see cref="IOdeSystem.Jvp"/>.</summary>
    public long JvpEvaluations { get; }

    /// <summary>Calls of <see cref="IOdeSystem.Evaluate"/> (for the end-point terms).</summary>
    public long FunctionEvaluations { get; }

    /// <summary>
    /// The events located during the solve (<see cref="SolverOptions.Events"/>), in time order. A terminal one ends the solve
    /// with status Success: the state is held at its value there, so <see cref="State"/> and <see cref="Tangent"/> are those
    /// at the event (including the move of the event time), and ṫ1 has no effect.
    /// </summary>
    public IReadOnlyList<OdeEventOccurrence> Events { get; internal set; } = [];

    /// <summary>The tangent of each event's time, dt_k = −(∂g/∂y·z⁻)/(∂g/∂t + ∂g/∂y·f⁻), in the order of <see cref="Events"/>.</summary>
    public double[] EventTimeTangents { get; internal set; } = [];

    /// <summary><see cref="OdeStatus.Success"/>, or why the solve stopped.</summary>
    public OdeStatus Status { get; }

    /// <summary>True when <see cref="Status"/> is <see cref="OdeStatus.Success"/> (or a terminal event ended the solve).</summary>
    public bool IsSuccess => OdeStatusText.IsSuccess(Status);

    /// <summary>A sentence that says how the solve of the state and its tangent ended and, on failure, what to try.</summary>
    public string Message => IsSuccess
        ? $"The tangent was computed ({Stats})."
        : $"The tangent could not be computed, so the final state and tangent are NaN: the solve stopped because {OdeStatusText.Cause(Status)} ({Stats}).";

    /// <summary>Throws an <see cref="OdeSolverException"/> (with <see cref="Message"/>) unless the solve succeeded; returns this tangent for chaining.</summary>
    public OdeTangent EnsureSuccess() => IsSuccess ? this : throw new OdeSolverException(Status, double.NaN, Message);

    private int Index(int i)
    {
        if ((uint)i >= (uint)SaveTimes.Length) throw new ArgumentOutOfRangeException(nameof(i), i, $"There are {SaveTimes.Length} save times.");
        return i * _n;
    }
}
