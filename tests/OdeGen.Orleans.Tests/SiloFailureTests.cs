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

        var log = new DistributedRunLog();
        var distribution = new DistributedEnsembleOptions { BlocksPerRequest = 2, BlockTimeout = TimeSpan.FromSeconds(2), RetryDelay = TimeSpan.FromMilliseconds(50) };
        Task<EnsembleGradient> run = _cluster.Client.GradientEnsembleSharedAsync(System, y0s, Problems.Shared, 0.0, 2.0, seed, options,
            distribution: distribution, log: log);

        // Requests answer in milliseconds here; 2 s per block is only there to give up on the killed silo's requests,
        // whose answers never come (the client learns of the loss from the timeout, then sends them again).
        // Kill (not stop: no graceful hand-over) a secondary silo as soon as it has answered a request, so it is busy.
        SiloHandle victim = await AnsweringSecondary(log, run);
        string victimName = log.Requests.First(r => IsSilo(victim, r.Silo)).Silo;
        int answeredBefore = log.Requests.Count;
        await _cluster.KillSiloAsync(victim);

        EnsembleGradient distributed = await run.WaitAsync(TimeSpan.FromMinutes(2));

        Same.Gradient(local, distributed);
        Assert.True(answeredBefore < log.Requests.Count, "the run had finished before the silo was killed");
        Assert.Contains(log.Requests.Skip(answeredBefore), r => !IsSilo(victim, r.Silo));
        Assert.True(log.Retries >= 1, $"no request was re-sent (killed {victimName} after {answeredBefore} of {log.Requests.Count} requests)");
    }

    private async Task<SiloHandle> AnsweringSecondary(DistributedRunLog log, Task run)
    {
        while (!run.IsCompleted)
        {
            foreach (SiloHandle silo in _cluster.SecondarySilos)
                if (log.Requests.Any(r => IsSilo(silo, r.Silo))) return silo;
            await Task.Delay(5);
        }
        throw new InvalidOperationException("The run ended before a secondary silo answered.");
    }

    // Grain.RuntimeIdentity is the silo address's string form.
    private static bool IsSilo(SiloHandle silo, string identity) => identity == silo.SiloAddress.ToString();
}
