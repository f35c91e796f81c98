using OdeGen.Lanes;

namespace OdeGen.Ensemble;

/// <summary>
/// One thread's share of an ensemble gradient for a loss at several observation times: a block solver that stops at
/// each time, the tape of the block's steps, the reverse step, and the block's adjoint registers, allocated once and
/// reused for every block the thread takes.
/// </summary>
/// <remarks>
/// Backward pass of a block: λ starts at zero; going back through the tape, just before reversing the last step that
/// precedes observation i (and at t0 for an observation there), ∂L/∂y(times[i]) of every lane is added to λ — the lane
/// twin of the scalar discrete adjoint, which adds row i of dLdy before reversing interval i. The parameter adjoint
/// accumulates in the block's own registers (<see cref="IOdeLaneSystem.VjpLanes{TLane}"/> adds lane by lane), so lanes
/// never write to shared memory and no atomics are needed.
/// </remarks>
internal sealed class ObservationWorker<TSystem, TLane>
    where TSystem : struct, IOdeLaneSystem
    where TLane : unmanaged, ILane<TLane>
{
    private readonly EnsembleProblem _problem;
    private readonly double[] _times;
    private readonly LaneBlockSolver<TSystem, TLane> _solver;
    private readonly LaneReverseStep<TSystem, TLane> _reverse;
    private readonly LaneTape<TLane> _tape;
    private readonly TLane[] _lambda, _pBar;
    private readonly double[] _scratch;
    private readonly int[] _marks;

    public ObservationWorker(in TSystem system, EnsembleProblem problem, double[] times)
    {
        _problem = problem;
        _times = times;
        _solver = new LaneBlockSolver<TSystem, TLane>(system, problem);
        int g = _solver.RegisterCount;
        _tape = new LaneTape<TLane>(g * problem.StateCount, problem.Options.Method.Tableau,
            LaneReverseStep<TSystem, TLane>.KeptPerStage(system, g), problem.KeptBytes);
        _solver.Observer = _tape;
        _reverse = new LaneReverseStep<TSystem, TLane>(system, problem.Options.Method.Tableau, problem.StateCount, problem.ParameterCount, g);
        _lambda = new TLane[g * problem.StateCount];
        _pBar = new TLane[g * problem.ParameterCount];
        _scratch = new double[TLane.Count];
        _marks = new int[times.Length];
    }

    public long Evaluations => _reverse.Evaluations;
    public long Vjps => _reverse.Vjps;

    /// <summary>Starts the work counts over, for a worker kept from one call to the next.</summary>
    public void ResetCounts() => _reverse.Evaluations = _reverse.Vjps = 0;

    /// <summary>
    /// Solves block <paramref name="block"/> through the times, lets <paramref name="loss"/> (when given) fill the
    /// block's rows of dLdy from the states, then sweeps the steps backwards. Writes the block's rows of Y0 and
    /// Parameters and, for a shared θ, the block's sum into <paramref name="blockSums"/>[block·m …].
    /// </summary>
    public void Gradient(int block, EnsembleGradient output, EnsembleObservationLoss? loss, double[]? blockSums)
    {
        int n = _problem.StateCount, m = _problem.ParameterCount, w = TLane.Count, count = _problem.Count;
        int registers = _solver.RegisterCount, times = _times.Length, rows = times * n;
        int first = block * w * registers, lanes = w * registers;
        _solver.SolveBlockThrough(block, output.Solution, _times, output.States, _marks);
        OdeStatus[] statuses = _solver.LaneStatus;
        if (loss is not null)
        {
            for (int l = 0; l < lanes && first + l < count; l++)
            {
                if (statuses[l] != OdeStatus.Success) continue;
                int j = first + l;
                Span<double> dLdy = output.DLdy.AsSpan(j * rows, rows);
                dLdy.Clear();
                output.Losses[j] = loss(j, output.States.AsSpan(j * rows, rows), dLdy);
                Guard.FiniteLoss(output.Losses[j], dLdy, n, j);
            }
        }

        _lambda.AsSpan().Clear();
        _pBar.AsSpan().Clear();
        ReadOnlySpan<TLane> p = _solver.P;
        int next = times - 1;   // the latest observation not yet added to λ
        for (int k = _tape.Count - 1; k >= 0; k--)
        {
            // Observations reached after step k: their ∂L/∂y enters λ before step k is reversed.
            for (; next >= 0 && _marks[next] > k; next--) AddSeed(next, first, statuses, output.DLdy);
            _reverse.Reverse(_tape, k, p, _lambda, _pBar);
        }
        for (; next >= 0; next--) AddSeed(next, first, statuses, output.DLdy);   // observations at t0

        LaneGradientRows.Write<TLane>(_lambda, _pBar, statuses, _scratch, block, first, registers, count, n, m, output.Y0, output.Parameters, blockSums,
            output.Solution.Statuses);
    }

    // λ += ∂L/∂y(times[i]) for every lane (0 for padding lanes and failed trajectories).
    private void AddSeed(int i, int first, OdeStatus[] statuses, double[] dLdy)
    {
        int n = _problem.StateCount, w = TLane.Count, count = _problem.Count, times = _times.Length;
        for (int g = 0; g < _solver.RegisterCount; g++)
        {
            int firstOfRegister = first + g * w;
            for (int q = 0; q < n; q++)
            {
                for (int l = 0; l < w; l++)
                {
                    int j = firstOfRegister + l;
                    _scratch[l] = j < count && statuses[g * w + l] == OdeStatus.Success ? dLdy[(j * times + i) * n + q] : 0.0;
                }
                _lambda[g * n + q] = _lambda[g * n + q] + TLane.Load(_scratch);
            }
        }
    }
}

/// <summary>The parallel loop and the reductions of the observation-time ensemble gradients (as <see cref="EnsembleRunner{TSystem, TLane}"/>).</summary>
internal static class ObservationRunner<TSystem, TLane>
    where TSystem : struct, IOdeLaneSystem
    where TLane : unmanaged, ILane<TLane>
{
    public static void Gradient(in TSystem system, EnsembleProblem problem, EnsembleOptions ensemble, double[] times,
        EnsembleGradient output, EnsembleObservationLoss? loss)
    {
        TSystem copy = system;
        int m = problem.ParameterCount, blocks = EnsembleRunner<TSystem, TLane>.Blocks(problem);
        double[]? sums = problem.SharedParameters ? new double[blocks * m] : null;
        long evaluations = 0, vjps = 0;
        object gate = new();
        EnsembleRunner<TSystem, TLane>.ForEachBlock(problem, ensemble, () => new ObservationWorker<TSystem, TLane>(copy, problem, times),
            (worker, block) => worker.Gradient(block, output, loss, sums),
            worker => { lock (gate) { evaluations += worker.Evaluations; vjps += worker.Vjps; } });
        Reduce(problem, output, sums, blocks, evaluations, vjps);
    }

    /// <summary>
    /// As <see cref="Gradient"/> on the calling thread with a worker and block sums kept from an earlier call of the same
    /// shape (<see cref="LaneLossGradientWorkspace{TSystem}"/>): the same blocks in the same order and the same
    /// reduction, so the same bits, and nothing allocated.
    /// </summary>
    public static void GradientOnThisThread(ObservationWorker<TSystem, TLane> worker, EnsembleProblem problem, EnsembleGradient output,
        EnsembleObservationLoss? loss, double[]? sums)
    {
        int blocks = EnsembleRunner<TSystem, TLane>.Blocks(problem);
        worker.ResetCounts();
        for (int b = 0; b < blocks; b++) worker.Gradient(b, output, loss, sums);
        Reduce(problem, output, sums, blocks, worker.Evaluations, worker.Vjps);
    }

    // The block sums in block order, the losses in trajectory order: the same bits on any thread count.
    private static void Reduce(EnsembleProblem problem, EnsembleGradient output, double[]? sums, int blocks, long evaluations, long vjps)
    {
        int m = problem.ParameterCount;
        output.BackwardEvaluations = evaluations;
        output.VjpEvaluations = vjps;
        if (sums is not null)
        {
            double[] total = output.SharedParameters!;
            for (int b = 0; b < blocks; b++)
                for (int k = 0; k < m; k++) total[k] += sums[b * m + k];
        }
        if (output.HasLoss)
        {
            double sum = 0;
            for (int j = 0; j < problem.Count; j++)
                if (output.Statuses[j] == OdeStatus.Success) sum += output.Losses[j];
            output.Loss = sum;
        }
    }
}
