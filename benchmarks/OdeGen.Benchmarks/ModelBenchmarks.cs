using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using OdeGen.Models;
using OdeGen.Neural;
using ModelConv2d = OdeGen.Models.Conv2d;

namespace OdeGen.Benchmarks;

/// <summary>
/// A batch of 32 through Linear(2→4) → ODE block (4 states, 8 tanh units, RK4 at 100 or 1,000 fixed steps) → Linear(4→2),
/// forward and backward on one thread, per sensitivity, as ratios over the back-solve adjoint. The OdeBlockBytes column is
/// the memory the block's backward pass took for one sample (<see cref="ModelMemory.OdeBlockBytes"/>, measured in the
/// host outside the timed runs): flat in the steps for the adjoint, growing with them for the discrete adjoint.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(Columns))]
public class OdeModelBatchBenchmarks
{
    private Model _model = null!;
    private double[] _parameters = [], _inputs = [], _targets = [], _gradient = [];

    /// <summary>Fixed RK4 steps over [0, 1].</summary>
    [Params(100, 1000)]
    public int Steps { get; set; }

    /// <summary>Sensitivity of the ODE block.</summary>
    [ParamsAllValues]
    public SensitivityChoice Sensitivity { get; set; }

    /// <summary>The sensitivities compared.</summary>
    public enum SensitivityChoice
    {
        /// <summary>Back-solve adjoint (the seeds' Algorithm 2).</summary>
        Backsolve,
        /// <summary>Interpolating (checkpointed) adjoint.</summary>
        Interpolating,
        /// <summary>Discrete adjoint (every step kept).</summary>
        Discrete,
    }

    [GlobalSetup]
    public void Setup()
    {
        _model = Build(Steps, Sensitivity);
        _parameters = _model.CreateParameters(seed: 1);
        _gradient = new double[_parameters.Length];
        var random = new Random(2);
        _inputs = Enumerable.Range(0, 64).Select(_ => random.NextDouble() - 0.5).ToArray();
        _targets = Enumerable.Range(0, 64).Select(_ => random.NextDouble() - 0.5).ToArray();
    }

    /// <summary>Forward + backward of the batch.</summary>
    [Benchmark]
    public double ForwardBackward() => _model.Gradient(_parameters, _inputs, _targets, Loss.MeanSquaredError, _gradient);

    private static Model Build(int steps, SensitivityChoice choice)
    {
        Sensitivity sensitivity = choice switch
        {
            SensitivityChoice.Backsolve => OdeGen.Sensitivity.BacksolveAdjoint,
            SensitivityChoice.Interpolating => OdeGen.Sensitivity.InterpolatingAdjoint(),
            _ => OdeGen.Sensitivity.DiscreteAdjoint,
        };
        var options = new SolverOptions { Method = OdeMethod.RK4, FixedStep = 1.0 / steps };
        return new Model(new Linear(2, 4), new OdeBlock<TanhMlpSystem>(new TanhMlpSystem(4, 8), 0, 1, sensitivity, options), new Linear(4, 2))
        { MaxDegreeOfParallelism = 1 };
    }

    // One sample's block backward bytes, measured in the host (deterministic for a fixed step).
    private static string BlockBytes(BenchmarkDotNet.Running.BenchmarkCase c)
    {
        int steps = (int)c.Parameters["Steps"];
        var choice = (SensitivityChoice)c.Parameters["Sensitivity"];
        Model model = Build(steps, choice);
        double[] p = model.CreateParameters(seed: 1), g = new double[p.Length];
        model.Gradient(p, [0.1, 0.2], [0, 0], Loss.MeanSquaredError, g);
        model.Gradient(p, [0.1, 0.2], [0, 0], Loss.MeanSquaredError, g);
        return model.Memory.OdeBlockBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private sealed class Columns : ManualConfig
    {
        public Columns() => AddColumn(new InfoColumn("OdeBlockBytes", BlockBytes));
    }
}

/// <summary>
/// Linear and Conv2d of the ODE-Net's shapes (batch 128; 64 channels on 7×7 and 32 channels on 14×14, 3×3 kernels, padding
/// 1; Linear 64 → 10) forward + backward through a one-layer model, as ratios over the forward pass alone (the baseline),
/// on one thread and on two.
/// </summary>
[MemoryDiagnoser]
public class LayerBatchBenchmarks
{
    private Model _model = null!;
    private double[] _parameters = [], _inputs = [], _targets = [], _outputs = [], _gradient = [];

    /// <summary>The layer and its shape.</summary>
    [Params("Linear64x10", "Conv64c7x7", "Conv32c14x14")]
    public string Shape { get; set; } = "";

    /// <summary>Threads.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        Layer layer = Shape switch
        {
            "Linear64x10" => new Linear(64, 10),
            "Conv64c7x7" => new ModelConv2d(64, 64, 7, 7, kernel: 3, padding: 1),
            _ => new ModelConv2d(32, 32, 14, 14, kernel: 3, padding: 1),
        };
        const int Batch = 128;
        _model = new Model(layer) { MaxDegreeOfParallelism = Threads };
        _parameters = _model.CreateParameters(seed: 1);
        _gradient = new double[_parameters.Length];
        var random = new Random(3);
        _inputs = Enumerable.Range(0, Batch * layer.InputSize).Select(_ => random.NextDouble() - 0.5).ToArray();
        _targets = new double[Batch * layer.OutputSize];
        _outputs = new double[Batch * layer.OutputSize];
    }

    /// <summary>The forward pass of the batch.</summary>
    [Benchmark(Baseline = true)]
    public void Forward() => _model.Predict(_parameters, _inputs, _outputs);

    /// <summary>Forward and backward of the batch (mean squared error against zeros).</summary>
    [Benchmark]
    public double ForwardBackward() => _model.Gradient(_parameters, _inputs, _targets, Loss.MeanSquaredError, _gradient);
}
