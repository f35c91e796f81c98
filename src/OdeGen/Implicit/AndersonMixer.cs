using OdeGen.Solvers;

namespace OdeGen.Implicit;

/// <summary>
/// Anderson acceleration (type II, Walker and Ni 2011): keep the last m iterates zᵢ, images g(zᵢ) and residuals
/// rᵢ = g(zᵢ) − zᵢ; choose weights α with Σα = 1 that minimise ‖Σ αᵢrᵢ‖² + λ‖α‖², and move to
/// β·Σ αᵢg(zᵢ) + (1 − β)·Σ αᵢzᵢ. The weights solve the bordered system [0 1ᵀ; 1 H + λI]·[ν; α] = [1; 0] with
/// H the Gram matrix of the residuals, kept up to date one row per iteration.
/// </summary>
/// <remarks>
/// Safeguard: when the residuals become linearly dependent (H singular and λ = 0, or λ too small to matter) the
/// weights are meaningless. Then the history restarts from the newest entry alone, which is a plain mixing step;
/// the search counts it as a restart.
/// </remarks>
internal sealed class AndersonMixer
{
    private readonly int _n, _m;
    private readonly double _lambda, _beta;
    private readonly double[] _z, _g, _r;     // ring buffers, m rows of length n
    private readonly double[] _gram;          // m × m, indexed by ring slot
    private readonly double[] _system, _rhs;  // the bordered system, (k + 1)²
    private readonly int[] _pivots, _slots;
    private int _count, _newest;

    public AndersonMixer(int length, int memory, double regularization, double mixing)
    {
        _n = length;
        _m = memory;
        _lambda = regularization;
        _beta = mixing;
        _z = new double[memory * length];
        _g = new double[memory * length];
        _r = new double[memory * length];
        _gram = new double[memory * memory];
        _system = new double[(memory + 1) * (memory + 1)];
        _rhs = new double[memory + 1];
        _pivots = new int[memory + 1];
        _slots = new int[memory];
    }

    public void Reset()
    {
        _count = 0;
        _newest = -1;
    }

    /// <summary>Records (z, g(z), r) and overwrites z with the next iterate; true when the history had to restart.</summary>
    public bool Next(Span<double> z, ReadOnlySpan<double> gz, ReadOnlySpan<double> r)
    {
        Push(z, gz, r);
        bool restarted = false;
        if (!Weights())
        {
            // Keep only the newest entry: its weight is 1 and the step is plain mixing.
            _count = 1;
            _slots[0] = _newest;
            _rhs[1] = 1;
            restarted = true;
        }

        z.Clear();
        for (int i = 0; i < _count; i++)
        {
            double a = _rhs[i + 1];
            int slot = _slots[i];
            Vectors.AddScaled(z, a * _beta, _g.AsSpan(slot * _n, _n));
            if (_beta != 1) Vectors.AddScaled(z, a * (1 - _beta), _z.AsSpan(slot * _n, _n));
        }

        return restarted;
    }

    private void Push(ReadOnlySpan<double> z, ReadOnlySpan<double> gz, ReadOnlySpan<double> r)
    {
        int slot = (_newest + 1) % _m;
        z.CopyTo(_z.AsSpan(slot * _n, _n));
        gz.CopyTo(_g.AsSpan(slot * _n, _n));
        r.CopyTo(_r.AsSpan(slot * _n, _n));
        _newest = slot;
        if (_count < _m) _count++;
        ReadOnlySpan<double> row = _r.AsSpan(slot * _n, _n);
        for (int i = 0; i < _count; i++)
        {
            int other = Slot(i);
            double h = Vectors.Dot(row, _r.AsSpan(other * _n, _n));
            _gram[(slot * _m) + other] = h;
            _gram[(other * _m) + slot] = h;
        }
    }

    // The slot of the i-th entry, oldest first.
    private int Slot(int i) => ((_newest - _count + 1 + i) % _m + _m) % _m;

    /// <summary>Solves for the weights into _rhs[1..k]; false when the system is singular or the weights are not usable.</summary>
    private bool Weights()
    {
        int k = _count, size = k + 1;
        for (int i = 0; i < k; i++) _slots[i] = Slot(i);
        if (k == 1)
        {
            _rhs[1] = 1;
            return true;
        }

        double largest = 0;
        for (int i = 0; i < k; i++) largest = Math.Max(largest, _gram[(_slots[i] * _m) + _slots[i]]);
        Span<double> a = _system.AsSpan(0, size * size);
        a[0] = 0;
        for (int i = 0; i < k; i++)
        {
            a[i + 1] = 1;
            a[(i + 1) * size] = 1;
            for (int j = 0; j < k; j++)
            {
                a[((i + 1) * size) + j + 1] = _gram[(_slots[i] * _m) + _slots[j]] + (i == j ? _lambda * largest : 0);
            }
        }

        Span<double> rhs = _rhs.AsSpan(0, size);
        rhs.Clear();
        rhs[0] = 1;
        if (!DenseLU.Factor(a, size, _pivots)) return false;
        DenseLU.Solve(a, size, _pivots, rhs);

        // Rounding turns an exactly singular system into a nearly singular one with huge, cancelling weights: as unusable.
        double sum = 0, magnitude = 0;
        for (int i = 1; i < size; i++)
        {
            sum += rhs[i];
            magnitude += Math.Abs(rhs[i]);
        }

        return double.IsFinite(magnitude) && magnitude < 1e8 && Math.Abs(sum - 1) < 1e-6;
    }
}
