using OdeGen.Tests.Generated;
using static OdeGen.Tests.Sensitivities.SensitivityTestSupport;

namespace OdeGen.Tests.Sensitivities;

/// <summary>
/// Every result that carries a status has a message and EnsureSuccess; contradictory options, spans that overflow
/// and systems without sizes are argument errors that say what to fix, never a failed solve that blames the problem.
/// </summary>
public class StatusAndArgumentTests
{
    private static readonly HandLorenz System = new();

    // y' = y² from y(0) = 1 blows up at t = 1: every solve past it fails.
    private readonly struct BlowUp : IOdeSystem
    {
        public int StateCount => 1;
        public int ParameterCount => 1;
        public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => dydt[0] = p[0] * y[0] * y[0];
        public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot,
            ReadOnlySpan<double> pDot, Span<double> dydt, Span<double> dydtDot)
        {
            dydt[0] = p[0] * y[0] * y[0];
            dydtDot[0] = 2 * p[0] * y[0] * yDot[0] + pDot[0] * y[0] * y[0];
        }
        public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
        {
            yBar[0] += a[0] * 2 * p[0] * y[0];
            pBar[0] += a[0] * y[0] * y[0];
            return 0;
        }
        public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp)
        {
            dfdy[0] = 2 * p[0] * y[0];
            dfdp[0] = y[0] * y[0];
        }
    }

    [Fact]
    public void FailedGradient_EnsureSuccessThrowsWithAMessageThatSaysWhy()
    {
        foreach (Sensitivity method in new Sensitivity[] { Sensitivity.Forward, Sensitivity.BacksolveAdjoint, Sensitivity.InterpolatingAdjoint(), Sensitivity.DiscreteAdjoint })
        {
            OdeGradient g = Ode.Gradient(new BlowUp(), [1.0], [1.0], 0, [2.0], [1.0], method);
            Assert.False(g.IsSuccess, method.Name);
            var e = Assert.Throws<OdeSolverException>(() => g.EnsureSuccess());
            Assert.Equal(g.Status, e.Status);
            Assert.Equal(g.Message, e.Message);
            Assert.Contains(method.Name, e.Message);
            Assert.Contains("NaN", e.Message);
            Assert.Contains("because", e.Message);
        }
    }

    [Fact]
    public void FailedTangentAndSensitivities_EnsureSuccessThrows()
    {
        OdeTangent jvp = Ode.Jvp(new BlowUp(), [1.0], [1.0], 0, 2, [1.0], [0.0]);
        Assert.False(jvp.IsSuccess);
        Assert.Equal(jvp.Status, Assert.Throws<OdeSolverException>(() => jvp.EnsureSuccess()).Status);
        Assert.Contains("tangent could not be computed", jvp.Message);

        OdeSensitivities s = Ode.Sensitivities(new BlowUp(), [1.0], [1.0], 0, 2);
        Assert.False(s.IsSuccess);
        Assert.Equal(s.Status, Assert.Throws<OdeSolverException>(() => s.EnsureSuccess()).Status);
        Assert.Contains("sensitivities could not be computed", s.Message);
    }

    [Fact]
    public void SuccessfulResults_EnsureSuccessReturnsTheSameObject()
    {
        OdeGradient g = Ode.Gradient(System, LorenzY0, LorenzP, 0, [0.5], [1.0, 1, 1]);
        Assert.Same(g, g.EnsureSuccess());
        Assert.Contains("was computed", g.Message);
        OdeTangent jvp = Ode.Jvp(System, LorenzY0, LorenzP, 0, 0.5, [1.0, 0, 0], [0.0, 0, 0]);
        Assert.Same(jvp, jvp.EnsureSuccess());
        OdeSensitivities s = Ode.Sensitivities(System, LorenzY0, LorenzP, 0, 0.5);
        Assert.Same(s, s.EnsureSuccess());
    }

    [Fact]
    public void MinStepAboveMaxStep_IsAnArgumentErrorNotAStepSizeFailure()
    {
        var options = new SolverOptions { MinStep = 0.5, MaxStep = 0.1 };
        foreach (Action call in new Action[]
        {
            () => Ode.Solve(System, LorenzY0, LorenzP, 0, 1, options),
            () => Ode.Gradient(System, LorenzY0, LorenzP, 0, [1.0], [1.0, 1, 1], Sensitivity.InterpolatingAdjoint(), options),
            () => Ode.Jvp(System, LorenzY0, LorenzP, 0, 1, [1.0, 0, 0], [0.0, 0, 0], options: options),
            () => Ode.Sensitivities(System, LorenzY0, LorenzP, 0, 1, options),
            () => Ode.Solve(System, LorenzY0, LorenzP, 0, 1, new SolverOptions { Method = OdeMethod.Rodas4, MinStep = 0.5, MaxStep = 0.1 }),
        })
        {
            var e = Assert.ThrowsAny<ArgumentException>(call);
            Assert.Contains("MinStep (0.5) exceeds MaxStep (0.1)", e.Message);
        }
    }

    [Fact]
    public void FixedStepBelowMinStep_IsAnArgumentErrorNotAStepSizeFailure()
    {
        // Every fixed step but a shortened last one is below MinStep: the solve failed at its first step with
        // StepSizeTooSmall ("the solution may blow up or be singular"), an ensemble's every trajectory too.
        var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.001, MinStep = 0.01 };
        foreach (Action call in new Action[]
        {
            () => Ode.Solve(System, LorenzY0, LorenzP, 0, 1, options),
            () => Ode.Gradient(System, LorenzY0, LorenzP, 0, [1.0], [1.0, 1, 1], Sensitivity.DiscreteAdjoint, options),
            () => Ode.Jvp(System, LorenzY0, LorenzP, 0, 1, [1.0, 0, 0], [0.0, 0, 0], options: options),
            () => Ode.Solve(new Lorenz.RhsSystem(), EnsembleBatch.Shared(LorenzY0, LorenzP), 0, 1, options),
        })
        {
            var e = Assert.ThrowsAny<ArgumentException>(call);
            Assert.Contains("FixedStep (0.001) is below MinStep (0.01)", e.Message);
        }
    }

    [Fact]
    public void SpanThatOverflowsToInfinity_IsAnArgumentError()
    {
        const double Low = -1e308, High = 1e308;
        foreach (Action call in new Action[]
        {
            () => Ode.Solve(System, LorenzY0, LorenzP, Low, High),
            () => Ode.Solve(System, LorenzY0, LorenzP, High, Low),
            () => Ode.Jvp(System, LorenzY0, LorenzP, Low, High, [1.0, 0, 0], [0.0, 0, 0]),
            () => Ode.Sensitivities(System, LorenzY0, LorenzP, Low, High),
            () => Ode.Gradient(System, LorenzY0, LorenzP, Low, [High], [1.0, 1, 1]),
        })
        {
            var e = Assert.ThrowsAny<ArgumentException>(call);
            Assert.Contains("overflows", e.Message);
            Assert.Contains("finite", e.Message);
        }
    }

    [Fact]
    public void RuntimeSizedSystemWithoutItsSizes_IsRefusedWithAMessageThatNamesTheConstructor()
    {
        foreach (RuntimeSizedChain.RhsSystem unsized in new[] { default, new RuntimeSizedChain.RhsSystem() })
        {
            var e = Assert.Throws<ArgumentException>(() => Ode.Solve(unsized, [], [], 0, 1));
            Assert.Equal("system", e.ParamName);
            Assert.Contains("StateCount is 0", e.Message);
            Assert.Contains("created with its sizes", e.Message);
            Assert.Contains("created with its sizes", Assert.Throws<ArgumentException>(() => Ode.Gradient(unsized, [], [], 0, [1.0], [])).Message);
        }

        var sized = new RuntimeSizedChain.RhsSystem(3, 1);
        OdeSolution solution = Ode.Solve(sized, [1.0, 2.0, 3.0], [0.5], 0, 1, new SolverOptions { RelTol = 1e-10, AbsTol = 1e-12 }).EnsureSuccess();
        Assert.Equal(Math.Exp(-0.5) * 3.0, solution.FinalState[2], 1e-9);
    }

    [Fact]
    public void FailedEnsemble_EnsureSuccessNamesTheTrajectoryAndTheCause()
    {
        double[] y0s = [1.0, 0.1], ps = [1.0];
        EnsembleSolution e = Ode.Solve(new LaneBlowUp.RhsSystem(), EnsembleBatch.Shared(y0s, ps), 0, 2);
        var error = Assert.Throws<OdeSolverException>(() => e.EnsureSuccess());
        Assert.StartsWith("Trajectory 0 of the ensemble stopped at t = ", error.Message);
        Assert.Matches(@"\(" + error.Status + @"\): \w.{20,}\.$", error.Message);
    }
}
