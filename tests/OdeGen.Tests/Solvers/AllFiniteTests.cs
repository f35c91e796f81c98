using OdeGen.Solvers;

namespace OdeGen.Tests.Solvers;

/// <summary>
/// Every attempt checks its stages and candidate with <c>StepControl.AllFinite</c>, which sums x − x four at a time where the
/// hardware has vectors and one by one in the rest: a NaN or an infinity anywhere, in either part, must be found.
/// </summary>
public class AllFiniteTests
{
    [Fact]
    public void FindsEveryNonFiniteValue_AtEveryPositionAndLength()
    {
        foreach (double bad in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity })
        {
            for (int length = 1; length <= 13; length++)
            {
                for (int at = 0; at < length; at++)
                {
                    var values = new double[length];
                    for (int i = 0; i < length; i++) values[i] = (i % 2 == 0 ? 1 : -1) * Math.Pow(10, 300 - 50 * (i % 13));
                    values[at] = bad;
                    Assert.False(StepControl.AllFinite(values), $"{bad} at {at} of {length}");
                }
            }
        }
    }

    [Fact]
    public void AcceptsFiniteValues_IncludingTheLargestAndSubnormals()
    {
        for (int length = 0; length <= 13; length++)
        {
            var values = new double[length];
            for (int i = 0; i < length; i++)
                values[i] = (i % 3) switch { 0 => double.MaxValue, 1 => -double.Epsilon, _ => -0.0 };
            Assert.True(StepControl.AllFinite(values));
        }
    }
}
