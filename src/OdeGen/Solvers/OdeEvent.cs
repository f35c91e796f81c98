using System.Globalization;
using OdeGen.Solvers;

namespace OdeGen;

/// <summary>The event function g(t, y) of an <see cref="OdeEvent"/>: an event happens where it crosses zero.</summary>
public delegate double EventCondition(double t, ReadOnlySpan<double> y);

/// <summary>
/// The derivative of an event function g(t, y): writes ∂g/∂y into <paramref name="dgdy"/> (length: the state's, all
/// zero on entry) and returns ∂g/∂t. Needed when an event takes part in a differentiating call (<c>Ode.Gradient</c>,
/// <c>Ode.Jvp</c>, <c>Ode.Sensitivities</c>): the event time is differentiated by the implicit function theorem.
/// </summary>
public delegate double EventConditionGradient(double t, ReadOnlySpan<double> y, Span<double> dgdy);

/// <summary>Which zero crossings of an event function count.</summary>
public enum EventDirection
{
    /// <summary>Crossings in either direction.</summary>
    Both = 0,
    /// <summary>Only crossings from negative to non-negative (g increasing).</summary>
    Rising,
    /// <summary>Only crossings from positive to non-positive (g decreasing).</summary>
    Falling,
}

/// <summary>
/// An event to locate during <c>Ode.Solve</c> (set <see cref="SolverOptions.Events"/>): a time where g(t, y(t))
/// crosses zero in the chosen <see cref="Direction"/>. After every accepted step the solver evaluates g at the new
/// point and at a few points inside the step; a sign change between neighbouring points is located on the step's dense
/// output by a safeguarded regula falsi (Illinois) to a few ulps of t. Found events are listed in <see cref="OdeSolution.Events"/>;
/// a <see cref="Terminal"/> event also ends the solve there (status <see cref="OdeStatus.EventTerminated"/>).
/// </summary>
/// <remarks>
/// Detection compares signs at the step's ends and at <see cref="SolverOptions.EventInteriorPoints"/> equally spaced points
/// inside it (default 8), on the dense output: a crossing and its return within one step are found when a point falls between
/// them. Two crossings closer together than the points' spacing are still missed; bound the step with
/// <see cref="SolverOptions.MaxStep"/> when g can oscillate faster than that.
/// A g that is exactly zero at a step's start (e.g. at t0, or right after a restart on the event surface) does not
/// count as a crossing there. ±∞ counts by its sign; a NaN g at an accepted state throws an ArgumentException naming the
/// event and t (a NaN at a point inside a step has no sign and widens the part of the step around it).
/// <para>With a <see cref="Reset"/> the solve stops at the event, replaces the state by y⁺ = h(y⁻, θ) and restarts the
/// integrator there (docs/solvers.md, "Events with a state reset"). For differentiating calls the event needs
/// <see cref="Gradient"/> (and its reset a Jacobian): see docs/sensitivity.md, "Events".</para>
/// </remarks>
public sealed class OdeEvent
{
    /// <summary>An event where <paramref name="condition"/> crosses zero.</summary>
    public OdeEvent(EventCondition condition) =>
        Condition = condition ?? throw new ArgumentNullException(nameof(condition));

    /// <summary>An event where <paramref name="condition"/> crosses zero, with its derivative (for differentiating calls).</summary>
    public OdeEvent(EventCondition condition, EventConditionGradient gradient) : this(condition) =>
        Gradient = gradient ?? throw new ArgumentNullException(nameof(gradient));

    /// <summary>
    /// The event y[<paramref name="component"/>] = <paramref name="level"/>: g = y[component] − level, with its gradient
    /// (∂g/∂y = e_component, ∂g/∂t = 0), so it can be differentiated.
    /// </summary>
    /// <param name="component">The state component.</param>
    /// <param name="level">The level it crosses.</param>
    /// <param name="direction">Which crossings count.</param>
    /// <param name="reset">A state reset at each crossing (<see cref="Reset"/>), or null.</param>
    /// <param name="terminal">End the solve at the first crossing (<see cref="Terminal"/>).</param>
    public static OdeEvent StateCrossing(int component, double level = 0.0, EventDirection direction = EventDirection.Both,
        OdeReset? reset = null, bool terminal = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(component);
        // A NaN level made g NaN everywhere: the event never fired and the solve reported Success.
        if (!double.IsFinite(level)) throw new ArgumentOutOfRangeException(nameof(level), level, "The level must be finite.");
        return new OdeEvent((t, y) => y[component] - level, (t, y, dgdy) => { dgdy[component] = 1.0; return 0.0; })
        {
            Component = component,
            Direction = direction,
            Reset = reset,
            Terminal = terminal,
            Name = string.Create(CultureInfo.InvariantCulture, $"y[{component}] = {level}"),
        };
    }

    /// <summary>
    /// The event t = <paramref name="time"/> (g = t − time, ∂g/∂t = 1): a scheduled reset such as a dose. Its time does not
    /// depend on the inputs; a reset there still changes the sensitivities.
    /// </summary>
    /// <param name="time">The time.</param>
    /// <param name="reset">A state reset there (<see cref="Reset"/>), or null.</param>
    public static OdeEvent AtTime(double time, OdeReset? reset = null)
    {
        if (!double.IsFinite(time)) throw new ArgumentOutOfRangeException(nameof(time), time, "The event time must be finite.");
        return new OdeEvent((t, y) => t - time, (t, y, dgdy) => 1.0)
        {
            MonotoneInTime = true,
            Reset = reset,
            Name = string.Create(CultureInfo.InvariantCulture, $"t = {time}"),
        };
    }

    /// <summary>g(t, y).</summary>
    public EventCondition Condition { get; }

    /// <summary>The state component a <see cref="StateCrossing"/> event reads (checked against the system's size by the solve), or −1.</summary>
    internal int Component { get; private init; } = -1;

    /// <summary>
    /// True when g increases with t whatever the state (<see cref="AtTime"/>): it cannot cross and come back inside a step, so
    /// the locator checks it at the step's ends only (<see cref="SolverOptions.EventInteriorPoints"/>).
    /// </summary>
    internal bool MonotoneInTime { get; private init; }

    /// <summary>∂g/∂y and ∂g/∂t (optional; required when the event is used by a differentiating call).</summary>
    public EventConditionGradient? Gradient { get; init; }

    /// <summary>
    /// The state reset applied at each crossing (optional): the solve stops there, sets y⁺ = h(y⁻, θ) and restarts.
    /// Ignored on a <see cref="Terminal"/> event (the solve ends at the event with y⁻).
    /// </summary>
    public OdeReset? Reset { get; init; }

    /// <summary>Which crossings count (default: both).</summary>
    /// <exception cref="ArgumentException">The value is not an <see cref="EventDirection"/> (it counted crossings both ways).</exception>
    public EventDirection Direction
    {
        get => _direction;
        init => _direction = value is EventDirection.Both or EventDirection.Rising or EventDirection.Falling ? value
            : throw new ArgumentException($"Direction {(int)value} is not an EventDirection.", nameof(Direction));
    }

    private readonly EventDirection _direction;

    /// <summary>When true, the first such crossing ends the solve at the event time.</summary>
    public bool Terminal { get; init; }

    /// <summary>An optional name, shown in messages.</summary>
    public string? Name { get; init; }

    /// <inheritdoc/>
    public override string ToString() => Name ?? "event";
}

/// <summary>One located event: which event, when, and the state there (from the dense output).</summary>
public sealed class OdeEventOccurrence
{
    private readonly double[] _state;

    internal OdeEventOccurrence(int eventIndex, OdeEvent ev, double time, double[] state)
    {
        EventIndex = eventIndex;
        Event = ev;
        Time = time;
        _state = state;
    }

    /// <summary>Index of the event in <see cref="SolverOptions.Events"/>.</summary>
    public int EventIndex { get; }

    /// <summary>The event.</summary>
    public OdeEvent Event { get; }

    /// <summary>The located time (within a few ulps of the zero of g on the dense output, on the side after the crossing).</summary>
    public double Time { get; }

    /// <summary>The state at <see cref="Time"/> (before the reset, for an event with a <see cref="OdeEvent.Reset"/>).</summary>
    public ReadOnlySpan<double> State => _state;

    /// <summary>The state after the event's reset, y⁺ = h(y⁻, θ); empty for an event without a reset.</summary>
    public ReadOnlySpan<double> StateAfter => _after;

    private double[] _after = [];

    /// <summary>Keeps the reset state, once the reset has been applied.</summary>
    internal void SetStateAfter(double[] after) => _after = after;

    /// <summary>
    /// The mean slope (g1 − g0)/(t1 − t0) of g across the step that held the crossing: the scale against which a
    /// crossing's own slope dg/dt is judged tangential (grazing) by the differentiating calls.
    /// </summary>
    internal double MeanSlope { get; init; }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Event} at t = {Time}");
}
