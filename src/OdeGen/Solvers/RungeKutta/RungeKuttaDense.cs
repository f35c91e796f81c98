namespace OdeGen.Solvers;

/// <summary>
/// One accepted step's dense output as polynomial coefficients in θ (<see cref="RungeKuttaIntegrator{TField}.CopyDenseCoefficients"/>'s
/// layout): the tableau's continuous extension on the step's stages, or cubic Hermite for a tableau without one. One place for
/// the integrator and the whole solve in registers (<see cref="RegisterSteps{TState}"/>), so both keep the same bits.
/// </summary>
internal static class RungeKuttaDense
{
    /// <summary>
    /// c_0 = yPrev and c_j = Σ_i (h·b*_ij)·k_i (a term whose weight is 0 left out), or Hermite's from the ends' values and slopes;
    /// <paramref name="stages"/> holds k_i at i·n for every stage the extension reads (its dense-only stages included).
    /// </summary>
    public static void Coefficients(ButcherTableau tableau, double h, ReadOnlySpan<double> yPrev, ReadOnlySpan<double> y,
        ReadOnlySpan<double> fPrev, ReadOnlySpan<double> fNext, ReadOnlySpan<double> stages, Span<double> destination)
    {
        int n = yPrev.Length;
        if (tableau.Dense is not { } dense)
        {
            HermiteDense.Coefficients(h, yPrev, fPrev, y, fNext, destination);
            return;
        }
        yPrev.CopyTo(destination);
        int s = tableau.DenseStages, degree = dense[0].Length;
        for (int j = 1; j <= degree; j++)
        {
            Span<double> cj = destination.Slice(j * n, n);
            cj.Clear();
            for (int i = 0; i < s; i++)
            {
                double w = h * dense[i][j - 1];
                if (w == 0) continue;
                ReadOnlySpan<double> ki = stages.Slice(i * n, n);
                for (int q = 0; q < n; q++) cj[q] += w * ki[q];
            }
        }
    }
}
