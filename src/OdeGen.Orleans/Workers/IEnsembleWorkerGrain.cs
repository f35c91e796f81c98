using Orleans;

namespace OdeGen.Orleans.Workers;

/// <summary>
/// A stateless worker that solves runs of lane blocks. The key only spreads requests over the cluster (it picks the
/// gateway a client's call enters by); any activation on any silo may serve any key.
/// </summary>
public interface IEnsembleWorkerGrain : IGrainWithIntegerKey
{
    /// <summary>Solves or differentiates the blocks of <paramref name="request"/>; stops between blocks when cancelled.</summary>
    Task<BlockResult> RunAsync(BlockRequest request, CancellationToken cancellationToken = default);
}
