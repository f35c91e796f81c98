using System.Diagnostics;
using Orleans.TestingHost;

namespace OdeGen.Orleans.Tests;

/// <summary>The cluster path against the local call on the same inputs: the same result, bit for bit.</summary>
[Collection(ClusterCollection.Name)]
public sealed class DistributedEnsembleTests(ThreeSiloCluster fixture)
{
    private readonly TestCluster _cluster = fixture.Cluster;
    private static readonly Lorenz.RhsSystem System = default;

    // Small requests, so that even these ensembles make many of them and every silo gets some.
    private static readonly DistributedEnsembleOptions ManyRequests = new() { BlocksPerRequest = 3 };

    [Fact]
    public async Task SolveEnsemble_Adaptive_EqualsLocalCall_BitForBit()
    {
        const int count = 603;
        double[] y0s = Problems.InitialStates(count, seed: 1, nonFinite: 4), ps = Problems.Parameters(count, seed: 2);
        var options = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-7, AbsTol = 1e-9, SaveAt = [0.25, 0.5, 1.0] };

        EnsembleSolution local = Ode.Solve(System, new EnsembleBatch(y0s, ps), 0.0, 1.0, options);
        var log = new DistributedRunLog();
        EnsembleSolution distributed = await _cluster.Client.SolveEnsembleAsync(System, y0s, ps, 0.0, 1.0, options, distribution: ManyRequests, log: log);

        Same.Solution(local, distributed);
        Assert.Contains(OdeStatus.NonFiniteValue, distributed.Statuses);
        Assert.Equal(count, log.Requests.Sum(r => r.Trajectories));
        Assert.True(log.TrajectoriesBySilo.Count > 1, $"every request went to one silo: {string.Join(", ", log.TrajectoriesBySilo)}");
    }

    [Fact]
    public async Task SolveEnsembleShared_FixedStepFused_EqualsLocalCall_BitForBit()
    {
        const int count = 301;
        double[] y0s = Problems.InitialStates(count, seed: 3);
        var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.01, SaveAt = [0.5] };

        EnsembleSolution local = Ode.Solve(System, EnsembleBatch.Shared(y0s, Problems.Shared), 0.0, 1.0, options);
        EnsembleSolution distributed = await _cluster.Client.SolveEnsembleSharedAsync(System, y0s, Problems.Shared, 0.0, 1.0, options, distribution: ManyRequests);

        Same.Solution(local, distributed);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(1000)]
    public async Task GradientEnsembleShared_EqualsLocalCall_BitForBit_WhateverTheRequestSize(int blocksPerRequest)
    {
        const int count = 405;
        double[] y0s = Problems.InitialStates(count, seed: 4, nonFinite: 2), seed = Problems.Seed(count, seed: 5);
        var options = new SolverOptions { Method = OdeMethod.Tsit5, RelTol = 1e-6, AbsTol = 1e-8 };

        EnsembleGradient local = Ode.Gradient(System, EnsembleBatch.Shared(y0s, Problems.Shared), 0.0, [0.5], seed, Sensitivity.DiscreteAdjoint, options);
        EnsembleGradient distributed = await _cluster.Client.GradientEnsembleSharedAsync(System, y0s, Problems.Shared, 0.0, 0.5, seed, options,
            distribution: new DistributedEnsembleOptions { BlocksPerRequest = blocksPerRequest });

        Same.Gradient(local, distributed);
        Assert.Contains(OdeStatus.NonFiniteValue, distributed.Statuses);
    }

    [Fact]
    public async Task GradientEnsemble_PerTrajectoryParameters_EqualsLocalCall_BitForBit()
    {
        const int count = 201;
        double[] y0s = Problems.InitialStates(count, seed: 6), ps = Problems.Parameters(count, seed: 7), seed = Problems.Seed(count, seed: 8);
        var options = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-6 };

        EnsembleGradient local = Ode.Gradient(System, new EnsembleBatch(y0s, ps), 0.0, [0.5], seed, Sensitivity.DiscreteAdjoint, options);
        EnsembleGradient distributed = await _cluster.Client.GradientEnsembleAsync(System, y0s, ps, 0.0, 0.5, seed, options, distribution: ManyRequests);

        Same.Gradient(local, distributed);
        Assert.Null(distributed.SharedParameters);
    }

    // PerLaneSteps changes the steps (each trajectory's are Ode.Solve's own), so it must reach the silos: the call once
    // ignored it and returned the shared-step solution, which differs from the local call's at the tolerance's level.
    [Fact]
    public async Task SolveEnsemble_PerLaneSteps_EqualsLocalCall_BitForBit()
    {
        const int count = 203;
        double[] y0s = Problems.InitialStates(count, seed: 21, nonFinite: 2), ps = Problems.Parameters(count, seed: 22);
        var options = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-7, AbsTol = 1e-9 };
        var perLane = new EnsembleOptions { PerLaneSteps = true };

        EnsembleSolution local = Ode.Solve(System, new EnsembleBatch(y0s, ps), 0.0, 2.0, options, perLane);
        EnsembleSolution shared = Ode.Solve(System, new EnsembleBatch(y0s, ps), 0.0, 2.0, options);
        EnsembleSolution distributed = await _cluster.Client.SolveEnsembleAsync(System, y0s, ps, 0.0, 2.0, options, perLane, ManyRequests);

        Assert.NotEqual(shared.FinalStates, local.FinalStates);   // the test would not see the option dropped otherwise
        Same.Solution(local, distributed);
    }

    // The shared-θ sum of a per-lane gradient adds the rows in trajectory order (as the local call does), not block sums.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task GradientEnsemble_PerLaneSteps_EqualsLocalCall_BitForBit(bool sharedTheta)
    {
        const int count = 157;
        double[] y0s = Problems.InitialStates(count, seed: 23, nonFinite: 2), seed = Problems.Seed(count, seed: 24);
        double[] ps = sharedTheta ? Problems.Shared : Problems.Parameters(count, seed: 25);
        var options = new SolverOptions { Method = OdeMethod.Tsit5, RelTol = 1e-6, AbsTol = 1e-8 };
        var perLane = new EnsembleOptions { PerLaneSteps = true };
        EnsembleBatch batch = sharedTheta ? EnsembleBatch.Shared(y0s, ps) : new EnsembleBatch(y0s, ps);

        EnsembleGradient local = Ode.Gradient(System, batch, 0.0, [1.0], seed, Sensitivity.DiscreteAdjoint, options, perLane);
        EnsembleGradient distributed = sharedTheta
            ? await _cluster.Client.GradientEnsembleSharedAsync(System, y0s, ps, 0.0, 1.0, seed, options, perLane, ManyRequests)
            : await _cluster.Client.GradientEnsembleAsync(System, y0s, ps, 0.0, 1.0, seed, options, perLane, ManyRequests);

        Same.Gradient(local, distributed, countsVjps: false);
        Assert.True(distributed.VjpEvaluations > 0);
    }

    [Fact]
    public async Task UnregisteredSystem_FailsPromptly_WithAnErrorNamingTheTypeAndHowToRegisterIt()
    {
        var decay = default(Unregistered.DecaySystem);
        double[] y0s = [1.0, 2.0, 3.0], ps = [0.5, 0.5, 0.5];

        // "Promptly" is counted, not timed: the failure is the silo's answer to the first request, not a lost request sent
        // again until the attempts run out (the 60 s only ends a hang).
        var log = new DistributedRunLog();
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            _cluster.Client.SolveEnsembleAsync(decay, y0s, ps, 0.0, 1.0, log: log).WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Contains("'OdeGen.Orleans.Tests.Unregistered+DecaySystem'", e.Message);
        Assert.Contains("AddOdeGenSystem<OdeGen.Orleans.Tests.Unregistered.DecaySystem>()", e.Message);
        Assert.Contains("OdeGen.Orleans.Tests.Lorenz+RhsSystem", e.Message);   // what the silo can run
        Assert.Equal(0, log.Retries);
        Assert.Empty(log.Requests);
    }

    // A system sized at run time and registered on the silos with 4 states, sent by a client that built it with 3: the silo
    // says both sizes at once, and the call is not retried (an error of the problem, not a lost silo).
    [Fact]
    public async Task SystemRegisteredWithOtherSizes_FailsPromptly_NamingBothSizes()
    {
        var decay = new SizedDecay(3);
        double[] y0s = Enumerable.Range(1, 3 * 20).Select(i => (double)i).ToArray(), ps = Enumerable.Repeat(0.5, 20).ToArray();
        Assert.Equal(OdeStatus.Success, Ode.Solve(decay, new EnsembleBatch(y0s, ps), 0.0, 1.0).Statuses.Distinct().Single());   // fine locally
        var log = new DistributedRunLog();

        var e = await Assert.ThrowsAsync<ArgumentException>(() =>
            _cluster.Client.SolveEnsembleAsync(decay, y0s, ps, 0.0, 1.0, log: log).WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Contains("has 3 states and 1 parameters", e.Message);
        Assert.Contains("has 4 and 1", e.Message);
        Assert.Equal(0, log.Retries);
        Assert.Empty(log.Requests);
    }

    // docs/cluster.md: dynamics that throw on a silo make the call throw that exception (its type and message, as the local
    // call throws it), the client stops its other requests, and nothing is retried (an error of the problem).
    [Fact]
    public async Task DynamicsThrowOnASilo_TheCallThrowsTheLocalCallsException_NotRetried_AndTheOtherRequestsStop()
    {
        // A long job (tens of seconds on this cluster, as in the cancellation tests) whose trajectory 20 throws at once.
        const int count = 20_000;
        double[] y0s = Problems.InitialStates(count, seed: 71), ps = Problems.Parameters(count, seed: 72);
        ps[20 * 3] = -1.5;   // trajectory 20's σ: NegativeSigmaThrows throws in its block's first evaluation
        var options = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-10, AbsTol = 1e-12 };
        var local = Assert.Throws<ArgumentOutOfRangeException>(() => Ode.Solve(default(ThrowingLorenz), new EnsembleBatch(y0s, ps), 0.0, 20.0, options));
        var log = new DistributedRunLog();
        var distribution = new DistributedEnsembleOptions { BlocksPerRequest = 1 };

        var e = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            _cluster.Client.SolveEnsembleAsync(default(ThrowingLorenz), y0s, ps, 0.0, 20.0, options, distribution: distribution, log: log)
                .WaitAsync(TimeSpan.FromMinutes(5)));

        // Orleans carries the type and the message (with the parameter's name in its text), not ParamName itself.
        Assert.Equal(local.Message, e.Message);
        Assert.Contains("σ = -1.5 is negative", e.Message);
        Assert.Equal(0, log.Retries);
        // The other requests stop: counted, not timed (an adaptive block is one register of at most 8 lanes, so the job is
        // count / 8 requests or more, and a call that went on would have answered them all before throwing).
        int lanes = EnsembleOptions.LaneCount(EnsembleOptions.HardwareWidth);
        Assert.DoesNotContain(log.Requests, r => r.FirstBlock == 20 / lanes);
        Assert.True(log.Requests.Count < count / 8 / 2, $"{log.Requests.Count} requests were answered: the others were not stopped");
    }

    // docs/cluster.md: "The call throws OperationCanceledException, also when the token was cancelled before the call."
    [Fact]
    public async Task TokenCancelledBeforeTheCall_ThrowsOperationCanceled_AndSendsNothing()
    {
        const int count = 100;
        double[] y0s = Problems.InitialStates(count, seed: 73), ps = Problems.Parameters(count, seed: 74);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        long before = EvaluationCounter.Evaluations;
        var log = new DistributedRunLog();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _cluster.Client.SolveEnsembleAsync(default(CountingLorenz), y0s, ps, 0.0, 1.0,
            distribution: ManyRequests, log: log, cancellationToken: cancelled.Token).WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Empty(log.Requests);
        Assert.Equal(0, log.Retries);
        Assert.Equal(before, EvaluationCounter.Evaluations);   // no silo solved anything (the counting tests of this collection run one at a time)
    }

    // docs/cluster.md: a method from OdeMethod.FromTableau cannot travel (it goes by name) and is refused naming OdeMethod.All
    // before anything is sent, even when it carries a built-in method's name (the silo would have run other coefficients).
    [Fact]
    public async Task MethodFromTableau_IsRefusedNamingOdeMethodAll_EvenUnderABuiltInName()
    {
        double[] y0s = Problems.InitialStates(20, seed: 75), ps = Problems.Parameters(20, seed: 76);
        // Heun's method, named as the built-in RK4.
        var heun = OdeMethod.FromTableau(new OdeGen.Solvers.ButcherTableau("RK4", order: 2, a: [[], [1.0]], b: [0.5, 0.5], c: [0.0, 1.0]));
        var options = new SolverOptions { Method = heun, FixedStep = 0.01 };
        Assert.Equal(OdeStatus.Success, Ode.Solve(System, new EnsembleBatch(y0s, ps), 0.0, 1.0, options).Statuses.Distinct().Single());   // fine locally
        var log = new DistributedRunLog();

        var e = await Assert.ThrowsAsync<ArgumentException>(() => _cluster.Client.SolveEnsembleAsync(System, y0s, ps, 0.0, 1.0, options, log: log));

        Assert.Equal("options", e.ParamName);
        Assert.Contains("OdeMethod.All", e.Message);
        Assert.Empty(log.Requests);
    }

    // docs/cluster.md: bad DistributedEnsembleOptions are refused with an ArgumentException whose parameter is "distribution".
    [Theory]
    [InlineData("BlocksPerRequest")]
    [InlineData("MaxMessageBytes")]
    [InlineData("MaxRequestsInFlight")]
    [InlineData("BlockTimeout")]
    [InlineData("MaxAttempts")]
    [InlineData("RetryDelay")]
    public async Task BadDistributionOptions_AreRefusedAsTheDistributionParameter(string setting)
    {
        double[] y0s = Problems.InitialStates(20, seed: 77), ps = Problems.Parameters(20, seed: 78);
        DistributedEnsembleOptions bad = setting switch
        {
            "BlocksPerRequest" => new() { BlocksPerRequest = 0 },
            "MaxMessageBytes" => new() { MaxMessageBytes = 0 },
            "MaxRequestsInFlight" => new() { MaxRequestsInFlight = 0 },
            "BlockTimeout" => new() { BlockTimeout = TimeSpan.Zero },
            "MaxAttempts" => new() { MaxAttempts = 0 },
            _ => new() { RetryDelay = TimeSpan.FromMilliseconds(-1) },
        };
        var log = new DistributedRunLog();

        var e = await Assert.ThrowsAsync<ArgumentException>(() => _cluster.Client.SolveEnsembleAsync(System, y0s, ps, 0.0, 1.0, distribution: bad, log: log));

        Assert.Equal("distribution", e.ParamName);
        Assert.StartsWith(setting, e.Message);
        Assert.Empty(log.Requests);
    }

    [Fact]
    public async Task Cancellation_EndsTheCall_WithOperationCanceled()
    {
        // A long ensemble (tens of seconds on this cluster), cancelled once its first request has come back.
        const int count = 20_000;
        double[] y0s = Problems.InitialStates(count, seed: 9), ps = Problems.Parameters(count, seed: 10);
        var options = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-10, AbsTol = 1e-12 };
        var log = new DistributedRunLog();
        using var cancel = new CancellationTokenSource();

        Task<EnsembleSolution> run = _cluster.Client.SolveEnsembleAsync(System, y0s, ps, 0.0, 20.0, options,
            distribution: new DistributedEnsembleOptions { BlocksPerRequest = 1 }, log: log, cancellationToken: cancel.Token);
        while (log.Requests.Count == 0 && !run.IsCompleted) await Task.Delay(10);
        cancel.Cancel();

        // Ended early is counted, not timed: when the call has ended, few of the requests have been answered (the whole run
        // is count / 8 requests or more: an adaptive block is one register of at most 8 lanes).
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.True(log.Requests.Count < count / 8, $"the call ended after {log.Requests.Count} answered requests: it was not cut short by the cancellation");
    }

    [Fact]
    public async Task Cancellation_ReachesTheWorker_WhichStopsBetweenBlocks()
    {
        // One request holding every block, so one silo's worker would solve the whole job after the client gave up if the
        // token did not reach it. The silos run in this process: EvaluationCounter shows how much they solve after the cancel.
        const int count = 20_000, sample = 64;
        double[] y0s = Problems.InitialStates(count, seed: 15), ps = Problems.Parameters(count, seed: 16);
        var options = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-10, AbsTol = 1e-12 };

        // The whole job's evaluations, estimated from a local solve of its first trajectories. Counting work rather than
        // waiting for a quiet second keeps the test independent of the machine's load: a worker that stops between pieces
        // does a few pieces' worth after the cancel, one that ignores the token does the whole job.
        int n = default(CountingLorenz).StateCount, m = default(CountingLorenz).ParameterCount;
        long beforeSample = EvaluationCounter.Evaluations;
        Ode.Solve(default(CountingLorenz), new EnsembleBatch(y0s.AsSpan(0, sample * n), ps.AsSpan(0, sample * m)), 0.0, 200.0, options);
        double job = (double)(EvaluationCounter.Evaluations - beforeSample) * count / sample;
        long bound = (long)(job / 4);

        using var cancel = new CancellationTokenSource();
        long before = EvaluationCounter.Evaluations;
        Task<EnsembleSolution> run = _cluster.Client.SolveEnsembleAsync(default(CountingLorenz), y0s, ps, 0.0, 200.0, options,
            distribution: new DistributedEnsembleOptions { BlocksPerRequest = 100_000 }, cancellationToken: cancel.Token);
        while (EvaluationCounter.Evaluations == before && !run.IsCompleted) await Task.Delay(5);
        cancel.Cancel();
        long atCancel = EvaluationCounter.Evaluations;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.True(atCancel > before, "the worker never started: the test proves nothing");

        // The pieces in progress finish, then the count stops moving. A worker that ignored the token passes the bound long
        // before it would finish; the two-minute limit only ends a wait that neither stops nor grows (a hung silo).
        var waited = Stopwatch.StartNew();
        long settled = EvaluationCounter.Evaluations;
        while (true)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            long now = EvaluationCounter.Evaluations;
            Assert.True(now - atCancel < bound,
                $"the worker went on after the cancellation: {now - atCancel:N0} lane evaluations since, a quarter of the job is {bound:N0}");
            if (now == settled) break;
            settled = now;
            Assert.True(waited.Elapsed < TimeSpan.FromMinutes(2), $"the worker was still solving {waited.Elapsed} after the cancellation");
        }
    }

    [Fact]
    public async Task BlockTimeout_RetriesThenFails_WithTimeoutException()
    {
        const int count = 64;
        double[] y0s = Problems.InitialStates(count, seed: 11), ps = Problems.Parameters(count, seed: 12);
        var options = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-10, AbsTol = 1e-12 };
        var log = new DistributedRunLog();

        var e = await Assert.ThrowsAsync<TimeoutException>(() => _cluster.Client.SolveEnsembleAsync(System, y0s, ps, 0.0, 20.0, options,
            distribution: new DistributedEnsembleOptions { BlockTimeout = TimeSpan.FromMilliseconds(1), MaxAttempts = 2, RetryDelay = TimeSpan.Zero }, log: log));

        Assert.Contains("BlockTimeout", e.Message);
        Assert.True(log.Retries >= 1, "the timed-out request was not sent again");
    }

    // A timeout longer than a timer can wait (about 49.7 days; TimeSpan.MaxValue for "never") once threw from the
    // multiplication by the request's blocks or from CancelAfter, after the options had been accepted.
    [Fact]
    public async Task LongestTimeouts_AreAccepted_AndChangeNothing()
    {
        const int count = 40;
        double[] y0s = Problems.InitialStates(count, seed: 26), ps = Problems.Parameters(count, seed: 27);
        var options = new SolverOptions { Method = OdeMethod.Dopri5 };

        EnsembleSolution local = Ode.Solve(System, new EnsembleBatch(y0s, ps), 0.0, 1.0, options);
        foreach (TimeSpan longest in new[] { TimeSpan.MaxValue, TimeSpan.FromDays(60) })
        {
            EnsembleSolution distributed = await _cluster.Client.SolveEnsembleAsync(System, y0s, ps, 0.0, 1.0, options,
                distribution: new DistributedEnsembleOptions { BlocksPerRequest = 3, BlockTimeout = longest, RetryDelay = longest });
            Same.Solution(local, distributed);
        }
    }

    [Fact]
    public async Task InvalidOptions_ThrowTheLocalCallsException_BeforeAnythingIsSent()
    {
        double[] y0s = Problems.InitialStates(10, seed: 13), ps = Problems.Parameters(10, seed: 14);
        var stiff = new SolverOptions { Method = OdeMethod.Rodas4 };

        var local = Assert.Throws<NotSupportedException>(() => Ode.Solve(System, new EnsembleBatch(y0s, ps), 0.0, 1.0, stiff));
        var distributed = await Assert.ThrowsAsync<NotSupportedException>(() => _cluster.Client.SolveEnsembleAsync(System, y0s, ps, 0.0, 1.0, stiff));
        Assert.Equal(local.Message, distributed.Message);

        var shortRows = await Assert.ThrowsAsync<ArgumentException>(() => _cluster.Client.SolveEnsembleAsync(System, y0s, ps.AsMemory(1), 0.0, 1.0));
        Assert.Equal("ps", shortRows.ParamName);
    }

    // An answer larger than Orleans' MaxMessageBodySize (100 MB by default) made Orleans close the connection: the answer
    // never came, and the request timed out and was re-sent until the attempts ran out. Requests are now cut so that each
    // request and each answer fits in MaxMessageBytes; here BlocksPerRequest asks for one request of about 108 MB.
    [Fact]
    public async Task AnswerLargerThanAnOrleansMessage_IsCutIntoRequestsThatFit()
    {
        const int count = 64, saves = 70_000;
        double[] y0s = Problems.InitialStates(count, seed: 33), ps = Problems.Parameters(count, seed: 34);
        var options = new SolverOptions { Method = OdeMethod.Dopri5, SaveAt = Enumerable.Range(1, saves).Select(i => (double)i / saves).ToArray() };
        EnsembleSolution local = Ode.Solve(System, new EnsembleBatch(y0s, ps), 0.0, 1.0, options);
        var log = new DistributedRunLog();

        var distribution = new DistributedEnsembleOptions { BlocksPerRequest = 1000, BlockTimeout = TimeSpan.FromSeconds(10), MaxAttempts = 1 };
        EnsembleSolution distributed = await _cluster.Client.SolveEnsembleAsync(System, y0s, ps, 0.0, 1.0, options, distribution: distribution, log: log);

        Same.Solution(local, distributed);
        Assert.True(log.Requests.Count > 1, "one request carried everything");
        Assert.All(log.Requests, r => Assert.True(8L * r.Trajectories * saves * 3 <= distribution.MaxMessageBytes, $"a request of {r.Trajectories} trajectories"));
    }

    [Fact]
    public async Task LaneBlockLargerThanMaxMessageBytes_IsRefusedBeforeAnythingIsSent()
    {
        const int count = 20, saves = 50_000;   // 1.2 MB of saved states per trajectory
        double[] y0s = Problems.InitialStates(count, seed: 35), ps = Problems.Parameters(count, seed: 36);
        var options = new SolverOptions { SaveAt = Enumerable.Range(1, saves).Select(i => (double)i / saves).ToArray() };
        var log = new DistributedRunLog();

        var e = await Assert.ThrowsAsync<ArgumentException>(() => _cluster.Client.SolveEnsembleAsync(System, y0s, ps, 0.0, 1.0, options,
            distribution: new DistributedEnsembleOptions { MaxMessageBytes = 1 << 20 }, log: log));

        Assert.Equal("distribution", e.ParamName);
        Assert.Contains("MaxMessageBytes", e.Message);
        Assert.Contains("MaxMessageBodySize", e.Message);
        Assert.Empty(log.Requests);
    }

    // BlocksPerRequest = int.MaxValue ("one request") once overflowed the number of requests to 0: nothing was sent and
    // the call returned zeros with Success statuses (found by the fuzzer, case 20261207:Solve:16).
    [Fact]
    public async Task LargestBlocksPerRequest_SendsOneRequest_AndEqualsLocalCall()
    {
        const int count = 118;
        double[] y0s = Problems.InitialStates(count, seed: 37), ps = Problems.Parameters(count, seed: 38);
        var options = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-8 };
        EnsembleSolution local = Ode.Solve(System, new EnsembleBatch(y0s, ps), 0.0, 1.0, options);
        var log = new DistributedRunLog();

        EnsembleSolution distributed = await _cluster.Client.SolveEnsembleAsync(System, y0s, ps, 0.0, 1.0, options,
            distribution: new DistributedEnsembleOptions { BlocksPerRequest = int.MaxValue, MaxMessageBytes = long.MaxValue }, log: log);

        Same.Solution(local, distributed);
        Assert.Equal(count, Assert.Single(log.Requests).Trajectories);
    }

    // Calls at the same time share the silos' workers (the same grain keys, interleaved requests of one block each); each
    // must still be its own local result.
    [Fact]
    public async Task ConcurrentCalls_EachEqualsItsLocalCall()
    {
        const int count = 301;
        double[] y0s = Problems.InitialStates(count, seed: 39, nonFinite: 2), ps = Problems.Parameters(count, seed: 40), seed = Problems.Seed(count, seed: 41);
        var adaptive = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-7, SaveAt = [0.5] };
        var fixedStep = new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.01 };
        var oneBlock = new DistributedEnsembleOptions { BlocksPerRequest = 1 };

        Task<EnsembleSolution> solve = _cluster.Client.SolveEnsembleAsync(System, y0s, ps, 0.0, 1.0, adaptive, distribution: oneBlock);
        Task<EnsembleSolution> solveShared = _cluster.Client.SolveEnsembleSharedAsync(System, y0s, Problems.Shared, 0.0, 1.0, fixedStep, distribution: oneBlock);
        Task<EnsembleGradient> gradient = _cluster.Client.GradientEnsembleAsync(System, y0s, ps, 0.0, 1.0, seed, adaptive, distribution: oneBlock);
        Task<EnsembleGradient> gradientShared = _cluster.Client.GradientEnsembleSharedAsync(System, y0s, Problems.Shared, 0.0, 1.0, seed, fixedStep, distribution: oneBlock);
        await Task.WhenAll(solve, solveShared, gradient, gradientShared).WaitAsync(TimeSpan.FromMinutes(5));

        Same.Solution(Ode.Solve(System, new EnsembleBatch(y0s, ps), 0.0, 1.0, adaptive), await solve);
        Same.Solution(Ode.Solve(System, EnsembleBatch.Shared(y0s, Problems.Shared), 0.0, 1.0, fixedStep), await solveShared);
        Same.Gradient(Ode.Gradient(System, new EnsembleBatch(y0s, ps), 0.0, [1.0], seed, Sensitivity.DiscreteAdjoint, adaptive), await gradient);
        Same.Gradient(Ode.Gradient(System, EnsembleBatch.Shared(y0s, Problems.Shared), 0.0, [1.0], seed, Sensitivity.DiscreteAdjoint, fixedStep), await gradientShared);
    }

    // A call with two faults is refused for the one the local call names: the seed's length is checked last, as locally
    // (the cluster once checked it first and named the seed where the local call names the options).
    [Fact]
    public async Task GradientWithTwoFaults_IsRefusedForTheFaultTheLocalCallNames()
    {
        double[] y0s = Problems.InitialStates(10, seed: 17), longSeed = Problems.Seed(10, seed: 18).Append(0.5).ToArray();
        var fixedStep = new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.01 };
        var perLane = new EnsembleOptions { PerLaneSteps = true };

        var local = Assert.Throws<NotSupportedException>(() =>
            Ode.Gradient(System, EnsembleBatch.Shared(y0s, Problems.Shared), 0.0, [1.0], longSeed, Sensitivity.DiscreteAdjoint, fixedStep, perLane));
        var distributed = await Assert.ThrowsAsync<NotSupportedException>(() =>
            _cluster.Client.GradientEnsembleSharedAsync(System, y0s, Problems.Shared, 0.0, 1.0, longSeed, fixedStep, perLane));
        Assert.Equal(local.Message, distributed.Message);

        var shortSeed = await Assert.ThrowsAsync<ArgumentException>(() =>
            _cluster.Client.GradientEnsembleSharedAsync(System, y0s, Problems.Shared, 0.0, 1.0, longSeed, fixedStep));
        Assert.Equal("dLdyT", shortSeed.ParamName);
    }

    [Fact]
    public async Task EmptyEnsemble_IsTheLocalEmptyResult()
    {
        EnsembleGradient local = Ode.Gradient(System, EnsembleBatch.Shared([], Problems.Shared), 0.0, [1.0], [], Sensitivity.DiscreteAdjoint);
        EnsembleGradient distributed = await _cluster.Client.GradientEnsembleSharedAsync(System, Array.Empty<double>(), Problems.Shared, 0.0, 1.0, Array.Empty<double>());

        Same.Gradient(local, distributed);
        Assert.Equal(0, distributed.Count);
    }
}
