using System.Runtime.ExceptionServices;

namespace OdeGen.Threading;

/// <summary>
/// Runs <c>body(0) … body(count − 1)</c> on the calling thread and up to <c>threads − 1</c> thread-pool threads, allocating
/// nothing after its first call: what <c>Parallel.For</c> does for a model's partitions, without the 1.8–2.1 KB per call
/// (its options, closures, tasks and replicas) that made a two-thread training step allocate.
/// </summary>
/// <remarks>
/// <para>The runner is its own thread-pool work item, queued once per helper per call; partitions are claimed from one
/// counter, so which thread runs which partition varies, and the callers write each partition's results to its own slot
/// (the numbers do not depend on the thread count). The calling thread works too, so a call finishes even when the pool
/// has no thread to spare. A helper that starts after the call has finished finds it closed and returns.</para>
/// <para>The first exception a partition throws is rethrown on the calling thread, as itself (not wrapped); partitions
/// not yet claimed are then skipped. One call at a time per runner: it belongs to one model or flow, which are not
/// thread-safe either.</para>
/// </remarks>
internal sealed class PartitionRunner : IThreadPoolWorkItem
{
    private Action<int>? _body;
    private int _count;
    private int _next;
    private int _open;     // 1 while a call's partitions may be claimed; written with full fences (see Run)
    private int _active;   // helpers inside Execute that may still claim partitions of an open call
    private Exception? _error;

    /// <summary>Runs every partition and returns when all have finished; rethrows the first exception.</summary>
    public void Run(int count, int threads, Action<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (count <= 0) return;
        threads = Math.Min(threads, count);
        if (threads <= 1)
        {
            for (int j = 0; j < count; j++) body(j);
            return;
        }

        _body = body;
        _count = count;
        _error = null;
        Volatile.Write(ref _next, 0);
        Interlocked.Exchange(ref _open, 1);
        for (int i = 1; i < threads; i++) ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        Work();
        // A full fence, not a release store: the read of _active below must not move before this write, or a helper that
        // counts itself just then could still see the call open after the caller has left it.
        Interlocked.Exchange(ref _open, 0);
        // Every partition is claimed; wait for the helpers still running theirs (a ~ms convolution pass at most).
        var spin = new SpinWait();
        while (Volatile.Read(ref _active) != 0) spin.SpinOnce(sleep1Threshold: -1);
        _body = null;
        Exception? error = _error;
        _error = null;
        if (error is not null) ExceptionDispatchInfo.Throw(error);
    }

    void IThreadPoolWorkItem.Execute()
    {
        Interlocked.Increment(ref _active);
        // Counted before looking, so the caller cannot finish while this helper reads a call's body.
        if (Volatile.Read(ref _open) == 1) Work();
        Interlocked.Decrement(ref _active);
    }

    private void Work()
    {
        Action<int> body = _body!;
        int count = _count;
        for (int j = Interlocked.Increment(ref _next) - 1; j < count; j = Interlocked.Increment(ref _next) - 1)
        {
            if (Volatile.Read(ref _error) is not null) return;
            try
            {
                body(j);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _error, e, null);
                return;
            }
        }
    }
}
