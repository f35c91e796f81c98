using BenchmarkDotNet.Attributes;
using OdeGen;

namespace OdeGen.Benchmarks;

/// <summary>
/// Generated Evaluate/Jvp/Vjp for Lorenz against the hand-written baseline. Each call is repeated
/// over a small batch of states so that one benchmark operation is long enough to time reliably.
/// </summary>
[MemoryDiagnoser]
public class LorenzDerivativeBenchmarks
{
    private const int Batch = 1024;
    private readonly double[] _y = new double[3 * Batch], _p = [10, 28, 8.0 / 3], _a = new double[3 * Batch];
    private readonly double[] _out = new double[3], _outDot = new double[3], _yBar = new double[3], _pBar = new double[3];
    private readonly double[] _yDot = [0.3, -0.2, 0.1], _pDot = [0.05, 0.02, -0.01];

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(42);
        for (int i = 0; i < _y.Length; i++) { _y[i] = rng.NextDouble() * 20 - 10; _a[i] = rng.NextDouble() - 0.5; }
    }

    [Benchmark(Baseline = true)] public double HandWrittenVjp() => Vjp(new HandWrittenLorenz());
    [Benchmark] public double GeneratedVjp() => Vjp(new Lorenz.RhsSystem());
    [Benchmark] public double HandWrittenJvp() => Jvp(new HandWrittenLorenz());
    [Benchmark] public double GeneratedJvp() => Jvp(new Lorenz.RhsSystem());
    [Benchmark] public double HandWrittenEvaluate() => Evaluate(new HandWrittenLorenz());
    [Benchmark] public double GeneratedEvaluate() => Evaluate(new Lorenz.RhsSystem());

    private double Evaluate<T>(T system) where T : struct, IOdeSystem
    {
        double sum = 0;
        for (int i = 0; i < Batch; i++)
        {
            system.Evaluate(0, _y.AsSpan(3 * i, 3), _p, _out);
            sum += _out[0];
        }
        return sum;
    }

    private double Jvp<T>(T system) where T : struct, IOdeSystem
    {
        double sum = 0;
        for (int i = 0; i < Batch; i++)
        {
            system.Jvp(0, _y.AsSpan(3 * i, 3), _p, 0, _yDot, _pDot, _out, _outDot);
            sum += _outDot[0];
        }
        return sum;
    }

    private double Vjp<T>(T system) where T : struct, IOdeSystem
    {
        double sum = 0;
        for (int i = 0; i < Batch; i++)
        {
            sum += system.Vjp(0, _y.AsSpan(3 * i, 3), _p, _a.AsSpan(3 * i, 3), _yBar, _pBar);
        }
        return sum + _yBar[0];
    }
}
