namespace OdeGen.Flows;

/// <summary>
/// One chunk's augmented dynamics as the flow holds them between calls: an ordinary <see cref="IOdeSystem"/> whose
/// noise is replaced in place between solves (<see cref="CnfAugmentedSystem{TKernel, TLane}"/> and, over a split field,
/// <see cref="CnfHyperSystem{THypernetwork, TKernel, TLane}"/>).
/// </summary>
internal interface ICnfChunkSystem : IOdeSystem
{
    /// <summary>Whether this system has the layout a solve of <paramref name="count"/> samples with these states needs.</summary>
    bool Fits(int count, bool exact, bool kinetic, bool jacobian);

    /// <summary>Replaces the noise vectors (count × D; empty when none are used). Not during a solve.</summary>
    void LoadNoise(ReadOnlySpan<double> noise);

    /// <summary>
    /// Declares that until <see cref="ReleaseParameters"/> θ is <paramref name="p"/> (one solve or gradient call of the
    /// flow, during which nothing writes θ or the solvers' copies of it), so what depends on t and θ alone may be
    /// remembered by t for calls whose parameters have p's bits. Calls with other parameters are computed as usual.
    /// </summary>
    void HoldParameters(double[] p);

    /// <summary>Ends <see cref="HoldParameters"/> and forgets what it remembered.</summary>
    void ReleaseParameters();
}

/// <summary>The dense Jacobians of an augmented system, one JVP per column: what the stiff solvers ask of it.</summary>
internal static class CnfDenseJacobian
{
    /// <summary>
    /// dfdy (n × n) and dfdp (n × m), row-major, from n + m calls of <c>Jvp</c> along unit vectors. The four buffers are
    /// the caller's scratch (n, m, n, n doubles; the unit vectors all zero on entry and on return).
    /// </summary>
    public static void FromJvps<TSystem>(in TSystem system, double t, ReadOnlySpan<double> y, ReadOnlySpan<double> p, Span<double> dfdy, Span<double> dfdp,
        double[] unitN, double[] unitM, double[] column, double[] columnDot) where TSystem : struct, IOdeSystem
    {
        int n = system.StateCount, m = system.ParameterCount;
        for (int j = 0; j < n; j++)
        {
            unitN[j] = 1;
            system.Jvp(t, y, p, 0.0, unitN, unitM, column, columnDot);
            unitN[j] = 0;
            for (int i = 0; i < n; i++) dfdy[(i * n) + j] = columnDot[i];
        }
        for (int q = 0; q < m; q++)
        {
            unitM[q] = 1;
            system.Jvp(t, y, p, 0.0, unitN, unitM, column, columnDot);
            unitM[q] = 0;
            for (int i = 0; i < n; i++) dfdp[(i * m) + q] = columnDot[i];
        }
    }
}
