using BenchmarkDotNet.Attributes;
using OdeGen;
using OdeGen.Solvers;

namespace OdeGen.Benchmarks;

/// <summary>
/// Lorenz on t ∈ [0, 100] at rtol = atol = 1e-8: the runtime's Dopri5 and Tsit5 (through <c>Ode.Solve</c> and through
/// the integrator directly) against a hand-written Dopri5 loop, the baseline. All use the hand-written Lorenz, so the
/// ratios measure the solver machinery, not the dynamics. Results are ratios to the baseline in the same run.
/// Lorenz is chaotic: by t = 100 the methods' final states differ completely (1e-8 local errors grow by e^(0.9·100)),
/// so compare work at equal tolerance, not the returned values.
/// </summary>
[MemoryDiagnoser]
public class LorenzSolverBenchmarks
{
    private const double T1 = 100, Tol = 1e-8;
    private static readonly double[] P = [10, 28, 8.0 / 3];
    private static readonly double[] Y0 = [1, 1, 1];
    private readonly SolverOptions _dopri5 = new() { Method = OdeMethod.Dopri5, RelTol = Tol, AbsTol = Tol, MaxSteps = 10_000_000 };
    private readonly SolverOptions _tsit5 = new() { Method = OdeMethod.Tsit5, RelTol = Tol, AbsTol = Tol, MaxSteps = 10_000_000 };
    private RungeKuttaIntegrator<SystemField<HandWrittenLorenz>> _integrator = null!;
    private SystemField<HandWrittenLorenz> _field;

    [GlobalSetup]
    public void Setup()
    {
        _integrator = new RungeKuttaIntegrator<SystemField<HandWrittenLorenz>>(3, _dopri5);
        _field = new SystemField<HandWrittenLorenz>(new HandWrittenLorenz(), P);
    }

    /// <summary>A plain Dopri5 loop written by hand (the same error norm, PI controller and first step as the runtime).</summary>
    [Benchmark(Baseline = true)]
    public double HandWrittenDopri5() => HandDopri5.Solve(Y0, P, T1, Tol);

    [Benchmark] public double OdeSolveDopri5() => Ode.Solve(new HandWrittenLorenz(), Y0, P, 0, T1, _dopri5).FinalState[0];

    [Benchmark] public double OdeSolveTsit5() => Ode.Solve(new HandWrittenLorenz(), Y0, P, 0, T1, _tsit5).FinalState[0];

    /// <summary>The integrator reused across runs: no solution object, no allocation.</summary>
    [Benchmark]
    public double IntegratorDopri5()
    {
        _integrator.Reset(_field, Y0, 0, T1);
        _integrator.Run();
        return _integrator.State[0];
    }
}

/// <summary>Robertson's kinetics to t = 1e5 with the stiff solvers (rtol 1e-6, per-component atol), Rodas4 the baseline.</summary>
[MemoryDiagnoser]
public class RobertsonSolverBenchmarks
{
    private static readonly double[] P = [0.04, 3e7, 1e4];
    private static readonly double[] Y0 = [1, 0, 0];
    private readonly SolverOptions _rodas4 = new() { Method = OdeMethod.Rodas4, RelTol = 1e-6, AbsTolVector = [1e-12, 1e-16, 1e-12] };
    private readonly SolverOptions _kvaerno5 = new() { Method = OdeMethod.Kvaerno5, RelTol = 1e-6, AbsTolVector = [1e-12, 1e-16, 1e-12] };

    [Benchmark(Baseline = true)] public double Rodas4() => Ode.Solve(new HandWrittenRobertson(), Y0, P, 0, 1e5, _rodas4).FinalState[0];

    [Benchmark] public double Kvaerno5() => Ode.Solve(new HandWrittenRobertson(), Y0, P, 0, 1e5, _kvaerno5).FinalState[0];
}

/// <summary>Robertson's chemical kinetics with hand-written derivatives; p = [k1, k2, k3] = [0.04, 3e7, 1e4].</summary>
public readonly struct HandWrittenRobertson : IOdeSystem
{
    public int StateCount => 3;
    public int ParameterCount => 3;

    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        double r1 = p[0] * y[0], r2 = p[1] * y[1] * y[1], r3 = p[2] * y[1] * y[2];
        dydt[0] = -r1 + r3;
        dydt[1] = r1 - r2 - r3;
        dydt[2] = r2;
    }

    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot,
        ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot, Span<double> dydt, Span<double> dydtDot)
    {
        Evaluate(t, y, p, dydt);
        double r1 = pDot[0] * y[0] + p[0] * yDot[0];
        double r2 = pDot[1] * y[1] * y[1] + 2 * p[1] * y[1] * yDot[1];
        double r3 = pDot[2] * y[1] * y[2] + p[2] * (yDot[1] * y[2] + y[1] * yDot[2]);
        dydtDot[0] = -r1 + r3;
        dydtDot[1] = r1 - r2 - r3;
        dydtDot[2] = r2;
    }

    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p,
        ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
    {
        // f0 = −r1 + r3, f1 = r1 − r2 − r3, f2 = r2, so aᵀf = (a1 − a0)·r1 + (a2 − a1)·r2 + (a0 − a1)·r3.
        double w1 = a[1] - a[0], w2 = a[2] - a[1], w3 = a[0] - a[1];
        yBar[0] += w1 * p[0];
        yBar[1] += w2 * 2 * p[1] * y[1] + w3 * p[2] * y[2];
        yBar[2] += w3 * p[2] * y[1];
        pBar[0] += w1 * y[0];
        pBar[1] += w2 * y[1] * y[1];
        pBar[2] += w3 * y[1] * y[2];
        return 0;
    }

    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp)
    {
        dfdy[0] = -p[0]; dfdy[1] = p[2] * y[2]; dfdy[2] = p[2] * y[1];
        dfdy[3] = p[0]; dfdy[4] = -2 * p[1] * y[1] - p[2] * y[2]; dfdy[5] = -p[2] * y[1];
        dfdy[6] = 0; dfdy[7] = 2 * p[1] * y[1]; dfdy[8] = 0;
        dfdp[0] = -y[0]; dfdp[1] = 0; dfdp[2] = y[1] * y[2];
        dfdp[3] = y[0]; dfdp[4] = -y[1] * y[1]; dfdp[5] = -y[1] * y[2];
        dfdp[6] = 0; dfdp[7] = y[1] * y[1]; dfdp[8] = 0;
    }
}

/// <summary>
/// Dormand–Prince 5(4) for Lorenz written out by hand: coefficients inline, stage arrays on the stack, the runtime's
/// RMS error norm with atol + rtol·max(|y|, |y_new|), PI control (α = 0.7/5, β = 0.4/5, safety 0.9, factors 0.2 … 10,
/// no growth after a rejection) and a fixed first step. What a careful engineer would write without a library.
/// </summary>
internal static class HandDopri5
{
    public static double Solve(double[] y0, double[] p, double t1, double tol)
    {
        Span<double> y = stackalloc double[3], yNew = stackalloc double[3], arg = stackalloc double[3];
        Span<double> k1 = stackalloc double[3], k2 = stackalloc double[3], k3 = stackalloc double[3], k4 = stackalloc double[3],
            k5 = stackalloc double[3], k6 = stackalloc double[3], k7 = stackalloc double[3];
        y0.CopyTo(y);
        var f = new HandWrittenLorenz();
        double t = 0, h = 1e-3, errPrev = 1e-4;
        bool rejected = false;
        f.Evaluate(t, y, p, k1);
        while (t < t1)
        {
            if (t + h > t1) h = t1 - t;
            for (int i = 0; i < 3; i++) arg[i] = y[i] + h * (1.0 / 5 * k1[i]);
            f.Evaluate(t + h / 5, arg, p, k2);
            for (int i = 0; i < 3; i++) arg[i] = y[i] + h * (3.0 / 40 * k1[i] + 9.0 / 40 * k2[i]);
            f.Evaluate(t + 3 * h / 10, arg, p, k3);
            for (int i = 0; i < 3; i++) arg[i] = y[i] + h * (44.0 / 45 * k1[i] - 56.0 / 15 * k2[i] + 32.0 / 9 * k3[i]);
            f.Evaluate(t + 4 * h / 5, arg, p, k4);
            for (int i = 0; i < 3; i++)
                arg[i] = y[i] + h * (19372.0 / 6561 * k1[i] - 25360.0 / 2187 * k2[i] + 64448.0 / 6561 * k3[i] - 212.0 / 729 * k4[i]);
            f.Evaluate(t + 8 * h / 9, arg, p, k5);
            for (int i = 0; i < 3; i++)
                arg[i] = y[i] + h * (9017.0 / 3168 * k1[i] - 355.0 / 33 * k2[i] + 46732.0 / 5247 * k3[i] + 49.0 / 176 * k4[i] - 5103.0 / 18656 * k5[i]);
            f.Evaluate(t + h, arg, p, k6);
            for (int i = 0; i < 3; i++)
                yNew[i] = y[i] + h * (35.0 / 384 * k1[i] + 500.0 / 1113 * k3[i] + 125.0 / 192 * k4[i] - 2187.0 / 6784 * k5[i] + 11.0 / 84 * k6[i]);
            f.Evaluate(t + h, yNew, p, k7);
            double sum = 0;
            for (int i = 0; i < 3; i++)
            {
                double e = h * (71.0 / 57600 * k1[i] - 71.0 / 16695 * k3[i] + 71.0 / 1920 * k4[i] - 17253.0 / 339200 * k5[i]
                                + 22.0 / 525 * k6[i] - 1.0 / 40 * k7[i]);
                double scale = tol + tol * Math.Max(Math.Abs(y[i]), Math.Abs(yNew[i]));
                sum += e / scale * (e / scale);
            }
            double err = Math.Sqrt(sum / 3);
            if (err <= 1)
            {
                double factor = err == 0 ? 10 : 0.9 * Math.Pow(err, -0.7 / 5) * Math.Pow(errPrev, 0.4 / 5);
                factor = Math.Clamp(factor, 0.2, rejected ? 1 : 10);
                errPrev = Math.Max(err, 1e-4);
                t += h;
                yNew.CopyTo(y);
                k7.CopyTo(k1);   // FSAL
                h *= factor;
                rejected = false;
            }
            else
            {
                h *= Math.Max(0.2, 0.9 * Math.Pow(err, -0.7 / 5));
                rejected = true;
            }
        }
        return y[0];
    }
}
