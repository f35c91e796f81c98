using System.Diagnostics;
using OdeGen.Ensemble;
using OdeGen.Orleans.Workers;
using Orleans;
using Orleans.Runtime;

namespace OdeGen.Orleans;

/// <summary>
/// The local ensemble calls of <see cref="Ode"/>, run on an Orleans cluster: the client cuts the ensemble into the lane
/// blocks the local call uses, sends runs of them to stateless worker grains, and gathers the answers in block order
/// into the same <see cref="EnsembleSolution"/> / <see cref="EnsembleGradient"/> the local call returns, bit for bit
/// (the shared-θ gradient adds the per-block sums in block order, as the local call does). Lost silos' requests are sent
/// again; cancellation and a per-block timeout reach the workers.
/// </summary>
/// <remarks>
/// Every silo must register the system (<see cref="OdeSystemServiceCollectionExtensions.AddOdeGenSystem{TSystem}"/>).
/// The lane width is resolved on the client (<see cref="LaneWidth.Auto"/> is the client's hardware width), so every silo
/// solves at the width the local call on the client would use.
/// </remarks>
public static class DistributedOde
{
    /// <summary>As <c>Ode.Solve(system, new EnsembleBatch(y0s, ps), …)</c>, on the cluster.</summary>
    /// <param name="cluster">The cluster client (or a grain's grain factory).</param>
    /// <param name="system">The dynamics; every silo has the same type registered.</param>
    /// <param name="y0s">Initial states, row-major N × StateCount.</param>
    /// <param name="ps">Parameters, row-major N × ParameterCount.</param>
    /// <param name="t0">Start time.</param>
    /// <param name="t1">End time.</param>
    /// <param name="options">As for the local call.</param>
    /// <param name="ensemble">As for the local call: width, fused steps, per-lane steps, kept bytes (threads are each silo's own: <see cref="OdeWorkerOptions"/>).</param>
    /// <param name="distribution">Request size, retries, timeout.</param>
    /// <param name="log">Filled with a record per request, when given.</param>
    /// <param name="cancellationToken">Cancels the call and the workers' outstanding blocks.</param>
    /// <returns>The local call's result.</returns>
    public static Task<EnsembleSolution> SolveEnsembleAsync<TSystem>(this IGrainFactory cluster, TSystem system,
        ReadOnlyMemory<double> y0s, ReadOnlyMemory<double> ps, double t0, double t1, SolverOptions? options = null,
        EnsembleOptions? ensemble = null, DistributedEnsembleOptions? distribution = null, DistributedRunLog? log = null,
        CancellationToken cancellationToken = default)
        where TSystem : struct, IOdeLaneSystem =>
        RunSolveAsync(cluster, system, EnsembleKind.Solve, y0s, ps, t0, t1, options, ensemble, distribution, log, cancellationToken);

    /// <summary>As <c>Ode.Solve(system, EnsembleBatch.Shared(y0s, p), …)</c> (one θ for all), on the cluster.</summary>
    /// <param name="cluster">The cluster client.</param>
    /// <param name="system">The dynamics.</param>
    /// <param name="y0s">Initial states, row-major N × StateCount.</param>
    /// <param name="p">The shared parameters.</param>
    /// <param name="t0">Start time.</param>
    /// <param name="t1">End time.</param>
    /// <param name="options">As for the local call.</param>
    /// <param name="ensemble">As for the local call (threads are each silo's own).</param>
    /// <param name="distribution">Request size, retries, timeout.</param>
    /// <param name="log">Filled with a record per request, when given.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The local call's result.</returns>
    public static Task<EnsembleSolution> SolveEnsembleSharedAsync<TSystem>(this IGrainFactory cluster, TSystem system,
        ReadOnlyMemory<double> y0s, ReadOnlyMemory<double> p, double t0, double t1, SolverOptions? options = null,
        EnsembleOptions? ensemble = null, DistributedEnsembleOptions? distribution = null, DistributedRunLog? log = null,
        CancellationToken cancellationToken = default)
        where TSystem : struct, IOdeLaneSystem =>
        RunSolveAsync(cluster, system, EnsembleKind.SolveShared, y0s, p, t0, t1, options, ensemble, distribution, log, cancellationToken);

    /// <summary>As <c>Ode.Gradient(system, new EnsembleBatch(y0s, ps), t0, [t1], dLdyT, Sensitivity.DiscreteAdjoint, …)</c>, on the cluster.</summary>
    /// <param name="cluster">The cluster client.</param>
    /// <param name="system">The dynamics.</param>
    /// <param name="y0s">Initial states, row-major N × StateCount.</param>
    /// <param name="ps">Parameters, row-major N × ParameterCount.</param>
    /// <param name="t0">Start time.</param>
    /// <param name="t1">End time.</param>
    /// <param name="dLdyT">∂L/∂y(t1), row-major N × StateCount.</param>
    /// <param name="options">As for the local call.</param>
    /// <param name="ensemble">As for the local call (threads are each silo's own).</param>
    /// <param name="distribution">Request size, retries, timeout.</param>
    /// <param name="log">Filled with a record per request, when given.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The local call's result.</returns>
    public static Task<EnsembleGradient> GradientEnsembleAsync<TSystem>(this IGrainFactory cluster, TSystem system,
        ReadOnlyMemory<double> y0s, ReadOnlyMemory<double> ps, double t0, double t1, ReadOnlyMemory<double> dLdyT,
        SolverOptions? options = null, EnsembleOptions? ensemble = null, DistributedEnsembleOptions? distribution = null,
        DistributedRunLog? log = null, CancellationToken cancellationToken = default)
        where TSystem : struct, IOdeLaneSystem =>
        RunGradientAsync(cluster, system, EnsembleKind.Gradient, y0s, ps, t0, t1, dLdyT, options, ensemble, distribution, log, cancellationToken);

    /// <summary>
    /// As <c>Ode.Gradient(system, EnsembleBatch.Shared(y0s, p), t0, [t1], dLdyT, Sensitivity.DiscreteAdjoint, …)</c> (a minibatch through one θ), on the cluster:
    /// <see cref="EnsembleGradient.SharedParameters"/> is the per-block sums added in block order, as locally.
    /// </summary>
    /// <param name="cluster">The cluster client.</param>
    /// <param name="system">The dynamics.</param>
    /// <param name="y0s">Initial states, row-major N × StateCount.</param>
    /// <param name="p">The shared parameters.</param>
    /// <param name="t0">Start time.</param>
    /// <param name="t1">End time.</param>
    /// <param name="dLdyT">∂L/∂y(t1), row-major N × StateCount.</param>
    /// <param name="options">As for the local call.</param>
    /// <param name="ensemble">As for the local call (threads are each silo's own).</param>
    /// <param name="distribution">Request size, retries, timeout.</param>
    /// <param name="log">Filled with a record per request, when given.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The local call's result.</returns>
    public static Task<EnsembleGradient> GradientEnsembleSharedAsync<TSystem>(this IGrainFactory cluster, TSystem system,
        ReadOnlyMemory<double> y0s, ReadOnlyMemory<double> p, double t0, double t1, ReadOnlyMemory<double> dLdyT,
        SolverOptions? options = null, EnsembleOptions? ensemble = null, DistributedEnsembleOptions? distribution = null,
        DistributedRunLog? log = null, CancellationToken cancellationToken = default)
        where TSystem : struct, IOdeLaneSystem =>
        RunGradientAsync(cluster, system, EnsembleKind.GradientShared, y0s, p, t0, t1, dLdyT, options, ensemble, distribution, log, cancellationToken);

    private static async Task<EnsembleSolution> RunSolveAsync<TSystem>(IGrainFactory cluster, TSystem system, EnsembleKind kind,
        ReadOnlyMemory<double> y0s, ReadOnlyMemory<double> ps, double t0, double t1, SolverOptions? options, EnsembleOptions? ensemble,
        DistributedEnsembleOptions? distribution, DistributedRunLog? log, CancellationToken cancellationToken)
        where TSystem : struct, IOdeLaneSystem
    {
        bool shared = kind == EnsembleKind.SolveShared;
        Plan plan = Prepare(cluster, system, shared, y0s, ps, options, ensemble, distribution);
        // Validated the way the local call validates, by the local call itself on no trajectories (cheap: no blocks).
        EnsembleSolution empty = shared
            ? Ode.Solve(system, EnsembleBatch.Shared([], ps.Span), t0, t1, options, ensemble)
            : Ode.Solve(system, new EnsembleBatch([], []), t0, t1, options, ensemble);
        if (plan.Blocks == 0) return empty;
        plan = Ready(plan, distribution, gradient: false);
        BlockResult[] results = await GatherAsync(cluster, plan, kind, y0s, ps, null, t0, t1, distribution, log, cancellationToken).ConfigureAwait(false);
        var solution = new EnsembleSolution(plan.Count, plan.StateCount, plan.Options.SaveAt, plan.Width, plan.LanesPerBlock);
        Fill(solution, plan, results);
        return solution;
    }

    private static async Task<EnsembleGradient> RunGradientAsync<TSystem>(IGrainFactory cluster, TSystem system, EnsembleKind kind,
        ReadOnlyMemory<double> y0s, ReadOnlyMemory<double> ps, double t0, double t1, ReadOnlyMemory<double> dLdyT, SolverOptions? options,
        EnsembleOptions? ensemble, DistributedEnsembleOptions? distribution, DistributedRunLog? log, CancellationToken cancellationToken)
        where TSystem : struct, IOdeLaneSystem
    {
        bool shared = kind == EnsembleKind.GradientShared;
        Plan plan = Prepare(cluster, system, shared, y0s, ps, options, ensemble, distribution);
        EnsembleGradient empty = shared
            ? Ode.Gradient(system, EnsembleBatch.Shared([], ps.Span), t0, [t1], [], Sensitivity.DiscreteAdjoint, options, ensemble)
            : Ode.Gradient(system, new EnsembleBatch([], []), t0, [t1], [], Sensitivity.DiscreteAdjoint, options, ensemble);
        // The seed last, as the local call checks it last: a call with two faults is refused for the one the local call names.
        CheckSeed(dLdyT.Span, plan.Count * plan.StateCount);
        if (plan.Blocks == 0) return empty;
        plan = Ready(plan, distribution, gradient: true);
        BlockResult[] results = await GatherAsync(cluster, plan, kind, y0s, ps, dLdyT, t0, t1, distribution, log, cancellationToken).ConfigureAwait(false);
        var solution = new EnsembleSolution(plan.Count, plan.StateCount, plan.Options.SaveAt, plan.Width, plan.LanesPerBlock);
        Fill(solution, plan, results);
        var gradient = EnsembleGradient.ForFinalStates(solution, plan.ParameterCount, shared, t1, dLdyT.Span);
        int n = plan.StateCount, m = plan.ParameterCount;
        long vjps = 0, backward = 0;
        foreach (BlockResult r in results)
        {
            vjps += r.VjpEvaluations;
            backward += r.BackwardEvaluations;
        }
        gradient.VjpEvaluations = vjps;
        gradient.BackwardEvaluations = backward;
        for (int i = 0; i < results.Length; i++)
        {
            (int firstBlock, _, int first, _) = plan.Request(i);
            results[i].Y0!.CopyTo(gradient.Y0, first * n);
            results[i].Parameters!.CopyTo(gradient.Parameters, first * m);
        }
        if (shared && plan.PerLaneSteps)
        {
            gradient.SumSharedParametersByTrajectory();
        }
        else if (shared)
        {
            // The local reduction: total += block b's sum, for b = 0, 1, … in order (EnsembleRunner.Gradient).
            double[] total = gradient.SharedParameters!;
            for (int i = 0; i < results.Length; i++)
            {
                double[] sums = results[i].BlockSums!;
                int blocks = sums.Length / Math.Max(m, 1);
                for (int b = 0; b < blocks; b++)
                    for (int k = 0; k < m; k++) total[k] += sums[b * m + k];
            }
        }
        gradient.CompleteFinalStates();
        return gradient;
    }

    // What the client decides before sending anything: sizes, width, blocks, requests.
    private sealed record Plan(int Count, int StateCount, int ParameterCount, bool Shared, string SystemName, LaneWidth Width, int LanesPerBlock,
        int Blocks, int BlocksPerRequest, SolverOptions Options, WireSolverOptions Wire, bool FusedSteps, bool PerLaneSteps, long KeptBytes)
    {
        // Not (Blocks + BlocksPerRequest − 1) / BlocksPerRequest: that overflowed for BlocksPerRequest near int.MaxValue to
        // 0 requests, and the call returned zeros with Success statuses.
        public int Requests => Blocks == 0 ? 0 : 1 + (Blocks - 1) / BlocksPerRequest;

        public (int FirstBlock, int BlockCount, int FirstTrajectory, int Count) Request(int i)
        {
            int firstBlock = i * BlocksPerRequest, blocks = Math.Min(BlocksPerRequest, Blocks - firstBlock);
            int first = firstBlock * LanesPerBlock;
            return (firstBlock, blocks, first, Math.Min(blocks * LanesPerBlock, Count - first));
        }
    }

    private static Plan Prepare<TSystem>(IGrainFactory cluster, TSystem system, bool shared, ReadOnlyMemory<double> y0s, ReadOnlyMemory<double> ps,
        SolverOptions? options, EnsembleOptions? ensemble, DistributedEnsembleOptions? distribution)
        where TSystem : struct, IOdeLaneSystem
    {
        ArgumentNullException.ThrowIfNull(cluster);
        (distribution ?? DistributedEnsembleOptions.Default).Validate();
        options ??= SolverOptions.Default;
        ensemble ??= EnsembleOptions.Default;
        int n = system.StateCount, m = system.ParameterCount;
        if (n <= 0)
            throw new ArgumentException($"StateCount must be positive, not {n}.", nameof(system));
        // The local call's size checks, with its messages (the rest it checks itself, on no trajectories: see the callers).
        if (y0s.Length % n != 0)
            throw new ArgumentException($"y0s must hold N rows of StateCount = {n} values (row-major N × {n}), but its length {y0s.Length} is not a multiple of {n}.", nameof(y0s));
        int count = y0s.Length / n;
        if (!shared && ps.Length != count * m)
            throw new ArgumentException($"ps must hold one row of ParameterCount = {m} values per trajectory (N × {m} = {count * m} for the {count} rows of y0s), but has length {ps.Length}.", "ps");
        LaneWidth width = ensemble.Width == LaneWidth.Auto ? EnsembleOptions.HardwareWidth : ensemble.Width;
        int lanesPerBlock = EnsembleOptions.LaneCount(width) * EnsembleLayout.Registers(options);
        int blocks = EnsembleLayout.Blocks(count, lanesPerBlock);
        // Wire is set by the callers once the local call has validated the options (WireSolverOptions.From).
        return new Plan(count, n, m, shared, OdeSystemName.Of<TSystem>(), width, lanesPerBlock, blocks,
            (distribution ?? DistributedEnsembleOptions.Default).BlocksPerRequest, options, null!, ensemble.FusedSteps, ensemble.PerLaneSteps,
            ensemble.KeptBytes);
    }

    // Once the local call has validated the options: the options as they travel, and requests cut small enough that each
    // request and each answer fits in MaxMessageBytes. Orleans closes a connection that carries a larger message, so the
    // answer never came: the request timed out, was sent again and timed out again (with every other request on that
    // connection). The result does not depend on the request size, so the client is free to cut.
    private static Plan Ready(Plan plan, DistributedEnsembleOptions? distribution, bool gradient)
    {
        distribution ??= DistributedEnsembleOptions.Default;
        WireSolverOptions wire = WireSolverOptions.From(plan.Options);
        long n = plan.StateCount, m = plan.ParameterCount, saves = plan.Options.SaveAt?.Length ?? 0;
        bool shared = plan.Shared;
        // Doubles per trajectory each way: y0, its θ row and its seed there; final state, time, saved states, status and
        // statistics (counted as doubles), and the gradient rows back. Per block, its statistics and shared-θ sum.
        long sent = n + (shared ? 0 : m) + (gradient ? n : 0);
        long returned = n + 1 + saves * n + 1 + WireStats.Width + (gradient ? n + m : 0);
        long blockBytes = 8 * (plan.LanesPerBlock * Math.Max(sent, returned) + WireStats.Width + m);
        // What every request carries whatever its size: the options (SaveAt, AbsTolVector), a shared θ, names and headers.
        long fixedBytes = 8 * (saves + n + m) + 4096;
        long fits = (distribution.MaxMessageBytes - fixedBytes) / blockBytes;
        if (fits < 1)
            throw new ArgumentException(
                $"One lane block of {plan.LanesPerBlock} trajectories sends or returns about {blockBytes + fixedBytes:N0} bytes ({saves} save times × {n} states a trajectory), "
                + $"more than MaxMessageBytes = {distribution.MaxMessageBytes:N0}: save at fewer times, use a narrower EnsembleOptions.Width, or raise "
                + "MaxMessageBytes together with Orleans' MessagingOptions.MaxMessageBodySize on every silo and client.", "distribution");
        return plan with { Wire = wire, BlocksPerRequest = (int)Math.Min(plan.BlocksPerRequest, fits) };
    }

    private static void CheckSeed(ReadOnlySpan<double> dLdyT, int expected)
    {
        if (dLdyT.Length != expected)
            throw new ArgumentException($"dLdyT must have length N × StateCount = {expected}, but has length {dLdyT.Length}.", nameof(dLdyT));
        for (int i = 0; i < dLdyT.Length; i++)
            if (!double.IsFinite(dLdyT[i]))
                throw new ArgumentException($"dLdyT[{i}] is {dLdyT[i]}; every entry must be finite.", nameof(dLdyT));
    }

    private static void Fill(EnsembleSolution solution, Plan plan, BlockResult[] results)
    {
        int n = plan.StateCount, saves = solution.SaveAt.Length;
        // Every trajectory must come from an answer: rows no request covered would read as zeros with a Success status.
        int covered = results.Length == 0 ? 0 : plan.Request(results.Length - 1).FirstTrajectory + plan.Request(results.Length - 1).Count;
        if (covered != plan.Count)
            throw new InvalidOperationException($"The {results.Length} requests cover {covered} of the {plan.Count} trajectories (a bug in cutting the ensemble into requests).");
        for (int i = 0; i < results.Length; i++)
        {
            (int firstBlock, int blockCount, int first, int count) = plan.Request(i);
            BlockResult r = results[i];
            if (r.Statuses.Length != count || r.BlockStats.Length != blockCount * WireStats.Width)
                throw new InvalidOperationException($"Silo {r.Silo} answered blocks {firstBlock}… with {r.Statuses.Length} trajectories and {r.BlockStats.Length / WireStats.Width} blocks instead of {count} and {blockCount}.");
            r.FinalStates.CopyTo(solution.FinalStates, first * n);
            r.FinalTimes.CopyTo(solution.FinalTimes, first);
            r.SavedStates.CopyTo(solution.SavedStates, first * saves * n);
            for (int j = 0; j < count; j++)
            {
                solution.Statuses[first + j] = (OdeStatus)r.Statuses[j];
                solution.TrajectoryStats[first + j] = WireStats.Read(r.TrajectoryStats, j);
            }
            for (int b = 0; b < blockCount; b++) solution.BlockStats[firstBlock + b] = WireStats.Read(r.BlockStats, b);
        }
    }

    private static async Task<BlockResult[]> GatherAsync(IGrainFactory cluster, Plan plan, EnsembleKind kind, ReadOnlyMemory<double> y0s,
        ReadOnlyMemory<double> ps, ReadOnlyMemory<double>? dLdyT, double t0, double t1, DistributedEnsembleOptions? distribution,
        DistributedRunLog? log, CancellationToken cancellationToken)
    {
        distribution ??= DistributedEnsembleOptions.Default;
        bool shared = kind is EnsembleKind.SolveShared or EnsembleKind.GradientShared;
        int n = plan.StateCount, m = plan.ParameterCount;
        double[]? sharedP = shared ? ps.ToArray() : null;
        int inFlight = distribution.MaxRequestsInFlight ?? await DefaultInFlightAsync(cluster, cancellationToken).ConfigureAwait(false);
        using var gate = new SemaphoreSlim(inFlight);
        // One failure (an error of the problem, or retries exhausted) stops the requests still waiting or running.
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tasks = new Task<BlockResult>[plan.Requests];
        for (int i = 0; i < tasks.Length; i++)
        {
            (int firstBlock, int blockCount, int first, int count) = plan.Request(i);
            var request = new BlockRequest
            {
                SystemName = plan.SystemName,
                StateCount = n,
                ParameterCount = m,
                Kind = kind,
                FirstBlock = firstBlock,
                BlockCount = blockCount,
                FirstTrajectory = first,
                Count = count,
                LanesPerBlock = plan.LanesPerBlock,
                Y0s = y0s.Slice(first * n, count * n).ToArray(),
                Ps = sharedP ?? ps.Slice(first * m, count * m).ToArray(),
                Seed = dLdyT?.Slice(first * n, count * n).ToArray(),
                T0 = t0,
                T1 = t1,
                Options = plan.Wire,
                Width = (int)plan.Width,
                FusedSteps = plan.FusedSteps,
                PerLaneSteps = plan.PerLaneSteps,
                KeptBytes = plan.KeptBytes,
            };
            tasks[i] = SendAsync(cluster, request, i, tasks.Length, gate, distribution, log, abort);
        }
        try
        {
            return await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch
        {
            cancellationToken.ThrowIfCancellationRequested();
            // The first request (in block order) that failed for a reason of its own, not because another one stopped it.
            foreach (Task<BlockResult> t in tasks)
                if (t.IsFaulted && t.Exception!.InnerException is { } e and not OperationCanceledException)
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e).Throw();
            throw;
        }
    }

    // The membership query goes to the management grain, whose table lives on the primary silo with development clustering:
    // a primary that died without closing its connections would hold the call for Orleans' response timeout (30 s) before
    // anything was sent, out of reach of BlockTimeout and of the caller's token. So it gets a few seconds and the token; a
    // cluster that does not answer in time runs two requests at a time.
    private static readonly TimeSpan MembershipQueryTimeout = TimeSpan.FromSeconds(5);

    private static async Task<int> DefaultInFlightAsync(IGrainFactory cluster, CancellationToken cancellationToken)
    {
        try
        {
            var hosts = await cluster.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true)
                .WaitAsync(MembershipQueryTimeout, cancellationToken).ConfigureAwait(false);
            return Math.Max(1, 2 * hosts.Count);
        }
        catch (Exception e) when (e is OrleansException or TimeoutException)
        {
            return 2;
        }
    }

    private static async Task<BlockResult> SendAsync(IGrainFactory cluster, BlockRequest request, int index, int requests, SemaphoreSlim gate,
        DistributedEnsembleOptions distribution, DistributedRunLog? log, CancellationTokenSource abort)
    {
        CancellationToken stop = abort.Token;
        await gate.WaitAsync(stop).ConfigureAwait(false);
        try
        {
            for (int attempt = 1; ; attempt++)
            {
                // A new key per attempt, so a retry may enter the cluster through another gateway than the lost one.
                var worker = cluster.GetGrain<IEnsembleWorkerGrain>(index + (long)(attempt - 1) * requests);
                BlockRequest sent = request with { RequestId = Guid.NewGuid() };
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
                TimeSpan allowed = TimerSpan(distribution.BlockTimeout, request.BlockCount);
                timeout.CancelAfter(allowed);
                long started = Stopwatch.GetTimestamp();
                Exception failure;
                try
                {
                    // WaitAsync: the answer of a silo that died may never come; the token ends the wait either way.
                    BlockResult result = await worker.RunAsync(sent, timeout.Token).WaitAsync(timeout.Token).ConfigureAwait(false);
                    log?.Add(new DistributedRequestRecord(request.FirstBlock, request.BlockCount, request.Count, result.Silo, result.Elapsed,
                        Stopwatch.GetElapsedTime(started), attempt));
                    return result;
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    // The caller cancelled, or another request failed: the worker is told too (below), then the call ends.
                    CancelOnSilo(worker, sent.RequestId);
                    throw;
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested)
                {
                    CancelOnSilo(worker, sent.RequestId);
                    failure = new TimeoutException(
                        $"Blocks {request.FirstBlock}–{request.FirstBlock + request.BlockCount - 1} did not answer within {allowed} "
                        + $"({request.BlockCount} × BlockTimeout {distribution.BlockTimeout}) after {attempt} attempt(s).");
                }
                catch (Exception e) when (Lost(e) && !stop.IsCancellationRequested)
                {
                    failure = e;
                }
                if (attempt >= distribution.MaxAttempts)
                {
                    abort.Cancel();
                    if (failure is TimeoutException) throw failure;
                    throw new OrleansException(
                        $"Blocks {request.FirstBlock}–{request.FirstBlock + request.BlockCount - 1} were lost {attempt} times (last: {failure.GetType().Name}: {failure.Message}).", failure);
                }
                log?.Retried();
                await Task.Delay(TimerSpan(distribution.RetryDelay, attempt), stop).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            abort.Cancel();
            throw;
        }
        finally
        {
            gate.Release();
        }
    }

    // span × count, at most the longest wait a timer takes (uint.MaxValue − 1 ms, about 49.7 days): CancelAfter and Task.Delay
    // throw beyond it, and TimeSpan.MaxValue (a user's "never") overflows when multiplied.
    private static readonly TimeSpan LongestTimer = TimeSpan.FromMilliseconds(uint.MaxValue - 1.0);

    private static TimeSpan TimerSpan(TimeSpan span, int count) =>
        span.Ticks >= LongestTimer.Ticks / count ? LongestTimer : span * count;

    // Cancellation is sent as a call of its own, with the request's key (so to the silo the request entered), where the
    // worker stops between blocks: the call token given to RunAsync alone did not stop a running stateless worker in
    // the tests. Fire and forget: a silo that is gone cannot be told, and its worker is gone with it.
    private static void CancelOnSilo(IEnsembleWorkerGrain worker, Guid requestId) =>
        _ = worker.CancelAsync(requestId).ContinueWith(static t => _ = t.Exception, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously);

    // A failure of the cluster, not of the problem: the request is sent again.
    private static bool Lost(Exception e) => e is OrleansException or TimeoutException or System.Net.Sockets.SocketException
        or global::Orleans.Runtime.Messaging.ConnectionFailedException;
}
