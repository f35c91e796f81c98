using Microsoft.Extensions.DependencyInjection;
using OdeGen.Orleans.Workers;
using Orleans.TestingHost;

namespace OdeGen.Orleans.Tests;

/// <summary>A silo that joins while a call runs: the result is still the local call's, bit for bit, with nothing re-sent.</summary>
public sealed class SiloJoinTests : IAsyncLifetime
{
    // A cluster of its own: a silo joins it. Its client has a fixed gateway list (the silos it started with), so the new
    // silo joins the cluster but receives none of this client's requests (a stateless worker runs on the silo whose gateway
    // the request entered); what the test checks is that the join disturbs nothing in flight.
    private readonly TestCluster _cluster = Build();

    private static TestCluster Build()
    {
        var builder = new TestClusterBuilder(2);
        builder.AddSiloBuilderConfigurator<LorenzSilo>();
        return builder.Build();
    }

    public Task InitializeAsync() => _cluster.DeployAsync();

    public async Task DisposeAsync()
    {
        JoinGate.Gate.Release();
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task SiloJoinsMidRun_TheResultEqualsTheLocalCall()
    {
        int lanes = EnsembleOptions.LaneCount(EnsembleOptions.HardwareWidth);
        int count = 90 * lanes + 5;
        double[] y0s = Problems.InitialStates(count, seed: 61, nonFinite: 3), seed = Problems.Seed(count, seed: 62);
        var options = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-7, AbsTol = 1e-9 };
        EnsembleGradient local = Ode.Gradient(default(JoinLorenz), EnsembleBatch.Shared(y0s, Problems.Shared), 0.0, [1.0], seed,
            Sensitivity.DiscreteAdjoint, options);

        // The gate holds the first requests on the two silos until the third has joined; none may be lost or re-sent.
        var log = new DistributedRunLog();
        var distribution = new DistributedEnsembleOptions { BlocksPerRequest = 1, MaxRequestsInFlight = 4, BlockTimeout = TimeSpan.FromMinutes(1), MaxAttempts = 1 };
        JoinGate.Gate.Close();
        Task<EnsembleGradient> run;
        try
        {
            run = _cluster.Client.GradientEnsembleSharedAsync(default(JoinLorenz), y0s, Problems.Shared, 0.0, 1.0, seed, options,
                distribution: distribution, log: log);
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            while (!_cluster.Silos.Any(s => ((InProcessSiloHandle)s).SiloHost.Services.GetRequiredService<RunningRequests>().Count > 0))
            {
                Assert.False(run.IsCompleted, "the call ended before any request ran");
                await Task.Delay(5, limit.Token);
            }
            SiloHandle joined = await _cluster.StartAdditionalSiloAsync();
            await _cluster.WaitForLivenessToStabilizeAsync();
            Assert.Contains(joined, _cluster.GetActiveSilos());
            Assert.Empty(log.Requests);   // the call is still under way: nothing could answer while the gate was closed
        }
        finally
        {
            JoinGate.Gate.Release();
        }

        EnsembleGradient distributed = await run.WaitAsync(TimeSpan.FromMinutes(2));

        Same.Gradient(local, distributed);
        Assert.Equal(0, log.Retries);
    }
}
