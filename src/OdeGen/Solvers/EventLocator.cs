using OdeGen.Solvers;

namespace OdeGen;

/// <summary>
/// Evaluates the events after each step and locates crossings on the step's dense output. The integrated state may be
/// augmented (a state with its sensitivities): the events see its first <c>stateCount</c> components.
/// </summary>
/// <remarks>
/// Each event's g is compared at the step's ends and at <see cref="SolverOptions.EventInteriorPoints"/> equally spaced
/// points inside it, so a crossing and its return within one step are found. Every caller that locates events (Ode.Solve,
/// the forward sensitivities' event run, the gradients' forward passes) goes through <see cref="Check"/>. All scratch is
/// allocated here: a step allocates only the occurrences it finds.
/// </remarks>
internal sealed class EventLocator
{
    /// <summary>The default of <see cref="SolverOptions.EventInteriorPoints"/>.</summary>
    public const int DefaultInteriorPoints = 8;
    /// <summary>The largest <see cref="SolverOptions.EventInteriorPoints"/> accepted.</summary>
    public const int MaxInteriorPoints = 1000;
    private const int MaxIterations = 200;
    private readonly OdeEvent[] _events;
    private readonly double[] _gPrev, _gNew, _x, _hitTimes, _hitBefore, _hitSlopes, _stop, _sampleTimes, _samples;
    private readonly double[] _partStart, _partEnd, _partG;   // the parts of the step in which one event crosses
    private double[] _coefficients = [];                       // the dense output of the step, for the interior points
    private readonly int[] _hits;
    private readonly int _n, _interior;
    private readonly bool _anySampled;
    private int _hitCount;
    // How far from zero g may be on the surface of the event Check stopped at: the residual of the located crossing and the
    // move of g over a few ulps of t at the mean slope across the part of the step that held it, with room for the rounding
    // of g itself.
    private double _stopResidual;

    public EventLocator(IReadOnlyList<OdeEvent> events, int interiorPoints, int stateCount, int dimension)
    {
        _events = [.. events];
        for (int i = 0; i < _events.Length; i++)
        {
            if (_events[i] is null) throw new ArgumentException($"Events[{i}] is null.", "options");
            // The factory cannot know the size; its condition read y[component] out of range (an IndexOutOfRangeException).
            if (_events[i].Component >= stateCount)
                throw new ArgumentException(
                    $"Events[{i}] ({_events[i]}) reads state component {_events[i].Component}, but the system has StateCount {stateCount}.", "options");
            _anySampled |= !_events[i].MonotoneInTime;
        }
        if (interiorPoints is < 0 or > MaxInteriorPoints)
            throw new ArgumentException(
                $"EventInteriorPoints must lie in [0, {MaxInteriorPoints}], not {interiorPoints}: it is how many points inside each step the events are checked at (0: the step's ends only).", "options");
        _n = stateCount;
        _interior = interiorPoints;
        int e = _events.Length, hits = e * (interiorPoints + 1);   // at most one crossing per event in each part of the step
        _gPrev = new double[e];
        _gNew = new double[e];
        _hitTimes = new double[hits];
        _hitBefore = new double[hits];
        _hitSlopes = new double[hits];
        _hits = new int[hits];
        _sampleTimes = new double[interiorPoints];
        _samples = new double[interiorPoints * e];
        _partStart = new double[interiorPoints + 1];
        _partEnd = new double[interiorPoints + 1];
        _partG = new double[2 * (interiorPoints + 1)];
        _x = new double[dimension];
        _stop = new double[dimension];
    }

    /// <summary>The events, in the order of <see cref="SolverOptions.Events"/>.</summary>
    public IReadOnlyList<OdeEvent> Events => _events;

    /// <summary>The time of the event that <see cref="Check"/> stopped at.</summary>
    public double StopTime { get; private set; }

    /// <summary>The (augmented) state at <see cref="StopTime"/>, from the step's dense output: y⁻ for a reset event.</summary>
    public Span<double> StopState => _stop;

    /// <summary>The occurrence <see cref="Check"/> stopped at.</summary>
    public OdeEventOccurrence? StopOccurrence { get; private set; }

    public void Start(double t0, ReadOnlySpan<double> x0)
    {
        for (int i = 0; i < _events.Length; i++) _gPrev[i] = Evaluate(i, t0, x0);
    }

    // g of event i at an accepted state. NaN has no sign, so no crossing could be seen: an event whose condition returned NaN
    // never fired, and the solve reported Success without it. (Inside Locate a NaN only moves the bracket.)
    private double Evaluate(int i, double t, ReadOnlySpan<double> x)
    {
        double g = _events[i].Condition(t, x[.._n]);
        if (double.IsNaN(g))
            throw new ArgumentException(FormattableString.Invariant(
                $"Events[{i}] ({_events[i]}): its condition returned NaN at t = {t}. An event's g must be a number (±∞ counts by its sign) at every accepted state, or its crossings cannot be found; check it where the state leaves its domain."), "options");
        return g;
    }

    /// <summary>
    /// After a reset at <paramref name="t"/>: g at the new state, except the event that fired when the reset left the state on
    /// its surface (|g(t, y⁺)| within the precision the crossing was located to: a bounce that keeps the height, a dose at a
    /// time): it counts as zero there, so the restart on its surface is not a crossing of its own and cannot fire again at
    /// once. A reset that moves the state off the surface keeps its g(t, y⁺), so a crossing back within the first step after
    /// the restart is found as a later one is (counted as zero it was missed, and which crossings a solve found depended on
    /// the size of that step: Ode.Solve and a sensitivity's pass, whose steps differ, reported different events and solutions).
    /// The other events that stop or reset and crossed at that same time keep g from before their crossing (the start of the
    /// part of the step it was found in), so the next step finds their crossing (within a few ulps of t) and they fire too.
    /// Evaluated at the restart they would read zero or their far side, no crossing, and two resets due at one time (two
    /// doses at t = 1) applied only the first.
    /// </summary>
    public void Restart(double t, ReadOnlySpan<double> x, int fired)
    {
        Start(t, x);
        if (!(Math.Abs(_gPrev[fired]) > _stopResidual)) _gPrev[fired] = 0.0;
        for (int k = 0; k < _hitCount; k++)
        {
            int i = _hits[k];
            OdeEvent ev = _events[i];
            if (i != fired && _hitTimes[k] == t && (ev.Terminal || ev.Reset is not null)) _gPrev[i] = _hitBefore[k];
        }
    }

    /// <summary>
    /// Looks for crossings in the integrator's last step and adds them to <paramref name="sink"/> in time order, up to and
    /// including the first that is terminal or has a reset (later crossings in the step belong to a trajectory that the
    /// stop or the reset replaces). g is compared at the step's ends and at the interior points, in order: each sign change
    /// between neighbours is a crossing, located inside that part of the step, so an event can cross more than once in a
    /// step (an event that stops or resets counts its first only). A lone crossing that the step's ends show too is located
    /// across the whole step, as before there were interior points. Returns that event's index, with <see cref="StopTime"/>,
    /// <see cref="StopState"/> and <see cref="StopOccurrence"/>, or −1. Allocates the state of each occurrence.
    /// </summary>
    public int Check(IOdeIntegrator integrator, List<OdeEventOccurrence> sink)
    {
        double tPrev = integrator.PreviousTime, t = integrator.Time;
        double direction = t >= tPrev ? 1.0 : -1.0;
        ReadOnlySpan<double> state = integrator.State;
        _hitCount = 0;
        int points = Sample(integrator, tPrev, t);
        for (int i = 0; i < _events.Length; i++)
        {
            double g1 = Evaluate(i, t, state);
            _gNew[i] = g1;
            OdeEvent ev = _events[i];
            bool stops = ev.Terminal || ev.Reset is not null;
            int last = ev.MonotoneInTime ? 0 : points, found = 0;
            // The parts [a, b] of the step between neighbouring points, in time order (the last ends at the step's end); each
            // sign change between a part's ends is a crossing in it.
            double a = tPrev, ga = _gPrev[i];
            for (int j = 0; j <= last; j++)
            {
                double b = j < last ? _sampleTimes[j] : t, gb = j < last ? _samples[j * _events.Length + i] : g1;
                // NaN has no sign: an interior point where the dense output leaves g's domain widens the part around it.
                if (double.IsNaN(gb)) continue;
                if (Crosses(ev.Direction, ga, gb))
                {
                    _partStart[found] = a;
                    _partEnd[found] = b;
                    _partG[2 * found] = ga;
                    _partG[2 * found + 1] = gb;
                    found++;
                }
                a = b;
                ga = gb;
            }
            if (found == 1 && Crosses(ev.Direction, _gPrev[i], g1))
            {
                // One crossing, which the step's ends show as well: it is located across the whole step, as a check of the ends
                // alone would, so the points inside change no event that such a check finds (to the bit).
                double root = g1 == 0 ? t : Locate(ev.Condition, integrator, tPrev, _gPrev[i], t, g1);
                Insert(i, root, _gPrev[i], (g1 - _gPrev[i]) / (t - tPrev), direction);
                continue;
            }
            // Each crossing in its own part; one that stops or resets the solve needs its first only.
            for (int k = 0; k < (stops ? Math.Min(found, 1) : found); k++)
            {
                double pa = _partStart[k], pb = _partEnd[k], pga = _partG[2 * k], pgb = _partG[2 * k + 1];
                double root = pgb == 0 ? pb : Locate(ev.Condition, integrator, pa, pga, pb, pgb);
                Insert(i, root, pga, (pgb - pga) / (pb - pa), direction);
            }
        }
        StopOccurrence = null;
        int stopped = -1;
        for (int k = 0; k < _hitCount && stopped < 0; k++)
        {
            int i = _hits[k];
            double time = _hitTimes[k];
            OdeEvent ev = _events[i];
            bool stops = ev.Terminal || ev.Reset is not null;
            Span<double> x = stops ? _stop : _x;
            if (time == t) state.CopyTo(x);
            else integrator.Interpolate(time, x);
            double slope = _hitSlopes[k];
            var occurrence = new OdeEventOccurrence(i, ev, time, x[.._n].ToArray()) { MeanSlope = slope };
            sink.Add(occurrence);
            if (!stops) continue;
            StopTime = time;
            StopOccurrence = occurrence;
            stopped = i;
            double residual = ev.Condition(time, x[.._n]);
            _stopResidual = 8 * Math.Max(double.IsFinite(residual) ? Math.Abs(residual) : 0, Math.Abs(slope) * 4 * Ulp(Math.Abs(time)))
                + 1e-12 * (Math.Abs(_gPrev[i]) + Math.Abs(_gNew[i]));
        }
        _gNew.AsSpan().CopyTo(_gPrev);
        return stopped;
    }

    // g of every event that is not monotone in t at the interior points of the step (row j: the events at _sampleTimes[j]),
    // from the step's dense output; returns how many points there are (0 for a step of no length or when no event needs
    // them). The dense output's polynomial is copied once per step and evaluated by Horner for the events' components only:
    // through Interpolate each point cost a call that rebuilt its weights and filled the whole (augmented) state. The points
    // only look for signs; a crossing is located through Interpolate. A NaN is kept: it has no sign, and Check skips it.
    private int Sample(IOdeIntegrator integrator, double tPrev, double t)
    {
        int points = _interior;
        if (points == 0 || !_anySampled || t == tPrev) return 0;
        int e = _events.Length, n = _n, dimension = _x.Length, terms = integrator.DenseDegree + 1;
        if (_coefficients.Length < terms * dimension) _coefficients = new double[terms * dimension];   // on the first step only
        integrator.CopyDenseCoefficients(_coefficients);
        ReadOnlySpan<double> c = _coefficients;
        Span<double> y = _x.AsSpan(0, n);
        double h = t - tPrev;
        for (int j = 0; j < points; j++)
        {
            double theta = (j + 1.0) / (points + 1), tj = tPrev + h * theta;
            _sampleTimes[j] = tj;
            for (int q = 0; q < n; q++)
            {
                double acc = c[(terms - 1) * dimension + q];
                for (int k = terms - 2; k >= 0; k--) acc = acc * theta + c[k * dimension + q];
                y[q] = acc;
            }
            for (int i = 0; i < e; i++)
                _samples[j * e + i] = _events[i].MonotoneInTime ? 0 : _events[i].Condition(tj, y);
        }
        return points;
    }

    // Adds a crossing of event i at root, keeping the list in time order: g before it (the start of its part of the step),
    // and the mean slope of g across that part, the scale against which its own slope is judged grazing and whose sign is
    // the crossing's.
    private void Insert(int i, double root, double before, double slope, double direction)
    {
        int k = _hitCount++;
        while (k > 0 && direction * (_hitTimes[k - 1] - root) > 0)
        {
            _hitTimes[k] = _hitTimes[k - 1];
            _hitBefore[k] = _hitBefore[k - 1];
            _hitSlopes[k] = _hitSlopes[k - 1];
            _hits[k] = _hits[k - 1];
            k--;
        }
        _hitTimes[k] = root;
        _hitBefore[k] = before;
        _hitSlopes[k] = slope;
        _hits[k] = i;
    }

    private static bool Crosses(EventDirection direction, double g0, double g1)
    {
        bool rising = g0 < 0 && g1 >= 0, falling = g0 > 0 && g1 <= 0;
        return direction switch
        {
            EventDirection.Rising => rising,
            EventDirection.Falling => falling,
            _ => rising || falling,
        };
    }

    // Illinois (modified regula falsi) on g(t, y(t)) with y from the step's dense output, keeping a bracket
    // [a, b] with a on the side before the crossing and b after it; a bisection replaces any iteration that does
    // not halve the bracket relative to two iterations earlier, so convergence is never slower than bisection.
    // Returns b, the end after the crossing, once the bracket is within a few ulps of t.
    private double Locate(EventCondition g, IOdeIntegrator integrator, double a, double ga, double b, double gb)
    {
        int lastSide = 0;
        double width = Math.Abs(b - a), widthBefore = 2 * width;
        for (int iteration = 0; iteration < MaxIterations; iteration++)
        {
            double tol = 4 * Ulp(Math.Max(Math.Abs(a), Math.Abs(b)));
            if (Math.Abs(b - a) <= tol) break;
            double c = b - gb * (b - a) / (gb - ga);
            bool slow = iteration % 2 == 0 && Math.Abs(b - a) > 0.5 * widthBefore;
            if (slow || !(Math.Min(a, b) < c && c < Math.Max(a, b))) c = 0.5 * (a + b);
            if (iteration % 2 == 0) widthBefore = Math.Abs(b - a);
            integrator.Interpolate(c, _x);
            double gc = g(c, _x.AsSpan(0, _n));
            // Only NaN is signless. ±∞ has the side of its sign: taken as the side after the crossing like NaN, a g that is −∞
            // before its crossing (log y, a pole) had its bracket pulled back to the step's start, and the event was reported
            // there, a step early, with Success.
            if (double.IsNaN(gc)) { c = 0.5 * (a + b); integrator.Interpolate(c, _x); gc = g(c, _x.AsSpan(0, _n)); }
            if (gc == 0 || Math.Sign(gc) == Math.Sign(gb) || double.IsNaN(gc))
            {
                b = c; gb = gc;
                if (gc == 0) break;
                if (lastSide == 1) ga *= 0.5;
                lastSide = 1;
            }
            else
            {
                a = c; ga = gc;
                if (lastSide == -1) gb *= 0.5;
                lastSide = -1;
            }
        }
        return b;
    }

    private static double Ulp(double x) => Math.BitIncrement(x) - x;
}
