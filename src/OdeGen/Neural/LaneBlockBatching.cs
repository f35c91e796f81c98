using OdeGen.Lanes;

namespace OdeGen.Neural;

/// <summary>
/// Creates the lane-block mode of <see cref="NeuralOdeTrainer{TSystem}"/> (its <see cref="NeuralOdeTrainer{TSystem}.LaneBlocks"/>):
/// the minibatch goes through lane blocks, one sample per SIMD lane, instead of one solve per sample.
/// </summary>
public static class LaneBlockBatching
{
    /// <summary>
    /// The lane-block mode for a lane-batched system (every generated <c>{Type}.{Method}System</c> of a <c>double</c>
    /// method is one). <paramref name="system"/> only fixes the type; the trainer's own system is the one solved.
    /// </summary>
    /// <param name="system">The trainer's system (for the type).</param>
    /// <param name="width">The lane width (default: the hardware's).</param>
    public static LaneBlockBatching<TSystem> For<TSystem>(in TSystem system, LaneWidth width = LaneWidth.Auto)
        where TSystem : struct, IOdeLaneSystem
    {
        if (!Enum.IsDefined(width)) throw new ArgumentException($"Width {(int)width} is not a LaneWidth.", nameof(width));
        return new LaneBlockEngine<TSystem>(width);
    }
}

/// <summary>
/// The lane-block mode of <see cref="NeuralOdeTrainer{TSystem}"/> (created by <see cref="LaneBlockBatching.For{TSystem}"/>):
/// samples that share their start time and observation times are solved together, one per lane, with
/// <c>Ode.LossGradient(system, EnsembleBatch.Shared(y0s, θ), …, Sensitivity.DiscreteAdjoint)</c> — a shared step per block, the discrete adjoint of the lane
/// steps, and the parameter gradient summed across lanes without atomics.
/// </summary>
/// <remarks>
/// <para>Samples are grouped by equal (T0, Times) — the demo's batches, with every segment over the same relative
/// times (torchdiffeq's <c>batch_t</c>), form one group; samples with times of their own form groups of one and gain
/// nothing. Groups are solved in order of their first sample; the batch loss is summed in sample order and the
/// gradient group by group, so the numbers do not depend on the thread count.</para>
/// <para>The gradient is the discrete adjoint of the lane steps: the trainer's <c>Sensitivity</c> reports
/// <see cref="Sensitivity.DiscreteAdjoint"/> in this mode, and setting another one with it throws. With an adaptive method the lanes of a block share their steps (error = the largest of the lanes' norms), so the
/// result differs from the per-sample discrete adjoint at the level of the solver's tolerance; with a fixed step it
/// equals it up to the order of the sums.</para>
/// </remarks>
/// <typeparam name="TSystem">The dynamics.</typeparam>
public abstract class LaneBlockBatching<TSystem> where TSystem : struct, IOdeSystem
{
    private protected LaneBlockBatching(LaneWidth width) => Width = width;

    /// <summary>The lane width of the blocks.</summary>
    public LaneWidth Width { get; }

    internal abstract BatchResult Gradient(in TSystem system, double[] p, IReadOnlyList<TrajectorySample> batch, int count,
        TrajectoryLossKind loss, Sensitivity sensitivity, SolverOptions solver, int threads, Span<double> gradient);
}

internal sealed class LaneBlockEngine<TSystem>(LaneWidth width) : LaneBlockBatching<TSystem>(width)
    where TSystem : struct, IOdeLaneSystem
{
    internal override BatchResult Gradient(in TSystem system, double[] p, IReadOnlyList<TrajectorySample> batch, int count,
        TrajectoryLossKind loss, Sensitivity sensitivity, SolverOptions solver, int threads, Span<double> gradient)
    {
        int n = system.StateCount, m = system.ParameterCount;
        var ensemble = new EnsembleOptions { Width = Width, MaxDegreeOfParallelism = threads };
        var losses = new double[batch.Count];
        var statuses = new OdeStatus[batch.Count];
        gradient.Clear();
        long evaluations = 0, vjps = 0;
        foreach (int[] group in Groups(batch))
        {
            TrajectorySample head = batch[group[0]];
            var y0s = new double[group.Length * n];
            for (int j = 0; j < group.Length; j++) batch[group[j]].Y0.CopyTo(y0s, j * n);
            EnsembleGradient g = Ode.LossGradient(system, EnsembleBatch.Shared(y0s, p), head.T0, head.Times,
                (j, states, dLdy) => TrajectoryLoss.Compute(loss, states, batch[group[j]].Target, dLdy, count), sensitivity, solver, ensemble);
            evaluations += g.ForwardEvaluations + g.BackwardEvaluations;
            vjps += g.VjpEvaluations;
            for (int j = 0; j < group.Length; j++)
            {
                losses[group[j]] = g.Losses[j];
                statuses[group[j]] = g.Statuses[j];
            }
            double[] shared = g.SharedParameters!;
            for (int k = 0; k < m; k++) gradient[k] += shared[k];
        }
        double total = 0;
        OdeStatus status = OdeStatus.Success;
        for (int i = 0; i < batch.Count; i++)
        {
            total += losses[i];
            if (status == OdeStatus.Success) status = statuses[i];
        }
        if (status != OdeStatus.Success)
        {
            gradient.Fill(double.NaN);
            total = double.NaN;
        }
        double norm = 0;
        foreach (double x in gradient) norm += x * x;
        return new BatchResult(total, Math.Sqrt(norm), evaluations, vjps, status);
    }

    // Indices of the samples with equal T0 and Times, groups in order of their first sample, samples in order within.
    private static List<int[]> Groups(IReadOnlyList<TrajectorySample> batch)
    {
        var groups = new List<List<int>>();
        for (int i = 0; i < batch.Count; i++)
        {
            TrajectorySample s = batch[i];
            List<int>? match = null;
            foreach (List<int> g in groups)
            {
                TrajectorySample h = batch[g[0]];
                if (h.T0 == s.T0 && h.Times.AsSpan().SequenceEqual(s.Times)) { match = g; break; }
            }
            if (match is null) groups.Add(match = []);
            match.Add(i);
        }
        return groups.ConvertAll(g => g.ToArray());
    }
}
