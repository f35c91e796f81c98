using OdeGen.Latent;
using OdeGen.Models;
using OdeGen.Solvers;

namespace OdeGen.Tests.Solvers;

/// <summary>
/// An enum option set to a value its type does not define (a cast int, a value read from a file) is refused where it is set
/// or validated, with the option's name: each of these used to run as if a default had been asked for (both crossing
/// directions, double convolutions, one sample or series at a time). SolverOptions' enums: StepSizeControlTests.
/// </summary>
public class UndefinedEnumOptionTests
{
    [Fact]
    public void EventDirection_IsRejectedWhereSet()
    {
        var e = Assert.Throws<ArgumentException>(() => new OdeEvent((t, y) => y[0]) { Direction = (EventDirection)3 });
        Assert.Contains("Direction", e.Message, StringComparison.Ordinal);
        Assert.Equal(EventDirection.Falling, new OdeEvent((t, y) => y[0]) { Direction = EventDirection.Falling }.Direction);
    }

    [Fact]
    public void ConvolutionPrecision_IsRejectedWhereSet()
    {
        var e = Assert.Throws<ArgumentException>(() => new Conv2d(2, 2, 4, 4, kernel: 3, padding: 1) { Precision = (ConvolutionPrecision)2 });
        Assert.Contains("Precision", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new ResidualBlock(4, 4, 4, precision: (ConvolutionPrecision)(-1)));
    }

    [Fact]
    public void ModelLanes_IsRejectedWhereSet()
    {
        var model = new Model(new Linear(3, 2));
        var e = Assert.Throws<ArgumentException>(() => model.Lanes = (LaneWidth)9);
        Assert.Contains("Lanes", e.Message, StringComparison.Ordinal);
        Assert.Equal(LaneWidth.Auto, model.Lanes);
    }

    [Fact]
    public void LatentOdeLanes_IsRejectedByTheModel()
    {
        var e = Assert.Throws<ArgumentException>(() => new LatentOdeModel(new LatentOdeOptions { Features = 2, LatentSize = 2, Lanes = (LaneWidth)7 }));
        Assert.Equal("Lanes", e.ParamName);
    }
}
