namespace OdeGen.Flows;

/// <summary>
/// A continuous normalizing flow (<see cref="CnfFlow"/>) over a field written per sample, with generated second-order
/// code: f(t, z, θ) for one sample z, its trace by the generated Divergence, its gradients by Vjp, DivergenceVjp and Hvp.
/// </summary>
/// <typeparam name="TSystem">The field, generated with <c>[OdeDynamics(SecondOrder = true)]</c>.</typeparam>
/// <remarks>
/// Everything in the field is recomputed per sample. A field with a part of t alone (a hypernetwork of t, as in
/// torchdiffeq's examples/cnf.py) is far cheaper as <see cref="ContinuousNormalizingFlow{THypernetwork, TField}"/>.
/// </remarks>
public sealed class ContinuousNormalizingFlow<TSystem> : CnfFlow where TSystem : struct, IOdeSystemSecondOrder
{
    /// <param name="field">The dynamics f(t, z, θ); its StateCount is the dimension D.</param>
    /// <param name="options">Settings; <see cref="CnfOptions.Default"/> when null.</param>
    /// <exception cref="ArgumentException">The field has no states, or <see cref="CnfOptions.T0"/> equals <see cref="CnfOptions.T1"/>.</exception>
    public ContinuousNormalizingFlow(TSystem field, CnfOptions? options = null)
        : this(field, options, null)
    {
    }

    internal ContinuousNormalizingFlow(TSystem field, CnfOptions? options, CnfEngine? engine)
        : base(Sized(field).StateCount, field.ParameterCount, options, engine ?? CnfEngine.Scalar(field))
    {
    }

    private static TSystem Sized(TSystem field)
    {
        Guard.Sizes(field);
        return field;
    }
}

/// <summary>Factories of <see cref="ContinuousNormalizingFlow{TSystem}"/> and <see cref="ContinuousNormalizingFlow{THypernetwork, TField}"/>.</summary>
public static class ContinuousNormalizingFlow
{
    /// <summary>
    /// A flow that runs the field's generated lane methods: <c>TLane.Count</c> samples of a chunk per call, one per SIMD lane,
    /// θ broadcast (about 3× the scalar code's throughput at 4 lanes for a 64-wide MLP). Same results as the scalar flow to
    /// rounding; <see cref="CnfOptions.ChunkSize"/> best a multiple of the lane count.
    /// </summary>
    /// <param name="field">The field, generated with <c>[OdeDynamics(SecondOrder = true)]</c> (it then has lane forms).</param>
    /// <param name="options">Settings; <see cref="CnfOptions.Default"/> when null.</param>
    /// <param name="width">Lane width; Auto: the widest the hardware accelerates (with <see cref="CnfPrecision.Single"/>: 16 float lanes, Auto only).</param>
    public static ContinuousNormalizingFlow<TSystem> WithLanes<TSystem>(TSystem field, CnfOptions? options = null, LaneWidth width = LaneWidth.Auto)
        where TSystem : struct, IOdeLaneSystemSecondOrder
    {
        if (!EnsembleOptions.IsLaneWidth(width)) throw new ArgumentOutOfRangeException(nameof(width), width, "Not a LaneWidth.");
        return new ContinuousNormalizingFlow<TSystem>(field, options, CnfEngine.Lanes(field, width, options?.Precision ?? CnfPrecision.Double));
    }

    /// <summary>
    /// A flow over a split field whose per-sample part runs its generated lane methods, <c>TLane.Count</c> samples per
    /// call (see <see cref="ContinuousNormalizingFlow{THypernetwork, TField}"/>); the hypernetwork runs once per evaluation
    /// of the dynamics, whatever the lane count.
    /// </summary>
    /// <param name="hypernetwork">H: [t] and θ to the field's parameters q, generated with <c>[Differentiable]</c>.</param>
    /// <param name="field">g(t, z, q), generated with <c>[OdeDynamics(SecondOrder = true)]</c>; its ParameterCount is H's OutputCount.</param>
    /// <param name="options">Settings; <see cref="CnfOptions.Default"/> when null. <see cref="CnfOptions.ChunkSize"/> 0 (the whole batch in one
    /// solve, as torch solves it) computes H least often; chunks buy parallelism at one H per chunk and evaluation.</param>
    /// <param name="width">Lane width; Auto: the widest the hardware accelerates (with <see cref="CnfPrecision.Single"/>: 16 float lanes, Auto only).</param>
    /// <exception cref="ArgumentException">H does not map one input to the field's parameters, or the field has no states.</exception>
    public static ContinuousNormalizingFlow<THypernetwork, TField> WithHypernetwork<THypernetwork, TField>(THypernetwork hypernetwork, TField field,
        CnfOptions? options = null, LaneWidth width = LaneWidth.Auto)
        where THypernetwork : struct, IDifferentiableFunction where TField : struct, IOdeLaneSystemSecondOrder
    {
        if (!EnsembleOptions.IsLaneWidth(width)) throw new ArgumentOutOfRangeException(nameof(width), width, "Not a LaneWidth.");
        return new ContinuousNormalizingFlow<THypernetwork, TField>(hypernetwork, field, options, CnfEngine.HyperLanes(hypernetwork, field, width, options?.Precision ?? CnfPrecision.Double));
    }
}
