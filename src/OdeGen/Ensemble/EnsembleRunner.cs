using OdeGen.Lanes;

namespace OdeGen.Ensemble;

/// <summary>
/// Hands the blocks of an ensemble to the workers: Parallel.For over blocks with one worker (and its workspace) per
/// thread, or a plain loop on the calling thread for one thread or one block. Blocks are independent and write only
/// their own rows, so the results do not depend on the thread count or the order blocks run in; the only reduction
/// (the shared-θ gradient) adds per-block partial sums in block order after the loop. A solve into an earlier solution
/// keeps its workers from call to call (<see cref="KeptEnsembleWorkers{TSystem, TLane}"/>).
/// </summary>
internal static class EnsembleRunner<TSystem, TLane>
    where TSystem : struct, IOdeLaneSystem
    where TLane : unmanaged, ILane<TLane>
{
    /// <summary>
    /// Solves every block into <paramref name="solution"/>. With <paramref name="keep"/> (the solve into an earlier
    /// solution) the workers are taken from the solution when they fit this call and put back after it.
    /// </summary>
    public static void Solve(in TSystem system, EnsembleProblem problem, EnsembleOptions ensemble, EnsembleSolution solution, bool keep = false)
    {
        var kept = keep ? solution.TakeKept() as KeptEnsembleWorkers<TSystem, TLane> : null;
        if (kept is null || !kept.Fits(system, problem)) kept = new KeptEnsembleWorkers<TSystem, TLane>(system, problem);
        kept.Solve(problem, solution, ensemble);
        // Put back only after a call that finished: one that threw (the system's own exception) leaves nothing behind.
        if (keep && kept.Keepable) solution.Keep(kept);
    }

    public static void Gradient(in TSystem system, EnsembleProblem problem, EnsembleOptions ensemble, EnsembleGradient gradient, double[] seed)
    {
        TSystem copy = system;
        int m = problem.ParameterCount, blocks = Blocks(problem);
        double[]? sums = problem.SharedParameters ? new double[blocks * m] : null;
        long vjps = 0;
        object gate = new();
        ForEachBlock(problem, ensemble, () => new EnsembleWorker<TSystem, TLane>(copy, problem, gradient: true),
            (worker, block) => worker.Gradient(block, gradient, seed, sums),
            worker => { lock (gate) vjps += worker.Vjps; });
        gradient.VjpEvaluations = vjps;
        if (sums is null) return;
        double[] total = gradient.SharedParameters!;
        for (int b = 0; b < blocks; b++)
            for (int k = 0; k < m; k++) total[k] += sums[b * m + k];
    }

    internal static int Blocks(EnsembleProblem problem) => EnsembleLayout.Blocks(problem.Count, EnsembleLayout.Registers(problem.Options) * TLane.Count);

    /// <summary>
    /// Runs <paramref name="body"/> on every block with one worker per thread, taken from <paramref name="create"/> on the
    /// thread that needs it and handed to <paramref name="finish"/> when that thread is done (a kept worker goes back to
    /// its owner there). An exception from the system's own code reaches the caller as itself, as the one-thread loop
    /// throws it.
    /// </summary>
    /// <remarks>
    /// Parallel.For, measured against a kept <see cref="Threading.PartitionRunner"/> (6 December 2026, BENCHMARKS.md): the
    /// runner's one helper per call did not make the two-core solve faster (BenchmarkDotNet 6.4 ms against Parallel.For's
    /// 4.8, interleaved 4.51 against 4.41), so the blocks stay on Parallel.For and only the workers are kept.
    /// </remarks>
    // Generic over the worker so that the observation-time gradients (ObservationWorker) share the loop.
    internal static void ForEachBlock<TWorker>(EnsembleProblem problem, EnsembleOptions ensemble,
        Func<TWorker> create, Action<TWorker, int> body, Action<TWorker> finish)
    {
        int blocks = Blocks(problem);
        if (blocks == 0) return;
        if (blocks == 1 || ensemble.MaxDegreeOfParallelism == 1)
        {
            var worker = create();
            for (int b = 0; b < blocks; b++) body(worker, b);
            finish(worker);
            return;
        }
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = ensemble.MaxDegreeOfParallelism ?? -1 };
        try
        {
            Parallel.For(0, blocks, parallel, create,
                (b, _, worker) => { body(worker, (int)b); return worker; }, finish);
        }
        catch (AggregateException e)
        {
            // An exception from the system's own code: rethrown as itself, as the one-thread path throws it. When several
            // workers failed (a model that throws does so in every block), the first is the one: the one-thread path
            // would have stopped there and never met the others.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.Flatten().InnerExceptions[0]).Throw();
        }
    }
}
