using System.Runtime.InteropServices;

namespace OdeGen.Flows;

/// <summary>
/// A chunk's augmented system with its recent evaluations remembered, for the discrete adjoint: its backward pass
/// recomputes every forward stage from the step's start state (<see cref="DiscreteAdjointSolver"/>), which for a flow is a
/// third of the kernel calls of a training iteration. Where a stage recomputed there has the same t and the same state, bit
/// for bit, as in the forward pass (θ does not change within one gradient call), f is taken from memory: the result is bit
/// for bit the one recomputation gives (CnfEvaluationMemoTests), at the cost of copying y and f per forward evaluation.
/// Every recomputed stage matches (42 of 42 on torchdiffeq's cnf.py setup) because the step record holds the h the
/// forward stages used (<see cref="Solvers.IOdeIntegrator.LastStep"/>), not t_{k+1} − t_k, which differs from it in the last bits;
/// a miss (a memory smaller than the pass) is an ordinary evaluation.
/// </summary>
/// <remarks>
/// Keys are t and the bits of y; θ is not compared, so the memo is cleared at the start of every gradient call
/// (<see cref="EvaluationMemo.Clear"/>) and must never outlive one. The last <see cref="EvaluationMemo.Capacity"/>
/// evaluations are kept, oldest replaced first: the backward pass starts from the last steps, which are the ones kept,
/// and a miss is an ordinary evaluation. Vjp, Jvp and Jacobian go to the system unchanged. Not thread-safe (one per chunk).
/// </remarks>
internal readonly struct MemoizedSystem<TSystem>(TSystem system, EvaluationMemo memo) : IOdeSystem where TSystem : struct, IOdeSystem
{
    private readonly TSystem _system = system;

    public int StateCount => _system.StateCount;
    public int ParameterCount => _system.ParameterCount;

    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        if (memo.TryRecall(t, y, dydt)) return;
        _system.Evaluate(t, y, p, dydt);
        memo.Remember(t, y, dydt);
    }

    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot,
        Span<double> dydt, Span<double> dydtDot) =>
        _system.Jvp(t, y, p, tDot, yDot, pDot, dydt, dydtDot);

    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar) =>
        _system.Vjp(t, y, p, a, yBar, pBar);

    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp) =>
        _system.Jacobian(t, y, p, dfdy, dfdp);
}

/// <summary>The remembered evaluations of a <see cref="MemoizedSystem{TSystem}"/>: a ring of (t, y, f), preallocated.</summary>
internal sealed class EvaluationMemo
{
    // At most this many bytes of y and f (a batch of 512 two-dimensional samples keeps 64 evaluations in 1.5 MB).
    private const long MaxBytes = 4L << 20;
    private readonly int _n;
    private readonly double[] _t;
    private readonly double[] _y, _f;
    private int _count, _next;

    public EvaluationMemo(int stateCount)
        : this(stateCount, (int)Math.Clamp(MaxBytes / (16L * Math.Max(stateCount, 1)), 1, 64))
    {
    }

    /// <summary>A memory of <paramref name="capacity"/> evaluations (tests: one smaller than a solve).</summary>
    internal EvaluationMemo(int stateCount, int capacity)
    {
        _n = stateCount;
        Capacity = capacity;
        _t = new double[Capacity];
        _y = new double[Capacity * stateCount];
        _f = new double[Capacity * stateCount];
    }

    /// <summary>Evaluations kept.</summary>
    public int Capacity { get; }

    /// <summary>Evaluations answered from memory since the last <see cref="Clear"/>.</summary>
    public int Hits { get; private set; }

    /// <summary>Forgets everything (at the start of a gradient call: θ may have changed since the last).</summary>
    public void Clear() => (_count, _next, Hits) = (0, 0, 0);

    /// <summary>Copies f of an earlier evaluation at exactly (t, y) into <paramref name="dydt"/>; false when there is none.</summary>
    public bool TryRecall(double t, ReadOnlySpan<double> y, Span<double> dydt)
    {
        ReadOnlySpan<long> bits = MemoryMarshal.Cast<double, long>(y);
        for (int i = 0; i < _count; i++)
        {
            // Newest first: the backward pass asks for the most recent steps first.
            int slot = (_next - 1 - i + Capacity) % Capacity;
            if (BitConverter.DoubleToInt64Bits(_t[slot]) != BitConverter.DoubleToInt64Bits(t)) continue;
            if (!bits.SequenceEqual(MemoryMarshal.Cast<double, long>(_y.AsSpan(slot * _n, _n)))) continue;
            _f.AsSpan(slot * _n, _n).CopyTo(dydt);
            Hits++;
            return true;
        }
        return false;
    }

    /// <summary>Keeps (t, y, f), replacing the oldest when full.</summary>
    public void Remember(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> dydt)
    {
        _t[_next] = t;
        y.CopyTo(_y.AsSpan(_next * _n, _n));
        dydt.CopyTo(_f.AsSpan(_next * _n, _n));
        _next = (_next + 1) % Capacity;
        _count = Math.Min(_count + 1, Capacity);
    }
}
