namespace OdeGen.Latent;

/// <summary>How the encoder reads a series (backwards in time, from its last observation to <see cref="LatentOdeOptions.T0"/>).</summary>
public enum LatentEncoder
{
    /// <summary>ODE-RNN (Rubanova et al. 2019): a GRU update at each observation, the hidden state evolved by an ODE between observations.</summary>
    OdeRnn,

    /// <summary>A plain GRU whose input at each observation also holds Δt, the time to the next observation.</summary>
    RnnDeltaT,
}

/// <summary>How the latent state moves from <see cref="LatentOdeOptions.T0"/> through the query times.</summary>
public enum LatentDecoder
{
    /// <summary>The latent ODE dz/dt = f(z), solved through each series' own times.</summary>
    Ode,

    /// <summary>The RNN-Δt baseline: at each query time z ← GRU(Δt, z), Δt the time since the previous query (or T0).</summary>
    RnnDeltaT,
}

/// <summary>The sizes and numerics of a <see cref="LatentOdeModel"/>.</summary>
public sealed record LatentOdeOptions
{
    /// <summary>Features per observation (D).</summary>
    public required int Features { get; init; }

    /// <summary>Size of the latent state z (L).</summary>
    public int LatentSize { get; init; } = 4;

    /// <summary>Size of the encoder's GRU hidden state.</summary>
    public int EncoderHidden { get; init; } = 25;

    /// <summary>Hidden units of the ODE-RNN's dynamics (a tanh MLP on the encoder state).</summary>
    public int EncoderOdeHidden { get; init; } = 25;

    /// <summary>Hidden units of the latent dynamics f (a tanh MLP: W₂·tanh(W₁·z + b₁) + b₂).</summary>
    public int DynamicsHidden { get; init; } = 20;

    /// <summary>The encoder.</summary>
    public LatentEncoder Encoder { get; init; } = LatentEncoder.OdeRnn;

    /// <summary>The decoder.</summary>
    public LatentDecoder Decoder { get; init; } = LatentDecoder.Ode;

    /// <summary>The time of the initial latent state z₀; every time of every series must be at or after it.</summary>
    public double T0 { get; init; }

    /// <summary>Largest RK4 step of the latent ODE: each interval between a series' consecutive times takes ⌈Δt / MaxStep⌉ equal steps.</summary>
    public double MaxStep { get; init; } = 0.25;

    /// <summary>Largest RK4 step of the ODE-RNN's evolution between observations.</summary>
    public double EncoderMaxStep { get; init; } = 0.5;

    /// <summary>The observation noise σ of the Gaussian likelihood, the same for every feature.</summary>
    public double NoiseStd { get; init; } = 0.1;

    /// <summary>True: log σ² of each feature is a parameter (slice "noise.logVariance", starting at log NoiseStd²) learned with the rest.</summary>
    public bool LearnNoise { get; init; }

    /// <summary>SIMD width: one series per lane (<see cref="LaneWidth.Auto"/>: the widest the hardware accelerates; <see cref="LaneWidth.Lane1"/>: one at a time).</summary>
    public LaneWidth Lanes { get; init; } = LaneWidth.Auto;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Features, nameof(Features));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(LatentSize, nameof(LatentSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(EncoderHidden, nameof(EncoderHidden));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(EncoderOdeHidden, nameof(EncoderOdeHidden));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(DynamicsHidden, nameof(DynamicsHidden));
        if (!double.IsFinite(T0)) throw new ArgumentException($"T0 must be finite, not {T0}.", nameof(T0));
        if (!(MaxStep > 0) || !double.IsFinite(MaxStep)) throw new ArgumentException($"MaxStep must be positive and finite, not {MaxStep}.", nameof(MaxStep));
        if (!(EncoderMaxStep > 0) || !double.IsFinite(EncoderMaxStep)) throw new ArgumentException($"EncoderMaxStep must be positive and finite, not {EncoderMaxStep}.", nameof(EncoderMaxStep));
        if (!(NoiseStd > 0) || !double.IsFinite(NoiseStd)) throw new ArgumentException($"NoiseStd must be positive and finite, not {NoiseStd}.", nameof(NoiseStd));
        if (!Enum.IsDefined(Encoder)) throw new ArgumentException($"Unknown encoder {Encoder}.", nameof(Encoder));
        if (!Enum.IsDefined(Decoder)) throw new ArgumentException($"Unknown decoder {Decoder}.", nameof(Decoder));
        if (!EnsembleOptions.IsLaneWidth(Lanes)) throw new ArgumentException($"Lanes {(int)Lanes} is not a LaneWidth.", nameof(Lanes));
    }
}

/// <summary>The ELBO of a batch, per series (means over the batch's series).</summary>
/// <param name="Loss">The negative ELBO, NLL + KlWeight·KL, averaged over the series: what the gradient is of.</param>
/// <param name="NegativeLogLikelihood">−log p(x | z₀) summed over each series' observed values, averaged over the series.</param>
/// <param name="Kl">KL(q(z₀ | x) ‖ N(0, I)), averaged over the series.</param>
/// <param name="SquaredError">Σ (x − x̂)² over every observed value of the batch (x̂ the decoded mean).</param>
/// <param name="ObservedValues">Number of observed values in the batch's targets.</param>
public readonly record struct LatentElbo(double Loss, double NegativeLogLikelihood, double Kl, double SquaredError, int ObservedValues);
