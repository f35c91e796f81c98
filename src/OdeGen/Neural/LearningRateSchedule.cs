namespace OdeGen.Neural;

/// <summary>
/// The learning rate as a function of the iteration: <see cref="RateAt"/>(k, lr₀) is the rate of iteration k
/// (1-based) for a starting rate lr₀. <see cref="NeuralOdeTrainer{TSystem}"/> sets
/// <see cref="Optimizer.LearningRate"/> from it before each step. The shapes follow PyTorch's
/// <c>torch.optim.lr_scheduler</c> (StepLR, ExponentialLR, CosineAnnealingLR) with the first iteration at lr₀.
/// </summary>
/// <remarks>
/// Why a schedule at all: with a mean-absolute-error loss, ∂L/∂ŷ = sign(ŷ − y)/N does not shrink as the fit
/// improves, and RMSprop or Adam divide the gradient by its running root mean square, so every step moves each
/// parameter by about lr however close the fit is. At a constant rate the weights keep jittering at that
/// scale; only a decaying rate lets them settle.
/// </remarks>
public abstract class LearningRateSchedule
{
    private protected LearningRateSchedule()
    {
    }

    /// <summary>The rate of iteration <paramref name="iteration"/> (1-based) when the first iteration uses <paramref name="initialRate"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The iteration is below 1, or the rate is negative or not finite.</exception>
    public double RateAt(int iteration, double initialRate)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(iteration, 1);
        if (!(initialRate >= 0) || !double.IsFinite(initialRate))
            throw new ArgumentOutOfRangeException(nameof(initialRate), initialRate, "The rate must be finite and non-negative.");
        return initialRate * Factor(iteration - 1);
    }

    /// <summary>A short description, such as <c>cosine(2000, 0.01)</c>.</summary>
    public abstract string Name { get; }

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>lr / lr₀ after <paramref name="completed"/> iterations (0 for the first).</summary>
    private protected abstract double Factor(int completed);

    /// <summary>The starting rate throughout.</summary>
    public static LearningRateSchedule Constant { get; } = new ConstantSchedule();

    /// <summary>
    /// Multiplies the rate by <paramref name="gamma"/> every <paramref name="stepSize"/> iterations
    /// (PyTorch's StepLR): lr = lr₀·γ^⌊(k − 1)/stepSize⌋.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">stepSize is below 1, or γ is outside (0, 1].</exception>
    public static LearningRateSchedule Step(int stepSize, double gamma)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stepSize, 1);
        return new StepSchedule(stepSize, CheckGamma(gamma));
    }

    /// <summary>lr = lr₀·γ^(k − 1) (PyTorch's ExponentialLR).</summary>
    /// <exception cref="ArgumentOutOfRangeException">γ is outside (0, 1].</exception>
    public static LearningRateSchedule Exponential(double gamma) => new ExponentialSchedule(CheckGamma(gamma));

    /// <summary>
    /// Cosine annealing over <paramref name="iterations"/> iterations (PyTorch's CosineAnnealingLR without
    /// restarts): lr = lr_min + (lr₀ − lr_min)·(1 + cos(π(k − 1)/iterations))/2 with lr_min =
    /// <paramref name="minimumFraction"/>·lr₀, and lr_min after the last.
    /// </summary>
    /// <param name="iterations">Iterations over which the rate falls from lr₀ to lr_min.</param>
    /// <param name="minimumFraction">lr_min / lr₀, in [0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException">iterations is below 1, or the fraction is outside [0, 1].</exception>
    public static LearningRateSchedule Cosine(int iterations, double minimumFraction = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        if (!(minimumFraction >= 0 && minimumFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(minimumFraction), minimumFraction, "The minimum fraction must be in [0, 1].");
        return new CosineSchedule(iterations, minimumFraction);
    }

    /// <summary>
    /// <paramref name="first"/> for iterations 1..<paramref name="milestone"/>, then <paramref name="second"/> started
    /// afresh from lr₀ (PyTorch's SequentialLR): iteration k &gt; milestone gets second's rate of iteration k − milestone.
    /// With <see cref="Constant"/> first, this holds the starting rate and anneals only at the end.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The milestone is negative.</exception>
    public static LearningRateSchedule Sequential(LearningRateSchedule first, int milestone, LearningRateSchedule second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        ArgumentOutOfRangeException.ThrowIfNegative(milestone);
        return new SequentialSchedule(first, milestone, second);
    }

    private static double CheckGamma(double gamma) =>
        gamma > 0 && gamma <= 1 ? gamma : throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "γ must be in (0, 1].");

    private static string Format(double x) => x.ToString("G4", System.Globalization.CultureInfo.InvariantCulture);

    private sealed class ConstantSchedule : LearningRateSchedule
    {
        public override string Name => "constant";

        private protected override double Factor(int completed) => 1.0;
    }

    private sealed class StepSchedule(int stepSize, double gamma) : LearningRateSchedule
    {
        public override string Name => $"step({stepSize}, {Format(gamma)})";

        private protected override double Factor(int completed) => Math.Pow(gamma, completed / stepSize);
    }

    private sealed class ExponentialSchedule(double gamma) : LearningRateSchedule
    {
        public override string Name => $"exponential({Format(gamma)})";

        private protected override double Factor(int completed) => Math.Pow(gamma, completed);
    }

    private sealed class SequentialSchedule(LearningRateSchedule first, int milestone, LearningRateSchedule second) : LearningRateSchedule
    {
        public override string Name => $"{first.Name} to {milestone}, then {second.Name}";

        private protected override double Factor(int completed) =>
            completed < milestone ? first.Factor(completed) : second.Factor(completed - milestone);
    }

    private sealed class CosineSchedule(int iterations, double minimum) : LearningRateSchedule
    {
        public override string Name => $"cosine({iterations}, {Format(minimum)})";

        private protected override double Factor(int completed) =>
            completed >= iterations ? minimum : minimum + (1 - minimum) * 0.5 * (1 + Math.Cos(Math.PI * completed / iterations));
    }
}
