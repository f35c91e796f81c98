namespace OdeGen.Implicit;

/// <summary>A linear operator x ↦ A·x of one length.</summary>
internal interface ILinearMap
{
    /// <summary>result = A·x (overwritten).</summary>
    void Apply(ReadOnlySpan<double> x, Span<double> result);
}

/// <summary>What one <see cref="Gmres.Solve{TMap}"/> did.</summary>
/// <param name="Products">Products A·v spent, the residual checks at the end of each cycle included.</param>
/// <param name="Residual">‖b − A·x‖ of the returned x, computed with a product (never the Arnoldi estimate).</param>
/// <param name="RoundingFloor">
/// <see cref="ResidualFloor.Of"/> at the returned x: the size of the rounding error in <paramref name="Residual"/> itself.
/// A tolerance below it cannot be certified by any residual computed in double, however small that residual is.
/// </param>
internal readonly record struct GmresResult(int Products, double Residual, double RoundingFloor)
{
    /// <summary>
    /// True when the residual meets <paramref name="tolerance"/> and the tolerance is at or above the rounding floor, so
    /// that the true residual is certified to within the tolerance plus the floor (at most about twice the tolerance).
    /// </summary>
    public bool Meets(double tolerance) => ResidualFloor.Certifies(Residual, RoundingFloor, tolerance);
}

/// <summary>The rounding floor of a residual b − A·x computed in double: the one formula the implicit solvers share.</summary>
internal static class ResidualFloor
{
    /// <summary>
    /// c·ε·(‖b‖ + ‖A‖·‖x‖) with ε = 2⁻⁵² and c = 8. Forming A·x and subtracting it from b commit errors of about ε·‖b‖ and
    /// ε·‖A‖·‖x‖ (the terms of A·x are of size ‖A‖·‖x‖ and cancel down to about ‖b‖ when A is ill-conditioned), so the computed
    /// residual is only that accurate, whatever its value. The constant is measured, not a worst-case bound (that one grows
    /// like n): over 75 dense operators (n = 4 … 300, condition 1e3 … 1e15, GMRES run to stagnation) the computed residual
    /// differed from the one summed in decimal by at most 5.7·ε·(‖b‖ + ‖A‖·‖x‖). c = 8 covers all of them, so a Converged
    /// residual is within the tolerance plus the floor, and stays small enough that well-conditioned operators keep meeting
    /// tight tolerances (a contraction with ‖A‖ ≤ 2 and ‖x‖ ≤ 10‖b‖ has a floor of 3.7e-14·‖b‖).
    /// <paramref name="normA"/> may be a lower estimate of ‖A‖₂ (the solvers keep the largest ‖A·v‖/‖v‖ they have seen): the
    /// floor is then a lower estimate too, which only errs towards the old behaviour.
    /// </summary>
    public static double Of(double normB, double normA, double normX) => 8 * Epsilon * (normB + (normA * normX));

    /// <summary>
    /// Whether a computed residual with this rounding floor certifies <paramref name="tolerance"/>: the residual meets it and
    /// the tolerance is not below the floor (then the true residual is within the tolerance plus the floor).
    /// </summary>
    public static bool Certifies(double residual, double floor, double tolerance) => residual <= tolerance && floor <= tolerance;

    private const double Epsilon = 2.220446049250313e-16;   // 2⁻⁵², the spacing of doubles at 1
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
    /// Improves <paramref name="x"/> (the initial guess in, the solution out) until ‖b − A·x‖ ≤ tolerance, or the residual
    /// reaches its rounding floor, or <paramref name="maxProducts"/> products are spent. The result carries the products used
    /// (every product, the residual checks included), the true residual norm ‖b − A·x‖ of the returned x, computed with a
    /// product, never the estimate, and that residual's rounding floor; <see cref="GmresResult.Meets"/> decides convergence.
    /// </summary>
    /// <remarks>
    /// The Arnoldi recurrence's |gₖ₊₁| equals the residual only in exact arithmetic: with an ill-conditioned A, or once the
    /// basis has lost its orthogonality, it keeps falling while ‖b − A·x‖ stalls at about ε·‖A‖·‖x‖, so a solve that stops on
    /// it can call a wrong x converged. The estimate therefore only ends a cycle; each cycle ends with one more product that
    /// measures the true residual (one product reserved for it out of the budget), and a true residual above the tolerance
    /// restarts from the current x while the budget lasts.
    /// The computed true residual is itself only accurate to its rounding floor c·ε·(‖b‖ + ‖A‖·‖x‖) (see
    /// <see cref="ResidualFloor"/>): on an ill-conditioned A it can read 1e-7 where the exact value is 1e-3. The solve
    /// therefore also stops once the residual is at the floor (more products could only move rounding), and
    /// <see cref="GmresResult.Meets"/> refuses a tolerance below the floor. ‖A‖ is estimated by the largest ‖A·v‖/‖v‖ over
    /// the products of this solve (the Arnoldi basis vectors and the residual checks' x), a lower estimate at no extra product.
    /// </remarks>
    public GmresResult Solve<TMap>(ref TMap a, ReadOnlySpan<double> b, Span<double> x, double tolerance, int maxProducts)
        where TMap : struct, ILinearMap
    {
        int products = 0;
        double residual, floor, normA = 0, normB = Vectors.Norm(b);
        bool singular = false;
        while (true)
        {
            // r = b − A·x, the true residual of the current x, and the first basis vector r/‖r‖.
            Span<double> v0 = _basis.AsSpan(0, _n);
            a.Apply(x, _work);
            products++;
            double normX = Vectors.Norm(x);
            if (normX > 0) normA = Math.Max(normA, Vectors.Norm(_work) / normX);
            for (int i = 0; i < _n; i++) v0[i] = b[i] - _work[i];
            residual = Vectors.Norm(v0);
            floor = ResidualFloor.Of(normB, normA, normX);

            // Below the floor a smaller residual is rounding, not progress: stop there even when the tolerance is lower.
            double target = Math.Max(tolerance, floor);
            if (residual <= target || !double.IsFinite(residual) || singular || products >= maxProducts - 1) break;
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
                normA = Math.Max(normA, Vectors.Norm(w));   // ‖A·v_j‖ with ‖v_j‖ = 1
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
                if (Math.Abs(_g[j + 1]) <= target || norm == 0) break;   // or the Krylov space is invariant (exact solution)
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

        return new GmresResult(products, residual, floor);
    }
}
