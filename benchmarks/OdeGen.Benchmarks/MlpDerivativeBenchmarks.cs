using BenchmarkDotNet.Attributes;
using OdeGen;

namespace OdeGen.Benchmarks;

/// <summary>A 2→50→2 tanh MLP written with loops, as a Neural-ODE user would; the generator adds <c>RhsSystem</c>.</summary>
public static partial class Mlp
{
    public const int In = 2, Hidden = 50, Out = 2;
    public const int W1 = 0, B1 = W1 + Hidden * In, W2 = B1 + Hidden, B2 = W2 + Out * Hidden, Size = B2 + Out;

    [OdeDynamics(States = 2, Parameters = 252)]
    public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        Span<double> h = stackalloc double[Hidden];
        for (int i = 0; i < Hidden; i++)
        {
            double s = p[B1 + i];
            for (int j = 0; j < In; j++)
            {
                s += p[W1 + i * In + j] * y[j];
            }

            h[i] = Math.Tanh(s);
        }

        for (int k = 0; k < Out; k++)
        {
            double o = p[B2 + k];
            for (int i = 0; i < Hidden; i++)
            {
                o += p[W2 + k * Hidden + i] * h[i];
            }

            dydt[k] = o;
        }
    }
}

/// <summary>
/// The same MLP with <c>VectorizeLoops = true</c>: the hidden and output loops of Evaluate, Jvp and Vjp run
/// across the hidden units in SIMD (Vector512 here, else 256 or 128), the sums and Tanh rounded differently.
/// </summary>
public static partial class VectorizedMlp
{
    [OdeDynamics(States = 2, Parameters = 252, VectorizeLoops = true)]
    public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        Span<double> h = stackalloc double[Mlp.Hidden];
        for (int i = 0; i < Mlp.Hidden; i++)
        {
            double s = p[Mlp.B1 + i];
            for (int j = 0; j < Mlp.In; j++)
            {
                s += p[Mlp.W1 + i * Mlp.In + j] * y[j];
            }

            h[i] = Math.Tanh(s);
        }

        for (int k = 0; k < Mlp.Out; k++)
        {
            double o = p[Mlp.B2 + k];
            for (int i = 0; i < Mlp.Hidden; i++)
            {
                o += p[Mlp.W2 + k * Mlp.Hidden + i] * h[i];
            }

            dydt[k] = o;
        }
    }
}

/// <summary>
/// The baseline: the same MLP with forward and reverse mode written by hand as a careful engineer would
/// (slices taken once, the hidden activations kept on the stack, backpropagation in one pass).
/// </summary>
public readonly struct HandWrittenMlp : IOdeSystem
{
    public int StateCount => Mlp.In;
    public int ParameterCount => Mlp.Size;

    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        Span<double> h = stackalloc double[Mlp.Hidden];
        Hidden(y, p, h);
        Output(p, h, dydt);
    }

    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot,
        ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot, Span<double> dydt, Span<double> dydtDot)
    {
        Span<double> h = stackalloc double[Mlp.Hidden], hDot = stackalloc double[Mlp.Hidden];
        ReadOnlySpan<double> w1 = p.Slice(Mlp.W1, Mlp.Hidden * Mlp.In), w1Dot = pDot.Slice(Mlp.W1, Mlp.Hidden * Mlp.In);
        ReadOnlySpan<double> b1 = p.Slice(Mlp.B1, Mlp.Hidden), b1Dot = pDot.Slice(Mlp.B1, Mlp.Hidden);
        double y0 = y[0], y1 = y[1], y0Dot = yDot[0], y1Dot = yDot[1];
        for (int i = 0; i < Mlp.Hidden; i++)
        {
            double s = b1[i] + w1[2 * i] * y0 + w1[2 * i + 1] * y1;
            double sDot = b1Dot[i] + w1Dot[2 * i] * y0 + w1[2 * i] * y0Dot + w1Dot[2 * i + 1] * y1 + w1[2 * i + 1] * y1Dot;
            double th = Math.Tanh(s);
            h[i] = th;
            hDot[i] = (1 - th * th) * sDot;
        }
        for (int k = 0; k < Mlp.Out; k++)
        {
            ReadOnlySpan<double> w2 = p.Slice(Mlp.W2 + k * Mlp.Hidden, Mlp.Hidden), w2Dot = pDot.Slice(Mlp.W2 + k * Mlp.Hidden, Mlp.Hidden);
            double o = p[Mlp.B2 + k], oDot = pDot[Mlp.B2 + k];
            for (int i = 0; i < Mlp.Hidden; i++)
            {
                o += w2[i] * h[i];
                oDot += w2Dot[i] * h[i] + w2[i] * hDot[i];
            }
            dydt[k] = o;
            dydtDot[k] = oDot;
        }
    }

    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p,
        ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
    {
        Span<double> h = stackalloc double[Mlp.Hidden];
        Hidden(y, p, h);
        ReadOnlySpan<double> w1 = p.Slice(Mlp.W1, Mlp.Hidden * Mlp.In);
        Span<double> w1Bar = pBar.Slice(Mlp.W1, Mlp.Hidden * Mlp.In), b1Bar = pBar.Slice(Mlp.B1, Mlp.Hidden);
        ReadOnlySpan<double> w2a = p.Slice(Mlp.W2, Mlp.Hidden), w2b = p.Slice(Mlp.W2 + Mlp.Hidden, Mlp.Hidden);
        Span<double> w2aBar = pBar.Slice(Mlp.W2, Mlp.Hidden), w2bBar = pBar.Slice(Mlp.W2 + Mlp.Hidden, Mlp.Hidden);
        double a0 = a[0], a1 = a[1], y0 = y[0], y1 = y[1], y0Bar = 0, y1Bar = 0;
        pBar[Mlp.B2] += a0;
        pBar[Mlp.B2 + 1] += a1;
        for (int i = 0; i < Mlp.Hidden; i++)
        {
            double hi = h[i];
            w2aBar[i] += a0 * hi;
            w2bBar[i] += a1 * hi;
            double sBar = (a0 * w2a[i] + a1 * w2b[i]) * (1 - hi * hi);
            b1Bar[i] += sBar;
            w1Bar[2 * i] += sBar * y0;
            w1Bar[2 * i + 1] += sBar * y1;
            y0Bar += sBar * w1[2 * i];
            y1Bar += sBar * w1[2 * i + 1];
        }
        yBar[0] += y0Bar;
        yBar[1] += y1Bar;
        return 0;
    }

    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp)
    {
        // Row by row from the VJP: the baseline only needs to be right here, it is not benchmarked.
        Span<double> a = stackalloc double[Mlp.Out];
        Span<double> yBar = stackalloc double[Mlp.In];
        for (int k = 0; k < Mlp.Out; k++)
        {
            a.Clear();
            a[k] = 1;
            yBar.Clear();
            Span<double> row = dfdp.Slice(k * Mlp.Size, Mlp.Size);
            row.Clear();
            Vjp(t, y, p, a, yBar, row);
            yBar.CopyTo(dfdy.Slice(k * Mlp.In, Mlp.In));
        }
    }

    private static void Hidden(ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> h)
    {
        ReadOnlySpan<double> w1 = p.Slice(Mlp.W1, Mlp.Hidden * Mlp.In), b1 = p.Slice(Mlp.B1, Mlp.Hidden);
        double y0 = y[0], y1 = y[1];
        for (int i = 0; i < Mlp.Hidden; i++) h[i] = Math.Tanh(b1[i] + w1[2 * i] * y0 + w1[2 * i + 1] * y1);
    }

    private static void Output(ReadOnlySpan<double> p, ReadOnlySpan<double> h, Span<double> dydt)
    {
        for (int k = 0; k < Mlp.Out; k++)
        {
            ReadOnlySpan<double> w2 = p.Slice(Mlp.W2 + k * Mlp.Hidden, Mlp.Hidden);
            double o = p[Mlp.B2 + k];
            for (int i = 0; i < Mlp.Hidden; i++) o += w2[i] * h[i];
            dydt[k] = o;
        }
    }
}

/// <summary>
/// Generated Evaluate/Jvp/Vjp of the loop-written MLP, scalar and with VectorizeLoops, against the hand-written
/// baseline, 256 states per operation. The setup checks that all three compute the same products, so the ratio
/// compares like with like. Min and median are shown beside the mean: on a loaded machine they are the steadier
/// comparison.
/// </summary>
[MemoryDiagnoser, MinColumn, MedianColumn]
public class MlpDerivativeBenchmarks
{
    private const int Batch = 256;
    private readonly double[] _y = new double[2 * Batch], _a = new double[2 * Batch], _p = new double[Mlp.Size], _pDot = new double[Mlp.Size];
    private readonly double[] _out = new double[2], _outDot = new double[2], _yBar = new double[2], _pBar = new double[Mlp.Size];
    private readonly double[] _yDot = [0.3, -0.2];

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(7);
        for (int i = 0; i < _p.Length; i++) { _p[i] = 0.3 * (rng.NextDouble() - 0.5); _pDot[i] = rng.NextDouble() - 0.5; }
        for (int i = 0; i < _y.Length; i++) { _y[i] = 2 * rng.NextDouble() - 1; _a[i] = rng.NextDouble() - 0.5; }
        CheckAgreement();
    }

    [Benchmark(Baseline = true)] public double HandWrittenVjp() => Vjp(new HandWrittenMlp());
    [Benchmark] public double GeneratedVjp() => Vjp(new Mlp.RhsSystem());
    [Benchmark] public double VectorizedVjp() => Vjp(new VectorizedMlp.RhsSystem());
    [Benchmark] public double HandWrittenJvp() => Jvp(new HandWrittenMlp());
    [Benchmark] public double GeneratedJvp() => Jvp(new Mlp.RhsSystem());
    [Benchmark] public double VectorizedJvp() => Jvp(new VectorizedMlp.RhsSystem());
    [Benchmark] public double HandWrittenEvaluate() => Evaluate(new HandWrittenMlp());
    [Benchmark] public double GeneratedEvaluate() => Evaluate(new Mlp.RhsSystem());
    [Benchmark] public double VectorizedEvaluate() => Evaluate(new VectorizedMlp.RhsSystem());

    private double Evaluate<T>(T system) where T : struct, IOdeSystem
    {
        double sum = 0;
        for (int i = 0; i < Batch; i++)
        {
            system.Evaluate(0, _y.AsSpan(2 * i, 2), _p, _out);
            sum += _out[0];
        }
        return sum;
    }

    private double Jvp<T>(T system) where T : struct, IOdeSystem
    {
        double sum = 0;
        for (int i = 0; i < Batch; i++)
        {
            system.Jvp(0, _y.AsSpan(2 * i, 2), _p, 0, _yDot, _pDot, _out, _outDot);
            sum += _outDot[0];
        }
        return sum;
    }

    private double Vjp<T>(T system) where T : struct, IOdeSystem
    {
        double sum = 0;
        for (int i = 0; i < Batch; i++)
        {
            sum += system.Vjp(0, _y.AsSpan(2 * i, 2), _p, _a.AsSpan(2 * i, 2), _yBar, _pBar);
        }
        return sum + _yBar[0];
    }

    // Fails the run (rather than timing different work) if generated and hand-written products disagree.
    private void CheckAgreement()
    {
        CheckAgreement(new Mlp.RhsSystem());
        CheckAgreement(new VectorizedMlp.RhsSystem());
    }

    private void CheckAgreement<T>(T gen) where T : struct, IOdeSystem
    {
        var hand = new HandWrittenMlp();
        double[] f1 = new double[2], f2 = new double[2], d1 = new double[2], d2 = new double[2];
        double[] yb1 = new double[2], yb2 = new double[2], pb1 = new double[Mlp.Size], pb2 = new double[Mlp.Size];
        ReadOnlySpan<double> y = _y.AsSpan(0, 2), a = _a.AsSpan(0, 2);
        gen.Jvp(0, y, _p, 0, _yDot, _pDot, f1, d1);
        hand.Jvp(0, y, _p, 0, _yDot, _pDot, f2, d2);
        gen.Vjp(0, y, _p, a, yb1, pb1);
        hand.Vjp(0, y, _p, a, yb2, pb2);
        double worst = 0;
        foreach (var (u, v) in f1.Zip(f2).Concat(d1.Zip(d2)).Concat(yb1.Zip(yb2)).Concat(pb1.Zip(pb2)))
            worst = Math.Max(worst, Math.Abs(u - v) / Math.Max(1e-12, Math.Max(Math.Abs(u), Math.Abs(v))));
        if (worst > 1e-10) throw new InvalidOperationException($"generated and hand-written MLP differ by {worst:E2}");
    }
}
