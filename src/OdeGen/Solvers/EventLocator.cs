using OdeGen.Solvers;

namespace OdeGen;

/// <summary>Evaluates the events after each step and locates crossings on the step's dense output.</summary>
internal sealed class EventLocator
{
    private const int MaxIterations = 200;
    private readonly OdeEvent[] _events;
    private readonly double[] _gPrev, _gNew, _y, _hitTimes;
    private readonly int[] _hits;
    private int _hitCount;

    public EventLocator(IReadOnlyList<OdeEvent> events, int dimension)
    {
        _events = [.. events];
        for (int i = 0; i < _events.Length; i++)
            if (_events[i] is null) throw new ArgumentException($"Events[{i}] is null.", "options");
        _gPrev = new double[_events.Length];
        _gNew = new double[_events.Length];
        _hitTimes = new double[_events.Length];
        _hits = new int[_events.Length];
        _y = new double[dimension];
    }

    public void Start(double t0, ReadOnlySpan<double> y0)
    {
        for (int i = 0; i < _events.Length; i++) _gPrev[i] = _events[i].Condition(t0, y0);
    }

    /// <summary>
    /// Looks for crossings in the integrator's last step and adds them to the solution in time order, up to and including
    /// the first terminal one; returns true (with its time and state) when a terminal event was found.
    /// </summary>
    public bool Check(IOdeIntegrator integrator, OdeSolution solution, out double stopTime, out double[]? stopState)
    {
        stopTime = integrator.Time;
        stopState = null;
        double tPrev = integrator.PreviousTime, t = integrator.Time;
        double direction = t >= tPrev ? 1.0 : -1.0;
        _hitCount = 0;
        for (int i = 0; i < _events.Length; i++)
        {
            double g0 = _gPrev[i], g1 = _events[i].Condition(t, integrator.State);
            _gNew[i] = g1;
            if (!Crosses(_events[i].Direction, g0, g1)) continue;
            double root = g1 == 0 ? t : Locate(_events[i].Condition, integrator, tPrev, g0, t, g1);
            // Insert in time order.
            int k = _hitCount++;
            while (k > 0 && direction * (_hitTimes[k - 1] - root) > 0)
            {
                _hitTimes[k] = _hitTimes[k - 1];
                _hits[k] = _hits[k - 1];
                k--;
            }
            _hitTimes[k] = root;
            _hits[k] = i;
        }
        _gNew.AsSpan().CopyTo(_gPrev);
        bool terminal = false;
        for (int k = 0; k < _hitCount && !terminal; k++)
        {
            int i = _hits[k];
            double time = _hitTimes[k];
            var state = new double[_y.Length];
            if (time == t) integrator.State.CopyTo(state);
            else integrator.Interpolate(time, state);
            solution.AddEvent(new OdeEventOccurrence(i, _events[i], time, state));
            if (_events[i].Terminal)
            {
                terminal = true;
                stopTime = time;
                stopState = state;
            }
        }
        return terminal;
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
            integrator.Interpolate(c, _y);
            double gc = g(c, _y);
            if (!double.IsFinite(gc)) { c = 0.5 * (a + b); integrator.Interpolate(c, _y); gc = g(c, _y); }
            if (gc == 0 || Math.Sign(gc) == Math.Sign(gb) || !double.IsFinite(gc))
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
