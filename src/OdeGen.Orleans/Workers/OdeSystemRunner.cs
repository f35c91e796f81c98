namespace OdeGen.Orleans.Workers;

/// <summary>Runs the blocks of a request for one registered system type (the worker's only generic step).</summary>
internal interface IOdeSystemRunner
{
    /// <summary>The system's <see cref="OdeSystemName"/>.</summary>
    string Name { get; }

    /// <summary>Solves (or differentiates) every block of <paramref name="request"/>, blocks in parallel on this silo.</summary>
    Task<BlockResult> RunAsync(BlockRequest request, int maxDegreeOfParallelism, string silo, CancellationToken cancellationToken);
}

/// <summary>
/// <see cref="IOdeSystemRunner"/> closed over <typeparamref name="TSystem"/> at registration. Each piece is one call of the
/// public local API on a run of the request's blocks (their rows alone): blocks are independent (a block's lanes, padding
/// and shared steps depend only on its own trajectories), so block b of the request gives the same bits as block
/// FirstBlock + b of the whole local call; a shared-θ gradient's per-block sum comes back as a one-block call's
/// SharedParameters.
/// </summary>
internal sealed class OdeSystemRunner<TSystem>(TSystem system) : IOdeSystemRunner
    where TSystem : struct, IOdeLaneSystem
{
    private const int MaxBlocksPerPiece = 4;
    private readonly TSystem _system = system;

    public string Name { get; } = OdeSystemName.Of<TSystem>();

    public async Task<BlockResult> RunAsync(BlockRequest request, int maxDegreeOfParallelism, string silo, CancellationToken cancellationToken)
    {
        int n = _system.StateCount, m = _system.ParameterCount;
        if (n != request.StateCount || m != request.ParameterCount)
            throw new ArgumentException(
                $"The client's {Name} has {request.StateCount} states and {request.ParameterCount} parameters; the one registered on silo {silo} has {n} and {m}. "
                + "Register the system with the same sizes on every silo (services.AddOdeGenSystem(new ...System(...))).");
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        SolverOptions options = request.Options.ToOptions();
        var ensemble = new EnsembleOptions
        {
            Width = (LaneWidth)request.Width, MaxDegreeOfParallelism = 1, FusedSteps = request.FusedSteps,
            PerLaneSteps = request.PerLaneSteps, KeptBytes = request.KeptBytes,
        };
        bool gradient = request.Kind is EnsembleKind.Gradient or EnsembleKind.GradientShared;
        bool shared = request.Kind is EnsembleKind.SolveShared or EnsembleKind.GradientShared;
        EnsembleParameters layout = shared ? EnsembleParameters.Shared : EnsembleParameters.PerTrajectory;
        int count = request.Count, saves = options.SaveAt?.Length ?? 0, lanes = request.LanesPerBlock;
        var finalStates = new double[count * n];
        var finalTimes = new double[count];
        var savedStates = new double[count * saves * n];
        var statuses = new int[count];
        var trajectoryStats = new long[count * WireStats.Width];
        var blockStats = new long[request.BlockCount * WireStats.Width];
        double[]? y0Bar = gradient ? new double[count * n] : null;
        double[]? pBar = gradient ? new double[count * m] : null;
        // Per-block sums for the shared-steps gradient only: the per-lane one sums rows in trajectory order (on the client).
        bool blockSumsWanted = request.Kind == EnsembleKind.GradientShared && !request.PerLaneSteps;
        double[]? blockSums = blockSumsWanted ? new double[request.BlockCount * m] : null;
        long vjps = 0, backward = 0;

        // Runs blocks [from, to) of the request as one local call: for everything but the shared-θ gradient, whose
        // per-block sums need one call per block (a call's SharedParameters is the sum over its blocks).
        void Run(int from, int to)
        {
            int first = from * lanes, rows = Math.Min(to * lanes, count) - first;
            ReadOnlySpan<double> y0s = request.Y0s.AsSpan(first * n, rows * n);
            ReadOnlySpan<double> ps = shared ? request.Ps : request.Ps.AsSpan(first * m, rows * m);
            EnsembleSolution solution;
            if (gradient)
            {
                ReadOnlySpan<double> seed = request.Seed.AsSpan(first * n, rows * n);
                EnsembleGradient g = Ode.Gradient(_system, new EnsembleBatch(y0s, ps, layout), request.T0, [request.T1], seed,
                    Sensitivity.DiscreteAdjoint, options, ensemble);
                solution = g.Solution;
                g.Y0.CopyTo(y0Bar!, first * n);
                g.Parameters.CopyTo(pBar!, first * m);
                if (blockSums is not null) g.SharedParameters!.CopyTo(blockSums, from * m);
                Interlocked.Add(ref vjps, g.VjpEvaluations);
                Interlocked.Add(ref backward, g.BackwardEvaluations);
            }
            else
            {
                solution = Ode.Solve(_system, new EnsembleBatch(y0s, ps, layout), request.T0, request.T1, options, ensemble);
            }
            if (solution.BlockStats.Length != to - from)
                throw new InvalidOperationException($"{to - from} blocks of {rows} trajectories were solved as {solution.BlockStats.Length} blocks: the client's LanesPerBlock ({lanes}) is not this silo's.");
            solution.FinalStates.CopyTo(finalStates, first * n);
            solution.FinalTimes.CopyTo(finalTimes, first);
            solution.SavedStates.CopyTo(savedStates, first * saves * n);
            for (int j = 0; j < rows; j++)
            {
                statuses[first + j] = (int)solution.Statuses[j];
                WireStats.Write(solution.TrajectoryStats[j], trajectoryStats, first + j);
            }
            for (int b = from; b < to; b++) WireStats.Write(solution.BlockStats[b - from], blockStats, b);
        }

        // Pieces of contiguous blocks, one local call each: one block per piece for the shared-θ gradient with shared steps
        // (its per-block sums), else at least one per thread and at most MaxBlocksPerPiece blocks each (fewer calls, each
        // reusing its workspace over its blocks; cancellation is seen between pieces, so a piece must stay short).
        int blocks = request.BlockCount;
        int pieces = blockSumsWanted ? blocks
            : Math.Max(Math.Min(blocks, Math.Max(1, maxDegreeOfParallelism)), (blocks + MaxBlocksPerPiece - 1) / MaxBlocksPerPiece);
        void Piece(int i) => Run((int)((long)blocks * i / pieces), (int)((long)blocks * (i + 1) / pieces));

        // Dedicated threads, not the thread pool: a silo's pool must stay free for Orleans' own messages (the cancel
        // calls among them, and membership probes), or a busy worker would not hear that it should stop.
        int threads = Math.Min(pieces, Math.Max(1, maxDegreeOfParallelism));
        var failures = new Exception?[pieces];
        int next = -1, failed = 0;
        void Work()
        {
            for (int i; (i = Interlocked.Increment(ref next)) < pieces;)
            {
                if (cancellationToken.IsCancellationRequested || Volatile.Read(ref failed) != 0) return;
                try
                {
                    Piece(i);
                }
                catch (Exception e)
                {
                    failures[i] = e;
                    Volatile.Write(ref failed, 1);
                    return;
                }
            }
        }
        var workers = new Task[threads];
        for (int w = 0; w < threads; w++)
            workers[w] = Task.Factory.StartNew(Work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await Task.WhenAll(workers).ConfigureAwait(false);
        // As the local runner: the system's own exception, not a wrapper (the first piece's, in block order).
        foreach (Exception? e in failures)
            if (e is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e).Throw();
        cancellationToken.ThrowIfCancellationRequested();

        return new BlockResult
        {
            FinalStates = finalStates,
            FinalTimes = finalTimes,
            SavedStates = savedStates,
            Statuses = statuses,
            TrajectoryStats = trajectoryStats,
            BlockStats = blockStats,
            Y0 = y0Bar,
            Parameters = pBar,
            BlockSums = blockSums,
            VjpEvaluations = vjps,
            BackwardEvaluations = backward,
            Silo = silo,
            Elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started),
        };
    }
}
