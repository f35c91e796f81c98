using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.TestingHost;
using Xunit.Abstractions;

namespace OdeGen.Orleans.Tests;

/// <summary>
/// Two client processes (two IClusterClient hosts, each with its own connections and its own request ids) calling the
/// same silos at once, one of them cancelling: each gets its own local result, and the cancel stops only the
/// cancelling client's requests.
/// </summary>
public sealed class TwoClientTests(ITestOutputHelper output) : IAsyncLifetime
{
    // A cluster of its own over TCP: the TestingHost's in-memory transport takes only the cluster's own client, and a
    // second client host connects as a separate program would.
    private readonly TestCluster _cluster = Build();
    private IHost _second = null!;

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
        // The second client as a user's program makes it: the cluster's ids and the silos' gateways.
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o => { o.ClusterId = _cluster.Options.ClusterId; o.ServiceId = _cluster.Options.ServiceId; });
            client.UseStaticClustering(_cluster.Silos.Select(s => s.GatewayAddress.Endpoint).ToArray());
        });
        _second = builder.Build();
        await _second.StartAsync();
    }

    public async Task DisposeAsync()
    {
        ClientAProbe.Probe.Milliseconds = 0;
        ClientBProbe.Probe.Milliseconds = 0;
        await _second.StopAsync();
        _second.Dispose();
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task TwoClients_OneCancels_TheOtherGetsItsLocalResult_AndOnlyTheCancellingClientsWorkStops()
    {
        IClusterClient clientA = _cluster.Client, clientB = _second.Services.GetRequiredService<IClusterClient>();
        var options = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-6, AbsTol = 1e-8 };
        int lanes = EnsembleOptions.LaneCount(EnsembleOptions.HardwareWidth);
        // A: a job far longer than the test (every evaluation slowed), cancelled while its requests run beside B's.
        // B: a shorter job over the same silos, its own trajectories.
        int countA = 200 * lanes, countB = 12 * lanes + 3;
        double[] y0A = Problems.InitialStates(countA, seed: 51), pA = Problems.Parameters(countA, seed: 52);
        double[] y0B = Problems.InitialStates(countB, seed: 53, nonFinite: 2), pB = Problems.Parameters(countB, seed: 54);

        EnsembleSolution localB = Ode.Solve(default(LorenzB), new EnsembleBatch(y0B, pB), 0.0, 1.0, options);
        long before = ClientAProbe.Probe.Evaluations;
        Ode.Solve(default(LorenzA), new EnsembleBatch(y0A, pA), 0.0, 1.0, options);
        long jobA = ClientAProbe.Probe.Evaluations - before;
        before += jobA;

        // One block per request and two requests in flight per client: each client's requests come and go on both silos
        // while the other's run there.
        var oneBlock = new DistributedEnsembleOptions { BlocksPerRequest = 1, MaxRequestsInFlight = 2, BlockTimeout = TimeSpan.FromMinutes(1), MaxAttempts = 1 };
        var logA = new DistributedRunLog();
        var logB = new DistributedRunLog();
        ClientAProbe.Probe.Milliseconds = 1;
        ClientBProbe.Probe.Milliseconds = 1;
        using var cancelA = new CancellationTokenSource();
        var watch = Stopwatch.StartNew();
        Task<EnsembleSolution> runA = clientA.SolveEnsembleAsync(default(LorenzA), y0A, pA, 0.0, 1.0, options, distribution: oneBlock, log: logA,
            cancellationToken: cancelA.Token);
        // B starts once A's first request runs, so B's requests register on the silos after A's of the same index.
        while (ClientAProbe.Probe.Evaluations == before && !runA.IsCompleted) await Task.Delay(5);
        Task<EnsembleSolution> runB = clientB.SolveEnsembleAsync(default(LorenzB), y0B, pB, 0.0, 1.0, options, distribution: oneBlock, log: logB);

        // Cancel A once both clients have had answers (both are under way on the silos) and B has requests still to come.
        while ((logA.Requests.Count == 0 || logB.Requests.Count == 0) && !runA.IsCompleted && !runB.IsCompleted) await Task.Delay(5);
        cancelA.Cancel();
        long atCancel = ClientAProbe.Probe.Evaluations;
        int answeredB = logB.Requests.Count;
        output.WriteLine($"cancelled A after {watch.Elapsed}: A answered {logA.Requests.Count}, B {answeredB} of {(countB + lanes - 1) / lanes}");
        Assert.True(answeredB < (countB + lanes - 1) / lanes, "B had finished before A cancelled: the test proves nothing");

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runA.WaitAsync(TimeSpan.FromMinutes(2)));
        EnsembleSolution distributedB = await runB.WaitAsync(TimeSpan.FromMinutes(2));
        output.WriteLine($"B done after {watch.Elapsed}: {string.Join(", ", logB.TrajectoriesBySilo)}");

        Same.Solution(localB, distributedB);
        Assert.Equal(0, logB.Retries);
        Assert.True(logB.TrajectoriesBySilo.Count == 2, $"B's requests all went to one silo: {string.Join(", ", logB.TrajectoriesBySilo)}");

        // A's workers stop: after the pieces in progress, its count stops growing, far below its whole job.
        long settled = ClientAProbe.Probe.Evaluations;
        while (true)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            long now = ClientAProbe.Probe.Evaluations;
            Assert.True(now - atCancel < jobA / 4, $"A's work went on after its cancellation: {now - atCancel:N0} lane evaluations since, a quarter of its job is {jobA / 4:N0}");
            if (now == settled) break;
            settled = now;
        }
    }
}
