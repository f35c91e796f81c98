namespace OdeGen.Implicit;

/// <summary>A linear operator x ↦ A·x of one length.</summary>
internal interface ILinearMap
{
    /// <summary>result = A·x (overwritten).</summary>
    void Apply(ReadOnlySpan<double> x, Span<double> result);
}

/// <summary>
/// Restarted GMRES(k) (Saad and Schultz 1986) for A·x = b with only products A·v: Arnoldi with modified Gram–Schmidt,
/// Givens rotations on the Hessenberg matrix, the residual norm read off the rotated right-hand side. Workspaces are
/// allocated once per length and restart; a solve allocates nothing.
/// </summary>
internal sealed class Gmres
{
    private readonly int _n, _k;
    private readonly double[] _basis;            // (k + 1) rows of length n
    private readonly double[] _hessenberg;       // (k + 1) × k, row-major
    private readonly double[] _cos, _sin, _g, _y, _work;

    public Gmres(int length, int restart)
    {
        _n = length;
        _k = Math.Min(restart, Math.Max(length, 1));
        _basis = new double[(_k + 1) * length];
        _hessenberg = new double[(_k + 1) * _k];
        _cos = new double[_k];
        _sin = new double[_k];
        _g = new double[_k + 1];
        _y = new double[_k];
        _work = new double[length];
    }

    /// <summary>
    /// Improves <paramref name="x"/> (the initial guess in, the solution out) until ‖b − A·x‖ ≤ tolerance or
    /// <paramref name="maxProducts"/> products are spent. Returns the products used (every product, the residual checks
    /// included) and the true residual norm ‖b − A·x‖ of the returned x, computed with a product, never the estimate.
    /// </summary>
    /// <remarks>
    /// The Arnoldi recurrence's |gₖ₊₁| equals the residual only in exact arithmetic: with an ill-conditioned A, or once the
    /// basis has lost its orthogonality, it keeps falling while ‖b − A·x‖ stalls at about ε·‖A‖·‖x‖, so a solve that stops on
    /// it can call a wrong x converged. The estimate therefore only ends a cycle; each cycle ends with one more product that
    /// measures the true residual (one product reserved for it out of the budget), which alone decides convergence, and a
    /// true residual above the tolerance restarts from the current x while the budget lasts.
    /// </remarks>
    public (int Products, double Residual) Solve<TMap>(ref TMap a, ReadOnlySpan<double> b, Span<double> x, double tolerance, int maxProducts)
        where TMap : struct, ILinearMap
    {
        int products = 0;
        double residual;
        bool singular = false;
        while (true)
        {
            // r = b − A·x, the true residual of the current x, and the first basis vector r/‖r‖.
            Span<double> v0 = _basis.AsSpan(0, _n);
            a.Apply(x, _work);
            products++;
            for (int i = 0; i < _n; i++) v0[i] = b[i] - _work[i];
            residual = Vectors.Norm(v0);
            if (residual <= tolerance || !double.IsFinite(residual) || singular || products >= maxProducts - 1) break;
            for (int i = 0; i < _n; i++) v0[i] /= residual;
            Array.Clear(_g);
            _g[0] = residual;

            // Arnoldi steps while one product stays in the budget for the true residual after the cycle.
            int columns = 0;
            for (int j = 0; j < _k && products < maxProducts - 1; j++)
            {
                Span<double> w = _basis.AsSpan((j + 1) * _n, _n);
                a.Apply(_basis.AsSpan(j * _n, _n), w);
                products++;
                for (int i = 0; i <= j; i++)
                {
                    ReadOnlySpan<double> vi = _basis.AsSpan(i * _n, _n);
                    double h = Vectors.Dot(w, vi);
                    _hessenberg[(i * _k) + j] = h;
                    Vectors.AddScaled(w, -h, vi);
                }

                double norm = Vectors.Norm(w);
                _hessenberg[((j + 1) * _k) + j] = norm;
                if (norm > 0)
                {
                    for (int i = 0; i < _n; i++) w[i] /= norm;
                }

                // The previous rotations on the new column, then the rotation that zeroes its subdiagonal.
                for (int i = 0; i < j; i++)
                {
                    double upper = _hessenberg[(i * _k) + j], lower = _hessenberg[((i + 1) * _k) + j];
                    _hessenberg[(i * _k) + j] = (_cos[i] * upper) + (_sin[i] * lower);
                    _hessenberg[((i + 1) * _k) + j] = (-_sin[i] * upper) + (_cos[i] * lower);
                }

                double diagonal = _hessenberg[(j * _k) + j], radius = Math.Sqrt((diagonal * diagonal) + (norm * norm));
                if (radius == 0)
                {
                    // The new column vanished: A maps v_j into the span of the earlier basis vectors and is singular there, so no
                    // combination that includes v_j lowers the residual (the triangular solve would divide by zero). The least-
                    // squares residual stays that of the first j columns, and a restart would meet the same column again.
                    singular = true;
                    break;
                }

                _cos[j] = radius == 0 ? 1 : diagonal / radius;
                _sin[j] = radius == 0 ? 0 : norm / radius;
                _hessenberg[(j * _k) + j] = radius;
                _hessenberg[((j + 1) * _k) + j] = 0;
                _g[j + 1] = -_sin[j] * _g[j];
                _g[j] = _cos[j] * _g[j];
                columns = j + 1;
                // The estimate may end the cycle (it says the least-squares solution is good enough), never the solve.
                if (Math.Abs(_g[j + 1]) <= tolerance || norm == 0) break;   // or the Krylov space is invariant (exact solution)
            }

            // x += V·y with H·y = g (upper triangular, back substitution).
            for (int i = columns - 1; i >= 0; i--)
            {
                double s = _g[i];
                for (int j = i + 1; j < columns; j++) s -= _hessenberg[(i * _k) + j] * _y[j];
                _y[i] = s / _hessenberg[(i * _k) + i];
            }

            for (int j = 0; j < columns; j++) Vectors.AddScaled(x, _y[j], _basis.AsSpan(j * _n, _n));
        }

        return (products, residual);
    }
}
