using OdeGen.Lanes;

namespace OdeGen.Flows;

/// <summary>
/// Builds one chunk's augmented system with a fixed kernel and lane type: the one generic place where the
/// flow's choice of scalar or lane code becomes a type the solvers are specialized for.
/// </summary>
internal abstract class CnfEngine
{
    public abstract int LaneCount { get; }

    /// <summary>Whether the per-sample kernel runs in float (<see cref="CnfPrecision.Single"/>).</summary>
    public virtual bool SinglePrecision => false;

    /// <summary>A new augmented system for <paramref name="count"/> samples with these states, noise loaded.</summary>
    public abstract CnfChunk Chunk(int count, bool exact, bool kinetic, bool jacobian, ReadOnlySpan<double> noise);

    /// <summary>Scalar code of any second-order system.</summary>
    public static CnfEngine Scalar<TSystem>(TSystem system) where TSystem : struct, IOdeSystemSecondOrder =>
        new Engine<ScalarCnfKernel<TSystem>, Lane1>(new ScalarCnfKernel<TSystem>(system));

    /// <summary>The generated lane methods at <paramref name="width"/> (Auto: the hardware's); in float lanes for <see cref="CnfPrecision.Single"/>.</summary>
    public static CnfEngine Lanes<TSystem>(TSystem system, LaneWidth width, CnfPrecision precision = CnfPrecision.Double)
        where TSystem : struct, IOdeLaneSystemSecondOrder =>
        Single(width, precision)
            ? new Engine<LaneCnfKernel<TSystem, LaneFloat512>, LaneFloat512>(new(system), single: true)
            : (width == LaneWidth.Auto ? EnsembleOptions.HardwareWidth : width) switch
        {
            LaneWidth.Lane1 => new Engine<LaneCnfKernel<TSystem, Lane1>, Lane1>(new(system)),
            LaneWidth.Lane128 => new Engine<LaneCnfKernel<TSystem, Lane128>, Lane128>(new(system)),
            LaneWidth.Lane256 => new Engine<LaneCnfKernel<TSystem, Lane256>, Lane256>(new(system)),
            LaneWidth.Lane512 => new Engine<LaneCnfKernel<TSystem, Lane512>, Lane512>(new(system)),
            var other => throw new ArgumentOutOfRangeException(nameof(width), other, "Not a LaneWidth."),
        };

    /// <summary>A split field's scalar code: the hypernetwork once per call, the per-sample part one sample at a time.</summary>
    public static CnfEngine Hyper<THypernetwork, TField>(THypernetwork hypernetwork, TField field)
        where THypernetwork : struct, IDifferentiableFunction where TField : struct, IOdeSystemSecondOrder =>
        new HyperEngine<THypernetwork, ScalarCnfKernel<TField>, Lane1>(hypernetwork, new ScalarCnfKernel<TField>(field));

    /// <summary>
    /// A split field's per-sample part in lanes at <paramref name="width"/> (Auto: the hardware's), in float lanes for
    /// <see cref="CnfPrecision.Single"/>; the hypernetwork once per call, in double.
    /// </summary>
    public static CnfEngine HyperLanes<THypernetwork, TField>(THypernetwork hypernetwork, TField field, LaneWidth width,
        CnfPrecision precision = CnfPrecision.Double)
        where THypernetwork : struct, IDifferentiableFunction where TField : struct, IOdeLaneSystemSecondOrder =>
        Single(width, precision)
            ? new HyperEngine<THypernetwork, LaneCnfKernel<TField, LaneFloat512>, LaneFloat512>(hypernetwork, new(field), single: true)
            : (width == LaneWidth.Auto ? EnsembleOptions.HardwareWidth : width) switch
        {
            LaneWidth.Lane1 => new HyperEngine<THypernetwork, LaneCnfKernel<TField, Lane1>, Lane1>(hypernetwork, new(field)),
            LaneWidth.Lane128 => new HyperEngine<THypernetwork, LaneCnfKernel<TField, Lane128>, Lane128>(hypernetwork, new(field)),
            LaneWidth.Lane256 => new HyperEngine<THypernetwork, LaneCnfKernel<TField, Lane256>, Lane256>(hypernetwork, new(field)),
            LaneWidth.Lane512 => new HyperEngine<THypernetwork, LaneCnfKernel<TField, Lane512>, Lane512>(hypernetwork, new(field)),
            var other => throw new ArgumentOutOfRangeException(nameof(width), other, "Not a LaneWidth."),
        };

    // Single precision has one lane type (16 floats); an explicit width other than Auto is a contradiction, not a hint.
    private static bool Single(LaneWidth width, CnfPrecision precision) =>
        precision == CnfPrecision.Single && width != LaneWidth.Auto
            ? throw new ArgumentException($"CnfPrecision.Single runs 16 float lanes (LaneFloat512); pass LaneWidth.Auto, not {width}.", nameof(width))
            : precision == CnfPrecision.Single;

    private sealed class Engine<TKernel, TLane>(TKernel kernel, bool single = false) : CnfEngine
        where TKernel : struct, ICnfKernel<TLane> where TLane : unmanaged, ILane<TLane>
    {
        public override int LaneCount => TLane.Count;

        public override bool SinglePrecision => single;

        public override CnfChunk Chunk(int count, bool exact, bool kinetic, bool jacobian, ReadOnlySpan<double> noise) =>
            new TypedChunk<CnfAugmentedSystem<TKernel, TLane>>(new(kernel, count, exact, kinetic, jacobian, noise.ToArray()));
    }

    private sealed class HyperEngine<THypernetwork, TKernel, TLane>(THypernetwork hypernetwork, TKernel kernel, bool single = false) : CnfEngine
        where THypernetwork : struct, IDifferentiableFunction
        where TKernel : struct, ICnfKernel<TLane> where TLane : unmanaged, ILane<TLane>
    {
        public override int LaneCount => TLane.Count;

        public override bool SinglePrecision => single;

        public override CnfChunk Chunk(int count, bool exact, bool kinetic, bool jacobian, ReadOnlySpan<double> noise) =>
            new TypedChunk<CnfHyperSystem<THypernetwork, TKernel, TLane>>(
                new(hypernetwork, new CnfAugmentedSystem<TKernel, TLane>(kernel, count, exact, kinetic, jacobian, noise.ToArray())));
    }

    private sealed class TypedChunk<TSystem>(TSystem system) : CnfChunk where TSystem : struct, ICnfChunkSystem
    {
        // The discrete adjoint's backward pass recomputes the forward stages; they are answered from memory (made at its
        // first gradient, then reused, cleared per call: see MemoizedSystem).
        private EvaluationMemo? _memo;

        public override bool Fits(int count, bool exact, bool kinetic, bool jacobian) => system.Fits(count, exact, kinetic, jacobian);

        public override void LoadNoise(ReadOnlySpan<double> noise) => system.LoadNoise(noise);

        // θ is held for the call (ICnfChunkSystem.HoldParameters): what depends on t and θ alone is remembered within it.
        public override OdeSolution Solve(double[] y0, double[] p, double from, double to, SolverOptions options)
        {
            system.HoldParameters(p);
            try
            {
                return Ode.Solve(system, y0, p, from, to, options);
            }
            finally
            {
                system.ReleaseParameters();
            }
        }

        public override double[] Gradient(ref CnfGradientWork? work, double[] y0, double[] p, double from, double[] times, ObservationLoss loss,
            Sensitivity sensitivity, SolverOptions options, out GradientStats stats)
        {
            // A worker's workspace is of its flow's one chunk type; a slot holding another (none yet) is replaced.
            if (work is not GradientWork kept) work = kept = new GradientWork();
            system.HoldParameters(p);
            try
            {
                if (sensitivity is not DiscreteAdjointSensitivity)
                    return Differentiate(system, kept.Plain ??= new(), y0, p, from, times, loss, sensitivity, options, out stats);
                _memo ??= new EvaluationMemo(system.StateCount);
                _memo.Clear();
                return Differentiate(new MemoizedSystem<TSystem>(system, _memo), kept.Memoized ??= new(), y0, p, from, times, loss, sensitivity,
                    options, out stats);
            }
            finally
            {
                system.ReleaseParameters();
            }
        }

        // What Ode.LossGradient computes (the same inputs, checks, workspace path and fallback), into the worker's kept
        // workspace. The dL/dθ buffer is returned instead of a copy, since the flow adds it into its chunk slot at once; a
        // failure throws (as Ode.LossGradient's result's EnsureSuccess would), since a flow's gradient has no status to return.
        private static double[] Differentiate<TS>(in TS system, GradientWorkspace<TS> w, double[] y0, double[] p, double from, double[] times,
            ObservationLoss loss, Sensitivity sensitivity, SolverOptions options, out GradientStats stats)
            where TS : struct, IOdeSystem
        {
            w.Inputs = GradientInputs.Create(system, y0, p, from, times, loss, w.Inputs);
            GradientOutcome<TS> g = w.Compute(system, sensitivity, options).EnsureSuccess();
            stats = g.Stats;
            return g.Parameters;
        }

        private sealed class GradientWork : CnfGradientWork
        {
            public GradientWorkspace<TSystem>? Plain;
            public GradientWorkspace<MemoizedSystem<TSystem>>? Memoized;
        }
    }
}

/// <summary>A worker's gradient workspaces (the solver's integrators, tape, buffers and result), kept by the flow per worker.</summary>
internal abstract class CnfGradientWork;

/// <summary>
/// One chunk's augmented system (its lane buffers hold θ broadcast to every lane: megabytes for a large field), kept by
/// the flow and reused by every call whose chunk has the same layout, the noise reloaded in place.
/// </summary>
internal abstract class CnfChunk
{
    public abstract bool Fits(int count, bool exact, bool kinetic, bool jacobian);

    public abstract void LoadNoise(ReadOnlySpan<double> noise);

    public abstract OdeSolution Solve(double[] y0, double[] p, double from, double to, SolverOptions options);

    /// <summary>
    /// dL/dθ of this chunk's loss (as Ode.LossGradient's result would hold it) and the solver's work, computed in the
    /// worker's <paramref name="work"/> (made here on first use): the array is the workspace's, valid until its next gradient.
    /// </summary>
    /// <exception cref="OdeSolverException">A forward or backward solve failed.</exception>
    public abstract double[] Gradient(ref CnfGradientWork? work, double[] y0, double[] p, double from, double[] times, ObservationLoss loss,
        Sensitivity sensitivity, SolverOptions options, out GradientStats stats);
}
