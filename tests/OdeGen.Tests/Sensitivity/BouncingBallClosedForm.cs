namespace OdeGen.Tests.Sensitivities;

/// <summary>
/// The bouncing ball's closed form and its derivatives with respect to (H, g, e), from height H at rest at t = 0:
/// T_1 = √(2H/g), u = √(2gH) = g·T_1, T_{k+1} = T_k + 2eᵏu/g, so T_k = T_1·(1 + 2Σ_{j=1}^{k−1} eʲ); apexes A_k = H·e²ᵏ.
/// </summary>
internal static class BouncingBallClosedForm
{
    /// <summary>The k-th impact time and its derivatives [∂/∂H, ∂/∂g, ∂/∂e].</summary>
    public static (double Value, double[] Gradient) Impact(int k, double h, double g, double e)
    {
        double t1 = Math.Sqrt(2 * h / g), sum = 0, dsum = 0;
        for (int j = 1; j < k; j++)
        {
            sum += Math.Pow(e, j);
            dsum += j * Math.Pow(e, j - 1);
        }
        double t = t1 * (1 + 2 * sum);
        return (t, [t / (2 * h), -t / (2 * g), 2 * t1 * dsum]);
    }

    /// <summary>The apex height after the k-th bounce and its derivatives [∂/∂H, ∂/∂g, ∂/∂e].</summary>
    public static (double Value, double[] Gradient) Apex(int k, double h, double g, double e) =>
        (h * Math.Pow(e, 2 * k), [Math.Pow(e, 2 * k), 0, 2 * k * h * Math.Pow(e, 2 * k - 1)]);

    /// <summary>
    /// The state [h, v] at time t between the k-th and (k+1)-th impacts, and its derivatives: row i = [∂y_i/∂H, ∂y_i/∂g, ∂y_i/∂e].
    /// h = U·s − g·s²/2, v = U − g·s with U = eᵏ·u, s = t − T_k.
    /// </summary>
    public static (double[] State, double[][] Gradient) State(double t, int k, double h, double g, double e)
    {
        var (tk, dtk) = Impact(k, h, g, e);
        double u = Math.Sqrt(2 * g * h), U = Math.Pow(e, k) * u, s = t - tk;
        double[] dU = [U / (2 * h), U / (2 * g), k * U / e];
        double[] dg = [0, 1, 0];
        var dh = new double[3];
        var dv = new double[3];
        for (int q = 0; q < 3; q++)
        {
            double ds = -dtk[q];
            dh[q] = dU[q] * s + (U - g * s) * ds - dg[q] * s * s / 2;
            dv[q] = dU[q] - dg[q] * s - g * ds;
        }
        return ([U * s - g * s * s / 2, U - g * s], [dh, dv]);
    }
}
