using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace OdeGen.Orleans.Tests;

/// <summary>Registers the test's Lorenz on every silo, as a user's silo host would.</summary>
public sealed class LorenzSilo : ISiloConfigurator
{
    public void Configure(ISiloBuilder siloBuilder) =>
        siloBuilder.Services.AddOdeGenSystem<Lorenz.RhsSystem>().AddOdeGenSystem<Drain.TankSystem>().AddOdeGenSystem<CountingLorenz>().AddOdeGenSystem<HeldLorenz>()
            .AddOdeGenSystem<SlowLorenz>().AddOdeGenSystem(new SizedDecay(4))
            .AddOdeGenSystem<PrimaryLossLorenz>().AddOdeGenSystem<JoinLorenz>().AddOdeGenSystem<LorenzA>().AddOdeGenSystem<LorenzB>()
            .AddOdeGenSystem<ThrowingLorenz>();
}

/// <summary>An in-process TestingHost cluster of three silos that run Lorenz.</summary>
public sealed class ThreeSiloCluster : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public static TestCluster Build()
    {
        var builder = new TestClusterBuilder(3);
        builder.AddSiloBuilderConfigurator<LorenzSilo>();
        return builder.Build();
    }

    public async Task InitializeAsync()
    {
        Cluster = Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ThreeSiloCluster>
{
    public const string Name = "three silos";
}
