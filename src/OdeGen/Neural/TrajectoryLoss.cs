namespace OdeGen.Neural;

/// <summary>Which loss a trainer puts on predicted trajectories.</summary>
public enum TrajectoryLossKind
{
    /// <summary>Mean absolute error, mean |ŷ − y| (the spiral demo's loss).</summary>
    MeanAbsolute,

    /// <summary>Mean squared error, mean (ŷ − y)².</summary>
    MeanSquared,
}

/// <summary>
/// Losses on trajectories that also return ∂L/∂ŷ in the layout <see cref="Ode.Gradient{TSystem}(in TSystem, ReadOnlySpan{double}, ReadOnlySpan{double}, double, ReadOnlySpan{double}, ReadOnlySpan{double}, Sensitivity?, SolverOptions?)"/> takes for
/// <c>dLdy</c>: predicted and target states row by row (time i, state j at [i·n + j]).
/// </summary>
/// <remarks>
/// <c>count</c> is the number the mean divides by. It defaults to the number of entries given, and is larger
/// when the entries are one sample of a batch whose mean runs over all samples: the batch loss is then the sum
/// of the per-sample results, and each sample's dLdy is already scaled right.
/// </remarks>
public static class TrajectoryLoss
{
    /// <summary>L = Σ|ŷ − y| / count; writes ∂L/∂ŷ = sign(ŷ − y) / count (0 where ŷ = y, as PyTorch's <c>abs</c>).</summary>
    /// <exception cref="ArgumentException">The lengths differ, count is smaller than the number of entries, or a target is not finite.</exception>
    public static double MeanAbsoluteError(ReadOnlySpan<double> predicted, ReadOnlySpan<double> target, Span<double> dLdy, int count = 0)
    {
        double scale = 1.0 / Check(predicted, target, dLdy, ref count);
        double sum = 0;
        for (int i = 0; i < predicted.Length; i++)
        {
            double d = predicted[i] - target[i];
            sum += Math.Abs(d);
            dLdy[i] = d > 0 ? scale : d < 0 ? -scale : 0.0;
        }
        return sum * scale;
    }

    /// <summary>L = Σ(ŷ − y)² / count; writes ∂L/∂ŷ = 2(ŷ − y) / count.</summary>
    /// <exception cref="ArgumentException">The lengths differ, count is smaller than the number of entries, or a target is not finite.</exception>
    public static double MeanSquaredError(ReadOnlySpan<double> predicted, ReadOnlySpan<double> target, Span<double> dLdy, int count = 0)
    {
        double scale = 1.0 / Check(predicted, target, dLdy, ref count);
        double sum = 0;
        for (int i = 0; i < predicted.Length; i++)
        {
            double d = predicted[i] - target[i];
            sum += d * d;
            dLdy[i] = 2 * d * scale;
        }
        return sum * scale;
    }

    /// <summary>The loss of the given kind (see <see cref="MeanAbsoluteError"/>, <see cref="MeanSquaredError"/>).</summary>
    public static double Compute(TrajectoryLossKind kind, ReadOnlySpan<double> predicted, ReadOnlySpan<double> target, Span<double> dLdy, int count = 0) =>
        kind switch
        {
            TrajectoryLossKind.MeanAbsolute => MeanAbsoluteError(predicted, target, dLdy, count),
            TrajectoryLossKind.MeanSquared => MeanSquaredError(predicted, target, dLdy, count),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown loss."),
        };

    private static int Check(ReadOnlySpan<double> predicted, ReadOnlySpan<double> target, Span<double> dLdy, ref int count)
    {
        if (target.Length != predicted.Length || dLdy.Length != predicted.Length)
            throw new ArgumentException($"predicted, target and dLdy must have one length; they have {predicted.Length}, {target.Length} and {dLdy.Length}.", nameof(target));
        if (count == 0) count = predicted.Length;
        if (count < predicted.Length || count <= 0)
            throw new ArgumentException($"count ({count}) must be at least the number of entries ({predicted.Length}) and positive.", nameof(count));
        // A NaN target gave a NaN loss, and the mean absolute error's ∂L/∂ŷ = 0 there: a gradient that ignored the entry.
        for (int i = 0; i < target.Length; i++)
        {
            if (!double.IsFinite(target[i])) throw new ArgumentException($"target[{i}] is {target[i]}; every target must be finite.", nameof(target));
        }

        return count;
    }
}
