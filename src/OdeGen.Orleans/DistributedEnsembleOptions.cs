namespace OdeGen.Orleans;

/// <summary>
/// How a distributed ensemble is cut into requests and how lost requests are retried. None of it changes the result:
/// every request is a run of whole lane blocks, and the client gathers them in block order.
/// </summary>
public sealed class DistributedEnsembleOptions
{
    /// <summary>The defaults.</summary>
    public static DistributedEnsembleOptions Default { get; } = new();

    /// <summary>Lane blocks per request (default 8): fewer means finer load balance and smaller retries, more means fewer messages.</summary>
    public int BlocksPerRequest { get; init; } = 8;

    /// <summary>
    /// Most bytes one request or its answer may carry (default 32 MiB): requests are cut to fewer blocks than
    /// <see cref="BlocksPerRequest"/> where needed (the result is the same), and a call whose single lane block would not fit
    /// (many SaveAt times) is refused with an <see cref="ArgumentException"/> before anything is sent. Orleans closes a
    /// connection that carries a message over its MessagingOptions.MaxMessageBodySize (100 MB by default), so keep this
    /// below that, with room for the serializer's overhead; raise both together for larger messages.
    /// </summary>
    public long MaxMessageBytes { get; init; } = 32L << 20;

    /// <summary>Requests sent and not yet answered; null (default) is twice the number of active silos when the call starts.</summary>
    public int? MaxRequestsInFlight { get; init; }

    /// <summary>
    /// Time allowed per block: a request of k blocks that has not answered after k × BlockTimeout is cancelled (the
    /// cancellation reaches the worker, which stops between blocks) and sent again, up to <see cref="MaxAttempts"/>;
    /// then the call fails with a <see cref="TimeoutException"/>. Default 5 minutes. A timer waits at most about 49.7 days,
    /// so a longer k × BlockTimeout (<see cref="TimeSpan.MaxValue"/> for none) waits that long.
    /// </summary>
    public TimeSpan BlockTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Attempts per request (default 5) when a silo is lost (Orleans reports it unavailable, the connection drops, or the
    /// request times out). The request is re-sent whole, so the result is the same as without the loss. Errors of the
    /// problem itself (bad options, an unregistered system) are never retried.
    /// </summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>Pause before a retry, times the attempt number (default 100 ms): lets the client learn that a gateway is gone.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    internal void Validate()
    {
        if (BlocksPerRequest < 1)
            throw new ArgumentException($"BlocksPerRequest must be at least 1, not {BlocksPerRequest}.", "distribution");
        if (MaxMessageBytes < 1)
            throw new ArgumentException($"MaxMessageBytes must be positive, not {MaxMessageBytes}.", "distribution");
        if (MaxRequestsInFlight is { } f && f < 1)
            throw new ArgumentException($"MaxRequestsInFlight must be at least 1 (or null for twice the silos), not {f}.", "distribution");
        if (!(BlockTimeout > TimeSpan.Zero))
            throw new ArgumentException($"BlockTimeout must be positive, not {BlockTimeout}.", "distribution");
        if (MaxAttempts < 1)
            throw new ArgumentException($"MaxAttempts must be at least 1, not {MaxAttempts}.", "distribution");
        if (RetryDelay < TimeSpan.Zero)
            throw new ArgumentException($"RetryDelay must not be negative, not {RetryDelay}.", "distribution");
    }
}

/// <summary>One answered request of a distributed call: where it ran and what it cost.</summary>
/// <param name="FirstBlock">Global index of its first block.</param>
/// <param name="Blocks">Its number of blocks.</param>
/// <param name="Trajectories">Its number of trajectories.</param>
/// <param name="Silo">The silo that answered.</param>
/// <param name="SiloTime">Time the silo spent solving it.</param>
/// <param name="RoundTrip">Time from sending to the answer, as the client saw it (the last attempt).</param>
/// <param name="Attempts">Attempts it took (1 when nothing was lost).</param>
public sealed record DistributedRequestRecord(int FirstBlock, int Blocks, int Trajectories, string Silo, TimeSpan SiloTime, TimeSpan RoundTrip, int Attempts);

/// <summary>What a distributed call did, request by request (pass one to a call to have it filled). Thread-safe.</summary>
public sealed class DistributedRunLog
{
    private readonly List<DistributedRequestRecord> _requests = [];
    private int _retries;

    /// <summary>The answered requests, in the order they were answered.</summary>
    public IReadOnlyList<DistributedRequestRecord> Requests
    {
        get { lock (_requests) return _requests.ToArray(); }
    }

    /// <summary>Requests sent again after a lost silo or a timeout.</summary>
    public int Retries => Volatile.Read(ref _retries);

    /// <summary>Trajectories per silo (silo → trajectories it solved).</summary>
    public IReadOnlyDictionary<string, int> TrajectoriesBySilo =>
        Requests.GroupBy(r => r.Silo).ToDictionary(g => g.Key, g => g.Sum(r => r.Trajectories));

    internal void Add(DistributedRequestRecord record)
    {
        lock (_requests) _requests.Add(record);
    }

    internal void Retried() => Interlocked.Increment(ref _retries);
}
