using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OdeGen.Orleans.Workers;
using Orleans.TestingHost;

namespace OdeGen.Orleans.Tests;

/// <summary>A silo lost in the middle of a run: its requests are sent again and the result is still the local one.</summary>
public sealed class SiloFailureTests : IAsyncLifetime
{
    // A cluster of its own: this test kills one of its silos.
    private readonly TestCluster _cluster = ThreeSiloCluster.Build();
    private static readonly Lorenz.RhsSystem System = default;

    public Task InitializeAsync() => _cluster.DeployAsync();

    public async Task DisposeAsync()
    {
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task SiloKilledDuringRun_ItsBlocksAreResent_AndTheResultEqualsTheLocalCall()
    {
        const int count = 2_400;
        double[] y0s = Problems.InitialStates(count, seed: 21, nonFinite: 3), seed = Problems.Seed(count, seed: 22);
        var options = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-8, AbsTol = 1e-10 };
        EnsembleGradient local = Ode.Gradient(System, EnsembleBatch.Shared(y0s, Problems.Shared), 0.0, [2.0], seed, Sensitivity.DiscreteAdjoint, options);

        // Requests answer in milliseconds here, so a silo killed "while busy" had often answered everything it held by
        // the time it went down, and nothing was lost (CI saw that). The gate holds every evaluation instead: the silo is
        // killed while requests it holds are in progress, which it can never answer. The client learns of the loss from the
        // dropped connection or, at the latest, from the 10 s timeout of a two-block request, then sends them again; held
        // requests on the other silos time out too if the kill is slow, hence the attempts to spare.
        var log = new DistributedRunLog();
        var distribution = new DistributedEnsembleOptions
        {
            BlocksPerRequest = 2, MaxRequestsInFlight = 24, BlockTimeout = TimeSpan.FromSeconds(5), MaxAttempts = 10, RetryDelay = TimeSpan.FromMilliseconds(50),
        };
        EvaluationGate.Close();
        try
        {
            Task<EnsembleGradient> run = _cluster.Client.GradientEnsembleSharedAsync(default(HeldLorenz), y0s, Problems.Shared, 0.0, 2.0, seed,
                options, distribution: distribution, log: log);

            // Kill (not stop: no graceful hand-over) a secondary silo that holds a request. The kill stops the silo, then
            // disposes it, and the disposal waits for the requests its workers hold: the gate opens in between, once the
            // silo has stopped and no answer can leave it.
            SiloHandle victim = await SecondaryHoldingARequest(run);
            var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var onStopped = ((InProcessSiloHandle)victim).SiloHost.Services.GetRequiredService<IHostApplicationLifetime>()
                .ApplicationStopped.Register(() => stopped.TrySetResult());
            Task kill = _cluster.KillSiloAsync(victim);
            await stopped.Task.WaitAsync(TimeSpan.FromMinutes(1));
            Assert.Empty(log.Requests);   // nothing could answer while the gate was closed
            EvaluationGate.Release();
            await kill.WaitAsync(TimeSpan.FromMinutes(1));

            EnsembleGradient distributed = await run.WaitAsync(TimeSpan.FromMinutes(2));

            Same.Gradient(local, distributed);
            string victimName = victim.SiloAddress.ToString();
            Assert.DoesNotContain(log.Requests, r => r.Silo == victimName);
            Assert.True(log.Retries >= 1, $"no request was re-sent (killed {victimName} holding requests; {log.Requests.Count} answered)");
            Assert.Contains(log.Requests, r => r.Attempts > 1);
        }
        finally
        {
            EvaluationGate.Release();
        }
    }

    // docs/cluster.md: a silo stopped gracefully finishes the requests it holds before it goes. The gate holds them while
    // the stop begins; once it opens, the stopping silo answers them itself.
    [Fact]
    public async Task SiloStoppedGracefullyDuringRun_AnswersTheRequestsItHolds_AndTheResultEqualsTheLocalCall()
    {
        const int count = 1_200;
        double[] y0s = Problems.InitialStates(count, seed: 81, nonFinite: 2), ps = Problems.Parameters(count, seed: 82);
        var options = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-8, AbsTol = 1e-10 };
        EnsembleSolution local = Ode.Solve(default(HeldLorenz), new EnsembleBatch(y0s, ps), 0.0, 1.0, options);
        var log = new DistributedRunLog();
        var distribution = new DistributedEnsembleOptions
        {
            BlocksPerRequest = 2, MaxRequestsInFlight = 12, BlockTimeout = TimeSpan.FromSeconds(20), MaxAttempts = 5, RetryDelay = TimeSpan.FromMilliseconds(50),
        };
        EvaluationGate.Close();
        try
        {
            Task<EnsembleSolution> run = _cluster.Client.SolveEnsembleAsync(default(HeldLorenz), y0s, ps, 0.0, 1.0, options, distribution: distribution, log: log);
            SiloHandle victim = await SecondaryHoldingARequest(run);
            var host = ((InProcessSiloHandle)victim).SiloHost;
            int held = host.Services.GetRequiredService<RunningRequests>().Count;
            var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var onStopping = host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(() => stopping.TrySetResult());
            Task stop = _cluster.StopSiloAsync(victim);
            await stopping.Task.WaitAsync(TimeSpan.FromMinutes(1));
            Assert.Empty(log.Requests);   // nothing could answer while the gate was closed
            EvaluationGate.Release();

            EnsembleSolution distributed = await run.WaitAsync(TimeSpan.FromMinutes(2));
            await stop.WaitAsync(TimeSpan.FromMinutes(1));

            Same.Solution(local, distributed);
            string victimName = victim.SiloAddress.ToString();
            int answered = log.Requests.Count(r => r.Silo == victimName && r.Attempts == 1);
            Assert.True(answered >= held, $"the stopped silo held {held} requests and answered {answered} ({log.Retries} re-sent)");
        }
        finally
        {
            EvaluationGate.Release();
        }
    }

    private async Task<SiloHandle> SecondaryHoldingARequest(Task run)
    {
        var waited = Stopwatch.StartNew();
        while (!run.IsCompleted)
        {
            foreach (SiloHandle silo in _cluster.SecondarySilos)
                if (((InProcessSiloHandle)silo).SiloHost.Services.GetRequiredService<RunningRequests>().Count > 0) return silo;
            if (waited.Elapsed > TimeSpan.FromMinutes(1)) break;
            await Task.Delay(5);
        }
        EvaluationGate.Release();
        await run.WaitAsync(TimeSpan.FromMinutes(1));   // shows why the run ended, if it failed
        throw new InvalidOperationException($"No secondary silo received a request within {waited.Elapsed} (the run {(run.IsCompleted ? "ended" : "is still waiting")}).");
    }
}
