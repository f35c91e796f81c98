using System.Diagnostics;
using OdeGen.Solvers;

namespace OdeGen;

/// <summary>
/// The events of a gradient's forward pass that only observe the solution (neither terminal nor with a reset), located as
/// the pass steps so that the result reports the occurrences that Ode.Solve with the same options finds
/// (<see cref="OdeGradient.Events"/>). Used by the methods that do not differentiate through events that change the solution
/// (the back-solve and discrete adjoints, which refuse those with <see cref="Sensitivity.RejectEvents"/>): their forward pass
/// is the plain one, and these events change neither it nor the gradient.
/// </summary>
/// <remarks>
/// The pass restarts the integrator at each observation time from the state where the previous run ended; the locator keeps
/// g from that step's end, so a crossing on either side of an observation time is found once. Allocates the locator and each
/// occurrence, and nothing when the options have no events (<see cref="For"/> returns null).
/// </remarks>
internal sealed class ObservedEvents
{
    private readonly EventLocator _locator;

    private ObservedEvents(IReadOnlyList<OdeEvent> events, int interiorPoints, int n, double t0, ReadOnlySpan<double> y0)
    {
        _locator = new EventLocator(events, interiorPoints, n, n);
        _locator.Start(t0, y0);
    }

    /// <summary>Every located occurrence, in time order.</summary>
    public List<OdeEventOccurrence> Occurrences { get; } = [];

    /// <summary>The observer of a forward pass from (<paramref name="t0"/>, <paramref name="y0"/>), or null when the options have no events.</summary>
    public static ObservedEvents? For(SolverOptions options, double t0, ReadOnlySpan<double> y0) =>
        options.Events is { Count: > 0 } events ? new ObservedEvents(events, options.EventInteriorPoints, y0.Length, t0, y0) : null;

    /// <summary>Locates the crossings in the integrator's last accepted step.</summary>
    public void Stepped(IOdeIntegrator integrator)
    {
        if (_locator.Check(integrator, Occurrences) >= 0)
            throw new UnreachableException("An event that stops or resets the solve reached a forward pass that only observes events (Sensitivity.RejectEvents lets none through).");
    }
}
