namespace OdeGen.Models;

/// <summary>
/// A per-sample loss L(output, target) with its gradient ∂L/∂output; a <see cref="Model"/> averages it over the samples of
/// a batch. The built-in losses are static members; derive to add your own.
/// </summary>
public abstract class Loss
{
    /// <summary>Softmax cross-entropy on class scores (logits): L = log Σⱼ e^{oⱼ} − o_c; the target is the class index c (one value).</summary>
    public static Loss SoftmaxCrossEntropy { get; } = new SoftmaxCrossEntropyLoss();

    /// <summary>Mean squared error: L = (1/K)·Σ (oₖ − tₖ)², the target as long as the output (PyTorch's <c>MSELoss</c>).</summary>
    public static Loss MeanSquaredError { get; } = new MeanSquaredErrorLoss();

    /// <summary>
    /// Gaussian negative log-likelihood of a target under a diagonal Gaussian: the output is [μ (K), log σ² (K)], the target K
    /// values, L = ½·Σ (log σ²ₖ + (tₖ − μₖ)²/σ²ₖ + log 2π). The log-variance output keeps σ² positive without a clamp.
    /// </summary>
    public static Loss GaussianNegativeLogLikelihood { get; } = new GaussianNllLoss();

    /// <summary>
    /// KL(q ‖ p) of diagonal Gaussians: the output is q = [μ_q (K), log σ²_q (K)], the target p = [μ_p (K), log σ²_p (K)];
    /// L = ½·Σ (log σ²_p − log σ²_q + (σ²_q + (μ_q − μ_p)²)/σ²_p − 1). A target of zeros is the standard normal prior.
    /// </summary>
    public static Loss DiagonalGaussianKl { get; } = new DiagonalGaussianKlLoss();

    /// <summary>The loss's name for messages.</summary>
    public abstract string Name { get; }

    /// <summary>Length of one sample's target for a model with <paramref name="outputSize"/> outputs.</summary>
    /// <exception cref="ArgumentException">The loss cannot use that many outputs (the message says what it needs).</exception>
    public abstract int TargetSize(int outputSize);

    /// <summary>Returns L(output, target) and writes ∂L/∂output into <paramref name="gradient"/> (overwritten).</summary>
    /// <exception cref="ArgumentException">The target is not valid for this loss (a class index out of range, …), or (built-in losses) a span's length does not fit the output's.</exception>
    public abstract double Evaluate(ReadOnlySpan<double> output, ReadOnlySpan<double> target, Span<double> gradient);

    /// <inheritdoc/>
    public override string ToString() => Name;

    // The built-in losses' span checks (a model always passes matching spans; a direct call may not): the target's length
    // is the loss's TargetSize for this output, the gradient's the output's.
    private protected void CheckSpans(ReadOnlySpan<double> output, ReadOnlySpan<double> target, Span<double> gradient)
    {
        if (output.IsEmpty) throw new ArgumentException($"{Name}: the output is empty.", nameof(output));
        int targetSize = TargetSize(output.Length);
        if (target.Length != targetSize)
            throw new ArgumentException($"{Name}: target has {target.Length} entries; {output.Length} outputs need {targetSize}.", nameof(target));
        if (gradient.Length != output.Length)
            throw new ArgumentException($"{Name}: gradient has {gradient.Length} entries; it needs one per output ({output.Length}).", nameof(gradient));
        // A model checks its targets once per batch; a direct call with a NaN target returned a NaN loss and gradient.
        for (int i = 0; i < target.Length; i++)
        {
            if (!double.IsFinite(target[i])) throw new ArgumentException($"{Name}: target[{i}] is {target[i]}; every target must be finite.", nameof(target));
        }
    }

    private protected static int Halves(int outputSize, string name) =>
        outputSize >= 2 && outputSize % 2 == 0 ? outputSize / 2
            : throw new ArgumentException($"{name} reads the output as [mean, log-variance] halves, so it needs a positive, even number of outputs, not {outputSize}.", nameof(outputSize));
}

internal sealed class SoftmaxCrossEntropyLoss : Loss
{
    public override string Name => "softmax cross-entropy";

    public override int TargetSize(int outputSize) =>
        outputSize >= 2 ? 1 : throw new ArgumentException($"Softmax cross-entropy needs at least two class scores, not {outputSize}.", nameof(outputSize));

    public override double Evaluate(ReadOnlySpan<double> output, ReadOnlySpan<double> target, Span<double> gradient)
    {
        CheckSpans(output, target, gradient);
        double label = target[0];
        int c = (int)label;
        if (c != label || c < 0 || c >= output.Length)
            throw new ArgumentException($"A softmax cross-entropy target is a class index in [0, {output.Length}), not {label}.", nameof(target));

        // log Σ e^{o} with the largest score taken out, so no exponential overflows.
        double max = double.NegativeInfinity;
        foreach (double o in output) max = Math.Max(max, o);
        double sum = 0.0;
        for (int k = 0; k < output.Length; k++) sum += Math.Exp(output[k] - max);
        for (int k = 0; k < output.Length; k++) gradient[k] = Math.Exp(output[k] - max) / sum;
        gradient[c] -= 1.0;
        return max + Math.Log(sum) - output[c];
    }
}

internal sealed class MeanSquaredErrorLoss : Loss
{
    public override string Name => "mean squared error";

    public override int TargetSize(int outputSize) =>
        outputSize >= 1 ? outputSize : throw new ArgumentOutOfRangeException(nameof(outputSize), outputSize, "The mean squared error needs at least one output.");

    public override double Evaluate(ReadOnlySpan<double> output, ReadOnlySpan<double> target, Span<double> gradient)
    {
        CheckSpans(output, target, gradient);
        double sum = 0.0, scale = 1.0 / output.Length;
        for (int k = 0; k < output.Length; k++)
        {
            double d = output[k] - target[k];
            sum += d * d;
            gradient[k] = 2.0 * scale * d;
        }

        return sum * scale;
    }
}

internal sealed class GaussianNllLoss : Loss
{
    private static readonly double LogTwoPi = Math.Log(2.0 * Math.PI);

    public override string Name => "Gaussian negative log-likelihood";

    public override int TargetSize(int outputSize) => Halves(outputSize, "The Gaussian negative log-likelihood");

    public override double Evaluate(ReadOnlySpan<double> output, ReadOnlySpan<double> target, Span<double> gradient)
    {
        CheckSpans(output, target, gradient);
        int k = output.Length / 2;
        double sum = 0.0;
        for (int i = 0; i < k; i++)
        {
            double mean = output[i], logVariance = output[k + i], d = target[i] - mean, precision = Math.Exp(-logVariance);
            sum += 0.5 * (logVariance + (d * d * precision) + LogTwoPi);
            gradient[i] = -d * precision;
            gradient[k + i] = 0.5 * (1.0 - (d * d * precision));
        }

        return sum;
    }
}

internal sealed class DiagonalGaussianKlLoss : Loss
{
    public override string Name => "KL divergence of diagonal Gaussians";

    public override int TargetSize(int outputSize)
    {
        Halves(outputSize, "The KL divergence");
        return outputSize;
    }

    public override double Evaluate(ReadOnlySpan<double> output, ReadOnlySpan<double> target, Span<double> gradient)
    {
        CheckSpans(output, target, gradient);
        int k = output.Length / 2;
        double sum = 0.0;
        for (int i = 0; i < k; i++)
        {
            double meanQ = output[i], logVarQ = output[k + i], meanP = target[i], logVarP = target[k + i];
            double d = meanQ - meanP, precisionP = Math.Exp(-logVarP), ratio = Math.Exp(logVarQ - logVarP);
            sum += 0.5 * (logVarP - logVarQ + ratio + (d * d * precisionP) - 1.0);
            gradient[i] = d * precisionP;
            gradient[k + i] = 0.5 * (ratio - 1.0);
        }

        return sum;
    }
}
