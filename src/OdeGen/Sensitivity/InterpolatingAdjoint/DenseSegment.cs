using OdeGen.Solvers;

namespace OdeGen;

/// <summary>
/// The dense output of one re-solved segment: for each accepted step, the method's interpolant sampled at
/// d + 1 equispaced points, where d is the interpolant's degree in θ. A polynomial of degree d is fixed by
/// d + 1 values, so evaluating the Lagrange form through the samples reproduces the integrator's own dense
/// output (to rounding) anywhere in the segment, using only its public <c>Interpolate</c>.
/// </summary>
/// <remarks>
/// Memory is O(steps in the segment × (d + 1) × n); the arrays grow by doubling and are reused across
/// segments, so after the longest segment nothing more is allocated. Lookups move a cursor from the last
/// step used, since the backward pass queries times in (nearly) monotone order.
/// </remarks>
internal sealed class DenseSegment
{
    private readonly int _n, _nodes;
    private readonly double[] _denominators; // Π_{j≠k} (θ_k − θ_j) for the Lagrange basis
    private readonly double[] _basis;
    private double[] _starts = new double[64], _steps = new double[64];
    private double[] _samples;
    private int _count, _cursor;

    public DenseSegment(int dimension, ButcherTableau tableau)
        // Degree of the continuous extension in θ; cubic Hermite when the method has none.
        : this(dimension, tableau.Dense is { } dense ? MaxRowLength(dense) : 3)
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
        _nodes = degree + 1;
        _denominators = new double[_nodes];
        _basis = new double[_nodes];
        for (int k = 0; k < _nodes; k++)
        {
            double d = 1;
            for (int j = 0; j < _nodes; j++) if (j != k) d *= Node(k) - Node(j);
            _denominators[k] = d;
        }
        _samples = new double[64 * _nodes * _n];
    }

    /// <summary>Bytes of the record (its capacity: it keeps the size of the longest segment so far).</summary>
    public long HeldBytes => sizeof(double) * ((long)_starts.Length + _steps.Length + _samples.Length);

    /// <summary>Number of stored steps.</summary>
    public int Count => _count;

    private double Node(int k) => (double)k / (_nodes - 1);

    private static int MaxRowLength(double[][] rows)
    {
        int max = 1;
        foreach (double[] r in rows) max = Math.Max(max, r.Length);
        return max;
    }

    public void Clear()
    {
        _count = 0;
        _cursor = 0;
    }

    /// <summary>Records the integrator's last accepted step.</summary>
    public void Add<TField>(IOdeIntegrator<TField> integrator) where TField : struct, IVectorField =>
        Add(integrator, integrator.PreviousState);

    private void Add(IOdeIntegrator integrator, ReadOnlySpan<double> previousState)
    {
        if (_count == _starts.Length)
        {
            Array.Resize(ref _starts, 2 * _count);
            Array.Resize(ref _steps, 2 * _count);
            Array.Resize(ref _samples, 2 * _samples.Length);
        }
        double t0 = integrator.PreviousTime, h = integrator.Time - t0;
        _starts[_count] = t0;
        _steps[_count] = h;
        Span<double> block = _samples.AsSpan(_count * _nodes * _n, _nodes * _n);
        previousState.CopyTo(block[.._n]);
        for (int k = 1; k < _nodes - 1; k++) integrator.Interpolate(t0 + Node(k) * h, block.Slice(k * _n, _n));
        integrator.State.CopyTo(block[((_nodes - 1) * _n)..]);
        _count++;
    }

    /// <summary>The interpolated state at t (inside the recorded segment; clamped to its ends).</summary>
    public void Evaluate(double t, Span<double> y)
    {
        int s = Locate(t);
        double h = _steps[s];
        double theta = h == 0 ? 0 : Math.Clamp((t - _starts[s]) / h, 0.0, 1.0);
        for (int k = 0; k < _nodes; k++)
        {
            double num = 1;
            for (int j = 0; j < _nodes; j++) if (j != k) num *= theta - Node(j);
            _basis[k] = num / _denominators[k];
        }
        ReadOnlySpan<double> block = _samples.AsSpan(s * _nodes * _n, _nodes * _n);
        y.Clear();
        for (int k = 0; k < _nodes; k++)
        {
            double w = _basis[k];
            ReadOnlySpan<double> sample = block.Slice(k * _n, _n);
            for (int i = 0; i < _n; i++) y[i] += w * sample[i];
        }
    }

    /// <summary>
    /// dy/dt of the interpolant at t: the derivative of the step's polynomial (one-sided at step ends, from the
    /// step that <see cref="Evaluate"/> would use).
    /// </summary>
    public void Derivative(double t, Span<double> dydt)
    {
        int s = Locate(t);
        double h = _steps[s];
        dydt.Clear();
        if (h == 0) return;
        double theta = Math.Clamp((t - _starts[s]) / h, 0.0, 1.0);
        // d/dθ of the Lagrange basis: Σ_{l≠k} Π_{j≠k,l} (θ − θ_j) / Π_{j≠k} (θ_k − θ_j).
        for (int k = 0; k < _nodes; k++)
        {
            double sum = 0;
            for (int l = 0; l < _nodes; l++)
            {
                if (l == k) continue;
                double product = 1;
                for (int j = 0; j < _nodes; j++) if (j != k && j != l) product *= theta - Node(j);
                sum += product;
            }
            _basis[k] = sum / (_denominators[k] * h);
        }
        ReadOnlySpan<double> block = _samples.AsSpan(s * _nodes * _n, _nodes * _n);
        for (int k = 0; k < _nodes; k++)
        {
            double w = _basis[k];
            ReadOnlySpan<double> sample = block.Slice(k * _n, _n);
            for (int i = 0; i < _n; i++) dydt[i] += w * sample[i];
        }
    }

    // Steps are stored in solve order (time increasing or decreasing); walk from the cursor to the step whose
    // θ = (t − start)/h lies in [0, 1].
    private int Locate(double t)
    {
        int s = _cursor;
        while (true)
        {
            double h = _steps[s];
            double theta = h == 0 ? 0 : (t - _starts[s]) / h;
            if (theta < 0 && s > 0) s--;
            else if (theta > 1 && s < _count - 1) s++;
            else break;
        }
        _cursor = s;
        return s;
    }
}
