using Orleans;
using Orleans.Concurrency;

namespace OdeGen.Orleans.Workers;

/// <summary>
/// A stateless worker that solves runs of lane blocks. The key only spreads requests over the cluster (it picks the
/// gateway a client's call enters by); any activation on the silo may serve any key.
/// </summary>
public interface IEnsembleWorkerGrain : IGrainWithIntegerKey
{
    /// <summary>Solves or differentiates the blocks of <paramref name="request"/>; stops between blocks when cancelled.</summary>
    Task<BlockResult> RunAsync(BlockRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Cancels the request with this <see cref="BlockRequest.RequestId"/> on the silo this call enters (the one its
    /// RunAsync entered, when sent with the same key). Interleaves with running requests, so a busy worker still hears it.
    /// </summary>
    [AlwaysInterleave]
    Task CancelAsync(Guid requestId);
}
