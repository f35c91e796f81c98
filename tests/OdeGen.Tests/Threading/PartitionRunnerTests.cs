using OdeGen.Testing;
using OdeGen.Threading;

namespace OdeGen.Tests.Threading;

public class PartitionRunnerTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 2)]
    [InlineData(7, 3)]
    [InlineData(3, 8)]
    [InlineData(64, 4)]
    public void EveryPartitionRunsOnce_PerCall(int count, int threads)
    {
        var runner = new PartitionRunner();
        var runs = new int[count];
        for (int call = 1; call <= 300; call++)
        {
            runner.Run(count, threads, j => Interlocked.Increment(ref runs[j]));
            // Run returns only after every partition has finished, so each count is exactly the number of calls so far.
            Assert.All(runs, r => Assert.Equal(call, r));
        }
    }

    [Fact]
    public void UsesMoreThanTheCallingThread_WhenGivenThreads()
    {
        var runner = new PartitionRunner();
        int caller = Environment.CurrentManagedThreadId, others = 0;
        // The caller's partition waits until a pool thread has taken another: Run queues its helper before the caller
        // starts, so the other partitions are left for it. Timing the calls instead (ten seconds of them) failed on a busy
        // CI machine, where the caller finished every partition before the pool ran the helper, call after call. The
        // wait is bounded so that a runner that never uses the pool fails rather than hangs.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        runner.Run(4, 2, _ =>
        {
            if (Environment.CurrentManagedThreadId != caller)
            {
                Interlocked.Increment(ref others);
                return;
            }
            while (Volatile.Read(ref others) == 0 && clock.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(1);
        });

        Assert.True(others > 0, "no partition ran on a pool thread in sixty seconds");
    }

    [Fact]
    public void RethrowsTheFirstException_AsItself_AndWorksAfterwards()
    {
        var runner = new PartitionRunner();
        var e = Assert.Throws<InvalidOperationException>(() => runner.Run(16, 3, j =>
        {
            if (j == 5) throw new InvalidOperationException("partition 5");
        }));
        Assert.Equal("partition 5", e.Message);

        var runs = new int[16];
        runner.Run(16, 3, j => Interlocked.Increment(ref runs[j]));
        Assert.All(runs, r => Assert.Equal(1, r));
    }

    [Fact]
    public void AllocatesNothing_AfterTheFirstCall()
    {
        var runner = new PartitionRunner();
        var sums = new double[8];
        Action<int> body = j => sums[j] = SumOfRoots(j);
        AssertAllocatesNothingAfterTheFirst(() => runner.Run(sums.Length, 2, body));
    }

    // Some work per partition, so that the pool's threads take part.
    private static double SumOfRoots(int j)
    {
        double s = 0;
        for (int i = 0; i < 20_000; i++) s += Math.Sqrt(i + j);
        return s;
    }

    private static void AssertAllocatesNothingAfterTheFirst(Action call)
    {
        call();
        call();
        Assert.Equal(0, Allocations.Least(() =>
        {
            for (int c = 0; c < 20; c++) call();
        }));
    }

    [Theory]
    [InlineData(7, 2)]
    [InlineData(16, 3)]
    [InlineData(3, 8)]
    public void WorkerIndices_AreBelowTheThreads_AndNeverShared(int count, int threads)
    {
        var runner = new PartitionRunner();
        int workers = Math.Min(threads, count);
        var busy = new int[workers];
        var runs = new int[count];
        int clashes = 0, outside = 0;
        for (int call = 1; call <= 300; call++)
        {
            runner.Run(count, threads, (worker, j) =>
            {
                if ((uint)worker >= (uint)workers)
                {
                    Interlocked.Increment(ref outside);
                    return;
                }
                // Held for a moment, so that a second partition under the same index at the same time would be seen.
                if (Interlocked.Exchange(ref busy[worker], 1) != 0) Interlocked.Increment(ref clashes);
                Thread.SpinWait(200);
                Volatile.Write(ref busy[worker], 0);
                Interlocked.Increment(ref runs[j]);
            });
            Assert.All(runs, r => Assert.Equal(call, r));
        }

        Assert.Equal(0, outside);
        Assert.Equal(0, clashes);
    }

    [Fact]
    public void WorkerOverload_RethrowsAsItself_AndAllocatesNothing_AfterTheFirstCall()
    {
        var runner = new PartitionRunner();
        Assert.Throws<ArgumentException>(() => runner.Run(9, 2, (_, j) =>
        {
            if (j == 4) throw new ArgumentException("partition 4");
        }));

        var sums = new double[8];
        Action<int, int> body = (_, j) => sums[j] = SumOfRoots(j);
        AssertAllocatesNothingAfterTheFirst(() => runner.Run(sums.Length, 2, body));
    }
}
