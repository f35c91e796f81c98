using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using OdeGen.Flows;

namespace OdeGen.Benchmarks;

/// <summary>
/// One training iteration of a continuous normalizing flow (loss and gradient of the mean NLL over a batch of 512
/// points of 8gaussians, the 2→64→64→2 tanh field of <see cref="CnfMlp"/>): exact trace against Hutchinson's, scalar
/// code against the generated lane methods, adaptive Dopri5 (1e-5, interpolating adjoint) against fixed-step RK4
/// (20 steps, discrete adjoint). Baseline: scalar, same trace and steps. The NFE column (forward/backward evaluations
/// per solve of 64 samples) comes from one run outside the timing.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(Columns))]
public class CnfTrainingBenchmarks
{
    private ContinuousNormalizingFlow<CnfMlp.RhsSystem> _scalar = null!, _lanes = null!;
    private double[] _points = [], _p = [], _gradient = [];

    [Params("exact", "hutchinson")]
    public string Trace { get; set; } = "exact";

    [Params("adaptive", "fixed")]
    public string Steps { get; set; } = "adaptive";

    [GlobalSetup]
    public void Setup()
    {
        (_scalar, _lanes, _points, _p) = Build(Trace, Steps);
        _gradient = new double[_p.Length];
    }

    [Benchmark(Baseline = true)]
    public double Scalar() => _scalar.LossGradient(_points, _p, _gradient, seed: 1).Loss;

    [Benchmark]
    public double Lanes() => _lanes.LossGradient(_points, _p, _gradient, seed: 1).Loss;

    private static (ContinuousNormalizingFlow<CnfMlp.RhsSystem>, ContinuousNormalizingFlow<CnfMlp.RhsSystem>, double[], double[]) Build(string trace, string steps)
    {
        var options = new CnfOptions
        {
            Trace = trace == "exact" ? CnfTrace.Exact : CnfTrace.Hutchinson,
            Solver = steps == "fixed" ? new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.05 } : new SolverOptions { RelTol = 1e-5, AbsTol = 1e-5 },
            Sensitivity = steps == "fixed" ? Sensitivity.DiscreteAdjoint : Sensitivity.InterpolatingAdjoint(checkpoints: 1),
            ChunkSize = 64,
            MaxDegreeOfParallelism = 1,
        };
        var field = new CnfMlp.RhsSystem(CnfMlp.Size);
        var random = new Random(7);
        var p = new double[CnfMlp.Size];
        for (int i = 0; i < p.Length; i++) p[i] = ((2 * random.NextDouble()) - 1) * 0.2;
        // 8gaussians: centres at radius 2√2, standard deviation 0.5/√2.
        var points = new double[2 * 512];
        for (int i = 0; i < 512; i++)
        {
            int k = random.Next(8);
            double u = 1 - random.NextDouble(), v = random.NextDouble(), r = Math.Sqrt(-2 * Math.Log(u)) * 0.35355339059327373;
            points[2 * i] = (2.8284271247461903 * Math.Cos(k * Math.PI / 4)) + (r * Math.Cos(2 * Math.PI * v));
            points[(2 * i) + 1] = (2.8284271247461903 * Math.Sin(k * Math.PI / 4)) + (r * Math.Sin(2 * Math.PI * v));
        }
        return (new(field, options), ContinuousNormalizingFlow.WithLanes(field, options), points, p);
    }

    private sealed class Columns : ManualConfig
    {
        public Columns() => AddColumn(new InfoColumn("NFE f/b", c =>
        {
            var (scalar, _, points, p) = Build(InfoColumn.Param(c, nameof(Trace), "exact"), InfoColumn.Param(c, nameof(Steps), "adaptive"));
            CnfLoss loss = scalar.LossGradient(points, p, new double[p.Length], seed: 1);
            return $"{loss.Forward.EvaluationsPerSolve:F0}/{loss.Backward.EvaluationsPerSolve:F0}";
        }));
    }
}

/// <summary>
/// The augmented CNF dynamics of a batch of 64 samples, one evaluation, for D = 2, 8, 32: exact trace (generated
/// Divergence) against Hutchinson's (one Jvp along ε) — the trace's share of a solve's cost as D grows. The trace by D
/// Jvps is in <see cref="SecondOrderBenchmarks{TSystem}"/> (TraceFromNJvps).
/// </summary>
[MemoryDiagnoser]
public class CnfTraceBenchmarks
{
    private Action _exact = null!, _hutchinson = null!;

    [Params(2, 8, 32)]
    public int D { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (_exact, _hutchinson) = D switch
        {
            2 => (Make(new CnfMlp.RhsSystem(CnfMlp.Size), true), Make(new CnfMlp.RhsSystem(CnfMlp.Size), false)),
            8 => (Make(new Field8.RhsSystem(), true), Make(new Field8.RhsSystem(), false)),
            _ => (Make(new Field32.RhsSystem(Field32.Size), true), Make(new Field32.RhsSystem(Field32.Size), false)),
        };
    }

    [Benchmark(Baseline = true)]
    public void Exact() => _exact();

    [Benchmark]
    public void Hutchinson() => _hutchinson();

    private static Action Make<TSystem>(TSystem field, bool exact) where TSystem : struct, IOdeSystemSecondOrder
    {
        const int Batch = 64;
        int d = field.StateCount, m = field.ParameterCount;
        var random = new Random(3);
        double[] Vector(int length, double scale) => Enumerable.Range(0, length).Select(_ => scale * ((2 * random.NextDouble()) - 1)).ToArray();
        var system = new CnfAugmentedSystem<ScalarCnfKernel<TSystem>, OdeGen.Lanes.Lane1>(new(field), Batch, exact, kinetic: false, jacobian: false,
            exact ? [] : CnfNoiseSource.Draw(CnfNoise.Rademacher, 1, Batch * d));
        double[] y = Vector(system.StateCount, 0.8), p = Vector(m, 1 / Math.Sqrt(Math.Min(m, 64))), f = new double[system.StateCount];
        return () => system.Evaluate(0.3, y, p, f);
    }
}

/// <summary>
/// One training iteration of torchdiffeq's examples/cnf.py setup (hypernetwork hidden 32, width 64; batch 512 of two noisy
/// circles, radii 1 and 0.5, noise 0.06; exact trace; Dopri5 at 1e-5 from t = 10 to 0) on 1 and 2 threads, two ways:
/// the field written per sample (<see cref="OdeGen.Samples.Cnf.CnfHyper"/>, lanes, chunks of 64; the baseline), and split
/// (<see cref="OdeGen.Samples.Cnf.CnfHyperSplit"/> through <see cref="ContinuousNormalizingFlow.WithHypernetwork"/>: the
/// hypernetwork once per evaluation, the layer per sample in lanes, one chunk per thread) with the interpolating adjoint
/// and with the discrete adjoint (torch's backpropagation through the solver). benchmarks/peers/cnf_torch.py times the
/// same step in torch; the NFE column is forward/backward evaluations per solve at the initial weights.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(Columns))]
public class CnfHyperBenchmarks
{
    private CnfFlow _perSample = null!, _split = null!, _splitDiscrete = null!;
    private double[] _points = [], _p = [], _gradient = [];

    [Params(1, 2)]
    public int Threads { get; set; } = 1;

    /// <summary>
    /// True: the fields as generated, whose f with its divergence and whose two VJPs are one sweep each
    /// (<see cref="IOdeAugmentedSystemSecondOrder"/>); false: behind <see cref="OdeGen.Testing.TwoCallsSecondOrder{TSystem}"/>,
    /// the separate calls of before (Evaluate and Divergence, Vjp and DivergenceVjp).
    /// </summary>
    [Params(true, false)]
    public bool OneSweep { get; set; } = true;

    /// <summary>
    /// The split field's per-sample arithmetic: false, double lanes; true, <see cref="CnfPrecision.Single"/> (16 float
    /// lanes, the solver's state double; torch's examples/cnf.py runs float32). The per-sample baseline stays double.
    /// A bool, so that OdeGen.AbCompare can set it.
    /// </summary>
    [Params(false, true)]
    public bool Float32 { get; set; }

    private CnfPrecision Precision => Float32 ? CnfPrecision.Single : CnfPrecision.Double;

    [GlobalSetup]
    public void Setup()
    {
        _perSample = Build("PerSampleField", Threads, OneSweep);
        _split = Build("SplitField", Threads, OneSweep, Precision);
        _splitDiscrete = Build("SplitFieldDiscreteAdjoint", Threads, OneSweep, Precision);
        (_points, _p) = (Points(), OdeGen.Samples.Cnf.CnfHyper.Initial(0));
        _gradient = new double[_p.Length];
    }

    [Benchmark(Baseline = true)]
    public double PerSampleField() => _perSample.LossGradient(_points, _p, _gradient, seed: 1).Loss;

    [Benchmark]
    public double SplitField() => _split.LossGradient(_points, _p, _gradient, seed: 1).Loss;

    [Benchmark]
    public double SplitFieldDiscreteAdjoint() => _splitDiscrete.LossGradient(_points, _p, _gradient, seed: 1).Loss;

    private static CnfFlow Build(string method, int threads, bool oneSweep = true, CnfPrecision precision = CnfPrecision.Double)
    {
        bool split = method != "PerSampleField";
        var options = new CnfOptions
        {
            T1 = 10, Solver = new SolverOptions { RelTol = 1e-5, AbsTol = 1e-5 },
            Sensitivity = method == "SplitFieldDiscreteAdjoint" ? Sensitivity.DiscreteAdjoint : Sensitivity.InterpolatingAdjoint(checkpoints: 1),
            // Split: one chunk per thread (each chunk computes the hypernetwork once per evaluation); per sample: chunks of 64.
            ChunkSize = split ? 512 / threads : 64, MaxDegreeOfParallelism = threads,
            Precision = split ? precision : CnfPrecision.Double,
        };
        var hypernetwork = new OdeGen.Samples.Cnf.CnfHyperSplit.HypernetworkFunction(OdeGen.Samples.Cnf.CnfHyper.Size);
        var layer = new OdeGen.Samples.Cnf.CnfHyperSplit.LayerSystem();
        var field = new OdeGen.Samples.Cnf.CnfHyper.RhsSystem(OdeGen.Samples.Cnf.CnfHyper.Size);
        return (split, oneSweep) switch
        {
            (true, true) => ContinuousNormalizingFlow.WithHypernetwork(hypernetwork, layer, options),
            (true, false) => ContinuousNormalizingFlow.WithHypernetwork(hypernetwork, new OdeGen.Testing.TwoCallsSecondOrder<OdeGen.Samples.Cnf.CnfHyperSplit.LayerSystem>(layer), options),
            (false, true) => ContinuousNormalizingFlow.WithLanes(field, options),
            (false, false) => ContinuousNormalizingFlow.WithLanes(new OdeGen.Testing.TwoCallsSecondOrder<OdeGen.Samples.Cnf.CnfHyper.RhsSystem>(field), options),
        };
    }

    private static double[] Points()
    {
        var random = new Random(11);
        var points = new double[2 * 512];
        for (int i = 0; i < 512; i++)
        {
            double radius = i < 256 ? 1.0 : 0.5, angle = 2 * Math.PI * random.NextDouble();
            double u = 1 - random.NextDouble(), v = random.NextDouble(), r = Math.Sqrt(-2 * Math.Log(u)) * 0.06;
            points[2 * i] = (radius * Math.Cos(angle)) + (r * Math.Cos(2 * Math.PI * v));
            points[(2 * i) + 1] = (radius * Math.Sin(angle)) + (r * Math.Sin(2 * Math.PI * v));
        }
        return points;
    }

    private sealed class Columns : ManualConfig
    {
        public Columns() => AddColumn(new InfoColumn("NFE f/b", c =>
        {
            double[] p = OdeGen.Samples.Cnf.CnfHyper.Initial(0);
            var precision = c.Parameters.Items.FirstOrDefault(i => i.Name == nameof(Float32))?.Value is true ? CnfPrecision.Single : CnfPrecision.Double;
            CnfLoss loss = Build(InfoColumn.Method(c), 1, precision: precision).LossGradient(Points(), p, new double[p.Length], seed: 1);
            return $"{loss.Forward.EvaluationsPerSolve:F0}/{loss.Backward.EvaluationsPerSolve:F0}";
        }));
    }
}
