using OdeGen.Lanes;
using OdeGen.Solvers;

namespace OdeGen.Ensemble;

/// <summary>
/// What the one-thread lane discrete adjoint of a loss at observation times keeps from one call to the next, for a
/// caller that repeats calls of one shape (the trainer's lane blocks, <c>Ode.LossGradient</c> on an
/// <see cref="EnsembleBatch"/> every iteration; a model's lane ODE block, whose seed ∂L/∂y(t1) is given rather than a loss): the problem with its input copies, the block worker (solver, tape,
/// reverse step), the result and the per-block sums. A call of the same shape (trajectory count, number of times,
/// options, width) reloads them instead of allocating, so after the first call nothing is allocated; another shape
/// replaces them. One call at a time; the system must be the same value on every call (the worker keeps a copy).
/// </summary>
/// <typeparam name="TSystem">The dynamics.</typeparam>
internal sealed class LaneLossGradientWorkspace<TSystem> : IDisposable
    where TSystem : struct, IOdeLaneSystem
{
    private EnsembleProblem? _problem;
    private SolverOptionsKey? _problemOptions;   // the options the kept problem was built from, with their arrays
    private EnsembleGradient? _output;
    private object? _worker;   // an ObservationWorker<TSystem, TLane> of _width's lane type
    private double[]? _sums;
    private LaneWidth _width;
    private bool _withLoss;

    /// <summary>The solver options (and their arrays' contents) the checks of an earlier call passed: not checked again.</summary>
    public SolverOptionsKey? CheckedOptions { get; set; }

    /// <summary>
    /// The gradient, computed as <c>ObservationRunner.Gradient</c> computes it on one thread (the same bits). The inputs
    /// are checked by the caller. Without a loss, <paramref name="dLdy"/> (N × times × StateCount, trajectory-major, as
    /// <c>Ode.Gradient</c> takes it) is the seed. The result belongs to this workspace: the next call overwrites it.
    /// </summary>
    public EnsembleGradient Gradient(in TSystem system, ReadOnlySpan<double> y0s, ReadOnlySpan<double> ps, bool shared, int count,
        double t0, ReadOnlySpan<double> times, EnsembleObservationLoss? loss, ReadOnlySpan<double> dLdy, SolverOptions options, EnsembleOptions ensemble)
    {
        LaneWidth width = ensemble.ResolvedWidth;
        bool withLoss = loss is not null;
        if (_problem is { } kept && _output is { } output && kept.Count == count && kept.SharedParameters == shared && _withLoss == withLoss
            && _problemOptions!.Matches(options) && kept.FusedSteps == ensemble.FusedSteps && kept.KeptBytes == ensemble.KeptBytes
            && kept.ContinueAtObservations == ensemble.ContinueAtObservations && _width == width && output.Times.Length == times.Length)
        {
            kept.Reload(y0s, ps, t0, times[^1]);
            output.Reuse(times);
        }
        else
        {
            Dispose();
            var problem = new EnsembleProblem(count, system.StateCount, system.ParameterCount, y0s, ps, shared, t0, times[^1], options) { FusedSteps = ensemble.FusedSteps, KeptBytes = ensemble.KeptBytes, ContinueAtObservations = ensemble.ContinueAtObservations };
            _problem = problem;
            _problemOptions = new SolverOptionsKey(options);
            _width = width;
            var solution = new EnsembleSolution(count, problem.StateCount, problem.Options.SaveAt, width,
                EnsembleOptions.LaneCount(width) * EnsembleLayout.Registers(problem.Options));
            _output = new EnsembleGradient(solution, times.ToArray(), problem.ParameterCount, shared, withLoss, Sensitivity.DiscreteAdjoint);
            _withLoss = withLoss;
            _worker = null;
            _sums = null;
        }
        if (!withLoss) dLdy.CopyTo(_output!.DLdy);
        switch (width)
        {
            case LaneWidth.Lane512: Run<Lane512>(system, loss); break;
            case LaneWidth.Lane256: Run<Lane256>(system, loss); break;
            case LaneWidth.Lane128: Run<Lane128>(system, loss); break;
            default: Run<Lane1>(system, loss); break;
        }
        return _output!;
    }

    private void Run<TLane>(in TSystem system, EnsembleObservationLoss? loss) where TLane : unmanaged, ILane<TLane>
    {
        EnsembleProblem problem = _problem!;
        EnsembleGradient output = _output!;
        if (_worker is not ObservationWorker<TSystem, TLane> worker)
        {
            worker = new ObservationWorker<TSystem, TLane>(system, problem, output.Times);
            _worker = worker;
            _sums = problem.SharedParameters ? new double[EnsembleRunner<TSystem, TLane>.Blocks(problem) * problem.ParameterCount] : null;
        }
        ObservationRunner<TSystem, TLane>.GradientOnThisThread(worker, problem, output, loss, _sums);
    }

    /// <summary>Returns the problem's pooled input copies; the workspace starts over on its next call.</summary>
    public void Dispose()
    {
        _problem?.Dispose();
        _problem = null;
        _output = null;
        _worker = null;
        _sums = null;
    }
}
