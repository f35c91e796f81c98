using System.Runtime.InteropServices;
using OdeGen.Lanes;
using OdeGen.Solvers;

namespace OdeGen;

/// <summary>
/// What every sensitivity method does around its own algorithm, written once: the plain forward pass to the
/// observation times (restarting at each, so every y(t_i) is a step end point), handing those states to the inputs
/// (which keep them and evaluate a loss), the loss's time derivatives ∂L/∂t_i = ∂L/∂y(t_i)·f(t_i, y(t_i)), and the
/// result — NaN in every entry when a pass failed, so a failed gradient cannot pass for a small one — with the work of
/// every pass.
/// </summary>
/// <remarks>
/// <para>The methods differ in what they integrate forwards (the state alone, the state with its sensitivities, the state
/// with a tape of its steps) and in their backward passes; they share these pieces so that the rules above — where the
/// states are taken, how the times are differentiated, what a failure returns — cannot drift apart.</para>
/// <para>Who uses which piece: every method that stops at the observation times runs the one forward loop,
/// <see cref="SolveToObservations{TField, TRun, TSink}"/>: the back-solve adjoint and the discrete adjoint (recording its
/// tape through an <see cref="IStepObserver{TLane}"/>, as a lane block records for the ensemble gradients) on the plain
/// state, the interpolating adjoint through its checkpoints as well (and through events, ending a segment at each event
/// that stops or resets the solve), forward sensitivities on the state with its sensitivities (through events when there
/// are some), using each observation's sensitivities as they reach it. The passes that take their times from the dense
/// output run the other loop, <see cref="SolveThroughObservations{TField, TRun}"/>: the interpolating adjoint with
/// interpolated observations, and Ode.Jvp / Ode.Sensitivities with their save times (through events when there are some).
/// Both loops integrate an interval through an <see cref="IIntervalRun{TField}"/> (a restarted run, <see cref="PlainIntervals{TField}"/>;
/// through events, <see cref="ForwardIntervals{TSystem, TField}"/> or the interpolating adjoint's own), and
/// <see cref="DenseObservations"/> decides which step gives which time. Every gradient hands its states to
/// <see cref="Observe{TSystem}(in TSystem, GradientInputs, OdeStatus, ReadOnlySpan{double}, EvaluationCounter, ReadOnlySpan{bool})"/>
/// and its gradient to <see cref="Result"/> (or a workspace's Finish). Jvp and Sensitivities have no loss, so no ∂L/∂t_i:
/// their end-time terms (f(t1)·ṫ1, ∂y/∂t1) and NaN fills belong to their own result types.</para>
/// </remarks>
internal static class ObservationShell
{
    /// <summary>
    /// Solves the plain system from t0 through every observation time, restarting at each so y(t_i) is a step
    /// end point; writes y(t_i) into row i of <paramref name="ys"/>. See <see cref="SolveToObservations{TSystem}(IOdeIntegrator{SystemField{TSystem}}, in SystemField{TSystem}, ReadOnlySpan{double}, double, ReadOnlySpan{double}, double[], int, IStepObserver{Lane1}?, int[], ObservedEvents?)"/>.
    /// </summary>
    public static OdeStatus SolveToObservations<TSystem>(IOdeIntegrator<SystemField<TSystem>> integrator,
        in SystemField<TSystem> field, GradientInputs inputs, double[] ys, IStepObserver<Lane1>? observer = null, int[]? marks = null,
        ObservedEvents? events = null)
        where TSystem : struct, IOdeSystem =>
        SolveToObservations(integrator, field, inputs.Y0, inputs.T0, inputs.Times, ys, 0, observer, marks, events);

    /// <summary>
    /// The forward pass from (<paramref name="t0"/>, <paramref name="y0"/>) through <paramref name="times"/> (monotone away
    /// from t0; times[0] may equal t0), restarting the integrator at each time so y(t_i) is a step end point; writes y(t_i)
    /// into row i of <paramref name="ys"/> and stops at the first failure. Each restart gets the options' MaxSteps.
    /// </summary>
    /// <remarks>
    /// An <paramref name="observer"/> sees every accepted step (start time, signed size as the stages used it, start state) and is started once
    /// for the whole pass; <paramref name="marks"/> (times.Length long) then gets its <see cref="IStepObserver{TLane}.Count"/>
    /// at each times[i], so the steps before times[i] are its entries 0 … marks[i] − 1, as
    /// <c>LaneBlockSolver.SolveBlockThrough</c> marks a lane block's tape. Without one the integrator runs unobserved.
    /// <paramref name="events"/> (events that only observe the solution) sees every accepted step too.
    /// </remarks>
    public static OdeStatus SolveToObservations<TSystem>(IOdeIntegrator<SystemField<TSystem>> integrator,
        in SystemField<TSystem> field, ReadOnlySpan<double> y0, double t0, ReadOnlySpan<double> times, double[] ys, int offset = 0,
        IStepObserver<Lane1>? observer = null, int[]? marks = null, ObservedEvents? events = null)
        where TSystem : struct, IOdeSystem
    {
        observer?.Started();
        var run = new PlainIntervals<SystemField<TSystem>>(observer, events);
        var rows = new Rows(ys, offset, y0.Length, observer, marks);
        return SolveToObservations(integrator, field, y0, t0, times, ref run, ref rows);
    }

    /// <summary>
    /// The one forward loop of the gradients that stop at every observation time: from (<paramref name="t0"/>,
    /// <paramref name="x0"/>) through <paramref name="times"/> (monotone away from t0; times[0] may equal t0), one interval
    /// at a time (<paramref name="run"/>: restarting the integrator, or through events), handing the state at each time to
    /// <paramref name="sink"/>, which keeps what its method needs and owns the state the next interval starts from. Stops at
    /// the first failure. The integrated state may be augmented (forward sensitivities integrate y with its sensitivities).
    /// </summary>
    public static OdeStatus SolveToObservations<TField, TRun, TSink>(IOdeIntegrator<TField> integrator, in TField field,
        ReadOnlySpan<double> x0, double t0, ReadOnlySpan<double> times, ref TRun run, ref TSink sink)
        where TField : struct, IVectorField where TRun : struct, IIntervalRun<TField> where TSink : struct, IObservationSink
    {
        ReadOnlySpan<double> current = x0;
        double tPrev = t0;
        for (int i = 0; i < times.Length; i++)
        {
            double ti = times[i];
            if (ti != tPrev)
            {
                var none = default(DenseObservations);
                OdeStatus status = run.Run(integrator, field, current, tPrev, ti, ref none);
                if (status != OdeStatus.Success) return status;
                current = run.End(integrator);
                tPrev = ti;
            }
            current = sink.Reached(i, current);
        }
        return OdeStatus.Success;
    }

    /// <summary>
    /// The forward pass of a gradient that takes the observations from the dense output (the interpolating adjoint's
    /// <see cref="InterpolatingAdjointSensitivity.InterpolateObservations"/>): from <paramref name="bounds"/>[0] = t0 through
    /// every segment boundary, restarting at each and keeping the state there as row b of <paramref name="states"/> (row 0
    /// must hold y0), and writing y(times[i]) into row i of <paramref name="ys"/> from the step that reaches or crosses it.
    /// Times equal to t0 take y0. Returns the status of the first segment that failed, or Success.
    /// </summary>
    public static OdeStatus SolveThroughObservations<TField>(IOdeIntegrator<TField> integrator, in TField field,
        ReadOnlySpan<double> bounds, ReadOnlySpan<double> times, double direction, Span<double> states, Span<double> ys)
        where TField : struct, IVectorField
    {
        var run = new PlainIntervals<TField>(null);
        return SolveThroughObservations(integrator, field, bounds, times, direction, states, ys, ref run);
    }

    /// <summary>
    /// The one forward loop of the passes that take their observations from the dense output: the interpolated observations
    /// above, and <c>Ode.Jvp</c> / <c>Ode.Sensitivities</c> with their save times (bounds = [t0, t1]). From
    /// <paramref name="bounds"/>[0] through every boundary, one segment at a time (<paramref name="run"/>: a restarted run,
    /// or through events), keeping the state where each segment ends as row b of <paramref name="states"/> (row 0 must hold
    /// the initial state; rows are the integrator's dimension long), and writing the state at times[i] into row i of
    /// <paramref name="ys"/> as the steps reach it (<see cref="DenseObservations"/>). Times equal to bounds[0] take row 0.
    /// Returns the status of the first segment that failed, or Success.
    /// </summary>
    public static OdeStatus SolveThroughObservations<TField, TRun>(IOdeIntegrator<TField> integrator, in TField field,
        ReadOnlySpan<double> bounds, ReadOnlySpan<double> times, double direction, Span<double> states, Span<double> ys, ref TRun run)
        where TField : struct, IVectorField where TRun : struct, IIntervalRun<TField>
    {
        int n = integrator.State.Length;
        var observations = new DenseObservations(times, direction, ys, n);
        observations.At(bounds[0], states[..n]);
        OdeStatus status = OdeStatus.Success;
        for (int b = 1; b < bounds.Length && status == OdeStatus.Success; b++)
        {
            status = run.Run(integrator, field, states.Slice((b - 1) * n, n), bounds[b - 1], bounds[b], ref observations);
            run.End(integrator).CopyTo(states.Slice(b * n, n));
        }
        return status;
    }

    /// <summary>
    /// The forward pass has ended with <paramref name="status"/>, with y(t_i) in row i of <paramref name="ys"/>. On success
    /// the inputs get the states (<see cref="GradientInputs.Observe"/>: kept for the result and, with a loss, ∂L/∂y
    /// computed from them), and the result is ∂L/∂t_i = ∂L/∂y(t_i)·f(t_i, y(t_i)) for every i, from the forward pass's
    /// states (more accurate than any state a backward pass re-creates), one counted evaluation of f each; zero where
    /// <paramref name="held"/>[i] (after a terminal event the state is held, so moving t_i changes nothing). On failure:
    /// zeros, which <see cref="Result"/> turns into NaN.
    /// </summary>
    public static double[] Observe<TSystem>(in TSystem system, GradientInputs inputs, OdeStatus status, ReadOnlySpan<double> ys,
        EvaluationCounter counter, ReadOnlySpan<bool> held = default) where TSystem : struct, IOdeSystem
    {
        var gTimes = new double[inputs.Count];
        Observe(system, inputs, status, ys, counter, gTimes, new double[inputs.StateCount], held);
        return gTimes;
    }

    /// <summary>
    /// <see cref="Observe{TSystem}(in TSystem, GradientInputs, OdeStatus, ReadOnlySpan{double}, EvaluationCounter, ReadOnlySpan{bool})"/>
    /// into a workspace's buffers: ∂L/∂t_i into <paramref name="gTimes"/> (zero on entry), f in <paramref name="f"/> (n long).
    /// </summary>
    public static void Observe<TSystem>(in TSystem system, GradientInputs inputs, OdeStatus status, ReadOnlySpan<double> ys,
        EvaluationCounter counter, Span<double> gTimes, Span<double> f, ReadOnlySpan<bool> held = default) where TSystem : struct, IOdeSystem
    {
        Observe(inputs, status, ys);
        if (status != OdeStatus.Success) return;
        int n = inputs.StateCount;
        for (int i = 0; i < gTimes.Length; i++)
        {
            if (!held.IsEmpty && held[i]) continue;
            counter.Function++;
            system.Evaluate(inputs.Times[i], ys.Slice(i * n, n), inputs.P, f);
            gTimes[i] = Dot(inputs.DLdyRow(i), f);
        }
    }

    /// <summary>
    /// <see cref="Observe{TSystem}(in TSystem, GradientInputs, OdeStatus, ReadOnlySpan{double}, EvaluationCounter, ReadOnlySpan{bool})"/>
    /// for a method that differentiates the observation times itself (the discrete adjoint, through its steps' sizes):
    /// hands the states to the inputs on success; ∂L/∂t_i is the method's to fill.
    /// </summary>
    public static void Observe(GradientInputs inputs, OdeStatus status, ReadOnlySpan<double> ys)
    {
        if (status == OdeStatus.Success) inputs.Observe(ys);
    }

    /// <summary>The gradient of a computation that ended with <paramref name="status"/>: every entry NaN unless it succeeded.</summary>
    public static OdeGradient Result(double[] gY0, double[] gP, double gT0, double[] gTimes, GradientStats stats, OdeStatus status, Sensitivity sensitivity)
    {
        if (status != OdeStatus.Success)
        {
            Array.Fill(gY0, double.NaN);
            Array.Fill(gP, double.NaN);
            Array.Fill(gTimes, double.NaN);
            gT0 = double.NaN;
        }
        return new OdeGradient(gY0, gP, gT0, gTimes, stats, status, sensitivity);
    }

    /// <summary>Σ a_i·b_i in index order.</summary>
    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }
}

/// <summary>
/// How the shell's loops (<see cref="ObservationShell.SolveToObservations{TField, TRun, TSink}"/>,
/// <see cref="ObservationShell.SolveThroughObservations{TField, TRun}"/>) integrate one interval: a restarted run, or a run
/// through events.
/// </summary>
internal interface IIntervalRun<TField> where TField : struct, IVectorField
{
    /// <summary>
    /// Integrates from (<paramref name="from"/>, <paramref name="start"/>) to <paramref name="to"/>, handing every step to
    /// <paramref name="observations"/> (empty in the loop that stops at each observation time).
    /// </summary>
    OdeStatus Run(IOdeIntegrator<TField> integrator, in TField field, ReadOnlySpan<double> start, double from, double to,
        ref DenseObservations observations);

    /// <summary>The state where the last <see cref="Run"/> ended.</summary>
    ReadOnlySpan<double> End(IOdeIntegrator<TField> integrator);
}

/// <summary>
/// The observation times of a pass that takes them from the dense output, and where their states go: the rule for which
/// step gives which time, written once. A time inside a step is interpolated, a time on a step's end copies the state.
/// The default value has no times (every call does nothing).
/// </summary>
internal ref struct DenseObservations(ReadOnlySpan<double> times, double direction, Span<double> rows, int width)
{
    private readonly ReadOnlySpan<double> _times = times;
    private readonly Span<double> _rows = rows;
    private int _next;

    /// <summary>True when there are no times (the loop that stops at each observation time).</summary>
    public readonly bool IsEmpty => _times.IsEmpty;

    /// <summary>
    /// The integrator has taken a step: every time before <paramref name="t"/> (and at it, when <paramref name="inclusive"/>)
    /// gets its state from that step. <paramref name="t"/> is the step's end, or an event's time inside it (the times after
    /// the event belong to the integration that follows it).
    /// </summary>
    public void Through<TField>(IOdeIntegrator<TField> integrator, double t, bool inclusive) where TField : struct, IVectorField
    {
        for (; _next < _times.Length && (inclusive ? (_times[_next] - t) * direction <= 0 : (_times[_next] - t) * direction < 0); _next++)
        {
            Span<double> row = _rows.Slice(_next * width, width);
            if (_times[_next] == integrator.Time) integrator.State.CopyTo(row);
            else integrator.Interpolate(_times[_next], row);
        }
    }

    /// <summary>Every next time equal to <paramref name="t"/> gets <paramref name="x"/> (the start, or the state after a reset at t).</summary>
    public void At(double t, ReadOnlySpan<double> x)
    {
        for (; _next < _times.Length && _times[_next] == t; _next++) x.CopyTo(_rows.Slice(_next * width, width));
    }

    /// <summary>Every remaining time gets <paramref name="x"/> (the state held after a terminal event).</summary>
    public void Hold(ReadOnlySpan<double> x)
    {
        for (; _next < _times.Length; _next++) x.CopyTo(_rows.Slice(_next * width, width));
    }
}

/// <summary>What <see cref="ObservationShell.SolveToObservations{TField, TRun, TSink}"/> does with the state at each observation time.</summary>
internal interface IObservationSink
{
    /// <summary>The state at times[<paramref name="i"/>], a step end point: keep what is needed; return a copy the sink owns, from which the next interval starts.</summary>
    ReadOnlySpan<double> Reached(int i, ReadOnlySpan<double> x);
}

/// <summary>
/// An interval as one restarted run of the integrator, every accepted step shown to the observer if there is one, to the
/// events that only observe the solution if there are some, and to the observations.
/// </summary>
internal readonly struct PlainIntervals<TField>(IStepObserver<Lane1>? observer, ObservedEvents? events = null) : IIntervalRun<TField>
    where TField : struct, IVectorField
{
    public ReadOnlySpan<double> End(IOdeIntegrator<TField> integrator) => integrator.State;

    public OdeStatus Run(IOdeIntegrator<TField> integrator, in TField field, ReadOnlySpan<double> start, double from, double to,
        ref DenseObservations observations)
    {
        integrator.Reset(field, start, from, to);
        if (observer is null && events is null && observations.IsEmpty) return integrator.Run();
        while (integrator.Step())
        {
            events?.Stepped(integrator);
            // The h the stages used, not Time − PreviousTime (which differs from it in the last bits where t has fewer to
            // spare): a replay of the record (the discrete adjoint's) then recomputes the forward pass's stages bit for bit.
            observer?.Accepted(integrator.PreviousTime, integrator.LastStep, MemoryMarshal.Cast<double, Lane1>(integrator.PreviousState));
            observations.Through(integrator, integrator.Time, inclusive: true);
        }
        return integrator.Status;
    }
}

/// <summary>
/// An interval as one restarted run of the integrator (the same steps as <see cref="PlainIntervals{TField}"/>), every accepted
/// step's dense output added to a record (the interpolating adjoint's forward pass when it keeps the whole trajectory). When
/// the record would pass <paramref name="capacity"/> steps the run stops: <see cref="Overflowed"/> is set and the status is
/// <see cref="OdeStatus.MaxStepsExceeded"/>, which ends the shell's loop.
/// </summary>
internal struct RecordingIntervals<TField>(DenseSegment record, int capacity) : IIntervalRun<TField> where TField : struct, IVectorField
{
    /// <summary>True once a run stopped because the record was full.</summary>
    public bool Overflowed { get; private set; }

    public readonly ReadOnlySpan<double> End(IOdeIntegrator<TField> integrator) => integrator.State;

    public OdeStatus Run(IOdeIntegrator<TField> integrator, in TField field, ReadOnlySpan<double> start, double from, double to,
        ref DenseObservations observations)
    {
        integrator.Reset(field, start, from, to);
        while (integrator.Step())
        {
            if (record.Count >= capacity)
            {
                Overflowed = true;
                return OdeStatus.MaxStepsExceeded;
            }
            record.Add(integrator);
            observations.Through(integrator, integrator.Time, inclusive: true);
        }
        return integrator.Status;
    }
}

/// <summary>Keeps y(t_i) as row i of a matrix from an offset in its array (and the observer's step count at each time in the marks).</summary>
internal readonly struct Rows(double[] ys, int offset, int n, IStepObserver<Lane1>? observer, int[]? marks) : IObservationSink
{
    public ReadOnlySpan<double> Reached(int i, ReadOnlySpan<double> x)
    {
        Span<double> row = ys.AsSpan(offset + (i * n), n);
        x.CopyTo(row);
        if (observer is not null) marks![i] = observer.Count;
        return row;
    }
}
