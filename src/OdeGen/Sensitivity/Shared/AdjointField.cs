using OdeGen.Solvers;

namespace OdeGen;

/// <summary>
/// The augmented adjoint dynamics of Chen et al. (2018), Algorithm 2: state [z; a; a_p; a_t] of length
/// 2n + m + 1, dynamics [f(t, z); −aᵀ∂f/∂z; −aᵀ∂f/∂p; −aᵀ∂f/∂t] from one <see cref="IOdeAugmentedSystem.EvaluateVjp"/>
/// when the system has it (every generated one), else one <see cref="IOdeSystem.Evaluate"/> and one <see cref="IOdeSystem.Vjp"/>.
/// The VJP writes straight into the output slots, so no scratch is needed.
/// </summary>
internal readonly struct AdjointField<TSystem> : IVectorField where TSystem : struct, IOdeSystem
{
    private readonly TSystem _system;
    private readonly double[] _p;
    private readonly EvaluationCounter _counter;
    private readonly int _n, _m;

    public AdjointField(in TSystem system, double[] p, EvaluationCounter counter)
    {
        _system = system;
        _p = p;
        _counter = counter;
        _n = system.StateCount;
        _m = system.ParameterCount;
    }

    /// <summary>2n + m + 1.</summary>
    public int Dimension => 2 * _n + _m + 1;

    public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt)
    {
        int n = _n, m = _m;
        ReadOnlySpan<double> z = y[..n];
        ReadOnlySpan<double> a = y.Slice(n, n);
        Span<double> da = dydt.Slice(n, n);
        Span<double> dap = dydt.Slice(2 * n, m);
        _counter.Function++;
        _counter.Vjp++;
        // Vjp accumulates: start from zero, then negate (the adjoint runs against the VJP's sign).
        da.Clear();
        dap.Clear();
        double at;
        if (AugmentedCalls<TSystem>.HasEvaluateVjp)
        {
            // f and the VJP from one primal sweep (generated systems): the same bits as the two calls below.
            at = AugmentedCalls<TSystem>.EvaluateVjp(in _system, t, z, _p, a, dydt[..n], da, dap);
        }
        else
        {
            _system.Evaluate(t, z, _p, dydt[..n]);
            at = _system.Vjp(t, z, _p, a, da, dap);
        }
        for (int i = 0; i < n; i++) da[i] = -da[i];
        for (int k = 0; k < m; k++) dap[k] = -dap[k];
        dydt[2 * n + m] = -at;
    }
}
