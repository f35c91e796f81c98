using System.Collections.Concurrent;

namespace OdeGen.Orleans.Workers;

/// <summary>
/// The requests this silo is solving, by id, so that a cancel call reaches the one running it: a stateless worker has
/// several activations per silo, and a call with the same key enters the same silo but not always the same activation.
/// A cancel that arrives before its request (messages may pass each other) is remembered for a while.
/// </summary>
internal sealed class RunningRequests
{
    private static readonly TimeSpan Remember = TimeSpan.FromMinutes(10);
    private readonly ConcurrentDictionary<Guid, CancellationTokenSource> _running = new();
    private readonly ConcurrentDictionary<Guid, DateTime> _cancelledEarly = new();

    /// <summary>Requests in progress on this silo now.</summary>
    public int Count => _running.Count;

    /// <summary>Registers a request; its token is cancelled by <see cref="Cancel"/> or by <paramref name="callToken"/>.</summary>
    public CancellationTokenSource Start(Guid id, CancellationToken callToken)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(callToken);
        _running[id] = source;
        if (_cancelledEarly.TryRemove(id, out _)) source.Cancel();
        return source;
    }

    public void Finish(Guid id, CancellationTokenSource source)
    {
        _running.TryRemove(new KeyValuePair<Guid, CancellationTokenSource>(id, source));
        source.Dispose();
    }

    public void Cancel(Guid id)
    {
        if (_running.TryGetValue(id, out CancellationTokenSource? source))
        {
            try { source.Cancel(); }
            catch (ObjectDisposedException) { }   // it finished meanwhile
            return;
        }
        DateTime now = DateTime.UtcNow;
        _cancelledEarly[id] = now;
        foreach (var (old, at) in _cancelledEarly)
            if (now - at > Remember) _cancelledEarly.TryRemove(old, out _);
    }
}
