using OdeGen.Neural;
using Xunit.Abstractions;

namespace OdeGen.Tests.Neural;

/// <summary>
/// The trainer's lane-block mode (<see cref="NeuralOdeTrainer{TSystem}.LaneBlocks"/>) on the spiral demo's reference
/// batch (tests/reference/spiral_init.json: 20 segments over the same ten times, one per lane): against the per-sample
/// discrete adjoint, on one and two threads, and a short training run.
/// </summary>
public sealed class LaneTrainingTests(ITestOutputHelper output)
{
    private static readonly SpiralModel.RhsSystem Model = new();
    private static readonly Lazy<SpiralReference> Reference = new(() => SpiralReference.Load(new TanhMlpSystem(2, 50, MlpInput.Cube).CreateLayout()));

    // restart: the lane blocks restart at every observation time as the per-sample discrete adjoint does, instead of going
    // on through them (LaneBlockBatching's default, EnsembleOptions.ContinueAtObservations).
    private static NeuralOdeTrainer<SpiralModel.RhsSystem> Trainer(SolverOptions solver, bool lanes, int threads = 1, LaneWidth width = LaneWidth.Auto,
        bool restart = false) =>
        new(Model)
        {
            Solver = solver,
            Sensitivity = Sensitivity.DiscreteAdjoint,
            LaneBlocks = lanes ? LaneBlockBatching.For(Model, width, EnsembleOptions.Default.KeptBytes, continueAtObservations: !restart) : null,
            MaxDegreeOfParallelism = threads,
        };

    private static (BatchResult Result, double[] Gradient) Gradient(NeuralOdeTrainer<SpiralModel.RhsSystem> trainer)
    {
        SpiralReference reference = Reference.Value;
        var gradient = new double[Model.ParameterCount];
        BatchResult result = trainer.Gradient(reference.Parameters, reference.Batch, gradient);
        Assert.True(result.IsSuccess, result.Status.ToString());
        return (result, gradient);
    }

    // ‖a − b‖ / ‖b‖.
    private static double NormwiseError(double[] a, double[] b)
    {
        double d = 0, s = 0;
        for (int i = 0; i < a.Length; i++) { d += (a[i] - b[i]) * (a[i] - b[i]); s += b[i] * b[i]; }
        return Math.Sqrt(d / s);
    }

    [Fact]
    public void FixedStep_EqualsPerSampleDiscreteAdjoint()
    {
        // With a fixed step the lanes take exactly the per-sample steps (restarting at every observation time as the
        // scalar forward pass does), so the only differences are the vector tanh kernel (≤ 2 ulp from Math.Tanh) and
        // the order of the sum over samples: rounding, ~1e-15 per operation over ~150 steps per sample.
        var solver = new SolverOptions { Method = OdeMethod.Dopri5, FixedStep = 0.004 };
        foreach (LaneWidth width in new[] { LaneWidth.Lane1, LaneWidth.Auto })
        {
            var (lane, g) = Gradient(Trainer(solver, lanes: true, width: width));
            var (sample, gs) = Gradient(Trainer(solver, lanes: false));
            double error = NormwiseError(g, gs);
            output.WriteLine($"{width}: loss {lane.Loss:R} vs {sample.Loss:R}, gradient normwise {error:E2}");
            Assert.True(error < 1e-12, $"{width}: {error:E2}");
            Assert.Equal(sample.Loss, lane.Loss, 13);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Adaptive_MatchesPerSampleDiscreteAdjoint_ToTheSolverTolerance(bool restart)
    {
        // Dopri5 at rtol 1e-7, atol 1e-9 (the demo's). On the reference batch every 0.025-long interval is one step for
        // every segment, alone or in a block, restarting or not (the first step reaches the next time and is accepted,
        // and so is the controller's next proposal, cut to the next time), so the lanes take the per-sample steps and the
        // numbers agree to rounding (measured 2e-16 normwise).
        var (lane, g) = Gradient(Trainer(SpiralSetupSolver, lanes: true, restart: restart));
        var (sample, gs) = Gradient(Trainer(SpiralSetupSolver, lanes: false));
        double error = NormwiseError(g, gs);
        output.WriteLine($"reference batch: loss {lane.Loss:R} vs {sample.Loss:R}; gradient normwise {error:E2}; lane calls f {lane.FunctionEvaluations}, VJP {lane.VjpEvaluations}; per sample f {sample.FunctionEvaluations}, VJP {sample.VjpEvaluations}");
        Assert.True(error < 1e-12, $"{error:E2}");
        Assert.Equal(sample.Loss, lane.Loss, 14);
        // And against torchdiffeq's float64 results, as the per-sample methods are checked (reproduction test: 1e-6).
        foreach (var (name, entry) in Reference.Value.Results)
        {
            Assert.True(NormwiseError(g, entry.Gradient) < 1e-6, name);
            Assert.True(Math.Abs(lane.Loss - entry.Loss) < 1e-6 * entry.Loss, name);
        }
        if (!restart)
        {
            // Going on through the ten times takes the restarting blocks' steps (autonomous dynamics: f at the step's end
            // is f at the time, bit for bit), so the same bits, and saves the restarts' two lane evaluations of f (a fresh
            // f, the first step's trial Euler step) at each time but the first after t0 (the ten times start at t0: nine
            // intervals, eight restarts) in each block.
            TrajectorySample head = Reference.Value.Batch[0];
            int restarts = head.Times.Count(t => t != head.T0) - 1;
            Assert.Equal(8, restarts);
            int lanes = EnsembleOptions.LaneCount(LaneWidth.Auto), blocks = (Reference.Value.Batch.Count + lanes - 1) / lanes;
            var (restarted, gr) = Gradient(Trainer(SpiralSetupSolver, lanes: true, restart: true));
            Assert.Equal(gr, g);
            Assert.Equal(restarted.Loss, lane.Loss);
            Assert.Equal(restarted.FunctionEvaluations - 2 * restarts * blocks, lane.FunctionEvaluations);
            Assert.Equal(restarted.VjpEvaluations, lane.VjpEvaluations);
        }

        // Ten times longer intervals (the same starts and targets, times 0, 0.25, …, 2.25): several steps per interval,
        // and a block of 8 shares each one, chosen by the lane with the largest error. Every lane's local error stays
        // within its tolerance but its steps are not its own: two discretizations, each within the tolerance of the
        // exact flow, whose gradients differ at that level or below. The states are O(1), so rtol = 1e-7 sets the
        // scale and is the bound (measured: 5e-11 normwise, loss 3e-12 relative). Going on through the times instead of
        // restarting, the blocks take fewer, longer steps (f 414 and 408 VJPs against 594 and 540 lane calls): a third
        // discretization (measured 2.5e-10 normwise, loss 2e-11 relative).
        SpiralReference reference = Reference.Value;
        double[] longTimes = Enumerable.Range(0, 10).Select(i => 0.25 * i).ToArray();
        var stretched = reference.Batch.Select(s => s with { Times = longTimes }).ToList();
        var gl = new double[Model.ParameterCount];
        var gls = new double[Model.ParameterCount];
        BatchResult l = Trainer(SpiralSetupSolver, lanes: true, restart: restart).Gradient(reference.Parameters, stretched, gl);
        BatchResult ls = Trainer(SpiralSetupSolver, lanes: false).Gradient(reference.Parameters, stretched, gls);
        Assert.True(l.IsSuccess && ls.IsSuccess);
        double stretchedError = NormwiseError(gl, gls);
        output.WriteLine($"stretched batch: loss {l.Loss:R} vs {ls.Loss:R}; gradient normwise {stretchedError:E2}; lane calls f {l.FunctionEvaluations}, VJP {l.VjpEvaluations}; per sample f {ls.FunctionEvaluations}, VJP {ls.VjpEvaluations}");
        Assert.True(stretchedError < 1e-7, $"{stretchedError:E2}");
        Assert.True(Math.Abs(l.Loss - ls.Loss) < 1e-7 * ls.Loss, $"{l.Loss} vs {ls.Loss}");
    }

    private static readonly SolverOptions SpiralSetupSolver = new() { RelTol = 1e-7, AbsTol = 1e-9 };

    [Fact]
    public void SameNumbers_OnOneOrTwoThreads()
    {
        var (one, g1) = Gradient(Trainer(SpiralSetupSolver, lanes: true, threads: 1));
        var (two, g2) = Gradient(Trainer(SpiralSetupSolver, lanes: true, threads: 2));
        Assert.Equal(g1, g2);
        Assert.Equal(one.Loss, two.Loss);
        Assert.Equal(one.FunctionEvaluations, two.FunctionEvaluations);
        Assert.Equal(one.VjpEvaluations, two.VjpEvaluations);
    }

    // The adaptive spiral setup and a fixed step (several registers per block: EnsembleLayout.Registers), at Lane1 and the hardware width.
    public static TheoryData<string, LaneWidth> AllocationCases => new()
    {
        { "adaptive", LaneWidth.Auto }, { "adaptive", LaneWidth.Lane1 }, { "fixed", LaneWidth.Auto }, { "fixed", LaneWidth.Lane1 },
    };

    private static SolverOptions AllocationSolver(string kind) =>
        kind == "fixed" ? new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.01 } : SpiralSetupSolver;

    // One thread: the trainer keeps its lane blocks' problem, worker (solver, tape, reverse step), result and buffers
    // between calls, so after the first call of a shape an iteration's gradient allocates nothing. The least of three
    // calls is asserted: the runtime itself now and then allocates a few hundred bytes on the thread (seen once in the full
    // Neural/Ensemble run: 256 bytes, as tiered compilation swaps in optimized code); an allocation of the trainer's own comes in every call.
    [Theory]
    [MemberData(nameof(AllocationCases))]
    public void Gradient_InLaneBlocks_OnOneThread_AllocatesNothingAfterTheFirstCall(string kind, LaneWidth width)
    {
        SpiralReference reference = Reference.Value;
        var trainer = Trainer(AllocationSolver(kind), lanes: true, width: width);
        var gradient = new double[Model.ParameterCount];
        BatchResult first = trainer.Gradient(reference.Parameters, reference.Batch, gradient);
        Assert.True(first.IsSuccess, first.Status.ToString());
        double[] expected = (double[])gradient.Clone();
        var allocated = new long[3];
        for (int call = 0; call < allocated.Length; call++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            BatchResult again = trainer.Gradient(reference.Parameters, reference.Batch, gradient);
            allocated[call] = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(first, again);
            Assert.Equal(expected, gradient);
        }
        Assert.True(allocated.Min() == 0, $"Bytes allocated by calls 2, 3 and 4: {string.Join(", ", allocated)}.");
    }

    // What is kept between calls is reloaded, not reused stale: a trainer that has already run other parameters, another
    // batch shape (two groups of times) and other times gives a fresh trainer's bits, and its second call the first's.
    [Theory]
    [MemberData(nameof(AllocationCases))]
    public void Gradient_InLaneBlocks_AfterOtherCalls_IsAFreshTrainersBits(string kind, LaneWidth width)
    {
        SpiralReference reference = Reference.Value;
        SolverOptions solver = AllocationSolver(kind);
        double[] other = reference.Parameters.Select(x => 0.9 * x).ToArray();
        var shifted = reference.Batch.Select((s, i) => i % 2 == 0 ? s : s with { T0 = s.T0 + 1, Times = s.Times.Select(t => t + 1).ToArray() }).ToList();
        var later = reference.Batch.Select(s => s with { T0 = s.T0 + 0.5, Times = s.Times.Select(t => t + 0.5).ToArray() }).ToList();
        var used = Trainer(solver, lanes: true, width: width);
        var scratch = new double[Model.ParameterCount];
        used.Gradient(other, reference.Batch.Take(7).ToList(), scratch);
        used.Gradient(other, shifted, scratch);
        used.Gradient(other, later, scratch);
        foreach (var (p, batch) in new[] { (reference.Parameters, reference.Batch), (other, shifted), (reference.Parameters, later) })
        {
            var fresh = new double[Model.ParameterCount];
            var reused = new double[Model.ParameterCount];
            BatchResult a = Trainer(solver, lanes: true, width: width).Gradient(p, batch, fresh);
            BatchResult b = used.Gradient(p, batch, reused);
            Assert.True(a.IsSuccess, a.Status.ToString());
            Assert.Equal(a, b);
            Assert.Equal(fresh, reused);
        }
    }

    [Fact]
    public void SamplesWithTimesOfTheirOwn_AreGroupedByTimes()
    {
        // Half the batch shifted by a time offset: two groups (an autonomous model gives the same numbers), and the
        // batch result is that of the two groups together.
        SpiralReference reference = Reference.Value;
        var shifted = reference.Batch.Select((s, i) => i % 2 == 0 ? s : s with { T0 = s.T0 + 1, Times = s.Times.Select(t => t + 1).ToArray() }).ToList();
        var trainer = Trainer(new SolverOptions { Method = OdeMethod.RK4, FixedStep = 0.005 }, lanes: true);
        var g = new double[Model.ParameterCount];
        var gShifted = new double[Model.ParameterCount];
        BatchResult a = trainer.Gradient(reference.Parameters, reference.Batch, g);
        BatchResult b = trainer.Gradient(reference.Parameters, shifted, gShifted);
        Assert.True(NormwiseError(gShifted, g) < 1e-10, $"{NormwiseError(gShifted, g):E2}");
        Assert.Equal(a.Loss, b.Loss, 10);
    }

    [Fact]
    public void ShortTraining_InLaneBlocks_LowersTheLoss()
    {
        // Thirty RMSprop steps on the reference batch from the reference start, lr 1e-2 (cheap: ~1 ms a step).
        SpiralReference reference = Reference.Value;
        double[] p = (double[])reference.Parameters.Clone();
        var trainer = Trainer(SpiralSetupSolver, lanes: true);
        var losses = new List<double>();
        BatchResult last = trainer.Train(p, new RmsProp(1e-2), 30, _ => reference.Batch, progress => losses.Add(progress.Batch.Loss));
        Assert.True(last.IsSuccess, last.Status.ToString());
        var gradient = new double[Model.ParameterCount];
        double final = trainer.Gradient(p, reference.Batch, gradient).Loss;
        output.WriteLine($"loss {losses[0]:F6} → {final:F6}");
        Assert.True(final < 0.5 * losses[0], $"loss {losses[0]:G4} → {final:G4}");
    }

    [Fact]
    public void SegmentSampler_SharedTimes_GivesEverySegmentTheFirstTimes()
    {
        double[] times = Enumerable.Range(0, 30).Select(i => 0.1 * i + 2).ToArray();
        double[] states = Enumerable.Range(0, 60).Select(i => (double)i).ToArray();
        var own = new SegmentSampler(times, states, 2, 4, 5, seed: 3);
        var shared = new SegmentSampler(times, states, 2, 4, 5, seed: 3) { SharedTimes = true };
        IReadOnlyList<TrajectorySample> a = own.Next(), b = shared.Next();
        for (int i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Target, b[i].Target);   // the same draws
            Assert.Equal(a[i].Y0, b[i].Y0);
            Assert.Equal(times[..4], b[i].Times);
            Assert.Equal(times[0], b[i].T0);
            Assert.Equal(a[i].Times[0], a[i].T0);
        }
        Assert.Contains(a, s => s.T0 != times[0]);
    }

    [Fact]
    public void FailedSample_NaNLossAndGradient_AndItsStatus()
    {
        // y' = p·y² from y0 = 20 with p = 0.5 blows up at t = 0.1; the other samples are fine.
        var system = new BlowUpLanes();
        var trainer = new NeuralOdeTrainer<BlowUpLanes>(system)
        {
            Solver = new SolverOptions { Method = OdeMethod.RK4, FixedStep = 1e-3 },
            LaneBlocks = LaneBlockBatching.For(system),
        };
        double[] times = [0, 0.5, 1];
        var batch = new[] { 1.0, 20.0, 1.0 }.Select(y => new TrajectorySample([y], 0, times, [1, 1, 1])).ToList();
        var gradient = new double[1];
        BatchResult r = trainer.Gradient([0.5], batch, gradient);
        Assert.Equal(OdeStatus.NonFiniteValue, r.Status);
        Assert.True(double.IsNaN(r.Loss) && double.IsNaN(gradient[0]));
        batch.RemoveAt(1);
        r = trainer.Gradient([0.5], batch, gradient);
        Assert.True(r.IsSuccess && double.IsFinite(gradient[0]));
    }

    [Fact]
    public void LaneBlocks_AndAnotherSensitivity_ThrowAtConfiguration_InEitherOrder()
    {
        // Lane blocks compute the discrete adjoint; a second switch must not silently override the first.
        var a = Assert.Throws<ArgumentException>(() => new NeuralOdeTrainer<SpiralModel.RhsSystem>(Model)
        {
            Sensitivity = Sensitivity.InterpolatingAdjoint(),
            LaneBlocks = LaneBlockBatching.For(Model),
        });
        Assert.Contains("Sensitivity.DiscreteAdjoint", a.Message);
        Assert.Throws<ArgumentException>(() => new NeuralOdeTrainer<SpiralModel.RhsSystem>(Model)
        {
            LaneBlocks = LaneBlockBatching.For(Model),
            Sensitivity = Sensitivity.Forward,
        });
        Assert.Throws<ArgumentException>(() => new NeuralOdeTrainer<SpiralModel.RhsSystem>(Model)
        {
            LaneBlocks = LaneBlockBatching.For(Model),
            Sensitivity = new DiscreteAdjointSensitivity { StepsPerCheckpoint = 3 },
        });
    }

    [Fact]
    public void Sensitivity_ReportsWhatComputesTheGradient()
    {
        Assert.IsType<InterpolatingAdjointSensitivity>(new NeuralOdeTrainer<SpiralModel.RhsSystem>(Model).Sensitivity);
        Assert.Same(Sensitivity.DiscreteAdjoint, new NeuralOdeTrainer<SpiralModel.RhsSystem>(Model) { LaneBlocks = LaneBlockBatching.For(Model) }.Sensitivity);
        Assert.Same(Sensitivity.DiscreteAdjoint, Trainer(new SolverOptions(), lanes: true).Sensitivity);
    }

    [Fact]
    public void LaneBlockBatching_RejectsAnUnknownWidth() =>
        Assert.Throws<ArgumentException>(() => LaneBlockBatching.For(Model, (LaneWidth)42));
}
