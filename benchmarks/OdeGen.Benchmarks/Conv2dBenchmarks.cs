using BenchmarkDotNet.Attributes;
using OdeGen.Layers;
using ModelConv2d = OdeGen.Models.Conv2d;

namespace OdeGen.Benchmarks;

/// <summary>
/// One sample through Conv2d forward + backward on the ODE-Net's shapes (64 channels on 7×7, 32 on 14×14, 3×3 kernel,
/// padding 1): the generated LinearFunction applied pixel by pixel (the layer's first formulation, the baseline) against
/// im2col + the blocked matrix product the layer uses now.
/// </summary>
[MemoryDiagnoser]
public class Conv2dFormulationBenchmarks
{
    private ModelConv2d _conv = null!;
    private double[] _x = [], _p = [], _y = [], _yBar = [], _xBar = [], _pBar = [], _scratch = [], _pixelScratch = [];

    /// <summary>The shape.</summary>
    [Params("Conv64c7x7", "Conv32c14x14")]
    public string Shape { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _conv = Shape == "Conv64c7x7" ? new ModelConv2d(64, 64, 7, 7, kernel: 3, padding: 1) : new ModelConv2d(32, 32, 14, 14, kernel: 3, padding: 1);
        var random = new Random(1);
        _x = Fill(random, _conv.InputSize);
        _p = Fill(random, _conv.ParameterCount);
        _yBar = Fill(random, _conv.OutputSize);
        _y = new double[_conv.OutputSize];
        _xBar = new double[_conv.InputSize];
        _pBar = new double[_conv.ParameterCount];
        _scratch = new double[_conv.ScratchSize];
        _pixelScratch = new double[_conv.PerPixelScratchSize];
    }

    /// <summary>The generated per-pixel LinearFunction: Evaluate then Vjp at each output pixel.</summary>
    [Benchmark(Baseline = true)]
    public void PerPixelGenerated()
    {
        _conv.ForwardPerPixel(0.0, _x, _p, _y, _pixelScratch);
        _conv.BackwardPerPixel(0.0, _x, _p, _yBar, _xBar, _pBar, _pixelScratch);
    }

    /// <summary>im2col + three blocked matrix products + col2im (the layer's Forward and Backward).</summary>
    [Benchmark]
    public void MatrixProducts()
    {
        _conv.Forward(_x, _p, _y, _scratch);
        _conv.Backward(_x, _p, _yBar, _xBar, _pBar, _scratch);
    }

    internal static double[] Fill(Random random, int length) => Enumerable.Range(0, length).Select(_ => random.NextDouble() - 0.5).ToArray();
}

/// <summary>
/// The convolution's three products on the ODE-Net's 64-channel 7×7 shape (forward 64×49×576, input gradient 576×49×64,
/// weight gradient 64×576×49) in double (baseline) and in float: what float32 end to end would gain in the layers.
/// </summary>
public class GemmPrecisionBenchmarks
{
    private const int Channels = 64, Pixels = 49, Patch = 576;
    private double[] _w = [], _cols = [], _y = [], _work = [], _colsBar = [], _wBar = [];
    private float[] _wf = [], _colsf = [], _yf = [], _workf = [], _colsBarf = [], _wBarf = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(2);
        _w = Conv2dFormulationBenchmarks.Fill(random, Channels * Patch);
        _cols = Conv2dFormulationBenchmarks.Fill(random, Patch * Pixels);
        _y = Conv2dFormulationBenchmarks.Fill(random, Channels * Pixels);
        _colsBar = new double[Patch * Pixels];
        _wBar = new double[Channels * Patch];
        int work = Math.Max(Gemm.WorkspaceSize(Channels, Pixels, Patch), Math.Max(Gemm.WorkspaceSize(Patch, Pixels, Channels), Gemm.WorkspaceSize(Channels, Patch, Pixels)));
        _work = new double[work];
        _wf = _w.Select(v => (float)v).ToArray();
        _colsf = _cols.Select(v => (float)v).ToArray();
        _yf = _y.Select(v => (float)v).ToArray();
        _colsBarf = new float[Patch * Pixels];
        _wBarf = new float[Channels * Patch];
        _workf = new float[work];
    }

    /// <summary>The three products in double.</summary>
    [Benchmark(Baseline = true)]
    public void Double() => Three<double>(_w, _cols, _y, _colsBar, _wBar, _work);

    /// <summary>The same in float.</summary>
    [Benchmark]
    public void Single() => Three<float>(_wf, _colsf, _yf, _colsBarf, _wBarf, _workf);

    private static void Three<T>(T[] w, T[] cols, T[] y, T[] colsBar, T[] wBar, T[] work)
        where T : unmanaged
    {
        Gemm.Multiply<T>(Channels, Pixels, Patch, w, Patch, 1, cols, Pixels, 1, y, Pixels, false, work);
        Gemm.Multiply<T>(Channels, Patch, Pixels, y, Pixels, 1, cols, 1, Pixels, wBar, Patch, true, work);
        Gemm.Multiply<T>(Patch, Pixels, Channels, w, 1, Patch, y, Pixels, 1, colsBar, Pixels, false, work);
    }
}

/// <summary>
/// A batch of 128 through a one-Conv2d model (ODE-Net shapes) forward + backward on one thread: one sample at a time
/// (<see cref="LaneWidth.Lane1"/>, the baseline) against lane groups, whose products are lanes times wider.
/// </summary>
public class Conv2dLaneBenchmarks
{
    private Models.Model _model = null!;
    private double[] _parameters = [], _inputs = [], _targets = [], _gradient = [];

    /// <summary>The shape.</summary>
    [Params("Conv64c7x7", "Conv32c14x14")]
    public string Shape { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        ModelConv2d conv = Shape == "Conv64c7x7" ? new ModelConv2d(64, 64, 7, 7, kernel: 3, padding: 1) : new ModelConv2d(32, 32, 14, 14, kernel: 3, padding: 1);
        _model = new Models.Model(conv) { MaxDegreeOfParallelism = 1 };
        _parameters = _model.CreateParameters(seed: 1);
        _gradient = new double[_parameters.Length];
        _inputs = Conv2dFormulationBenchmarks.Fill(new Random(3), 128 * conv.InputSize);
        _targets = new double[128 * conv.OutputSize];
    }

    /// <summary>One sample at a time.</summary>
    [Benchmark(Baseline = true)]
    public double OneSampleAtATime()
    {
        _model.Lanes = LaneWidth.Lane1;
        return _model.Gradient(_parameters, _inputs, _targets, Models.Loss.MeanSquaredError, _gradient);
    }

    /// <summary>Lane groups of the widest hardware width.</summary>
    [Benchmark]
    public double LaneGroups()
    {
        _model.Lanes = LaneWidth.Auto;
        return _model.Gradient(_parameters, _inputs, _targets, Models.Loss.MeanSquaredError, _gradient);
    }
}
