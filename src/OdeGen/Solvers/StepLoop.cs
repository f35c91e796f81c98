namespace OdeGen.Solvers;

/// <summary>What one attempt of a step computed, as the family's kernel reports it to <see cref="StepLoop"/>.</summary>
internal enum StepOutcome
{
    /// <summary>The candidate and its error estimate are finite.</summary>
    Finite,
    /// <summary>A stage, the candidate or the error is not finite: the controller retreats (or a fixed-step solve fails).</summary>
    NonFinite,
    /// <summary>The iteration matrix is singular to working precision: halve the step (five in a row end the solve).</summary>
    Singular,
    /// <summary>The implicit stages did not converge: halve the step (a fixed-step solve ends with ConvergenceFailure).</summary>
    NotConverged,
    /// <summary>Derivatives at the step's start (∂F/∂y, ∂F/∂t) are not finite: no smaller step can help.</summary>
    Failed,
}

/// <summary>
/// The part of a step that differs between families: compute an attempt, supply f at an accepted candidate, and take the
/// candidate as the new point. Implemented by a struct around the integrator, so that <see cref="StepLoop.Step{TKernel}"/>
/// is specialized for each family and calls it directly (no virtual call in the step).
/// </summary>
internal interface IStepKernel
{
    /// <summary>f at the current point (<see cref="StepLoop.Time"/>) into the kernel's workspace; true when it is finite.</summary>
    bool Begin(double t0);

    /// <summary>The signed magnitude of the automatic first step from the current point (called once f is known and finite).</summary>
    double InitialStepMagnitude(double t0, double tEnd, double direction);

    /// <summary>
    /// Every stage of a step of size <paramref name="h"/> and the candidate; returns the scaled error norm (0 for fixed steps).
    /// The error is the return value, not the outcome: it lies on the chain from one step's stages to the next step's size, and
    /// an out parameter went through the stack on its way to the controller.
    /// </summary>
    double Attempt(double h, out StepOutcome outcome);

    /// <summary>f at the candidate, which starts the next step; false when it is not finite.</summary>
    bool EndpointDerivative(double tNew);

    /// <summary>The candidate becomes the current point (the loop then moves the times).</summary>
    void Accept();
}

/// <summary>
/// The one step loop every integrator drives: the step budget, landing exactly on the end time, step-size underflow,
/// fixed steps counted from the start (t = t0 + k·h, no drift), accept or reject through the PI controller, and the
/// retreat from singular or non-converging implicit stages. Families supply only the step itself (<see cref="IStepKernel"/>);
/// saving, dense output and events are driven above this, by <c>Ode.Solve</c> and the sensitivities.
/// </summary>
internal struct StepLoop
{
    private const int MaxSingularAttempts = 5;

    private readonly SolverOptions _options;
    private readonly bool _fixed;
    private StepSizeController _controller;
    private long _attempts;      // step attempts since Begin, or since the Begin before a run of restarts (MaxSteps counts these)
    private long _fixedSteps;    // accepted fixed steps since Start: t = t0 + k·h avoids drift from summing h
    private int _singular;       // consecutive singular iteration matrices

    public StepLoop(SolverOptions options, StepSizeController controller)
    {
        _options = options;
        _fixed = options.FixedStep is not null;
        _controller = controller;
    }

    /// <summary>Current time.</summary>
    public double Time;
    /// <summary>Time at the start of the last accepted step.</summary>
    public double PreviousTime;
    /// <summary>
    /// Signed size of the last accepted step as its stages used it (0 before the first). Time − PreviousTime only up to
    /// rounding: Time is PreviousTime + h rounded, the end time for the step that lands on it, t0 + k·h for fixed steps.
    /// </summary>
    public double LastStep;
    /// <summary>The end time and the start of the current run.</summary>
    public double End, Start;
    /// <summary>+1 forwards, −1 backwards.</summary>
    public double Direction;
    /// <summary>Size of the next attempt (signed).</summary>
    public double NextStep;
    /// <summary>Success while running and after reaching the end; otherwise why the integration stopped.</summary>
    public OdeStatus Status;
    /// <summary>True once the end is reached or the integration failed.</summary>
    public bool Done;

    /// <summary>True when the solve takes fixed steps (<see cref="SolverOptions.FixedStep"/>).</summary>
    public readonly bool IsFixed => _fixed;

    /// <summary>
    /// Starts a run from <paramref name="t0"/> towards <paramref name="tEnd"/>: f is evaluated even for an empty interval
    /// (so the kernel always holds f at the current point), then the first step is chosen: <paramref name="firstStep"/> when
    /// it is positive and the steps are adaptive (as <see cref="SolverOptions.InitialStep"/> would give it, for this run
    /// only), else the kernel's automatic first step. With <paramref name="continueBudget"/> (a restart after an event's reset)
    /// the attempts of the runs before count against <see cref="SolverOptions.MaxSteps"/>: the budget is the whole solve's.
    /// </summary>
    public void Begin<TKernel>(TKernel kernel, double t0, double tEnd, double firstStep = 0, bool continueBudget = false) where TKernel : struct, IStepKernel
    {
        Guard.Interval(t0, tEnd, nameof(t0), nameof(tEnd));
        Time = PreviousTime = Start = t0;
        LastStep = 0;
        End = tEnd;
        Direction = tEnd >= t0 ? 1.0 : -1.0;
        _controller.Reset();
        if (!continueBudget) _attempts = 0;
        _fixedSteps = 0;
        _singular = 0;
        Status = OdeStatus.Success;
        Done = false;
        bool finite = kernel.Begin(t0);
        if (t0 == tEnd) { Done = true; return; }
        if (!finite) { Fail(OdeStatus.NonFiniteValue); return; }
        NextStep = Direction * (firstStep > 0 && !_fixed ? firstStep : kernel.InitialStepMagnitude(t0, tEnd, Direction));
    }

    /// <summary>Takes one accepted step (retrying rejected attempts); false when the end was reached or the integration failed.</summary>
    public bool Step<TKernel>(TKernel kernel, ref SolverStats stats) where TKernel : struct, IStepKernel
    {
        if (Done) return false;
        while (true)
        {
            if (_attempts >= _options.MaxSteps) return Fail(OdeStatus.MaxStepsExceeded);
            double h = StepControl.ClampToEnd(NextStep, Time, End, Direction, _options.MaxStep);
            bool toEnd = h == End - Time;
            // Underflow is judged on the controller's step, not on a short last step that lands on the end.
            if (!toEnd && Math.Abs(h) < StepControl.MinimumStep(_options.MinStep, Time))
                return Fail(_controller.LastWasNonFinite ? OdeStatus.NonFiniteValue : OdeStatus.StepSizeTooSmall);
            _attempts++;
            double error = kernel.Attempt(h, out StepOutcome outcome);
            switch (outcome)
            {
                case StepOutcome.Failed:
                    return Fail(OdeStatus.NonFiniteValue);
                case StepOutcome.Singular:
                    stats.RejectedSteps++;
                    if (_fixed || ++_singular >= MaxSingularAttempts) return Fail(OdeStatus.SingularMatrix);
                    NextStep = 0.5 * h;
                    continue;
                case StepOutcome.NotConverged:
                    _singular = 0;
                    if (_fixed) return Fail(OdeStatus.ConvergenceFailure);
                    // A smaller step makes the implicit stages easier.
                    stats.RejectedSteps++;
                    NextStep = 0.5 * h;
                    continue;
            }
            _singular = 0;
            double tNew = NewTime(h, toEnd);
            bool finite = outcome == StepOutcome.Finite;
            if (_fixed)
            {
                if (!finite || !kernel.EndpointDerivative(tNew)) return Fail(OdeStatus.NonFiniteValue);
                Accept(kernel, h, tNew, ref stats);
                NextStep = _options.FixedStep!.Value * Direction;
                return true;
            }
            // f at the new point is needed only for a step that passes the error test; a non-finite value there
            // rejects the step like a non-finite stage would, so smaller steps get a chance.
            if (finite && error <= 1.0 && !kernel.EndpointDerivative(tNew)) finite = false;
            if (_controller.Decide(finite ? error : double.NaN, h, out double hNext))
            {
                Accept(kernel, h, tNew, ref stats);
                NextStep = hNext;
                return true;
            }
            stats.RejectedSteps++;
            NextStep = hNext;
        }
    }

    /// <summary>Ends the integration with <paramref name="status"/>; returns false (for <c>return Fail(...)</c>).</summary>
    public bool Fail(OdeStatus status)
    {
        Status = status;
        Done = true;
        return false;
    }

    // The time after a step of size h: exactly the end for the last step; t0 + k·h for fixed steps, so that
    // thousands of steps do not accumulate rounding in t.
    private readonly double NewTime(double h, bool toEnd)
    {
        if (toEnd) return End;
        if (_fixed) return Start + (_fixedSteps + 1) * (Direction * _options.FixedStep!.Value);
        return Time + h;
    }

    private void Accept<TKernel>(TKernel kernel, double h, double tNew, ref SolverStats stats) where TKernel : struct, IStepKernel
    {
        kernel.Accept();
        PreviousTime = Time;
        LastStep = h;
        Time = tNew;
        stats.Steps++;
        if (_fixed) _fixedSteps++;
        if (tNew == End) Done = true;
    }
}
