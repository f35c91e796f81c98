using OdeGen.Solvers;

namespace OdeGen.Tests.Solvers;

public class IntegratorSmokeTests
{
    private readonly struct Decay : IVectorField
    {
        public int Dimension => 1;
        public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt) => dydt[0] = -y[0];
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(-1.0)]
    public void Dopri5_SolvesExponentialDecay_BothDirections(double t1)
    {
        var integrator = new RungeKuttaIntegrator<Decay>(1, new SolverOptions { RelTol = 1e-10, AbsTol = 1e-12 });
        integrator.Reset(default, [1.0], 0, t1);
        Assert.Equal(OdeStatus.Success, integrator.Run());
        Assert.Equal(Math.Exp(-t1), integrator.State[0], 1e-9);
        Assert.Equal(t1, integrator.Time);
    }

    [Fact]
    public void Dopri5_DenseOutput_MatchesExactInsideLastStep()
    {
        var integrator = new RungeKuttaIntegrator<Decay>(1, new SolverOptions { RelTol = 1e-8, AbsTol = 1e-10 });
        integrator.Reset(default, [1.0], 0, 2);
        Span<double> y = stackalloc double[1];
        while (integrator.Step())
        {
            double mid = 0.5 * (integrator.PreviousTime + integrator.Time);
            integrator.Interpolate(mid, y);
            Assert.Equal(Math.Exp(-mid), y[0], 1e-7);
        }
    }

    [Fact]
    public void RK4_FixedStep_ReachesEndExactly()
    {
        var integrator = new RungeKuttaIntegrator<Decay>(1, new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.3 });
        integrator.Reset(default, [1.0], 0, 1);
        Assert.Equal(OdeStatus.Success, integrator.Run());
        Assert.Equal(4, integrator.Stats.Steps);
        Assert.Equal(1.0, integrator.Time);
        Assert.Equal(Math.Exp(-1), integrator.State[0], 1e-4);
    }
}
