namespace OdeGen.Implicit;

/// <summary>How <see cref="SteadyState"/> finds an equilibrium f(y*, θ) = 0.</summary>
public enum SteadyStateMethod
{
    /// <summary>Newton's method with backtracking from the initial guess: fast when the guess is in the basin.</summary>
    Newton,

    /// <summary>Integrate dy/dt = f over growing horizons until f is small, then polish by Newton: finds the attractor the guess flows to.</summary>
    Integrate,
}

/// <summary>Settings of <see cref="SteadyState"/>.</summary>
public sealed record SteadyStateOptions
{
    /// <summary>The search.</summary>
    public SteadyStateMethod Method { get; init; } = SteadyStateMethod.Newton;

    /// <summary>Converged when ‖f(y)‖₂ ≤ this.</summary>
    public double Tolerance { get; init; } = 1e-10;

    /// <summary>Newton iterations allowed (each: one Jacobian or one Krylov solve, then a line search).</summary>
    public int MaxNewtonIterations { get; init; } = 50;

    /// <summary>Systems with at most this many states use the dense Jacobian and LU; larger ones GMRES on generated JVPs/VJPs.</summary>
    public int DenseLimit { get; init; } = 200;

    /// <summary>GMRES's restart length for large systems.</summary>
    public int GmresRestart { get; init; } = 40;

    /// <summary>Products GMRES may spend per linear solve.</summary>
    public int LinearMaxIterations { get; init; } = 500;

    /// <summary>GMRES stops at ‖residual‖ ≤ this · ‖right-hand side‖.</summary>
    public double LinearTolerance { get; init; } = 1e-12;

    /// <summary>The time at which f is evaluated (an equilibrium is a property of autonomous dynamics).</summary>
    public double Time { get; init; } = 0;

    /// <summary><see cref="SteadyStateMethod.Integrate"/>: the solver and its tolerances (Dopri5 at 1e-8 when null).</summary>
    public SolverOptions? Solver { get; init; }

    /// <summary><see cref="SteadyStateMethod.Integrate"/>: the first horizon; each next one is twice as long.</summary>
    public double InitialHorizon { get; init; } = 1;

    /// <summary><see cref="SteadyStateMethod.Integrate"/>: give up after integrating this long.</summary>
    public double MaxTime { get; init; } = 1e6;

    /// <summary><see cref="SteadyStateMethod.Integrate"/>: hand over to Newton once ‖f(y)‖₂ ≤ this.</summary>
    public double PolishBelow { get; init; } = 1e-4;

    /// <summary>Throw a <see cref="FixedPointException"/> when the search or the gradient's linear solve fails (the default).</summary>
    public bool ThrowOnFailure { get; init; } = true;

    /// <summary>
    /// The relative residual at which the gradient's linear solve counts as converged: GMRES aims at
    /// <see cref="LinearTolerance"/>, and the gradient accepts a thousand times that (at least 1e-8).
    /// </summary>
    internal double GradientTolerance => Math.Max(1e3 * LinearTolerance, 1e-8);

    internal void Validate()
    {
        static void Positive(double v, string name)
        {
            if (!(v > 0) || !double.IsFinite(v)) throw new ArgumentOutOfRangeException(name, v, $"{name} must be a positive finite number.");
        }

        Positive(Tolerance, nameof(Tolerance));
        Positive(LinearTolerance, nameof(LinearTolerance));
        Positive(InitialHorizon, nameof(InitialHorizon));
        Positive(MaxTime, nameof(MaxTime));
        Positive(PolishBelow, nameof(PolishBelow));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxNewtonIterations, 1, nameof(MaxNewtonIterations));
        ArgumentOutOfRangeException.ThrowIfLessThan(DenseLimit, 0, nameof(DenseLimit));
        ArgumentOutOfRangeException.ThrowIfLessThan(GmresRestart, 1, nameof(GmresRestart));
        ArgumentOutOfRangeException.ThrowIfLessThan(LinearMaxIterations, 1, nameof(LinearMaxIterations));
        if (!double.IsFinite(Time)) throw new ArgumentOutOfRangeException(nameof(Time), Time, "Time must be finite.");
        // An undefined value (a cast int) ran as Newton. A pattern, not Enum.IsDefined: this runs on every solve, and
        // Enum.IsDefined rebuilds a reflection cache after a GC (SolverOptions' reason).
        if (Method is not (SteadyStateMethod.Newton or SteadyStateMethod.Integrate))
            throw new ArgumentOutOfRangeException(nameof(Method), Method, $"Method holds {(int)Method}, which is not a SteadyStateMethod.");
    }
}

/// <summary>What a steady-state search did.</summary>
public readonly record struct SteadyStateReport(
    FixedPointStatus Status,
    SteadyStateMethod Method,
    int NewtonIterations,
    int LinearIterations,
    double Residual,
    double IntegratedTime)
{
    /// <summary>True when ‖f(y*)‖ met the tolerance.</summary>
    public bool IsConverged => Status == FixedPointStatus.Converged;

    /// <summary>One line for logs.</summary>
    public override string ToString() => FormattableString.Invariant(
        $"{Status} by {Method}: ‖f‖ = {Residual:G3} after {NewtonIterations} Newton iterations ({LinearIterations} Krylov products), integrated to t = {IntegratedTime:G4}");
}

/// <summary>What the steady-state gradient's linear solve (∂f/∂y)ᵀλ = ∂L/∂y* did.</summary>
/// <param name="Status">
/// Converged when <paramref name="RelativeResidual"/> met the gradient's tolerance (1e3 · <see cref="SteadyStateOptions.LinearTolerance"/>,
/// at least 1e-8) and that tolerance is not below <see cref="RoundingFloor"/>.
/// </param>
/// <param name="DenseJacobian">True for the dense LU solve, false for GMRES on generated VJPs.</param>
/// <param name="Products">VJPs the GMRES solve spent, its residual checks included (0 for dense LU).</param>
/// <param name="RelativeResidual">‖∂L/∂y* − (∂f/∂y)ᵀλ‖ / ‖∂L/∂y*‖ at the λ the gradient is made from, computed with a VJP.</param>
public readonly record struct SteadyStateGradientReport(FixedPointStatus Status, bool DenseJacobian, int Products, double RelativeResidual)
{
    /// <summary>True when y* passed the search's tolerance and λ solved the system to the linear tolerance.</summary>
    public bool IsConverged => Status == FixedPointStatus.Converged;

    /// <summary>
    /// ‖f(y*, θ)‖₂ at the point and θ of this call, what <see cref="SteadyState.Solve"/> compares with
    /// <see cref="SteadyStateOptions.Tolerance"/>. Above it, the status is <see cref="FixedPointStatus.NotASolution"/>.
    /// </summary>
    public double PointResidual { get; init; }

    /// <summary>
    /// How accurate <see cref="RelativeResidual"/> itself is: 8ε·(‖∂L/∂y*‖ + ‖∂f/∂y‖·‖λ‖)/‖∂L/∂y*‖ (‖∂f/∂y‖ estimated from below).
    /// On an ill-conditioned Jacobian the computed residual can sit far below the exact one; a tolerance below this floor
    /// cannot be certified and is reported <see cref="FixedPointStatus.NotConverged"/>. It is the best relative residual
    /// this Jacobian allows in double.
    /// </summary>
    public double RoundingFloor { get; init; }

    /// <summary>One line for logs.</summary>
    public override string ToString() => FormattableString.Invariant(
        $"{Status} by {(DenseJacobian ? "dense LU" : "GMRES")} ({Products} products): relative residual {RelativeResidual:G3} (rounding floor {RoundingFloor:G3}), ‖f(y*)‖ = {PointResidual:G3}");
}
