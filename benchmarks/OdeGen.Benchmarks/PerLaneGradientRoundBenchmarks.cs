using BenchmarkDotNet.Attributes;

namespace OdeGen.Benchmarks;

/// <summary>
/// Where a thread of the per-lane discrete adjoint closes its round (<c>PerLaneRoundBytes</c>, MiB of record): the gradient of
/// <see cref="PerLaneGradientBenchmarks"/> (10,000 Lorenz trajectories, Dopri5 1e-8, one core, hardware width) at T = 1 and 10.
/// A round that stays in the cache sweeps back faster; a small one leaves lanes idle while its last trajectories finish.
/// </summary>
[MemoryDiagnoser]
public class PerLaneGradientRoundBenchmarks
{
    private readonly Lorenz.RhsSystem _lorenz = new();
    private readonly double[] _p = [10, 28, 8.0 / 3];
    private readonly SolverOptions _dopri5 = new() { Method = OdeMethod.Dopri5, RelTol = 1e-8, AbsTol = 1e-8, MaxSteps = 1_000_000 };
    private double[] _y0s = null!, _seed = null!;

    /// <summary>The round, MiB.</summary>
    [Params(1, 4, 16, 64)]
    public int MiB { get; set; }

    /// <summary>The end time.</summary>
    [Params(1.0, 10.0)]
    public double End { get; set; }

    /// <summary>The initial states of <see cref="PerLaneEnsembleBenchmarks"/> and the seed 1.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new SplitMix64(2026);
        _y0s = new double[3 * 10_000];
        for (int j = 0; j < 10_000; j++)
        {
            _y0s[3 * j] = -15 + 30 * rng.NextDouble();
            _y0s[3 * j + 1] = -15 + 30 * rng.NextDouble();
            _y0s[3 * j + 2] = 5 + 40 * rng.NextDouble();
        }
        _seed = new double[3 * 10_000];
        _seed.AsSpan().Fill(1);
    }

    /// <summary>The per-lane gradient with this round.</summary>
    [Benchmark]
    public double PerLane() => Ode.Gradient(_lorenz, new EnsembleBatch(_y0s, _p, EnsembleParameters.Shared), 0, [End], _seed, Sensitivity.DiscreteAdjoint, _dopri5,
            new EnsembleOptions { MaxDegreeOfParallelism = 1, PerLaneSteps = true, PerLaneRoundBytes = (long)MiB << 20 }).SharedParameters![0];
}
