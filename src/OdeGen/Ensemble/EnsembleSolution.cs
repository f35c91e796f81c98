using OdeGen.Threading;

namespace OdeGen;

/// <summary>
/// The result of <see cref="Ode.Solve{TSystem}(in TSystem, EnsembleBatch, double, double, SolverOptions?, EnsembleOptions?)"/>:
/// for each of <see cref="Count"/> trajectories its final state, its saved states, how it ended and the work of its block.
/// </summary>
public sealed class EnsembleSolution
{
    internal EnsembleSolution(int count, int stateCount, double[]? saveAt, LaneWidth width, int lanesPerBlock)
    {
        Count = count;
        StateCount = stateCount;
        SaveAt = saveAt is null ? [] : (double[])saveAt.Clone();
        Width = width;
        LanesPerBlock = lanesPerBlock;
        int blocks = (count + lanesPerBlock - 1) / lanesPerBlock;
        FinalStates = new double[count * stateCount];
        FinalTimes = new double[count];
        SavedStates = new double[count * SaveAt.Length * stateCount];
        SavedStates.AsSpan().Fill(double.NaN);
        Statuses = new OdeStatus[count];
        TrajectoryStats = new SolverStats[count];
        BlockStats = new SolverStats[blocks];
    }

    /// <summary>
    /// Prepares this solution to be written again by a solve of the same shape (the Ode.Solve overload with a destination): the saved
    /// states go back to NaN, everything else is overwritten by the solve.
    /// </summary>
    internal void Reuse(int count, int stateCount, double[]? saveAt, LaneWidth width, int lanesPerBlock)
    {
        ReadOnlySpan<double> times = saveAt ?? [];
        if (count != Count || stateCount != StateCount || width != Width || lanesPerBlock != LanesPerBlock || !times.SequenceEqual(SaveAt))
            throw new ArgumentException(
                $"The destination holds {Count} trajectories of {StateCount} states at width {Width} ({LanesPerBlock} per block) with {SaveAt.Length} save times; "
                + $"this solve has {count} of {stateCount} at {width} ({lanesPerBlock} per block) with {times.Length} save times{(times.Length == SaveAt.Length ? " (other times)" : "")}. "
                + "Pass the solution of a solve with the same y0s length, method kind (fixed or adaptive), SaveAt and width.", "destination");
        SavedStates.AsSpan().Fill(double.NaN);
    }

    // What a solve into this solution keeps for the next solve into it (KeptEnsembleWorkers): taken by a call and put back
    // when it succeeds, so two calls at once into one destination never share workers.
    private object? _kept;

    internal object? TakeKept() => Interlocked.Exchange(ref _kept, null);

    internal void Keep(object kept) => Volatile.Write(ref _kept, kept);

    // One solve into this solution at a time: two at once wrote their rows into the same arrays, and each caller got a mix of
    // both calls' trajectories with Success (the kept workers were already taken, not shared, so nothing else told).
    private OneCallAtATime _writing;

    internal void EnterWrite() => _writing.Enter(
        "This EnsembleSolution is already the destination of an Ode.Solve call on another thread: two solves into one destination " +
        "would write their rows into the same arrays. Make one call at a time into it, or give each thread its own destination.");

    internal void ExitWrite() => _writing.Exit();

    /// <summary>Number of trajectories.</summary>
    public int Count { get; }
    /// <summary>States per trajectory (n).</summary>
    public int StateCount { get; }
    /// <summary>The width the ensemble was solved with.</summary>
    public LaneWidth Width { get; }
    /// <summary>Trajectories per block: lanes of <see cref="Width"/> times the registers a block holds (4 for fixed steps, 1 for adaptive).</summary>
    public int LanesPerBlock { get; }
    /// <summary>Final states, row-major Count × StateCount: the state at <see cref="FinalTimes"/>[i] (t1 unless the trajectory failed).</summary>
    public double[] FinalStates { get; }
    /// <summary>Where each trajectory ended: t1, or the time of its last accepted step when it failed.</summary>
    public double[] FinalTimes { get; }
    /// <summary>The save times (<see cref="SolverOptions.SaveAt"/>; empty when none were asked for).</summary>
    public double[] SaveAt { get; }
    /// <summary>
    /// Saved states, Count × SaveAt.Length × StateCount (trajectory-major). A trajectory that failed has NaN at the
    /// save times after its failure.
    /// </summary>
    public double[] SavedStates { get; }
    /// <summary>How each trajectory ended.</summary>
    public OdeStatus[] Statuses { get; }
    /// <summary>
    /// The work of each trajectory's block up to the trajectory's end: the shared steps it took part in, the block's
    /// rejected attempts and its lane evaluations (one EvaluateLanes call counts once). With
    /// <see cref="EnsembleOptions.PerLaneSteps"/>: the trajectory's own steps, rejections and evaluations, as Ode.Solve counts them.
    /// </summary>
    public SolverStats[] TrajectoryStats { get; }
    /// <summary>The work of each block (blocks in order: block b holds trajectories b·LanesPerBlock, …).</summary>
    public SolverStats[] BlockStats { get; }

    /// <summary>The work of every block together.</summary>
    public SolverStats Stats
    {
        get
        {
            var total = new SolverStats();
            foreach (SolverStats s in BlockStats) total.Add(s);
            return total;
        }
    }

    /// <summary>True when every trajectory reached t1.</summary>
    public bool AllSucceeded => Array.TrueForAll(Statuses, s => s == OdeStatus.Success);

    /// <summary>The final state of trajectory <paramref name="i"/>.</summary>
    public ReadOnlySpan<double> FinalState(int i) => FinalStates.AsSpan(Row(i) * StateCount, StateCount);

    /// <summary>The state of trajectory <paramref name="i"/> at save time <paramref name="s"/> (SaveAt[s]).</summary>
    public ReadOnlySpan<double> Saved(int i, int s)
    {
        if ((uint)s >= (uint)SaveAt.Length) throw new ArgumentOutOfRangeException(nameof(s), s, $"There are {SaveAt.Length} save times.");
        return SavedStates.AsSpan((Row(i) * SaveAt.Length + s) * StateCount, StateCount);
    }

    /// <summary>Throws <see cref="OdeSolverException"/> naming the first failed trajectory, if any.</summary>
    public EnsembleSolution EnsureSuccess()
    {
        for (int i = 0; i < Count; i++)
            if (Statuses[i] != OdeStatus.Success)
                throw new OdeSolverException(Statuses[i], FinalTimes[i],
                    $"Trajectory {i} of the ensemble stopped at t = {FinalTimes[i]} ({Statuses[i]}): {OdeStatusText.Cause(Statuses[i])}.");
        return this;
    }

    private int Row(int i) => (uint)i < (uint)Count ? i : throw new ArgumentOutOfRangeException(nameof(i), i, $"The ensemble has {Count} trajectories.");
}
