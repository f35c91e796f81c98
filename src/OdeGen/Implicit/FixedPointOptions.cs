namespace OdeGen.Implicit;

/// <summary>How a fixed point z = g(z) is searched for.</summary>
public enum FixedPointMethod
{
    /// <summary>Anderson acceleration (type II): the next iterate mixes the last m images by the weights that minimise the residual.</summary>
    Anderson,

    /// <summary>Broyden's "good" method on g(z) − z = 0 with a limited-memory inverse Jacobian.</summary>
    Broyden,

    /// <summary>Damped (relaxed) iteration z ← z + α·(g(z) − z): slow, but converges for every contraction.</summary>
    Damped,
}

/// <summary>How the backward pass solves the implicit function theorem's linear system u = ∂L/∂z* + (∂g/∂z)ᵀu.</summary>
public enum ImplicitBackward
{
    /// <summary>Restarted GMRES on (I − (∂g/∂z)ᵀ)u = ∂L/∂z*: converges whenever the system is well posed.</summary>
    Gmres,

    /// <summary>Anderson acceleration of the backward iteration, with the forward pass's memory and regularisation.</summary>
    Anderson,

    /// <summary>The plain iteration u ← ∂L/∂z* + (∂g/∂z)ᵀu: converges when g is a contraction in z.</summary>
    Iteration,

    /// <summary>
    /// The phantom gradient: differentiate k damped steps z ← (1 − λ)z + λg(z) started at z* instead of solving the system.
    /// An approximation (k = 1, λ = 1 is the "one-step" Jacobian-free gradient), cheap and often enough to train.
    /// </summary>
    Phantom,
}

/// <summary>Which residual the stopping test compares with the tolerance.</summary>
public enum ResidualCriterion
{
    /// <summary>‖g(z) − z‖₂ ≤ tolerance.</summary>
    Absolute,

    /// <summary>‖g(z) − z‖₂ ≤ tolerance · ‖g(z)‖₂ (the convention of deep equilibrium models).</summary>
    Relative,
}

/// <summary>Settings of a <see cref="FixedPointLayer{TFunction}"/>: the forward solver, its fallbacks and the backward solve.</summary>
public sealed record FixedPointOptions
{
    /// <summary>The solver tried first.</summary>
    public FixedPointMethod Method { get; init; } = FixedPointMethod.Anderson;

    /// <summary>
    /// Solvers tried, in order, from the best iterate so far when the one running stalls or diverges (not when it
    /// merely runs out of iterations). Entries equal to <see cref="Method"/> are skipped. Empty: no fallback.
    /// </summary>
    public IReadOnlyList<FixedPointMethod> Fallbacks { get; init; } = [FixedPointMethod.Broyden, FixedPointMethod.Damped];

    /// <summary>Evaluations of g the forward pass may spend, over all solvers of the chain.</summary>
    public int MaxIterations { get; init; } = 100;

    /// <summary>The stopping tolerance, compared as <see cref="Criterion"/> says.</summary>
    public double Tolerance { get; init; } = 1e-8;

    /// <summary>Whether <see cref="Tolerance"/> bounds the absolute or the relative residual.</summary>
    public ResidualCriterion Criterion { get; init; } = ResidualCriterion.Relative;

    /// <summary>
    /// Anderson's memory m: how many past iterates enter the mixing (≥ 1). At most n + 1 are kept for n states: more
    /// residuals than that are linearly dependent, so a longer memory behaves as n + 1.
    /// </summary>
    public int AndersonMemory { get; init; } = 5;

    /// <summary>
    /// Anderson's Tikhonov regularisation λ of the least-squares weights, relative to the newest squared residual (so
    /// that it bounds the weights at every scale, ‖α‖² ≲ 1/λ, instead of growing relative to the residuals as they fall).
    /// λ &gt; 0 keeps the system solvable when the residuals become linearly dependent.
    /// </summary>
    public double AndersonRegularization { get; init; } = 1e-8;

    /// <summary>Anderson's mixing β: the next iterate is β·(mixed images) + (1 − β)·(mixed iterates).</summary>
    public double AndersonMixing { get; init; } = 1.0;

    /// <summary>Broyden's memory: rank-one updates kept before the inverse Jacobian restarts from −I.</summary>
    public int BroydenMemory { get; init; } = 20;

    /// <summary>The damped iteration's α in z ← z + α·(g(z) − z).</summary>
    public double Damping { get; init; } = 0.5;

    /// <summary>A solver has stalled when its best residual has not dropped by 1 % in this many evaluations.</summary>
    public int StallIterations { get; init; } = 12;

    /// <summary>A solver has diverged when its residual exceeds this multiple of the first one (or is not finite).</summary>
    public double DivergenceFactor { get; init; } = 1e6;

    /// <summary>The backward solve.</summary>
    public ImplicitBackward Backward { get; init; } = ImplicitBackward.Gmres;

    /// <summary>Iterations (matrix–vector products) the backward solve may spend.</summary>
    public int BackwardMaxIterations { get; init; } = 100;

    /// <summary>The backward solve stops at ‖residual‖ ≤ this · ‖∂L/∂z*‖.</summary>
    public double BackwardTolerance { get; init; } = 1e-10;

    /// <summary>GMRES's restart length (Krylov vectors kept).</summary>
    public int GmresRestart { get; init; } = 30;

    /// <summary>The phantom gradient's number of unrolled steps k (≥ 1).</summary>
    public int PhantomSteps { get; init; } = 1;

    /// <summary>The phantom gradient's damping λ in (0, 1].</summary>
    public double PhantomDamping { get; init; } = 1.0;

    /// <summary>
    /// Throw a <see cref="FixedPointException"/> when a pass does not converge (the default). With false the pass returns
    /// its report, whose <see cref="FixedPointReport.Status"/> says what happened, and leaves the best iterate found.
    /// </summary>
    public bool ThrowOnFailure { get; init; } = true;

    internal void Validate()
    {
        static void Positive(double v, string name)
        {
            if (!(v > 0) || !double.IsFinite(v)) throw new ArgumentOutOfRangeException(name, v, $"{name} must be a positive finite number.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxIterations, 1, nameof(MaxIterations));
        ArgumentOutOfRangeException.ThrowIfLessThan(AndersonMemory, 1, nameof(AndersonMemory));
        ArgumentOutOfRangeException.ThrowIfLessThan(BroydenMemory, 1, nameof(BroydenMemory));
        ArgumentOutOfRangeException.ThrowIfLessThan(StallIterations, 2, nameof(StallIterations));
        ArgumentOutOfRangeException.ThrowIfLessThan(BackwardMaxIterations, 1, nameof(BackwardMaxIterations));
        ArgumentOutOfRangeException.ThrowIfLessThan(GmresRestart, 1, nameof(GmresRestart));
        ArgumentOutOfRangeException.ThrowIfLessThan(PhantomSteps, 1, nameof(PhantomSteps));
        Positive(Tolerance, nameof(Tolerance));
        Positive(BackwardTolerance, nameof(BackwardTolerance));
        Positive(AndersonMixing, nameof(AndersonMixing));
        Positive(Damping, nameof(Damping));
        Positive(DivergenceFactor, nameof(DivergenceFactor));
        Positive(PhantomDamping, nameof(PhantomDamping));
        if (!(AndersonRegularization >= 0) || !double.IsFinite(AndersonRegularization))
            throw new ArgumentOutOfRangeException(nameof(AndersonRegularization), AndersonRegularization, "AndersonRegularization must be finite and ≥ 0.");
        if (PhantomDamping > 1) throw new ArgumentOutOfRangeException(nameof(PhantomDamping), PhantomDamping, "PhantomDamping must lie in (0, 1].");
        ArgumentNullException.ThrowIfNull(Fallbacks, nameof(Fallbacks));
        // Undefined values (a cast int) ran as damped iteration, relative residuals and a GMRES backward: refuse them instead.
        // Patterns, not Enum.IsDefined (SolverOptions' reason: no reflection cache to rebuild after a GC).
        if (!IsMethod(Method)) throw Undefined(nameof(Method), Method);
        foreach (FixedPointMethod fallback in Fallbacks) if (!IsMethod(fallback)) throw Undefined(nameof(Fallbacks), fallback);
        if (Criterion is not (ResidualCriterion.Absolute or ResidualCriterion.Relative)) throw Undefined(nameof(Criterion), Criterion);
        if (Backward is not (ImplicitBackward.Gmres or ImplicitBackward.Anderson or ImplicitBackward.Iteration or ImplicitBackward.Phantom))
            throw Undefined(nameof(Backward), Backward);
    }

    private static bool IsMethod(FixedPointMethod m) => m is FixedPointMethod.Anderson or FixedPointMethod.Broyden or FixedPointMethod.Damped;

    private static ArgumentOutOfRangeException Undefined<TEnum>(string name, TEnum value) where TEnum : struct, Enum =>
        new(name, value, $"{name} holds {Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture)}, which is not a {typeof(TEnum).Name}.");
}
