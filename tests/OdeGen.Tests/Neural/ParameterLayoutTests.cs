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
}
