using OdeGen.Lanes;
using OdeGen.Layers;
using OdeGen.Neural;
using OdeGen.Threading;

namespace OdeGen.Latent;

/// <summary>
/// A latent ODE for irregularly sampled series (Rubanova, Chen and Duvenaud 2019): an encoder reads each series
/// backwards (ODE-RNN or RNN-Δt) and gives q(z₀ | x) = N(μ, diag σ²); z₀ = μ + σ⊙ε (reparameterised); the latent ODE
/// dz/dt = f(z) is solved from <see cref="LatentOdeOptions.T0"/> through the series' own times; a linear decoder gives the
/// mean of a Gaussian likelihood. <see cref="Elbo(ReadOnlySpan{double}, IReadOnlyList{IrregularSeries}, IReadOnlyList{IrregularSeries}, ReadOnlySpan{double}, Span{double})"/>
/// returns the negative ELBO of a batch and its exact gradient through every part.
/// </summary>
/// <remarks>
/// Series run one per SIMD lane, each on its own time grid: a lane steps with its own RK4 step sizes onto its own
/// times (the dynamics are autonomous, so lanes need not share t), and a lane whose series has ended idles with h = 0.
/// No series is padded to the union of the block's times. The gradient is the discrete adjoint of those steps, the
/// GRU updates and the decoder: the exact gradient of the computed loss. Missing values (mask 0) enter neither the
/// encoder (its input is [x⊙m, m]) nor the likelihood. One instance keeps its work space between calls; use one per thread
/// (a call made while another runs on another thread throws <see cref="InvalidOperationException"/>).
/// </remarks>
public sealed class LatentOdeModel
{
    private readonly LatentBlock<Lane1>? _lane1;
    private readonly LatentBlock<Lane128>? _lane128;
    private readonly LatentBlock<Lane256>? _lane256;
    private readonly LatentBlock<Lane512>? _lane512;

    /// <summary>Creates the model and its parameter layout.</summary>
    public LatentOdeModel(LatentOdeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        int d = options.Features, l = options.LatentSize, he = options.EncoderHidden;
        long inputs = (2L * d) + (options.Encoder == LatentEncoder.RnnDeltaT ? 1 : 0);
        if (inputs + he > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(options), $"Features = {d} and EncoderHidden = {he} are too large for an encoder's input.");
        int encoderInputs = (int)inputs;
        EncoderInputs = encoderInputs;
        var layout = new ParameterLayout();
        EncoderGru = layout.AddVector("encoder.gru", GruCount(encoderInputs, he));
        if (options.Encoder == LatentEncoder.OdeRnn)
        {
            EncoderDynamics = new LaneTanhMlp(he, options.EncoderOdeHidden);
            EncoderOde = layout.AddVector("encoder.ode", EncoderDynamics.ParameterCount);
        }

        EncoderHeadWeight = layout.AddMatrix("encoder.head.weight", 2 * l, he);
        EncoderHeadBias = layout.AddVector("encoder.head.bias", 2 * l);
        if (options.Decoder == LatentDecoder.Ode)
        {
            Dynamics = new LaneTanhMlp(l, options.DynamicsHidden);
            LatentOde = layout.AddVector("latent.ode", Dynamics.ParameterCount);
        }
        else
        {
            DecoderGru = layout.AddVector("latent.gru", GruCount(1, l));
        }

        DecoderWeight = layout.AddMatrix("decoder.weight", d, l);
        DecoderBias = layout.AddVector("decoder.bias", d);
        if (options.LearnNoise) NoiseLogVariance = layout.AddVector("noise.logVariance", d);
        Layout = layout;
        EncoderCell = new LayerFunctions.GruCellFunction(encoderInputs + he, GruCount(encoderInputs, he), he);
        Head = new LayerFunctions.LinearFunction(he, (2 * l * he) + (2 * l), 2 * l);
        if (DecoderGru is not null) DecoderCell = new LayerFunctions.GruCellFunction(1 + l, GruCount(1, l), l);
        Emission = new LayerFunctions.LinearFunction(l, (d * l) + d, d);
        Width = options.Lanes == LaneWidth.Auto ? EnsembleOptions.HardwareWidth : options.Lanes;
        switch (Width)
        {
            case LaneWidth.Lane512: _lane512 = new(this); break;
            case LaneWidth.Lane256: _lane256 = new(this); break;
            case LaneWidth.Lane128: _lane128 = new(this); break;
            default: _lane1 = new(this); break;
        }
    }

    /// <summary>The options the model was built with.</summary>
    public LatentOdeOptions Options { get; }

    /// <summary>
    /// Where each part's parameters sit in θ: "encoder.gru" (PyTorch GRUCell order: W_ih, W_hh, b_ih, b_hh), "encoder.ode"
    /// (ODE-RNN only: W₁, b₁, W₂, b₂), "encoder.head.weight"/"bias" (hidden → [μ, log σ²]), "latent.ode" (W₁, b₁, W₂,
    /// b₂) or "latent.gru" (RNN-Δt decoder), "decoder.weight"/"bias" (z → x̂), "noise.logVariance" when learned.
    /// </summary>
    public ParameterLayout Layout { get; }

    /// <summary>Length of θ.</summary>
    public int ParameterCount => Layout.Count;

    /// <summary>The SIMD width the model runs at (lanes per block).</summary>
    public LaneWidth Width { get; }

    /// <summary>Weight of the KL term in the loss (1: the ELBO; smaller while annealing).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a negative, NaN or infinite weight.</exception>
    public double KlWeight
    {
        get;
        set => field = value >= 0 && double.IsFinite(value)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "The KL weight must be finite and non-negative (0 drops the KL term, 1 is the ELBO).");
    } = 1.0;

    internal int EncoderInputs { get; }
    internal ParameterSlice EncoderGru { get; }
    internal ParameterSlice? EncoderOde { get; }
    internal ParameterSlice EncoderHeadWeight { get; }
    internal ParameterSlice EncoderHeadBias { get; }
    internal ParameterSlice? LatentOde { get; }
    internal ParameterSlice? DecoderGru { get; }
    internal ParameterSlice DecoderWeight { get; }
    internal ParameterSlice DecoderBias { get; }
    internal ParameterSlice? NoiseLogVariance { get; }
    internal LaneTanhMlp? EncoderDynamics { get; }
    internal LaneTanhMlp? Dynamics { get; }
    internal LayerFunctions.GruCellFunction EncoderCell { get; }
    internal LayerFunctions.GruCellFunction DecoderCell { get; }
    internal LayerFunctions.LinearFunction Head { get; }
    internal LayerFunctions.LinearFunction Emission { get; }

    /// <summary>
    /// θ initialised from <paramref name="seed"/>: GRU cells and linear layers as PyTorch (U(±1/√fan_in), a GRU U(±1/√hidden)),
    /// the dynamics' weights N(0, 0.1²) and biases 0 (as Rubanova's latent_ode), log σ² = log NoiseStd² when learned.
    /// </summary>
    public double[] CreateParameters(int seed)
    {
        var random = new Random(seed);
        double[] theta = Layout.CreateVector();
        Initializers.Uniform(EncoderGru.Of(theta), random, -1 / Math.Sqrt(Options.EncoderHidden), 1 / Math.Sqrt(Options.EncoderHidden));
        if (EncoderOde is { } eo) Mlp(eo.Of(theta), EncoderDynamics!, random);
        double headBound = 1 / Math.Sqrt(Options.EncoderHidden);
        Initializers.Uniform(EncoderHeadWeight.Of(theta), random, -headBound, headBound);
        Initializers.Uniform(EncoderHeadBias.Of(theta), random, -headBound, headBound);
        if (LatentOde is { } lo) Mlp(lo.Of(theta), Dynamics!, random);
        if (DecoderGru is { } dg) Initializers.Uniform(dg.Of(theta), random, -1 / Math.Sqrt(Options.LatentSize), 1 / Math.Sqrt(Options.LatentSize));
        double decoderBound = 1 / Math.Sqrt(Options.LatentSize);
        Initializers.Uniform(DecoderWeight.Of(theta), random, -decoderBound, decoderBound);
        Initializers.Uniform(DecoderBias.Of(theta), random, -decoderBound, decoderBound);
        if (NoiseLogVariance is { } nv) nv.Of(theta).Fill(2 * Math.Log(Options.NoiseStd));
        return theta;
    }

    /// <summary>The negative ELBO of a batch that reconstructs its own observations (encoder and decoder see the same series).</summary>
    public LatentElbo Elbo(ReadOnlySpan<double> theta, IReadOnlyList<IrregularSeries> batch, ReadOnlySpan<double> epsilon, Span<double> gradient) =>
        Elbo(theta, batch, batch, epsilon, gradient);

    /// <summary>
    /// The negative ELBO, averaged over the batch: for series j the encoder reads <paramref name="inputs"/>[j], z₀ =
    /// μ + σ⊙ε_j with ε_j = row j of <paramref name="epsilon"/> (B × LatentSize, your draws of N(0, I): fixed draws
    /// make the loss a deterministic function of θ), and the likelihood is of the observed values of
    /// <paramref name="targets"/>[j] at its own times. The gradient (overwritten) is exact for the computed loss;
    /// pass an empty span for the loss alone.
    /// </summary>
    /// <exception cref="ArgumentException">Sizes disagree, a series has the wrong feature count, a time is before T0, or ε is not finite.</exception>
    /// <exception cref="OdeSolverException">The states became non-finite (the message names the series).</exception>
    public LatentElbo Elbo(ReadOnlySpan<double> theta, IReadOnlyList<IrregularSeries> inputs, IReadOnlyList<IrregularSeries> targets,
        ReadOnlySpan<double> epsilon, Span<double> gradient)
    {
        Check(theta, inputs, epsilon, nameof(inputs));
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.Count != inputs.Count) throw new ArgumentException($"There are {inputs.Count} inputs but {targets.Count} targets.", nameof(targets));
        for (int j = 0; j < targets.Count; j++) CheckSeries(targets[j], j, nameof(targets));
        if (!gradient.IsEmpty && gradient.Length != ParameterCount)
            throw new ArgumentException($"gradient must have length {ParameterCount} (or be empty), not {gradient.Length}.", nameof(gradient));
        Enter();
        try
        {
            return Width switch
            {
                LaneWidth.Lane512 => _lane512!.Elbo(theta, inputs, targets, epsilon, gradient),
                LaneWidth.Lane256 => _lane256!.Elbo(theta, inputs, targets, epsilon, gradient),
                LaneWidth.Lane128 => _lane128!.Elbo(theta, inputs, targets, epsilon, gradient),
                _ => _lane1!.Elbo(theta, inputs, targets, epsilon, gradient),
            };
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// Decodes each series at its query times: encodes <paramref name="inputs"/>[j], takes z₀ = μ + σ⊙ε_j (ε zero: the
    /// posterior mean), solves through <paramref name="queryTimes"/>[j] (increasing, at or after T0) and writes the decoded
    /// means into <paramref name="predictions"/>, series after series, each queryTimes[j].Length × Features.
    /// </summary>
    public void Predict(ReadOnlySpan<double> theta, IReadOnlyList<IrregularSeries> inputs, IReadOnlyList<double[]> queryTimes,
        ReadOnlySpan<double> epsilon, Span<double> predictions)
    {
        Check(theta, inputs, epsilon, nameof(inputs));
        ArgumentNullException.ThrowIfNull(queryTimes);
        if (queryTimes.Count != inputs.Count) throw new ArgumentException($"There are {inputs.Count} inputs but {queryTimes.Count} query-time arrays.", nameof(queryTimes));
        var targets = new IrregularSeries[inputs.Count];
        int total = 0, d = Options.Features;
        for (int j = 0; j < inputs.Count; j++)
        {
            double[] q = queryTimes[j] ?? throw new ArgumentException($"queryTimes[{j}] is null.", nameof(queryTimes));
            targets[j] = new IrregularSeries(inputs[j].Id, q, new double[q.Length * d], new double[q.Length * d], d);
            CheckSeries(targets[j], j, nameof(queryTimes));
            total += q.Length * d;
        }

        if (predictions.Length != total) throw new ArgumentException($"predictions must have length Σ queryTimes[j].Length × Features = {total}, not {predictions.Length}.", nameof(predictions));
        Enter();
        try
        {
            switch (Width)
            {
                case LaneWidth.Lane512: _lane512!.Predict(theta, inputs, targets, epsilon, predictions); break;
                case LaneWidth.Lane256: _lane256!.Predict(theta, inputs, targets, epsilon, predictions); break;
                case LaneWidth.Lane128: _lane128!.Predict(theta, inputs, targets, epsilon, predictions); break;
                default: _lane1!.Predict(theta, inputs, targets, epsilon, predictions); break;
            }
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// The encoder alone: q(z₀ | x) of each series, its mean into <paramref name="mean"/> and log σ² into
    /// <paramref name="logVariance"/> (each batch × LatentSize, series after series).
    /// </summary>
    public void Encode(ReadOnlySpan<double> theta, IReadOnlyList<IrregularSeries> inputs, Span<double> mean, Span<double> logVariance)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        Check(theta, inputs, new double[inputs.Count * Options.LatentSize], nameof(inputs));
        int n = inputs.Count * Options.LatentSize;
        if (mean.Length != n || logVariance.Length != n)
            throw new ArgumentException($"mean and logVariance must each have length batch × LatentSize = {n}, not {mean.Length} and {logVariance.Length}.", nameof(mean));
        // Sharing memory, one would overwrite the other: the means came back as log variances, with no error.
        if (mean.Overlaps(logVariance))
            throw new ArgumentException("mean and logVariance share memory; give each a buffer of its own.", nameof(logVariance));
        Enter();
        try
        {
            switch (Width)
            {
                case LaneWidth.Lane512: _lane512!.Encode(theta, inputs, mean, logVariance); break;
                case LaneWidth.Lane256: _lane256!.Encode(theta, inputs, mean, logVariance); break;
                case LaneWidth.Lane128: _lane128!.Encode(theta, inputs, mean, logVariance); break;
                default: _lane1!.Encode(theta, inputs, mean, logVariance); break;
            }
        }
        finally
        {
            Exit();
        }
    }

    // Held while an Elbo, Predict or Encode runs. The instance's work space is shared by its calls ("use one per thread"), and
    // two calls at once on different threads returned wrong losses and gradients without an error; now the second throws.
    private OneCallAtATime _calls;

    private void Enter() => _calls.Enter(
        "This LatentOdeModel is already running an Elbo, Predict or Encode call on another thread: its work space is shared by its calls, so use one instance per thread.");

    private void Exit() => _calls.Exit();

    private void Check(ReadOnlySpan<double> theta, IReadOnlyList<IrregularSeries> inputs, ReadOnlySpan<double> epsilon, string name)
    {
        if (theta.Length != ParameterCount) throw new ArgumentException($"theta must have length {ParameterCount} (Layout.Count), not {theta.Length}.", nameof(theta));
        // An infinite θ gave a finite ELBO (tanh and the GRU's gates saturate) and a NaN one was reported as the encoder's failure.
        for (int k = 0; k < theta.Length; k++)
            if (!double.IsFinite(theta[k])) throw new ArgumentException($"theta[{k}] is {theta[k]}; every parameter must be finite.", nameof(theta));
        ArgumentNullException.ThrowIfNull(inputs, name);
        if (inputs.Count == 0) throw new ArgumentException("The batch is empty.", name);
        for (int j = 0; j < inputs.Count; j++) CheckSeries(inputs[j], j, name);
        if (epsilon.Length != inputs.Count * Options.LatentSize)
            throw new ArgumentException($"epsilon must have length batch × LatentSize = {inputs.Count} × {Options.LatentSize}, not {epsilon.Length}.", nameof(epsilon));
        for (int i = 0; i < epsilon.Length; i++)
            if (!double.IsFinite(epsilon[i])) throw new ArgumentException($"epsilon[{i}] is {epsilon[i]}; the draws must be finite.", nameof(epsilon));
    }

    private void CheckSeries(IrregularSeries? s, int j, string name)
    {
        if (s is null) throw new ArgumentException($"{name}[{j}] is null.", name);
        if (s.FeatureCount != Options.Features) throw new ArgumentException($"{name}[{j}] ('{s.Id}') has {s.FeatureCount} features; the model has {Options.Features}.", name);
        if (s.Times[0] < Options.T0) throw new ArgumentException($"{name}[{j}] ('{s.Id}') starts at t = {s.Times[0]}, before T0 = {Options.T0}.", name);
    }

    // In long: 3·hidden·(inputs + hidden) wrapped around in int (EncoderHidden = 70000 gave a positive, wrong slice length).
    private static int GruCount(long inputs, long hidden)
    {
        long count = (3 * hidden * (inputs + hidden)) + (6 * hidden);
        return count <= Array.MaxLength
            ? (int)count
            : throw new ArgumentOutOfRangeException(nameof(hidden), $"A GRU cell of {inputs} inputs and {hidden} hidden units has {count} parameters, more than an array holds.");
    }

    private static void Mlp(Span<double> p, LaneTanhMlp f, Random random)
    {
        int n = f.Size, h = f.Hidden;
        Initializers.Normal(p[..(h * n)], random, 0, 0.1);
        p.Slice(h * n, h).Clear();
        Initializers.Normal(p.Slice((h * n) + h, n * h), random, 0, 0.1);
        p[((h * n) + h + (n * h))..].Clear();
    }
}
