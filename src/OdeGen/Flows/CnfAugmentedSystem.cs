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
/// derivatives are written once, here, from the field's generated code: the VJP combines <see cref="IOdeSystem.Vjp"/>
/// (of f, and of ‖f‖² through a = a_z − 2a_k·f), <see cref="IOdeSystemSecondOrder.DivergenceVjp"/> (exact trace) and one
/// <see cref="IOdeSystemSecondOrder.Hvp"/> along ε with a = a_l·ε − 2a_j·(∂f/∂z)ε, which is the gradient of both
/// quadratic forms at once (Hvp is linear in a). The time derivative of cᵀ(∂f/∂z)ε needs a second Hvp along t.
/// The noise is fixed for the life of the struct (one solve). Scratch is preallocated: no allocation per call.
/// Not thread-safe (scratch is shared); each chunk of a batch gets its own.
/// </remarks>
internal readonly struct CnfAugmentedSystem<TSystem> : IOdeSystem where TSystem : struct, IOdeSystemSecondOrder
{
    private readonly TSystem _field;
    private readonly int _batch, _d, _m, _stride, _kinetic, _jacobian;
    private readonly bool _exact, _probe;
    private readonly double[] _noise;
    private readonly double[] _f, _u, _a, _c, _yScratch, _pScratch, _zeroY, _zeroP, _unitY, _unitP, _column, _columnDot;

    /// <param name="field">The dynamics f.</param>
    /// <param name="batch">Samples in this system.</param>
    /// <param name="exact">Exact trace (else Hutchinson).</param>
    /// <param name="kinetic">Carry the kinetic-energy state.</param>
    /// <param name="jacobian">Carry the Jacobian-Frobenius state.</param>
    /// <param name="noise">batch × D noise vectors (empty when neither Hutchinson nor the Jacobian state needs them).</param>
    public CnfAugmentedSystem(in TSystem field, int batch, bool exact, bool kinetic, bool jacobian, double[] noise)
    {
        _field = field;
        _batch = batch;
        _d = field.StateCount;
        _m = field.ParameterCount;
        _exact = exact;
        _probe = !exact || jacobian;
        _kinetic = kinetic ? _d + 1 : -1;
        _jacobian = jacobian ? _d + 1 + (kinetic ? 1 : 0) : -1;
        _stride = StrideFor(_d, kinetic, jacobian);
        if (_probe && noise.Length != batch * _d)
            throw new ArgumentException($"noise must hold batch × D = {batch} × {_d} values, but has {noise.Length}.", nameof(noise));
        _noise = noise;
        int d = _d, m = _m;
        _f = new double[d];
        _u = new double[d];
        _a = new double[d];
        _c = new double[d];
        _yScratch = new double[d];
        _pScratch = new double[m];
        _zeroY = new double[d];
        _zeroP = new double[m];
        _unitY = new double[d];
        _unitP = new double[m];
        _column = new double[_stride];
        _columnDot = new double[_stride];
    }

    /// <summary>Length of one sample's block: D + 1 (+1 kinetic) (+1 Jacobian).</summary>
    public static int StrideFor(int d, bool kinetic, bool jacobian) => d + 1 + (kinetic ? 1 : 0) + (jacobian ? 1 : 0);

    public int Stride => _stride;
    public int KineticIndex => _kinetic;
    public int JacobianIndex => _jacobian;
    public int StateCount => _batch * _stride;
    public int ParameterCount => _m;

    private ReadOnlySpan<double> Noise(int b) => _probe ? _noise.AsSpan(b * _d, _d) : default;

    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        int d = _d, s = _stride;
        for (int b = 0; b < _batch; b++)
        {
            ReadOnlySpan<double> z = y.Slice(b * s, d);
            Span<double> o = dydt.Slice(b * s, s);
            Span<double> f = o[..d];
            if (_probe) _field.Jvp(t, z, p, 0.0, Noise(b), _zeroP, f, _u);
            else _field.Evaluate(t, z, p, f);
            o[d] = _exact ? _field.Divergence(t, z, p) : Dot(Noise(b), _u);
            if (_kinetic >= 0) o[_kinetic] = -Dot(f, f);
            if (_jacobian >= 0) o[_jacobian] = -Dot(_u, _u);
        }
    }

    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
    {
        int d = _d, s = _stride;
        double tBar = 0;
        for (int b = 0; b < _batch; b++)
        {
            ReadOnlySpan<double> z = y.Slice(b * s, d);
            ReadOnlySpan<double> ab = a.Slice(b * s, s);
            Span<double> zBar = yBar.Slice(b * s, d);
            ReadOnlySpan<double> e = Noise(b);
            if (_probe) _field.Jvp(t, z, p, 0.0, e, _zeroP, _f, _u);
            else if (_kinetic >= 0) _field.Evaluate(t, z, p, _f);

            // d/dz of a_zᵀf − a_k‖f‖² is (a_z − 2a_k f)ᵀ∂f/∂z: one Vjp.
            ab[..d].CopyTo(_a);
            if (_kinetic >= 0)
            {
                double w = -2 * ab[_kinetic];
                for (int i = 0; i < d; i++) _a[i] += w * _f[i];
            }
            tBar += _field.Vjp(t, z, p, _a, zBar, pBar);

            if (_exact && ab[d] != 0) tBar += _field.DivergenceVjp(t, z, p, ab[d], zBar, pBar);

            // a_l·εᵀJε − a_j·‖Jε‖² is, to first order, cᵀJε with c = a_l·ε − 2a_j·Jε (Jε held): one Hvp along ε.
            if (_probe && CombinedProbe(ab, e))
            {
                _field.Hvp(t, z, p, _c, 0.0, e, _zeroP, zBar, pBar);
                tBar += TimeDerivativeOfQuadraticForm(t, z, p, _c, e);
            }
        }
        return tBar;
    }

    // Fills _c with the a of the Hvp that differentiates the probe terms; false when it is zero.
    private bool CombinedProbe(ReadOnlySpan<double> ab, ReadOnlySpan<double> e)
    {
        int d = _d;
        double wl = _exact ? 0 : ab[d], wj = _jacobian >= 0 ? -2 * ab[_jacobian] : 0;
        if (wl == 0 && wj == 0) return false;
        for (int i = 0; i < d; i++) _c[i] = (wl * e[i]) + (wj * _u[i]);
        return true;
    }

    // ∂/∂t [cᵀ(∂f/∂z)ε] = εᵀ·(Hvp along t).yBarDot; the generated Hvp returns no time component, so this is a second call.
    private double TimeDerivativeOfQuadraticForm(double t, ReadOnlySpan<double> z, ReadOnlySpan<double> p, ReadOnlySpan<double> c, ReadOnlySpan<double> e)
    {
        Array.Clear(_yScratch);
        Array.Clear(_pScratch);
        _field.Hvp(t, z, p, c, 1.0, _zeroY, _zeroP, _yScratch, _pScratch);
        return Dot(_yScratch, e);
    }

    public void Jvp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> yDot, ReadOnlySpan<double> pDot,
        Span<double> dydt, Span<double> dydtDot)
    {
        int s = _stride;
        for (int b = 0; b < _batch; b++)
            SampleJvp(b, t, y.Slice(b * s, _d), p, tDot, yDot.Slice(b * s, _d), pDot, dydt.Slice(b * s, s), dydtDot.Slice(b * s, s));
    }

    // One sample's block of the JVP: value and tangent of [f; l'; k'; j'] along (tDot, zDot, pDot).
    private void SampleJvp(int b, double t, ReadOnlySpan<double> z, ReadOnlySpan<double> p, double tDot, ReadOnlySpan<double> zDot,
        ReadOnlySpan<double> pDot, Span<double> o, Span<double> oDot)
    {
        int d = _d;
        ReadOnlySpan<double> e = Noise(b);
        Span<double> f = o[..d], fDot = oDot[..d];
        _field.Jvp(t, z, p, tDot, zDot, pDot, f, fDot);
        if (_probe) _field.Jvp(t, z, p, 0.0, e, _zeroP, _f, _u);
        if (_exact)
        {
            o[d] = _field.Divergence(t, z, p);
            Array.Clear(_yScratch);
            Array.Clear(_pScratch);
            double dt = _field.DivergenceVjp(t, z, p, 1.0, _yScratch, _pScratch);
            oDot[d] = (dt * tDot) + Dot(_yScratch, zDot) + Dot(_pScratch, pDot);
        }
        else
        {
            o[d] = Dot(e, _u);
            oDot[d] = DirectionalQuadraticForm(t, z, p, e, e, tDot, zDot, pDot);
        }
        if (_kinetic >= 0)
        {
            o[_kinetic] = -Dot(f, f);
            oDot[_kinetic] = -2 * Dot(f, fDot);
        }
        if (_jacobian >= 0)
        {
            o[_jacobian] = -Dot(_u, _u);
            _u.CopyTo(_c, 0);
            oDot[_jacobian] = -2 * DirectionalQuadraticForm(t, z, p, _c, e, tDot, zDot, pDot);
        }
    }

    // d/dδ [cᵀ(∂f/∂z)ε] along (tDot, zDot, pDot), c and ε held: εᵀ·yBarDot of one Hvp along that direction.
    private double DirectionalQuadraticForm(double t, ReadOnlySpan<double> z, ReadOnlySpan<double> p, ReadOnlySpan<double> c, ReadOnlySpan<double> e,
        double tDot, ReadOnlySpan<double> zDot, ReadOnlySpan<double> pDot)
    {
        Array.Clear(_yScratch);
        Array.Clear(_pScratch);
        _field.Hvp(t, z, p, c, tDot, zDot, pDot, _yScratch, _pScratch);
        return Dot(_yScratch, e);
    }

    /// <summary>Dense Jacobians by one JVP per column of the sample's own block (the blocks do not interact).</summary>
    public void Jacobian(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp)
    {
        int d = _d, s = _stride, n = StateCount, m = _m;
        dfdy.Clear();
        dfdp.Clear();
        for (int b = 0; b < _batch; b++)
        {
            ReadOnlySpan<double> z = y.Slice(b * s, d);
            for (int j = 0; j < d; j++)
            {
                _unitY[j] = 1;
                SampleJvp(b, t, z, p, 0.0, _unitY, _zeroP, _column, _columnDot);
                _unitY[j] = 0;
                for (int i = 0; i < s; i++) dfdy[((b * s) + i) * n + (b * s) + j] = _columnDot[i];
            }
            for (int q = 0; q < m; q++)
            {
                _unitP[q] = 1;
                SampleJvp(b, t, z, p, 0.0, _zeroY, _unitP, _column, _columnDot);
                _unitP[q] = 0;
                for (int i = 0; i < s; i++) dfdp[((b * s) + i) * m + q] = _columnDot[i];
            }
        }
    }

    private static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++) sum += x[i] * y[i];
        return sum;
    }
}
