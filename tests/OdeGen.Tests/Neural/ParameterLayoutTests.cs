using OdeGen.Neural;

namespace OdeGen.Tests.Neural;

/// <summary>The flat parameter vector's layout at its size limits.</summary>
public class ParameterLayoutTests
{
    // rows × columns overflowed int: an OverflowException, after the slice had been added (the layout then held a slice its
    // Count did not cover).
    [Fact]
    public void ParameterLayout_TooLarge_IsArgumentOutOfRange_AndLeavesTheLayout()
    {
        var layout = new ParameterLayout();
        layout.AddVector("b", 3);
        Assert.Throws<ArgumentOutOfRangeException>(() => layout.AddMatrix("W", 65536, 65537));
        Assert.Throws<ArgumentOutOfRangeException>(() => layout.AddMatrix("W", int.MaxValue, 1));
        Assert.Equal(3, layout.Count);
        Assert.Single(layout.Slices);
        Assert.Equal(6, layout.AddMatrix("W", 1, 3).Offset + 3);
    }

    // times.Length × stateCount wrapped around in int: the sampler took two states for three rows of 1431655766 and failed
    // only when cutting a segment.
    [Fact]
    public void SegmentSampler_StateCountWhoseProductWraps_IsAnArgumentException() =>
        Assert.Throws<ArgumentException>(() => new SegmentSampler([0.0, 1.0, 2.0], [0.5, 0.5], 1431655766, 2, 1, 0));

    // A NaN or infinite mean filled the parameters with NaN or ∞ (only the deviation was checked); Uniform(−1e308, 1e308)
    // has finite bounds but an infinite width, and drew ±∞.
    [Fact]
    public void Initializers_RefuseBoundsThatGiveNonFiniteParameters()
    {
        double[] p = new double[4];
        Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.Normal(p, new Random(1), mean: double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.Normal(p, new Random(1), mean: double.PositiveInfinity));
        Assert.Throws<ArgumentOutOfRangeException>(() => Initializers.Uniform(p, new Random(1), -1e308, 1e308));
    }
}
