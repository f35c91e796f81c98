namespace OdeGen;

/// <summary>
/// The solution at t1 with its full first-order sensitivities, as computed by <see cref="Ode.Sensitivities{TSystem}"/>.
/// Matrices are row-major: <c>DyDy0[i * n + j] = ∂y_i(t1)/∂y0_j</c>, <c>DyDp[i * m + k] = ∂y_i(t1)/∂p_k</c>.
/// </summary>
/// <remarks>When the solve fails, <see cref="Status"/> says why and every array holds NaN.</remarks>
public sealed class OdeSensitivities
{
    private readonly double[] _saved;
    private readonly int _n, _m;

    internal OdeSensitivities(int n, int m, double[] state, double[] dydy0, double[] dydp, double[] dydt0, double[] dydt1,
        double[] saveTimes, double[] saved, SolverStats stats, long functionEvaluations, long jacobianEvaluations, OdeStatus status)
    {
        _n = n;
        _m = m;
        State = state;
        DyDy0 = dydy0;
        DyDp = dydp;
        DyDt0 = dydt0;
        DyDt1 = dydt1;
        SaveTimes = saveTimes;
        _saved = saved;
        Stats = stats;
        FunctionEvaluations = functionEvaluations;
        JacobianEvaluations = jacobianEvaluations;
        Status = status;
    }

    /// <summary>y(t1).</summary>
    public double[] State { get; }

    /// <summary>∂y(t1)/∂y0, n × n row-major.</summary>
    public double[] DyDy0 { get; }

    /// <summary>∂y(t1)/∂p, n × m row-major.</summary>
    public double[] DyDp { get; }

    /// <summary>∂y(t1)/∂t0 = −∂y(t1)/∂y0 · f(t0, y0) (moving the start with y0 fixed).</summary>
    public double[] DyDt0 { get; }

    /// <summary>∂y(t1)/∂t1 = f(t1, y(t1)).</summary>
    public double[] DyDt1 { get; }

    /// <summary>The <see cref="SolverOptions.SaveAt"/> times (empty when none were given).</summary>
    public double[] SaveTimes { get; }

    /// <summary>y(SaveTimes[i]).</summary>
    public ReadOnlySpan<double> StateAt(int i) => Row(i).Slice(0, _n);

    /// <summary>∂y(SaveTimes[i])/∂y0, n × n row-major.</summary>
    public ReadOnlySpan<double> DyDy0At(int i) => Column(Row(i), 0, _n);

    /// <summary>∂y(SaveTimes[i])/∂p, n × m row-major.</summary>
    public ReadOnlySpan<double> DyDpAt(int i) => Column(Row(i), _n, _m);

    /// <summary>Work counters of the augmented solve (its FunctionEvaluations count evaluations of the augmented field).</summary>
    public SolverStats Stats { get; }

    /// <summary>Calls of <see cref="IOdeSystem.Evaluate"/>.</summary>
    public long FunctionEvaluations { get; }

    /// <summary>Calls of <see cref="IOdeSystem.Jacobian"/>.</summary>
    public long JacobianEvaluations { get; }

    /// <summary>
    /// The events located during the solve (<see cref="SolverOptions.Events"/>), in time order. A terminal one ends the solve
    /// with status Success: the state is held at its value there, so the results at t1 are those at the event (including the
    /// move of the event time) and <see cref="DyDt1"/> is zero.
    /// </summary>
    public IReadOnlyList<OdeEventOccurrence> Events { get; internal set; } = [];

    /// <summary>The derivatives of each event's time and state (one per entry of <see cref="Events"/>, in the same order).</summary>
    public IReadOnlyList<OdeEventSensitivity> EventSensitivities { get; internal set; } = [];

    /// <summary><see cref="OdeStatus.Success"/>, or why the solve stopped.</summary>
    public OdeStatus Status { get; }

    /// <summary>True when <see cref="Status"/> is <see cref="OdeStatus.Success"/> (or a terminal event ended the solve).</summary>
    public bool IsSuccess => OdeStatusText.IsSuccess(Status);

    /// <summary>A sentence that says how the solve of the state and its sensitivities ended and, on failure, what to try.</summary>
    public string Message => IsSuccess
        ? $"The sensitivities were computed ({Stats})."
        : $"The sensitivities could not be computed, so every array holds NaN: the solve stopped because {OdeStatusText.Cause(Status)} ({Stats}).";

    /// <summary>Throws an <see cref="OdeSolverException"/> (with <see cref="Message"/>) unless the solve succeeded; returns these sensitivities for chaining.</summary>
    public OdeSensitivities EnsureSuccess() => IsSuccess ? this : throw new OdeSolverException(Status, double.NaN, Message);

    private ReadOnlySpan<double> Row(int i)
    {
        if ((uint)i >= (uint)SaveTimes.Length) throw new ArgumentOutOfRangeException(nameof(i), i, $"There are {SaveTimes.Length} save times.");
        int d = ForwardSensitivitySolver.Dimension(_n, _m);
        return _saved.AsSpan(i * d, d);
    }

    private double[] Column(ReadOnlySpan<double> row, int first, int width) => Split(row, _n, _m, first, width);

    /// <summary>Copies columns [first, first + width) of S (stored after y in the augmented state x) into a fresh n × width matrix.</summary>
    internal static double[] Split(ReadOnlySpan<double> x, int n, int m, int first, int width)
    {
        int cols = n + m;
        var result = new double[n * width];
        for (int i = 0; i < n; i++) x.Slice(n + i * cols + first, width).CopyTo(result.AsSpan(i * width, width));
        return result;
    }
}
