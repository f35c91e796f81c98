using BenchmarkDotNet.Attributes;
using OdeGen.Lanes;
using OdeGen.Solvers;

namespace OdeGen.Benchmarks;

/// <summary>
/// The step-size controller's xᵃ (<see cref="StepSizeController.Pow"/>, LaneMath.PowPositive at one lane) against
/// Math.Pow, ns per power: over 1024 independent error norms (throughput), along a chain where each power's argument
/// depends on the previous result (latency, as on the path from one step's error to the next step's size), and at
/// 4 lanes (Lane256) per 4 powers.
/// </summary>
public class ControllerPowBenchmarks
{
    private const int N = 1024;
    private readonly double[] _x = new double[N];
    private double _sink;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(3);
        for (int i = 0; i < N; i++) _x[i] = Math.Exp(rng.NextDouble() * 20 - 18);   // error norms in [1.5e-8, 7.4]
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = N)]
    public double MathPowThroughput()
    {
        double s = 0;
        foreach (double x in _x) s += Math.Pow(x, -0.14);
        return s;
    }

    [Benchmark(OperationsPerInvoke = N)]
    public double ControllerPowThroughput()
    {
        double s = 0;
        foreach (double x in _x) s += StepSizeController.Pow(x, -0.14);
        return s;
    }

    [Benchmark(OperationsPerInvoke = N)]
    public double ControllerPowLane256Throughput()
    {
        Lane256 s = Lane256.Zero, a = Lane256.Create(-0.14);
        for (int i = 0; i < N; i += 4) s += LaneMath.PowPositive(Lane256.Load(_x, i), a);
        return Lane256.Sum(s);
    }

    [Benchmark(OperationsPerInvoke = N)]
    public double MathPowLatency()
    {
        double v = 0.5;
        for (int i = 0; i < N; i++) v = Math.Pow(v * 0.25 + _x[i], -0.14);
        return _sink = v;
    }

    [Benchmark(OperationsPerInvoke = N)]
    public double ControllerPowLatency()
    {
        double v = 0.5;
        for (int i = 0; i < N; i++) v = StepSizeController.Pow(v * 0.25 + _x[i], -0.14);
        return _sink = v;
    }
}
