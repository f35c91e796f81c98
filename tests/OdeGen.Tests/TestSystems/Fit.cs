namespace OdeGen.Tests.TestSystems;

/// <summary>Empirical convergence orders from errors at several step sizes.</summary>
internal static class Fit
{
    /// <summary>Least-squares slope of log(error) against log(h): the empirical order.</summary>
    public static double Order(IReadOnlyList<double> h, IReadOnlyList<double> error)
    {
        int m = h.Count;
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (int i = 0; i < m; i++)
        {
            double x = Math.Log(h[i]), y = Math.Log(error[i]);
            sx += x; sy += y; sxx += x * x; sxy += x * y;
        }
        return (m * sxy - sx * sy) / (m * sxx - sx * sx);
    }
}
