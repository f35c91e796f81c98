using BenchmarkDotNet.Attributes;
using OdeGen.Solvers;

namespace OdeGen.Benchmarks;

/// <summary>
/// A fixed-step RK4 ensemble: 1,000 Lorenz trajectories from y(0) = (1, 1, 1) with (σ, ρ) drawn from a seeded
/// SplitMix64 (<see cref="Problems.EnsembleParameters"/>), dt = 0.001, 1,000 steps each. The hand-written RK4
/// loop is the baseline; against it, Ode.Solve called once per trajectory, and one RungeKuttaIntegrator reset
/// per trajectory (no allocation at all). Each operation returns the sum of the final states as a checksum.
/// </summary>
[MemoryDiagnoser]
public class LorenzEnsembleBenchmarks
{
    private readonly Lorenz.RhsSystem _lorenz = new();
    private readonly double[] _parameters = Problems.EnsembleParameters(Problems.EnsembleSize);
    private readonly double[] _p = new double[3];
    private readonly SolverOptions _rk4 = new() { Method = OdeMethod.RK4, FixedStep = Problems.EnsembleDt };
    private RungeKuttaIntegrator<SystemField<Lorenz.RhsSystem>> _integrator = null!;
    private const double End = Problems.EnsembleSteps * Problems.EnsembleDt;

    /// <summary>Creates the reused integrator.</summary>
    [GlobalSetup]
    public void Setup() => _integrator = new RungeKuttaIntegrator<SystemField<Lorenz.RhsSystem>>(3, _rk4);

    /// <summary>Hand-written RK4, the dynamics inlined through the generated Evaluate.</summary>
    [Benchmark(Baseline = true)]
    public double HandWrittenRk4() => HandRk4.Ensemble(_lorenz, _parameters, Problems.EnsembleSize, Problems.EnsembleSteps, Problems.EnsembleDt);

    /// <summary>Ode.Solve per trajectory.</summary>
    [Benchmark]
    public double OdeSolveLoop()
    {
        double sum = 0;
        for (int j = 0; j < Problems.EnsembleSize; j++)
        {
            OdeSolution s = Ode.Solve(_lorenz, Problems.Y0, _parameters.AsSpan(3 * j, 3), 0, End, _rk4);
            ReadOnlySpan<double> y = s.FinalState;
            sum += y[0] + y[1] + y[2];
        }
        return sum;
    }

    /// <summary>One integrator, reset per trajectory with that trajectory's parameters.</summary>
    [Benchmark]
    public double IntegratorLoop()
    {
        double sum = 0;
        for (int j = 0; j < Problems.EnsembleSize; j++)
        {
            _parameters.AsSpan(3 * j, 3).CopyTo(_p);
            _integrator.Reset(new SystemField<Lorenz.RhsSystem>(_lorenz, _p), Problems.Y0, 0, End);
            _integrator.Run();
            ReadOnlySpan<double> y = _integrator.State;
            sum += y[0] + y[1] + y[2];
        }
        return sum;
    }
}

/// <summary>The ensemble baseline: classic RK4, one trajectory at a time, workspace on the stack.</summary>
public static class HandRk4
{
    /// <summary>Integrates every trajectory; returns Σ over trajectories of Σ y(T).</summary>
    public static double Ensemble<TSystem>(in TSystem f, double[] parameters, int count, int steps, double dt)
        where TSystem : struct, IOdeSystem
    {
        Span<double> y = stackalloc double[3], arg = stackalloc double[3];
        Span<double> k1 = stackalloc double[3], k2 = stackalloc double[3], k3 = stackalloc double[3], k4 = stackalloc double[3];
        double sum = 0;
        for (int j = 0; j < count; j++)
        {
            ReadOnlySpan<double> p = parameters.AsSpan(3 * j, 3);
            y[0] = 1; y[1] = 1; y[2] = 1;
            for (int s = 0; s < steps; s++)
            {
                double t = s * dt;
                f.Evaluate(t, y, p, k1);
                for (int i = 0; i < 3; i++) arg[i] = y[i] + 0.5 * dt * k1[i];
                f.Evaluate(t + 0.5 * dt, arg, p, k2);
                for (int i = 0; i < 3; i++) arg[i] = y[i] + 0.5 * dt * k2[i];
                f.Evaluate(t + 0.5 * dt, arg, p, k3);
                for (int i = 0; i < 3; i++) arg[i] = y[i] + dt * k3[i];
                f.Evaluate(t + dt, arg, p, k4);
                for (int i = 0; i < 3; i++) y[i] += dt / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
            }
            sum += y[0] + y[1] + y[2];
        }
        return sum;
    }
}
