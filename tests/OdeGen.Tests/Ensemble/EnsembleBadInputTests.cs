using OdeGen.Tests.Sensitivities;
using static OdeGen.Tests.Ensemble.EnsembleTestSupport;

namespace OdeGen.Tests.Ensemble;

/// <summary>Ensemble gradients refuse to return a number that is not one: found by probing the public API with bad input.</summary>
public class EnsembleBadInputTests
{
    private static readonly InfiniteDerivativeSystems.SqrtParameterSystem SqrtParameter = new();
    private static readonly double[] Y0s = [1.0, 0.5, 2.0, 1.5, 0.1];

    public static TheoryData<LaneWidth, bool> Paths()
    {
        var data = new TheoryData<LaneWidth, bool>();
        foreach (LaneWidth width in Widths)
        {
            data.Add(width, false);
            data.Add(width, true);
        }
        return data;
    }

    // y' = −y + √θ with θ = 0 for trajectory 1 only: its f is finite and its ∂f/∂θ is ∞. The lane discrete adjoint (shared or
    // per-lane steps) wrote that trajectory's NaN rows with status Success, and a shared θ's sum took them in.
    [Theory]
    [MemberData(nameof(Paths))]
    public void DiscreteAdjoint_NonFiniteDerivativeInOneTrajectory_FailsThatTrajectoryOnly(LaneWidth width, bool perLane)
    {
        double[] ps = [2.0, 0.0, 3.0, 5.0, 7.0];   // no y0 at its equilibrium √θ (a solve that never moves takes a few long steps)
        var ensemble = new EnsembleOptions { Width = width, PerLaneSteps = perLane };
        var options = new SolverOptions { RelTol = 1e-10, AbsTol = 1e-12 };
        EnsembleGradient g = Ode.Gradient(SqrtParameter, new EnsembleBatch(Y0s, ps), 0, [1.0], [1.0, 1, 1, 1, 1], Sensitivity.DiscreteAdjoint, options, ensemble);

        Assert.Equal(OdeStatus.NonFiniteValue, g.Statuses[1]);
        Assert.True(double.IsNaN(g.Y0[1]) && double.IsNaN(g.Parameters[1]));
        for (int j = 0; j < Y0s.Length; j++)
        {
            if (j == 1) continue;
            Assert.Equal(OdeStatus.Success, g.Statuses[j]);
            // y(1) = √θ + (y0 − √θ)e⁻¹.
            Assert.Equal(Math.Exp(-1), g.Y0[j], 1e-7);
            Assert.Equal((1 - Math.Exp(-1)) / (2 * Math.Sqrt(ps[j])), g.Parameters[j], 1e-7);
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void DiscreteAdjoint_SharedParameterWithNonFiniteDerivative_FailsEveryTrajectory(LaneWidth width, bool perLane)
    {
        var ensemble = new EnsembleOptions { Width = width, PerLaneSteps = perLane };
        EnsembleGradient g = Ode.Gradient(SqrtParameter, EnsembleBatch.Shared(Y0s, [0.0]), 0, [1.0], [1.0, 1, 1, 1, 1], Sensitivity.DiscreteAdjoint, null, ensemble);

        Assert.All(g.Statuses, s => Assert.Equal(OdeStatus.NonFiniteValue, s));
        Assert.All(g.Parameters, x => Assert.True(double.IsNaN(x)));
        Assert.False(g.Solution.AllSucceeded);
    }
}
