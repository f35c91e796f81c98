using BenchmarkDotNet.Attributes;
using OdeGen;

namespace OdeGen.Benchmarks;

/// <summary>The 2→64→64→2 tanh field of a continuous normalizing flow, with second-order code (weights from the constructor's count).</summary>
public static partial class CnfMlp
{
    public const int In = 2, Hidden = 64;
    public const int W1 = 0, B1 = W1 + Hidden * In, W2 = B1 + Hidden, B2 = W2 + Hidden * Hidden, W3 = B2 + Hidden, B3 = W3 + In * Hidden, Size = B3 + In;

    [OdeDynamics(States = In, SecondOrder = true)]
    public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        Span<double> h1 = stackalloc double[Hidden];
        Span<double> h2 = stackalloc double[Hidden];
        for (int i = 0; i < Hidden; i++)
        {
            double s = p[B1 + i];
            for (int j = 0; j < In; j++)
            {
                s += p[W1 + i * In + j] * y[j];
            }

            h1[i] = Math.Tanh(s);
        }

        for (int i = 0; i < Hidden; i++)
        {
            double s = p[B2 + i];
            for (int j = 0; j < Hidden; j++)
            {
                s += p[W2 + i * Hidden + j] * h1[j];
            }

            h2[i] = Math.Tanh(s);
        }

        for (int k = 0; k < In; k++)
        {
            double o = p[B3 + k];
            for (int i = 0; i < Hidden; i++)
            {
                o += p[W3 + k * Hidden + i] * h2[i];
            }

            dydt[k] = o;
        }
    }
}

/// <summary>A dense, mildly nonlinear field on 8 states: a tanh layer plus neighbour products and sines.</summary>
public static partial class Field8
{
    public const int N = 8, Size = (N * N) + N;

    [OdeDynamics(States = N, Parameters = Size, SecondOrder = true)]
    public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        for (int i = 0; i < N; i++)
        {
            double s = p[N * N + i];
            for (int j = 0; j < N; j++)
            {
                s += p[i * N + j] * y[j];
            }

            dydt[i] = Math.Tanh(s) - 0.1 * y[i] * y[(i + 1) % N] + 0.05 * Math.Sin(y[(i + 3) % N]);
        }
    }
}

/// <summary>The same field on 32 states (its 1,056 weights from the constructor's count).</summary>
public static partial class Field32
{
    public const int N = 32, Size = (N * N) + N;

    [OdeDynamics(States = N, SecondOrder = true)]
    public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        for (int i = 0; i < N; i++)
        {
            double s = p[N * N + i];
            for (int j = 0; j < N; j++)
            {
                s += p[i * N + j] * y[j];
            }

            dydt[i] = Math.Tanh(s) - 0.1 * y[i] * y[(i + 1) % N] + 0.05 * Math.Sin(y[(i + 3) % N]);
        }
    }
}

/// <summary>
/// The second-order methods over Evaluate (the baseline) for one field: Divergence (goal: at most 2× Evaluate for the
/// 2→64→64→2 MLP), DivergenceVjp and Hvp; and n Jvp calls with unit seeds, the other way to get the trace, as a second
/// reference for Divergence (goal: Divergence well below it at n = 32).
/// </summary>
[MemoryDiagnoser]
public abstract class SecondOrderBenchmarks<TSystem>
    where TSystem : struct, IOdeSystemSecondOrder
{
    private TSystem _system;
    private double[] _y = [], _p = [], _a = [], _yDot = [], _pDot = [], _pZero = [], _yBar = [], _pBar = [], _f = [], _fDot = [], _unit = [];

    /// <summary>The system, built with its sizes.</summary>
    protected abstract TSystem Create();

    [GlobalSetup]
    public void Setup()
    {
        _system = Create();
        int n = _system.StateCount, m = _system.ParameterCount;
        var random = new Random(42);
        double[] Vector(int length, double scale) => Enumerable.Range(0, length).Select(_ => scale * ((2 * random.NextDouble()) - 1)).ToArray();
        _y = Vector(n, 0.8);
        _p = Vector(m, 1 / Math.Sqrt(Math.Min(m, 64)));
        _a = Vector(n, 1);
        _yDot = Vector(n, 1);
        _pDot = Vector(m, 1);
        _yBar = new double[n];
        _pBar = new double[m];
        _f = new double[n];
        _fDot = new double[n];
        _unit = new double[n];
        _pZero = new double[m];
    }

    [Benchmark(Baseline = true)]
    public double Evaluate()
    {
        _system.Evaluate(0.3, _y, _p, _f);
        return _f[0];
    }

    [Benchmark]
    public double Divergence() => _system.Divergence(0.3, _y, _p);

    [Benchmark]
    public double DivergenceVjp() => _system.DivergenceVjp(0.3, _y, _p, 1.0, _yBar, _pBar);

    [Benchmark]
    public double Hvp()
    {
        _system.Hvp(0.3, _y, _p, _a, 0.0, _yDot, _pDot, _yBar, _pBar);
        return _yBar[0];
    }

    /// <summary>The trace from n Jvp calls seeded by e_j (what Divergence avoids).</summary>
    [Benchmark]
    public double TraceFromNJvps()
    {
        double trace = 0;
        for (int j = 0; j < _unit.Length; j++)
        {
            _unit[j] = 1;
            _system.Jvp(0.3, _y, _p, 0.0, _unit, _pZero, _f, _fDot);
            _unit[j] = 0;
            trace += _fDot[j];
        }

        return trace;
    }
}

/// <summary>The 2→64→64→2 tanh field.</summary>
public class MlpSecondOrderBenchmarks : SecondOrderBenchmarks<CnfMlp.RhsSystem>
{
    protected override CnfMlp.RhsSystem Create() => new(CnfMlp.Size);
}

/// <summary>The random-ish field on 8 states.</summary>
public class Field8SecondOrderBenchmarks : SecondOrderBenchmarks<Field8.RhsSystem>
{
    protected override Field8.RhsSystem Create() => default;
}

/// <summary>The random-ish field on 32 states.</summary>
public class Field32SecondOrderBenchmarks : SecondOrderBenchmarks<Field32.RhsSystem>
{
    protected override Field32.RhsSystem Create() => new(Field32.Size);
}
