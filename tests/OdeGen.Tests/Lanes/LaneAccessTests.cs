using OdeGen.Lanes;

namespace OdeGen.Tests.Lanes;

/// <summary>
/// The offset and strided loads and stores that vectorized loops use (VectorizeLoops): lane k is element
/// start + k·stride, every other element is left alone, and a run that leaves the span throws; Indices holds k in lane k.
/// </summary>
public class LaneAccessTests
{
    [Fact]
    public void Lane1_LoadsAndStoresOneElement() => Check<Lane1>();

    [Fact]
    public void Lane128_LoadsAndStoresItsElements() => Check<Lane128>();

    [Fact]
    public void Lane256_LoadsAndStoresItsElements() => Check<Lane256>();

    [Fact]
    public void Lane512_LoadsAndStoresItsElements() => Check<Lane512>();

    private static void Check<TLane>()
        where TLane : unmanaged, ILane<TLane>
    {
        int w = TLane.Count;
        double[] values = Enumerable.Range(0, 40).Select(i => 100.0 + i).ToArray();
        foreach ((int start, int stride) in new[] { (0, 1), (3, 1), (5, 2), (1, 3), (30, -1), (39, -4) })
        {
            TLane loaded = stride == 1 ? TLane.Load(values, start) : TLane.LoadStrided(values, start, stride);
            for (int k = 0; k < w; k++)
            {
                Assert.Equal(values[start + (k * stride)], TLane.GetLane(loaded, k));
            }

            // Stores write exactly the lanes' elements.
            double[] target = new double[40];
            TLane lanes = TLane.LoadStrided(Enumerable.Range(0, w).Select(k => -1.0 - k).ToArray(), 0, 1);
            if (stride == 1)
            {
                TLane.Store(lanes, target, start);
            }
            else
            {
                TLane.StoreStrided(lanes, target, start, stride);
            }

            var expected = new double[40];
            for (int k = 0; k < w; k++)
            {
                expected[start + (k * stride)] = -1.0 - k;
            }

            Assert.Equal(expected, target);
        }

        // Indices: lane k holds k (a loop index as a number in lane k).
        for (int k = 0; k < w; k++)
        {
            Assert.Equal(k, TLane.GetLane(TLane.Indices, k));
        }

        // A run past the end (or before the start) is an exception, never a read or write out of bounds.
        Assert.ThrowsAny<Exception>(() => TLane.Load(values, 41 - w));
        Assert.ThrowsAny<Exception>(() => TLane.LoadStrided(values, 40, 2));
        if (w > 1)
        {
            Assert.ThrowsAny<Exception>(() => TLane.LoadStrided(values, 40 - w, 2));
        }

        Assert.ThrowsAny<Exception>(() => TLane.LoadStrided(values, w - 2, -1));
        Assert.ThrowsAny<Exception>(() => TLane.Store(TLane.Zero, new double[40], 41 - w));
        Assert.ThrowsAny<Exception>(() => TLane.StoreStrided(TLane.Zero, new double[40], 40, 1 + w));
    }
}
