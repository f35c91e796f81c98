using Microsoft.Extensions.Configuration;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace OdeGen.Orleans.Tests;

/// <summary>
/// A request may take as long as its <see cref="DistributedEnsembleOptions.BlockTimeout"/> allows, whatever Orleans'
/// ResponseTimeout (30 s by default) says: the worker's RunAsync carries a response timeout longer than any the client
/// sets itself. Before, every request longer than Orleans' timeout failed with Orleans' TimeoutException, was sent again,
/// failed again, and the call ended with that TimeoutException though BlockTimeout allowed minutes.
/// </summary>
public sealed class ResponseTimeoutTests : IAsyncLifetime
{
    // A cluster of its own, whose client gives up on a grain call after one second (a short ResponseTimeout stands in for
    // the default 30 s, which a request of a large ensemble passes).
    private readonly TestCluster _cluster = Build();

    private static TestCluster Build()
    {
        var builder = new TestClusterBuilder(1);
        builder.AddSiloBuilderConfigurator<LorenzSilo>();
        builder.AddClientBuilderConfigurator<OneSecondResponseTimeout>();
        return builder.Build();
    }

    public Task InitializeAsync() => _cluster.DeployAsync();

    public async Task DisposeAsync()
    {
        EvaluationDelay.Milliseconds = 0;
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task RequestLongerThanOrleansResponseTimeout_WithinBlockTimeout_Succeeds()
    {
        const int count = 16;
        double[] y0s = Problems.InitialStates(count, seed: 31), ps = Problems.Parameters(count, seed: 32);
        // 100 RK4 steps, 400 evaluations, each delayed 10 ms: a request of about 4 s, four times the client's ResponseTimeout.
        var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.01 };
        EnsembleSolution local = Ode.Solve(default(SlowLorenz), new EnsembleBatch(y0s, ps), 0.0, 1.0, options);

        var log = new DistributedRunLog();
        EvaluationDelay.Milliseconds = 10;
        try
        {
            EnsembleSolution distributed = await _cluster.Client.SolveEnsembleAsync(default(SlowLorenz), y0s, ps, 0.0, 1.0, options,
                distribution: new DistributedEnsembleOptions { BlocksPerRequest = 100, BlockTimeout = TimeSpan.FromMinutes(2), MaxAttempts = 1 }, log: log)
                .WaitAsync(TimeSpan.FromMinutes(3));
            Same.Solution(local, distributed);
        }
        finally
        {
            EvaluationDelay.Milliseconds = 0;
        }
        Assert.True(log.Requests.Single().SiloTime > TimeSpan.FromSeconds(2), $"the request took {log.Requests.Single().SiloTime}: the test proves nothing");
    }

    public sealed class OneSecondResponseTimeout : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder clientBuilder) =>
            clientBuilder.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(1));
    }
}
