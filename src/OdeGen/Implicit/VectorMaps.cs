namespace OdeGen.Implicit;

/// <summary>A map z ↦ g(z) of one length, evaluated into a caller's buffer (the fixed-point solvers' view of a layer).</summary>
internal interface IVectorMap
{
    /// <summary>image = g(point) (overwritten).</summary>
    void Apply(ReadOnlySpan<double> point, Span<double> image);
}

/// <summary>Small dense-vector helpers for the implicit solvers (lengths are checked by the callers).</summary>
internal static class Vectors
{
    // O(n) next to a map evaluation's O(n·inputs): plain loops are not where the time goes.
    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    /// <summary>‖a‖₂, scaled so that entries near the overflow limit do not overflow the sum of squares.</summary>
    public static double Norm(ReadOnlySpan<double> a)
    {
        double scale = 0;
        for (int i = 0; i < a.Length; i++) scale = Math.Max(scale, Math.Abs(a[i]));
        if (scale == 0 || !double.IsFinite(scale)) return scale;
        double s = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double v = a[i] / scale;
            s += v * v;
        }
        return scale * Math.Sqrt(s);
    }

    /// <summary>y += a·x.</summary>
    public static void AddScaled(Span<double> y, double a, ReadOnlySpan<double> x)
    {
        for (int i = 0; i < y.Length; i++) y[i] += a * x[i];
    }
}
