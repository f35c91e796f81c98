using OdeGen.Lanes;

namespace OdeGen.Ensemble;

/// <summary>
/// One thread's share of an ensemble: a block solver and, for gradients, the tape and the reverse step, allocated
/// once and reused for every block the thread takes.
/// </summary>
internal sealed class EnsembleWorker<TSystem, TLane>
    where TSystem : struct, IOdeLaneSystem
    where TLane : unmanaged, ILane<TLane>
{
    private EnsembleProblem _problem;
    private readonly LaneBlockSolver<TSystem, TLane> _solver;
    private readonly LaneReverseStep<TSystem, TLane>? _reverse;
    private readonly LaneTape<TLane>? _tape;
    private readonly TLane[] _lambda, _pBar;
    private readonly double[] _scratch;

    public EnsembleWorker(in TSystem system, EnsembleProblem problem, bool gradient)
    {
        _problem = problem;
        _solver = new LaneBlockSolver<TSystem, TLane>(system, problem);
        _scratch = new double[TLane.Count];
        int g = _solver.RegisterCount;
        if (gradient)
        {
            _tape = new LaneTape<TLane>(g * problem.StateCount, problem.Options.Method.Tableau,
            LaneReverseStep<TSystem, TLane>.KeptPerStage(system, g), problem.KeptBytes);
            _solver.Observer = _tape;
            _reverse = new LaneReverseStep<TSystem, TLane>(system, problem.Options.Method.Tableau, problem.StateCount, problem.ParameterCount, g);
            _lambda = new TLane[g * problem.StateCount];
            _pBar = new TLane[g * problem.ParameterCount];
        }
        else
        {
            _lambda = [];
            _pBar = [];
        }
    }

    public LaneBlockSolver<TSystem, TLane> Solver => _solver;

    /// <summary>Takes a later call's problem of the same shape (<see cref="LaneBlockSolver{TSystem, TLane}.Rebind"/>).</summary>
    public void Rebind(EnsembleProblem problem)
    {
        _problem = problem;
        _solver.Rebind(problem);
    }

    public long Vjps => _reverse?.Vjps ?? 0;

    public void Solve(int block, EnsembleSolution output) => _solver.SolveBlock(block, output);

    /// <summary>
    /// Solves the block recording its steps, then sweeps them backwards from λ = dL/dy(T). Writes the valid lanes'
    /// gradient rows and, for a shared θ, the block's sum into <paramref name="blockSums"/>[block·m …].
    /// </summary>
    public void Gradient(int block, EnsembleGradient output, double[] dLdyT, double[]? blockSums)
    {
        int n = _problem.StateCount, m = _problem.ParameterCount, w = TLane.Count, count = _problem.Count, registers = _solver.RegisterCount;
        int first = block * w * registers;
        _solver.SolveBlock(block, output.Solution);
        for (int g = 0; g < registers; g++)
            for (int q = 0; q < n; q++)
            {
                int firstOfRegister = first + g * w;
                for (int l = 0; l < w; l++) _scratch[l] = firstOfRegister + l < count ? dLdyT[(firstOfRegister + l) * n + q] : 0.0;
                _lambda[g * n + q] = TLane.Load(_scratch);
            }
        _pBar.AsSpan().Clear();
        LaneTape<TLane> tape = _tape!;
        ReadOnlySpan<TLane> p = _solver.P;
        for (int k = tape.Count - 1; k >= 0; k--)
            _reverse!.Reverse(tape, k, p, _lambda, _pBar);
        OdeStatus[] statuses = _solver.LaneStatus;
        LaneGradientRows.Write<TLane>(_lambda, _pBar, statuses, _scratch, block, first, registers, count, n, m, output.Y0, output.Parameters, blockSums,
            output.Solution.Statuses);
    }
}
