using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Concurrency;

namespace OdeGen.Orleans.Workers;

/// <summary>
/// The silo side: looks the request's system up among those registered with
/// <see cref="OdeSystemServiceCollectionExtensions.AddOdeGenSystem{TSystem}"/> and runs its blocks on threads of their own
/// (the grain's scheduler and the thread pool stay free for Orleans; the blocks run in parallel over this silo's cores).
/// </summary>
[StatelessWorker]
internal sealed class EnsembleWorkerGrain(IServiceProvider services) : Grain, IEnsembleWorkerGrain
{
    private readonly OdeSystemRegistry? _registry = services.GetService<OdeSystemRegistry>();
    private readonly OdeWorkerOptions _options = services.GetService<OdeWorkerOptions>() ?? new OdeWorkerOptions();
    private readonly RunningRequests _running = services.GetService<RunningRequests>() ?? new RunningRequests();

    public async Task<BlockResult> RunAsync(BlockRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        string silo = RuntimeIdentity;
        if (_registry is null || !_registry.TryGet(request.SystemName, out IOdeSystemRunner runner))
        {
            string known = _registry is null || _registry.Names.Count == 0 ? "none" : string.Join(", ", _registry.Names.Order(StringComparer.Ordinal));
            // InvalidOperationException, not an Orleans exception: the client does not retry it on another silo.
            throw new InvalidOperationException(
                $"Silo {silo} cannot solve the ODE system '{request.SystemName}': it is not registered there (registered: {known}). "
                + $"Register it on every silo with siloBuilder.Services.AddOdeGenSystem<{request.SystemName.Replace('+', '.')}>() "
                + "and make the silo reference the assembly that defines it.");
        }
        int parallelism = _options.MaxDegreeOfParallelism ?? Environment.ProcessorCount;
        // Cancelled by the call's own token or by the client's CancelAsync; OdeGen.Orleans' client sends both.
        CancellationTokenSource cancel = _running.Start(request.RequestId, cancellationToken);
        try
        {
            return await runner.RunAsync(request, parallelism, silo, cancel.Token);
        }
        finally
        {
            _running.Finish(request.RequestId, cancel);
        }
    }

    public Task CancelAsync(Guid requestId)
    {
        _running.Cancel(requestId);
        return Task.CompletedTask;
    }
}
