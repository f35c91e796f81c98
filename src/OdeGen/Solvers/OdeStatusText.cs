namespace OdeGen;

/// <summary>
/// What each <see cref="OdeStatus"/> means and what to try, for the messages of results that carry a status but no
/// failure time (gradients, tangents, sensitivities, ensembles). <see cref="OdeSolution.Message"/> says the same with
/// the times of its solve.
/// </summary>
internal static class OdeStatusText
{
    public static string Cause(OdeStatus status) => status switch
    {
        OdeStatus.Success => "it succeeded",
        OdeStatus.EventTerminated => "a terminal event ended it (not a failure)",
        OdeStatus.MaxStepsExceeded => "the step attempts (SolverOptions.MaxSteps) were used up; the problem may be stiff (try a stiff method) or the tolerances too tight",
        OdeStatus.StepSizeTooSmall => "the step size fell below SolverOptions.MinStep or the resolution of t; the solution may blow up or be singular there",
        OdeStatus.NonFiniteValue => "f, the state or a derivative of f along it (its JVP, VJP or Jacobian) became NaN or ±∞ and smaller steps did not help",
        OdeStatus.SingularMatrix => "the stiff solver's iteration matrix was singular for several step sizes in a row; check the Jacobian",
        OdeStatus.ConvergenceFailure => "the Newton iterations of the implicit stages did not converge at the fixed step; use a smaller FixedStep or an adaptive solve",
        OdeStatus.GrazingEvent => "an event's crossing was tangential (g_t + g_y·f = 0 at the event), so the event time has no derivative there; move the event surface or the start so the crossing is transversal",
        _ => $"it stopped with status {status}",
    };

    /// <summary>True for the statuses that mean the result holds numbers (a terminal event is a regular end).</summary>
    public static bool IsSuccess(OdeStatus status) => status is OdeStatus.Success or OdeStatus.EventTerminated;
}
