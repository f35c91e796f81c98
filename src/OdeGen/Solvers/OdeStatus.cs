namespace OdeGen;

/// <summary>How a solve (or one leg of a sensitivity computation) ended.</summary>
public enum OdeStatus
{
    /// <summary>Reached the end time.</summary>
    Success = 0,
    /// <summary>More step attempts than <see cref="SolverOptions.MaxSteps"/>; typical of stiffness or a too-tight tolerance.</summary>
    MaxStepsExceeded,
    /// <summary>The step size fell below <see cref="SolverOptions.MinStep"/> or below the resolution of t.</summary>
    StepSizeTooSmall,
    /// <summary>f returned NaN or ±∞ (or the state became non-finite) and smaller steps did not help.</summary>
    NonFiniteValue,
    /// <summary>
    /// A stiff solver's iteration matrix I/(hγ) − J was singular to working precision for several step sizes in a row
    /// (halving the step each time); typical of a Jacobian that is wrong or enormous, or of a problem that is not an ODE
    /// near that point.
    /// </summary>
    SingularMatrix,
    /// <summary>
    /// The Newton iterations of an implicit method's stages did not converge at the step size <see cref="SolverOptions.FixedStep"/>
    /// prescribes (adaptive solves halve the step instead).
    /// </summary>
    ConvergenceFailure,
    /// <summary>
    /// A terminal event (<see cref="OdeEvent.Terminal"/>) stopped the solve at the event's time, before t1. Not a failure:
    /// <c>OdeSolution.IsSuccess</c> is true.
    /// </summary>
    EventTerminated,
    /// <summary>
    /// A differentiating call met an event whose crossing is tangential: dg/dt = ∂g/∂t + ∂g/∂y·f is zero or tiny at the event
    /// (a grazing crossing), so the event time, and the solution after it, are not differentiable there. The results are NaN.
    /// </summary>
    GrazingEvent,
}

/// <summary>Counters of the work an integration did.</summary>
public struct SolverStats
{
    /// <summary>Accepted steps.</summary>
    public int Steps;
    /// <summary>Rejected step attempts (error too large or non-finite).</summary>
    public int RejectedSteps;
    /// <summary>Evaluations of the right-hand side (of the system that was integrated).</summary>
    public long FunctionEvaluations;
    /// <summary>Evaluations of ∂F/∂y (and ∂F/∂t) by stiff solvers: one per accepted step's starting point.</summary>
    public long JacobianEvaluations;
    /// <summary>LU factorizations of a stiff solver's iteration matrix: one per step attempt.</summary>
    public long Factorizations;

    /// <summary>Adds another run's counters to these.</summary>
    public void Add(in SolverStats other)
    {
        Steps += other.Steps;
        RejectedSteps += other.RejectedSteps;
        FunctionEvaluations += other.FunctionEvaluations;
        JacobianEvaluations += other.JacobianEvaluations;
        Factorizations += other.Factorizations;
    }

    /// <inheritdoc/>
    public override readonly string ToString() => JacobianEvaluations == 0 && Factorizations == 0
        ? $"steps {Steps}, rejected {RejectedSteps}, f evaluations {FunctionEvaluations}"
        : $"steps {Steps}, rejected {RejectedSteps}, f evaluations {FunctionEvaluations}, Jacobians {JacobianEvaluations}, LU factorizations {Factorizations}";
}
