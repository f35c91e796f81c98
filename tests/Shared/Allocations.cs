namespace OdeGen.Testing;

/// <summary>
/// Bytes a piece of code allocates on the calling thread, for the "allocates nothing after its first call" tests.
/// </summary>
/// <remarks>
/// GC.GetAllocatedBytesForCurrentThread is exact for the code under test, but on a busy machine the runtime has been
/// seen to charge a one-off few kilobytes of its own work (tiering, type loading) to whichever thread is running:
/// the project's CI once counted 5,144 bytes around ten calls that allocate nothing (dotnet/runtime#13502 shows the
/// same in the runtime's own test). Code that allocates does so in every window, so the least of several windows
/// is the honest count: it is still exactly zero only when the code allocates nothing.
/// <para>What the least cannot hide is code that allocates on its first call after a GC, such as a rebuild of something
/// the runtime caches weakly (Enum.IsDefined's enum data once did it in every integrator's creation): a long window
/// during which other tests collect shows it in every window. That is the product's to fix; the Sensitivities
/// AllocationTests force a GC to check for it.</para>
/// </remarks>
public static class Allocations
{
    /// <summary>Runs <paramref name="window"/> <paramref name="windows"/> times and returns the fewest bytes one run allocated.</summary>
    /// <remarks>Warm up (first calls, JIT) before: the first window is measured like the others.</remarks>
    public static long Least(Action window, int windows = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(windows, 1);
        long least = long.MaxValue;
        for (int i = 0; i < windows; i++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            window();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return least;
    }
}
