using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OdeGen.Orleans.Workers;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Messaging;
using Orleans.Runtime;
using Orleans.TestingHost;
using Xunit.Abstractions;

namespace OdeGen.Orleans.Tests;

/// <summary>
/// A silo that joins while a call runs: the requests still running keep their silos, later ones may go to the new silo,
/// and the result is the local call's, bit for bit.
/// </summary>
public sealed class SiloJoinTests(ITestOutputHelper output) : IAsyncLifetime
{
    // A cluster of its own (a silo joins it), over TCP, and a client whose gateway list follows the cluster as a client of
    // a real membership provider does: the TestingHost's own client knows only the silos it started with, and a stateless
    // worker runs on the gateway a request enters, so a silo that client does not know never gets any work.
    private readonly TestCluster _cluster = Build();
    private IHost _client = null!;

    private static TestCluster Build()
    {
        var builder = new TestClusterBuilder(2);
        builder.Options.ConnectionTransport = ConnectionTransportType.TcpSocket;
        builder.AddSiloBuilderConfigurator<LorenzSilo>();
        return builder.Build();
    }

    public async Task InitializeAsync()
    {
        await _cluster.DeployAsync();
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o => { o.ClusterId = _cluster.Options.ClusterId; o.ServiceId = _cluster.Options.ServiceId; });
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromMilliseconds(200));
            client.Services.AddSingleton<IGatewayListProvider>(new ClusterGateways(_cluster));
        });
        _client = builder.Build();
        await _client.StartAsync();
    }

    public async Task DisposeAsync()
    {
        JoinGate.Gate.Release();
        await _client.StopAsync();
        _client.Dispose();
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task SiloJoinsMidRun_TheResultEqualsTheLocalCall()
    {
        IClusterClient client = _client.Services.GetRequiredService<IClusterClient>();
        int lanes = EnsembleOptions.LaneCount(EnsembleOptions.HardwareWidth);
        int count = 90 * lanes + 5;
        double[] y0s = Problems.InitialStates(count, seed: 61, nonFinite: 3), seed = Problems.Seed(count, seed: 62);
        var options = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-7, AbsTol = 1e-9 };
        EnsembleGradient local = Ode.Gradient(default(JoinLorenz), EnsembleBatch.Shared(y0s, Problems.Shared), 0.0, [1.0], seed,
            Sensitivity.DiscreteAdjoint, options);

        // The gate holds the first requests on the two silos until the third has joined; none may be lost or retried.
        var log = new DistributedRunLog();
        var distribution = new DistributedEnsembleOptions { BlocksPerRequest = 1, MaxRequestsInFlight = 4, BlockTimeout = TimeSpan.FromMinutes(1), MaxAttempts = 1 };
        JoinGate.Gate.Close();
        Task<EnsembleGradient> run;
        SiloHandle joined;
        try
        {
            run = client.GradientEnsembleSharedAsync(default(JoinLorenz), y0s, Problems.Shared, 0.0, 1.0, seed, options, distribution: distribution, log: log);
            await UntilRunning(run);
            joined = await _cluster.StartAdditionalSiloAsync();
            await UntilGateway(client, joined);
            Assert.Empty(log.Requests);   // the call is still under way: nothing could answer while the gate was closed
        }
        finally
        {
            JoinGate.Gate.Release();
        }

        EnsembleGradient distributed = await run.WaitAsync(TimeSpan.FromMinutes(2));
        output.WriteLine($"{string.Join(", ", log.TrajectoriesBySilo)}; joined {joined.SiloAddress}");

        Same.Gradient(local, distributed);
        Assert.Equal(0, log.Retries);
        Assert.Contains(log.Requests, r => r.Silo == joined.SiloAddress.ToString());   // the new silo took part
    }

    private async Task UntilRunning(Task run)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (!_cluster.Silos.Any(s => ((InProcessSiloHandle)s).SiloHost.Services.GetRequiredService<RunningRequests>().Count > 0))
        {
            Assert.False(run.IsCompleted, "the call ended before any request ran");
            await Task.Delay(5, limit.Token);
        }
    }

    // Until the client sends requests through the new silo's gateway (its list is refreshed every 200 ms): small calls of
    // an ungated system, many one-block requests each, until one of them was answered by the new silo.
    private static async Task UntilGateway(IClusterClient client, SiloHandle joined)
    {
        int lanes = EnsembleOptions.LaneCount(EnsembleOptions.HardwareWidth), count = 16 * lanes;
        double[] y0s = Problems.InitialStates(count, seed: 63), ps = Problems.Parameters(count, seed: 64);
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (true)
        {
            var log = new DistributedRunLog();
            await client.SolveEnsembleAsync(default(Lorenz.RhsSystem), y0s, ps, 0.0, 0.1,
                distribution: new DistributedEnsembleOptions { BlocksPerRequest = 1 }, log: log, cancellationToken: limit.Token);
            if (log.Requests.Any(r => r.Silo == joined.SiloAddress.ToString())) return;
            await Task.Delay(100, limit.Token);
        }
    }

    /// <summary>The gateways of the cluster's active silos, as a membership-based gateway list gives them.</summary>
    private sealed class ClusterGateways(TestCluster cluster) : IGatewayListProvider
    {
        public TimeSpan MaxStaleness => TimeSpan.FromMilliseconds(200);

        public bool IsUpdatable => true;

        public Task InitializeGatewayListProvider() => Task.CompletedTask;

        public Task<IList<Uri>> GetGateways() =>
            Task.FromResult<IList<Uri>>(cluster.GetActiveSilos().Select(s => s.GatewayAddress.ToGatewayUri()).ToList());
    }
}
