using OdeGen.Lanes;
using OdeGen.Solvers;

namespace OdeGen.Tests.Solvers;

/// <summary>
/// The kernel sums a small state component by component and a large one term by term (a choice made for speed, issue #20),
/// and the scalar integrator takes its error norm from the one-lane form: each pair must give the same bits, or a solve's
/// result would depend on its size or on whether it runs in a lane block.
/// </summary>
public class KernelLoopOrderTests
{
    public static TheoryData<string, int> TableauxAndSizes()
    {
        var data = new TheoryData<string, int>();
        foreach (string name in new[] { "Dopri5", "Tsit5", "Dop853", "BogackiShampine3", "RK4", "CashKarp" })
            foreach (int n in new[] { 1, 3, 7, RungeKuttaKernel<Lane1>.SmallState })
                data.Add(name, n);
        return data;
    }

    private static ButcherTableau Tableau(string name) => name switch
    {
        "Dopri5" => Tableaux.Dopri5,
        "Tsit5" => Tableaux.Tsit5,
        "Dop853" => Tableaux.Dop853,
        "BogackiShampine3" => Tableaux.BogackiShampine3,
        "RK4" => Tableaux.RK4,
        _ => Tableaux.CashKarp,
    };

    // Stage values over many binades and both signs, with a −0, so that a change in the order of the additions shows in the bits.
    private static (Lane1[] k, Lane1[] y) Inputs(int stages, int n, int seed)
    {
        var random = new Random(seed);
        var k = new Lane1[stages * n];
        var y = new Lane1[n];
        for (int i = 0; i < k.Length; i++) k[i] = new Lane1((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-6, 7)));
        for (int q = 0; q < n; q++) y[q] = new Lane1((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-3, 4)));
        y[0] = new Lane1(-0.0);
        return (k, y);
    }

    [Theory]
    [MemberData(nameof(TableauxAndSizes))]
    public void ComponentAndTermOrders_GiveTheSameBits(string name, int n)
    {
        ButcherTableau tableau = Tableau(name);
        RungeKuttaTerms terms = tableau.Terms;
        (Lane1[] k, Lane1[] y) = Inputs(tableau.Stages, n, seed: n * 31 + tableau.Stages);
        var byComponent = new Lane1[n];
        var byTerm = new Lane1[n];
        foreach (double h in new[] { 0.1, -0.37, 3.3e-5 })
        {
            for (int i = 0; i <= tableau.Stages; i++)
            {
                // Rows 1 … s − 1 of A, then b.
                int[] index = i < tableau.Stages ? terms.AIndex[i] : terms.BIndex;
                double[] coefficient = i < tableau.Stages ? terms.ACoefficient[i] : terms.BCoefficient;
                RungeKuttaKernel<Lane1>.SumByComponent(byComponent, y, k, index, coefficient, index.Length, h);
                RungeKuttaKernel<Lane1>.SumByTerm(byTerm, y, k, index, coefficient, index.Length, h);
                for (int q = 0; q < n; q++)
                    Assert.Equal(BitConverter.DoubleToInt64Bits(byTerm[q].Value), BitConverter.DoubleToInt64Bits(byComponent[q].Value));
            }
        }
    }

    [Theory]
    [InlineData("Dopri5", ErrorNorm.Rms)]
    [InlineData("Dopri5", ErrorNorm.Max)]
    [InlineData("Tsit5", ErrorNorm.Rms)]
    [InlineData("Dop853", ErrorNorm.Rms)]
    [InlineData("Dop853", ErrorNorm.Max)]
    public void SingleErrorNorm_EqualsErrorNorms(string name, ErrorNorm norm)
    {
        ButcherTableau tableau = Tableau(name);
        var kernel = new RungeKuttaKernel<Lane1>(tableau);
        const int n = 5;
        (Lane1[] k, Lane1[] y) = Inputs(tableau.Stages, n, seed: 7);
        (_, Lane1[] yNew) = Inputs(tableau.Stages, n, seed: 8);
        double[] atol = [1e-8, 1e-6, 1e-9, 1e-7, 1e-8];
        var lanes = new double[1];
        var scratch = new double[1];
        foreach (int components in new[] { n, 2 })
        {
            kernel.ErrorNorms(0.01, k, y, yNew, n, components, atol, 1e-6, norm, lanes, scratch);
            double single = kernel.SingleErrorNorm(0.01, k, y, yNew, components, atol, 1e-6, norm);
            Assert.Equal(BitConverter.DoubleToInt64Bits(lanes[0]), BitConverter.DoubleToInt64Bits(single));
        }
    }
}
