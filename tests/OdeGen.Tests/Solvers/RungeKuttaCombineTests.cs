using OdeGen.Lanes;
using OdeGen.Solvers;

namespace OdeGen.Tests.Solvers;

/// <summary>
/// The kernel's sum y + Σ (h·a_j)·k_j must equal the published formula term by term, in increasing j, with a product that
/// underflows to 0 left out (the sum has no such term). Combine decides with one test per call whether any product can
/// underflow; these tests hold both of its paths to a plain loop.
/// </summary>
public class RungeKuttaCombineTests
{
    public static IEnumerable<object[]> StepSizes() => new[]
    {
        new object[] { 0.1 },
        new object[] { -0.37 },
        new object[] { 1e-300 },                   // every product is small but none is 0
        new object[] { double.Epsilon * 7 },       // some h·a_ij round to 0, others do not
        new object[] { -double.Epsilon * 3 },
        new object[] { double.Epsilon },
    };

    [Theory]
    [MemberData(nameof(StepSizes))]
    public void Combine_EqualsTheTermByTermSum_SkippingProductsThatUnderflow(double h)
    {
        ButcherTableau tableau = Tableaux.Dopri5;
        RungeKuttaTerms terms = tableau.Terms;
        var kernel = new RungeKuttaKernel<Lane1>(tableau);
        int s = tableau.Stages, n = 3;
        var k = new Lane1[s * n];
        var y = new Lane1[n];
        for (int i = 0; i < k.Length; i++) k[i] = new Lane1(1.5 + 0.25 * i - 0.01 * i * i);
        for (int q = 0; q < n; q++) y[q] = new Lane1(double.Epsilon * q);
        y[0] = new Lane1(-0.0);   // −0 + 0·k is +0: a product that underflowed must be left out, not added
        var actual = new Lane1[n];
        for (int i = 1; i < s; i++)
        {
            kernel.Combine(actual, y, k, terms.AIndex[i], terms.ACoefficient[i], h);
            for (int q = 0; q < n; q++)
            {
                double expected = y[q].Value;
                for (int t = 0; t < terms.AIndex[i].Length; t++)
                {
                    double w = h * terms.ACoefficient[i][t];
                    if (w != 0) expected += w * k[terms.AIndex[i][t] * n + q].Value;
                }
                Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(actual[q].Value));
            }
        }
    }

    [Fact]
    public void SmallestCoefficient_IsTheSmallestNonzeroMagnitudeOfTheTableau()
    {
        ButcherTableau tableau = Tableaux.Dopri5;
        double expected = tableau.A.Concat(tableau.B).Where(x => x != 0).Select(Math.Abs).Min();
        Assert.Equal(expected, tableau.Terms.SmallestCoefficient);
    }
}
