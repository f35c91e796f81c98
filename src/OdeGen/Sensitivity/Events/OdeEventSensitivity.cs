namespace OdeGen;

/// <summary>
/// The first-order sensitivities of one located event, from <see cref="Ode.Sensitivities{TSystem}"/>: how its time t_k and
/// the state there, y(t_k) (before any reset), move with y0, θ and t0. The time is differentiated by the implicit function
/// theorem on g(t_k, y(t_k)) = 0: dt_k = −(∂g/∂y·S⁻)/(∂g/∂t + ∂g/∂y·f⁻), S⁻ = ∂y/∂(y0, θ) just before the event.
/// </summary>
/// <remarks>A grazing crossing of an event that neither stops nor resets the solve has NaN derivatives (the others fail the solve).</remarks>
public sealed class OdeEventSensitivity
{
    internal OdeEventSensitivity(OdeEventOccurrence occurrence, double[] dtdy0, double[] dtdp, double dtdt0, double[] dydy0, double[] dydp)
    {
        Occurrence = occurrence;
        DtDy0 = dtdy0;
        DtDp = dtdp;
        DtDt0 = dtdt0;
        DyDy0 = dydy0;
        DyDp = dydp;
    }

    /// <summary>The event.</summary>
    public OdeEventOccurrence Occurrence { get; }

    /// <summary>∂t_k/∂y0 (length StateCount).</summary>
    public double[] DtDy0 { get; }

    /// <summary>∂t_k/∂θ (length ParameterCount).</summary>
    public double[] DtDp { get; }

    /// <summary>∂t_k/∂t0 = −∂t_k/∂y0 · f(t0, y0) (moving the start with y0 fixed).</summary>
    public double DtDt0 { get; }

    /// <summary>d y(t_k)/d y0 along the event (the state at the moving event time, before a reset), n × n row-major.</summary>
    public double[] DyDy0 { get; }

    /// <summary>d y(t_k)/d θ along the event, n × m row-major.</summary>
    public double[] DyDp { get; }
}
