namespace OdeGen.Implicit;

/// <summary>
/// Anderson acceleration (type II, Walker and Ni 2011): keep the last m iterates zᵢ, images g(zᵢ) and residuals
/// rᵢ = g(zᵢ) − zᵢ; choose weights α with Σα = 1 that minimise ‖Σ αᵢrᵢ‖² + λ‖rₑ‖²‖α‖² (rₑ the newest), and move to
/// β·Σ αᵢg(zᵢ) + (1 − β)·Σ αᵢzᵢ. The Gram matrix H of the residuals is kept up to date one row per iteration; the
/// constraint is eliminated with the newest entry e as reference (αₑ = 1 − Σ aᵢ over the others), which leaves the
/// normal equations (DᵀD + λ(I + 11ᵀ))·a = −Dᵀrₑ + λ1 of the differences dᵢ = rᵢ − rₑ, read off H.
/// </summary>
/// <remarks>
/// <para>
/// The history never holds more than n + 1 entries (n the state length): k residuals in ℝⁿ leave k − 1 differences,
/// and more than n of those are linearly dependent whatever the map, so the least-squares system of a longer history is
/// singular in exact arithmetic and its extra weights could only add rounding. A memory m &gt; n + 1 therefore behaves
/// as m = n + 1 (for a linear map, n + 1 entries already make Anderson exact, as GMRES is after n products).
/// </para>
/// <para>
/// Within that cap the differences can still be (nearly) dependent: a map that is locally affine on a subspace, or
/// residuals at rounding level. The normal equations are factored by Cholesky with the newest difference first, and
/// the first difference whose part outside the span of the newer ones is too small to survive rounding (see
/// <see cref="DropTolerance"/>) is dropped together with every older entry, for good: a condition-number based drop of
/// the oldest columns (Walker and Ni 2011, §5; Fang and Saad 2009), where the whole history used to restart. Only when
/// nothing but the newest entry is left is the step plain mixing, which the search counts as a restart.
/// </para>
/// </remarks>
internal sealed class AndersonMixer
{
    /// <summary>
    /// A difference dᵢ is kept while its Cholesky pivot (its squared distance from the span of the newer differences)
    /// exceeds this fraction of ‖rᵢ‖² + ‖rₑ‖²: that sum bounds what rounding spoiled when the entries of DᵀD were formed
    /// from H (a few ε times it), so a pivot 1e-10 above it leaves the weights about 1e-6 of relative accuracy per column
    /// (ε/1e-10), where a smaller pivot would hand the step weights made of rounding.
    /// </summary>
    internal const double DropTolerance = 1e-10;

    private readonly int _n, _m;
    private readonly double _lambda, _beta;
    private readonly double[] _z, _g, _r;     // ring buffers, m rows of length n
    private readonly double[] _gram;          // m × m, indexed by ring slot
    private readonly double[] _factor;        // the reduced normal equations and their Cholesky factor, (m − 1)²
    private readonly double[] _weights;       // a, newest-but-one first
    private readonly int[] _slots;
    private int _count, _newest;

    public AndersonMixer(int length, int memory, double regularization, double mixing)
    {
        _n = length;
        _m = Memory(memory, length);
        _lambda = regularization;
        _beta = mixing;
        _z = new double[_m * length];
        _g = new double[_m * length];
        _r = new double[_m * length];
        _gram = new double[_m * _m];
        _factor = new double[(_m - 1) * (_m - 1)];
        _weights = new double[_m - 1];
        _slots = new int[_m];
    }

    /// <summary>The entries a history of <paramref name="memory"/> over states of <paramref name="length"/> keeps: at most length + 1 (see the remarks).</summary>
    public static int Memory(int memory, int length) => (int)Math.Min(memory, (long)length + 1);

    public void Reset()
    {
        _count = 0;
        _newest = -1;
    }

    /// <summary>Records (z, g(z), r) and overwrites z with the next iterate; true when the history had to restart.</summary>
    public bool Next(Span<double> z, ReadOnlySpan<double> gz, ReadOnlySpan<double> r)
    {
        Push(z, gz, r);
        int before = _count;
        int kept = Weights();
        _count = kept + 1;   // the dropped entries are the oldest: they leave the ring for good

        // z = β·gₑ + (1 − β)·zₑ + Σ aᵢ·(β·(gᵢ − gₑ) + (1 − β)·(zᵢ − zₑ)), the differences taken entry by entry.
        ReadOnlySpan<double> ge = _g.AsSpan(_newest * _n, _n), ze = _z.AsSpan(_newest * _n, _n);
        for (int j = 0; j < _n; j++) z[j] = (_beta * ge[j]) + ((1 - _beta) * ze[j]);
        for (int c = 0; c < kept; c++)
        {
            double a = _weights[c];
            int slot = _slots[c];
            ReadOnlySpan<double> gi = _g.AsSpan(slot * _n, _n), zi = _z.AsSpan(slot * _n, _n);
            for (int j = 0; j < _n; j++) z[j] += a * ((_beta * (gi[j] - ge[j])) + ((1 - _beta) * (zi[j] - ze[j])));
        }

        return kept == 0 && before > 1;
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

    private double Gram(int a, int b) => _gram[(a * _m) + b];

    /// <summary>
    /// Solves for the weights a (into _weights, column c the (c + 1)-th newest entry, slot in _slots[c]); returns how
    /// many columns were kept: the Cholesky factorisation stops at the first column that fails the drop test.
    /// </summary>
    private int Weights()
    {
        int columns = _count - 1, e = _newest;
        if (columns == 0) return 0;
        for (int c = 0; c < columns; c++) _slots[c] = Slot(columns - 1 - c);

        // λ is relative to the newest squared residual ‖rₑ‖², as FixedPointOptions documents. The objective is ‖rₑ‖²(1 + λ)
        // at the trivial choice α = eₑ, so at the minimiser λ‖rₑ‖²‖α‖² stays below it: ‖α‖² ≤ (1 + λ)/λ, a bound on the
        // weights that means the same at every scale of the iteration. The largest residual of the window, the former
        // reference, is the oldest one while the search converges, larger than ‖rₑ‖ by the whole window's contraction, so a
        // λ of 1e-8 grew into a pull on the weights near convergence (a 20-state tanh cell with memory 21: 28 evaluations to
        // 1e-10 against 11 unregularised; now 11). The trace of DᵀD over its size follows the old entries as well
        // (‖dᵢ‖ ≈ ‖rᵢ‖ there; the same 28), so it is not the scale either.
        double hee = Gram(e, e);
        double lambda = _lambda * hee;

        // M = DᵀD + λ(I + 11ᵀ) (lower triangle) and b = −Dᵀrₑ + λ1, with dᵢ·dⱼ = Hᵢⱼ − Hᵢₑ − Hₑⱼ + Hₑₑ.
        Span<double> l = _factor.AsSpan(0, columns * columns), b = _weights.AsSpan(0, columns);
        for (int c = 0; c < columns; c++)
        {
            int i = _slots[c];
            double hie = Gram(i, e);
            b[c] = -(hie - hee) + lambda;
            for (int d = 0; d <= c; d++)
            {
                int j = _slots[d];
                l[(c * columns) + d] = Gram(i, j) - hie - Gram(e, j) + hee + lambda + (c == d ? lambda : 0);
            }
        }

        // Cholesky, row by row, newest difference first; stop before the first column that is (nearly) dependent.
        int kept = 0;
        for (int c = 0; c < columns; c++)
        {
            for (int d = 0; d < c; d++)
            {
                double s = l[(c * columns) + d];
                for (int q = 0; q < d; q++) s -= l[(c * columns) + q] * l[(d * columns) + q];
                l[(c * columns) + d] = s / l[(d * columns) + d];
            }

            double pivot = l[(c * columns) + c];
            for (int q = 0; q < c; q++) pivot -= l[(c * columns) + q] * l[(c * columns) + q];
            int i = _slots[c];
            if (!(pivot > DropTolerance * (Gram(i, i) + hee)) || !double.IsFinite(pivot)) break;
            l[(c * columns) + c] = Math.Sqrt(pivot);
            kept = c + 1;
        }

        // L·Lᵀ·a = b on the kept leading block (the leading block of a Cholesky factor is the factor of the leading block).
        for (int c = 0; c < kept; c++)
        {
            double s = b[c];
            for (int q = 0; q < c; q++) s -= l[(c * columns) + q] * b[q];
            b[c] = s / l[(c * columns) + c];
        }

        for (int c = kept - 1; c >= 0; c--)
        {
            double s = b[c];
            for (int q = c + 1; q < kept; q++) s -= l[(q * columns) + c] * b[q];
            b[c] = s / l[(c * columns) + c];
        }

        return kept;
    }
}
