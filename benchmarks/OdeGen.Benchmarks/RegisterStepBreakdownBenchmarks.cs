using BenchmarkDotNet.Attributes;
using OdeGen.Solvers;

namespace OdeGen.Benchmarks;

/// <summary>
/// The pieces of Ode.Solve's Dopri5 step on Lorenz that the register stages replaced (issue #20 item 1, 4 December 2026,
/// night), replayed on a recorded mid-solve step as <see cref="AdaptiveStepBreakdownBenchmarks"/> replays the kernel's: the
/// six stages in the system's register type, the error norm from the error they summed, and the integral controller. ns per
/// replay (OperationsPerInvoke). A separate class because it names RegisterStages, which builds before that commit lack.
/// </summary>
[MemoryDiagnoser]
public class RegisterStepBreakdownBenchmarks
{
    private const int Replays = 1000;
    private readonly SolverOptions _options = Problems.Options(OdeMethod.Dopri5);
    private RegisterStages _registers = null!;
    private double[] _y = null!, _k = null!, _yNew = null!, _atol = null!;
    private double _h, _t;

    /// <summary>Records one mid-solve step (state, f, step size).</summary>
    [GlobalSetup]
    public void Setup()
    {
        var lorenz = new Lorenz.RhsSystem();
        double[] p = Problems.P.ToArray();
        var integrator = new RungeKuttaIntegrator<SystemField<Lorenz.RhsSystem>>(3, _options);
        integrator.Reset(new SystemField<Lorenz.RhsSystem>(lorenz, p), Problems.Y0, 0, 10);
        for (int i = 0; i < 500; i++) integrator.Step();
        _t = integrator.Time;
        _h = integrator.NextStep;
        _y = integrator.State.ToArray();
        _k = new double[7 * 3];
        integrator.Derivative.CopyTo(_k);
        _yNew = new double[3];
        _atol = [Problems.Tolerance, Problems.Tolerance, Problems.Tolerance];
        _registers = RegisterStages.For(lorenz, _options, p) ?? throw new InvalidOperationException("Lorenz has no register stages");
    }

    /// <summary>The six stages and the candidate in registers (the error summed on the way).</summary>
    [Benchmark(OperationsPerInvoke = Replays)]
    public double RegisterStagesStep()
    {
        for (int r = 0; r < Replays; r++) _registers.TryStep(_t, _h, _y, _k, _yNew, out _);
        return _yNew[0];
    }

    /// <summary>The error norm from the summed error.</summary>
    [Benchmark(OperationsPerInvoke = Replays)]
    public double RegisterErrorNorm()
    {
        _registers.TryStep(_t, _h, _y, _k, _yNew, out _);
        double s = 0;
        for (int r = 0; r < Replays; r++) s += _registers.StepErrorNorm(_h, _y, _yNew, 3, _atol, Problems.Tolerance, ErrorNorm.Rms);
        return s;
    }

    /// <summary>The integral controller's decision on an accepted step (one Math.Pow).</summary>
    [Benchmark(OperationsPerInvoke = Replays)]
    public double IntegralControllerDecide()
    {
        var c = new StepSizeController(new SolverOptions { Controller = StepSizeControl.Integral }, Tableaux.Dopri5);
        double sum = 0;
        for (int r = 0; r < Replays; r++)
        {
            c.Decide(0.3 + r * 1e-4, _h, out double hNext);
            sum += hNext;
        }
        return sum;
    }
}
