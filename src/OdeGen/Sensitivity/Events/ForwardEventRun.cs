using OdeGen.Solvers;

namespace OdeGen;

/// <summary>
/// Drives a forward augmented integration x = [y; s] (s: n × cols, one direction per column) through the events of the
/// options: locates each crossing on the dense output of [y; s], differentiates its time, and at a terminal event or a reset
/// applies the jump of <see cref="EventJump"/> to s (and h to y) before stopping or restarting the integrator. Serves
/// <c>Ode.Jvp</c> (cols = 1), <c>Ode.Sensitivities</c> and the forward gradient (cols = n + m).
/// </summary>
/// <remarks>Allocates per event occurrence (its states and derivatives, which the results keep); nothing per step.</remarks>
internal sealed class ForwardEventRun<TSystem> where TSystem : struct, IOdeSystem
{
    private readonly TSystem _system;
    private readonly double[] _p, _pSeed, _yPlus, _x;
    private readonly EventLocator _locator;
    private readonly EventJump _jump;
    private readonly int _n, _cols;

    /// <param name="system">The dynamics.</param>
    /// <param name="p">θ.</param>
    /// <param name="events">The events (checked by <see cref="EventJump.Require"/>).</param>
    /// <param name="interiorPoints">The points inside each step the events are checked at (<see cref="SolverOptions.EventInteriorPoints"/>).</param>
    /// <param name="cols">Directions in s.</param>
    /// <param name="pSeed">θ's direction of each column, m × cols row-major (empty: none).</param>
    public ForwardEventRun(in TSystem system, double[] p, IReadOnlyList<OdeEvent> events, int interiorPoints, int cols, double[] pSeed)
    {
        _system = system;
        _p = p;
        _n = system.StateCount;
        _cols = cols;
        _pSeed = pSeed;
        _locator = new EventLocator(events, interiorPoints, _n, _n + _n * cols);
        _jump = new EventJump(_n, system.ParameterCount);
        _yPlus = new double[_n];
        _x = new double[_n + _n * cols];
    }

    /// <summary>Every located event, in time order.</summary>
    public List<OdeEventOccurrence> Occurrences { get; } = [];

    /// <summary>dτ of each occurrence along each column (cols long; NaN for a grazing event that neither stops nor resets).</summary>
    public List<double[]> TimeDerivatives { get; } = [];

    /// <summary>The derivative of each occurrence's state y(τ) (before a reset) along each column: s⁻ + f⁻·dτ, n × cols.</summary>
    public List<double[]> StateDerivatives { get; } = [];

    /// <summary>True once a terminal event has stopped the run; the state is held from then on.</summary>
    public bool Terminated { get; private set; }

    /// <summary>The time of the terminal event.</summary>
    public double TerminalTime { get; private set; }

    /// <summary>True when an observation at <paramref name="t"/> sees the held state (at or after the terminal event).</summary>
    public bool IsHeld(double t, double direction) => Terminated && (t - TerminalTime) * direction >= 0;

    public void Start(double t0, ReadOnlySpan<double> x0) => _locator.Start(t0, x0);

    /// <summary>
    /// Integrates x from <paramref name="from"/> to <paramref name="to"/> (x is updated in place), handing every step to
    /// <paramref name="observations"/> up to the event it stops at, if any (the times at a reset get the state after it).
    /// After a terminal event x is held and every remaining observation time gets it. Returns the status
    /// (<see cref="OdeStatus.GrazingEvent"/> for a crossing whose time has no derivative).
    /// </summary>
    public OdeStatus Run<TField>(IOdeIntegrator<TField> stepper, in TField field, Span<double> x, double from, double to,
        ref DenseObservations observations) where TField : struct, IJacobianField
    {
        int n = _n;
        if (Terminated)
        {
            observations.Hold(x);
            return OdeStatus.Success;
        }
        stepper.Reset(field, x, from, to);
        while (stepper.Step())
        {
            int before = Occurrences.Count;
            int fired = _locator.Check(stepper, Occurrences);
            observations.Through(stepper, fired >= 0 ? _locator.StopTime : stepper.Time, inclusive: fired < 0);
            // Crossings that neither stop nor reset: only their times are differentiated, from the dense output of [y; s].
            int passive = Occurrences.Count - (fired >= 0 ? 1 : 0);
            for (int q = before; q < passive; q++)
            {
                OdeEventOccurrence o = Occurrences[q];
                if (o.Time == stepper.Time) stepper.State.CopyTo(_x);
                else stepper.Interpolate(o.Time, _x);
                Record(o, _x, [], jump: false);
            }
            if (fired < 0) continue;

            double t = _locator.StopTime;
            Span<double> xs = _locator.StopState;
            OdeEventOccurrence occurrence = Occurrences[^1];
            OdeEvent ev = occurrence.Event;
            if (ev.Terminal)
            {
                if (!Record(occurrence, xs, [], jump: true)) return OdeStatus.GrazingEvent;
                xs.CopyTo(x);
                Terminated = true;
                TerminalTime = t;
                observations.Hold(x);
                return OdeStatus.Success;
            }
            ev.Reset!.Map(xs[..n], _p, _yPlus);
            occurrence.SetStateAfter(_yPlus.ToArray());
            if (!Record(occurrence, xs, _yPlus, jump: true)) return OdeStatus.GrazingEvent;
            _yPlus.CopyTo(xs[..n]);
            observations.At(t, xs);
            stepper.Restart(t, xs);
            _locator.Restart(t, xs, fired);
        }
        if (stepper.Status == OdeStatus.Success) stepper.State.CopyTo(x);
        return stepper.Status;
    }

    // Differentiates the occurrence's time along every column of x = [y⁻; s⁻] and, with jump, applies the event to s.
    // False when the crossing is grazing and the event changes the solution (a passive one gets NaN derivatives instead).
    private bool Record(OdeEventOccurrence occurrence, Span<double> x, ReadOnlySpan<double> yPlus, bool jump)
    {
        int n = _n, cols = _cols;
        var tau = new double[cols];
        var stateDerivative = new double[n * cols];
        bool ok = _jump.Prepare(_system, _p, occurrence.Event, occurrence.Time, x[..n], yPlus, occurrence.MeanSlope);
        TimeDerivatives.Add(tau);
        StateDerivatives.Add(stateDerivative);
        if (!ok)
        {
            Array.Fill(tau, double.NaN);
            Array.Fill(stateDerivative, double.NaN);
            return !jump;
        }
        Span<double> s = x[n..];
        _jump.Forward(s, cols, _pSeed, tau, jump: false);
        ReadOnlySpan<double> f = _jump.FMinus;
        for (int i = 0; i < n; i++)
            for (int c = 0; c < cols; c++) stateDerivative[i * cols + c] = s[i * cols + c] + f[i] * tau[c];
        if (jump) _jump.Forward(s, cols, _pSeed, tau, jump: true);
        return true;
    }
}

/// <summary>
/// An interval of a forward augmented integration for the observation shell's loops: through the events of a
/// <see cref="ForwardEventRun{TSystem}"/> when there is one (the state continues from, and ends in, <paramref name="x"/>),
/// otherwise one restarted run.
/// </summary>
internal readonly struct ForwardIntervals<TSystem, TField>(ForwardEventRun<TSystem>? events, double[] x) : IIntervalRun<TField>
    where TSystem : struct, IOdeSystem where TField : struct, IJacobianField
{
    public OdeStatus Run(IOdeIntegrator<TField> integrator, in TField field, ReadOnlySpan<double> start, double from, double to,
        ref DenseObservations observations)
    {
        if (events is null) return new PlainIntervals<TField>(null).Run(integrator, field, start, from, to, ref observations);
        // The events' run continues from x (start is x, or a copy of it) and leaves the state there, after a reset or a terminal event too.
        start.CopyTo(x);
        return events.Run(integrator, field, x, from, to, ref observations);
    }

    public ReadOnlySpan<double> End(IOdeIntegrator<TField> integrator) => events is null ? integrator.State : x;
}
