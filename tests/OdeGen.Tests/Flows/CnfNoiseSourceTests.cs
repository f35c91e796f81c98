using OdeGen.Flows;
using OdeGen.Testing;

namespace OdeGen.Tests.Flows;

/// <summary>
/// The noise is drawn from a generator re-seeded in place (no Random per call): the same numbers, bit for bit, as a
/// seeded <see cref="Random"/>, which drew them before.
/// </summary>
public class CnfNoiseSourceTests
{
    public static TheoryData<int> Seeds => [0, 1, -1, 2, 5, 42, 161803398, 161803399, -161803399, 123456789, int.MaxValue, int.MinValue, int.MinValue + 1];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void SeededUniform_IsRandomsSeededSequence_ReseededInPlace(int seed)
    {
        var uniform = new CnfNoiseSource.SeededUniform();
        uniform.Seed(seed ^ 0x5a5a);   // a used state, then re-seeded: the sequence starts over
        uniform.NextDouble();
        uniform.Seed(seed);
        var random = new Random(seed);
        for (int i = 0; i < 2000; i++)
        {
            Assert.Equal(BitConverter.DoubleToInt64Bits(random.NextDouble()), BitConverter.DoubleToInt64Bits(uniform.NextDouble()));
            Assert.Equal(random.Next(2), uniform.NextBit());
        }
    }

    [Fact]
    public void SeededUniform_IsRandomsSeededSequence_OverManySeeds()
    {
        var seeds = new Random(77);
        var uniform = new CnfNoiseSource.SeededUniform();
        for (int s = 0; s < 500; s++)
        {
            int seed = seeds.Next(int.MinValue, int.MaxValue);
            uniform.Seed(seed);
            var random = new Random(seed);
            for (int i = 0; i < 200; i++)
                Assert.Equal(BitConverter.DoubleToInt64Bits(random.NextDouble()), BitConverter.DoubleToInt64Bits(uniform.NextDouble()));
        }
    }

    [Theory]
    [InlineData(CnfNoise.Rademacher)]
    [InlineData(CnfNoise.Gaussian)]
    public void Fill_DrawsWhatASeededRandomDrew_AndAllocatesNothing(CnfNoise kind)
    {
        foreach (int seed in new[] { 0, 3, -8, 99999, int.MinValue })
        foreach (int count in new[] { 1, 2, 7, 1000 })
        {
            var random = new Random(seed);
            var want = new double[count];
            if (kind == CnfNoise.Rademacher)
                for (int i = 0; i < count; i++) want[i] = random.Next(2) == 0 ? -1.0 : 1.0;
            else
                CnfFlow.DrawBase(random, want);
            Assert.Equal(want.Select(BitConverter.DoubleToInt64Bits), CnfNoiseSource.Draw(kind, seed, count).Select(BitConverter.DoubleToInt64Bits));
        }

        var values = new double[64];
        CnfNoiseSource.Fill(kind, 1, values);
        Assert.Equal(0, Allocations.Least(() => CnfNoiseSource.Fill(kind, 2, values)));
    }
}
