namespace OdeGen.Tests.Solvers;

/// <summary>
/// An independent stiff reference solver for the tests, sharing no code with the runtime's solvers: linearly implicit
/// Euler with Richardson (Aitken–Neville) extrapolation over the harmonic sequence 1, 2, …, K (Deuflhard 1985; the
/// basis of Hairer–Wanner's SEULEX), with its own Gaussian elimination. Autonomous systems only. Each macro step H
/// evaluates J once at its start, takes n_j linearly implicit Euler steps (I − hJ)Δ = h·f(z) for every j, extrapolates
/// to order K, and controls H with the difference of the last two diagonal entries.
/// </summary>
internal static class ReferenceSolver
{
    public static double[] Solve<TSystem>(TSystem system, double[] p, double[] y0, double t0, double t1,
        double rtol, double[] atol, out int steps, int columns = 8)
        where TSystem : struct, IOdeSystem
    {
        int n = y0.Length, k = columns;
        var y = (double[])y0.Clone();
        var jac = new double[n * n];
        var dfdp = new double[n * Math.Max(p.Length, 1)];
        var table = new double[k][];
        for (int j = 0; j < k; j++) table[j] = new double[n];
        var matrix = new double[n * n];
        var z = new double[n];
        var f = new double[n];
        double t = t0, dir = Math.Sign(t1 - t0), h = 1e-6 * Math.Abs(t1 - t0);
        steps = 0;
        while (dir * (t1 - t) > 0)
        {
            if (steps > 1_000_000) throw new InvalidOperationException("reference solver: too many steps");
            double H = Math.Min(h, Math.Abs(t1 - t)) * dir;
            system.Jacobian(t, y, p, jac, dfdp);
            bool ok = true;
            for (int j = 0; j < k && ok; j++)
            {
                int m = j + 1;
                double hj = H / m;
                for (int r = 0; r < n; r++)
                    for (int c = 0; c < n; c++) matrix[r * n + c] = (r == c ? 1 : 0) - hj * jac[r * n + c];
                var lu = (double[])matrix.Clone();
                var piv = new int[n];
                if (!Factor(lu, n, piv)) { ok = false; break; }
                y.CopyTo(z, 0);
                for (int i = 0; i < m; i++)
                {
                    system.Evaluate(t + i * hj, z, p, f);
                    for (int q = 0; q < n; q++) f[q] *= hj;
                    SolveLU(lu, n, piv, f);
                    for (int q = 0; q < n; q++) z[q] += f[q];
                }
                z.CopyTo(table[j], 0);
                // Aitken–Neville in place: table[l] becomes T_{j, j−l+1} for l = j−1 … 0.
                for (int l = j - 1; l >= 0; l--)
                {
                    double ratio = (double)(j + 1) / (l + 1) - 1;
                    for (int q = 0; q < n; q++) table[l][q] = table[l + 1][q] + (table[l + 1][q] - table[l][q]) / ratio;
                }
            }
            double err = double.PositiveInfinity;
            if (ok)
            {
                // table[0] = T_{K,K} (order K), table[1] = T_{K,K−1}.
                double sum = 0;
                for (int q = 0; q < n; q++)
                {
                    double scale = atol[q] + rtol * Math.Max(Math.Abs(y[q]), Math.Abs(table[0][q]));
                    double e = (table[0][q] - table[1][q]) / scale;
                    sum += e * e;
                }
                err = Math.Sqrt(sum / n);
                if (!double.IsFinite(err)) err = double.PositiveInfinity;
            }
            if (err <= 1)
            {
                table[0].CopyTo(y, 0);
                t = Math.Abs(t1 - (t + H)) < 1e-14 * Math.Abs(t1) ? t1 : t + H;
                steps++;
            }
            double factor = err == 0 ? 4 : Math.Clamp(0.8 * Math.Pow(1 / err, 1.0 / k), 0.1, 4);
            h = Math.Abs(H) * factor;
        }
        return y;
    }

    private static bool Factor(double[] a, int n, int[] piv)
    {
        for (int c = 0; c < n; c++)
        {
            int best = c;
            for (int r = c + 1; r < n; r++) if (Math.Abs(a[r * n + c]) > Math.Abs(a[best * n + c])) best = r;
            piv[c] = best;
            if (a[best * n + c] == 0) return false;
            for (int q = 0; q < n; q++) (a[c * n + q], a[best * n + q]) = (a[best * n + q], a[c * n + q]);
            for (int r = c + 1; r < n; r++)
            {
                double l = a[r * n + c] / a[c * n + c];
                a[r * n + c] = l;
                for (int q = c + 1; q < n; q++) a[r * n + q] -= l * a[c * n + q];
            }
        }
        return true;
    }

    private static void SolveLU(double[] a, int n, int[] piv, double[] b)
    {
        for (int c = 0; c < n; c++) (b[c], b[piv[c]]) = (b[piv[c]], b[c]);
        for (int r = 0; r < n; r++) for (int c = 0; c < r; c++) b[r] -= a[r * n + c] * b[c];
        for (int r = n - 1; r >= 0; r--)
        {
            for (int c = r + 1; c < n; c++) b[r] -= a[r * n + c] * b[c];
            b[r] /= a[r * n + r];
        }
    }
}
