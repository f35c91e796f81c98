using OdeGen.Ensemble;
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
        if (!EnsembleOptions.IsLaneWidth(width)) throw new ArgumentException($"Width {(int)width} is not a LaneWidth.", nameof(width));
        return new LaneBlockEngine<TSystem>(width, EnsembleOptions.Default.KeptBytes, continueAtObservations: true);
    }

    /// <summary>
    /// <see cref="For{TSystem}(in TSystem, LaneWidth)"/> with the bound on the memory each thread's gradient tape spends on
    /// kept primal values (<see cref="EnsembleOptions.KeptBytes"/>: 64 MiB by default, 0 keeps none and every reverse
    /// VJP computes its primal values again; the gradient is the same bits either way).
    /// </summary>
    /// <param name="system">The trainer's system (for the type).</param>
    /// <param name="width">The lane width.</param>
    /// <param name="keptBytes">Most bytes per thread for kept primal values (≥ 0).</param>
    public static LaneBlockBatching<TSystem> For<TSystem>(in TSystem system, LaneWidth width, long keptBytes)
        where TSystem : struct, IOdeLaneSystem
    {
        return For(system, width, keptBytes, continueAtObservations: true);
    }

    /// <summary>
    /// <see cref="For{TSystem}(in TSystem, LaneWidth, long)"/> that also says whether an adaptive solve goes on through the
    /// observation times (<see cref="EnsembleOptions.ContinueAtObservations"/>; the other overloads: yes) or restarts at each
    /// as the per-sample discrete adjoint does (no: then at <see cref="LaneWidth.Lane1"/> the lanes take the per-sample
    /// steps, and with one step per interval, as in the spiral demo, so do the wider blocks).
    /// </summary>
    /// <param name="system">The trainer's system (for the type).</param>
    /// <param name="width">The lane width.</param>
    /// <param name="keptBytes">Most bytes per thread for kept primal values (≥ 0).</param>
    /// <param name="continueAtObservations">Whether adaptive solves go on through the observation times without restarting.</param>
    public static LaneBlockBatching<TSystem> For<TSystem>(in TSystem system, LaneWidth width, long keptBytes, bool continueAtObservations)
        where TSystem : struct, IOdeLaneSystem
    {
        if (!EnsembleOptions.IsLaneWidth(width)) throw new ArgumentException($"Width {(int)width} is not a LaneWidth.", nameof(width));
        ArgumentOutOfRangeException.ThrowIfNegative(keptBytes);
        return new LaneBlockEngine<TSystem>(width, keptBytes, continueAtObservations);
    }
}

/// <summary>
/// The lane-block mode of <see cref="NeuralOdeTrainer{TSystem}"/> (created by <see cref="LaneBlockBatching.For{TSystem}(in TSystem, LaneWidth)"/>):
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
/// equals it up to the order of the sums. By default an adaptive block goes on through the observation times as between
/// two steps (<see cref="ContinueAtObservations"/>), where the per-sample discrete adjoint restarts its integrator at each
/// (a fresh f and a fresh automatic first step): the steps, and so the numbers, differ from its at the level of the
/// solver's tolerance even at <see cref="LaneWidth.Lane1"/> unless every interval is one step either way;
/// <see cref="LaneBlockBatching.For{TSystem}(in TSystem, LaneWidth, long, bool)"/> with <c>false</c> restarts as it does.</para>
/// </remarks>
/// <typeparam name="TSystem">The dynamics.</typeparam>
public abstract class LaneBlockBatching<TSystem> where TSystem : struct, IOdeSystem
{
    private protected LaneBlockBatching(LaneWidth width, long keptBytes, bool continueAtObservations)
    {
        Width = width;
        KeptBytes = keptBytes;
        ContinueAtObservations = continueAtObservations;
    }

    /// <summary>The lane width of the blocks.</summary>
    public LaneWidth Width { get; }

    /// <summary>Most bytes per thread the gradient tape spends on kept primal values (<see cref="EnsembleOptions.KeptBytes"/>).</summary>
    public long KeptBytes { get; }

    /// <summary>
    /// Whether an adaptive solve goes on through the observation times (<see cref="EnsembleOptions.ContinueAtObservations"/>:
    /// two evaluations of f fewer per time) rather than restarting at each as the per-sample discrete adjoint does.
    /// </summary>
    public bool ContinueAtObservations { get; }

    // workspace: the trainer's slot for what this mode keeps between calls (null at first; this mode fills it and the
    // trainer hands it back on its next call), so that on one thread an iteration allocates nothing after the first.
    internal abstract BatchResult Gradient(in TSystem system, ReadOnlySpan<double> p, IReadOnlyList<TrajectorySample> batch, int count,
        TrajectoryLossKind loss, Sensitivity sensitivity, SolverOptions solver, int threads, Span<double> gradient, ref object? workspace);
}

internal sealed class LaneBlockEngine<TSystem>(LaneWidth width, long keptBytes, bool continueAtObservations)
    : LaneBlockBatching<TSystem>(width, keptBytes, continueAtObservations)
    where TSystem : struct, IOdeLaneSystem
{
    internal override BatchResult Gradient(in TSystem system, ReadOnlySpan<double> p, IReadOnlyList<TrajectorySample> batch, int count,
        TrajectoryLossKind loss, Sensitivity sensitivity, SolverOptions solver, int threads, Span<double> gradient, ref object? workspace)
    {
        int n = system.StateCount, m = system.ParameterCount;
        if (workspace is not Workspace w || w.Threads != threads) workspace = w = new Workspace(Width, threads, KeptBytes, ContinueAtObservations);
        int groups = w.Group(batch);
        gradient.Clear();
        long evaluations = 0, vjps = 0;
        GroupLoss groupLoss = w.Loss;
        groupLoss.Kind = loss;
        groupLoss.Count = count;
        groupLoss.Batch = batch;
        try
        {
            for (int group = 0; group < groups; group++)
            {
                int size = w.Members(group, batch.Count);
                TrajectorySample head = batch[w.MemberList[0]];
                Span<double> y0s = w.InitialStates(size * n);
                for (int j = 0; j < size; j++) batch[w.MemberList[j]].Y0.CopyTo(y0s.Slice(j * n, n));
                // One thread: through the group's workspace (the same bits as the call below, nothing allocated after the first).
                EnsembleGradient g = threads == 1
                    ? Ode.LossGradientReusing(system, w.Session(group), y0s, p, head.T0, head.Times, groupLoss.Callback, solver, w.Ensemble)
                    : Ode.LossGradient(system, EnsembleBatch.Shared(y0s, p), head.T0, head.Times, groupLoss.Callback, sensitivity, solver, w.Ensemble);
                evaluations += g.ForwardEvaluations + g.BackwardEvaluations;
                vjps += g.VjpEvaluations;
                for (int j = 0; j < size; j++)
                {
                    w.Losses[w.MemberList[j]] = g.Losses[j];
                    w.Statuses[w.MemberList[j]] = g.Statuses[j];
                }
                double[] shared = g.SharedParameters!;
                for (int k = 0; k < m; k++) gradient[k] += shared[k];
            }
        }
        finally
        {
            groupLoss.Batch = [];
        }
        double total = 0;
        OdeStatus status = OdeStatus.Success;
        for (int i = 0; i < batch.Count; i++)
        {
            total += w.Losses[i];
            if (status == OdeStatus.Success) status = w.Statuses[i];
        }
        return BatchResult.OfGradient(total, gradient, evaluations, vjps, status);
    }

    /// <summary>The loss of a group's samples, as one callback made once (the group's members are set before each group).</summary>
    private sealed class GroupLoss
    {
        public GroupLoss(int[] members) { Members = members; Callback = Compute; }

        public TrajectoryLossKind Kind;
        public int Count;
        public IReadOnlyList<TrajectorySample> Batch = [];
        public int[] Members;
        public readonly EnsembleObservationLoss Callback;

        private double Compute(int j, ReadOnlySpan<double> states, Span<double> dLdy) => TrajectoryLoss.Compute(Kind, states, Batch[Members[j]].Target, dLdy, Count);
    }

    /// <summary>What a trainer's lane-block gradient keeps between calls: the grouping, the buffers, the loss callback and one ensemble workspace per group.</summary>
    private sealed class Workspace(LaneWidth width, int threads, long keptBytes, bool continueAtObservations)
    {
        public readonly int Threads = threads;
        public readonly EnsembleOptions Ensemble = new()
        {
            Width = width, MaxDegreeOfParallelism = threads, KeptBytes = keptBytes, ContinueAtObservations = continueAtObservations,
        };
        public double[] Losses = [];
        public OdeStatus[] Statuses = [];
        public int[] MemberList = [];
        private int[] _groupOf = [], _heads = [];
        private double[] _y0s = [];
        private readonly List<LaneLossGradientWorkspace<TSystem>> _sessions = [];
        private GroupLoss? _loss;

        public GroupLoss Loss => _loss ??= new GroupLoss(MemberList);

        // Groups the samples by equal (T0, Times), groups in order of their first sample; returns the number of groups.
        public int Group(IReadOnlyList<TrajectorySample> batch)
        {
            int count = batch.Count;
            if (_groupOf.Length != count)
            {
                _groupOf = new int[count];
                _heads = new int[count];
                MemberList = new int[count];
                Losses = new double[count];
                Statuses = new OdeStatus[count];
                _loss = null;
            }
            int groups = 0;
            for (int i = 0; i < count; i++)
            {
                TrajectorySample s = batch[i];
                int match = -1;
                for (int g = 0; g < groups; g++)
                {
                    TrajectorySample h = batch[_heads[g]];
                    if (h.T0 == s.T0 && h.Times.AsSpan().SequenceEqual(s.Times)) { match = g; break; }
                }
                if (match < 0) _heads[match = groups++] = i;
                _groupOf[i] = match;
            }
            return groups;
        }

        // Writes the samples of group g, in sample order, to the front of MemberList; returns how many there are.
        public int Members(int group, int count)
        {
            int size = 0;
            for (int i = 0; i < count; i++)
                if (_groupOf[i] == group) MemberList[size++] = i;
            return size;
        }

        public Span<double> InitialStates(int length)
        {
            if (_y0s.Length < length) _y0s = new double[length];
            return _y0s.AsSpan(0, length);
        }

        public LaneLossGradientWorkspace<TSystem> Session(int group)
        {
            while (_sessions.Count <= group) _sessions.Add(new LaneLossGradientWorkspace<TSystem>());
            return _sessions[group];
        }
    }
}
