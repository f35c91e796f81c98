namespace OdeGen.Ensemble;

/// <summary>
/// What every block of one ensemble call reads (inputs, options) and writes (its own rows of the outputs): shared by
/// the workers, each of which touches only the rows of the blocks it solves.
/// </summary>
internal sealed class EnsembleProblem
{
    public EnsembleProblem(int count, int stateCount, int parameterCount, double[] y0s, double[] ps, bool sharedParameters,
        double t0, double t1, SolverOptions options)
    {
        Count = count;
        StateCount = stateCount;
        ParameterCount = parameterCount;
        Y0s = y0s;
        Ps = ps;
        SharedParameters = sharedParameters;
        T0 = t0;
        T1 = t1;
        Options = options;
        InputFinite = new bool[count];
        for (int j = 0; j < count; j++)
        {
            bool finite = Finite(y0s.AsSpan(j * stateCount, stateCount));
            if (!sharedParameters) finite &= Finite(ps.AsSpan(j * parameterCount, parameterCount));
            InputFinite[j] = finite;
        }
    }

    public int Count { get; }
    public int StateCount { get; }
    public int ParameterCount { get; }
    /// <summary>Initial states, row-major Count × StateCount.</summary>
    public double[] Y0s { get; }
    /// <summary>Parameters: Count × ParameterCount, or one row shared by all when <see cref="SharedParameters"/>.</summary>
    public double[] Ps { get; }
    public bool SharedParameters { get; }
    public double T0 { get; }
    public double T1 { get; }
    public SolverOptions Options { get; }
    /// <summary>Whether solves without a tape may take fused fixed steps (<see cref="EnsembleOptions.FusedSteps"/>).</summary>
    public bool FusedSteps { get; init; }
    /// <summary>False for a trajectory whose own y0 or θ has a NaN or ±∞: it is not solved (status NonFiniteValue).</summary>
    public bool[] InputFinite { get; }

    private static bool Finite(ReadOnlySpan<double> v)
    {
        foreach (double x in v)
            if (!double.IsFinite(x)) return false;
        return true;
    }
}
