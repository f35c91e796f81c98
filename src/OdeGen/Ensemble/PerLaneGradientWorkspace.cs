using OdeGen.Lanes;
using OdeGen.Solvers;

namespace OdeGen.Ensemble;

/// <summary>
/// What the one-thread per-lane discrete adjoint (<see cref="PerLaneGradient"/>) keeps from one call to the next for a caller
/// that repeats calls of one shape with a shared θ: the problem with its input copies, the result, the job and the worker
/// (its record grown to the longest round so far). A call of the same shape (trajectory count, number of times, options,
/// width, loss or seed) reloads them, so after the first call nothing is allocated; another shape replaces them. One call
/// at a time; the system must be the same value on every call (the worker keeps a copy). The per-lane twin of
/// <see cref="LaneLossGradientWorkspace{TSystem}"/>.
/// </summary>
/// <typeparam name="TSystem">The dynamics.</typeparam>
internal sealed class PerLaneGradientWorkspace<TSystem> : IDisposable
    where TSystem : struct, IOdeLaneSystem
{
    private EnsembleProblem? _problem;
    private SolverOptionsKey? _problemOptions;   // the options the kept problem was built from, with their arrays
    private PerLaneGradientJob? _job;
    private object? _worker;   // a PerLaneGradientWorker<TSystem, TLane> of _width's lane type
    private LaneWidth _width;
    private long? _budget, _round;

    /// <summary>The solver options (and their arrays' contents) the checks of an earlier call passed: not checked again.</summary>
    public SolverOptionsKey? CheckedOptions { get; set; }

    /// <summary>
    /// The gradient, as <see cref="PerLaneGradient.Compute{TSystem}"/> computes it on one thread (the same bits). The inputs are
    /// checked by the caller, except the per-lane capabilities (checked here). The result belongs to this workspace.
    /// </summary>
    public EnsembleGradient Gradient(in TSystem system, ReadOnlySpan<double> y0s, ReadOnlySpan<double> p, int count, double t0,
        ReadOnlySpan<double> times, EnsembleObservationLoss? loss, ReadOnlySpan<double> dLdy, SolverOptions options, EnsembleOptions ensemble)
    {
        LaneWidth width = ensemble.ResolvedWidth;
        bool withLoss = loss is not null;
        if (_problem is { } kept && _job is { } job && kept.Count == count && job.Output.HasLoss == withLoss && _problemOptions!.Matches(options)
            && _width == width && _budget == ensemble.PerLaneRecordBytes && _round == ensemble.PerLaneRoundBytes && job.Output.Times.Length == times.Length)
        {
            kept.Reload(y0s, p, t0, times[^1]);
            job.Output.Reuse(times);
        }
        else
        {
            Dispose();
            var problem = new EnsembleProblem(count, system.StateCount, system.ParameterCount, y0s, p, true, t0, times[^1], options);
            _problem = problem;
            _problemOptions = new SolverOptionsKey(options);
            _width = width;
            _budget = ensemble.PerLaneRecordBytes;
            _round = ensemble.PerLaneRoundBytes;
            var solution = new EnsembleSolution(count, problem.StateCount, null, width,
                EnsembleOptions.LaneCount(width) * EnsembleLayout.Registers(problem.Options));
            var output = new EnsembleGradient(solution, times.ToArray(), problem.ParameterCount, true, withLoss, Sensitivity.DiscreteAdjoint);
            _job = new PerLaneGradientJob(problem, output, loss);
        }
        PerLaneEnsemble.Check(system, _problem);
        PerLaneGradientJob current = _job!;
        current.Reset();
        current.Loss = loss;
        if (!withLoss) dLdy.CopyTo(current.Output.DLdy);
        switch (width)
        {
            case LaneWidth.Lane512: Run<Lane512>(system, current); break;
            case LaneWidth.Lane256: Run<Lane256>(system, current); break;
            case LaneWidth.Lane128: Run<Lane128>(system, current); break;
            default: Run<Lane1>(system, current); break;
        }
        current.Complete();
        return current.Output;
    }

    private void Run<TLane>(in TSystem system, PerLaneGradientJob job) where TLane : unmanaged, ILane<TLane>
    {
        if (_worker is not PerLaneGradientWorker<TSystem, TLane> worker)
            _worker = worker = new PerLaneGradientWorker<TSystem, TLane>(system, job, _budget ?? PerLaneGradient.DefaultRecordBytes, _round ?? PerLaneGradient.DefaultRoundBytes);
        if (job.Problem.Count > 0) worker.Run();
    }

    /// <summary>Returns the problem's pooled input copies; the workspace starts over on its next call.</summary>
    public void Dispose()
    {
        _problem?.Dispose();
        _problem = null;
        _job = null;
        _worker = null;
    }
}
