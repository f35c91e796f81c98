namespace OdeGen.Tests.Sensitivities;

// One way to configure every sensitivity: a static member with the defaults and a factory whose optional arguments are
// the settings; the factory with no arguments is the member, and each setting lands where the solver reads it.
public class SensitivityFactoryTests
{
    [Fact]
    public void FactoriesWithoutArguments_AreTheDefaults()
    {
        Assert.Same(Sensitivity.Forward, Sensitivity.ForwardWith());
        Assert.Same(Sensitivity.BacksolveAdjoint, Sensitivity.Backsolve());
        Assert.Same(Sensitivity.DiscreteAdjoint, Sensitivity.Discrete());
        Assert.Same(Sensitivity.InterpolatingAdjoint(), Sensitivity.InterpolatingAdjoint(InterpolatingAdjointSensitivity.DefaultCheckpoints));
    }

    [Fact]
    public void FactoryArguments_AreTheSettings()
    {
        InterpolatingAdjointSensitivity ia = Sensitivity.InterpolatingAdjoint(checkpoints: 4, relTol: 1e-9, absTol: 1e-11, seminorm: true, interpolateObservations: true);
        Assert.Equal(4, ia.Checkpoints);
        Assert.Equal(1e-9, ia.RelTol);
        Assert.Equal(1e-11, ia.AbsTol);
        Assert.True(ia.Seminorm && ia.InterpolateObservations);
        Assert.False(Sensitivity.ForwardWith(sensitivitiesInErrorControl: false).SensitivitiesInErrorControl);
        Assert.Equal(8, Sensitivity.Discrete(stepsPerCheckpoint: 8).StepsPerCheckpoint);
        Assert.Throws<ArgumentOutOfRangeException>(() => Sensitivity.InterpolatingAdjoint(checkpoints: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sensitivity.InterpolatingAdjoint(relTol: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sensitivity.Discrete(0));
    }

    [Fact]
    public void FactorySettings_ComputeWhatTheInitializerSettingsCompute()
    {
        var lorenz = new HandLorenz();
        double[] y0 = [1.0, 1.0, 1.0], p = [10.0, 28.0, 8.0 / 3.0], times = [0.3, 0.6], dLdy = [1.0, 0.5, -0.25, 0.5, 1.0, 0.75];
        var options = new SolverOptions { RelTol = 1e-8, AbsTol = 1e-10 };
        OdeGradient a = Ode.Gradient(lorenz, y0, p, 0, times, dLdy, Sensitivity.InterpolatingAdjoint(checkpoints: 3, relTol: 1e-9, seminorm: true), options);
        OdeGradient b = Ode.Gradient(lorenz, y0, p, 0, times, dLdy, new InterpolatingAdjointSensitivity(3) { RelTol = 1e-9, Seminorm = true }, options);
        Assert.Equal(b.Parameters, a.Parameters);
        Assert.Equal(b.Y0, a.Y0);
        Assert.Equal(a.Sensitivity.Name, b.Sensitivity.Name);
    }
}
