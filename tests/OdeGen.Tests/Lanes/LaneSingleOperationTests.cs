using OdeGen.Lanes;

namespace OdeGen.Tests.Lanes;

/// <summary>
/// The non-transcendental members of every float lane type, each lane against the scalar float operation on that
/// lane's data: loads, stores and lanes in order, arithmetic, one rounding in FusedMultiplyAdd, the reductions
/// (Sum in double), masks with all 32 bits set, and selects.
/// </summary>
public class LaneSingleOperationTests
{
    [Fact]
    public void LaneSingle1_Operations() => Check<LaneSingle1>(1);

    [Fact]
    public void LaneSingle128_Operations() => Check<LaneSingle128>(4);

    [Fact]
    public void LaneSingle256_Operations() => Check<LaneSingle256>(8);

    [Fact]
    public void LaneSingle512_Operations() => Check<LaneSingle512>(16);

    private static void Check<T>(int count)
        where T : unmanaged, ILaneSingle<T>
    {
        Assert.Equal(count, T.Count);
        var random = new Random(count);
        float[] a = Values(random, count), b = Values(random, count), c = Values(random, count);
        b[0] = a[0];   // one equal pair, so Equal and the ≤ comparisons see a tie
        T x = T.Load(a), y = T.Load(b), z = T.Load(c);

        var stored = new float[count];
        T.Store(x, stored);
        Assert.Equal(a, stored);
        for (int l = 0; l < count; l++)
        {
            Assert.Equal(a[l], T.GetLane(x, l));
            Assert.Equal(0f, T.GetLane(T.Zero, l));
            Assert.Equal(2.5f, T.GetLane(T.Create(2.5f), l));
        }

        Lanes(T.Load(a) + y, l => a[l] + b[l]);
        Lanes(x - y, l => a[l] - b[l]);
        Lanes(x * y, l => a[l] * b[l]);
        Lanes(x / y, l => a[l] / b[l]);
        Lanes(-x, l => -a[l]);
        Lanes(T.FusedMultiplyAdd(x, y, z), l => MathF.FusedMultiplyAdd(a[l], b[l], c[l]));
        Lanes(T.Sqrt(T.Abs(x)), l => MathF.Sqrt(MathF.Abs(a[l])));
        Lanes(T.Min(x, y), l => MathF.Min(a[l], b[l]));
        Lanes(T.Max(x, y), l => MathF.Max(a[l], b[l]));
        Lanes(T.Floor(x), l => MathF.Floor(a[l]));

        // One rounding: (1 + 2⁻¹²)(1 − 2⁻¹²) − 1 = −2⁻²⁴ exactly, which the product rounded to float first loses.
        T fused = T.FusedMultiplyAdd(T.Create(1 + 1f / 4096), T.Create(1 - 1f / 4096), T.Create(-1));
        Lanes(fused, _ => -1f / (1 << 24));

        Masks(T.LessThan(x, y), l => a[l] < b[l]);
        Masks(T.LessThanOrEqual(x, y), l => a[l] <= b[l]);
        Masks(T.GreaterThan(x, y), l => a[l] > b[l]);
        Masks(T.GreaterThanOrEqual(x, y), l => a[l] >= b[l]);
        Masks(T.Equal(x, y), l => a[l] == b[l]);
        Masks(T.NotEqual(x, y), l => a[l] != b[l]);
        Masks(T.And(T.LessThan(x, y), T.LessThan(z, T.Zero)), l => a[l] < b[l] && c[l] < 0);
        Masks(T.Or(T.LessThan(x, y), T.LessThan(z, T.Zero)), l => a[l] < b[l] || c[l] < 0);
        Masks(T.AndNot(T.Equal(T.Zero, T.Zero), T.LessThan(x, y)), l => !(a[l] < b[l]));
        Lanes(T.Select(T.LessThan(x, y), z, x), l => a[l] < b[l] ? c[l] : a[l]);

        // Sum adds in double: the float sum of these lanes would lose the small ones against 1e8.
        float[] spread = Enumerable.Range(0, count).Select(l => l == 0 ? 1e8f : 1.25f).ToArray();
        Assert.Equal(1e8 + (1.25 * (count - 1)), T.Sum(T.Load(spread)));
        Assert.Equal(a.Max(), T.MaxAcross(x));
        Assert.True(T.AllFinite(x));
        foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
        {
            float[] withBad = (float[])a.Clone();
            withBad[count - 1] = bad;
            Assert.False(T.AllFinite(T.Load(withBad)));
        }

        void Lanes(T value, Func<int, float> expected)
        {
            for (int l = 0; l < count; l++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(expected(l)), BitConverter.SingleToInt32Bits(T.GetLane(value, l)));
            }
        }

        void Masks(T mask, Func<int, bool> expected)
        {
            for (int l = 0; l < count; l++)
            {
                Assert.Equal(expected(l) ? -1 : 0, BitConverter.SingleToInt32Bits(T.GetLane(mask, l)));
            }
        }
    }

    private static float[] Values(Random random, int count) =>
        Enumerable.Range(0, count).Select(_ => (float)((random.NextDouble() * 8) - 4)).ToArray();
}
