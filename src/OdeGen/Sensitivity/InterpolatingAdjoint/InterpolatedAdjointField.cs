using OdeGen.Solvers;

namespace OdeGen;

/// <summary>
/// The adjoint dynamics with the state taken from the forward solution's dense output instead of being
/// integrated backwards: state [a; a_p; a_t] (n + m + 1), dynamics [−aᵀ∂f/∂y; −aᵀ∂f/∂p; −aᵀ∂f/∂t] at
/// y(t) interpolated from a <see cref="DenseSegment"/>. One VJP per evaluation, no f.
/// </summary>
/// <remarks>
/// Derivatives for the stiff solvers. The dynamics are linear in the backward state, so the Jacobian is exact from
/// the system's: rows of a: −(∂f/∂y)ᵀ; rows of a_p: −(∂f/∂p)ᵀ; row of a_t: −(∂f/∂t)ᵀ (one JVP with tDot = 1);
/// zeros in the columns of a_p and a_t, all at z(t) from the interpolant. ∂F/∂t is the derivative along the
/// interpolant, d/dt F(t, z(t); x) = ∂F/∂t + ∂F/∂z·ż: ż is the exact derivative of the step's interpolating
/// polynomial (<see cref="DenseSegment.Derivative"/>), and the directional derivative along (1, ż) is a forward
/// difference of two VJPs (it needs second derivatives of f, which <see cref="IOdeSystem"/> does not supply).
/// </remarks>
internal readonly struct InterpolatedAdjointField<TSystem> : IJacobianField where TSystem : struct, IOdeSystem
{
    private const double SqrtEps = 1.4901161193847656e-8;   // √(2^−52)

    private readonly TSystem _system;
    private readonly double[] _p, _z;
    private readonly double[] _zDot, _zShift, _dfdy, _dfdp, _zeroY, _zeroP, _value, _dfdt, _shifted;
    private readonly DenseSegment _segment;
    private readonly EvaluationCounter _counter;
    private readonly int _n, _m;

    public InterpolatedAdjointField(in TSystem system, double[] p, DenseSegment segment, EvaluationCounter counter, bool withDerivatives = false)
    {
        _system = system;
        _p = p;
        _segment = segment;
        _counter = counter;
        _n = system.StateCount;
        _m = system.ParameterCount;
        int n = _n, m = _m, k = withDerivatives ? 1 : 0;
        _z = new double[n];
        _zDot = new double[k * n];
        _zShift = new double[k * n];
        _dfdy = new double[k * n * n];
        _dfdp = new double[k * n * m];
        _zeroY = new double[k * n];
        _zeroP = new double[k * m];
        _value = new double[k * n];
        _dfdt = new double[k * n];
        _shifted = new double[k * (n + m + 1)];
    }

    // A copy with another system value, parameter vector and counter sharing this field's scratch (same sizes).
    private InterpolatedAdjointField(in InterpolatedAdjointField<TSystem> other, in TSystem system, double[] p, EvaluationCounter counter)
    {
        this = other;
        _system = system;
        _p = p;
        _counter = counter;
    }

    /// <summary>This field for another call's system value, parameters and counter, keeping its scratch (nothing allocated).</summary>
    public InterpolatedAdjointField<TSystem> Rebind(in TSystem system, double[] p, EvaluationCounter counter) => new(this, system, p, counter);

    public int Dimension => _n + _m + 1;

    public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt)
    {
        _segment.Evaluate(t, _z);
        EvaluateAt(t, _z, y, dydt);
    }

    public void Jacobian(double t, ReadOnlySpan<double> y, Span<double> dfdx)
    {
        int n = _n, m = _m, d = n + m + 1;
        _segment.Evaluate(t, _z);
        _counter.Jacobian++;
        _counter.Jvp++;
        _system.Jacobian(t, _z, _p, _dfdy, _dfdp);
        _system.Jvp(t, _z, _p, 1.0, _zeroY, _zeroP, _value, _dfdt);
        dfdx.Clear();
        for (int i = 0; i < n; i++)
        {
            Span<double> row = dfdx.Slice(i * d, n);
            for (int k = 0; k < n; k++) row[k] = -_dfdy[k * n + i];
        }
        for (int q = 0; q < m; q++)
        {
            Span<double> row = dfdx.Slice((n + q) * d, n);
            for (int k = 0; k < n; k++) row[k] = -_dfdp[k * m + q];
        }
        Span<double> last = dfdx.Slice((n + m) * d, n);
        for (int k = 0; k < n; k++) last[k] = -_dfdt[k];
    }

    public void TimeDerivative(double t, ReadOnlySpan<double> y, Span<double> dfdt)
    {
        int n = _n;
        _segment.Evaluate(t, _z);
        _segment.Derivative(t, _zDot);
        double t1 = t + SqrtEps * Math.Max(Math.Abs(t), 1e-5), delta = t1 - t, scale = 1.0 / delta;
        for (int i = 0; i < n; i++) _zShift[i] = _z[i] + delta * _zDot[i];
        EvaluateAt(t, _z, y, dfdt);
        EvaluateAt(t1, _zShift, y, _shifted);
        for (int i = 0; i < dfdt.Length; i++) dfdt[i] = (_shifted[i] - dfdt[i]) * scale;
    }

    private void EvaluateAt(double t, ReadOnlySpan<double> z, ReadOnlySpan<double> y, Span<double> dydt)
    {
        int n = _n, m = _m;
        Span<double> da = dydt[..n];
        Span<double> dap = dydt.Slice(n, m);
        da.Clear();
        dap.Clear();
        _counter.Vjp++;
        double at = _system.Vjp(t, z, _p, y[..n], da, dap);
        for (int i = 0; i < n; i++) da[i] = -da[i];
        for (int k = 0; k < m; k++) dap[k] = -dap[k];
        dydt[n + m] = -at;
    }
}
