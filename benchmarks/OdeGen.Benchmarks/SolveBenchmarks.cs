using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using OdeGen.Solvers;

namespace OdeGen.Benchmarks;

/// <summary>
/// Ode.Solve on Lorenz at rtol = atol = 1e-8 with Dopri5, Tsit5 and DOP853 against the hand-written Dopri5 loop
/// (<see cref="LoopDopri5"/>, same controller and tolerance semantics, so it takes the same steps). Two end times, so
/// the Allocated column shows that allocation is per solve (result, workspace), not per step: it must be the same
/// at t1 = 10 and t1 = 100 although the second takes about ten times the steps.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(Columns))]
public class LorenzSolveBenchmarks
{
    private readonly Lorenz.RhsSystem _lorenz = new();
    private readonly SolverOptions _dopri5 = Problems.Options(OdeMethod.Dopri5), _tsit5 = Problems.Options(OdeMethod.Tsit5),
        _dop853 = Problems.Options(OdeMethod.Dop853),
        _dopri5Integral = new() { RelTol = Problems.Tolerance, AbsTol = Problems.Tolerance, Controller = StepSizeControl.Integral };
    private RungeKuttaIntegrator<SystemField<Lorenz.RhsSystem>> _reused = null!;

    /// <summary>End time of the solve.</summary>
    [Params(10.0, 100.0)] public double T { get; set; }

    /// <summary>Creates the reused integrator (outside the timed region).</summary>
    [GlobalSetup]
    public void Setup() => _reused = new RungeKuttaIntegrator<SystemField<Lorenz.RhsSystem>>(3, _dopri5);

    /// <summary>The baseline: hand-written Dopri5, its workspace allocated per solve as Ode.Solve's is.</summary>
    [Benchmark(Baseline = true)]
    public double HandDopri5()
    {
        var solver = new LoopDopri5(3);
        solver.Solve(_lorenz, Problems.Y0, Problems.P, 0, T, Problems.Tolerance, Problems.Tolerance);
        return solver.State[0];
    }

    /// <summary>Ode.Solve with Dopri5.</summary>
    [Benchmark] public double Dopri5() => Ode.Solve(_lorenz, Problems.Y0, Problems.P, 0, T, _dopri5).FinalState[0];

    /// <summary>Ode.Solve with Dopri5 and integral step-size control (β = 0: one Math.Pow a step, as Boost.Odeint's controller).</summary>
    [Benchmark] public double Dopri5Integral() => Ode.Solve(_lorenz, Problems.Y0, Problems.P, 0, T, _dopri5Integral).FinalState[0];

    /// <summary>Ode.Solve with Tsit5.</summary>
    [Benchmark] public double Tsit5() => Ode.Solve(_lorenz, Problems.Y0, Problems.P, 0, T, _tsit5).FinalState[0];

    /// <summary>Ode.Solve with DOP853.</summary>
    [Benchmark] public double Dop853() => Ode.Solve(_lorenz, Problems.Y0, Problems.P, 0, T, _dop853).FinalState[0];

    /// <summary>
    /// rtol = atol at which Ode.Solve's Dopri5 (PI control) is as accurate at y(10) as Boost.Odeint's dopri5 at 1e-8: the
    /// loosest on run-peers.sh's grid 1e-8·10^(k/8) (PeerMode.MatchTolerance, k = 3: 2.37e-8; 845 steps to t = 10, error 4.4e-7,
    /// Boost's 4.9e-7 in 834 steps), fixed here so a least-of-N harness (OdeGen.AbCompare) can time the equal-accuracy solve.
    /// </summary>
    public static readonly double MatchedTolerance = Problems.Tolerance * Math.Pow(10, 3 / 8.0);

    /// <summary>The same for integral control (k = −1: 7.5e-9; 833 steps to t = 10, error 4.8e-7).</summary>
    public static readonly double MatchedIntegralTolerance = Problems.Tolerance * Math.Pow(10, -1 / 8.0);

    private readonly SolverOptions _dopri5Matched = new() { RelTol = MatchedTolerance, AbsTol = MatchedTolerance },
        _dopri5IntegralMatched = new() { RelTol = MatchedIntegralTolerance, AbsTol = MatchedIntegralTolerance, Controller = StepSizeControl.Integral };

    /// <summary>Ode.Solve with Dopri5 at Boost.Odeint's accuracy (<see cref="MatchedTolerance"/>).</summary>
    [Benchmark] public double Dopri5Matched() => Ode.Solve(_lorenz, Problems.Y0, Problems.P, 0, T, _dopri5Matched).FinalState[0];

    /// <summary><see cref="Dopri5Matched"/> through the integrator (a vector field: no register path).</summary>
    [Benchmark] public double Dopri5MatchedIntegrator() => Ode.Solve(new SystemField<Lorenz.RhsSystem>(_lorenz, Problems.P), Problems.Y0, 0, T, _dopri5Matched).FinalState[0];

    /// <summary>Ode.Solve with Dopri5 and integral control at Boost.Odeint's accuracy (<see cref="MatchedIntegralTolerance"/>).</summary>
    [Benchmark] public double Dopri5IntegralMatched() => Ode.Solve(_lorenz, Problems.Y0, Problems.P, 0, T, _dopri5IntegralMatched).FinalState[0];

    /// <summary>
    /// rtol = atol at which integral control with Boost.Odeint's hold band (<see cref="SolverOptions.HoldBand"/> = 0.5) is as accurate at
    /// y(10) as Boost.Odeint's dopri5 at 1e-8, on run-peers.sh's grid (k = −2: 5.62e-9; 866 steps, error 4.0e-7).
    /// </summary>
    public static readonly double MatchedHoldTolerance = Problems.Tolerance * Math.Pow(10, -2 / 8.0);

    private readonly SolverOptions _dopri5Hold = new() { RelTol = MatchedHoldTolerance, AbsTol = MatchedHoldTolerance, Controller = StepSizeControl.Integral, HoldBand = 0.5 };

    /// <summary>Ode.Solve with Dopri5, integral control and Boost.Odeint's hold band at Boost's accuracy (<see cref="MatchedHoldTolerance"/>).</summary>
    [Benchmark] public double Dopri5HoldMatched() => Ode.Solve(_lorenz, Problems.Y0, Problems.P, 0, T, _dopri5Hold).FinalState[0];

    /// <summary>The same with a wider hold band (0.3: err in [0.3, 1] keeps the step; 7.5e-9 is its matched tolerance, error 4.85e-7).</summary>
    public static readonly double MatchedWideHoldTolerance = Problems.Tolerance * Math.Pow(10, -1 / 8.0);

    private readonly SolverOptions _dopri5WideHold = new() { RelTol = MatchedWideHoldTolerance, AbsTol = MatchedWideHoldTolerance, Controller = StepSizeControl.Integral, HoldBand = 0.3 };

    /// <summary>Ode.Solve with Dopri5, integral control and the hold band [0.3, 1] at Boost's accuracy (<see cref="MatchedWideHoldTolerance"/>).</summary>
    [Benchmark] public double Dopri5WideHoldMatched() => Ode.Solve(_lorenz, Problems.Y0, Problems.P, 0, T, _dopri5WideHold).FinalState[0];


    private SolverOptions? _saveAt;
    private SolverOptions SaveAtOptions => _saveAt ??= new() { RelTol = MatchedTolerance, AbsTol = MatchedTolerance, SaveAt = Enumerable.Range(0, 1001).Select(i => T * i / 1000).ToArray() };

    /// <summary>Ode.Solve, matched accuracy, 1,001 save times (the register path saves from the stages' dense output).</summary>
    [Benchmark] public double Dopri5SaveAt() => Ode.Solve(_lorenz, Problems.Y0, Problems.P, 0, T, SaveAtOptions).FinalState[0];

    /// <summary>The same through the integrator (a vector field: no register path), the baseline of <see cref="Dopri5SaveAt"/>.</summary>
    [Benchmark] public double Dopri5SaveAtIntegrator() => Ode.Solve(new SystemField<Lorenz.RhsSystem>(_lorenz, Problems.P), Problems.Y0, 0, T, SaveAtOptions).FinalState[0];

    private SolverOptions? _saveSteps;
    private SolverOptions SaveStepsOptions => _saveSteps ??= new() { RelTol = MatchedTolerance, AbsTol = MatchedTolerance, SaveSteps = true };

    /// <summary>Ode.Solve, matched accuracy, every accepted step saved (a Boost.Odeint observer's use).</summary>
    [Benchmark] public double Dopri5SaveSteps() => Ode.Solve(_lorenz, Problems.Y0, Problems.P, 0, T, SaveStepsOptions).FinalState[0];

    /// <summary>The same through the integrator (a vector field: no register path), the baseline of <see cref="Dopri5SaveSteps"/>.</summary>
    [Benchmark] public double Dopri5SaveStepsIntegrator() => Ode.Solve(new SystemField<Lorenz.RhsSystem>(_lorenz, Problems.P), Problems.Y0, 0, T, SaveStepsOptions).FinalState[0];

    private SolverOptions? _dense;
    private SolverOptions DenseOptions => _dense ??= new() { RelTol = MatchedTolerance, AbsTol = MatchedTolerance, Dense = true };

    /// <summary>Ode.Solve, matched accuracy, with dense output (every step's continuous extension kept).</summary>
    [Benchmark] public double Dopri5Dense() => Ode.Solve(_lorenz, Problems.Y0, Problems.P, 0, T, DenseOptions).FinalState[0];

    /// <summary>The same through the integrator (a vector field: no register path), the baseline of <see cref="Dopri5Dense"/>.</summary>
    [Benchmark] public double Dopri5DenseIntegrator() => Ode.Solve(new SystemField<Lorenz.RhsSystem>(_lorenz, Problems.P), Problems.Y0, 0, T, DenseOptions).FinalState[0];

    /// <summary>The hand-written loop at <see cref="MatchedTolerance"/>.</summary>
    [Benchmark]
    public double HandDopri5Matched()
    {
        var solver = new LoopDopri5(3);
        solver.Solve(_lorenz, Problems.Y0, Problems.P, 0, T, MatchedTolerance, MatchedTolerance);
        return solver.State[0];
    }

    /// <summary>The floor: Dopri5 written for Lorenz alone in locals, with Ode.Solve's controller (<see cref="LorenzRegisterDopri5"/>).</summary>
    [Benchmark]
    public double RegisterLoopDopri5Matched()
    {
        Span<double> y = stackalloc double[3];
        Problems.Y0.CopyTo(y);
        LorenzRegisterDopri5.Solve(Problems.P, y, T, MatchedTolerance, 0.01, boostLike: false);
        return y[0];
    }

    /// <summary>The same loop with Boost.Odeint's error norm and controller, at Boost's tolerance (1e-8).</summary>
    [Benchmark]
    public double RegisterLoopBoostLike()
    {
        Span<double> y = stackalloc double[3];
        Problems.Y0.CopyTo(y);
        LorenzRegisterDopri5.Solve(Problems.P, y, T, Problems.Tolerance, 0.01, boostLike: true);
        return y[0];
    }

    /// <summary>The runtime's Dopri5 integrator, created once and reset per solve: what Ode.Solve costs without its allocations.</summary>
    [Benchmark]
    public double Dopri5Reused()
    {
        _reused.Reset(new SystemField<Lorenz.RhsSystem>(_lorenz, Problems.P), Problems.Y0, 0, T);
        _reused.Run();
        return _reused.State[0];
    }

    /// <summary>Steps / rejected / f evaluations of one solve, as "steps (rejected) / nfe".</summary>
    public static string Work(string method, double t1)
    {
        var lorenz = new Lorenz.RhsSystem();
        if (method is nameof(HandDopri5))
        {
            var s = new LoopDopri5(3);
            s.Solve(lorenz, Problems.Y0, Problems.P, 0, t1, Problems.Tolerance, Problems.Tolerance);
            return $"{s.Steps} ({s.Rejected}) / {s.Evaluations}";
        }
        if (method is nameof(Dopri5Integral))
        {
            SolverStats si = Ode.Solve(lorenz, Problems.Y0, Problems.P, 0, t1, new SolverOptions { RelTol = Problems.Tolerance, AbsTol = Problems.Tolerance, Controller = StepSizeControl.Integral }).Stats;
            return $"{si.Steps} ({si.RejectedSteps}) / {si.FunctionEvaluations}";
        }
        OdeMethod m = method switch { nameof(Tsit5) => OdeMethod.Tsit5, nameof(Dop853) => OdeMethod.Dop853, _ => OdeMethod.Dopri5 };
        SolverStats st = Ode.Solve(lorenz, Problems.Y0, Problems.P, 0, t1, Problems.Options(m)).Stats;
        return $"{st.Steps} ({st.RejectedSteps}) / {st.FunctionEvaluations}";
    }

    private sealed class Columns : ManualConfig
    {
        public Columns() => AddColumn(new InfoColumn("Steps (rej) / nfe", c => Work(InfoColumn.Method(c), InfoColumn.Param(c, nameof(T), 100.0))));
    }
}

