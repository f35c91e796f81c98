using OdeGen.Solvers;

namespace OdeGen;

/// <summary>
/// The dense output of one re-solved segment: for each accepted step, the coefficients of the integrator's own
/// continuous extension as a polynomial in θ = (t − t_start)/h (<see cref="IOdeIntegrator.CopyDenseCoefficients"/>),
/// evaluated by Horner's rule. This is the integrator's interpolant itself, not a fit to it.
/// </summary>
/// <remarks>
/// <para>Memory is O(steps in the segment × (d + 1) × n) for an interpolant of degree d in θ; the arrays grow by doubling
/// and are reused across segments, so after the longest segment nothing more is allocated. Lookups move a cursor from
/// the last step used, since the backward pass queries times in (nearly) monotone order.</para>
/// <para>Why coefficients: the backward pass interpolates at every stage of every step, so this is its innermost
/// operation besides the VJP. The record used to keep d + 1 equispaced samples of each step and evaluate the Lagrange
/// form through them (the basis rebuilt per call, O(d²) with divisions): ~50–70 ns per Lorenz state against ~5 ns for the
/// VJP, most of the backward pass's time. Horner on stored coefficients with a stored 1/h is d fused multiply-adds per
/// component, and recording a step is one <see cref="IOdeIntegrator.CopyDenseCoefficients"/> instead of d − 1 interpolations.
/// The two agree to rounding (the same polynomial).</para>
/// </remarks>
internal sealed class DenseSegment
{
    private readonly int _n, _degree, _stride;
    private double[] _starts = new double[64], _inverseSteps = new double[64];
    private double[] _coefficients;
    private int _count, _cursor;

    public DenseSegment(int dimension, ButcherTableau tableau)
        // Degree of the continuous extension in θ (as RungeKuttaIntegrator.DenseDegree); cubic Hermite when the method has none.
        : this(dimension, tableau.Dense is { } dense ? dense[0].Length : 3)
    {
    }

    /// <summary>A segment for the dense output of <paramref name="method"/> (its <see cref="OdeMethod.DenseDegree"/>).</summary>
    public DenseSegment(int dimension, OdeMethod method)
        : this(dimension, method.DenseDegree)
    {
    }

    private DenseSegment(int dimension, int degree)
    {
        _n = dimension;
        _degree = degree;
        _stride = (degree + 1) * dimension;
        _coefficients = new double[64 * _stride];
    }

    /// <summary>Bytes of the record (its capacity: it keeps the size of the longest segment so far).</summary>
    public long HeldBytes => sizeof(double) * ((long)_starts.Length + _inverseSteps.Length + _coefficients.Length);

    /// <summary>Bytes one recorded step takes.</summary>
    public int BytesPerStep => sizeof(double) * (_stride + 2);

    /// <summary>Number of stored steps.</summary>
    public int Count => _count;

    public void Clear()
    {
        _count = 0;
        _cursor = 0;
    }

    /// <summary>Records the integrator's last accepted step.</summary>
    public void Add(IOdeIntegrator integrator)
    {
        if (integrator.DenseDegree != _degree)
            throw new InvalidOperationException($"The integrator's dense output has degree {integrator.DenseDegree}; this record was made for degree {_degree}.");
        if (_count == _starts.Length)
        {
            Array.Resize(ref _starts, 2 * _count);
            Array.Resize(ref _inverseSteps, 2 * _count);
            Array.Resize(ref _coefficients, 2 * _coefficients.Length);
        }
        double t0 = integrator.PreviousTime, h = integrator.Time - t0;
        _starts[_count] = t0;
        _inverseSteps[_count] = h == 0 ? 0 : 1.0 / h;
        integrator.CopyDenseCoefficients(_coefficients.AsSpan(_count * _stride, _stride));
        _count++;
    }

    /// <summary>The interpolated state at t (inside the recorded segment; clamped to its ends).</summary>
    public void Evaluate(double t, Span<double> y)
    {
        int s = Locate(t, out double theta);
        int n = _n, d = _degree;
        ReadOnlySpan<double> c = _coefficients.AsSpan(s * _stride, _stride);
        y = y[..n];
        for (int i = 0; i < n; i++)
        {
            double v = c[d * n + i];
            for (int j = d - 1; j >= 0; j--) v = Math.FusedMultiplyAdd(v, theta, c[j * n + i]);
            y[i] = v;
        }
    }

    /// <summary>
    /// dy/dt of the interpolant at t: the derivative of the step's polynomial (one-sided at step ends, from the
    /// step that <see cref="Evaluate"/> would use).
    /// </summary>
    public void Derivative(double t, Span<double> dydt)
    {
        int s = Locate(t, out double theta);
        int n = _n, d = _degree;
        double scale = _inverseSteps[s];
        ReadOnlySpan<double> c = _coefficients.AsSpan(s * _stride, _stride);
        dydt = dydt[..n];
        for (int i = 0; i < n; i++)
        {
            // d/dθ Σ θ^j c_j = Σ j θ^(j−1) c_j, by Horner; then dθ/dt = 1/h.
            double v = d * c[d * n + i];
            for (int j = d - 1; j >= 1; j--) v = Math.FusedMultiplyAdd(v, theta, j * c[j * n + i]);
            dydt[i] = v * scale;
        }
    }

    // Steps are stored in solve order (time increasing or decreasing); walk from the cursor to the step whose
    // θ = (t − start)/h lies in [0, 1], and clamp θ there (times outside the record take its end steps).
    private int Locate(double t, out double theta)
    {
        int s = _cursor;
        while (true)
        {
            theta = (t - _starts[s]) * _inverseSteps[s];
            if (theta < 0 && s > 0) s--;
            else if (theta > 1 && s < _count - 1) s++;
            else break;
        }
        _cursor = s;
        theta = Math.Clamp(theta, 0.0, 1.0);
        return s;
    }
}
