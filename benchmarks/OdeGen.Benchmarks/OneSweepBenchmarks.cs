using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using OdeGen.Testing;

namespace OdeGen.Benchmarks;

/// <summary>
/// The one-sweep methods (<see cref="IOdeAugmentedSystem.EvaluateVjp"/>) in the adjoints, before and after in one run:
/// the *TwoCalls benchmarks (each category's baseline) hide them behind <see cref="TwoCalls{TSystem}"/>, so the runtime takes the path of a
/// system without them (Evaluate, then Vjp). The back-solve adjoint's augmented field evaluates f and the VJP at every
/// stage and gains; the interpolating adjoint reads z from its dense output and calls only Vjp backwards, so it is the
/// control (it should not move). Lorenz at T = 1 and the spiral MLP (2-50-2, loops) at T = 1, rtol = atol = 1e-8.
/// </summary>
/// <remarks>
/// dotnet run -c Release --project benchmarks/OdeGen.Benchmarks -- --filter '*OneSweepBenchmarks*'
/// </remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class OneSweepBenchmarks
{
    private static readonly double[] Times = [1.0];
    private static readonly double[] SpiralY0 = [2.0, 0.0];
    private readonly SolverOptions _options = Problems.Options(OdeMethod.Dopri5);
    private double[] _spiralP = [];

    /// <summary>Seeded weights of the spiral MLP's size (W1, b1, W2, b2 at scale 0.3).</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(3);
        _spiralP = Enumerable.Range(0, 252).Select(_ => (random.NextDouble() - 0.5) * 0.6).ToArray();
    }

    /// <summary>Back-solve adjoint on Lorenz, two calls (before).</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("Backsolve Lorenz")]
    public double BacksolveLorenzTwoCalls() => Lorenz(new TwoCalls<Lorenz.RhsSystem>(new()), Sensitivity.BacksolveAdjoint);

    /// <summary>Back-solve adjoint on Lorenz, one sweep.</summary>
    [Benchmark, BenchmarkCategory("Backsolve Lorenz")]
    public double BacksolveLorenzOneSweep() => Lorenz(new Lorenz.RhsSystem(), Sensitivity.BacksolveAdjoint);

    /// <summary>Back-solve adjoint on the spiral MLP, two calls (before).</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("Backsolve spiral")]
    public double BacksolveSpiralTwoCalls() => Spiral(new TwoCalls<SpiralModel.RhsSystem>(new()), Sensitivity.BacksolveAdjoint);

    /// <summary>Back-solve adjoint on the spiral MLP, one sweep.</summary>
    [Benchmark, BenchmarkCategory("Backsolve spiral")]
    public double BacksolveSpiralOneSweep() => Spiral(new SpiralModel.RhsSystem(), Sensitivity.BacksolveAdjoint);

    /// <summary>Interpolating adjoint on Lorenz behind the wrapper (control: its backward pass has no f).</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("Interpolating Lorenz")]
    public double InterpolatingLorenzTwoCalls() => Lorenz(new TwoCalls<Lorenz.RhsSystem>(new()), Sensitivity.InterpolatingAdjoint());

    /// <summary>Interpolating adjoint on Lorenz as generated.</summary>
    [Benchmark, BenchmarkCategory("Interpolating Lorenz")]
    public double InterpolatingLorenzOneSweep() => Lorenz(new Lorenz.RhsSystem(), Sensitivity.InterpolatingAdjoint());

    /// <summary>Interpolating adjoint on the spiral MLP behind the wrapper (control).</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("Interpolating spiral")]
    public double InterpolatingSpiralTwoCalls() => Spiral(new TwoCalls<SpiralModel.RhsSystem>(new()), Sensitivity.InterpolatingAdjoint());

    /// <summary>Interpolating adjoint on the spiral MLP as generated.</summary>
    [Benchmark, BenchmarkCategory("Interpolating spiral")]
    public double InterpolatingSpiralOneSweep() => Spiral(new SpiralModel.RhsSystem(), Sensitivity.InterpolatingAdjoint());

    private double Lorenz<TSystem>(TSystem system, Sensitivity s) where TSystem : struct, IOdeSystem =>
        Ode.Gradient(system, Problems.Y0, Problems.P, 0, Times, Problems.SumLoss, s, _options).Y0[0];

    private double Spiral<TSystem>(TSystem system, Sensitivity s) where TSystem : struct, IOdeSystem =>
        Ode.Gradient(system, SpiralY0, _spiralP, 0, Times, [1.0, 1.0], s, _options).Y0[0];
}
