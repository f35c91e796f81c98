namespace OdeGen.Ensemble;

/// <summary>
/// What every block of one ensemble call reads (inputs, options) and writes (its own rows of the outputs): shared by
/// the workers, each of which touches only the rows of the blocks it solves. The copies of the inputs (the caller's
/// spans cannot cross into the worker threads) are rented from the shared array pool and returned by Dispose, so a
/// call allocates only what it returns.
/// </summary>
internal sealed class EnsembleProblem : IDisposable
{
    public EnsembleProblem(int count, int stateCount, int parameterCount, ReadOnlySpan<double> y0s, ReadOnlySpan<double> ps, bool sharedParameters,
        double t0, double t1, SolverOptions options)
    {
        Count = count;
        StateCount = stateCount;
        ParameterCount = parameterCount;
        Y0s = Rent(y0s);
        Ps = Rent(ps);
        SharedParameters = sharedParameters;
        T0 = t0;
        T1 = t1;
        Options = options;
        InputFinite = System.Buffers.ArrayPool<bool>.Shared.Rent(count);
        CheckInputs(y0s, ps);
    }

    /// <summary>
    /// Takes the inputs of a new call of the same shape (count, sizes, layout, options), for a workspace that keeps its
    /// problem and workers from call to call (<see cref="LaneLossGradientWorkspace{TSystem}"/>): nothing is allocated.
    /// </summary>
    public void Reload(ReadOnlySpan<double> y0s, ReadOnlySpan<double> ps, double t0, double t1)
    {
        y0s.CopyTo(Y0s);
        ps.CopyTo(Ps);
        T0 = t0;
        T1 = t1;
        CheckInputs(y0s, ps);
    }

    private void CheckInputs(ReadOnlySpan<double> y0s, ReadOnlySpan<double> ps)
    {
        int n = StateCount, m = ParameterCount;
        for (int j = 0; j < Count; j++)
        {
            bool finite = Finite(y0s.Slice(j * n, n));
            if (!SharedParameters) finite &= Finite(ps.Slice(j * m, m));
            InputFinite[j] = finite;
        }
    }

    public int Count { get; }
    public int StateCount { get; }
    public int ParameterCount { get; }
    /// <summary>Initial states, row-major Count × StateCount (a pooled array: it may be longer).</summary>
    public double[] Y0s { get; }
    /// <summary>Parameters: Count × ParameterCount, or one row shared by all when <see cref="SharedParameters"/> (pooled: it may be longer).</summary>
    public double[] Ps { get; }
    public bool SharedParameters { get; }
    public double T0 { get; private set; }
    public double T1 { get; private set; }
    public SolverOptions Options { get; }
    /// <summary>Whether solves without a tape may take fused fixed steps (<see cref="EnsembleOptions.FusedSteps"/>).</summary>
    public bool FusedSteps { get; init; }
    /// <summary>Most bytes a worker's tape keeps of primal values for the reverse sweep (<see cref="EnsembleOptions.KeptBytes"/>).</summary>
    public long KeptBytes { get; init; }
    /// <summary>Whether a solve through observation times goes on at each one without restarting (<see cref="EnsembleOptions.ContinueAtObservations"/>).</summary>
    public bool ContinueAtObservations { get; init; }
    /// <summary>False for a trajectory whose own y0 or θ has a NaN or ±∞: it is not solved (status NonFiniteValue). Pooled: it may be longer.</summary>
    public bool[] InputFinite { get; }

    /// <summary>Returns the input copies to the pool; the problem must not be used after.</summary>
    public void Dispose()
    {
        System.Buffers.ArrayPool<double>.Shared.Return(Y0s);
        System.Buffers.ArrayPool<double>.Shared.Return(Ps);
        System.Buffers.ArrayPool<bool>.Shared.Return(InputFinite);
    }

    // A pooled array at least as long as values, holding them first (the rest is never read).
    private static double[] Rent(ReadOnlySpan<double> values)
    {
        double[] copy = System.Buffers.ArrayPool<double>.Shared.Rent(values.Length);
        values.CopyTo(copy);
        return copy;
    }

    private static bool Finite(ReadOnlySpan<double> v)
    {
        foreach (double x in v)
            if (!double.IsFinite(x)) return false;
        return true;
    }
}
