namespace OdeGen.Neural;

/// <summary>
/// A first-order optimizer over one flat parameter vector. Each keeps its own state (momentum, running
/// averages) sized on the first <see cref="Step"/>; the update rules follow PyTorch's <c>torch.optim</c>
/// definitions so hyper-parameters carry over.
/// </summary>
public abstract class Optimizer
{
    private protected Optimizer(double learningRate)
    {
        LearningRate = learningRate;
    }

    /// <summary>The learning rate; may be changed between steps (a schedule).</summary>
    public double LearningRate
    {
        get;
        set => field = value >= 0 && double.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "The learning rate must be finite and non-negative.");
    }

    /// <summary>Number of steps taken since construction or <see cref="Reset"/>.</summary>
    public int StepCount { get; private set; }

    /// <summary>Updates <paramref name="parameters"/> in place from <paramref name="gradient"/> (the gradient of the loss to minimize).</summary>
    /// <exception cref="ArgumentException">
    /// The lengths differ, or differ from the first step's, or an entry of either is NaN or infinite (the step would have
    /// written NaN into the parameters and the optimizer's state, and every later step kept it). Nothing is changed then.
    /// </exception>
    public void Step(Span<double> parameters, ReadOnlySpan<double> gradient)
    {
        if (parameters.Length != gradient.Length)
            throw new ArgumentException($"The gradient has {gradient.Length} entries; the parameters have {parameters.Length}.", nameof(gradient));
        for (int i = 0; i < gradient.Length; i++)
        {
            if (!double.IsFinite(gradient[i]))
                throw new ArgumentException($"gradient[{i}] is {gradient[i]}; every entry must be finite (lower the learning rate, or clip the gradient).", nameof(gradient));
            if (!double.IsFinite(parameters[i]))
                throw new ArgumentException($"parameters[{i}] is {parameters[i]}; every entry must be finite.", nameof(parameters));
        }

        EnsureState(parameters.Length);
        StepCount++;
        Update(parameters, gradient);
    }

    /// <summary>Forgets the state (as a fresh optimizer with the same settings).</summary>
    public void Reset()
    {
        StepCount = 0;
        ClearState();
    }

    private protected abstract void Update(Span<double> parameters, ReadOnlySpan<double> gradient);

    private protected abstract void ClearState();

    private protected abstract int StateLength { get; }

    private protected abstract void AllocateState(int length);

    private void EnsureState(int length)
    {
        if (StateLength == 0 && length > 0) AllocateState(length);
        else if (StateLength != length)
            throw new ArgumentException($"This optimizer was sized for {StateLength} parameters on its first step, not {length}; call Reset to reuse it.", nameof(length));
    }

    // ε divides: with ε = 0 a zero gradient (a parameter the loss does not reach) gave 0/0 and a NaN parameter.
    private protected static double CheckEpsilon(double value, string name) =>
        value > 0 && double.IsFinite(value)
            ? value
            : throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive and finite: it keeps the step finite where the running average of g² is 0.");

    private protected static double CheckRate(double value, string name, double upperExclusive = double.PositiveInfinity) =>
        value >= 0 && value < upperExclusive && double.IsFinite(value)
            ? value
            : throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [0, {upperExclusive}).");
}

/// <summary>
/// Stochastic gradient descent with optional momentum (PyTorch's <c>SGD</c>): g ← g + λθ;
/// b ← g on the first step, then b ← μb + (1 − dampening)g; θ ← θ − lr·b (Nesterov: θ ← θ − lr·(g + μb)).
/// Without momentum, θ ← θ − lr·g.
/// </summary>
public sealed class Sgd : Optimizer
{
    private double[] _buffer = [];

    /// <summary>Creates the optimizer.</summary>
    /// <param name="learningRate">Step size lr.</param>
    /// <param name="momentum">Momentum μ (0: plain SGD).</param>
    /// <param name="dampening">Dampening of the gradient in the momentum buffer, in [0, 1].</param>
    /// <param name="nesterov">Nesterov momentum (needs μ &gt; 0 and no dampening).</param>
    /// <param name="weightDecay">L2 penalty λ added to the gradient.</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    /// <exception cref="ArgumentException">Nesterov without momentum or with dampening.</exception>
    public Sgd(double learningRate, double momentum = 0, double dampening = 0, bool nesterov = false, double weightDecay = 0)
        : base(learningRate)
    {
        Momentum = CheckRate(momentum, nameof(momentum));
        // Dampening above 1 turned the momentum buffer against the gradient: the steps went uphill.
        Dampening = dampening is >= 0 and <= 1 ? dampening
            : throw new ArgumentOutOfRangeException(nameof(dampening), dampening, "dampening must be in [0, 1].");
        WeightDecay = CheckRate(weightDecay, nameof(weightDecay));
        if (nesterov && (momentum <= 0 || dampening != 0)) throw new ArgumentException("Nesterov momentum needs momentum > 0 and zero dampening.", nameof(nesterov));
        Nesterov = nesterov;
    }

    /// <summary>Momentum μ.</summary>
    public double Momentum { get; }

    /// <summary>Dampening.</summary>
    public double Dampening { get; }

    /// <summary>Nesterov momentum.</summary>
    public bool Nesterov { get; }

    /// <summary>L2 penalty λ.</summary>
    public double WeightDecay { get; }

    private protected override int StateLength => _buffer.Length;

    private protected override void AllocateState(int length) => _buffer = new double[length];

    private protected override void ClearState() => _buffer = [];

    private protected override void Update(Span<double> parameters, ReadOnlySpan<double> gradient)
    {
        double lr = LearningRate, mu = Momentum;
        for (int i = 0; i < parameters.Length; i++)
        {
            double g = gradient[i] + WeightDecay * parameters[i];
            if (mu != 0)
            {
                _buffer[i] = StepCount == 1 ? g : mu * _buffer[i] + (1 - Dampening) * g;
                g = Nesterov ? g + mu * _buffer[i] : _buffer[i];
            }
            parameters[i] -= lr * g;
        }
    }
}

/// <summary>
/// RMSprop (PyTorch's <c>RMSprop</c>): v ← αv + (1 − α)g²; d = √v + ε (centered: √(v − ḡ²) + ε with
/// ḡ ← αḡ + (1 − α)g); θ ← θ − lr·g/d, or with momentum b ← μb + g/d, θ ← θ − lr·b. ε is added after the
/// square root; v starts at zero.
/// </summary>
public sealed class RmsProp : Optimizer
{
    private double[] _square = [], _average = [], _buffer = [];

    /// <summary>Creates the optimizer (defaults: PyTorch's, α = 0.99, ε = 1e-8).</summary>
    /// <param name="learningRate">Step size lr (PyTorch's default is 0.01).</param>
    /// <param name="alpha">Smoothing constant α of the running mean of g².</param>
    /// <param name="epsilon">ε added to the root for stability (positive).</param>
    /// <param name="momentum">Momentum μ (0: none).</param>
    /// <param name="centered">Normalize by the estimated variance instead of the uncentered second moment.</param>
    /// <param name="weightDecay">L2 penalty λ added to the gradient.</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public RmsProp(double learningRate = 0.01, double alpha = 0.99, double epsilon = 1e-8, double momentum = 0, bool centered = false, double weightDecay = 0)
        : base(learningRate)
    {
        Alpha = CheckRate(alpha, nameof(alpha), 1.0);
        Epsilon = CheckEpsilon(epsilon, nameof(epsilon));
        Momentum = CheckRate(momentum, nameof(momentum));
        WeightDecay = CheckRate(weightDecay, nameof(weightDecay));
        Centered = centered;
    }

    /// <summary>Smoothing constant α.</summary>
    public double Alpha { get; }

    /// <summary>ε, added after the square root.</summary>
    public double Epsilon { get; }

    /// <summary>Momentum μ.</summary>
    public double Momentum { get; }

    /// <summary>Centered variant.</summary>
    public bool Centered { get; }

    /// <summary>L2 penalty λ.</summary>
    public double WeightDecay { get; }

    private protected override int StateLength => _square.Length;

    private protected override void AllocateState(int length)
    {
        _square = new double[length];
        _average = Centered ? new double[length] : [];
        _buffer = Momentum != 0 ? new double[length] : [];
    }

    private protected override void ClearState() => _square = _average = _buffer = [];

    private protected override void Update(Span<double> parameters, ReadOnlySpan<double> gradient)
    {
        double lr = LearningRate, alpha = Alpha;
        for (int i = 0; i < parameters.Length; i++)
        {
            double g = gradient[i] + WeightDecay * parameters[i];
            _square[i] = alpha * _square[i] + (1 - alpha) * g * g;
            double variance = _square[i];
            if (Centered)
            {
                _average[i] = alpha * _average[i] + (1 - alpha) * g;
                // v − ḡ² ≥ 0 in exact arithmetic, but for a steady gradient the two are equal up to rounding and the difference
                // came out slightly negative: √ gave NaN and wrote it into the parameter.
                variance = Math.Max(variance - (_average[i] * _average[i]), 0.0);
            }
            double scaled = g / (Math.Sqrt(variance) + Epsilon);
            if (Momentum != 0)
            {
                _buffer[i] = Momentum * _buffer[i] + scaled;
                scaled = _buffer[i];
            }
            parameters[i] -= lr * scaled;
        }
    }
}

/// <summary>
/// Adam (Kingma &amp; Ba 2015, as PyTorch's <c>Adam</c>): m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²;
/// θ ← θ − (lr / (1 − β₁ᵗ))·m / (√v / √(1 − β₂ᵗ) + ε), with t the step number (bias correction).
/// </summary>
public sealed class Adam : Optimizer
{
    private double[] _first = [], _second = [];

    /// <summary>Creates the optimizer (defaults: lr = 1e-3, β = (0.9, 0.999), ε = 1e-8).</summary>
    /// <param name="learningRate">Step size lr.</param>
    /// <param name="beta1">Decay β₁ of the first moment.</param>
    /// <param name="beta2">Decay β₂ of the second moment.</param>
    /// <param name="epsilon">ε added to the bias-corrected root (positive).</param>
    /// <param name="weightDecay">L2 penalty λ added to the gradient (Adam's, not AdamW's decoupled decay).</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public Adam(double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0)
        : base(learningRate)
    {
        Beta1 = CheckRate(beta1, nameof(beta1), 1.0);
        Beta2 = CheckRate(beta2, nameof(beta2), 1.0);
        Epsilon = CheckEpsilon(epsilon, nameof(epsilon));
        WeightDecay = CheckRate(weightDecay, nameof(weightDecay));
    }

    /// <summary>Decay β₁ of the first moment.</summary>
    public double Beta1 { get; }

    /// <summary>Decay β₂ of the second moment.</summary>
    public double Beta2 { get; }

    /// <summary>ε.</summary>
    public double Epsilon { get; }

    /// <summary>L2 penalty λ.</summary>
    public double WeightDecay { get; }

    private protected override int StateLength => _first.Length;

    private protected override void AllocateState(int length)
    {
        _first = new double[length];
        _second = new double[length];
    }

    private protected override void ClearState() => _first = _second = [];

    private protected override void Update(Span<double> parameters, ReadOnlySpan<double> gradient)
    {
        double correction1 = 1 - Math.Pow(Beta1, StepCount), correction2 = 1 - Math.Pow(Beta2, StepCount);
        double stepSize = LearningRate / correction1, rootCorrection2 = Math.Sqrt(correction2);
        for (int i = 0; i < parameters.Length; i++)
        {
            double g = gradient[i] + WeightDecay * parameters[i];
            _first[i] = Beta1 * _first[i] + (1 - Beta1) * g;
            _second[i] = Beta2 * _second[i] + (1 - Beta2) * g * g;
            parameters[i] -= stepSize * _first[i] / (Math.Sqrt(_second[i]) / rootCorrection2 + Epsilon);
        }
    }
}
