using BenchmarkDotNet.Attributes;
using OdeGen.Models;
using ModelConv2d = OdeGen.Models.Conv2d;

namespace OdeGen.Benchmarks;

/// <summary>
/// Forward + backward of one run of 32 samples through a layer, one sample at a time (Forward/Backward, the baseline) against
/// batch-major (ForwardBatch/BackwardBatch: one im2col over the run and one matrix product each way for a convolution, one
/// product over the run for a linear layer), as ratios in one run. Shapes: the ODE-Net's middle (3×3 convolutions over
/// 6×6 images at 16 and 64 channels), its stem's strided convolution (4×4, stride 2, 26×26 → 13×13, 16 channels), its head
/// (Linear 64→10) and a wider linear layer (256→256).
/// </summary>
[MemoryDiagnoser]
public class BatchMajorLayerBenchmarks
{
    private const int Count = 32;
    private Layer _layer = null!;
    private double[] _x = [], _p = [], _y = [], _yBar = [], _xBar = [], _pBar = [], _scratch = [], _batchScratch = [];

    /// <summary>The layer and shape.</summary>
    [Params("Conv 16ch 6x6 k3", "Conv 64ch 6x6 k3", "Conv 16ch 26x26 k4 s2", "Linear 64-10", "Linear 256-256")]
    public string Shape { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _layer = Shape switch
        {
            "Conv 16ch 6x6 k3" => new ModelConv2d(16, 16, 6, 6, kernel: 3, padding: 1),
            "Conv 64ch 6x6 k3" => new ModelConv2d(64, 64, 6, 6, kernel: 3, padding: 1),
            "Conv 16ch 26x26 k4 s2" => new ModelConv2d(16, 16, 26, 26, kernel: 4, stride: 2, padding: 1),
            "Linear 64-10" => new Linear(64, 10),
            _ => new Linear(256, 256),
        };
        var random = new Random(1);
        double[] Random(int n) => Enumerable.Range(0, n).Select(_ => random.NextDouble() - 0.5).ToArray();
        _x = Random(Count * _layer.InputSize);
        _p = Random(_layer.ParameterCount);
        _yBar = Random(Count * _layer.OutputSize);
        _y = new double[Count * _layer.OutputSize];
        _xBar = new double[Count * _layer.InputSize];
        _pBar = new double[_layer.ParameterCount];
        _scratch = new double[_layer.ScratchSize];
        _batchScratch = new double[_layer.BatchScratchSize(Count)];
    }

    /// <summary>Each sample through Forward and Backward.</summary>
    [Benchmark(Baseline = true)]
    public double OneSampleAtATime()
    {
        int n = _layer.InputSize, m = _layer.OutputSize;
        for (int s = 0; s < Count; s++)
        {
            _layer.Forward(_x.AsSpan(s * n, n), _p, _y.AsSpan(s * m, m), _scratch);
            _layer.Backward(_x.AsSpan(s * n, n), _p, _yBar.AsSpan(s * m, m), _xBar.AsSpan(s * n, n), _pBar, _scratch);
        }

        return _y[0] + _pBar[0];
    }

    /// <summary>The run through ForwardBatch and BackwardBatch.</summary>
    [Benchmark]
    public double BatchMajor()
    {
        _layer.ForwardBatch(Count, _x, _p, _y, _batchScratch);
        _layer.BackwardBatch(Count, _x, _p, _yBar, _xBar, _pBar, _batchScratch);
        return _y[0] + _pBar[0];
    }
}

/// <summary>
/// GroupNorm's forward + backward over one run of 32 samples: the generated function one sample and one group at a time (the
/// layer's passes before #15's batch-major work, the baseline) against the SIMD kernel over the run. Shapes: the classifier's
/// stem (16 channels, 26×26 and 13×13, one channel per group) and the ODE-Net's middle (6×6 at 16 and 64 channels).
/// </summary>
[MemoryDiagnoser]
public class GroupNormBenchmarks
{
    private const int Count = 32;
    private GroupNorm _layer = null!;
    private double[] _x = [], _p = [], _y = [], _yBar = [], _xBar = [], _pBar = [];

    /// <summary>Channels × pixels (groups: min(32, channels), as torchdiffeq's).</summary>
    [Params("16ch 26x26", "16ch 13x13", "16ch 6x6", "64ch 6x6")]
    public string Shape { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        (int channels, int side) = Shape switch
        {
            "16ch 26x26" => (16, 26),
            "16ch 13x13" => (16, 13),
            "16ch 6x6" => (16, 6),
            _ => (64, 6),
        };
        _layer = new GroupNorm(Math.Min(32, channels), channels, side * side);
        var random = new Random(1);
        double[] Random(int n) => Enumerable.Range(0, n).Select(_ => random.NextDouble() - 0.5).ToArray();
        _x = Random(Count * _layer.InputSize);
        _p = Random(_layer.ParameterCount);
        _yBar = Random(Count * _layer.OutputSize);
        _y = new double[_x.Length];
        _xBar = new double[_x.Length];
        _pBar = new double[_layer.ParameterCount];
    }

    /// <summary>The generated Evaluate and Vjp, sample by sample and group by group.</summary>
    [Benchmark(Baseline = true)]
    public double GeneratedPerSample()
    {
        int n = _layer.InputSize;
        for (int s = 0; s < Count; s++)
        {
            _layer.ForwardGenerated(_x.AsSpan(s * n, n), _p, _y.AsSpan(s * n, n));
            _layer.BackwardGenerated(_x.AsSpan(s * n, n), _p, _yBar.AsSpan(s * n, n), _xBar.AsSpan(s * n, n), _pBar);
        }

        return _y[0] + _pBar[0];
    }

    /// <summary>ForwardBatch and BackwardBatch: the SIMD kernel over the run.</summary>
    [Benchmark]
    public double KernelBatch()
    {
        _layer.ForwardBatch(Count, _x, _p, _y, []);
        _layer.BackwardBatch(Count, _x, _p, _yBar, _xBar, _pBar, []);
        return _y[0] + _pBar[0];
    }
}
