using OdeGen.Solvers;
using OdeGen.Tests.Solvers;
using Xunit.Abstractions;

// Not "OdeGen.Tests.Sensitivity": a namespace segment with that name would hide the OdeGen.Sensitivity class.
namespace OdeGen.Tests.Sensitivities;

public class StiffGradientTests(ITestOutputHelper output)
{
    private static readonly double[] P = [0.04, 3e7, 1e4];
    private static readonly double[] Y0 = [1.0, 0.0, 0.0];
    private static readonly double[] Times = [0.4, 4, 40, 400];
    private static readonly double[] W = [1.0, 1e4, 0.0];
    private static double[] DLdy => Enumerable.Range(0, Times.Length).SelectMany(_ => W).ToArray();

    private static double Loss(double[] y0, double[] p, SolverOptions options)
    {
        double sum = 0, t = 0;
        double[] y = y0;
        foreach (double ti in Times)
        {
            y = Ode.Solve(new RobertsonSystem(), y, p, t, ti, options).EnsureSuccess().FinalState.ToArray();
            t = ti;
            for (int k = 0; k < 3; k++) sum += W[k] * y[k];
        }
        return sum;
    }

    [Theory]
    [InlineData("Rodas4", "Forward")]
    [InlineData("Kvaerno5", "Forward")]
    [InlineData("Rodas4", "Interpolating")]
    [InlineData("Kvaerno5", "Interpolating")]
    public void Explore(string methodName, string sensitivityName)
    {
        OdeMethod method = OdeMethod.Stiff.Single(m => m.Name == methodName);
        var options = new SolverOptions { Method = method, RelTol = 1e-8, AbsTol = 1e-14, MaxSteps = 1_000_000 };
        OdeGen.Sensitivity s = sensitivityName == "Forward" ? OdeGen.Sensitivity.Forward : OdeGen.Sensitivity.InterpolatingAdjoint(4);
        OdeGradient g = Ode.Gradient(new RobertsonSystem(), Y0, P, 0, Times, DLdy, s, options);
        output.WriteLine($"{g.Status} p: {string.Join(", ", g.Parameters.ToArray().Select(v => v.ToString("R")))} y0: {string.Join(", ", g.Y0.ToArray().Select(v => v.ToString("R")))}");
        output.WriteLine($"{g.Stats.Forward} | {g.Stats.Backward}");
        var reference = new SolverOptions { Method = OdeMethod.Kvaerno5, RelTol = 1e-11, AbsTolVector = [1e-17, 1e-21, 1e-17], MaxSteps = 1_000_000 };
        foreach (double h in new[] { 1e-3, 5e-4 })
        {
            var fd = new double[3];
            for (int k = 0; k < 3; k++)
            {
                double[] plus = (double[])P.Clone(), minus = (double[])P.Clone();
                plus[k] *= Math.Exp(h);
                minus[k] *= Math.Exp(-h);
                fd[k] = (Loss(Y0, plus, reference) - Loss(Y0, minus, reference)) / (2 * h * P[k]);
            }
            output.WriteLine($"FD h={h}: {string.Join(", ", fd.Select(v => v.ToString("R")))}");
        }
    }
}
