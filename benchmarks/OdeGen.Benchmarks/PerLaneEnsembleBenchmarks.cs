using System.Diagnostics;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace OdeGen.Benchmarks;

/// <summary>
/// Issue #20 item 4: an adaptive ensemble of 10,000 Lorenz trajectories (σ = 10, ρ = 28, β = 8/3) from spread initial
/// conditions (SplitMix64 seed 2026: x, y ~ U(−15, 15), z ~ U(5, 45)), Dopri5 with rtol = atol = 1e-8 over t ∈ [0, 10].
/// Baseline: the structure-of-arrays C loop of <c>benchmarks/peers/dopri5_ensemble.c</c> (<c>lorenz_dopri5_ensemble_soa</c>:
/// a block of trajectories per thread, each lane its own adaptive steps, the stages one loop over the lanes that gcc
/// vectorizes, a finished lane taking the next trajectory), compiled in the setup with gcc -O3 -march=native -fno-math-errno
/// -fopenmp and called through a function pointer; beside it the same file's plain loop (one trajectory at a time, not
/// vectorized). Against them: Ode.Solve on the batch with <see cref="EnsembleOptions.PerLaneSteps"/> (each lane its own step, the
/// stages in the generated register form) at the hardware's width and at 256 bits, and today's shared steps (the lanes of a
/// block share each step), on one core and on two.
/// </summary>
/// <remarks>
/// The setup checks equal accuracy: the final states of both sides and their distance to a tight reference (Dop853,
/// rtol = atol = 1e-13) on every 50th trajectory, printed as comment lines. Both sides take the same steps up to rounding
/// (the C loop uses Ode.Solve's step control) and report their accepted steps, so the times compare per step too.
/// </remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class PerLaneEnsembleBenchmarks
{
    /// <summary>Trajectories and the end time.</summary>
    public const int Count = 10_000;
    /// <summary>The end time.</summary>
    public const double End = 10;

    private readonly Lorenz.RhsSystem _lorenz = new();
    private readonly double[] _p = [10, 28, 8.0 / 3];
    private readonly SolverOptions _dopri5 = new() { Method = OdeMethod.Dopri5, RelTol = 1e-8, AbsTol = 1e-8, MaxSteps = 1_000_000 };
    private double[] _y0s = null!, _cFinals = null!;
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate double Dopri5Ensemble(int count, double[] y0s, double sigma, double rho, double beta, double t1, double rtol,
        double atol, int threads, double[] finals, out long steps);
    private Dopri5Ensemble? _c, _cSoa;

    /// <summary>The initial states, the C library, and the accuracy of both sides against a tight reference.</summary>
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
        _cFinals = new double[3 * Count];
        string note = CompileC();
        Console.WriteLine($"// Per-lane ensemble: hardware width {EnsembleOptions.HardwareWidth}; C peer: {note}");
        EnsembleSolution ours = Solve(LaneWidth.Auto, 1, perLane: true);
        EnsembleSolution shared = Solve(LaneWidth.Auto, 1, perLane: false);
        Console.WriteLine($"// Accepted steps: per-lane {ours.Stats.Steps:N0}, shared-step lane blocks {shared.Stats.Steps:N0}");
        double[]? c = null;
        if (_c is not null)
        {
            _c(Count, _y0s, 10, 28, 8.0 / 3, End, 1e-8, 1e-8, 1, _cFinals, out long cSteps);
            c = (double[])_cFinals.Clone();
            Console.WriteLine($"// Accepted steps: C {cSteps:N0}");
        }
        double[]? cSoa = null;
        if (_cSoa is not null)
        {
            _cSoa(Count, _y0s, 10, 28, 8.0 / 3, End, 1e-8, 1e-8, 1, _cFinals, out long soaSteps);
            cSoa = (double[])_cFinals.Clone();
            Console.WriteLine($"// Accepted steps: C structure of arrays {soaSteps:N0}");
        }
        var reference = new SolverOptions { Method = OdeMethod.Dop853, RelTol = 1e-13, AbsTol = 1e-13, MaxSteps = 10_000_000 };
        var errors = new List<(string Name, List<double> Values)> { ("per-lane", []), ("shared steps", []), ("C", []), ("C structure of arrays", []) };
        for (int j = 0; j < Count; j += 50)
        {
            OdeSolution r = Ode.Solve(_lorenz, _y0s.AsSpan(3 * j, 3), _p, 0, End, reference);
            double Distance(ReadOnlySpan<double> y) => Math.Max(Math.Abs(y[0] - r.FinalState[0]), Math.Max(Math.Abs(y[1] - r.FinalState[1]), Math.Abs(y[2] - r.FinalState[2])));
            errors[0].Values.Add(Distance(ours.FinalState(j)));
            errors[1].Values.Add(Distance(shared.FinalState(j)));
            if (c is not null) errors[2].Values.Add(Distance(c.AsSpan(3 * j, 3)));
            if (cSoa is not null) errors[3].Values.Add(Distance(cSoa.AsSpan(3 * j, 3)));
        }
        foreach ((string name, List<double> values) in errors)
        {
            if (values.Count == 0) continue;
            values.Sort();
            Console.WriteLine($"// Max-norm error of the final state against Dop853 at 1e-13 ({values.Count} trajectories), {name}: median {values[values.Count / 2]:E2}, max {values[^1]:E2}");
        }
        if (!ours.AllSucceeded || !shared.AllSucceeded) throw new InvalidOperationException("A trajectory failed.");
    }

    /// <summary>The structure-of-arrays C loop (gcc -O3 -march=native), one core; NaN without gcc.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("OneCore")]
    public double CSoaOneCore() => _cSoa is null ? double.NaN : _cSoa(Count, _y0s, 10, 28, 8.0 / 3, End, 1e-8, 1e-8, 1, _cFinals, out _);

    /// <summary>The plain C loop, one trajectory at a time (gcc -O3 -march=native), one core; NaN without gcc.</summary>
    [Benchmark]
    [BenchmarkCategory("OneCore")]
    public double COneCore() => _c is null ? double.NaN : _c(Count, _y0s, 10, 28, 8.0 / 3, End, 1e-8, 1e-8, 1, _cFinals, out _);

    /// <summary>Per-lane steps, one core, the hardware's width.</summary>
    [Benchmark]
    [BenchmarkCategory("OneCore")]
    public double PerLaneOneCore() => Sum(Solve(LaneWidth.Auto, 1, perLane: true));

    /// <summary>Per-lane steps, one core, 256-bit lanes.</summary>
    [Benchmark]
    [BenchmarkCategory("OneCore")]
    public double PerLane256OneCore() => Sum(Solve(LaneWidth.Lane256, 1, perLane: true));

    /// <summary>Today's shared steps (lane blocks, the unfused kernel), one core, the hardware's width.</summary>
    [Benchmark]
    [BenchmarkCategory("OneCore")]
    public double SharedStepsOneCore() => Sum(Solve(LaneWidth.Auto, 1, perLane: false));

    /// <summary>The structure-of-arrays C loop on two threads (OpenMP, one block of lanes each).</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("TwoCores")]
    public double CSoaTwoCores() => _cSoa is null ? double.NaN : _cSoa(Count, _y0s, 10, 28, 8.0 / 3, End, 1e-8, 1e-8, 2, _cFinals, out _);

    /// <summary>The plain C loop on two threads (OpenMP, dynamic schedule).</summary>
    [Benchmark]
    [BenchmarkCategory("TwoCores")]
    public double CTwoCores() => _c is null ? double.NaN : _c(Count, _y0s, 10, 28, 8.0 / 3, End, 1e-8, 1e-8, 2, _cFinals, out _);

    /// <summary>Per-lane steps on two threads, the hardware's width.</summary>
    [Benchmark]
    [BenchmarkCategory("TwoCores")]
    public double PerLaneTwoCores() => Sum(Solve(LaneWidth.Auto, 2, perLane: true));

    private EnsembleSolution Solve(LaneWidth width, int threads, bool perLane) =>
        Ode.Solve(_lorenz, new EnsembleBatch(_y0s, _p, EnsembleParameters.Shared), 0, End, _dopri5,
            new EnsembleOptions { Width = width, MaxDegreeOfParallelism = threads, PerLaneSteps = perLane });

    private static double Sum(EnsembleSolution s)
    {
        double sum = 0;
        foreach (double v in s.FinalStates) sum += v;
        return sum;
    }

    // benchmarks/peers/dopri5_ensemble.c, found above this assembly (BenchmarkDotNet runs it from a generated folder inside the repository's bin).
    private string CompileC()
    {
        string? source = null;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null && source is null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "benchmarks", "peers", "dopri5_ensemble.c");
            if (File.Exists(candidate)) source = candidate;
        }
        if (source is null) return "benchmarks/peers/dopri5_ensemble.c not found (the C benchmarks return NaN)";
        string library = Path.Combine(Path.GetTempPath(), $"odegen-dopri5-ensemble-{Environment.ProcessId}.so");
        try
        {
            var start = new ProcessStartInfo("gcc", ["-O3", "-march=native", "-fno-math-errno", "-fopenmp", "-shared", "-fPIC", "-DPEER_LIBRARY", "-o", library, source, "-lm"])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            };
            using Process gcc = Process.Start(start)!;
            string errors = gcc.StandardError.ReadToEnd();
            gcc.WaitForExit();
            if (gcc.ExitCode != 0) return $"gcc failed: {errors}";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "gcc not found (the C benchmarks return NaN)";
        }
        nint handle = NativeLibrary.Load(library);
        _c = Marshal.GetDelegateForFunctionPointer<Dopri5Ensemble>(NativeLibrary.GetExport(handle, "lorenz_dopri5_ensemble"));
        _cSoa = Marshal.GetDelegateForFunctionPointer<Dopri5Ensemble>(NativeLibrary.GetExport(handle, "lorenz_dopri5_ensemble_soa"));
        return "gcc -O3 -march=native -fno-math-errno -fopenmp, " + source;
    }
}
