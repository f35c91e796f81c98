using BenchmarkDotNet.Attributes;

namespace OdeGen.Benchmarks;

/// <summary>
/// Issue #20 item 4, gradients through the fused per-lane path: the discrete-adjoint gradient of L = Σ_j Σ_q y_j(T)_q for
/// 10,000 Lorenz trajectories (σ = 10, ρ = 28, β = 8/3; the initial states of <see cref="PerLaneEnsembleBenchmarks"/>,
/// SplitMix64 seed 2026), Dopri5 with rtol = atol = 1e-8, T = 1 and T = 10, one core. Baseline: today's shared steps (the
/// lanes of a block share each step and its tape). Against it: <see cref="EnsembleOptions.PerLaneSteps"/> (each lane its
/// own steps, recorded per trajectory and swept back in lanes) at the hardware's width and at 256 bits, and the per-lane
/// solve alone (what the gradient adds to it).
/// </summary>
/// <remarks>
/// The setup prints the accepted steps of both forward passes (lane-steps for the shared blocks: block steps × lanes) and
/// checks one trajectory of the per-lane gradient against the scalar discrete adjoint (Ode.Gradient), which it must equal bit
/// for bit.
/// </remarks>
[MemoryDiagnoser]
public class PerLaneGradientBenchmarks
{
    /// <summary>Trajectories.</summary>
    public const int Count = 10_000;

    private readonly Lorenz.RhsSystem _lorenz = new();
    private readonly double[] _p = [10, 28, 8.0 / 3];
    private readonly SolverOptions _dopri5 = new() { Method = OdeMethod.Dopri5, RelTol = 1e-8, AbsTol = 1e-8, MaxSteps = 1_000_000 };
    private double[] _y0s = null!, _seed = null!;

    /// <summary>The end time.</summary>
    [Params(1.0, 10.0)]
    public double End { get; set; }

    /// <summary>The initial states and the seed ∂L/∂y(T) = 1; the step counts and the bit check.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new SplitMix64(2026);
        _y0s = new double[3 * Count];
        for (int j = 0; j < Count; j++)
        {
            _y0s[3 * j] = -15 + 30 * rng.NextDouble();
            _y0s[3 * j + 1] = -15 + 30 * rng.NextDouble();
            _y0s[3 * j + 2] = 5 + 40 * rng.NextDouble();
        }
        _seed = new double[3 * Count];
        _seed.AsSpan().Fill(1);
        EnsembleGradient perLane = Gradient(LaneWidth.Auto, perLane: true), shared = Gradient(LaneWidth.Auto, perLane: false);
        if (!perLane.AllSucceeded || !shared.AllSucceeded) throw new InvalidOperationException("A trajectory failed.");
        int lanes = EnsembleOptions.LaneCount(EnsembleOptions.HardwareWidth);
        Console.WriteLine($"// T = {End}: accepted steps per-lane {perLane.Solution.Stats.Steps:N0}, shared-step blocks {shared.Solution.Stats.Steps:N0} ({shared.Solution.Stats.Steps * lanes:N0} lane-steps at {lanes} lanes); VJP calls per-lane {perLane.VjpEvaluations:N0}, shared {shared.VjpEvaluations:N0}");
        const int j0 = 4321;
        OdeGradient scalar = Ode.Gradient(_lorenz, _y0s.AsSpan(3 * j0, 3), _p, 0, [End], _seed.AsSpan(0, 3), Sensitivity.DiscreteAdjoint, _dopri5);
        bool same = scalar.Y0.AsSpan().SequenceEqual(perLane.Y0Of(j0)) && scalar.Parameters.AsSpan().SequenceEqual(perLane.ParametersOf(j0));
        if (!same) throw new InvalidOperationException($"Trajectory {j0}: the per-lane gradient differs from Ode.Gradient's discrete adjoint.");
        Console.WriteLine($"// T = {End}: trajectory {j0}'s per-lane gradient equals Ode.Gradient's discrete adjoint bit for bit");
    }

    /// <summary>Today's shared steps, the hardware's width, one core.</summary>
    [Benchmark(Baseline = true)]
    public double SharedSteps() => Sum(Gradient(LaneWidth.Auto, perLane: false));

    /// <summary>Per-lane steps, the hardware's width, one core.</summary>
    [Benchmark]
    public double PerLane() => Sum(Gradient(LaneWidth.Auto, perLane: true));

    /// <summary>Per-lane steps, 256-bit lanes, one core.</summary>
    [Benchmark]
    public double PerLane256() => Sum(Gradient(LaneWidth.Lane256, perLane: true));

    /// <summary>The per-lane solve alone (no record, no backward sweep), the hardware's width, one core.</summary>
    [Benchmark]
    public double PerLaneSolveOnly()
    {
        EnsembleSolution s = Ode.Solve(_lorenz, new EnsembleBatch(_y0s, _p, EnsembleParameters.Shared), 0, End, _dopri5,
            new EnsembleOptions { MaxDegreeOfParallelism = 1, PerLaneSteps = true });
        double sum = 0;
        foreach (double v in s.FinalStates) sum += v;
        return sum;
    }

    private EnsembleGradient Gradient(LaneWidth width, bool perLane) =>
        Ode.Gradient(_lorenz, new EnsembleBatch(_y0s, _p, EnsembleParameters.Shared), 0, [End], _seed, Sensitivity.DiscreteAdjoint, _dopri5,
            new EnsembleOptions { Width = width, MaxDegreeOfParallelism = 1, PerLaneSteps = perLane });

    private static double Sum(EnsembleGradient g)
    {
        double sum = 0;
        foreach (double v in g.SharedParameters!) sum += v;
        return sum;
    }
}
