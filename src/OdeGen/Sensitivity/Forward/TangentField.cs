using OdeGen.Solvers;

namespace OdeGen;

/// <summary>
/// The system with its tangent: state [y; z] of length 2n, dynamics [f(t, y, p); ∂f/∂y·z + ∂f/∂p·ṗ],
/// one generated <see cref="IOdeSystem.Jvp"/> per evaluation. Holds references only; allocates nothing per step.
/// </summary>
/// <remarks>
/// Derivatives for the stiff solvers (the same structure as <see cref="ForwardSensitivityField{TSystem}"/>, one
/// column): [[J, 0], [H, J]] with J from the generated Jacobian and H = ∂(J·z + ∂f/∂p·ṗ)/∂y, a second derivative.
/// H is formed from forward differences of the JVP (n more JVPs) when <see cref="CouplingByDifferences"/> is true
/// (Ode.Jvp with a stiff method) and left out otherwise. ∂F/∂t: exact for y
/// (a JVP with tDot = 1), a forward difference of the JVP in t for z.
/// </remarks>
internal readonly struct TangentField<TSystem> : IJacobianField where TSystem : struct, IOdeSystem
{
    private const double SqrtEps = 1.4901161193847656e-8;   // √(2^−52)

    private readonly TSystem _system;
    private readonly double[] _p, _pDot;
    private readonly double[] _dfdy, _dfdp, _shifted, _value, _tangent, _tangentShift, _zeroY, _zeroP;
    private readonly EvaluationCounter _counter;
    private readonly int _n;

    public TangentField(in TSystem system, double[] p, double[] pDot, EvaluationCounter counter, bool withDerivatives = false, bool couplingByDifferences = false)
    {
        _system = system;
        _p = p;
        _pDot = pDot;
        _counter = counter;
        _n = system.StateCount;
        int n = _n, m = system.ParameterCount, k = withDerivatives ? 1 : 0;
        _dfdy = new double[k * n * n];
        _dfdp = new double[k * n * m];
        _shifted = new double[k * n];
        _value = new double[k * n];
        _tangent = new double[k * n];
        _tangentShift = new double[k * n];
        _zeroY = new double[k * n];
        _zeroP = new double[k * m];
        CouplingByDifferences = couplingByDifferences;
    }

    /// <summary>True: the Jacobian includes the coupling block H by differences; false: block-diagonal.</summary>
    public bool CouplingByDifferences { get; }

    public int Dimension => 2 * _n;

    public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt)
    {
        _counter.Jvp++;
        // The nudge of the times enters through the initial and final tangents, not the dynamics: tDot = 0.
        _system.Jvp(t, y[.._n], _p, 0.0, y.Slice(_n, _n), _pDot, dydt[.._n], dydt.Slice(_n, _n));
    }

    public void Jacobian(double t, ReadOnlySpan<double> y, Span<double> dfdx)
    {
        int n = _n, d = 2 * n;
        ReadOnlySpan<double> state = y[..n], z = y.Slice(n, n);
        dfdx.Clear();
        _counter.Jacobian++;
        _system.Jacobian(t, state, _p, _dfdy, _dfdp);
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<double> jRow = _dfdy.AsSpan(i * n, n);
            jRow.CopyTo(dfdx.Slice(i * d, n));
            jRow.CopyTo(dfdx.Slice((n + i) * d + n, n));
        }
        if (!CouplingByDifferences) return;
        _counter.Jvp++;
        _system.Jvp(t, state, _p, 0.0, z, _pDot, _value, _tangent);
        state.CopyTo(_shifted);
        for (int j = 0; j < n; j++)
        {
            double yj = state[j];
            _shifted[j] = yj + SqrtEps * Math.Max(Math.Abs(yj), 1e-5);
            double scale = 1.0 / (_shifted[j] - yj);
            _counter.Jvp++;
            _system.Jvp(t, _shifted, _p, 0.0, z, _pDot, _value, _tangentShift);
            _shifted[j] = yj;
            for (int i = 0; i < n; i++) dfdx[(n + i) * d + j] = (_tangentShift[i] - _tangent[i]) * scale;
        }
    }

    public void TimeDerivative(double t, ReadOnlySpan<double> y, Span<double> dfdt)
    {
        int n = _n;
        ReadOnlySpan<double> state = y[..n], z = y.Slice(n, n);
        _counter.Jvp += 3;
        _system.Jvp(t, state, _p, 1.0, _zeroY, _zeroP, _value, dfdt[..n]);
        double t1 = t + SqrtEps * Math.Max(Math.Abs(t), 1e-5), scale = 1.0 / (t1 - t);
        _system.Jvp(t, state, _p, 0.0, z, _pDot, _value, _tangent);
        _system.Jvp(t1, state, _p, 0.0, z, _pDot, _value, _tangentShift);
        for (int i = 0; i < n; i++) dfdt[n + i] = (_tangentShift[i] - _tangent[i]) * scale;
    }
}
