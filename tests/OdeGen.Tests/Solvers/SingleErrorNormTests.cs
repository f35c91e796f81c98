using OdeGen.Lanes;
using OdeGen.Solvers;

namespace OdeGen.Tests.Solvers;

/// <summary>
/// The scalar integrator takes its error norm from the kernel's one-lane form (returned rather than stored, issue #20), the lane
/// blocks from the per-lane form: the two must give the same bits, or a scalar solve and one lane of an ensemble would part.
/// </summary>
public class SingleErrorNormTests
{
    private static ButcherTableau Tableau(string name) => name switch
    {
        "Dopri5" => Tableaux.Dopri5,
        "Tsit5" => Tableaux.Tsit5,
        "Dop853" => Tableaux.Dop853,
        "BogackiShampine3" => Tableaux.BogackiShampine3,
        "RK4" => Tableaux.RK4,
        _ => Tableaux.CashKarp,
    };

    // Values over many binades and both signs, with a −0, so that a change in the order of the operations shows in the bits.
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
            Assert.Equal(BitConverter.DoubleToInt64Bits(Reference(tableau, 0.01, k, y, yNew, n, components, atol, 1e-6, norm)), BitConverter.DoubleToInt64Bits(single));
        }
    }

    // The published formula, written out: h Σ_i e_i k_i over every stage in order, scaled by atol + rtol·max(|y|, |y_new|),
    // RMS or max over the components; DOP853 combines its two estimates as Hairer's code does.
    private static double Reference(ButcherTableau tableau, double h, Lane1[] k, Lane1[] y, Lane1[] yNew, int n, int components,
        double[] atol, double rtol, ErrorNorm norm)
    {
        double Norm(double[] e)
        {
            double acc = 0;
            for (int q = 0; q < components; q++)
            {
                double err = 0;
                for (int i = 0; i < tableau.Stages; i++) err += e[i] * k[i * n + q].Value;
                double scale = atol[q] + rtol * Math.Max(Math.Abs(y[q].Value), Math.Abs(yNew[q].Value));
                double se = h * err / scale;
                acc = norm == ErrorNorm.Max ? Math.Max(acc, Math.Abs(se)) : acc + se * se;
            }
            return norm == ErrorNorm.Max ? acc : Math.Sqrt(acc / components);
        }
        double e1 = Norm(tableau.ErrorWeights!);
        if (tableau.SecondErrorWeights is not { } second) return e1;
        double e2 = Norm(second), denominator = Math.Sqrt(e1 * e1 + 0.01 * e2 * e2);
        return denominator > 0 ? e1 * e1 / denominator : 0;
    }
}
