using OdeGen.Solvers;
using Xunit.Abstractions;

namespace OdeGen.Tests.Solvers;

// Classic problems: Robertson and van der Pol (μ = 1000) against an independent tight solve (ReferenceSolver: extrapolated
// linearly implicit Euler, no code shared with the runtime), and Kepler's problem with Dop853.
public class StiffProblemTests(ITestOutputHelper output)
{
    private static readonly double[] RobertsonP = [0.04, 3e7, 1e4];

    [Theory]
    [InlineData("Rodas4")]
    [InlineData("Kvaerno5")]
    public void Robertson_ToTenToTheFifth_MatchesIndependentReference_InFewerThanAThousandSteps(string method)
    {
        // Reference: extrapolation to rtol 1e-11 (atol scaled like the solve below); it agrees with its own rtol 1e-10
        // solve to 7e-11 relative in every component.
        double[] reference = ReferenceSolver.Solve(new RobertsonSystem(), RobertsonP, [1.0, 0, 0], 0, 1e5,
            1e-11, [1e-17, 1e-21, 1e-17], out int referenceSteps);
        // y2 stays below 4e-5 (≈ 7.3e-8 at t = 1e5): with a scalar atol it would be "tiny" and only absolutely accurate,
        // so it gets its own absolute tolerance, 1e-16, and is then held to the same 1e-6 relative as y1 and y3.
        var options = new SolverOptions { Method = OdeMethod.Stiff.Single(m => m.Name == method), RelTol = 1e-6, AbsTolVector = [1e-12, 1e-16, 1e-12] };
        var solution = Ode.Solve(new RobertsonSystem(), [1.0, 0, 0], RobertsonP, 0, 1e5, options).EnsureSuccess();
        output.WriteLine($"reference ({referenceSteps} extrapolation steps): {reference[0]:R}, {reference[1]:R}, {reference[2]:R}");
        output.WriteLine($"{method}: {solution.FinalState[0]:R}, {solution.FinalState[1]:R}, {solution.FinalState[2]:R}; {solution.Stats}");
        for (int q = 0; q < 3; q++)
        {
            double rel = Math.Abs(solution.FinalState[q] - reference[q]) / Math.Abs(reference[q]);
            output.WriteLine($"  y{q + 1}: relative error {rel:E2}");
            Assert.True(rel < 1e-6, $"y{q + 1}: {solution.FinalState[q]} vs {reference[q]} (relative {rel})");
        }
        Assert.True(solution.Stats.Steps < 1000, $"{solution.Stats.Steps} steps");
        // Rosenbrock methods keep linear invariants: y1 + y2 + y3 = 1 up to rounding.
        Assert.True(Math.Abs(solution.FinalState[0] + solution.FinalState[1] + solution.FinalState[2] - 1) < 1e-12);
    }

    [Fact]
    public void Robertson_ExplicitSolverRunsOutOfSteps()
    {
        // The reason for stiff solvers: Dopri5 is held to |h| ≲ 3.3/|λ| (λ ≈ −1e4 late in the run) and exhausts its budget.
        var solution = Ode.Solve(new RobertsonSystem(), [1.0, 0, 0], RobertsonP, 0, 1e5, new SolverOptions { RelTol = 1e-6, AbsTol = 1e-10 });
        Assert.Equal(OdeStatus.MaxStepsExceeded, solution.Status);
        Assert.True(solution.FinalTime < 1e5 / 2);
    }

    [Theory]
    [InlineData("Rodas4")]
    [InlineData("Kvaerno5")]
    public void VanDerPol_Mu1000_TwoPeriods_ModestStepsAndAgreesWithReference(string method)
    {
        // For large μ the period is T ≈ (3 − 2 ln 2)μ + 3a·μ^(−1/3), a ≈ 2.338 the first zero of −Ai (the relaxation-
        // oscillation asymptotics): T ≈ 1614.4 for μ = 1000. Solve over [0, 2T] = [0, 3228.8] from (2, 0), a point on the
        // slow branch, and compare at points on the slow branches (where timing errors do not amplify) and at 2T.
        const double mu = 1000;
        double period = mu * (3 - 2 * Math.Log(2)) + 3 * 2.338107 * Math.Pow(mu, -1.0 / 3);
        double t1 = 2 * period;
        double[] times = [400, 1200, 2000, 2800, t1];
        var crossing = new OdeEvent((t, y) => y[0]) { Name = "x = 0" };
        var options = new SolverOptions { Method = OdeMethod.Stiff.Single(m => m.Name == method), RelTol = 1e-7, AbsTol = 1e-7, SaveAt = times, Events = [crossing] };
        var solution = Ode.Solve(new VanDerPolSystem(), [2.0, 0.0], [mu], 0, t1, options).EnsureSuccess();
        output.WriteLine($"T ≈ {period:F4}; {method} {solution.Stats}");

        double[] y = [2.0, 0.0];
        double previous = 0;
        for (int i = 0; i < times.Length; i++)
        {
            y = ReferenceSolver.Solve(new VanDerPolSystem(), [mu], y, previous, times[i], 1e-11, [1e-11, 1e-11], out _);
            previous = times[i];
            double relX = Math.Abs(solution.State(i)[0] - y[0]) / Math.Abs(y[0]);
            double relV = Math.Abs(solution.State(i)[1] - y[1]) / Math.Abs(y[1]);
            output.WriteLine($"  t = {times[i]:F1}: x {solution.State(i)[0]:R} vs {y[0]:R} (rel {relX:E1}), v rel {relV:E1}");
            Assert.True(relX < 5e-6, $"x at t = {times[i]}: relative {relX}");
            Assert.True(relV < 5e-5, $"v at t = {times[i]}: relative {relV}");   // v ≈ ±9e-4 on the slow branch
        }
        Assert.True(solution.Stats.Steps < 4000, $"{solution.Stats.Steps} steps");

        // Four jumps through x = 0, half a period apart.
        Assert.Equal(4, solution.Events.Count);
        for (int k = 1; k < 4; k++)
        {
            double half = solution.Events[k].Time - solution.Events[k - 1].Time;
            Assert.True(Math.Abs(2 * half - period) < 0.1, $"half period {half}");
        }
        output.WriteLine($"  x = 0 at {string.Join(", ", solution.Events.Select(e => e.Time.ToString("F4")))}");
    }

    [Fact]
    public void VanDerPol_Mu1000_ExplicitSolverRunsOutOfSteps()
    {
        var solution = Ode.Solve(new VanDerPolSystem(), [2.0, 0.0], [1000.0], 0, 3228.8, new SolverOptions { RelTol = 1e-7, AbsTol = 1e-7 });
        Assert.Equal(OdeStatus.MaxStepsExceeded, solution.Status);
    }

    /// <summary>Kepler: r'' = −r/|r|³ as (x, y, vx, vy).</summary>
    private readonly struct KeplerField : IVectorField
    {
        public int Dimension => 4;
        public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt)
        {
            double r = Math.Sqrt(y[0] * y[0] + y[1] * y[1]), r3 = r * r * r;
            dydt[0] = y[2];
            dydt[1] = y[3];
            dydt[2] = -y[0] / r3;
            dydt[3] = -y[1] / r3;
        }
    }

    private static double Energy(ReadOnlySpan<double> y) => 0.5 * (y[2] * y[2] + y[3] * y[3]) - 1 / Math.Sqrt(y[0] * y[0] + y[1] * y[1]);

    [Fact]
    public void Kepler_HundredOrbits_Dop853_EnergyDriftBelow1e8()
    {
        // Eccentricity 0.5 from perihelion (a = 1, period 2π). rtol = 1e-11, atol = 1e-13 is what keeps the relative
        // energy drift below 1e-8 over 100 orbits (rtol 1e-10 gives about 2e-8).
        const double e = 0.5;
        double[] y0 = [1 - e, 0, 0, Math.Sqrt((1 + e) / (1 - e))];
        var options = new SolverOptions { Method = OdeMethod.Dop853, RelTol = 1e-11, AbsTol = 1e-13, SaveAt = [20 * Math.PI, 100 * Math.PI, 200 * Math.PI] };
        var solution = Ode.Solve(new KeplerField(), y0, 0, 200 * Math.PI, options).EnsureSuccess();
        double e0 = Energy(y0);
        double worst = 0;
        for (int i = 0; i < solution.Count; i++) worst = Math.Max(worst, Math.Abs((Energy(solution.State(i)) - e0) / e0));
        output.WriteLine($"relative energy drift {worst:E2}; after 100 orbits Δx = {solution.FinalState[0] - y0[0]:E1}, y = {solution.FinalState[1]:E1}; {solution.Stats}");
        Assert.True(worst < 1e-8, $"drift {worst}");
        // After 100 whole orbits the body is back at perihelion, up to the phase lag the energy error implies
        // (δT/T = 1.5·δE/E ≈ 2e-9 a period: ~6e-7 in phase after 100 orbits, ×|v| ≈ 1.7 along the track).
        Assert.True(Math.Abs(solution.FinalState[0] - y0[0]) < 1e-8, $"x {solution.FinalState[0]}");
        Assert.True(Math.Abs(solution.FinalState[1]) < 1e-5, $"y {solution.FinalState[1]}");
    }
}
