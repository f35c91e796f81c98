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
/// Its parameters are θ (the hypernetwork's); the per-sample part's generated Divergence, DivergenceVjp and Hvp give the
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
    }

    public int StateCount => _samples.StateCount;
    public int ParameterCount => _hypernetwork.ParameterCount;

    public bool Fits(int count, bool exact, bool kinetic, bool jacobian) => _samples.Fits(count, exact, kinetic, jacobian);

    public void LoadNoise(ReadOnlySpan<double> noise) => _samples.LoadNoise(noise);

    private void Weights(double t, ReadOnlySpan<double> p)
    {
        _t[0] = t;
        _hypernetwork.Evaluate(_t, p, _q);
    }

    public void Evaluate(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dydt)
    {
        Weights(t, p);
        _samples.Evaluate(t, y, _q, dydt);
    }

    public double Vjp(double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, ReadOnlySpan<double> a, Span<double> yBar, Span<double> pBar)
    {
        Weights(t, p);
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
