// Not "OdeGen.Tests.Sensitivity": a namespace segment with that name would hide the OdeGen.Sensitivity class.
namespace OdeGen.Tests.Sensitivities;

/// <summary>Systems whose f is finite where a derivative of it is not.</summary>
public static partial class InfiniteDerivativeSystems
{
    /// <summary>y' = −y + √θ: at θ = 0 f is finite and ∂f/∂θ = ∞.</summary>
    [OdeDynamics]
    public static void SqrtParameter(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        dydt[0] = -y[0] + Math.Sqrt(p[0]);
    }

    /// <summary>y0' = θ·√(y0²), y1' = −y1: at y0 = 0 f is finite and ∂f/∂y0 = 0/0 = NaN.</summary>
    [OdeDynamics]
    public static void SqrtSquare(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        dydt[0] = p[0] * Math.Sqrt(y[0] * y[0]);
        dydt[1] = -y[1];
    }
}

/// <summary>The gradients refuse to return a number that is not one: found by probing the public API with bad input.</summary>
public class SensitivityBadInputTests
{
    public static TheoryData<string, string> DiscreteCases() => new()
    {
        { "Dopri5", "every step" }, { "Tsit5", "every step" }, { "RK4", "every step" },
        { "Dopri5", "checkpoints" }, { "RK4", "checkpoints" },
    };

    // The discrete adjoint reverses the forward pass's steps with no error control of its own, so a VJP that is ∞ or NaN where
    // f is finite went straight into the gradient, which came back NaN with status Success (the other sensitivities reported
    // NonFiniteValue: their backward or forward integrator sees the derivatives).
    [Theory]
    [MemberData(nameof(DiscreteCases))]
    public void DiscreteAdjoint_NonFiniteDerivativeOfAFiniteF_IsNonFiniteValue(string method, string keep)
    {
        var options = new SolverOptions { Method = OdeMethod.BuiltIn.Single(m => m.ToString() == method), FixedStep = method == "RK4" ? 0.01 : null };
        Sensitivity sensitivity = keep == "checkpoints" ? Sensitivity.Discrete(3) : Sensitivity.DiscreteAdjoint;

        OdeGradient byParameter = Ode.Gradient(new InfiniteDerivativeSystems.SqrtParameterSystem(), [1.0], [0.0], 0, [1.0], [1.0], sensitivity, options);
        Assert.Equal(OdeStatus.NonFiniteValue, byParameter.Status);
        Assert.All(byParameter.Y0.Concat(byParameter.Parameters).Append(byParameter.T0), g => Assert.True(double.IsNaN(g)));
        Assert.Contains("derivative of f", Assert.Throws<OdeSolverException>(() => byParameter.EnsureSuccess()).Message);

        OdeGradient byState = Ode.Gradient(new InfiniteDerivativeSystems.SqrtSquareSystem(), [0.0, 1.0], [1.0], 0, [1.0], [1.0, 1.0], sensitivity, options);
        Assert.Equal(OdeStatus.NonFiniteValue, byState.Status);

        // The loss overload runs the same backward sweep; its loss is NaN with the failure.
        OdeGradient withLoss = Ode.LossGradient(new InfiniteDerivativeSystems.SqrtParameterSystem(), [1.0], [0.0], 0, [1.0],
            (states, dLdy) => { dLdy[0] = 1; return states[0]; }, sensitivity, options);
        Assert.Equal(OdeStatus.NonFiniteValue, withLoss.Status);
        Assert.True(double.IsNaN(withLoss.Loss));
    }

    [Fact]
    public void DiscreteAdjoint_FiniteDerivatives_StillSucceed()
    {
        // The same system away from θ = 0: the check must not turn a valid gradient into a failure.
        OdeGradient g = Ode.Gradient(new InfiniteDerivativeSystems.SqrtParameterSystem(), [1.0], [4.0], 0, [1.0], [1.0], Sensitivity.DiscreteAdjoint,
            new SolverOptions { RelTol = 1e-10, AbsTol = 1e-12 });
        Assert.Equal(OdeStatus.Success, g.Status);
        // y(1) = 2 + (y0 − 2)e⁻¹: dy/dy0 = e⁻¹, dy/dθ = (1 − e⁻¹)/(2√θ).
        Assert.Equal(Math.Exp(-1), g.Y0[0], 1e-8);
        Assert.Equal((1 - Math.Exp(-1)) / 4, g.Parameters[0], 1e-8);
    }

    // Settings checked in init accessors named the accessor's own parameter: "(Parameter 'value')".
    [Fact]
    public void SettingsOutOfRange_NameTheSetting()
    {
        Assert.Equal("StepsPerCheckpoint", Assert.Throws<ArgumentOutOfRangeException>(() => Sensitivity.Discrete(0)).ParamName);
        Assert.Equal("KeptBytes", Assert.Throws<ArgumentOutOfRangeException>(() => new DiscreteAdjointSensitivity { KeptBytes = -1 }).ParamName);
        Assert.Equal("RecordBudgetBytes", Assert.Throws<ArgumentOutOfRangeException>(() => new InterpolatingAdjointSensitivity { RecordBudgetBytes = -1 }).ParamName);
    }
}
