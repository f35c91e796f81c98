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
/// <para>At most <c>threads</c> threads work on a call, each under its own worker index in [0, threads) (the caller's is
/// 0): a helper queued by an earlier call that starts late may join, but only while an index is free. Callers that keep a
/// workspace per worker rather than per partition (<see cref="Run(int, int, Action{int, int})"/>) index them by it.</para>
/// </remarks>
internal sealed class PartitionRunner : IThreadPoolWorkItem
{
    private Action<int>? _body;
    private Action<int, int>? _workerBody;
    private int _count;
    private int _threads;
    private int _joined;   // worker indices handed out in this call (the caller has 0)
    private int _next;
    private int _open;     // 1 while a call's partitions may be claimed; written with full fences (see Run)
    private int _active;   // helpers inside Execute that may still claim partitions of an open call
    private Exception? _error;

    /// <summary>Runs every partition and returns when all have finished; rethrows the first exception.</summary>
    public void Run(int count, int threads, Action<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (count <= 0) return;
        if (Math.Min(threads, count) <= 1)
        {
            for (int j = 0; j < count; j++) body(j);
            return;
        }
        _body = body;
        RunParallel(count, threads);
    }

    /// <summary>
    /// As <see cref="Run(int, int, Action{int})"/>, calling <c>body(worker, j)</c>: no two partitions running at once share
    /// a worker index, which is below <c>min(threads, count)</c>; on one thread every partition runs as worker 0.
    /// </summary>
    public void Run(int count, int threads, Action<int, int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (count <= 0) return;
        if (Math.Min(threads, count) <= 1)
        {
            for (int j = 0; j < count; j++) body(0, j);
            return;
        }
        _workerBody = body;
        RunParallel(count, threads);
    }

    private void RunParallel(int count, int threads)
    {
        threads = Math.Min(threads, count);
        _count = count;
        _threads = threads;
        _joined = 0;
        _error = null;
        Volatile.Write(ref _next, 0);
        Interlocked.Exchange(ref _open, 1);
        for (int i = 1; i < threads; i++) ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        Work(0);
        // A full fence, not a release store: the read of _active below must not move before this write, or a helper that
        // counts itself just then could still see the call open after the caller has left it.
        Interlocked.Exchange(ref _open, 0);
        // Every partition is claimed; wait for the helpers still running theirs (a ~ms convolution pass at most).
        var spin = new SpinWait();
        while (Volatile.Read(ref _active) != 0) spin.SpinOnce(sleep1Threshold: -1);
        _body = null;
        _workerBody = null;
        Exception? error = _error;
        _error = null;
        if (error is not null) ExceptionDispatchInfo.Throw(error);
    }

    void IThreadPoolWorkItem.Execute()
    {
        Interlocked.Increment(ref _active);
        // Counted before looking, so the caller cannot finish while this helper reads a call's body.
        if (Volatile.Read(ref _open) == 1)
        {
            // A late helper of an earlier call may join too; beyond `threads` workers it leaves the partitions to the others.
            int worker = Interlocked.Increment(ref _joined);
            if (worker < _threads) Work(worker);
        }
        Interlocked.Decrement(ref _active);
    }

    private void Work(int worker)
    {
        Action<int>? body = _body;
        Action<int, int>? workerBody = _workerBody;
        int count = _count;
        for (int j = Interlocked.Increment(ref _next) - 1; j < count; j = Interlocked.Increment(ref _next) - 1)
        {
            if (Volatile.Read(ref _error) is not null) return;
            try
            {
                if (workerBody is not null) workerBody(worker, j);
                else body!(j);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _error, e, null);
                return;
            }
        }
    }
}
