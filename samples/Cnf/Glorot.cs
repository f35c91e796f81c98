namespace OdeGen.Samples.Cnf;

/// <summary>Glorot-uniform initialisation of one weight matrix inside a packed parameter vector (both fields use it).</summary>
internal static class Glorot
{
    /// <summary>Fills rows × columns values at <paramref name="offset"/> uniformly in ±scale·√(6 / (rows + columns)).</summary>
    public static void Fill(double[] p, Random random, int offset, int rows, int columns, double scale)
    {
        double limit = scale * Math.Sqrt(6.0 / (rows + columns));
        for (int i = 0; i < rows * columns; i++) p[offset + i] = ((2 * random.NextDouble()) - 1) * limit;
    }
}
