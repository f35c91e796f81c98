using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using OdeGen.Lanes;
using OdeGen.Threading;

namespace OdeGen.Ensemble;

/// <summary>
/// The workers of an ensemble solve (one block solver per thread, made on the thread that first needs it) and the
/// runner that hands them blocks, kept by a solution that is solved into again and again (the Ode.Solve overload with a
/// destination): a later call of the same shape rebinds the workers to its problem instead of making new ones and runs
/// on the same runner, so after its first call on a number of threads it allocates nothing but its problem.
/// </summary>
/// <remarks>
/// <para>A later call fits when its system is the same value (compared bit for bit; a system that holds references is
/// never reused, so a call with such a system makes its workers anew, as every call did before), its options the same
/// instance (SolverOptions is immutable: the tableau, step, tolerances and save times the solvers derived from it) and
/// its fused-step choice the same. Sizes and width follow: the destination's shape was checked against the call.</para>
/// <para>Which worker solves which block varies from call to call, but a block's result does not depend on the worker:
/// every block starts from its own inputs (the solver resets all its state), so the bits are those of new workers on
/// one thread.</para>
/// </remarks>
internal sealed class KeptEnsembleWorkers<TSystem, TLane>
    where TSystem : struct, IOdeLaneSystem
    where TLane : unmanaged, ILane<TLane>
{
    private readonly TSystem _system;
    private readonly SolverOptions _options;
    private readonly bool _fusedSteps;
    private readonly PartitionRunner _runner = new();
    private readonly Action<int, int> _solveBlock;   // made once: a call allocates no delegate
    private EnsembleWorker<TSystem, TLane>?[] _workers = [];
    private EnsembleProblem? _problem;
    private EnsembleSolution? _output;
    private bool _finished;

    public KeptEnsembleWorkers(in TSystem system, EnsembleProblem problem)
    {
        _system = system;
        _options = problem.Options;
        _fusedSteps = problem.FusedSteps;
        _solveBlock = SolveBlock;
    }

    /// <summary>Whether the last call finished (an exception from the system leaves workers that are not kept).</summary>
    public bool Keepable => _finished && !RuntimeHelpers.IsReferenceOrContainsReferences<TSystem>();

    /// <summary>Whether these workers can solve <paramref name="problem"/> with <paramref name="system"/> (see the remarks).</summary>
    public bool Fits(in TSystem system, EnsembleProblem problem) =>
        ReferenceEquals(problem.Options, _options) && problem.FusedSteps == _fusedSteps && SameBits(system, _system);

    /// <summary>Solves every block of <paramref name="problem"/> into <paramref name="output"/> on up to <paramref name="threads"/> threads.</summary>
    public void Solve(EnsembleProblem problem, EnsembleSolution output, int threads)
    {
        _finished = false;
        int blocks = EnsembleRunner<TSystem, TLane>.Blocks(problem);
        threads = Math.Max(1, Math.Min(threads, blocks));
        if (_workers.Length < threads) Array.Resize(ref _workers, threads);
        foreach (EnsembleWorker<TSystem, TLane>? worker in _workers) worker?.Rebind(problem);
        _problem = problem;
        _output = output;
        try
        {
            _runner.Run(blocks, threads, _solveBlock);
            _finished = true;
        }
        finally
        {
            // The problem's pooled inputs go back to the pool after the call: nothing here may read them until the next Rebind.
            _problem = null;
            _output = null;
        }
    }

    private void SolveBlock(int worker, int block) =>
        (_workers[worker] ??= new EnsembleWorker<TSystem, TLane>(_system, _problem!, gradient: false)).Solve(block, _output!);

    // Bit-for-bit equality of two values of a type without references (false for one with references: see Keepable).
    private static bool SameBits(in TSystem a, in TSystem b)
    {
        if (RuntimeHelpers.IsReferenceOrContainsReferences<TSystem>()) return false;
        ReadOnlySpan<byte> x = MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<TSystem, byte>(ref Unsafe.AsRef(in a)), Unsafe.SizeOf<TSystem>());
        ReadOnlySpan<byte> y = MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<TSystem, byte>(ref Unsafe.AsRef(in b)), Unsafe.SizeOf<TSystem>());
        return x.SequenceEqual(y);
    }
}
