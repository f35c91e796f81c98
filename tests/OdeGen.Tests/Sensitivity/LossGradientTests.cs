using OdeGen.Tests.Generated;

namespace OdeGen.Tests.Sensitivities;

/// <summary>
/// Ode.LossGradient: the loss is computed from the method's own forward pass, and the result is exactly what
/// Ode.Gradient gives for the ∂L/∂y of those states; OdeGradient.States holds them.
/// </summary>
public sealed class LossGradientTests
{
    private static readonly double[] Times = [0.0, 0.3, 0.7, 1.0];
    private static readonly double[] Target = [1, 1, 1, 2, 3, 4, -1, 0, 20, 5, 5, 15];
    private static readonly SolverOptions Options = new() { RelTol = 1e-8, AbsTol = 1e-10 };

    public static TheoryData<string> Methods => ["Forward", "BacksolveAdjoint", "InterpolatingAdjoint(16)", "InterpolatingAdjoint(1)", "DiscreteAdjoint"];

    private static Sensitivity MethodOf(string name) => name switch
    {
        "Forward" => Sensitivity.Forward,
        "BacksolveAdjoint" => Sensitivity.BacksolveAdjoint,
        "InterpolatingAdjoint(16)" => Sensitivity.InterpolatingAdjoint(16),
        "InterpolatingAdjoint(1)" => Sensitivity.InterpolatingAdjoint(1),
        _ => Sensitivity.DiscreteAdjoint,
    };

    /// <summary>L = Σ (y − target)², ∂L/∂y = 2(y − target).</summary>
    private static double SquaredError(ReadOnlySpan<double> states, Span<double> dLdy)
    {
        double sum = 0;
        for (int i = 0; i < states.Length; i++)
        {
            double d = states[i] - Target[i];
            sum += d * d;
            dLdy[i] = 2 * d;
        }
        return sum;
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void LossFromTheForwardPass_GivesGradientsGradient_ForThoseStates(string method)
    {
        var lorenz = new Lorenz.RhsSystem();
        int calls = 0;
        OdeGradient g = Ode.LossGradient(lorenz, SensitivityTestSupport.LorenzY0, SensitivityTestSupport.LorenzP, 0.0, Times,
            (states, dLdy) =>
            {
                calls++;
                Assert.All(dLdy.ToArray(), x => Assert.Equal(0.0, x));
                return SquaredError(states, dLdy);
            },
            MethodOf(method), Options);
        Assert.True(g.IsSuccess, g.Status.ToString());
        Assert.Equal(1, calls);

        // The states are the forward solve's: y0 at times[0] = t0, and a plain solve's to the tolerance elsewhere.
        double[] plain = SensitivityTestSupport.SolveAt(lorenz, SensitivityTestSupport.LorenzY0, SensitivityTestSupport.LorenzP, 0.0, Times, Options);
        Assert.Equal(12, g.States.Length);
        Assert.Equal(SensitivityTestSupport.LorenzY0, g.States[..3]);
        for (int k = 0; k < plain.Length; k++) Assert.True(Math.Abs(g.States[k] - plain[k]) <= 1e-5 * (1 + Math.Abs(plain[k])), $"state {k}: {g.States[k]} vs {plain[k]}");

        var dLdyOfStates = new double[12];
        double loss = SquaredError(g.States, dLdyOfStates);
        Assert.Equal(loss, g.Loss);

        // Same forward pass, same ∂L/∂y: the same bits as Ode.Gradient given that ∂L/∂y.
        OdeGradient h = Ode.Gradient(lorenz, SensitivityTestSupport.LorenzY0, SensitivityTestSupport.LorenzP, 0.0, Times, dLdyOfStates, MethodOf(method), Options);
        Assert.Equal(h.Parameters, g.Parameters);
        Assert.Equal(h.Y0, g.Y0);
        Assert.Equal(h.Times, g.Times);
        Assert.Equal(h.T0, g.T0);
        Assert.Equal(h.States, g.States);
        Assert.True(double.IsNaN(h.Loss));
        Assert.Equal(h.Stats.FunctionEvaluations, g.Stats.FunctionEvaluations);
    }

    [Fact]
    public void FailedForwardPass_DoesNotCallTheLoss()
    {
        int calls = 0;
        OdeGradient g = Ode.LossGradient(new Lorenz.RhsSystem(), SensitivityTestSupport.LorenzY0, SensitivityTestSupport.LorenzP, 0.0, Times,
            (states, dLdy) => { calls++; return 0; }, Sensitivity.DiscreteAdjoint, new SolverOptions { RelTol = 1e-8, AbsTol = 1e-10, MaxSteps = 3 });
        Assert.False(g.IsSuccess);
        Assert.Equal(0, calls);
        Assert.True(double.IsNaN(g.Loss));
        Assert.All(g.States, x => Assert.True(double.IsNaN(x)));
        Assert.All(g.Parameters, x => Assert.True(double.IsNaN(x)));
        Assert.Throws<ArgumentNullException>(() => Ode.LossGradient(new Lorenz.RhsSystem(), SensitivityTestSupport.LorenzY0, SensitivityTestSupport.LorenzP, 0.0, Times, null!));
    }
    /// <summary>
    /// A loss that writes a NaN or ∞ into ∂L/∂y is bad input, as the same value in Ode.Gradient's dLdy is: the forward
    /// sensitivities and the discrete adjoint returned NaN or ∞ gradients with status Success, the other adjoints
    /// NonFiniteValue, which blames the ODE.
    /// </summary>
    [Theory]
    [MemberData(nameof(Methods))]
    public void NonFiniteLossDerivative_IsAnArgumentError(string method)
    {
        var lorenz = new Lorenz.RhsSystem();
        double[] y0 = [1, 1, 1], p = [10, 28, 8.0 / 3];
        foreach (double bad in new[] { double.NaN, double.PositiveInfinity })
        {
            var e = Assert.Throws<ArgumentException>(() => Ode.LossGradient(lorenz, y0, p, 0, [0.2, 0.5], (states, d) => { d[4] = bad; return 1.0; },
                MethodOf(method), Options));
            Assert.Equal("loss", e.ParamName);
            Assert.Contains("times[1], component 1", e.Message);
        }
    }

    [Theory]
    [InlineData("DiscreteAdjoint", false)]
    [InlineData("DiscreteAdjoint", true)]
    [InlineData("InterpolatingAdjoint(16)", false)]
    public void NonFiniteLossDerivative_OfAnEnsembleTrajectory_IsAnArgumentError(string method, bool perLane)
    {
        var lorenz = new Lorenz.RhsSystem();
        double[] y0s = [1, 1, 1, 2, 1, 1, 1, 2, 1], p = [10, 28, 8.0 / 3];
        var e = Assert.Throws<ArgumentException>(() => Ode.LossGradient(lorenz, EnsembleBatch.Shared(y0s, p), 0, [0.2, 0.5],
            (j, states, d) => { if (j == 2) d[0] = double.NaN; return 1.0; }, MethodOf(method), Options,
            new EnsembleOptions { PerLaneSteps = perLane, MaxDegreeOfParallelism = 1 }));
        Assert.Equal("loss", e.ParamName);
        Assert.Contains("times[0], component 0", e.Message);
        Assert.Contains("trajectory 2", e.Message);
    }

    /// <summary>
    /// A loss that returns NaN or ∞ (with a finite ∂L/∂y) is refused as a non-finite ∂L/∂y is: the gradient came back with
    /// status Success and that value as its loss, and an ensemble summed it into its total.
    /// </summary>
    [Theory]
    [MemberData(nameof(Methods))]
    public void NonFiniteLossValue_IsAnArgumentError(string method)
    {
        var lorenz = new Lorenz.RhsSystem();
        double[] y0 = [1, 1, 1], p = [10, 28, 8.0 / 3];
        foreach (double bad in new[] { double.NaN, double.NegativeInfinity })
        {
            var e = Assert.Throws<ArgumentException>(() => Ode.LossGradient(lorenz, y0, p, 0, [0.2, 0.5], (states, d) => { d[4] = 1.0; return bad; },
                MethodOf(method), Options));
            Assert.Equal("loss", e.ParamName);
            Assert.Contains($"returned {bad.ToString(System.Globalization.CultureInfo.InvariantCulture)}", e.Message);
        }
    }

    [Theory]
    [InlineData("DiscreteAdjoint", false)]
    [InlineData("DiscreteAdjoint", true)]
    [InlineData("InterpolatingAdjoint(16)", false)]
    public void NonFiniteLossValue_OfAnEnsembleTrajectory_IsAnArgumentError(string method, bool perLane)
    {
        var lorenz = new Lorenz.RhsSystem();
        double[] y0s = [1, 1, 1, 2, 1, 1, 1, 2, 1], p = [10, 28, 8.0 / 3];
        var e = Assert.Throws<ArgumentException>(() => Ode.LossGradient(lorenz, EnsembleBatch.Shared(y0s, p), 0, [0.2, 0.5],
            (j, states, d) => { d[0] = 1.0; return j == 2 ? double.NaN : 1.0; }, MethodOf(method), Options,
            new EnsembleOptions { PerLaneSteps = perLane, MaxDegreeOfParallelism = 1 }));
        Assert.Equal("loss", e.ParamName);
        Assert.Contains("trajectory 2 returned NaN", e.Message);
    }
}
