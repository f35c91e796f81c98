using OdeGen.Solvers;

namespace OdeGen;

/// <summary>
/// The system with its full sensitivity matrix: state [y; S] where S (n × (n + m), row-major) holds
/// ∂y/∂y0 in its first n columns and ∂y/∂p in the last m. Dynamics [f; ∂f/∂y·S + [0 | ∂f/∂p]], from one
/// generated <see cref="IOdeSystem.Jacobian"/> and one <see cref="IOdeSystem.Evaluate"/> per evaluation.
/// </summary>
/// <remarks>
/// The dense Jacobian costs n(n + m) scratch and O(n²(n + m)) per evaluation; it is the right trade for the
/// small systems whose full sensitivity matrix one wants at all (the matrix itself is that large).
/// </remarks>
internal readonly struct ForwardSensitivityField<TSystem> : IVectorField where TSystem : struct, IOdeSystem
{
    private readonly TSystem _system;
    private readonly double[] _p, _dfdy, _dfdp;
    private readonly EvaluationCounter _counter;
    private readonly int _n, _m;

    public ForwardSensitivityField(in TSystem system, double[] p, double[] dfdy, double[] dfdp, EvaluationCounter counter)
    {
        _system = system;
        _p = p;
        _dfdy = dfdy;
        _dfdp = dfdp;
        _counter = counter;
        _n = system.StateCount;
        _m = system.ParameterCount;
    }

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
}
