using OdeGen.Solvers;

namespace OdeGen;

/// <summary>
/// The system with its full sensitivity matrix: state [y; S] where S (n × (n + m), row-major) holds
/// ∂y/∂y0 in its first n columns and ∂y/∂p in the last m. Dynamics [f; ∂f/∂y·S + [0 | ∂f/∂p]], from one
/// generated <see cref="IOdeSystem.Jacobian"/> and one <see cref="IOdeSystem.Evaluate"/> per evaluation.
/// </summary>
/// <remarks>
/// <para>The dense Jacobian costs n(n + m) scratch and O(n²(n + m)) per evaluation; it is the right trade for the
/// small systems whose full sensitivity matrix one wants at all (the matrix itself is that large).</para>
/// <para>Derivatives for the stiff solvers. The augmented Jacobian is block lower triangular: ∂f/∂y = J in the
/// y rows; J again on the diagonal block of every column c of S; and, coupling column c to y, the block
/// H_c = ∂(J·s_c + ∂f/∂p_c)/∂y, which holds second derivatives of f that <see cref="IOdeSystem"/> does not supply.
/// With <see cref="CouplingByDifferences"/> true (what the gradients use), H_c is formed column by column from forward
/// differences of the generated Jacobian (n more Jacobian calls per step): Rosenbrock methods build the Jacobian into
/// their formula and lose order without it, and ESDIRK Newton iterations converge faster with it. False leaves H_c out
/// (block-diagonal, as in CVODES's simultaneous corrector); kept to measure the difference (docs/sensitivity.md).
/// ∂F/∂t is exact for y (one JVP with tDot = 1) and a forward difference of the Jacobian in t for S.</para>
/// </remarks>
internal readonly struct ForwardSensitivityField<TSystem> : IJacobianField where TSystem : struct, IOdeSystem
{
    private const double SqrtEps = 1.4901161193847656e-8;   // √(2^−52)

    private readonly TSystem _system;
    private readonly double[] _p, _dfdy, _dfdp;
    // Scratch for the derivatives (allocated at construction; explicit methods get empty arrays).
    private readonly double[] _dfdyShift, _dfdpShift, _shifted, _zeroY, _zeroP, _value;
    private readonly EvaluationCounter _counter;
    private readonly int _n, _m;

    public ForwardSensitivityField(in TSystem system, double[] p, EvaluationCounter counter, bool withDerivatives, bool couplingByDifferences)
    {
        _system = system;
        _p = p;
        _counter = counter;
        _n = system.StateCount;
        _m = system.ParameterCount;
        int n = _n, m = _m;
        _dfdy = new double[n * n];
        _dfdp = new double[n * m];
        int k = withDerivatives ? 1 : 0;
        _dfdyShift = new double[k * n * n];
        _dfdpShift = new double[k * n * m];
        _shifted = new double[k * n];
        _zeroY = new double[k * n];
        _zeroP = new double[k * m];
        _value = new double[k * n];
        CouplingByDifferences = couplingByDifferences;
    }

    /// <summary>True: the Jacobian includes the coupling blocks H_c by differences; false: block-diagonal.</summary>
    public bool CouplingByDifferences { get; }

    public int Dimension => _n + _n * (_n + _m);

    public void Evaluate(double t, ReadOnlySpan<double> y, Span<double> dydt)
    {
        int n = _n, m = _m, cols = n + m;
        ReadOnlySpan<double> state = y[..n];
        ReadOnlySpan<double> s = y.Slice(n, n * cols);
        Span<double> ds = dydt.Slice(n, n * cols);
        _counter.Function++;
        _counter.Jacobian++;
        _system.Evaluate(t, state, _p, dydt[..n]);
        _system.Jacobian(t, state, _p, _dfdy, _dfdp);
        for (int i = 0; i < n; i++)
        {
            Span<double> row = ds.Slice(i * cols, cols);
            row[..n].Clear();
            _dfdp.AsSpan(i * m, m).CopyTo(row[n..]);
            ReadOnlySpan<double> jRow = _dfdy.AsSpan(i * n, n);
            for (int k = 0; k < n; k++)
            {
                double jik = jRow[k];
                if (jik == 0) continue;
                ReadOnlySpan<double> sRow = s.Slice(k * cols, cols);
                for (int c = 0; c < cols; c++) row[c] += jik * sRow[c];
            }
        }
    }

    public void Jacobian(double t, ReadOnlySpan<double> y, Span<double> dfdx)
    {
        int n = _n, m = _m, cols = n + m, d = Dimension;
        ReadOnlySpan<double> state = y[..n];
        ReadOnlySpan<double> s = y.Slice(n, n * cols);
        dfdx.Clear();
        _counter.Jacobian++;
        _system.Jacobian(t, state, _p, _dfdy, _dfdp);
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<double> jRow = _dfdy.AsSpan(i * n, n);
            jRow.CopyTo(dfdx.Slice(i * d, n));
            // ∂(J·S)[i, c]/∂S[k, c] = J[i, k]: the same J on every column's diagonal block.
            for (int c = 0; c < cols; c++)
            {
                Span<double> row = dfdx.Slice((n + i * cols + c) * d, d);
                for (int k = 0; k < n; k++) row[n + k * cols + c] = jRow[k];
            }
        }
        if (!CouplingByDifferences) return;
        // H_c[:, j] = (J(y + δe_j)·s_c + ∂f/∂p_c(y + δe_j) − J(y)·s_c − ∂f/∂p_c(y))/δ, for all c at once.
        state.CopyTo(_shifted);
        for (int j = 0; j < n; j++)
        {
            double yj = state[j];
            _shifted[j] = yj + SqrtEps * Math.Max(Math.Abs(yj), 1e-5);
            double delta = _shifted[j] - yj;
            _counter.Jacobian++;
            _system.Jacobian(t, _shifted, _p, _dfdyShift, _dfdpShift);
            _shifted[j] = yj;
            AddCoupling(s, dfdx, j, 1.0 / delta);
        }
    }

    public void TimeDerivative(double t, ReadOnlySpan<double> y, Span<double> dfdt)
    {
        int n = _n, m = _m, cols = n + m;
        ReadOnlySpan<double> state = y[..n];
        ReadOnlySpan<double> s = y.Slice(n, n * cols);
        // ∂f/∂t exactly; ∂(J·S + [0 | ∂f/∂p])/∂t by a forward difference of the Jacobian in t.
        _counter.Jvp++;
        _system.Jvp(t, state, _p, 1.0, _zeroY, _zeroP, _value, dfdt[..n]);
        double t1 = t + SqrtEps * Math.Max(Math.Abs(t), 1e-5), delta = t1 - t, scale = 1.0 / delta;
        _counter.Jacobian += 2;
        _system.Jacobian(t, state, _p, _dfdy, _dfdp);
        _system.Jacobian(t1, state, _p, _dfdyShift, _dfdpShift);
        Span<double> ds = dfdt.Slice(n, n * cols);
        for (int i = 0; i < n; i++)
        {
            for (int c = 0; c < cols; c++)
            {
                double sum = c >= n ? _dfdpShift[i * m + c - n] - _dfdp[i * m + c - n] : 0.0;
                for (int k = 0; k < n; k++) sum += (_dfdyShift[i * n + k] - _dfdy[i * n + k]) * s[k * cols + c];
                ds[i * cols + c] = sum * scale;
            }
        }
    }

    // Column j of every H_c, from the shifted Jacobians in scratch and the unshifted ones in _dfdy, _dfdp.
    private void AddCoupling(ReadOnlySpan<double> s, Span<double> dfdx, int j, double scale)
    {
        int n = _n, m = _m, cols = n + m, d = Dimension;
        for (int i = 0; i < n; i++)
        {
            for (int c = 0; c < cols; c++)
            {
                double sum = c >= n ? _dfdpShift[i * m + c - n] - _dfdp[i * m + c - n] : 0.0;
                for (int k = 0; k < n; k++) sum += (_dfdyShift[i * n + k] - _dfdy[i * n + k]) * s[k * cols + c];
                dfdx[(n + i * cols + c) * d + j] = sum * scale;
            }
        }
    }
}
