namespace OdeGen.Implicit;

/// <summary>
/// Broyden's "good" method on F(z) = g(z) − z = 0, in inverse form with limited memory: the inverse Jacobian
/// B ≈ (∂F/∂z)⁻¹ starts at −I (so the first step is a plain iteration) and takes the rank-one updates
/// B ← B + (s − By)(sᵀB)/(sᵀBy) with s = Δz, y = ΔF, stored as B = −I + Σ uᵢvᵢᵀ. The step is Δz = −B·F(z).
/// When the memory is full, or a step would be implausibly long, the history restarts from −I (counted as a restart).
/// </summary>
internal sealed class BroydenStepper
{
    private readonly int _n, _memory;
    private readonly double[] _u, _v;          // memory rows of length n
    private readonly double[] _previousZ, _previousF, _s, _y, _by;
    private int _count;
    private bool _hasPrevious;

    public BroydenStepper(int length, int memory)
    {
        _n = length;
        _memory = memory;
        _u = new double[memory * length];
        _v = new double[memory * length];
        _previousZ = new double[length];
        _previousF = new double[length];
        _s = new double[length];
        _y = new double[length];
        _by = new double[length];
    }

    public void Reset()
    {
        _count = 0;
        _hasPrevious = false;
    }

    /// <summary>Overwrites z with the next iterate given F(z) = <paramref name="f"/>; true when the history had to restart.</summary>
    public bool Next(Span<double> z, ReadOnlySpan<double> f)
    {
        bool restarted = false;
        if (_hasPrevious)
        {
            for (int i = 0; i < _n; i++)
            {
                _s[i] = z[i] - _previousZ[i];
                _y[i] = f[i] - _previousF[i];
            }

            // By = B·y and v = Bᵀs; the update is u = (s − By)/(vᵀy), v.
            Apply(_y, _by, transpose: false);
            if (_count == _memory)
            {
                _count = 0;
                restarted = true;
                Apply(_y, _by, transpose: false);
            }

            Span<double> v = _v.AsSpan(_count * _n, _n);
            Apply(_s, v, transpose: true);
            double denominator = Vectors.Dot(v, _y);
            if (Math.Abs(denominator) > 1e-14 * Vectors.Norm(v) * Vectors.Norm(_y) && double.IsFinite(denominator))
            {
                Span<double> u = _u.AsSpan(_count * _n, _n);
                for (int i = 0; i < _n; i++) u[i] = (_s[i] - _by[i]) / denominator;
                _count++;
            }
        }

        z.CopyTo(_previousZ);
        f.CopyTo(_previousF);
        _hasPrevious = true;

        // Δz = −B·F. A secant pair with ΔF tiny next to Δz (a flat or rounding-dominated F) makes B huge and throws z
        // far away, where absorption can even make g(z) = z in floating point. No honest Newton step is 10⁴ times the
        // residual (that needs ∂g/∂z within 10⁻⁴ of I); then restart from B = −I, a plain step.
        Apply(f, _by, transpose: false);
        if (Vectors.Norm(_by) > 1e4 * Vectors.Norm(f))
        {
            _count = 0;
            restarted = true;
            Apply(f, _by, transpose: false);
        }

        for (int i = 0; i < _n; i++) z[i] -= _by[i];
        return restarted;
    }

    /// <summary>result = B·x (or Bᵀ·x) with B = −I + Σ uᵢvᵢᵀ.</summary>
    private void Apply(ReadOnlySpan<double> x, Span<double> result, bool transpose)
    {
        for (int i = 0; i < _n; i++) result[i] = -x[i];
        for (int k = 0; k < _count; k++)
        {
            ReadOnlySpan<double> u = _u.AsSpan(k * _n, _n), v = _v.AsSpan(k * _n, _n);
            if (transpose) Vectors.AddScaled(result, Vectors.Dot(u, x), v);
            else Vectors.AddScaled(result, Vectors.Dot(v, x), u);
        }
    }
}
