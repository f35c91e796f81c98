using OdeGen.Solvers;
using Xunit.Abstractions;

namespace OdeGen.Tests.Solvers;

// A step allocates nothing after warm-up. Allocations.Least counts this thread's managed allocations (the least of
// three windows, see its remarks), so the per-step checks are equalities, not thresholds.
public class AllocationTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("Dopri5")]
    [InlineData("RK4")]
    [InlineData("Tsit5")]
    [InlineData("Dop853")]      // its dense output evaluates three extra stages, into preallocated rows
    [InlineData("Fehlberg45")]  // not FSAL: f at the new point goes through the trial buffer
    public void IntegratorStep_AllocatesNothing(string method)
    {
        var m = OdeMethod.BuiltIn.Single(x => x.Name == method);
        var options = m.IsAdaptive
            ? new SolverOptions { Method = m, RelTol = 1e-8, AbsTol = 1e-10, MaxSteps = int.MaxValue }
            : new SolverOptions { Method = m, FixedStep = 1e-3, MaxSteps = int.MaxValue };
        var integrator = new RungeKuttaIntegrator<SystemField<HandLorenz>>(3, options);
        var field = new SystemField<HandLorenz>(new HandLorenz(), [10, 28, 8.0 / 3]);
        double[] y0 = [1, 1, 1];
        integrator.Reset(field, y0, 0, 1e6);
        for (int i = 0; i < 2000; i++) Assert.True(integrator.Step());   // warm-up: JIT tiers

        double[] y = new double[3];
        long allocated = Allocations.Least(() =>
        {
            for (int i = 0; i < 20_000; i++)
            {
                integrator.Step();
                integrator.Interpolate(0.5 * (integrator.PreviousTime + integrator.Time), y);
            }
            integrator.Reset(field, y0, 0, 1e6);
            integrator.Step();
        });
        output.WriteLine($"{method}: least {allocated} bytes over 20,001 steps, {integrator.Stats}");
        Assert.Equal(0, allocated);
        Assert.Equal(OdeStatus.Success, integrator.Status);
    }

    [Theory]
    [InlineData("Rodas4")]
    [InlineData("Kvaerno5")]
    public void StiffStep_AllocatesNothing(string method)
    {
        // Van der Pol (μ = 10) exercises the Jacobian, ∂f/∂t through Jvp (SystemField scratch), the LU, rejections
        // and dense output. The Jacobian scratch is allocated by the first steps (warm-up).
        var options = new SolverOptions { Method = OdeMethod.Stiff.Single(m => m.Name == method), RelTol = 1e-6, AbsTol = 1e-9, MaxSteps = int.MaxValue };
        IOdeIntegrator integrator = method == "Rodas4"
            ? new RosenbrockIntegrator<SystemField<VanDerPolSystem>>(2, options)
            : new EsdirkIntegrator<SystemField<VanDerPolSystem>>(2, options);
        var field = new SystemField<VanDerPolSystem>(new VanDerPolSystem(), [10]);
        double[] y0 = [2, 0];
        void Reset()
        {
            if (integrator is RosenbrockIntegrator<SystemField<VanDerPolSystem>> r) r.Reset(field, y0, 0, 1e7);
            else ((EsdirkIntegrator<SystemField<VanDerPolSystem>>)integrator).Reset(field, y0, 0, 1e7);
        }
        Reset();
        for (int i = 0; i < 2000; i++) Assert.True(integrator.Step());

        double[] y = new double[2], coefficients = new double[8];
        long allocated = Allocations.Least(() =>
        {
            for (int i = 0; i < 20_000; i++)
            {
                integrator.Step();
                integrator.Interpolate(0.5 * (integrator.PreviousTime + integrator.Time), y);
                integrator.CopyDenseCoefficients(coefficients);
            }
            Reset();
            integrator.Step();
        });
        output.WriteLine($"{method}: least {allocated} bytes over 20,001 steps, {integrator.Stats}");
        Assert.Equal(0, allocated);
        Assert.Equal(OdeStatus.Success, integrator.Status);
        Assert.True(integrator.Stats.RejectedSteps > 0);   // the rejection path ran too
    }

    [Theory]
    [InlineData("Dopri5")]
    [InlineData("RK4")]
    [InlineData("Rodas4")]
    [InlineData("Kvaerno5")]
    public void Solve_AllocationDoesNotGrowWithSteps(string method)
    {
        SolverOptions Options(double t1) => method == "RK4"
            ? new SolverOptions { Method = OdeMethod.RK4, FixedStep = t1 / 1000, MaxSteps = 1_000_000 }
            : new SolverOptions { Method = OdeMethod.All.Single(m => m.Name == method), RelTol = 1e-7, AbsTol = 1e-9, MaxSteps = 1_000_000 };
        double[] p = [10, 28, 8.0 / 3];
        double[] y0 = [1, 1, 1];
        var shortOptions = Options(1);
        var longOptions = method == "RK4" ? new SolverOptions { Method = OdeMethod.RK4, FixedStep = 1e-3, MaxSteps = 1_000_000 } : Options(0);
        double shortEnd = method == "RK4" ? 1 : 2, longEnd = method == "RK4" ? 100 : 250;

        Ode.Solve(new HandLorenz(), y0, p, 0, shortEnd, shortOptions);   // warm-up
        Ode.Solve(new HandLorenz(), y0, p, 0, longEnd, longOptions);

        OdeSolution few = null!, many = null!;
        long fewBytes = Allocations.Least(() => few = Ode.Solve(new HandLorenz(), y0, p, 0, shortEnd, shortOptions));
        long manyBytes = Allocations.Least(() => many = Ode.Solve(new HandLorenz(), y0, p, 0, longEnd, longOptions));

        output.WriteLine($"{method}: {few.Stats.Steps} steps → {fewBytes} bytes; {many.Stats.Steps} steps → {manyBytes} bytes");
        Assert.Equal(OdeStatus.Success, few.Status);
        Assert.Equal(OdeStatus.Success, many.Status);
        Assert.True(many.Stats.Steps >= 50 * few.Stats.Steps, $"{few.Stats.Steps} vs {many.Stats.Steps} steps");
        // Growth with the steps would be at least a double a step (over 500 KB here). The tolerance is for what is not
        // the solver's: a call's scratch comes from the shared ArrayPool, whose per-core stacks other threads empty
        // now and then (seen: 3,640 against 3,400 bytes), and a miss allocates a few hundred bytes.
        Assert.True(Math.Abs(manyBytes - fewBytes) <= 1024, $"{fewBytes} bytes for {few.Stats.Steps} steps, {manyBytes} for {many.Stats.Steps}");
    }

    [Fact]
    public void OptionChecks_AllocateNothingWhenTheyPass()
    {
        // Every integrator and ensemble call runs them; their messages are formatted only when a check fails.
        var options = new SolverOptions { RelTol = 1e-8, AbsTol = 1e-10, FixedStep = null, MinStep = 1e-12, InitialStep = 1e-3 };
        StepControl.ValidateOptions(options);
        long allocated = Allocations.Least(() =>
        {
            for (int i = 0; i < 100; i++) StepControl.ValidateOptions(options);
        });
        Assert.Equal(0, allocated);

        var bad = Assert.Throws<ArgumentException>(() => StepControl.ValidateOptions(new SolverOptions { MinFactor = 2 }));
        Assert.Equal("options", bad.ParamName);
        Assert.StartsWith("MinFactor must lie in (0, 1), not 2.", bad.Message);
    }
}
