using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using OdeGen.Neural;
using OdeGen.Samples;
using OdeGen.Testing;

namespace OdeGen.Benchmarks;

/// <summary>
/// One training iteration of the spiral demo: the loss (forward solves of the 20 ten-point segments) and its
/// gradient with respect to the 252 weights, by <see cref="NeuralOdeTrainer{TSystem}.Gradient"/>, Dopri5 at
/// rtol 1e-7, atol 1e-9, mean absolute error. The weights and the batch are those of
/// tests/reference/spiral_init.json (torchdiffeq's first batch, the reproduction test's); where that file is
/// absent (a copy of the benchmarks outside a checkout), the demo's seeded start (N(0, 0.1²) weights, seed 0; batch seed 0) and
/// the Start column says so. The weights are not updated, so every operation does the same work; the Work
/// column gives that work (evaluations of f and VJPs per iteration, computed once outside the timed runs).
/// The interpolating adjoint is the baseline. The lane-block rows put the 20 segments (which share their ten times) into
/// lane blocks, one segment per lane, with the discrete adjoint of the shared lane steps
/// (<see cref="NeuralOdeTrainer{TSystem}.LaneBlocks"/>); their Work column counts lane calls (one call evaluates a whole
/// block: 8 segments with Lane512, 1 with Lane1), on one thread like the per-sample rows; the tape keeps each stage's
/// activations for the reverse sweep (<see cref="IOdeLaneSystemKept"/>), and the <c>Recomputed</c> rows keep none. The rows ending in
/// <c>VectorizedLoops</c> train <see cref="SpiralModelVectorized"/>, the same model generated with <c>VectorizeLoops = true</c>.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(Columns))]
public class NeuralTrainingBenchmarks
{
    private NeuralOdeTrainer<SpiralModel.RhsSystem> _interpolating = null!, _throughObservations = null!, _backsolve = null!, _discrete = null!,
        _laneBlocks = null!, _laneBlocksLane1 = null!, _laneBlocksRecomputed = null!, _laneBlocksLane1Recomputed = null!,
        _laneBlocksRestarting = null!, _laneBlocksLane1Restarting = null!;
    private NeuralOdeTrainer<SpiralModelVectorized.RhsSystem> _interpolatingVectorized = null!, _throughObservationsVectorized = null!, _backsolveVectorized = null!;
    private readonly double[] _gradient = new double[252];
    private Problem _problem = null!;

    /// <summary>Loads the start and the batch.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _problem = Problem.Instance.Value;
        _interpolating = Trainer(nameof(InterpolatingAdjoint));
        _throughObservations = Trainer(nameof(InterpolatingAdjointThroughObservations));
        _backsolve = Trainer(nameof(BacksolveAdjoint));
        _discrete = Trainer(nameof(DiscreteAdjoint));
        _laneBlocks = Trainer(nameof(DiscreteAdjointLaneBlocks));
        _laneBlocksLane1 = Trainer(nameof(DiscreteAdjointLaneBlocksLane1));
        _laneBlocksRecomputed = Trainer(nameof(DiscreteAdjointLaneBlocksRecomputed));
        _laneBlocksLane1Recomputed = Trainer(nameof(DiscreteAdjointLaneBlocksLane1Recomputed));
        _laneBlocksRestarting = Trainer(nameof(DiscreteAdjointLaneBlocksRestarting));
        _laneBlocksLane1Restarting = Trainer(nameof(DiscreteAdjointLaneBlocksLane1Restarting));
        _interpolatingVectorized = VectorizedTrainer(nameof(InterpolatingAdjointVectorizedLoops));
        _throughObservationsVectorized = VectorizedTrainer(nameof(InterpolatingAdjointThroughObservationsVectorizedLoops));
        _backsolveVectorized = VectorizedTrainer(nameof(BacksolveAdjointVectorizedLoops));
    }

    /// <summary>Interpolating adjoint, one checkpoint segment per sample (the sample's default: the observation times split each segment).</summary>
    [Benchmark(Baseline = true)] public double InterpolatingAdjoint() => Run(_interpolating);

    /// <summary>Interpolating adjoint whose forward passes run through each segment's points and interpolate there (InterpolateObservations).</summary>
    [Benchmark] public double InterpolatingAdjointThroughObservations() => Run(_throughObservations);

    /// <summary>Back-solve adjoint (the Neural-ODE paper's Algorithm 2).</summary>
    [Benchmark] public double BacksolveAdjoint() => Run(_backsolve);

    /// <summary>Discrete adjoint (exact gradient of the discrete solution).</summary>
    [Benchmark] public double DiscreteAdjoint() => Run(_discrete);

    /// <summary>Discrete adjoint of lane blocks at the hardware width (8 segments per block with AVX-512: 3 blocks).</summary>
    [Benchmark] public double DiscreteAdjointLaneBlocks() => Run(_laneBlocks);

    /// <summary>Lane blocks of one lane (Lane1): the ensemble machinery without SIMD, the same steps as the per-sample discrete adjoint.</summary>
    [Benchmark] public double DiscreteAdjointLaneBlocksLane1() => Run(_laneBlocksLane1);

    /// <summary>Lane blocks with a tape that keeps no primal values (KeptBytes 0): every reverse VJP computes its activations again.</summary>
    [Benchmark] public double DiscreteAdjointLaneBlocksRecomputed() => Run(_laneBlocksRecomputed);

    /// <summary>Lane blocks of one lane, keeping no primal values.</summary>
    [Benchmark] public double DiscreteAdjointLaneBlocksLane1Recomputed() => Run(_laneBlocksLane1Recomputed);

    /// <summary>Lane blocks that restart at every observation time as the per-sample discrete adjoint does (ContinueAtObservations off).</summary>
    [Benchmark] public double DiscreteAdjointLaneBlocksRestarting() => Run(_laneBlocksRestarting);

    /// <summary>Lane blocks of one lane restarting at every observation time: the per-sample discrete adjoint's steps.</summary>
    [Benchmark] public double DiscreteAdjointLaneBlocksLane1Restarting() => Run(_laneBlocksLane1Restarting);

    /// <summary>The interpolating adjoint with the model's loops vectorized.</summary>
    [Benchmark] public double InterpolatingAdjointVectorizedLoops() => Run(_interpolatingVectorized);

    /// <summary>The interpolating adjoint through the observations with the model's loops vectorized.</summary>
    [Benchmark] public double InterpolatingAdjointThroughObservationsVectorizedLoops() => Run(_throughObservationsVectorized);

    /// <summary>The back-solve adjoint with the model's loops vectorized.</summary>
    [Benchmark] public double BacksolveAdjointVectorizedLoops() => Run(_backsolveVectorized);

    private double Run<TSystem>(NeuralOdeTrainer<TSystem> trainer) where TSystem : struct, IOdeSystem
    {
        BatchResult r = trainer.Gradient(_problem.Parameters, _problem.Batch, _gradient);
        return r.Loss + _gradient[0];
    }

    /// <summary>The sensitivity a benchmark method uses.</summary>
    public static Sensitivity MethodOf(string name) => name.Replace("VectorizedLoops", "", StringComparison.Ordinal) switch
    {
        nameof(InterpolatingAdjoint) => Sensitivity.InterpolatingAdjoint(1),
        nameof(InterpolatingAdjointThroughObservations) => new InterpolatingAdjointSensitivity(1) { InterpolateObservations = true },
        nameof(BacksolveAdjoint) => Sensitivity.BacksolveAdjoint,
        _ => Sensitivity.DiscreteAdjoint,
    };

    private static NeuralOdeTrainer<SpiralModel.RhsSystem> Trainer(string method) =>
        new(default)
        {
            Solver = new SolverOptions { RelTol = 1e-7, AbsTol = 1e-9 },
            Sensitivity = MethodOf(method),
            LaneBlocks = method switch
            {
                nameof(DiscreteAdjointLaneBlocks) => LaneBlockBatching.For(default(SpiralModel.RhsSystem)),
                nameof(DiscreteAdjointLaneBlocksLane1) => LaneBlockBatching.For(default(SpiralModel.RhsSystem), LaneWidth.Lane1),
                nameof(DiscreteAdjointLaneBlocksRecomputed) => LaneBlockBatching.For(default(SpiralModel.RhsSystem), LaneWidth.Auto, keptBytes: 0),
                nameof(DiscreteAdjointLaneBlocksLane1Recomputed) => LaneBlockBatching.For(default(SpiralModel.RhsSystem), LaneWidth.Lane1, keptBytes: 0),
                nameof(DiscreteAdjointLaneBlocksRestarting) => LaneBlockBatching.For(default(SpiralModel.RhsSystem), LaneWidth.Auto,
                    EnsembleOptions.Default.KeptBytes, continueAtObservations: false),
                nameof(DiscreteAdjointLaneBlocksLane1Restarting) => LaneBlockBatching.For(default(SpiralModel.RhsSystem), LaneWidth.Lane1,
                    EnsembleOptions.Default.KeptBytes, continueAtObservations: false),
                _ => null,
            },
        };

    private static NeuralOdeTrainer<SpiralModelVectorized.RhsSystem> VectorizedTrainer(string method) =>
        new(default) { Solver = new SolverOptions { RelTol = 1e-7, AbsTol = 1e-9 }, Sensitivity = MethodOf(method) };

    /// <summary>One iteration's loss, gradient norm and work, outside the timed runs.</summary>
    public static string Work(string method)
    {
        Problem problem = Problem.Instance.Value;
        var gradient = new double[252];
        BatchResult r = method.EndsWith("VectorizedLoops", StringComparison.Ordinal)
            ? VectorizedTrainer(method).Gradient(problem.Parameters, problem.Batch, gradient)
            : Trainer(method).Gradient(problem.Parameters, problem.Batch, gradient);
        if (!r.IsSuccess) return r.Status.ToString();
        string calls = method.Contains("LaneBlocks", StringComparison.Ordinal) ? "lane calls: " : "";
        return FormattableString.Invariant($"{calls}f {r.FunctionEvaluations}, vjp {r.VjpEvaluations}; loss {r.Loss:F8}, |g| {r.GradientNorm:F8}");
    }

    /// <summary>The weights and the batch.</summary>
    private sealed class Problem
    {
        public static readonly Lazy<Problem> Instance = new(Load);

        public required double[] Parameters { get; init; }
        public required IReadOnlyList<TrajectorySample> Batch { get; init; }
        public required string Start { get; init; }

        private static Problem Load()
        {
            string? path = ReferenceFiles.Find("spiral_init.json");
            return path is null ? Seeded() : FromReference(path);
        }

        // tests/reference/spiral_init.json: W1, b1, W2, b2 and torchdiffeq's first batch (batch_y0 [20][2], batch_t [10], batch_y [10][20][2]).
        private static Problem FromReference(string path)
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            JsonElement root = doc.RootElement;
            var p = new List<double>();
            foreach (string name in new[] { "W1", "b1", "W2", "b2" }) p.AddRange(Flatten(root.GetProperty("weights").GetProperty(name)));
            if (p.Count != 252) throw new InvalidDataException($"{path}: {p.Count} weights, expected 252.");
            double[] t = Flatten(root.GetProperty("batch_t"));
            double[][] y0 = root.GetProperty("batch_y0").EnumerateArray().Select(Flatten).ToArray();
            double[][][] y = root.GetProperty("batch_y").EnumerateArray().Select(r => r.EnumerateArray().Select(Flatten).ToArray()).ToArray();
            var batch = new TrajectorySample[y0.Length];
            for (int m = 0; m < y0.Length; m++)
            {
                var target = new double[2 * t.Length];
                for (int i = 0; i < t.Length; i++) y[i][m].CopyTo(target, 2 * i);
                batch[m] = new TrajectorySample(y0[m], t[0], t, target);
            }
            return new Problem { Parameters = [.. p], Batch = batch, Start = "reference" };
        }

        // The demo's seeded start: the true spiral by Dopri5, weights N(0, 0.1²) from seed 0, the first batch of seed 0.
        private static Problem Seeded()
        {
            double[] times = Enumerable.Range(0, 1000).Select(i => i * (25.0 / 999)).ToArray();
            times[^1] = 25.0;
            OdeSolution truth = Ode.Solve(new TrueSpiralBench.RhsSystem(), [2.0, 0.0], [], 0, 25,
                new SolverOptions { RelTol = 1e-7, AbsTol = 1e-9, SaveAt = times }).EnsureSuccess();
            var states = new double[2 * times.Length];
            for (int i = 0; i < times.Length; i++) truth.State(i).CopyTo(states.AsSpan(2 * i, 2));
            var model = new TanhMlpSystem(2, 50, MlpInput.Cube);
            ParameterLayout layout = model.CreateLayout();
            double[] p = layout.CreateVector();
            var random = new Random(0);
            Initializers.Normal(layout["W1"].Of(p), random, 0.0, 0.1);
            Initializers.Normal(layout["W2"].Of(p), random, 0.0, 0.1);
            // Every segment over t[0..10), as the reference batch (torchdiffeq's batch_t), so the lane-block rows can block them.
            var sampler = new SegmentSampler(times, states, 2, segmentLength: 10, batchSize: 20, seed: 0) { SharedTimes = true };
            return new Problem { Parameters = p, Batch = sampler.Next(), Start = "seeded (no spiral_init.json)" };
        }

        private static double[] Flatten(JsonElement e)
        {
            var list = new List<double>();
            void Walk(JsonElement x)
            {
                if (x.ValueKind == JsonValueKind.Array) foreach (JsonElement c in x.EnumerateArray()) Walk(c);
                else list.Add(x.GetDouble());
            }
            Walk(e);
            return [.. list];
        }

        public static string StartOf() => Instance.Value.Start;
    }

    private sealed class Columns : ManualConfig
    {
        public Columns()
        {
            AddColumn(new InfoColumn("Start", _ => Problem.StartOf()));
            AddColumn(new InfoColumn("Work", c => Work(InfoColumn.Method(c))));
        }
    }
}

/// <summary>The spiral's truth, dy/dt = (y³)·A, for the seeded fallback of <see cref="NeuralTrainingBenchmarks"/>.</summary>
public static partial class TrueSpiralBench
{
    [OdeDynamics(States = 2, Parameters = 0)]
    public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        double u0 = y[0] * y[0] * y[0], u1 = y[1] * y[1] * y[1];
        dydt[0] = -0.1 * u0 - 2.0 * u1;
        dydt[1] = 2.0 * u0 - 0.1 * u1;
    }
}
