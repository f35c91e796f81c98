// Two silos and a client on one machine, each its own process, clustered over localhost:
//   dotnet run -c Release --project samples/Cluster -- silo 0      (the primary: start it first)
//   dotnet run -c Release --project samples/Cluster -- silo 1
//   dotnet run -c Release --project samples/Cluster -- client [trajectories] [minibatch] [blocks per request]
// The client solves a Lorenz ensemble and a minibatch gradient on the cluster and locally, checks that the results are
// the same bit for bit, and prints the time of each path and the throughput of each silo.
using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OdeGen;
using OdeGen.Orleans;
using OdeGen.Samples.Cluster;
using Orleans;
using Orleans.Hosting;

const int PrimarySiloPort = 11111, FirstGatewayPort = 30000, Silos = 2;

switch (args.FirstOrDefault())
{
    case "silo" when args.Length > 1 && int.TryParse(args[1], out int index) && index >= 0 && index < Silos:
        await RunSilo(index);
        return 0;
    case "client":
        await RunClient(args.Length > 1 ? int.Parse(args[1]) : 20_000, args.Length > 2 ? int.Parse(args[2]) : 4_096,
            new DistributedEnsembleOptions { BlocksPerRequest = args.Length > 3 ? int.Parse(args[3]) : new DistributedEnsembleOptions().BlocksPerRequest });
        return 0;
    default:
        Console.Error.WriteLine("usage: Cluster silo 0 | silo 1 | client [trajectories] [minibatch] [blocks per request]");
        return 2;
}

static async Task RunSilo(int index)
{
    HostApplicationBuilder builder = Host.CreateApplicationBuilder();
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    builder.UseOrleans(silo =>
    {
        silo.UseLocalhostClustering(PrimarySiloPort + index, FirstGatewayPort + index, new IPEndPoint(IPAddress.Loopback, PrimarySiloPort));
        // What this silo can solve: the systems its workers may be sent, by type.
        silo.Services.AddOdeGenSystem<Lorenz.RhsSystem>();
    });
    using IHost host = builder.Build();
    await host.StartAsync();
    Console.WriteLine($"silo {index} up: silo port {PrimarySiloPort + index}, gateway port {FirstGatewayPort + index}. Ctrl+C stops it.");
    await host.WaitForShutdownAsync();
}

static async Task RunClient(int trajectories, int minibatch, DistributedEnsembleOptions distribution)
{
    HostApplicationBuilder builder = Host.CreateApplicationBuilder();
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    builder.UseOrleansClient(client => client.UseLocalhostClustering(Enumerable.Range(FirstGatewayPort, Silos).ToArray()));
    using IHost host = builder.Build();
    await host.StartAsync();
    IClusterClient cluster = host.Services.GetRequiredService<IClusterClient>();
    var lorenz = default(Lorenz.RhsSystem);

    // A sweep: every trajectory its own y0 and ρ, adaptive Dopri5 over t ∈ [0, 10].
    var random = new Random(1);
    double[] y0s = new double[trajectories * 3], ps = new double[trajectories * 3];
    for (int j = 0; j < trajectories; j++)
    {
        for (int q = 0; q < 3; q++) y0s[j * 3 + q] = random.NextDouble() * 20 - 10;
        ps[j * 3] = 10; ps[j * 3 + 1] = 20 + 10 * random.NextDouble(); ps[j * 3 + 2] = 8.0 / 3.0;
    }
    var solve = new SolverOptions { Method = OdeMethod.Dopri5, RelTol = 1e-8, AbsTol = 1e-10 };
    await Compare($"ensemble: {trajectories} Lorenz trajectories, Dopri5, t in [0, 10]", trajectories,
        () => Task.FromResult(Ode.Solve(lorenz, new EnsembleBatch(y0s, ps), 0, 10, solve)),
        log => cluster.SolveEnsembleAsync(lorenz, y0s, ps, 0, 10, solve, distribution: distribution, log: log),
        (a, b) => Same(a.FinalStates, b.FinalStates) && a.Statuses.SequenceEqual(b.Statuses));

    // A minibatch through one θ: dL/dθ summed over the batch (L = Σ y(1)·w with fixed random w).
    double[] batch = y0s.AsSpan(0, Math.Min(minibatch, trajectories) * 3).ToArray();
    double[] dLdy = batch.Select(_ => random.NextDouble() - 0.5).ToArray();
    double[] theta = [10, 28, 8.0 / 3.0];
    var gradient = new SolverOptions { Method = OdeMethod.Tsit5, RelTol = 1e-7, AbsTol = 1e-9 };
    await Compare($"minibatch gradient: {batch.Length / 3} samples, shared θ, Tsit5, t in [0, 1]", batch.Length / 3,
        () => Task.FromResult(Ode.Gradient(lorenz, EnsembleBatch.Shared(batch, theta), 0, [1], dLdy, Sensitivity.DiscreteAdjoint, gradient)),
        log => cluster.GradientEnsembleSharedAsync(lorenz, batch, theta, 0, 1, dLdy, gradient, distribution: distribution, log: log),
        (a, b) => Same(a.SharedParameters!, b.SharedParameters!) && Same(a.Y0, b.Y0));

    await host.StopAsync();
}

// Runs each path three times (the first warms up the JIT on both sides), prints the best time of each.
static async Task Compare<T>(string title, int trajectories, Func<Task<T>> local, Func<DistributedRunLog, Task<T>> distributed, Func<T, T, bool> same)
{
    Console.WriteLine(title);
    TimeSpan bestLocal = TimeSpan.MaxValue, bestCluster = TimeSpan.MaxValue;
    DistributedRunLog? bestLog = null;
    T? localResult = default, clusterResult = default;
    for (int run = 0; run < 3; run++)
    {
        var watch = Stopwatch.StartNew();
        localResult = await local();
        if (watch.Elapsed < bestLocal) bestLocal = watch.Elapsed;
        var log = new DistributedRunLog();
        watch.Restart();
        clusterResult = await distributed(log);
        if (watch.Elapsed < bestCluster) (bestCluster, bestLog) = (watch.Elapsed, log);
    }
    Console.WriteLine($"  local   {bestLocal.TotalMilliseconds,9:F1} ms  {trajectories / bestLocal.TotalSeconds,10:F0} trajectories/s");
    Console.WriteLine($"  cluster {bestCluster.TotalMilliseconds,9:F1} ms  {trajectories / bestCluster.TotalSeconds,10:F0} trajectories/s  ({bestCluster / bestLocal:F2} × local, {bestLog!.Requests.Count} requests, {bestLog.Retries} re-sent)");
    foreach (var silo in bestLog.Requests.GroupBy(r => r.Silo).OrderBy(g => g.Key))
    {
        int count = silo.Sum(r => r.Trajectories);
        // Requests overlap on a silo (two in flight per silo), so the silo's throughput is over the call's wall time.
        Console.WriteLine($"    silo {silo.Key}: {count} trajectories ({100.0 * count / trajectories:F0} %) in {silo.Count()} requests, {count / bestCluster.TotalSeconds:F0} trajectories/s");
    }
    Console.WriteLine($"  same as local, bit for bit: {same(localResult!, clusterResult!)}");
}

static bool Same(double[] a, double[] b) =>
    a.Length == b.Length && a.Select(BitConverter.DoubleToInt64Bits).SequenceEqual(b.Select(BitConverter.DoubleToInt64Bits));
