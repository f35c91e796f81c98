namespace OdeGen.Threading;

/// <summary>
/// The guard of an object whose calls share its buffers (a model, a layer, an ensemble's destination): a second call that
/// enters while one runs throws instead of mixing both calls' numbers into results reported as successes. One interlocked
/// exchange per call; the message is the owner's, a constant, so entering allocates nothing.
/// </summary>
internal struct OneCallAtATime
{
    private int _busy;

    /// <summary>Enters a call, or throws <see cref="InvalidOperationException"/> with <paramref name="busyMessage"/> when another is inside.</summary>
    public void Enter(string busyMessage)
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0) throw new InvalidOperationException(busyMessage);
    }

    /// <summary>Leaves the call <see cref="Enter"/> began (in a finally).</summary>
    public void Exit() => Volatile.Write(ref _busy, 0);
}
