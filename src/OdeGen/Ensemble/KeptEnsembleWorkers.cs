using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using OdeGen.Lanes;
using OdeGen.Solvers;

namespace OdeGen.Ensemble;

/// <summary>
/// The workers of an ensemble solve (one block solver per thread), kept by a solution that is solved into again and
/// again (the Ode.Solve overload with a destination): a later call of the same shape rebinds them to its problem instead
/// of making new ones, so after its first call a solve on one thread allocates nothing but its problem, and on more
/// threads only what Parallel.For allocates for itself (<see cref="EnsembleRunner{TSystem, TLane}.ForEachBlock"/>).
/// </summary>
/// <remarks>
/// <para>A later call fits when its system is the same value (compared bit for bit; a system that holds references is
/// never kept, so a call with such a system makes its workers anew, as every call did before), its options the same
/// instance with the same array contents (SolverOptionsKey: the tableau, step, tolerances and save times the solvers derived from it) and
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
    private readonly SolverOptionsKey _options;
    private readonly bool _fusedSteps;
    // Made once, so that a call allocates no delegates of its own.
    private readonly Func<EnsembleWorker<TSystem, TLane>> _take;
    private readonly Action<EnsembleWorker<TSystem, TLane>, int> _solveBlock;
    private readonly Action<EnsembleWorker<TSystem, TLane>> _giveBack;
    private readonly Stack<EnsembleWorker<TSystem, TLane>> _idle = new();   // every worker made, between calls
    private EnsembleProblem? _problem;
    private EnsembleSolution? _output;
    private bool _finished;

    public KeptEnsembleWorkers(in TSystem system, EnsembleProblem problem)
    {
        _system = system;
        _options = new SolverOptionsKey(problem.Options);
        _fusedSteps = problem.FusedSteps;
        _take = Take;
        _solveBlock = (worker, block) => worker.Solve(block, _output!);
        _giveBack = GiveBack;
    }

    /// <summary>Whether the last call finished (an exception from the system leaves workers that are not kept).</summary>
    public bool Keepable => _finished && !RuntimeHelpers.IsReferenceOrContainsReferences<TSystem>();

    /// <summary>Whether these workers can solve <paramref name="problem"/> with <paramref name="system"/> (see the remarks).</summary>
    public bool Fits(in TSystem system, EnsembleProblem problem) =>
        _options.Matches(problem.Options) && problem.FusedSteps == _fusedSteps && SameBits(system, _system);

    /// <summary>Solves every block of <paramref name="problem"/> into <paramref name="output"/>.</summary>
    public void Solve(EnsembleProblem problem, EnsembleSolution output, EnsembleOptions ensemble)
    {
        _finished = false;
        foreach (EnsembleWorker<TSystem, TLane> worker in _idle) worker.Rebind(problem);
        _problem = problem;
        _output = output;
        try
        {
            EnsembleRunner<TSystem, TLane>.ForEachBlock(problem, ensemble, _take, _solveBlock, _giveBack);
            _finished = true;
        }
        finally
        {
            // The problem's pooled inputs go back to the pool after the call: nothing here may read them until the next Rebind.
            _problem = null;
            _output = null;
        }
    }

    // A thread's worker: an idle one (already rebound to this call's problem) or a new one. Parallel.For may start more
    // tasks than threads over a call; each gives its worker back when it ends, so the stack holds about one per thread.
    private EnsembleWorker<TSystem, TLane> Take()
    {
        lock (_idle)
            if (_idle.TryPop(out EnsembleWorker<TSystem, TLane>? worker)) return worker;
        return new EnsembleWorker<TSystem, TLane>(_system, _problem!, gradient: false);
    }

    private void GiveBack(EnsembleWorker<TSystem, TLane> worker)
    {
        lock (_idle) _idle.Push(worker);
    }

    // Bit-for-bit equality of two values of a type without references (false for one with references: see Keepable).
    private static bool SameBits(in TSystem a, in TSystem b)
    {
        if (RuntimeHelpers.IsReferenceOrContainsReferences<TSystem>()) return false;
        ReadOnlySpan<byte> x = MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<TSystem, byte>(ref Unsafe.AsRef(in a)), Unsafe.SizeOf<TSystem>());
        ReadOnlySpan<byte> y = MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<TSystem, byte>(ref Unsafe.AsRef(in b)), Unsafe.SizeOf<TSystem>());
        return x.SequenceEqual(y);
    }
}
