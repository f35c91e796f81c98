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

    /// <summary>Hand-written RK4 with one trajectory per SIMD lane (a yardstick; see <see cref="HandRk4Lanes"/>).</summary>
    [Benchmark]
    public double HandWrittenRk4Lanes() => HandRk4Lanes.Ensemble(_parameters, Problems.EnsembleSize, Problems.EnsembleSteps, Problems.EnsembleDt);

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

/// <summary>
/// A hand-written lane loop (Ode.SolveEnsemble is the runtime's own, measured in LorenzLaneEnsembleBenchmarks):
/// the same RK4 ensemble with <see cref="System.Numerics.Vector{T}"/> lanes, one trajectory per lane, Lorenz
/// written by hand in vector form. Not an OdeGen code path: a yardstick for the per-trajectory loops, and the
/// shape of what GCC does on its own when it vectorizes the Boost.Odeint ensemble across trajectories.
/// </summary>
public static class HandRk4Lanes
{
    /// <summary>Integrates every trajectory, Vector&lt;double&gt;.Count at a time (the count must divide evenly); returns Σ y(T).</summary>
    public static double Ensemble(double[] parameters, int count, int steps, double dt)
    {
        int w = System.Numerics.Vector<double>.Count;
        if (count % w != 0) throw new ArgumentException($"count must be a multiple of {w}.", nameof(count));
        Span<double> s = stackalloc double[w], r = stackalloc double[w], b = stackalloc double[w];
        double sum = 0;
        for (int j = 0; j < count; j += w)
        {
            for (int l = 0; l < w; l++)
            {
                s[l] = parameters[3 * (j + l)];
                r[l] = parameters[3 * (j + l) + 1];
                b[l] = parameters[3 * (j + l) + 2];
            }
            var sigma = new System.Numerics.Vector<double>(s);
            var rho = new System.Numerics.Vector<double>(r);
            var beta = new System.Numerics.Vector<double>(b);
            var x = System.Numerics.Vector<double>.One;
            var y = System.Numerics.Vector<double>.One;
            var z = System.Numerics.Vector<double>.One;
            var half = new System.Numerics.Vector<double>(0.5 * dt);
            var full = new System.Numerics.Vector<double>(dt);
            var sixth = new System.Numerics.Vector<double>(dt / 6);
            for (int k = 0; k < steps; k++)
            {
                var (k1x, k1y, k1z) = F(x, y, z, sigma, rho, beta);
                var (k2x, k2y, k2z) = F(x + half * k1x, y + half * k1y, z + half * k1z, sigma, rho, beta);
                var (k3x, k3y, k3z) = F(x + half * k2x, y + half * k2y, z + half * k2z, sigma, rho, beta);
                var (k4x, k4y, k4z) = F(x + full * k3x, y + full * k3y, z + full * k3z, sigma, rho, beta);
                x += sixth * (k1x + 2 * k2x + 2 * k3x + k4x);
                y += sixth * (k1y + 2 * k2y + 2 * k3y + k4y);
                z += sixth * (k1z + 2 * k2z + 2 * k3z + k4z);
            }
            sum += System.Numerics.Vector.Sum(x + y + z);
        }
        return sum;
    }

    private static (System.Numerics.Vector<double>, System.Numerics.Vector<double>, System.Numerics.Vector<double>) F(
        System.Numerics.Vector<double> x, System.Numerics.Vector<double> y, System.Numerics.Vector<double> z,
        System.Numerics.Vector<double> sigma, System.Numerics.Vector<double> rho, System.Numerics.Vector<double> beta) =>
        (sigma * (y - x), x * (rho - z) - y, x * y - beta * z);
}
