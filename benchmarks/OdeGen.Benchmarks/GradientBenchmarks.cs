using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace OdeGen.Benchmarks;

/// <summary>
/// Ode.Gradient of L = Σ y(T) on Lorenz with respect to y0 and (σ, ρ, β), at T = 1 and T = 10, rtol = atol = 1e-8
/// for every method (the adjoints' backward passes use the same tolerances). Forward sensitivities are the
/// baseline. At T = 10 the back-solve adjoint integrates the chaotic state backwards, which does not come back:
/// it stops with MaxStepsExceeded, so that case throws in its setup and BenchmarkDotNet reports it as failed
/// rather than timing a failure (the Status column says so).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(Columns))]
public class LorenzGradientBenchmarks
{
    private readonly Lorenz.RhsSystem _lorenz = new();
    private readonly SolverOptions _options = Problems.Options(OdeMethod.Dopri5);
    private double[] _times = [];

    /// <summary>The observation time (the loss is on y(T)).</summary>
    [Params(1.0, 10.0)] public double T { get; set; }

    /// <summary>Sets the observation time.</summary>
    [GlobalSetup]
    public void Setup() => _times = [T];

    /// <summary>Refuses to time the back-solve where it fails.</summary>
    [GlobalSetup(Target = nameof(BacksolveAdjoint))]
    public void SetupBacksolve()
    {
        Setup();
        OdeGradient g = Run(Sensitivity.BacksolveAdjoint);
        if (!g.IsSuccess) throw new InvalidOperationException($"BacksolveAdjoint at T = {T}: {g.Status}; not timed.");
    }

    /// <summary>Forward sensitivities (the baseline).</summary>
    [Benchmark(Baseline = true)] public double Forward() => Run(Sensitivity.Forward).Y0[0];

    /// <summary>Back-solve adjoint.</summary>
    [Benchmark] public double BacksolveAdjoint() => Run(Sensitivity.BacksolveAdjoint).Y0[0];

    /// <summary>Interpolating adjoint with its defaults (the forward pass's record while it fits 1 MiB, else 16 checkpoints).</summary>
    [Benchmark] public double InterpolatingAdjoint() => Run(Sensitivity.InterpolatingAdjoint()).Y0[0];

    /// <summary>Interpolating adjoint with 16 checkpoints and no record (re-solves every segment).</summary>
    [Benchmark] public double InterpolatingAdjointCheckpointed() => Run(Checkpointed).Y0[0];

    private static readonly Sensitivity Checkpointed = Sensitivity.InterpolatingAdjoint(recordBudgetBytes: 0);

    /// <summary>Discrete adjoint.</summary>
    [Benchmark] public double DiscreteAdjoint() => Run(Sensitivity.DiscreteAdjoint).Y0[0];

    private OdeGradient Run(Sensitivity s) => Ode.Gradient(_lorenz, Problems.Y0, Problems.P, 0, _times, Problems.SumLoss, s, _options);

    /// <summary>The sensitivity method a benchmark method runs.</summary>
    public static Sensitivity MethodOf(string name) => name switch
    {
        nameof(Forward) => Sensitivity.Forward,
        nameof(BacksolveAdjoint) => Sensitivity.BacksolveAdjoint,
        nameof(InterpolatingAdjoint) => Sensitivity.InterpolatingAdjoint(),
        nameof(InterpolatingAdjointCheckpointed) => Checkpointed,
        _ => Sensitivity.DiscreteAdjoint,
    };

    /// <summary>One gradient computed outside the timed runs, for the work and status columns.</summary>
    public static OdeGradient Compute(string method, double t) =>
        Ode.Gradient(new Lorenz.RhsSystem(), Problems.Y0, Problems.P, 0, [t], Problems.SumLoss, MethodOf(method), Problems.Options(OdeMethod.Dopri5));

    /// <summary>"f / jvp / vjp / jacobian" calls into the system, plus the steps of each pass.</summary>
    public static string Work(OdeGradient g) =>
        $"f {g.Stats.FunctionEvaluations}, vjp {g.Stats.VjpEvaluations}, jac {g.Stats.JacobianEvaluations}; steps fwd {g.Stats.Forward.Steps}, rec {g.Stats.Recompute.Steps}, bwd {g.Stats.Backward.Steps}";

    private sealed class Columns : ManualConfig
    {
        public Columns()
        {
            AddColumn(new InfoColumn("Status", c => Compute(InfoColumn.Method(c), InfoColumn.Param(c, nameof(T), 1.0)).Status.ToString()));
            AddColumn(new InfoColumn("Work", c => Work(Compute(InfoColumn.Method(c), InfoColumn.Param(c, nameof(T), 1.0)))));
        }
    }
}

/// <summary>A ball falling under gravity p[0] that bounces with restitution p[1] (the event benchmarks' dynamics).</summary>
public static partial class BouncingBallDynamics
{
    /// <summary>dz/dt = v, dv/dt = −g.</summary>
    [OdeDynamics(States = 2, Parameters = 2)]
    public static void Rhs(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        dydt[0] = y[1];
        dydt[1] = -p[0];
    }
}

/// <summary>
/// Gradients through events: the bouncing ball from z = 2 over three bounces (t ∈ [0, 2.5], a loss on the state at four
/// times), by forward sensitivities and the interpolating adjoint, rtol 1e-10. The events' path of the forward loop.
/// </summary>
[MemoryDiagnoser]
public class EventGradientBenchmarks
{
    private static readonly OdeReset Bounce = new(
        (y, p, yPlus) => { yPlus[0] = y[0]; yPlus[1] = -p[1] * y[1]; },
        (y, p, dhdy, dhdp) => { dhdy[0] = 1; dhdy[3] = -p[1]; dhdp[3] = -y[1]; });

    private readonly BouncingBallDynamics.RhsSystem _ball = new();
    private readonly SolverOptions _options = new() { RelTol = 1e-10, AbsTol = 1e-12, Events = [OdeEvent.StateCrossing(0, 0.0, EventDirection.Falling, Bounce)] };
    private readonly double[] _y0 = [2.0, 0.0], _p = [9.81, 0.8], _times = [0.5, 1.0, 1.8, 2.5], _dLdy = [1, 0, 0, 1, 1, 1, 0.5, -0.5];

    /// <summary>Forward sensitivities through the bounces.</summary>
    [Benchmark(Baseline = true)]
    public double Forward() => Ode.Gradient(_ball, _y0, _p, 0, _times, _dLdy, Sensitivity.Forward, _options).Parameters[0];

    /// <summary>The interpolating adjoint through the bounces.</summary>
    [Benchmark]
    public double InterpolatingAdjoint() => Ode.Gradient(_ball, _y0, _p, 0, _times, _dLdy, Sensitivity.InterpolatingAdjoint(), _options).Parameters[0];
}
