using System.Diagnostics;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using OdeGen.Lanes;

namespace OdeGen.Benchmarks;

/// <summary>
/// Issue #6's ensemble: 10,000 Lorenz trajectories from y0 = (1, 1, 1), σ ~ U(9, 11), ρ ~ U(27, 29) (SplitMix64,
/// seed 2026), β = 8/3, classic RK4 with dt = 0.001 for 1,000 steps. Baseline: the scalar code one trajectory at a
/// time (the generated Lorenz Evaluate in a hand-written RK4 loop). Against it: Ode.SolveEnsemble with the generated
/// lane code on one core at each lane width (fused steps: the generated LaneRegisters form; and at 512 bits once unfused,
/// EvaluateLanes on spans), with a hand-written lane Lorenz (spans, unfused), on every core, and a plain C structure-of-arrays RK4 loop compiled in the setup with
/// gcc -O3 -march=native (when gcc is on the PATH) and called through a function pointer.
/// </summary>
/// <remarks>
/// Flops: one Lorenz evaluation is 8 (σ(y−x): 2; x(ρ−z)−y: 3; xy−βz: 3); one RK4 step is 4 evaluations, 3 stage
/// arguments of 3 components (y + w·k: 2 each) and the update y + Σ w_i k_i (8 per component), 32 + 18 + 24 = 74 flops
/// per trajectory; the whole run is 10,000 × 1,000 × 74 = 7.4·10⁸ (GFLOP/s = 0.74 / seconds).
/// Every operation returns Σ over trajectories of Σ y(T), checked in the setup to agree across the implementations.
/// </remarks>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[Config(typeof(GflopsConfig))]
public class LorenzLaneEnsembleBenchmarks
{
    /// <summary>Trajectories, steps and step of the run.</summary>
    public const int Count = 10_000, Steps = 1000;
    /// <summary>The fixed step.</summary>
    public const double Dt = 0.001;
    /// <summary>Flops of one RK4 step of one trajectory (see the remarks).</summary>
    public const int FlopsPerStep = 74;

    private readonly Lorenz.RhsSystem _lorenz = new();
    private readonly LorenzLaneSystem _lanes = new();
    private readonly FmaLorenz.RhsSystem _fmaLorenz = new();
    private double[] _parameters = null!, _y0s = null!, _sigma = null!, _rho = null!;
    private readonly SolverOptions _rk4 = new() { Method = OdeMethod.RK4, FixedStep = Dt, MaxSteps = int.MaxValue };
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate double LorenzRk4Soa(int count, double[] sigma, double[] rho, double beta, int steps, double dt);
    private LorenzRk4Soa? _c;
    private EnsembleSolution? _into, _fmaIntoOne, _fmaIntoAll;
    private string? _cNote;

    /// <summary>The parameters (σ then ρ per trajectory from SplitMix64 seed 2026), y0 rows, and the C library.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var rng = new SplitMix64(2026);
        _parameters = new double[3 * Count];
        _sigma = new double[Count];
        _rho = new double[Count];
        for (int j = 0; j < Count; j++)
        {
            _sigma[j] = _parameters[3 * j] = 9 + 2 * rng.NextDouble();
            _rho[j] = _parameters[3 * j + 1] = 27 + 2 * rng.NextDouble();
            _parameters[3 * j + 2] = 8.0 / 3;
        }
        _y0s = new double[3 * Count];
        _y0s.AsSpan().Fill(1.0);
        CompileC();
        double reference = ScalarRk4();
        foreach ((string name, double value) in new[] { ("lanes", EnsembleOneCore()), ("fused multiply-adds", EnsembleFmaOneCore()),
            ("fused multiply-adds, into", EnsembleFmaIntoOneCore()), ("fused multiply-adds, into, all cores", EnsembleFmaIntoAllCores()), ("C", C()) })
        {
            if (double.IsNaN(value)) continue;
            if (Math.Abs(value - reference) > 1e-9 * Math.Abs(reference))
                throw new InvalidOperationException($"{name} checksum {value:R} differs from the scalar loop's {reference:R}.");
        }
        Console.WriteLine($"// Lane ensemble: hardware width {EnsembleOptions.HardwareWidth}; C peer: {_cNote}");
    }

    /// <summary>The scalar code, one trajectory at a time: generated Lorenz Evaluate in a hand-written RK4 loop.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("OneCore")]
    public double ScalarRk4() => HandRk4.Ensemble(_lorenz, _parameters, Count, Steps, Dt);

    /// <summary>Ode.SolveEnsemble, one core, the hardware's width.</summary>
    [Benchmark]
    [BenchmarkCategory("OneCore")]
    public double EnsembleOneCore() => Run(LaneWidth.Auto, 1);

    /// <summary>
    /// Ode.SolveEnsemble, one core, the hardware's width, with Lorenz generated with <c>FuseMultiplyAdds = true</c>
    /// (<see cref="FmaLorenz"/>): the user's a·b ± c contracted as gcc contracts the C loop's.
    /// </summary>
    [Benchmark]
    [BenchmarkCategory("OneCore")]
    public double EnsembleFmaOneCore() => Run(_fmaLorenz, LaneWidth.Auto, 1);

    /// <summary>Ode.SolveEnsemble on every core, the hardware's width, with <see cref="FmaLorenz"/>.</summary>
    [Benchmark]
    [BenchmarkCategory("AllCores")]
    public double EnsembleFmaAllCores() => Run(_fmaLorenz, LaneWidth.Auto, null);

    /// <summary>
    /// As <see cref="EnsembleFmaOneCore"/>, into the solution of the previous call (the Ode.Solve overload with a
    /// destination): no result arrays allocated, so no large-object-heap garbage and no gen-2 collections between calls.
    /// </summary>
    [Benchmark]
    [BenchmarkCategory("OneCore")]
    public double EnsembleFmaIntoOneCore() => RunInto(ref _fmaIntoOne, 1);

    /// <summary>As <see cref="EnsembleFmaAllCores"/>, into the solution of the previous call.</summary>
    [Benchmark]
    [BenchmarkCategory("AllCores")]
    public double EnsembleFmaIntoAllCores() => RunInto(ref _fmaIntoAll, null);

    /// <summary>Ode.SolveEnsemble, one core, 512-bit lanes (8 trajectories per register).</summary>
    [Benchmark]
    [BenchmarkCategory("OneCore")]
    public double Ensemble512OneCore() => Run(LaneWidth.Lane512, 1);

    /// <summary>Ode.SolveEnsembleInto, one core, 512-bit lanes, into the solution of the previous call (no result arrays allocated).</summary>
    [Benchmark]
    [BenchmarkCategory("OneCore")]
    public double Ensemble512IntoOneCore()
    {
        var ensemble = new EnsembleOptions { Width = LaneWidth.Lane512, MaxDegreeOfParallelism = 1 };
        _into ??= Ode.Solve(_lorenz, new EnsembleBatch(_y0s, _parameters), 0, Steps * Dt, _rk4, ensemble);
        Ode.Solve(_lorenz, new EnsembleBatch(_y0s, _parameters), 0, Steps * Dt, _into, _rk4, ensemble);
        double sum = 0;
        foreach (double v in _into.FinalStates) sum += v;
        return sum;
    }

    /// <summary>Ode.SolveEnsemble, one core, 512-bit lanes, without fused steps (every stage through spans, the scalar solver's arithmetic).</summary>
    [Benchmark]
    [BenchmarkCategory("OneCore")]
    public double Ensemble512UnfusedOneCore() => Run(_lorenz, LaneWidth.Lane512, 1, fused: false);

    /// <summary>Ode.SolveEnsemble, one core, 256-bit lanes.</summary>
    [Benchmark]
    [BenchmarkCategory("OneCore")]
    public double Ensemble256OneCore() => Run(LaneWidth.Lane256, 1);

    /// <summary>Ode.SolveEnsemble, one core, 128-bit lanes.</summary>
    [Benchmark]
    [BenchmarkCategory("OneCore")]
    public double Ensemble128OneCore() => Run(LaneWidth.Lane128, 1);

    /// <summary>Ode.SolveEnsemble, one core, one trajectory per block (the stepper without SIMD).</summary>
    [Benchmark]
    [BenchmarkCategory("OneCore")]
    public double Ensemble1OneCore() => Run(LaneWidth.Lane1, 1);

    /// <summary>The plain C structure-of-arrays RK4 loop (gcc -O3 -march=native), one core; NaN without gcc.</summary>
    [Benchmark]
    [BenchmarkCategory("OneCore")]
    public double C()
    {
        // Blittable arrays are pinned and passed as pointers: one call per operation, no copies.
        return _c is null ? double.NaN : _c(Count, _sigma, _rho, 8.0 / 3, Steps, Dt);
    }

    /// <summary>Ode.SolveEnsemble on every core, the hardware's width.</summary>
    [Benchmark]
    [BenchmarkCategory("AllCores")]
    public double EnsembleAllCores() => Run(LaneWidth.Auto, null);

    /// <summary>Ode.SolveEnsemble, one core, the hardware's width, with the hand-written lane Lorenz (the generated code's yardstick).</summary>
    [Benchmark]
    [BenchmarkCategory("OneCore")]
    public double EnsembleHandLanesOneCore() => Run(_lanes, LaneWidth.Auto, 1);

    private double Run(LaneWidth width, int? threads) => Run(_lorenz, width, threads);

    // FmaLorenz at the hardware's width into a solution kept in `into` (made by the first call).
    private double RunInto(ref EnsembleSolution? into, int? threads)
    {
        var ensemble = new EnsembleOptions { Width = LaneWidth.Auto, MaxDegreeOfParallelism = threads };
        var batch = new EnsembleBatch(_y0s, _parameters);
        into ??= Ode.Solve(_fmaLorenz, batch, 0, Steps * Dt, _rk4, ensemble);
        Ode.Solve(_fmaLorenz, batch, 0, Steps * Dt, into, _rk4, ensemble);
        double sum = 0;
        foreach (double v in into.FinalStates) sum += v;
        return sum;
    }

    private double Run<TSystem>(in TSystem system, LaneWidth width, int? threads, bool fused = true) where TSystem : struct, IOdeLaneSystem
    {
        EnsembleSolution s = Ode.Solve(system, new EnsembleBatch(_y0s, _parameters), 0, Steps * Dt, _rk4,
            new EnsembleOptions { Width = width, MaxDegreeOfParallelism = threads, FusedSteps = fused });
        double sum = 0;
        foreach (double v in s.FinalStates) sum += v;
        return sum;
    }

    // The C peer: blocks of 64 trajectories in structure-of-arrays form, the lane loop innermost so gcc vectorizes it.
    private const string CSource = """
        #define B 64
        double lorenz_rk4_soa(int count, const double *sigma, const double *rho, double beta, int steps, double dt)
        {
            double total = 0;
            for (int first = 0; first < count; first += B) {
                int w = count - first < B ? count - first : B;
                double s[B], r[B], x[B], y[B], z[B];
                for (int l = 0; l < B; l++) {
                    int j = first + (l < w ? l : 0);
                    s[l] = sigma[j]; r[l] = rho[j]; x[l] = 1; y[l] = 1; z[l] = 1;
                }
                const double h2 = 0.5 * dt, h6 = dt / 6;
                for (int k = 0; k < steps; k++) {
                    for (int l = 0; l < B; l++) {
                        double x0 = x[l], y0 = y[l], z0 = z[l], sg = s[l], rh = r[l];
                        double k1x = sg * (y0 - x0), k1y = x0 * (rh - z0) - y0, k1z = x0 * y0 - beta * z0;
                        double ax = x0 + h2 * k1x, ay = y0 + h2 * k1y, az = z0 + h2 * k1z;
                        double k2x = sg * (ay - ax), k2y = ax * (rh - az) - ay, k2z = ax * ay - beta * az;
                        ax = x0 + h2 * k2x; ay = y0 + h2 * k2y; az = z0 + h2 * k2z;
                        double k3x = sg * (ay - ax), k3y = ax * (rh - az) - ay, k3z = ax * ay - beta * az;
                        ax = x0 + dt * k3x; ay = y0 + dt * k3y; az = z0 + dt * k3z;
                        double k4x = sg * (ay - ax), k4y = ax * (rh - az) - ay, k4z = ax * ay - beta * az;
                        x[l] = x0 + h6 * (k1x + 2 * k2x + 2 * k3x + k4x);
                        y[l] = y0 + h6 * (k1y + 2 * k2y + 2 * k3y + k4y);
                        z[l] = z0 + h6 * (k1z + 2 * k2z + 2 * k3z + k4z);
                    }
                }
                for (int l = 0; l < w; l++) total += x[l] + y[l] + z[l];
            }
            return total;
        }
        """;

    private void CompileC()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"odegen-lanes-c-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        string source = Path.Combine(dir, "lorenz_rk4_soa.c"), library = Path.Combine(dir, "liblorenz_rk4_soa.so");
        File.WriteAllText(source, CSource);
        try
        {
            var start = new ProcessStartInfo("gcc", ["-O3", "-march=native", "-shared", "-fPIC", "-o", library, source])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            };
            using Process gcc = Process.Start(start)!;
            string errors = gcc.StandardError.ReadToEnd();
            gcc.WaitForExit();
            if (gcc.ExitCode != 0)
            {
                _cNote = $"gcc failed: {errors}";
                return;
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            _cNote = "gcc not found (the C benchmark returns NaN)";
            return;
        }
        nint handle = NativeLibrary.Load(library);
        _c = Marshal.GetDelegateForFunctionPointer<LorenzRk4Soa>(NativeLibrary.GetExport(handle, "lorenz_rk4_soa"));
        _cNote = "gcc -O3 -march=native, " + library;
    }
}

/// <summary>
/// <see cref="Lorenz"/> generated with <c>FuseMultiplyAdds = true</c>: x(ρ − z) − y and xy − βz become one fused multiply-add
/// each, in the scalar, lane and register forms alike (results differ from <see cref="Lorenz"/> in the last bits).
/// </summary>
public static partial class FmaLorenz
{
    [OdeDynamics(FuseMultiplyAdds = true)]
    public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        double sigma = p[0], rho = p[1], beta = p[2];
        dydt[0] = sigma * (y[1] - y[0]);
        dydt[1] = y[0] * (rho - y[2]) - y[1];
        dydt[2] = y[0] * y[1] - beta * y[2];
    }
}

/// <summary>Adds the GFLOP/s column: 7.4·10⁸ flops per operation over its mean time.</summary>
public sealed class GflopsConfig : ManualConfig
{
    /// <summary>The column.</summary>
    public GflopsConfig() => AddColumn(new GflopsColumn());
}

/// <summary>GFLOP/s of a <see cref="LorenzLaneEnsembleBenchmarks"/> operation (74 flops per trajectory step).</summary>
public sealed class GflopsColumn : IColumn
{
    /// <inheritdoc/>
    public string Id => "OdeGen.GFLOPs";
    /// <inheritdoc/>
    public string ColumnName => "GFLOP/s";
    /// <inheritdoc/>
    public bool AlwaysShow => true;
    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Custom;
    /// <inheritdoc/>
    public int PriorityInCategory => 0;
    /// <inheritdoc/>
    public bool IsNumeric => true;
    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;
    /// <inheritdoc/>
    public string Legend => "Lorenz RK4 flops (74 per trajectory step, 7.4e8 per operation) per nanosecond of the mean";
    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        double? mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        double flops = (double)LorenzLaneEnsembleBenchmarks.Count * LorenzLaneEnsembleBenchmarks.Steps * LorenzLaneEnsembleBenchmarks.FlopsPerStep;
        return mean is > 0 ? (flops / mean.Value).ToString("F2", System.Globalization.CultureInfo.InvariantCulture) : "-";
    }
    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);
    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    /// <inheritdoc/>
    public bool IsAvailable(Summary summary) => true;
}

/// <summary>
/// Lorenz as a hand-written lane system (the generator on this branch emits the scalar system only; the generated
/// lane methods replace this once they land): the same arithmetic as <see cref="Lorenz.Rhs"/>, lane by lane.
/// </summary>
public readonly struct LorenzLaneSystem : IOdeLaneSystem
{
    private static readonly Lorenz.RhsSystem Scalar = new();
    /// <inheritdoc/>
    public int StateCount => 3;
    /// <inheritdoc/>
    public int ParameterCount => 3;
    /// <inheritdoc/>
    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt) => Scalar.Evaluate(t, y, p, dydt);
    /// <inheritdoc/>
    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot,
        ReadOnlySpan<double> pDot, Span<double> dydt, Span<double> dydtDot) => Scalar.Jvp(t, y, p, tDot, yDot, pDot, dydt, dydtDot);
    /// <inheritdoc/>
    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar) =>
        Scalar.Vjp(t, y, p, a, yBar, pBar);
    /// <inheritdoc/>
    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp) =>
        Scalar.Jacobian(t, y, p, dfdy, dfdp);

    /// <inheritdoc/>
    public void EvaluateLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, Span<TLane> dydt)
        where TLane : unmanaged, ILane<TLane>
    {
        TLane x = y[0], v = y[1], z = y[2];
        dydt[0] = p[0] * (v - x);
        dydt[1] = x * (p[1] - z) - v;
        dydt[2] = x * v - p[2] * z;
    }

    /// <inheritdoc/>
    public void JvpLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, double tDot, ReadOnlySpan<TLane> yDot,
        ReadOnlySpan<TLane> pDot, Span<TLane> dydt, Span<TLane> dydtDot) where TLane : unmanaged, ILane<TLane>
    {
        EvaluateLanes(t, y, p, dydt);
        dydtDot[0] = pDot[0] * (y[1] - y[0]) + p[0] * (yDot[1] - yDot[0]);
        dydtDot[1] = yDot[0] * (p[1] - y[2]) + y[0] * (pDot[1] - yDot[2]) - yDot[1];
        dydtDot[2] = yDot[0] * y[1] + y[0] * yDot[1] - pDot[2] * y[2] - p[2] * yDot[2];
    }

    /// <inheritdoc/>
    public TLane VjpLanes<TLane>(double t, ReadOnlySpan<TLane> y, ReadOnlySpan<TLane> p, ReadOnlySpan<TLane> a,
        Span<TLane> yBar, Span<TLane> pBar) where TLane : unmanaged, ILane<TLane>
    {
        yBar[0] += -p[0] * a[0] + (p[1] - y[2]) * a[1] + y[1] * a[2];
        yBar[1] += p[0] * a[0] - a[1] + y[0] * a[2];
        yBar[2] += -y[0] * a[1] - p[2] * a[2];
        pBar[0] += (y[1] - y[0]) * a[0];
        pBar[1] += y[0] * a[1];
        pBar[2] += -y[2] * a[2];
        return TLane.Zero;
    }
}
