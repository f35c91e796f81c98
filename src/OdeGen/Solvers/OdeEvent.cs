using System.Globalization;
using OdeGen.Solvers;

namespace OdeGen;

/// <summary>The event function g(t, y) of an <see cref="OdeEvent"/>: an event happens where it crosses zero.</summary>
public delegate double EventCondition(double t, ReadOnlySpan<double> y);

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
/// point; a sign change since the previous point is located on the step's dense output by a safeguarded
/// regula falsi (Illinois) to a few ulps of t. Found events are listed in <see cref="OdeSolution.Events"/>;
/// a <see cref="Terminal"/> event also ends the solve there (status <see cref="OdeStatus.EventTerminated"/>).
/// </summary>
/// <remarks>
/// Detection looks at signs at step ends only: two crossings inside one step (g returns to its sign) are missed;
/// bound the step with <see cref="SolverOptions.MaxStep"/> when g can oscillate faster than the solution.
/// A g that is exactly zero at a step's start (e.g. at t0, or right after a restart on the event surface) does not
/// count as a crossing there. A non-finite g is treated as no crossing.
/// </remarks>
public sealed class OdeEvent
{
    /// <summary>An event where <paramref name="condition"/> crosses zero.</summary>
    public OdeEvent(EventCondition condition) =>
        Condition = condition ?? throw new ArgumentNullException(nameof(condition));

    /// <summary>g(t, y).</summary>
    public EventCondition Condition { get; }

    /// <summary>Which crossings count (default: both).</summary>
    public EventDirection Direction { get; init; }

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

    /// <summary>The state at <see cref="Time"/>.</summary>
    public ReadOnlySpan<double> State => _state;

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Event} at t = {Time}");
}
