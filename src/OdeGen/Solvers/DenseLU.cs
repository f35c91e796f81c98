namespace OdeGen.Solvers;

/// <summary>
/// LU factorization with partial pivoting of a small dense row-major matrix, in place, on spans:
/// PA = LU with unit-diagonal L stored below the diagonal and U on and above it. No allocation; the
/// stiff integrators factor their iteration matrix once per step attempt and solve several right-hand sides.
/// </summary>
internal static class DenseLU
{
    /// <summary>
    /// Factors the n×n matrix <paramref name="a"/> in place; <paramref name="pivots"/>[k] is the row swapped with row k.
    /// Returns false when a pivot is zero or not finite (the matrix is singular to working precision, or holds NaN/∞);
    /// the contents of <paramref name="a"/> are then unspecified.
    /// </summary>
    public static bool Factor(Span<double> a, int n, Span<int> pivots)
    {
        for (int k = 0; k < n; k++)
        {
            // Largest magnitude in column k at or below the diagonal.
            int p = k;
            double max = Math.Abs(a[k * n + k]);
            for (int i = k + 1; i < n; i++)
            {
                double v = Math.Abs(a[i * n + k]);
                if (v > max) { max = v; p = i; }
            }
            pivots[k] = p;
            if (!(max > 0) || !double.IsFinite(max)) return false;
            if (p != k)
            {
                Span<double> rowK = a.Slice(k * n, n), rowP = a.Slice(p * n, n);
                for (int j = 0; j < n; j++) (rowK[j], rowP[j]) = (rowP[j], rowK[j]);
            }
            double inv = 1.0 / a[k * n + k];
            ReadOnlySpan<double> pivotRow = a.Slice(k * n + k + 1, n - k - 1);
            for (int i = k + 1; i < n; i++)
            {
                double l = a[i * n + k] * inv;
                a[i * n + k] = l;
                if (l == 0) continue;
                Span<double> row = a.Slice(i * n + k + 1, n - k - 1);
                for (int j = 0; j < row.Length; j++) row[j] -= l * pivotRow[j];
            }
        }
        return true;
    }

    /// <summary>Solves A·x = b in place (b becomes x) from the factors of <see cref="Factor"/>.</summary>
    public static void Solve(ReadOnlySpan<double> lu, int n, ReadOnlySpan<int> pivots, Span<double> b)
    {
        // Apply the row swaps, then forward substitution with unit L.
        for (int k = 0; k < n; k++)
        {
            int p = pivots[k];
            if (p != k) (b[k], b[p]) = (b[p], b[k]);
        }
        for (int i = 1; i < n; i++)
        {
            ReadOnlySpan<double> row = lu.Slice(i * n, i);
            double s = b[i];
            for (int j = 0; j < i; j++) s -= row[j] * b[j];
            b[i] = s;
        }
        for (int i = n - 1; i >= 0; i--)
        {
            ReadOnlySpan<double> row = lu.Slice(i * n, n);
            double s = b[i];
            for (int j = i + 1; j < n; j++) s -= row[j] * b[j];
            b[i] = s / row[i];
        }
    }
}
