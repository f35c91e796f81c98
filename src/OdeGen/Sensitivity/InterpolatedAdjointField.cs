using OdeGen.Solvers;

namespace OdeGen;

/// <summary>
/// The adjoint dynamics with the state taken from the forward solution's dense output instead of being
/// integrated backwards: state [a; a_p; a_t] (n + m + 1), dynamics [−aᵀ∂f/∂y; −aᵀ∂f/∂p; −aᵀ∂f/∂t] at
/// y(t) interpolated from a <see cref="DenseSegment"/>. One VJP per evaluation, no f.
/// </summary>
internal readonly struct InterpolatedAdjointField<TSystem> : IVectorField where TSystem : struct, IOdeSystem
{
    private readonly TSystem _system;
    private readonly double[] _p, _z;
    private readonly DenseSegment _segment;
    private readonly EvaluationCounter _counter;
    private readonly int _n, _m;

    public InterpolatedAdjointField(in TSystem system, double[] p, DenseSegment segment, double[] zScratch, EvaluationCounter counter)
    {
        _system = system;
        _p = p;
        _segment = segment;
        _z = zScratch;
        _counter = counter;
        _n = system.StateCount;
        _m = system.ParameterCount;
    }

    public int Dimension => _n + _m + 1;

    public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt)
    {
        int n = _n, m = _m;
        _segment.Evaluate(t, _z);
        Span<double> da = dydt[..n];
        Span<double> dap = dydt.Slice(n, m);
        da.Clear();
        dap.Clear();
        _counter.Vjp++;
        double at = _system.Vjp(t, _z, _p, y[..n], da, dap);
        for (int i = 0; i < n; i++) da[i] = -da[i];
        for (int k = 0; k < m; k++) dap[k] = -dap[k];
        dydt[n + m] = -at;
    }
}
