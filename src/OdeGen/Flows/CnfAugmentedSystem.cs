using System.Runtime.InteropServices;
using OdeGen.Lanes;

namespace OdeGen.Flows;

/// <summary>
/// The dynamics a continuous normalizing flow integrates, for a chunk of samples that share θ: per sample the block
/// [z (D); l; k?; j?] with
/// <code>
///   dz/dt = f(t, z, θ)
///   dl/dt = tr(∂f/∂z)            (exact, generated Divergence)  or  εᵀ(∂f/∂z)ε  (Hutchinson)
///   dk/dt = −‖f‖²                (kinetic energy, when weighted)
///   dj/dt = −‖(∂f/∂z)ε‖²         (Jacobian Frobenius estimate, when weighted)
/// </code>
/// Integrated from the data at t1 back to the base at t0 with l = k = j = 0 at t1, it gives
/// log p(x) = log N(z(t0)) + l(t0), and k(t0), j(t0) are the regularizers' (positive) integrals.
/// </summary>
/// <remarks>
/// This is an ordinary <see cref="IOdeSystem"/>, so every solver and every <see cref="Sensitivity"/> works on it. Its
/// derivatives are written once, here, from the field's generated code: the VJP combines Vjp (of f, and of ‖f‖² through
/// a = a_z − 2a_k·f), DivergenceVjp (exact trace) and one Hvp along ε with c = a_l·ε − 2a_j·(∂f/∂z)ε, which is the
/// gradient of both quadratic forms at once (Hvp is linear in its a). The time derivative of cᵀ(∂f/∂z)ε needs a second
/// Hvp along t (the generated Hvp returns no time component). With the exact trace, f with its trace and the two VJPs
/// go through the kernel's paired calls, one sweep each for a generated field (<see cref="IOdeAugmentedSystemSecondOrder"/>).
/// <para>
/// Samples go through the kernel <c>TLane.Count</c> at a time, one per lane, θ broadcast to every lane; the last group
/// is padded with a copy of its last sample and zero adjoints, so padding adds nothing. With <see cref="Lane1"/> this is
/// the scalar path and θ is used in place.
/// </para>
/// The noise is fixed during a solve (<see cref="LoadNoise"/> replaces it between solves, so a flow reuses one system per
/// chunk across training iterations). Scratch is preallocated: no allocation per call.
/// Not thread-safe (scratch is shared); each chunk of a batch gets its own.
/// </remarks>
internal readonly struct CnfAugmentedSystem<TKernel, TLane> : ICnfChunkSystem
    where TKernel : struct, ICnfKernel<TLane> where TLane : unmanaged, ILane<TLane>
{
    private static readonly int L = TLane.Count;
    private readonly TKernel _kernel;
    private readonly int _batch, _groups, _d, _m, _stride, _kinetic, _jacobian;
    private readonly bool _exact, _probe;
    private readonly TLane[] _noise;
    private readonly TLane[] _z, _zDot, _a, _f, _f2, _fDot, _u, _c, _zBar, _yScratch, _zeroY;
    private readonly TLane[] _pLanes, _pDotLanes, _pBarLanes, _pScratch, _pDiscard, _zeroP;
    private readonly double[] _pHeld, _lane, _unitN, _unitM, _column, _columnDot;

    /// <param name="kernel">The field's generated code.</param>
    /// <param name="batch">Samples in this system.</param>
    /// <param name="exact">Exact trace (else Hutchinson).</param>
    /// <param name="kinetic">Carry the kinetic-energy state.</param>
    /// <param name="jacobian">Carry the Jacobian-Frobenius state.</param>
    /// <param name="noise">batch × D noise vectors (empty when neither Hutchinson nor the Jacobian state needs them).</param>
    public CnfAugmentedSystem(in TKernel kernel, int batch, bool exact, bool kinetic, bool jacobian, double[] noise)
    {
        _kernel = kernel;
        _batch = batch;
        _groups = (batch + L - 1) / L;
        _d = kernel.StateCount;
        _m = kernel.ParameterCount;
        _exact = exact;
        _probe = !exact || jacobian;
        _kinetic = kinetic ? _d + 1 : -1;
        _jacobian = jacobian ? _d + 1 + (kinetic ? 1 : 0) : -1;
        _stride = StrideFor(_d, kinetic, jacobian);
        if (_probe && noise.Length != batch * _d)
            throw new ArgumentException($"noise must hold batch × D = {batch} × {_d} values, but has {noise.Length}.", nameof(noise));
        int d = _d, m = _m, wide = L > 1 ? m : 0;
        _lane = new double[L];
        _noise = new TLane[_probe ? _groups * d : 0];
        _z = new TLane[d];
        _zDot = new TLane[d];
        _a = new TLane[d];
        _f = new TLane[d];
        _f2 = new TLane[d];
        _fDot = new TLane[d];
        _u = new TLane[d];
        _c = new TLane[d];
        _zBar = new TLane[d];
        _yScratch = new TLane[d];
        _zeroY = new TLane[d];
        _pScratch = new TLane[m];
        _pDiscard = new TLane[m];
        _zeroP = new TLane[m];
        _pHeld = new double[wide];
        _pLanes = new TLane[wide];
        _pDotLanes = new TLane[wide];
        _pBarLanes = new TLane[wide];
        int n = batch * _stride;
        _unitN = new double[n];
        _unitM = new double[m];
        _column = new double[n];
        _columnDot = new double[n];
        LoadNoise(noise);
    }

    /// <summary>
    /// Replaces the noise vectors (batch × D; empty when none are used) in place, so that one system serves the solves
    /// of many training iterations without allocating. Not during a solve.
    /// </summary>
    public void LoadNoise(ReadOnlySpan<double> noise)
    {
        Array.Clear(_pDiscard);
        if (!_probe) return;
        if (noise.Length != _batch * _d)
            throw new ArgumentException($"noise must hold batch × D = {_batch} × {_d} values, but has {noise.Length}.", nameof(noise));
        int d = _d;
        for (int g = 0; g < _groups; g++)
        {
            int first = g * L, count = Math.Min(L, _batch - first);
            for (int i = 0; i < d; i++)
            {
                Array.Clear(_lane);
                for (int k = 0; k < count; k++) _lane[k] = noise[((first + k) * d) + i];
                _noise[(g * d) + i] = TLane.Load(_lane);
            }
        }
    }

    // θ's lane copy is already rebuilt only when its bits change (Parameters): nothing else depends on θ alone.
    public void HoldParameters(double[] p)
    {
    }

    public void ReleaseParameters()
    {
    }

    /// <summary>Whether this system has the layout a solve of <paramref name="batch"/> samples with these states needs (then <see cref="LoadNoise"/> makes it that solve's system).</summary>
    public bool Fits(int batch, bool exact, bool kinetic, bool jacobian) =>
        batch == _batch && exact == _exact && kinetic == (_kinetic >= 0) && jacobian == (_jacobian >= 0);

    /// <summary>Length of one sample's block: D + 1 (+1 kinetic) (+1 Jacobian).</summary>
    public static int StrideFor(int d, bool kinetic, bool jacobian) => d + 1 + (kinetic ? 1 : 0) + (jacobian ? 1 : 0);

    public int Stride => _stride;
    public int KineticIndex => _kinetic;
    public int JacobianIndex => _jacobian;
    public int StateCount => _batch * _stride;
    public int ParameterCount => _m;

    private ReadOnlySpan<TLane> Noise(int g) => _probe ? _noise.AsSpan(g * _d, _d) : default;

    // θ for the kernel: in place for one lane, else broadcast into every lane.
    private static ReadOnlySpan<TLane> Broadcast(ReadOnlySpan<double> p, TLane[] lanes)
    {
        if (L == 1) return MemoryMarshal.Cast<double, TLane>(p);
        for (int q = 0; q < p.Length; q++) lanes[q] = TLane.Create(p[q]);
        return lanes;
    }

    // θ is the same in every call of a solve, and its lane copy is L times its size (0.56 MB written per call for the
    // 64-64-64 MLP at 8 lanes): it is broadcast again only when its bits differ from the θ last broadcast (the compare
    // reads 2·m doubles). The all-zero state at construction is consistent (zero θ, zero lanes).
    private ReadOnlySpan<TLane> Parameters(ReadOnlySpan<double> p)
    {
        if (L == 1) return MemoryMarshal.Cast<double, TLane>(p);
        if (!MemoryMarshal.Cast<double, long>(p).SequenceEqual(MemoryMarshal.Cast<double, long>(_pHeld.AsSpan())))
        {
            p.CopyTo(_pHeld);
            Broadcast(p, _pLanes);
        }
        return _pLanes;
    }

    // Entries [offset, offset + width) of the group's samples, one sample per lane; padding lanes repeat the last
    // sample (pad = true: finite values for the field) or hold zero (adjoints and directions: they add nothing).
    private void Gather(ReadOnlySpan<double> source, int first, int count, int offset, Span<TLane> destination, bool pad)
    {
        if (count == L)
        {
            // A full group: one strided load per entry (the same values and rounding as through _lane).
            for (int i = 0; i < destination.Length; i++) destination[i] = TLane.LoadStrided(source, (first * _stride) + offset + i, _stride);
            return;
        }
        for (int i = 0; i < destination.Length; i++)
        {
            for (int k = 0; k < L; k++)
                _lane[k] = k < count ? source[((first + k) * _stride) + offset + i] : pad ? source[((first + count - 1) * _stride) + offset + i] : 0;
            destination[i] = TLane.Load(_lane);
        }
    }

    private TLane GatherOne(ReadOnlySpan<double> source, int first, int count, int offset)
    {
        if (count == L) return TLane.LoadStrided(source, (first * _stride) + offset, _stride);
        for (int k = 0; k < L; k++) _lane[k] = k < count ? source[((first + k) * _stride) + offset] : 0;
        return TLane.Load(_lane);
    }

    // The lanes go out through one store into _lane: a lane read at a variable index (GetLane) is a round trip through
    // memory per lane for the wide types, one store per register here.
    private void Scatter(ReadOnlySpan<TLane> values, int first, int count, int offset, Span<double> destination, bool add)
    {
        for (int i = 0; i < values.Length; i++)
        {
            TLane.Store(values[i], _lane);
            for (int k = 0; k < count; k++)
            {
                ref double slot = ref destination[((first + k) * _stride) + offset + i];
                slot = add ? slot + _lane[k] : _lane[k];
            }
        }
    }

    private void ScatterOne(TLane value, int first, int count, int offset, Span<double> destination)
    {
        TLane.Store(value, _lane);
        for (int k = 0; k < count; k++) destination[((first + k) * _stride) + offset] = _lane[k];
    }

    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        ReadOnlySpan<TLane> pl = Parameters(p);
        for (int g = 0; g < _groups; g++)
        {
            int first = g * L, count = Math.Min(L, _batch - first);
            Gather(y, first, count, 0, _z, pad: true);
            ReadOnlySpan<TLane> e = Noise(g);
            TLane trace;
            if (_probe)
            {
                _kernel.Jvp(t, _z, pl, 0.0, e, _zeroP, _f, _u);
                trace = _exact ? _kernel.Divergence(t, _z, pl) : Dot(e, _u);
            }
            else
            {
                trace = _kernel.EvaluateDivergence(t, _z, pl, _f);   // no probe: the exact trace
            }
            Scatter(_f, first, count, 0, dydt, add: false);
            ScatterOne(trace, first, count, _d, dydt);
            if (_kinetic >= 0) ScatterOne(-Dot(_f, _f), first, count, _kinetic, dydt);
            if (_jacobian >= 0) ScatterOne(-Dot(_u, _u), first, count, _jacobian, dydt);
        }
    }

    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
    {
        ReadOnlySpan<TLane> pl = Parameters(p);
        Span<TLane> pb = L == 1 ? MemoryMarshal.Cast<double, TLane>(pBar) : _pBarLanes;
        if (L > 1) pb.Clear();
        TLane tBar = TLane.Zero;
        for (int g = 0; g < _groups; g++)
        {
            int first = g * L, count = Math.Min(L, _batch - first);
            Gather(y, first, count, 0, _z, pad: true);
            Gather(a, first, count, 0, _a, pad: false);
            ReadOnlySpan<TLane> e = Noise(g);
            if (_probe) _kernel.Jvp(t, _z, pl, 0.0, e, _zeroP, _f, _u);
            else if (_kinetic >= 0) _kernel.Evaluate(t, _z, pl, _f);

            // d/dz of a_zᵀf − a_k‖f‖² is (a_z − 2a_k f)ᵀ∂f/∂z: one Vjp.
            if (_kinetic >= 0)
            {
                TLane w = -(TLane.Create(2) * GatherOne(a, first, count, _kinetic));
                for (int i = 0; i < _d; i++) _a[i] = TLane.FusedMultiplyAdd(w, _f[i], _a[i]);
            }
            Array.Clear(_zBar);
            TLane al = GatherOne(a, first, count, _d);
            tBar += _exact ? _kernel.VjpDivergenceVjp(t, _z, pl, _a, al, _zBar, pb) : _kernel.Vjp(t, _z, pl, _a, _zBar, pb);

            // a_l·εᵀJε − a_j·‖Jε‖² is, to first order, cᵀJε with c = a_l·ε − 2a_j·Jε (Jε held): one Hvp along ε.
            if (_probe)
            {
                TLane wl = _exact ? TLane.Zero : al;
                TLane wj = _jacobian >= 0 ? -(TLane.Create(2) * GatherOne(a, first, count, _jacobian)) : TLane.Zero;
                for (int i = 0; i < _d; i++) _c[i] = (wl * e[i]) + (wj * _u[i]);
                _kernel.Hvp(t, _z, pl, _c, 0.0, e, _zeroP, _zBar, pb);
                tBar += QuadraticFormDerivative(t, pl, _c, e, 1.0, _zeroY, _zeroP);
            }
            Scatter(_zBar, first, count, 0, yBar, add: true);
        }
        if (L > 1)
        {
            for (int q = 0; q < pBar.Length; q++) pBar[q] += TLane.Sum(_pBarLanes[q]);
        }
        return TLane.Sum(tBar);
    }

    // d/dδ [cᵀ(∂f/∂z)ε] along (tDot, zDot, pDot), c and ε held, at the gathered _z: εᵀ·zBarDot of one Hvp along that direction.
    // Its θ part is not wanted: it goes to a buffer nobody reads, cleared per solve (LoadNoise) rather than per call,
    // because clearing m lanes for every group of every call (0.56 MB for the 64-64-64 MLP at 8 lanes) is memory traffic of
    // the size of the field's own arithmetic. The Hvp adds finite values to it, so it stays finite within a solve.
    private TLane QuadraticFormDerivative(double t, ReadOnlySpan<TLane> p, ReadOnlySpan<TLane> c, ReadOnlySpan<TLane> e,
        double tDot, ReadOnlySpan<TLane> zDot, ReadOnlySpan<TLane> pDot)
    {
        Array.Clear(_yScratch);
        _kernel.Hvp(t, _z, p, c, tDot, zDot, pDot, _yScratch, _pDiscard);
        return Dot(_yScratch, e);
    }

    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot,
        Span<double> dydt, Span<double> dydtDot)
    {
        ReadOnlySpan<TLane> pl = Parameters(p), pd = Broadcast(pDot, _pDotLanes);
        for (int g = 0; g < _groups; g++)
        {
            int first = g * L, count = Math.Min(L, _batch - first);
            Gather(y, first, count, 0, _z, pad: true);
            Gather(yDot, first, count, 0, _zDot, pad: false);
            ReadOnlySpan<TLane> e = Noise(g);
            _kernel.Jvp(t, _z, pl, tDot, _zDot, pd, _f, _fDot);
            Scatter(_f, first, count, 0, dydt, add: false);
            Scatter(_fDot, first, count, 0, dydtDot, add: false);
            if (_probe) _kernel.Jvp(t, _z, pl, 0.0, e, _zeroP, _f2, _u);
            if (_exact)
            {
                ScatterOne(_kernel.Divergence(t, _z, pl), first, count, _d, dydt);
                Array.Clear(_yScratch);
                Array.Clear(_pScratch);
                TLane dt = _kernel.DivergenceVjp(t, _z, pl, TLane.Create(1), _yScratch, _pScratch);
                ScatterOne((dt * TLane.Create(tDot)) + Dot(_yScratch, _zDot) + Dot(_pScratch, pd), first, count, _d, dydtDot);
            }
            else
            {
                ScatterOne(Dot(e, _u), first, count, _d, dydt);
                ScatterOne(QuadraticFormDerivative(t, pl, e, e, tDot, _zDot, pd), first, count, _d, dydtDot);
            }
            if (_kinetic >= 0)
            {
                ScatterOne(-Dot(_f, _f), first, count, _kinetic, dydt);
                ScatterOne(-(TLane.Create(2) * Dot(_f, _fDot)), first, count, _kinetic, dydtDot);
            }
            if (_jacobian >= 0)
            {
                ScatterOne(-Dot(_u, _u), first, count, _jacobian, dydt);
                _u.CopyTo(_c, 0);
                ScatterOne(-(TLane.Create(2) * QuadraticFormDerivative(t, pl, _c, e, tDot, _zDot, pd)), first, count, _jacobian, dydtDot);
            }
        }
    }

    /// <summary>Dense Jacobians, one <see cref="Jvp"/> per column (for the stiff solvers; slow for large batches).</summary>
    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp) =>
        CnfDenseJacobian.FromJvps(this, t, y, p, dfdy, dfdp, _unitN, _unitM, _column, _columnDot);

    private static TLane Dot(ReadOnlySpan<TLane> x, ReadOnlySpan<TLane> y)
    {
        TLane sum = TLane.Zero;
        for (int i = 0; i < x.Length; i++) sum = TLane.FusedMultiplyAdd(x[i], y[i], sum);
        return sum;
    }
}
