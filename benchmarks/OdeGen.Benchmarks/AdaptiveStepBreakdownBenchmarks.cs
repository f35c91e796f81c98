using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using OdeGen.Lanes;
using OdeGen.Solvers;

namespace OdeGen.Benchmarks;

/// <summary>
/// Where an accepted Dopri5 step on Lorenz spends its time (issue #20 item 1), without a profiler: the whole step
/// (a reused integrator's solve to t = 10, divided by its accepted steps; Ode.Solve the same; the hand-written loop) and
/// each piece of the integrator's step on its own, replayed on a recorded step of the same solve, every time in ns per
/// accepted step (OperationsPerInvoke). The pieces add up to roughly the whole step; what is left is the loop's
/// bookkeeping between them.
/// </summary>
[MemoryDiagnoser]
public class AdaptiveStepBreakdownBenchmarks
{
    private const int Replays = 1000;
    private readonly Lorenz.RhsSystem _lorenz = new();
    private readonly SolverOptions _options = Problems.Options(OdeMethod.Dopri5);
    private RungeKuttaIntegrator<SystemField<Lorenz.RhsSystem>> _reused = null!;
    private SystemField<Lorenz.RhsSystem> _field;
    private RungeKuttaKernel<Lane1> _kernel = null!;
    private double[] _y = null!, _k = null!, _arg = null!, _atol = null!, _copy = null!;
    private double _h, _t;
    private int _steps;
    private LoopDopri5 _hand = null!, _handWithoutPow = null!;

    /// <summary>Records one mid-solve step (state, f, step size) and counts the solve's accepted steps.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _field = new SystemField<Lorenz.RhsSystem>(_lorenz, Problems.P);
        _reused = new RungeKuttaIntegrator<SystemField<Lorenz.RhsSystem>>(3, _options);
        _reused.Reset(_field, Problems.Y0, 0, 10);
        for (int i = 0; i < 500; i++) _reused.Step();
        _t = _reused.Time;
        _h = _reused.NextStep;
        _y = _reused.State.ToArray();
        _k = new double[7 * 3];
        _reused.Derivative.CopyTo(_k);
        _arg = new double[3];
        _copy = new double[3];
        _atol = [Problems.Tolerance, Problems.Tolerance, Problems.Tolerance];
        _kernel = new RungeKuttaKernel<Lane1>(Tableaux.Dopri5);
        _reused.Reset(_field, Problems.Y0, 0, 10);
        _reused.Run();
        _steps = (int)_reused.Stats.Steps;
        _reused.ClearStats();
        _hand = new LoopDopri5(3);
        _handWithoutPow = new LoopDopri5(3) { PowFreeController = true };
    }

    private static Span<Lane1> L(double[] values) => MemoryMarshal.Cast<double, Lane1>(values.AsSpan());

    /// <summary>The reused integrator's whole solve to t = 10, per accepted step.</summary>
    [Benchmark(Baseline = true)]
    public double WholeStep()
    {
        _reused.Reset(_field, Problems.Y0, 0, 10);
        while (_reused.Step()) { }
        return _reused.State[0] / _steps;
    }

    /// <summary>Ode.Solve to t = 10 (allocates its integrator and solution), per accepted step.</summary>
    [Benchmark]
    public double OdeSolveStep() => Ode.Solve(_lorenz, Problems.Y0, Problems.P, 0, 10, _options).FinalState[0] / _steps;

    /// <summary>The hand-written Dopri5 loop to t = 10, per accepted step (it takes the same steps).</summary>
    [Benchmark]
    public double HandStep()
    {
        _hand.Solve(_lorenz, Problems.Y0, Problems.P, 0, 10, Problems.Tolerance, Problems.Tolerance);
        return _hand.State[0] / _hand.Steps;
    }

    /// <summary>
    /// Ablation: the hand-written loop with its controller's Math.Pow replaced by a pow-free stand-in
    /// (<see cref="LoopDopri5.PowFreeController"/>), per accepted step. HandStep minus this is what the pow costs where it sits,
    /// on the chain of dependent operations from a step's error to the next step's size (a replay of Decide alone overlaps
    /// its calls and shows their throughput instead, see ControllerDecide).
    /// </summary>
    [Benchmark]
    public double HandStepWithoutPow()
    {
        _handWithoutPow.Solve(_lorenz, Problems.Y0, Problems.P, 0, 10, Problems.Tolerance, Problems.Tolerance);
        return _handWithoutPow.State[0] / _handWithoutPow.Steps;
    }

    /// <summary>Six evaluations of f through the field, nothing else: the floor of any Dopri5 step.</summary>
    [Benchmark(OperationsPerInvoke = Replays)]
    public double SixEvaluations()
    {
        var k = _k.AsSpan();
        for (int r = 0; r < Replays; r++)
            for (int i = 1; i < 7; i++) _field.Evaluate(_t, _y, k.Slice(i * 3, 3));
        return _k[20];
    }

    /// <summary>The kernel's stages: six stage arguments (y + Σ h·a_ij·k_j) and six evaluations.</summary>
    [Benchmark(OperationsPerInvoke = Replays)]
    public double KernelStages()
    {
        var f = new FieldStages(_field);
        for (int r = 0; r < Replays; r++) _kernel.Stages(ref f, _t, _h, L(_y), L(_k), L(_arg));
        return _arg[0];
    }

    /// <summary>The kernel's error norm of one attempt.</summary>
    [Benchmark(OperationsPerInvoke = Replays)]
    public double KernelErrorNorm()
    {
        double s = 0;
        for (int r = 0; r < Replays; r++)
        {
            s += _kernel.SingleErrorNorm(_h, L(_k), L(_y), L(_arg), 3, _atol, Problems.Tolerance, ErrorNorm.Rms);
        }
        return s;
    }

    /// <summary>The finiteness checks of one attempt (the candidate and every stage).</summary>
    [Benchmark(OperationsPerInvoke = Replays)]
    public int FiniteChecks()
    {
        int finite = 0;
        for (int r = 0; r < Replays; r++)
            if (StepControl.AllFinite(_arg) && StepControl.AllFinite(_k)) finite++;
        return finite;
    }

    /// <summary>The PI controller's decision on an accepted step (two Math.Pow).</summary>
    [Benchmark(OperationsPerInvoke = Replays)]
    public double ControllerDecide()
    {
        var c = new StepSizeController(_options, Tableaux.Dopri5);
        double sum = 0;
        for (int r = 0; r < Replays; r++)
        {
            c.Decide(0.3 + r * 1e-4, _h, out double hNext);
            sum += hNext;
        }
        return sum;
    }

    /// <summary>The step loop's clamp to the end and underflow test.</summary>
    [Benchmark(OperationsPerInvoke = Replays)]
    public double ClampAndUnderflow()
    {
        double sum = 0;
        for (int r = 0; r < Replays; r++)
        {
            double h = StepControl.ClampToEnd(_h, _t + r * 1e-6, 10, 1, double.PositiveInfinity);
            if (Math.Abs(h) >= StepControl.MinimumStep(0, _t)) sum += h;
        }
        return sum;
    }

    /// <summary>The four state copies of an accepted step.</summary>
    [Benchmark(OperationsPerInvoke = Replays)]
    public double AcceptCopies()
    {
        for (int r = 0; r < Replays; r++)
        {
            _y.AsSpan().CopyTo(_copy);
            _arg.AsSpan().CopyTo(_copy);
            _k.AsSpan(18, 3).CopyTo(_copy);
            _k.AsSpan(0, 3).CopyTo(_copy);
        }
        return _copy[0];
    }

    private readonly struct FieldStages(SystemField<Lorenz.RhsSystem> field) : IStageFunction<Lane1>
    {
        public void Evaluate(double t, ReadOnlySpan<Lane1> y, Span<Lane1> dydt) =>
            field.Evaluate(t, MemoryMarshal.Cast<Lane1, double>(y), MemoryMarshal.Cast<Lane1, double>(dydt));
    }
}
