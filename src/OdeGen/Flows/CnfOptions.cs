namespace OdeGen.Flows;

/// <summary>
/// Settings of a <see cref="ContinuousNormalizingFlow{TSystem}"/>: the time span, the trace, the RNODE regularizers,
/// the solver and the sensitivity, and how a batch is split across cores. Immutable; build with an object initializer.
/// </summary>
public sealed class CnfOptions
{
    /// <summary>The defaults: t from 0 (base) to 1 (data), exact trace, no regularizers, Dopri5 at 1e-6/1e-8, the interpolating adjoint with one checkpoint, chunks of 64.</summary>
    public static CnfOptions Default { get; } = new();

    /// <summary>Time of the base distribution N(0, I).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not finite (refused here, as the other settings are, not first by the flow).</exception>
    public double T0
    {
        get;
        init => field = double.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(T0), value, "The base distribution's time must be finite.");
    }

    /// <summary>Time of the data. Must differ from <see cref="T0"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not finite.</exception>
    public double T1
    {
        get;
        init => field = double.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(T1), value, "The data's time must be finite.");
    } = 1.0;

    /// <summary>Exact trace or Hutchinson's estimate.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a <see cref="CnfTrace"/> (an undefined value ran as Hutchinson's).</exception>
    public CnfTrace Trace
    {
        get;
        init => field = Enum.IsDefined(value) ? value : throw new ArgumentOutOfRangeException(nameof(Trace), value, "Not a CnfTrace.");
    } = CnfTrace.Exact;

    /// <summary>The distribution of the noise vectors (Hutchinson's trace and the Jacobian regularizer's probe).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a <see cref="CnfNoise"/> (an undefined value drew Gaussian noise).</exception>
    public CnfNoise Noise
    {
        get;
        init => field = Enum.IsDefined(value) ? value : throw new ArgumentOutOfRangeException(nameof(Noise), value, "Not a CnfNoise.");
    } = CnfNoise.Rademacher;

    /// <summary>Weight λ_K of the kinetic energy ∫‖f‖² dt in the training loss (RNODE); 0 leaves the state out.</summary>
    public double KineticWeight
    {
        get;
        init => field = value >= 0 && double.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(KineticWeight), value, "A regularizer weight must be finite and non-negative.");
    }

    /// <summary>Weight λ_J of the Jacobian Frobenius norm ∫‖εᵀ∂f/∂z‖² dt (estimated as ∫‖(∂f/∂z)ε‖² dt, same mean) in the training loss; 0 leaves the state out.</summary>
    public double JacobianWeight
    {
        get;
        init => field = value >= 0 && double.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(JacobianWeight), value, "A regularizer weight must be finite and non-negative.");
    }

    /// <summary>Solver for every pass (forward, sampling, backward). Dopri5 at RelTol 1e-6, AbsTol 1e-8 by default.</summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public SolverOptions Solver
    {
        get;
        init => field = value ?? throw new ArgumentNullException(nameof(Solver));
    } = new() { RelTol = 1e-6, AbsTol = 1e-8 };

    /// <summary>
    /// How training gradients are computed: the interpolating adjoint with one checkpoint (default: more checkpoints would
    /// force at least that many forward steps, and one segment's dense output of a chunk is small) or
    /// <see cref="Sensitivity.DiscreteAdjoint"/>; any method of <see cref="OdeGen.Sensitivity"/> works.
    /// </summary>
    /// <exception cref="ArgumentNullException">Set to null.</exception>
    public Sensitivity Sensitivity
    {
        get;
        init => field = value ?? throw new ArgumentNullException(nameof(Sensitivity));
    } = Sensitivity.InterpolatingAdjoint(checkpoints: 1);

    /// <summary>
    /// Samples per solve. A batch is cut into chunks of this size, in order; each chunk is one augmented system with its
    /// own steps, and chunks run in parallel. Results depend on the chunk size (the step sizes do) but never on the
    /// number of threads: chunk results are summed in chunk order. 0: the whole batch in one solve.
    /// </summary>
    public int ChunkSize
    {
        get;
        init => field = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(ChunkSize), value, "ChunkSize must be 0 (one solve) or positive.");
    } = 64;

    /// <summary>Most chunks solved at once; 0: <see cref="Environment.ProcessorCount"/>.</summary>
    public int MaxDegreeOfParallelism
    {
        get;
        init => field = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(MaxDegreeOfParallelism), value, "MaxDegreeOfParallelism must be 0 (all cores) or positive.");
    }

    /// <summary>
    /// The number type of the per-sample field's arithmetic: <see cref="CnfPrecision.Double"/> (default) or
    /// <see cref="CnfPrecision.Single"/> (float lanes, the solver's state still double; see there).
    /// </summary>
    public CnfPrecision Precision
    {
        get;
        init => field = Enum.IsDefined(value) ? value : throw new ArgumentOutOfRangeException(nameof(Precision), value, "Not a CnfPrecision.");
    }

    internal bool NeedsNoise => Trace == CnfTrace.Hutchinson || JacobianWeight > 0;
}
