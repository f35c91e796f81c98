namespace OdeGen.Tests.Threading;

/// <summary>
/// Tests that count every thread's allocations (<c>GC.GetTotalAllocatedBytes(precise: true)</c>): what a pool thread
/// allocates for a call is not on the caller's count. They run in this collection, after the parallel ones and alone,
/// so that no other test's allocations are counted with theirs.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WholeProcessAllocations
{
    public const string Name = "Whole-process allocations";

    /// <summary>
    /// Runs <paramref name="window"/> <paramref name="windows"/> times and returns the fewest bytes the whole process
    /// allocated during one run (the runtime's own occasional work on some thread is in one window, not in all).
    /// </summary>
    public static long Least(Action window, int windows = 5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(windows, 1);
        long least = long.MaxValue;
        for (int i = 0; i < windows; i++)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            window();
            least = Math.Min(least, GC.GetTotalAllocatedBytes(precise: true) - before);
        }

        return least;
    }
}
