using OdeGen.Flows;
using OdeGen.Tests.Generated;

namespace OdeGen.Tests.Flows;

/// <summary>CnfOptions refuses settings it cannot honour where they are set.</summary>
public class OptionsTests
{
    // An undefined trace ran as Hutchinson's and an undefined noise drew Gaussian noise, without a word; a null sensitivity
    // or solver was accepted and met only inside the first call.
    [Fact]
    public void UndefinedEnumsAndNulls_AreRefusedWhereTheyAreSet()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CnfOptions { Trace = (CnfTrace)7 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new CnfOptions { Noise = (CnfNoise)(-1) });
        Assert.Throws<ArgumentNullException>(() => new CnfOptions { Sensitivity = null! });
        Assert.Throws<ArgumentNullException>(() => new CnfOptions { Solver = null! });
        var flow = new ContinuousNormalizingFlow<CnfField.RhsSystem>(default, new CnfOptions { Trace = CnfTrace.Hutchinson, Noise = CnfNoise.Gaussian });
        Assert.Equal(CnfTrace.Hutchinson, flow.Options.Trace);
    }

    // A NaN or infinite time was accepted here and refused only when the flow used it.
    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void NonFiniteTimes_AreRefusedWhereTheyAreSet(double bad)
    {
        Assert.Equal("T0", Assert.Throws<ArgumentOutOfRangeException>(() => new CnfOptions { T0 = bad }).ParamName);
        Assert.Equal("T1", Assert.Throws<ArgumentOutOfRangeException>(() => new CnfOptions { T1 = bad }).ParamName);
        Assert.Equal(-2.0, new CnfOptions { T0 = -2 }.T0);
    }
}
