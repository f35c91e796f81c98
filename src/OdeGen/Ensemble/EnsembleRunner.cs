using OdeGen.Lanes;
using OdeGen.Threading;

namespace OdeGen.Ensemble;

/// <summary>
/// Hands the blocks of an ensemble to the workers: a <see cref="PartitionRunner"/> over blocks with one worker (and its
/// workspace) per thread, or a plain loop on the calling thread for one thread or one block. Blocks are independent and
/// write only their own rows, so the results do not depend on the thread count or the order blocks run in; the only
/// reduction (the shared-θ gradient) adds per-block partial sums in block order after the loop.
/// </summary>
/// <remarks>
/// The runner, not <c>Parallel.For</c>: its helpers are thread-pool work items queued once per call, with no options,
/// replicas or tasks to build, and a solve into an earlier solution keeps its runner and workers from call to call
/// (<see cref="KeptEnsembleWorkers{TSystem, TLane}"/>), so it allocates next to nothing on any number of threads.
/// </remarks>
internal static class EnsembleRunner<TSystem, TLane>
    where TSystem : struct, IOdeLaneSystem
    where TLane : unmanaged, ILane<TLane>
{
    /// <summary>
    /// Solves every block into <paramref name="solution"/>. With <paramref name="keep"/> (the solve into an earlier
    /// solution) the workers and the runner are taken from the solution when they fit this call and put back after it.
    /// </summary>
    public static void Solve(in TSystem system, EnsembleProblem problem, EnsembleOptions ensemble, EnsembleSolution solution, bool keep = false)
    {
        var kept = keep ? solution.TakeKept() as KeptEnsembleWorkers<TSystem, TLane> : null;
        if (kept is null || !kept.Fits(system, problem)) kept = new KeptEnsembleWorkers<TSystem, TLane>(system, problem);
        kept.Solve(problem, solution, Threads(ensemble));
        // Put back only after a call that finished: one that threw (the system's own exception) leaves nothing behind.
        if (keep && kept.Keepable) solution.Keep(kept);
    }

    public static void Gradient(in TSystem system, EnsembleProblem problem, EnsembleOptions ensemble, EnsembleGradient gradient, double[] seed)
    {
        TSystem copy = system;
        int m = problem.ParameterCount, blocks = Blocks(problem);
        double[]? sums = problem.SharedParameters ? new double[blocks * m] : null;
        long vjps = 0;
        ForEachBlock(problem, ensemble, () => new EnsembleWorker<TSystem, TLane>(copy, problem, gradient: true),
            (worker, block) => worker.Gradient(block, gradient, seed, sums),
            worker => vjps += worker.Vjps);
        gradient.VjpEvaluations = vjps;
        if (sums is null) return;
        double[] total = gradient.SharedParameters!;
        for (int b = 0; b < blocks; b++)
            for (int k = 0; k < m; k++) total[k] += sums[b * m + k];
    }

    internal static int Blocks(EnsembleProblem problem) => EnsembleLayout.Blocks(problem.Count, EnsembleLayout.Registers(problem.Options) * TLane.Count);

    /// <summary>The threads a call may use: <see cref="EnsembleOptions.MaxDegreeOfParallelism"/>, or one per processor.</summary>
    internal static int Threads(EnsembleOptions ensemble) => ensemble.MaxDegreeOfParallelism ?? Environment.ProcessorCount;

    /// <summary>
    /// Runs <paramref name="body"/> on every block with one worker per thread, made by <paramref name="create"/> on the
    /// thread that first needs it; then <paramref name="finish"/> on each worker made, on the calling thread, in worker
    /// order. An exception from the system's own code reaches the caller as itself (the first one thrown; the blocks
    /// not yet started are skipped), as the one-thread loop throws it.
    /// </summary>
    // Generic over the worker so that the observation-time gradients (ObservationWorker) share the loop.
    internal static void ForEachBlock<TWorker>(EnsembleProblem problem, EnsembleOptions ensemble,
        Func<TWorker> create, Action<TWorker, int> body, Action<TWorker> finish)
        where TWorker : class
    {
        int blocks = Blocks(problem);
        if (blocks == 0) return;
        var workers = new TWorker?[Math.Min(Threads(ensemble), blocks)];
        new PartitionRunner().Run(blocks, workers.Length, (w, b) => body(workers[w] ??= create(), b));
        foreach (TWorker? worker in workers)
            if (worker is not null) finish(worker);
    }
}
