using BenchmarkDotNet.Attributes;
using OdeGen.Models;

namespace OdeGen.Benchmarks;

/// <summary>
/// The ODE-Net's convolution (TimeConv2d, 3×3, padding 1, on its 6×6 images) forward + backward over 128 samples on one
/// thread: the matrix products on unfolded patches, one sample at a time (the baseline, <c>Forward</c>/<c>Backward</c>),
/// against the batch passes, which read the padded images directly (<c>DirectConvolution</c>). Both give the same bits.
/// <c>DirectBatchSingle</c>: the same batch passes with <see cref="ConvolutionPrecision.Single"/> (float sums, float tiles).
/// </summary>
[MemoryDiagnoser]
public class DirectConvolutionBenchmarks
{
    private const int Samples = 128;
    private TimeConv2d _conv = null!, _single = null!;
    private double[] _x = [], _p = [], _yBar = [], _y = [], _xBar = [], _pBar = [], _scratch = [], _batchScratch = [];

    /// <summary>Channels in and out (16: the classifier's default; 64: the paper's).</summary>
    [Params(16, 64)]
    public int Channels { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _conv = new TimeConv2d(Channels, Channels, 6, 6, kernel: 3, padding: 1);
        _single = new TimeConv2d(Channels, Channels, 6, 6, kernel: 3, padding: 1) { Precision = ConvolutionPrecision.Single };
        var random = new Random(5);
        _x = Conv2dFormulationBenchmarks.Fill(random, Samples * _conv.InputSize);
        _p = Conv2dFormulationBenchmarks.Fill(random, _conv.ParameterCount);
        _yBar = Conv2dFormulationBenchmarks.Fill(random, Samples * _conv.OutputSize);
        _y = new double[Samples * _conv.OutputSize];
        _xBar = new double[Samples * _conv.InputSize];
        _pBar = new double[_conv.ParameterCount];
        _scratch = new double[_conv.ScratchSize];
        _batchScratch = new double[Math.Max(_conv.BatchScratchSize(Samples), _single.BatchScratchSize(Samples))];
    }

    /// <summary>The products on unfolded patches, one sample at a time.</summary>
    [Benchmark(Baseline = true)]
    public double ProductsPerSample()
    {
        int n = _conv.InputSize, m = _conv.OutputSize;
        double tBar = 0.0;
        for (int s = 0; s < Samples; s++)
        {
            _conv.Forward(0.5, _x.AsSpan(s * n, n), _p, _y.AsSpan(s * m, m), _scratch);
            tBar += _conv.Backward(0.5, _x.AsSpan(s * n, n), _p, _yBar.AsSpan(s * m, m), _xBar.AsSpan(s * n, n), _pBar, _scratch);
        }

        return tBar;
    }

    /// <summary>The batch passes: direct forward, weight and input gradients.</summary>
    [Benchmark]
    public double DirectBatch()
    {
        _conv.ForwardBatch(0.5, Samples, _x, _p, _y, _batchScratch);
        return _conv.BackwardBatch(0.5, Samples, _x, _p, _yBar, _xBar, _pBar, _batchScratch);
    }

    /// <summary>The batch passes in single precision.</summary>
    [Benchmark]
    public double DirectBatchSingle()
    {
        _single.ForwardBatch(0.5, Samples, _x, _p, _y, _batchScratch);
        return _single.BackwardBatch(0.5, Samples, _x, _p, _yBar, _xBar, _pBar, _batchScratch);
    }
}
