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

    /// <summary>Adds another run's counters to these.</summary>
    public void Add(in SolverStats other)
    {
        Steps += other.Steps;
        RejectedSteps += other.RejectedSteps;
        FunctionEvaluations += other.FunctionEvaluations;
    }

    /// <inheritdoc/>
    public override readonly string ToString() =>
        $"steps {Steps}, rejected {RejectedSteps}, f evaluations {FunctionEvaluations}";
}
