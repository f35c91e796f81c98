using Xunit.Abstractions;

namespace OdeGen.Tests.Solvers;

// Every method integrates backwards (t1 < t0): final state, SaveAt and dense output against exact solutions.
public class BackwardTests(ITestOutputHelper output)
{
    public static TheoryData<string> AllMethods()
    {
        var data = new TheoryData<string>();
        foreach (var m in OdeMethod.All) data.Add(m.Name);
        return data;
    }

    // Adaptive methods of order ≤ 2 at rtol 1e-9 would take ~10⁵ steps; they get a looser tolerance.
    private static (SolverOptions Options, double Tolerance) OptionsFor(OdeMethod m) => m.IsAdaptive
        ? m.Order <= 2
            ? (new SolverOptions { Method = m, RelTol = 1e-7, AbsTol = 1e-10, SaveAt = [3, 2.5, 1, 0], Dense = true }, 1e-4)
            : (new SolverOptions { Method = m, RelTol = 1e-9, AbsTol = 1e-12, SaveAt = [3, 2.5, 1, 0], Dense = true }, 1e-6)
        : (new SolverOptions { Method = m, FixedStep = 1e-3, SaveAt = [3, 2.5, 1, 0], Dense = true },
           m.Order switch { 1 => 1e-2, 2 => 1e-5, _ => 1e-9 });

    [Theory]
    [MemberData(nameof(AllMethods))]
    public void Oscillator_FromThreeBackToZero(string method)
    {
        var m = OdeMethod.All.Single(x => x.Name == method);
        var (options, tol) = OptionsFor(m);
        double[] y3 = new double[2];
        OscillatorSystem.Exact(1, 3, y3);
        var solution = Ode.Solve(new OscillatorSystem(), y3, [1.0], 3, 0, options).EnsureSuccess();
        Assert.Equal(0.0, solution.FinalTime);
        Assert.Equal([3, 2.5, 1, 0], solution.Times.ToArray());
        Span<double> exact = stackalloc double[2];
        double worst = 0;
        for (int i = 0; i < solution.Count; i++)
        {
            OscillatorSystem.Exact(1, solution.Times[i], exact);
            for (int q = 0; q < 2; q++) worst = Math.Max(worst, Math.Abs(solution.State(i)[q] - exact[q]));
        }
        foreach (double t in new[] { 2.9, 1.7, 0.3 })
        {
            OscillatorSystem.Exact(1, t, exact);
            var y = solution.Interpolate(t);
            for (int q = 0; q < 2; q++) worst = Math.Max(worst, Math.Abs(y[q] - exact[q]));
        }
        output.WriteLine($"{method}: largest error {worst:E2} ({solution.Stats})");
        Assert.True(worst < tol, $"{method}: error {worst} (tolerance {tol})");
    }

    [Theory]
    [MemberData(nameof(AllMethods))]
    public void NonAutonomous_FromThreeBackToZero(string method)
    {
        // Prothero–Robinson with λ = −1: y = cos t + (y(3) − cos 3)e^{−(t − 3)}; non-autonomous, so ∂f/∂t matters for Rodas4.
        var m = OdeMethod.All.Single(x => x.Name == method);
        var (options, tol) = OptionsFor(m);
        double y3 = Math.Cos(3) + 0.1;
        var solution = Ode.Solve(new ProtheroRobinsonSystem(), [y3], [-1.0], 3, 0, options).EnsureSuccess();
        double worst = 0;
        for (int i = 0; i < solution.Count; i++)
            worst = Math.Max(worst, Math.Abs(solution.State(i)[0] - ProtheroRobinsonSystem.Exact(-1, 3, y3, solution.Times[i])));
        output.WriteLine($"{method}: largest error {worst:E2}");
        Assert.True(worst < 10 * tol, $"{method}: error {worst}");   // the solution grows by e³ going backwards
    }

    [Theory]
    [InlineData("Rodas4")]
    [InlineData("Kvaerno5")]
    public void StiffMethods_StiffInTheBackwardDirection(string method)
    {
        // λ = +1e5: forwards the solution explodes, backwards it is stiff and decays onto cos t.
        const double lambda = 1e5;
        double y3 = Math.Cos(3) + 1;
        // Kvaerno5's dense output is cubic Hermite, less accurate than its fifth-order steps: bound the step so the
        // interpolated SaveAt values keep up (see docs/solvers.md).
        var options = new SolverOptions
        {
            Method = OdeMethod.Stiff.Single(m => m.Name == method), RelTol = 1e-7, AbsTol = 1e-10, SaveAt = [2.999, 2, 0],
            MaxStep = method == "Kvaerno5" ? 0.05 : double.PositiveInfinity,
        };
        var solution = Ode.Solve(new ProtheroRobinsonSystem(), [y3], [lambda], 3, 0, options).EnsureSuccess();
        for (int i = 0; i < solution.Count; i++)
        {
            double exact = ProtheroRobinsonSystem.Exact(lambda, 3, y3, solution.Times[i]);
            Assert.True(Math.Abs(solution.State(i)[0] - exact) < 1e-6, $"t = {solution.Times[i]}: {solution.State(i)[0]} vs {exact}");
        }
        output.WriteLine($"{method}: {solution.Stats}");
        // An explicit method needs |h| ≲ 3.3/λ for stability alone: some 90,000 steps.
        Assert.True(solution.Stats.Steps < 1000, $"{solution.Stats.Steps} steps");
    }
}
