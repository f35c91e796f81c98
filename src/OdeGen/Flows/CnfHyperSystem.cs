using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using OdeGen.Lanes;

namespace OdeGen.Flows;

/// <summary>
/// The augmented CNF dynamics of a field split in two: a hypernetwork q = H(t, θ) of t alone, then a per-sample field
/// g(t, z, q) whose parameters are q. For a chunk of samples it is <see cref="CnfAugmentedSystem{TKernel, TLane}"/> over g
/// with θ replaced by q, and it computes H once per call, where a field written per sample recomputes it for every sample:
/// <code>
///   Evaluate:  q = H(t, θ);  the per-sample dynamics over the chunk with parameters q
///   Vjp:       q = H(t, θ);  q̄ = Σ over the chunk of the per-sample VJPs' parameter part;  θ̄ += q̄ᵀ∂H/∂θ,  t̄ += q̄ᵀ∂H/∂t
///   Jvp:       (q, q̇) = H's JVP along (ṫ, θ̇);  the per-sample JVP along (ṫ, ż, q̇)
/// </code>
/// so the hypernetwork's VJP runs once per call on the cotangent summed over the batch (chain rule through q).
/// </summary>
/// <remarks>
/// Within one call of the flow (<see cref="ICnfChunkSystem.HoldParameters"/>) q is remembered by t
/// (<see cref="WeightMemo"/>), bit for bit what H gives again. Its parameters are θ (the hypernetwork's); the per-sample part's generated Divergence, DivergenceVjp and Hvp give the
/// trace and its gradient exactly as for an unsplit field (q is a parameter there, so ∂/∂z never reaches H). Scratch is
/// preallocated: no allocation per call. Not thread-safe; each chunk gets its own.
/// </remarks>
internal readonly struct CnfHyperSystem<THypernetwork, TKernel, TLane> : ICnfChunkSystem
    where THypernetwork : struct, IDifferentiableFunction
    where TKernel : struct, ICnfKernel<TLane> where TLane : unmanaged, ILane<TLane>
{
    private readonly THypernetwork _hypernetwork;
    private readonly CnfAugmentedSystem<TKernel, TLane> _samples;
    private readonly double[] _t, _tDot, _tBar, _q, _qDot, _qBar, _unitN, _unitM, _column, _columnDot;
    private readonly WeightMemo _weights;

    /// <param name="hypernetwork">H: input [t], parameters θ, outputs q (the per-sample field's parameters).</param>
    /// <param name="samples">The per-sample augmented dynamics over g (ParameterCount = H's OutputCount).</param>
    public CnfHyperSystem(in THypernetwork hypernetwork, CnfAugmentedSystem<TKernel, TLane> samples)
    {
        if (hypernetwork.InputCount != 1 || hypernetwork.OutputCount != samples.ParameterCount)
            throw new ArgumentException(
                $"The hypernetwork maps [t] to the field's {samples.ParameterCount} parameters, but has {hypernetwork.InputCount} inputs and {hypernetwork.OutputCount} outputs.",
                nameof(hypernetwork));
        _hypernetwork = hypernetwork;
        _samples = samples;
        int n = samples.StateCount, m = hypernetwork.ParameterCount, k = hypernetwork.OutputCount;
        _t = new double[1];
        _tDot = new double[1];
        _tBar = new double[1];
        _q = new double[k];
        _qDot = new double[k];
        _qBar = new double[k];
        _unitN = new double[n];
        _unitM = new double[m];
        _column = new double[n];
        _columnDot = new double[n];
        _weights = new WeightMemo(k);
    }

    /// <summary>The remembered q = H(t, θ) (tests read its hits).</summary>
    internal WeightMemo Weights => _weights;

    public int StateCount => _samples.StateCount;
    public int ParameterCount => _hypernetwork.ParameterCount;

    public bool Fits(int count, bool exact, bool kinetic, bool jacobian) => _samples.Fits(count, exact, kinetic, jacobian);

    public void LoadNoise(ReadOnlySpan<double> noise) => _samples.LoadNoise(noise);

    public void HoldParameters(double[] p) => _weights.Hold(p);

    public void ReleaseParameters() => _weights.Release();

    // q = H(t, θ) into _q: from memory when this t was evaluated before with the held θ (a VJP of the discrete adjoint's
    // backward pass comes at a forward stage's time; Dopri5's last two stages share one), else computed and remembered.
    // _t is set either way: Vjp reads it next.
    private void ComputeWeights(double t, ReadOnlySpan<double> p)
    {
        _t[0] = t;
        if (_weights.TryRecall(t, p, _q)) return;
        _hypernetwork.Evaluate(_t, p, _q);
        _weights.Remember(t, p, _q);
    }

    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        ComputeWeights(t, p);
        _samples.Evaluate(t, y, _q, dydt);
    }

    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
    {
        ComputeWeights(t, p);
        Array.Clear(_qBar);
        double tBar = _samples.Vjp(t, y, _q, a, yBar, _qBar);
        _tBar[0] = 0;
        _hypernetwork.Vjp(_t, p, _qBar, _tBar, pBar);
        return tBar + _tBar[0];
    }

    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot,
        Span<double> dydt, Span<double> dydtDot)
    {
        _t[0] = t;
        _tDot[0] = tDot;
        _hypernetwork.Jvp(_t, p, _tDot, pDot, _q, _qDot);
        _samples.Jvp(t, y, _q, tDot, yDot, _qDot, dydt, dydtDot);
    }

    /// <summary>Dense Jacobians, one <see cref="Jvp"/> per column (for the stiff solvers; slow for large batches).</summary>
    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp) =>
        CnfDenseJacobian.FromJvps(this, t, y, p, dfdy, dfdp, _unitN, _unitM, _column, _columnDot);
}

/// <summary>
/// The hypernetwork's outputs q = H(t, θ) of one call, by t: a ring of (t, q), preallocated. Active only while θ is
/// held (<see cref="Hold"/>, by the flow around each solve and gradient call) and only for calls whose parameter span
/// is the held array or a copy of it with the same bits, so a θ that differs, or a system used outside the flow, is
/// never answered from memory;
/// q is a function of t and θ alone, so an answer is bit for bit what H computes again (HypernetworkFlowTests).
/// The backward pass of the discrete adjoint asks for the forward stages' times, newest first, so the ring keeps the
/// last ones. Not thread-safe (one per chunk).
/// </summary>
internal sealed class WeightMemo
{
    // At most this many bytes of q (CnfHyperSplit's 448 outputs: 64 times in 229 KB).
    private const long MaxBytes = 1L << 20;
    private readonly int _k;
    private readonly double[] _t, _q;
    private double[]? _held;
    private nint _copyAddress;
    private int _copyCollections = -1, _count, _next;

    public WeightMemo(int outputs)
    {
        _k = outputs;
        Capacity = (int)Math.Clamp(MaxBytes / (8L * Math.Max(outputs, 1)), 1, 64);
        _t = new double[Capacity];
        _q = new double[Capacity * outputs];
    }

    /// <summary>Times kept.</summary>
    public int Capacity { get; }

    /// <summary>Answers from memory since the last <see cref="Hold"/>.</summary>
    public int Hits { get; private set; }

    /// <summary>From now on, calls with <paramref name="p"/> (or a copy of its bits) are remembered; forgets the last call's.</summary>
    public void Hold(double[] p) => (_held, _copyAddress, _copyCollections, _count, _next, Hits) = (p, 0, -1, 0, 0, 0);

    /// <summary>Stops remembering and forgets.</summary>
    public void Release() => (_held, _copyAddress, _copyCollections, _count, _next) = (null, 0, -1, 0, 0);

    // Whether p holds the held θ: the held array itself, or a span whose bits were found equal to it within this hold
    // and that has not moved since. The solvers copy the caller's parameters into buffers of their own, which they never
    // write during a call: such a copy is compared in full once, then known by its address until the next garbage
    // collection (the only thing that moves or frees an array, so until then the same address is the same array).
    private bool IsHeld(ReadOnlySpan<double> p)
    {
        if (_held is not { } held || p.Length != held.Length) return false;
        ref double start = ref MemoryMarshal.GetReference(p);
        if (Unsafe.AreSame(ref start, ref MemoryMarshal.GetArrayDataReference(held))) return true;
        int before = GC.CollectionCount(0);
        nint address = Unsafe.ByteOffset(ref Unsafe.NullRef<double>(), ref start);
        int after = GC.CollectionCount(0);
        if (before == after && after == _copyCollections && address == _copyAddress) return true;
        if (!MemoryMarshal.Cast<double, long>(p).SequenceEqual(MemoryMarshal.Cast<double, long>(held.AsSpan()))) return false;
        (_copyAddress, _copyCollections) = before == after ? (address, after) : (0, -1);
        return true;
    }

    /// <summary>Copies the q remembered for exactly t into <paramref name="q"/>; false when there is none or p is not the held θ.</summary>
    public bool TryRecall(double t, ReadOnlySpan<double> p, Span<double> q)
    {
        if (!IsHeld(p)) return false;
        long bits = BitConverter.DoubleToInt64Bits(t);
        for (int i = 0; i < _count; i++)
        {
            int slot = (_next - 1 - i + Capacity) % Capacity;
            if (BitConverter.DoubleToInt64Bits(_t[slot]) != bits) continue;
            _q.AsSpan(slot * _k, _k).CopyTo(q);
            Hits++;
            return true;
        }
        return false;
    }

    /// <summary>Keeps (t, q) when p is the held θ, replacing the oldest when full.</summary>
    public void Remember(double t, ReadOnlySpan<double> p, ReadOnlySpan<double> q)
    {
        if (!IsHeld(p)) return;
        _t[_next] = t;
        q.CopyTo(_q.AsSpan(_next * _k, _k));
        _next = (_next + 1) % Capacity;
        _count = Math.Min(_count + 1, Capacity);
    }
}
