using System.Globalization;
using OdeGen.Solvers;

namespace OdeGen;

/// <summary>
/// The result of <c>Ode.Solve</c>: the saved times and states, the state where the solve
/// ended, dense output over the whole solved span (when <see cref="SolverOptions.Dense"/>), work counters
/// and how the solve ended. A failed solve is a status, not an exception: the solution holds what was
/// saved up to the failure; <see cref="EnsureSuccess"/> turns a failure into an <see cref="OdeSolverException"/>.
/// </summary>
/// <remarks>
/// What is saved: the <see cref="SolverOptions.SaveAt"/> times when given (t0 included if it is listed);
/// otherwise every accepted step (t0 first) when <see cref="SolverOptions.SaveSteps"/>; otherwise t0 and the
/// time the solve ended (t1, or <see cref="FailureTime"/>).
/// </remarks>
public sealed class OdeSolution
{
    private readonly int _n;
    private double[] _times;
    private double[] _states;
    private int _count;

    // Dense output: step k covers [_stepTimes[k], _stepTimes[k + 1]] and holds the coefficients
    // c_0..c_D (each n long) of y(θ) = Σ θ^j c_j, θ = (t − t_k)/(t_{k+1} − t_k): the method's own
    // continuous extension of that step (cubic Hermite for methods without one).
    // The coefficients are kept in chunks of whole steps, each under the large-object threshold: a solve's dense output
    // grows without copying, and a long one does not take fresh large-object pages on every call (doubling one array did:
    // with the resizes' copies and the page faults, Lorenz's 1,000 steps cost 350 ns a step, 4.6 times the solve).
    private readonly int _degree;
    private double[]? _stepTimes;
    private double[][]? _chunks;
    private int _chunkCount, _stepsPerChunk;
    private int _steps;

    private readonly double[] _finalState;

    internal OdeSolution(int dimension, double t0, double t1, SolverOptions options, int denseDegree, int saveCapacity)
    {
        _n = dimension;
        InitialTime = t0;
        EndTime = t1;
        FinalTime = t0;
        Options = options;
        _degree = denseDegree;
        _times = new double[Math.Max(saveCapacity, 1)];
        _states = new double[_times.Length * dimension];
        _finalState = new double[dimension];
        if (options.Dense)
        {
            _stepTimes = new double[17];
            _stepTimes[0] = t0;
            int stride = (denseDegree + 1) * dimension;
            _stepsPerChunk = Math.Clamp(MaxChunkValues / Math.Max(stride, 1), 1, 64);
            _chunks = new double[4][];
        }
    }

    /// <summary>Number of components of the state.</summary>
    public int Dimension => _n;

    /// <summary>Number of saved points.</summary>
    public int Count => _count;

    /// <summary>The saved times, in the direction of integration.</summary>
    public ReadOnlySpan<double> Times => _times.AsSpan(0, _count);

    /// <summary>The state saved at <c>Times[i]</c>.</summary>
    public ReadOnlySpan<double> State(int i)
    {
        if ((uint)i >= (uint)_count)
            throw new ArgumentOutOfRangeException(nameof(i), i, $"The solution holds {_count} saved points.");
        return _states.AsSpan(i * _n, _n);
    }

    /// <summary>The start time t0.</summary>
    public double InitialTime { get; }

    /// <summary>The requested end time t1.</summary>
    public double EndTime { get; }

    /// <summary>The time the solve ended at: t1 on success, the event time after a terminal event, <see cref="FailureTime"/> otherwise.</summary>
    public double FinalTime { get; private set; }

    /// <summary>The state at <see cref="FinalTime"/> (the last accepted state).</summary>
    public ReadOnlySpan<double> FinalState => _finalState;

    /// <summary>The options of the solve.</summary>
    public SolverOptions Options { get; }

    /// <summary>Accepted and rejected steps and evaluations of f.</summary>
    public SolverStats Stats { get; private set; }

    /// <summary>How the solve ended.</summary>
    public OdeStatus Status { get; private set; }

    /// <summary>True when the solve reached t1, or stopped at a terminal event (<see cref="OdeStatus.EventTerminated"/>).</summary>
    public bool IsSuccess => Status is OdeStatus.Success or OdeStatus.EventTerminated;

    /// <summary>True when a terminal event ended the solve at <see cref="FinalTime"/> (before t1).</summary>
    public bool TerminatedByEvent => Status == OdeStatus.EventTerminated;

    /// <summary>The events located during the solve, in the order they happened (see <see cref="SolverOptions.Events"/>).</summary>
    public IReadOnlyList<OdeEventOccurrence> Events => (IReadOnlyList<OdeEventOccurrence>?)_events ?? [];

    private List<OdeEventOccurrence>? _events;

    /// <summary>When the solve failed, the time of the last accepted state (where the failing step started); null on success.</summary>
    public double? FailureTime => IsSuccess ? null : FinalTime;

    /// <summary>True when <see cref="Interpolate(double, Span{double})"/> is available (the solve kept dense output).</summary>
    public bool HasDenseOutput => _chunks is not null;

    // At most 8,192 doubles (64 KB) a chunk, unless one step needs more: below the large-object heap's 85,000 bytes.
    private const int MaxChunkValues = 8192;

    /// <summary>A sentence that says how the solve ended.</summary>
    public string Message => Status switch
    {
        OdeStatus.Success => Format($"Reached t1 = {FinalTime} ({Stats})."),
        OdeStatus.MaxStepsExceeded => Format(
            $"Stopped at t = {FinalTime} before reaching t1 = {EndTime}: {Options.MaxSteps} step attempts (SolverOptions.MaxSteps) were used up ({Stats}). The problem may be stiff, or the tolerances too tight."),
        OdeStatus.StepSizeTooSmall => Format(
            $"Stopped at t = {FinalTime} before reaching t1 = {EndTime}: the step size fell below the minimum (SolverOptions.MinStep, or the resolution of t) ({Stats}). The solution may blow up or be singular near t = {FinalTime}."),
        OdeStatus.EventTerminated => Format(
            $"Stopped at t = {FinalTime} by the terminal event {(_events is { Count: > 0 } e ? e[^1].Event.ToString() : "event")} ({Stats})."),
        OdeStatus.SingularMatrix => Format(
            $"Stopped at t = {FinalTime} before reaching t1 = {EndTime}: the stiff solver's iteration matrix I/(hγ) − J was singular for several step sizes in a row ({Stats}). Check the Jacobian; the problem may not have a unique solution near t = {FinalTime}."),
        OdeStatus.ConvergenceFailure => Format(
            $"Stopped at t = {FinalTime} before reaching t1 = {EndTime}: the Newton iterations of the implicit stages did not converge with the fixed step {Options.FixedStep} ({Stats}). Use a smaller FixedStep or an adaptive solve."),
        // A fixed-step solve reads f at t1 only when the last step's dense output needs it (SaveAt, Interpolate): the state
        // at t1 is then finite and the solve stopped at t1, but that step's interpolant cannot be formed.
        OdeStatus.NonFiniteValue when FinalTime == EndTime && FinalTime != InitialTime => Format(
            $"Reached t1 = {EndTime} with a finite state, but f at t1 is non-finite (NaN or ±∞), so the dense output of the last step (SaveAt, Interpolate) cannot be formed ({Stats})."),
        OdeStatus.NonFiniteValue => Format(
            $"Stopped at t = {FinalTime} before reaching t1 = {EndTime}: f or the state became non-finite (NaN or ±∞) just after t = {FinalTime}, and smaller steps did not help ({Stats})."),
        _ => Format($"Stopped at t = {FinalTime} with status {Status}."),
    };

    /// <summary>Throws an <see cref="OdeSolverException"/> unless the solve reached t1; returns this solution for chaining.</summary>
    public OdeSolution EnsureSuccess()
    {
        if (!IsSuccess) throw new OdeSolverException(Status, FinalTime, Message);
        return this;
    }

    /// <summary>
    /// The state at any t between t0 and <see cref="FinalTime"/>, from the continuous extension of the step
    /// that contains t (the method's own where it has one, cubic Hermite otherwise).
    /// Requires <see cref="SolverOptions.Dense"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The solve did not keep dense output.</exception>
    /// <exception cref="ArgumentOutOfRangeException">t lies outside the solved span.</exception>
    public void Interpolate(double t, Span<double> y)
    {
        if (_chunks is null || _stepTimes is null)
            throw new InvalidOperationException("This solution has no dense output: solve with SolverOptions { Dense = true } to interpolate between saved points.");
        if (y.Length != _n)
            throw new ArgumentException($"y must have length {_n} (the solution's Dimension), but has length {y.Length}.", nameof(y));
        double lo = Math.Min(InitialTime, FinalTime), hi = Math.Max(InitialTime, FinalTime);
        if (!(t >= lo && t <= hi))
            throw new ArgumentOutOfRangeException(nameof(t), t, Format($"Dense output covers [{lo}, {hi}] (t0 = {InitialTime} to the end of the solve at {FinalTime})."));
        if (t == FinalTime || _steps == 0)
        {
            _finalState.CopyTo(y);
            return;
        }
        int k = FindStep(t);
        double tk = _stepTimes[k], theta = (t - tk) / (_stepTimes[k + 1] - tk);
        int n = _n, stride = (_degree + 1) * n;
        ReadOnlySpan<double> c = _chunks[k / _stepsPerChunk].AsSpan(k % _stepsPerChunk * stride, stride);
        // Horner in θ, all components at once.
        c.Slice(_degree * n, n).CopyTo(y);
        for (int j = _degree - 1; j >= 0; j--)
        {
            ReadOnlySpan<double> cj = c.Slice(j * n, n);
            for (int q = 0; q < n; q++) y[q] = y[q] * theta + cj[q];
        }
    }

    /// <summary>Allocating convenience: the interpolated state at t as a new array.</summary>
    public double[] Interpolate(double t)
    {
        var y = new double[_n];
        Interpolate(t, y);
        return y;
    }

    // The last step k with t_k at or before t in the direction of integration (a t on a boundary belongs
    // to the step that starts there, whose θ = 0 reproduces the saved state exactly).
    private int FindStep(double t)
    {
        double direction = EndTime >= InitialTime ? 1.0 : -1.0;
        double[] times = _stepTimes!;
        int lo = 0, hi = _steps - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) >> 1;
            if (direction * (times[mid] - t) <= 0) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    /// <summary>Appends a saved point and returns the slot to write its state into.</summary>
    internal Span<double> AddSaved(double t)
    {
        if (_count == _times.Length)
        {
            Array.Resize(ref _times, 2 * _times.Length);
            Array.Resize(ref _states, _times.Length * _n);
        }
        _times[_count] = t;
        return _states.AsSpan(_count++ * _n, _n);
    }

    /// <summary>
    /// Keeps the continuous extension of the integrator's last accepted step, cut at <paramref name="end"/> when an event
    /// stopped the solve inside it (the restart after a reset begins its own steps there).
    /// </summary>
    internal void AddDenseStep(IOdeIntegrator integrator, double end)
    {
        Span<double> c = NextDenseStep();
        integrator.CopyDenseCoefficients(c);
        if (end != integrator.Time)
        {
            // y(θ) = Σ θ^j c_j over [t_k, t]; over [t_k, end] the variable is θ' = θ/r, r = (end − t_k)/(t − t_k): c'_j = c_j r^j.
            double r = (end - integrator.PreviousTime) / (integrator.Time - integrator.PreviousTime), rj = 1;
            for (int j = 1; j <= _degree; j++)
            {
                rj *= r;
                foreach (ref double v in c.Slice(j * _n, _n)) v *= rj;
            }
        }
        EndDenseStep(end);
    }

    /// <summary>
    /// The next dense step's coefficients, (degree + 1)·n values in <see cref="RungeKuttaIntegrator{TField}.CopyDenseCoefficients"/>'s
    /// layout, to fill and then keep with <see cref="EndDenseStep"/> (the whole solve in registers writes them itself).
    /// </summary>
    internal Span<double> NextDenseStep()
    {
        int stride = (_degree + 1) * _n;
        if (_steps + 2 > _stepTimes!.Length) Array.Resize(ref _stepTimes, 2 * _stepTimes.Length);
        int chunk = _steps / _stepsPerChunk;
        if (chunk == _chunkCount)
        {
            if (_chunkCount == _chunks!.Length) Array.Resize(ref _chunks, 2 * _chunks.Length);
            _chunks[_chunkCount++] = new double[_stepsPerChunk * stride];
        }
        return _chunks![chunk].AsSpan(_steps % _stepsPerChunk * stride, stride);
    }

    /// <summary>Keeps the coefficients written into <see cref="NextDenseStep"/> as the step that ends at <paramref name="end"/>.</summary>
    internal void EndDenseStep(double end) => _stepTimes![++_steps] = end;

    /// <summary>The located events, for the solve to add to.</summary>
    internal List<OdeEventOccurrence> EventList => _events ??= [];

    /// <summary>Records how the solve ended.</summary>
    internal void Finish(OdeStatus status, double time, ReadOnlySpan<double> state, in SolverStats stats)
    {
        Status = status;
        FinalTime = time;
        state.CopyTo(_finalState);
        Stats = stats;
    }

    private static string Format(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    /// <inheritdoc/>
    public override string ToString() => Message;
}
