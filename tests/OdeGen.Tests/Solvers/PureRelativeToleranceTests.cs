using OdeGen.Tests.Generated;
using Xunit.Abstractions;

namespace OdeGen.Tests.Solvers;

/// <summary>
/// AbsTol = 0 (or a zero entry of AbsTolVector) is pure relative error control, which the option checks accept. A component
/// that is exactly zero (a velocity starting at rest, a state that stays zero, an adjoint's parameter part at t_N) has
/// no relative scale: it must not turn the first step or the error norm into 0/0.
/// </summary>
public class PureRelativeToleranceTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Methods() => new[] { "Dopri5", "Tsit5", "Dop853", "BogackiShampine3", "Rodas4", "Kvaerno5" }.Select(m => new object[] { m });

    [Theory]
    [MemberData(nameof(Methods))]
    public void ZeroComponents_UnderPureRelativeControl_AreSolved(string method)
    {
        OdeMethod m = OdeMethod.All.Single(x => x.Name == method);
        var relative = new SolverOptions { Method = m, RelTol = 1e-8, AbsTol = 0, MaxSteps = 20_000 };

        // x'' = −x from rest: v(0) = 0 has no scale at t0, and moves at once.
        OdeSolution oscillator = Ode.Solve(new OscillatorSystem(), [1.0, 0.0], [1.0], 0, 2, relative);
        output.WriteLine($"{method} oscillator: {oscillator.Message}");
        Assert.Equal(OdeStatus.Success, oscillator.Status);
        Assert.Equal(Math.Cos(2), oscillator.FinalState[0], 6);
        Assert.Equal(-Math.Sin(2), oscillator.FinalState[1], 6);

        // The same with the zero tolerance in a vector, on the component that starts at zero.
        OdeSolution vector = Ode.Solve(new OscillatorSystem(), [1.0, 0.0], [1.0], 0, 2,
            new SolverOptions { Method = m, RelTol = 1e-8, AbsTolVector = [1e-10, 0], MaxSteps = 20_000 });
        Assert.Equal(OdeStatus.Success, vector.Status);
        Assert.Equal(Math.Cos(2), vector.FinalState[0], 6);

        // y' = −y from 0 stays 0 exactly: its error is 0 at every step, not 0/0.
        OdeSolution zero = Ode.Solve(new DecaySystem(), [0.0], [1.0], 0, 1, relative);
        output.WriteLine($"{method} zero: {zero.Message}");
        Assert.Equal(OdeStatus.Success, zero.Status);
        Assert.Equal(0.0, zero.FinalState[0]);
    }

    [Fact]
    public void Gradients_UnderPureRelativeControl_AgreeWithAPositiveAbsoluteTolerance()
    {
        // Lorenz from (1, 0, 0): two components at zero; every adjoint's parameter part starts at zero.
        var lorenz = new Lorenz.RhsSystem();
        double[] y0 = [1, 0, 0], p = [10, 28, 8.0 / 3], times = [0.3, 0.6], dLdy = [1, 0, 0, 0, 0, 1];
        var relative = new SolverOptions { RelTol = 1e-10, AbsTol = 0, MaxSteps = 20_000 };
        var reference = new SolverOptions { RelTol = 1e-12, AbsTol = 1e-12 };
        OdeGradient expected = Ode.Gradient(lorenz, y0, p, 0, times, dLdy, Sensitivity.Forward, reference).EnsureSuccess();
        foreach (Sensitivity s in new Sensitivity[] { Sensitivity.Forward, Sensitivity.InterpolatingAdjoint(), Sensitivity.BacksolveAdjoint, Sensitivity.DiscreteAdjoint })
        {
            OdeGradient g = Ode.Gradient(lorenz, y0, p, 0, times, dLdy, s, relative);
            Assert.True(g.Status == OdeStatus.Success, $"{s.Name}: {g.Status}");
            for (int k = 0; k < p.Length; k++)
                Assert.True(Math.Abs(g.Parameters[k] - expected.Parameters[k]) <= 1e-6 * Math.Max(1, Math.Abs(expected.Parameters[k])),
                    $"{s.Name}: dL/dp[{k}] {g.Parameters[k]} vs {expected.Parameters[k]}");
        }
    }

    [Theory]
    [InlineData(LaneWidth.Lane1, false)]
    [InlineData(LaneWidth.Lane256, false)]
    [InlineData(LaneWidth.Lane1, true)]
    [InlineData(LaneWidth.Lane256, true)]
    public void Ensembles_UnderPureRelativeControl_EqualSingleSolves(LaneWidth width, bool perLane)
    {
        // Lane1 and per-lane steps take Ode.Solve's steps (bit for bit); shared steps at a wider width agree to the tolerance.
        var lorenz = new Lorenz.RhsSystem();
        double[] y0s = [1, 0, 0, 2, 0, 1, 0, 1, 0], p = [10, 28, 8.0 / 3];
        var relative = new SolverOptions { RelTol = 1e-9, AbsTol = 0, MaxSteps = 20_000 };
        EnsembleSolution e = Ode.Solve(lorenz, EnsembleBatch.Shared(y0s, p), 0, 0.5, relative, new EnsembleOptions { Width = width, PerLaneSteps = perLane });
        for (int j = 0; j < 3; j++)
        {
            OdeSolution s = Ode.Solve(lorenz, y0s.AsSpan(3 * j, 3), p, 0, 0.5, relative);
            Assert.Equal(OdeStatus.Success, s.Status);
            Assert.Equal(OdeStatus.Success, e.Statuses[j]);
            for (int q = 0; q < 3; q++)
            {
                if (width == LaneWidth.Lane1 || perLane) Assert.Equal(s.FinalState[q], e.FinalState(j)[q]);
                else Assert.Equal(s.FinalState[q], e.FinalState(j)[q], 1e-6 * Math.Max(1, Math.Abs(s.FinalState[q])));
            }
        }
    }
}
