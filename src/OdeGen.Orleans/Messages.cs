using Orleans;

namespace OdeGen.Orleans;

/// <summary>Which ensemble call a request is a part of.</summary>
[GenerateSerializer]
public enum EnsembleKind
{
    /// <summary><c>Ode.Solve</c> on an <c>EnsembleBatch</c>: a θ row per trajectory.</summary>
    Solve = 0,
    /// <summary><c>Ode.Solve</c> on <c>EnsembleBatch.Shared</c>: one θ for all.</summary>
    SolveShared,
    /// <summary><c>Ode.Gradient</c> (lane discrete adjoint, loss on the final states) on an <c>EnsembleBatch</c>: a θ row per trajectory.</summary>
    Gradient,
    /// <summary><c>Ode.Gradient</c> on <c>EnsembleBatch.Shared</c>: one θ, and the per-block sums of dL/dθ.</summary>
    GradientShared,
}

/// <summary>
/// <see cref="SolverOptions"/> as it travels (the method by its name; events cannot travel and ensembles reject them).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record WireSolverOptions
{
    /// <summary>A built-in method's <see cref="OdeMethod.Name"/>.</summary>
    [Id(0)] public required string Method { get; init; }
    /// <summary><see cref="SolverOptions.RelTol"/>.</summary>
    [Id(1)] public double RelTol { get; init; }
    /// <summary><see cref="SolverOptions.AbsTol"/>.</summary>
    [Id(2)] public double AbsTol { get; init; }
    /// <summary><see cref="SolverOptions.AbsTolVector"/>.</summary>
    [Id(3)] public double[]? AbsTolVector { get; init; }
    /// <summary><see cref="SolverOptions.SaveAt"/>.</summary>
    [Id(4)] public double[]? SaveAt { get; init; }
    /// <summary><see cref="SolverOptions.SaveSteps"/> (ensembles reject it; it travels so the worker says so as the local call does).</summary>
    [Id(5)] public bool SaveSteps { get; init; }
    /// <summary><see cref="SolverOptions.Dense"/> (rejected as SaveSteps).</summary>
    [Id(6)] public bool Dense { get; init; }
    /// <summary><see cref="SolverOptions.Norm"/>.</summary>
    [Id(7)] public int Norm { get; init; }
    /// <summary><see cref="SolverOptions.MaxSteps"/>.</summary>
    [Id(8)] public int MaxSteps { get; init; }
    /// <summary><see cref="SolverOptions.FixedStep"/>.</summary>
    [Id(9)] public double? FixedStep { get; init; }
    /// <summary><see cref="SolverOptions.InitialStep"/>.</summary>
    [Id(10)] public double? InitialStep { get; init; }
    /// <summary><see cref="SolverOptions.MinStep"/>.</summary>
    [Id(11)] public double MinStep { get; init; }
    /// <summary><see cref="SolverOptions.MaxStep"/>.</summary>
    [Id(12)] public double MaxStep { get; init; }
    /// <summary><see cref="SolverOptions.Safety"/>.</summary>
    [Id(13)] public double Safety { get; init; }
    /// <summary><see cref="SolverOptions.MinFactor"/>.</summary>
    [Id(14)] public double MinFactor { get; init; }
    /// <summary><see cref="SolverOptions.MaxFactor"/>.</summary>
    [Id(15)] public double MaxFactor { get; init; }
    /// <summary><see cref="SolverOptions.Controller"/>.</summary>
    [Id(16)] public int Controller { get; init; }
    /// <summary><see cref="SolverOptions.HoldBand"/>.</summary>
    [Id(17)] public double? HoldBand { get; init; }

    /// <summary>The options as they travel; throws for what cannot travel (events, a method that is not built in).</summary>
    public static WireSolverOptions From(SolverOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Events is { Count: > 0 })
            throw new ArgumentException("Ensembles do not locate events (the lanes share their steps); solve such trajectories with Ode.Solve.", nameof(options));
        if (!OdeMethod.All.Any(m => ReferenceEquals(m, options.Method)))
            throw new ArgumentException(
                $"A distributed ensemble sends its method by name, so it must be one of OdeMethod.All; {options.Method.Name} (OdeMethod.FromTableau) is not. Solve it with the local Ode.Solve(system, EnsembleBatch, …).",
                nameof(options));
        return new WireSolverOptions
        {
            Method = options.Method.Name,
            RelTol = options.RelTol,
            AbsTol = options.AbsTol,
            AbsTolVector = options.AbsTolVector,
            SaveAt = options.SaveAt,
            SaveSteps = options.SaveSteps,
            Dense = options.Dense,
            Norm = (int)options.Norm,
            MaxSteps = options.MaxSteps,
            FixedStep = options.FixedStep,
            InitialStep = options.InitialStep,
            MinStep = options.MinStep,
            MaxStep = options.MaxStep,
            Safety = options.Safety,
            MinFactor = options.MinFactor,
            MaxFactor = options.MaxFactor,
            Controller = (int)options.Controller,
            HoldBand = options.HoldBand,
        };
    }

    /// <summary>The <see cref="SolverOptions"/> these stand for.</summary>
    public SolverOptions ToOptions()
    {
        OdeMethod method = OdeMethod.All.FirstOrDefault(m => m.Name == Method)
            ?? throw new ArgumentException($"This silo's OdeGen has no method named {Method}: the client and the silos run different OdeGen versions.");
        return new SolverOptions
        {
            Method = method,
            RelTol = RelTol,
            AbsTol = AbsTol,
            AbsTolVector = AbsTolVector,
            SaveAt = SaveAt,
            SaveSteps = SaveSteps,
            Dense = Dense,
            Norm = (ErrorNorm)Norm,
            MaxSteps = MaxSteps,
            FixedStep = FixedStep,
            InitialStep = InitialStep,
            MinStep = MinStep,
            MaxStep = MaxStep,
            Safety = Safety,
            MinFactor = MinFactor,
            MaxFactor = MaxFactor,
            Controller = (StepSizeControl)Controller,
            HoldBand = HoldBand,
        };
    }
}

/// <summary>
/// A run of consecutive lane blocks of one ensemble call: their trajectories' inputs (rows
/// <see cref="FirstTrajectory"/> … of the caller's arrays) and how to solve them.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record BlockRequest
{
    /// <summary>The system's full type name (<see cref="OdeSystemName.Of{TSystem}"/>); the silo looks it up among its registered systems.</summary>
    [Id(0)] public required string SystemName { get; init; }
    /// <summary>The client's StateCount, checked against the silo's system.</summary>
    [Id(1)] public int StateCount { get; init; }
    /// <summary>The client's ParameterCount, checked against the silo's system.</summary>
    [Id(2)] public int ParameterCount { get; init; }
    /// <summary>What to compute.</summary>
    [Id(3)] public EnsembleKind Kind { get; init; }
    /// <summary>The global index of the first block.</summary>
    [Id(4)] public int FirstBlock { get; init; }
    /// <summary>The number of blocks.</summary>
    [Id(5)] public int BlockCount { get; init; }
    /// <summary>The global index of the first trajectory (FirstBlock · LanesPerBlock).</summary>
    [Id(6)] public int FirstTrajectory { get; init; }
    /// <summary>Trajectories in these blocks (the last block of the ensemble may be short).</summary>
    [Id(7)] public int Count { get; init; }
    /// <summary>Trajectories per block at the chosen width.</summary>
    [Id(8)] public int LanesPerBlock { get; init; }
    /// <summary>Initial states, Count × StateCount.</summary>
    [Id(9)] public required double[] Y0s { get; init; }
    /// <summary>Parameters: Count × ParameterCount, or the shared row.</summary>
    [Id(10)] public required double[] Ps { get; init; }
    /// <summary>∂L/∂y(t1), Count × StateCount, for gradients; null for solves.</summary>
    [Id(11)] public double[]? Seed { get; init; }
    /// <summary>Start time.</summary>
    [Id(12)] public double T0 { get; init; }
    /// <summary>End time.</summary>
    [Id(13)] public double T1 { get; init; }
    /// <summary>The solver options.</summary>
    [Id(14)] public required WireSolverOptions Options { get; init; }
    /// <summary>The <see cref="LaneWidth"/>, resolved on the client (never Auto: every silo solves at the client's width).</summary>
    [Id(15)] public int Width { get; init; }
    /// <summary><see cref="EnsembleOptions.FusedSteps"/>.</summary>
    [Id(16)] public bool FusedSteps { get; init; }
    /// <summary>This attempt's id, which <see cref="Workers.IEnsembleWorkerGrain.CancelAsync"/> names.</summary>
    [Id(17)] public Guid RequestId { get; init; }
    /// <summary><see cref="EnsembleOptions.PerLaneSteps"/> (it changes the steps, so the result).</summary>
    [Id(18)] public bool PerLaneSteps { get; init; }
    /// <summary><see cref="EnsembleOptions.KeptBytes"/> (memory only: the same bits whatever it is).</summary>
    [Id(19)] public long KeptBytes { get; init; } = EnsembleOptions.Default.KeptBytes;
}

/// <summary>What a worker returns for a <see cref="BlockRequest"/>: the rows of its trajectories and blocks.</summary>
[GenerateSerializer, Immutable]
public sealed record BlockResult
{
    /// <summary>Final states, Count × StateCount.</summary>
    [Id(0)] public required double[] FinalStates { get; init; }
    /// <summary>Final times, Count.</summary>
    [Id(1)] public required double[] FinalTimes { get; init; }
    /// <summary>Saved states, Count × SaveAt × StateCount.</summary>
    [Id(2)] public required double[] SavedStates { get; init; }
    /// <summary>Statuses as their <see cref="OdeStatus"/> values, Count.</summary>
    [Id(3)] public required int[] Statuses { get; init; }
    /// <summary>Per-trajectory statistics, Count × <see cref="WireStats.Width"/>.</summary>
    [Id(4)] public required long[] TrajectoryStats { get; init; }
    /// <summary>Per-block statistics, BlockCount × <see cref="WireStats.Width"/>.</summary>
    [Id(5)] public required long[] BlockStats { get; init; }
    /// <summary>dL/dy0 rows (gradients), Count × StateCount.</summary>
    [Id(6)] public double[]? Y0 { get; init; }
    /// <summary>dL/dθ rows (gradients), Count × ParameterCount.</summary>
    [Id(7)] public double[]? Parameters { get; init; }
    /// <summary>
    /// Shared θ with shared steps: each block's own sum of dL/dθ, BlockCount × ParameterCount, for the client to add in block
    /// order; null with per-lane steps, whose sum the client forms from the rows in trajectory order (as the local call).
    /// </summary>
    [Id(8)] public double[]? BlockSums { get; init; }
    /// <summary>Lane VJPs of the backward passes.</summary>
    [Id(9)] public long VjpEvaluations { get; init; }
    /// <summary>The silo that computed it.</summary>
    [Id(10)] public required string Silo { get; init; }
    /// <summary>Wall time the silo spent on it.</summary>
    [Id(11)] public TimeSpan Elapsed { get; init; }
    /// <summary>Evaluations of f in the backward passes (<see cref="EnsembleGradient.BackwardEvaluations"/>).</summary>
    [Id(12)] public long BackwardEvaluations { get; init; }
}

/// <summary>SolverStats flattened to longs: Steps, RejectedSteps, FunctionEvaluations, JacobianEvaluations, Factorizations.</summary>
internal static class WireStats
{
    public const int Width = 5;

    public static void Write(in SolverStats s, long[] to, int index)
    {
        int o = index * Width;
        to[o] = s.Steps;
        to[o + 1] = s.RejectedSteps;
        to[o + 2] = s.FunctionEvaluations;
        to[o + 3] = s.JacobianEvaluations;
        to[o + 4] = s.Factorizations;
    }

    public static SolverStats Read(long[] from, int index)
    {
        int o = index * Width;
        return new SolverStats
        {
            Steps = checked((int)from[o]),
            RejectedSteps = checked((int)from[o + 1]),
            FunctionEvaluations = from[o + 2],
            JacobianEvaluations = from[o + 3],
            Factorizations = from[o + 4],
        };
    }
}
