using OdeGen.Samples.Cnf;

namespace OdeGen.Tests.Flows;

/// <summary>
/// The copy of torchdiffeq's cnf.py field (samples/Cnf/CnfHyper.cs): its generated Divergence against central differences
/// of Evaluate, and its DivergenceVjp's θ part against central differences of Divergence.
/// </summary>
public class HyperFieldTests
{
    [Fact]
    public void Divergence_AndItsGradient_MatchCentralDifferences()
    {
        var field = new CnfHyper.RhsSystem(CnfHyper.Size);
        double[] p = CnfHyper.Initial(4), z = [0.7, -0.4], f = new double[2], zPlus = new double[2], zMinus = new double[2];
        const double t = 3.5, h = 1e-5;
        double trace = 0;
        for (int d = 0; d < 2; d++)
        {
            double[] up = (double[])z.Clone(), down = (double[])z.Clone();
            up[d] += h;
            down[d] -= h;
            field.Evaluate(t, up, p, zPlus);
            field.Evaluate(t, down, p, zMinus);
            trace += (zPlus[d] - zMinus[d]) / (2 * h);
        }
        Assert.Equal(trace, field.Divergence(t, z, p), 7);

        double[] zBar = new double[2], pBar = new double[p.Length];
        double tBar = field.DivergenceVjp(t, z, p, 1.0, zBar, pBar);
        var random = new Random(5);
        foreach (int k in Enumerable.Range(0, 12).Select(_ => random.Next(p.Length)).Append(CnfHyper.W1).Append(CnfHyper.B3 + (2 * CnfHyper.Block)))
        {
            double keep = p[k];
            p[k] = keep + h;
            double up = field.Divergence(t, z, p);
            p[k] = keep - h;
            double down = field.Divergence(t, z, p);
            p[k] = keep;
            Assert.Equal((up - down) / (2 * h), pBar[k], 7);
        }
        double dt = (field.Divergence(t + h, z, p) - field.Divergence(t - h, z, p)) / (2 * h);
        Assert.Equal(dt, tBar, 7);
    }
}
