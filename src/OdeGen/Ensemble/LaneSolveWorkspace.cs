using OdeGen.Lanes;
using OdeGen.Solvers;

namespace OdeGen.Ensemble;

/// <summary>
/// What a one-thread ensemble solve keeps from one call to the next, for a caller that repeats solves of one shape
/// (a model's lane ODE block, once per group of samples): the problem with its input copies, the block worker (its lane
/// solver) and the solution. A call of the same shape (trajectory count, shared parameters, options, width) reloads
/// them instead of allocating, so after the first call nothing is allocated; another shape replaces them. The blocks
/// run in order on the calling thread, as <c>EnsembleRunner.Solve</c> runs them on one thread: the same bits. One call at
/// a time; the system must be the same value on every call (the worker keeps a copy).
/// </summary>
/// <typeparam name="TSystem">The dynamics.</typeparam>
internal sealed class LaneSolveWorkspace<TSystem> : IDisposable
    where TSystem : struct, IOdeLaneSystem
{
    private EnsembleProblem? _problem;
    private SolverOptionsKey? _problemOptions;   // the options the kept problem was built from, with their arrays
    private EnsembleSolution? _solution;
    private object? _worker;   // an EnsembleWorker<TSystem, TLane> of _width's lane type
    private LaneWidth _width;

    /// <summary>The solver options (and their arrays' contents) the checks of an earlier call passed: not checked again.</summary>
    public SolverOptionsKey? CheckedOptions { get; set; }

    /// <summary>Solves every trajectory (inputs checked by the caller). The result belongs to this workspace: the next call overwrites it.</summary>
    public EnsembleSolution Solve(in TSystem system, ReadOnlySpan<double> y0s, ReadOnlySpan<double> ps, bool shared, int count,
        double t0, double t1, SolverOptions options, EnsembleOptions ensemble)
    {
        LaneWidth width = ensemble.ResolvedWidth;
        if (_problem is { } kept && _solution is { } solution && kept.Count == count && kept.SharedParameters == shared
            && _problemOptions!.Matches(options) && kept.FusedSteps == ensemble.FusedSteps && _width == width)
        {
            kept.Reload(y0s, ps, t0, t1);
            solution.Reuse(solution.Count, solution.StateCount, solution.SaveAt, solution.Width, solution.LanesPerBlock);
        }
        else
        {
            Dispose();
            var problem = new EnsembleProblem(count, system.StateCount, system.ParameterCount, y0s, ps, shared, t0, t1, options) { FusedSteps = ensemble.FusedSteps };
            _problem = problem;
            _problemOptions = new SolverOptionsKey(options);
            _width = width;
            _solution = new EnsembleSolution(count, problem.StateCount, problem.Options.SaveAt, width,
                EnsembleOptions.LaneCount(width) * EnsembleLayout.Registers(problem.Options));
            _worker = null;
        }
        switch (width)
        {
            case LaneWidth.Lane512: Run<Lane512>(system); break;
            case LaneWidth.Lane256: Run<Lane256>(system); break;
            case LaneWidth.Lane128: Run<Lane128>(system); break;
            default: Run<Lane1>(system); break;
        }
        return _solution!;
    }

    private void Run<TLane>(in TSystem system) where TLane : unmanaged, ILane<TLane>
    {
        EnsembleProblem problem = _problem!;
        if (_worker is not EnsembleWorker<TSystem, TLane> worker)
        {
            worker = new EnsembleWorker<TSystem, TLane>(system, problem, gradient: false);
            _worker = worker;
        }
        int blocks = EnsembleRunner<TSystem, TLane>.Blocks(problem);
        for (int b = 0; b < blocks; b++) worker.Solve(b, _solution!);
    }

    /// <summary>Returns the problem's pooled input copies; the workspace starts over on its next call.</summary>
    public void Dispose()
    {
        _problem?.Dispose();
        _problem = null;
        _solution = null;
        _worker = null;
    }
}
