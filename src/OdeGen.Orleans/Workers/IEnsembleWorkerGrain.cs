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
    /// <remarks>
    /// The client times a request itself (<see cref="DistributedEnsembleOptions.BlockTimeout"/> × its blocks, at most about
    /// 49.7 days, the longest a timer waits), so Orleans' own response timeout (MessagingOptions.ResponseTimeout, 30 s by
    /// default) must not end it first: without this attribute every request longer than that failed and was re-sent until
    /// the attempts ran out, whatever BlockTimeout allowed. 50 days is longer than any timeout the client sets.
    /// </remarks>
    [ResponseTimeout("50.00:00:00")]
    Task<BlockResult> RunAsync(BlockRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Cancels the request with this <see cref="BlockRequest.RequestId"/> on the silo this call enters (the one its
    /// RunAsync entered, when sent with the same key). Interleaves with running requests, so a busy worker still hears it.
    /// </summary>
    [AlwaysInterleave]
    Task CancelAsync(Guid requestId);
}
