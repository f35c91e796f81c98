using BenchmarkDotNet.Attributes;
using OdeGen;

namespace OdeGen.Benchmarks;

/// <summary>
/// A valid 3×3 convolution with tanh over 16×16 images, as the stem of an ODE-Net would be written: the channel counts
/// come from the span lengths (C = x.Length / 256 in, K = y.Length / 196 out), so the generator adds
/// <c>Conv2dFunction</c> with a constructor taking the sizes. p holds the kernels (k, c, di, dj), then one bias per
/// output channel.
/// </summary>
public static partial class Conv2d
{
    public const int Side = 16, OutSide = Side - 2;

    [Differentiable]
    public static void Layer(ReadOnlySpan<double> x, ReadOnlySpan<double> p, Span<double> y)
    {
        int c = x.Length / (Side * Side), k = y.Length / (OutSide * OutSide);
        for (int o = 0; o < k; o++)
        {
            for (int i = 0; i < OutSide; i++)
            {
                for (int j = 0; j < OutSide; j++)
                {
                    double s = p[k * c * 9 + o];
                    for (int ch = 0; ch < c; ch++)
                    {
                        for (int di = 0; di < 3; di++)
                        {
                            for (int dj = 0; dj < 3; dj++)
                            {
                                s += p[((o * c + ch) * 3 + di) * 3 + dj] * x[(ch * Side + i + di) * Side + j + dj];
                            }
                        }
                    }

                    y[(o * OutSide + i) * OutSide + j] = Math.Tanh(s);
                }
            }
        }
    }
}

/// <summary>
/// The generated Conv2d function, 8 → 8 channels over a 16×16 image: Jvp and Vjp as ratios over Evaluate (the
/// baseline), each through <see cref="IDifferentiableFunction"/> on a struct, as runtime code calls it. Vjp accumulates into
/// xBar and pBar across invocations, which changes nothing about its cost.
/// </summary>
[MemoryDiagnoser]
public class Conv2dFunctionBenchmarks
{
    private const int Channels = 8;
    private Conv2d.LayerFunction _layer;
    private double[] _x = [], _p = [], _y = [], _xDot = [], _pDot = [], _yDot = [], _yBar = [], _xBar = [], _pBar = [];

    [GlobalSetup]
    public void Setup()
    {
        int inputs = Channels * Conv2d.Side * Conv2d.Side, outputs = Channels * Conv2d.OutSide * Conv2d.OutSide;
        int parameters = (Channels * Channels * 9) + Channels;
        _layer = new Conv2d.LayerFunction(inputs, parameters, outputs);
        var random = new Random(1);
        double[] Vector(int n, double scale) => Enumerable.Range(0, n).Select(_ => scale * ((2 * random.NextDouble()) - 1)).ToArray();
        _x = Vector(inputs, 1);
        _p = Vector(parameters, 0.2);
        _xDot = Vector(inputs, 1);
        _pDot = Vector(parameters, 1);
        _yBar = Vector(outputs, 1);
        _y = new double[outputs];
        _yDot = new double[outputs];
        _xBar = new double[inputs];
        _pBar = new double[parameters];
    }

    [Benchmark(Baseline = true)]
    public void Evaluate() => Evaluate(_layer);

    [Benchmark]
    public void Jvp() => Jvp(_layer);

    [Benchmark]
    public void Vjp() => Vjp(_layer);

    // Generic over the interface, as the runtime's entry points are: the JIT specializes each for the struct.
    private void Evaluate<T>(in T g)
        where T : struct, IDifferentiableFunction => g.Evaluate(_x, _p, _y);

    private void Jvp<T>(in T g)
        where T : struct, IDifferentiableFunction => g.Jvp(_x, _p, _xDot, _pDot, _y, _yDot);

    private void Vjp<T>(in T g)
        where T : struct, IDifferentiableFunction => g.Vjp(_x, _p, _yBar, _xBar, _pBar);
}
