using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OdeGen.Orleans.Workers;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace OdeGen.Orleans.Tests;

/// <summary>
/// The primary silo lost. The TestingHost clusters as <c>UseLocalhostClustering</c> does (development clustering): the
/// membership table lives on the primary, so once it is gone no silo can join or be declared dead. The silos left still
/// serve the requests that reach them (a stateless worker needs neither membership nor the grain directory), so a call
/// still returns the local result, bit for bit; with no silo left it throws within its attempts.
/// </summary>
public sealed class PrimaryLossTests : IAsyncLifetime
{
    // A cluster of its own per test: each test kills its primary.
    private readonly TestCluster _cluster = ThreeSiloCluster.Build();

    public Task InitializeAsync() => _cluster.DeployAsync();

    public async Task DisposeAsync()
    {
        PrimaryLossGate.Gate.Release();
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task PrimaryKilledDuringRun_ItsRequestsAreResent_AndTheResultEqualsTheLocalCall()
    {
        const int count = 2_000;
        double[] y0s = Problems.InitialStates(count, seed: 43, nonFinite: 2), ps = Problems.Parameters(count, seed: 44);
        var options = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-8, AbsTol = 1e-10 };
        EnsembleSolution local = Ode.Solve(default(PrimaryLossLorenz), new EnsembleBatch(y0s, ps), 0.0, 1.0, options);

        // As SiloFailureTests, with the primary as the victim: the gate holds every evaluation, so the primary is killed
        // while requests it holds are in progress, and it can never answer them.
        var log = new DistributedRunLog();
        var distribution = new DistributedEnsembleOptions
        {
            BlocksPerRequest = 2, MaxRequestsInFlight = 24, BlockTimeout = TimeSpan.FromSeconds(5), MaxAttempts = 5, RetryDelay = TimeSpan.FromMilliseconds(50),
        };
        var primary = (InProcessSiloHandle)_cluster.Primary!;
        PrimaryLossGate.Gate.Close();
        Task<EnsembleSolution> run;
        try
        {
            run = _cluster.Client.SolveEnsembleAsync(default(PrimaryLossLorenz), y0s, ps, 0.0, 1.0, options, distribution: distribution, log: log);
            var waited = Stopwatch.StartNew();
            while (primary.SiloHost.Services.GetRequiredService<RunningRequests>().Count == 0)
            {
                Assert.False(run.IsCompleted, "the call ended before the primary received a request");
                Assert.True(waited.Elapsed < TimeSpan.FromMinutes(1), "the primary received no request within a minute");
                await Task.Delay(5);
            }
            var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var onStopped = primary.SiloHost.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopped
                .Register(() => stopped.TrySetResult());
            Task kill = _cluster.KillSiloAsync(primary);
            await stopped.Task.WaitAsync(TimeSpan.FromMinutes(1));
            Assert.Empty(log.Requests);   // nothing could answer while the gate was closed
            PrimaryLossGate.Gate.Release();
            await kill.WaitAsync(TimeSpan.FromMinutes(1));
        }
        finally
        {
            PrimaryLossGate.Gate.Release();
        }

        EnsembleSolution distributed = await run.WaitAsync(TimeSpan.FromMinutes(2));

        Same.Solution(local, distributed);
        string primaryName = primary.SiloAddress.ToString();
        Assert.DoesNotContain(log.Requests, r => r.Silo == primaryName);
        Assert.True(log.Retries >= 1, $"no request was re-sent (killed the primary {primaryName} holding requests)");
        Assert.Contains(log.Requests, r => r.Attempts > 1);
    }

    [Fact]
    public async Task PrimaryKilledBeforeCall_TheOtherSilosAnswer_AndTheResultEqualsTheLocalCall()
    {
        const int count = 400;
        double[] y0s = Problems.InitialStates(count, seed: 41, nonFinite: 2), seed = Problems.Seed(count, seed: 42);
        var options = new SolverOptions { Method = OdeMethod.Tsit5, RelTol = 1e-7, AbsTol = 1e-9 };
        EnsembleGradient local = Ode.Gradient(default(Lorenz.RhsSystem), EnsembleBatch.Shared(y0s, Problems.Shared), 0.0, [1.0], seed,
            Sensitivity.DiscreteAdjoint, options);
        string primaryName = _cluster.Primary!.SiloAddress.ToString();
        await _cluster.KillSiloAsync(_cluster.Primary!);

        // MaxRequestsInFlight left to its default: the count of active silos is asked of the cluster, whose membership
        // table went with the primary.
        var log = new DistributedRunLog();
        EnsembleGradient distributed = await _cluster.Client.GradientEnsembleSharedAsync(default(Lorenz.RhsSystem), y0s, Problems.Shared, 0.0, 1.0, seed,
            options, distribution: new DistributedEnsembleOptions { BlocksPerRequest = 2, BlockTimeout = TimeSpan.FromSeconds(5), RetryDelay = TimeSpan.FromMilliseconds(50) },
            log: log).WaitAsync(TimeSpan.FromMinutes(2));

        Same.Gradient(local, distributed);
        Assert.DoesNotContain(log.Requests, r => r.Silo == primaryName);
        Assert.Equal(2, log.TrajectoriesBySilo.Count);
    }

    // With every silo gone (the primary first), the call throws the documented OrleansException once each request has had
    // its attempts, and no later than its attempts allow: MaxAttempts × BlockTimeout and the pauses between them, with
    // room for a loaded machine; far less than Orleans' own 30 s response timeout, which a hang would reach.
    [Fact]
    public async Task EverySiloLost_TheCallThrowsOrleansException_WithinItsAttempts()
    {
        const int count = 40;
        double[] y0s = Problems.InitialStates(count, seed: 45), ps = Problems.Parameters(count, seed: 46);
        await _cluster.KillSiloAsync(_cluster.Primary!);
        foreach (SiloHandle silo in _cluster.SecondarySilos.ToList()) await _cluster.KillSiloAsync(silo);

        // One request (every block in it), so the attempts are counted exactly; the in-flight default is asked of the cluster.
        var distribution = new DistributedEnsembleOptions
        {
            BlocksPerRequest = int.MaxValue, BlockTimeout = TimeSpan.FromSeconds(2), MaxAttempts = 3, RetryDelay = TimeSpan.FromMilliseconds(50),
        };
        TimeSpan allowed = distribution.BlockTimeout * distribution.MaxAttempts + distribution.RetryDelay * 3 + TimeSpan.FromSeconds(15);
        var log = new DistributedRunLog();
        var watch = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<OrleansException>(() =>
            _cluster.Client.SolveEnsembleAsync(default(Lorenz.RhsSystem), y0s, ps, 0.0, 1.0, distribution: distribution, log: log).WaitAsync(TimeSpan.FromMinutes(2)));
        TimeSpan took = watch.Elapsed;

        Assert.StartsWith("Blocks 0–", e.Message);
        Assert.Contains("were lost 3 times", e.Message);
        Assert.NotNull(e.InnerException);
        Assert.Equal(2, log.Retries);
        Assert.Empty(log.Requests);
        Assert.True(took < allowed, $"the call took {took} to fail; its attempts allow {allowed - TimeSpan.FromSeconds(15)}");
    }
}
