using System.Runtime.Intrinsics;

namespace OdeGen;

/// <summary>The SIMD width an ensemble solves with: how many trajectories share one register.</summary>
public enum LaneWidth
{
    /// <summary>The widest the hardware accelerates: 512, else 256, else 128 bits, else one double.</summary>
    Auto = 0,
    /// <summary>One trajectory at a time (<see cref="Lanes.Lane1"/>).</summary>
    Lane1,
    /// <summary>Two trajectories per block (<see cref="Lanes.Lane128"/>).</summary>
    Lane128,
    /// <summary>Four trajectories per block (<see cref="Lanes.Lane256"/>).</summary>
    Lane256,
    /// <summary>Eight trajectories per block (<see cref="Lanes.Lane512"/>).</summary>
    Lane512,
}

/// <summary>
/// How an ensemble is run (what is solved is <see cref="SolverOptions"/>): the lane width and the number of threads.
/// Width and threads do not change the results: blocks are independent and reductions run in block order.
/// </summary>
public sealed class EnsembleOptions
{
    /// <summary>The defaults: automatic width, every core.</summary>
    public static EnsembleOptions Default { get; } = new();

    /// <summary>The lane width; <see cref="LaneWidth.Auto"/> (default) picks it from the hardware once per call.</summary>
    public LaneWidth Width { get; init; } = LaneWidth.Auto;

    /// <summary>Most threads solving blocks at once; null (default) uses every core, 1 solves on the calling thread.</summary>
    public int? MaxDegreeOfParallelism { get; init; }

    /// <summary>
    /// Whether fixed-step solves of systems that implement <see cref="IOdeFusedLaneSystem"/> (generated straight-line
    /// dynamics) run fused steps: each register's stages kept in registers and the Runge–Kutta sums contracted to fused
    /// multiply-adds (docs/lanes.md). On by default. The results then differ from the scalar solver's in the last bits
    /// (the sums are rounded once per term, not twice); off, every fixed-step lane equals the scalar solver bit for bit.
    /// Gradients (which record the steps) never fuse.
    /// </summary>
    public bool FusedSteps { get; init; } = true;

    /// <summary>
    /// Whether an adaptive solve gives every lane a step size of its own (off by default: the lanes of a block share each
    /// step). On, each lane accepts or rejects its own attempts and a lane whose trajectory is done takes the next one, all
    /// stages in registers (<see cref="IOdeFusedLaneSystem"/>), and every trajectory's result equals
    /// <see cref="Ode.Solve{TSystem}(in TSystem, ReadOnlySpan{double}, ReadOnlySpan{double}, double, double, SolverOptions?)"/>'s
    /// bit for bit (its final state, time, status and work) at every width and thread count. Needs generated straight-line
    /// dynamics that do not depend on t, an explicit method with one error estimate (Dopri5, Tsit5, BogackiShampine3, …),
    /// no fixed step and no SaveAt; otherwise the solve throws <see cref="NotSupportedException"/> saying which.
    /// <para>Gradients (<c>Ode.Gradient</c> and <c>Ode.LossGradient</c> on an <see cref="EnsembleBatch"/>) differentiate these
    /// same steps: with <see cref="Sensitivity.DiscreteAdjoint"/> (every step kept) the lanes record each trajectory's own steps and
    /// sweep them back in lanes, and every trajectory's dL/dy0 and dL/dθ equal the single-trajectory discrete adjoint's
    /// (<c>Ode.Gradient</c> with <c>Sensitivity.DiscreteAdjoint</c>) bit for bit. The record is bounded per thread
    /// (64 MiB; a thread sweeps back what it holds every 4 MiB before taking more trajectories), and a single trajectory too long for
    /// it is differentiated by the single-trajectory discrete adjoint (the same numbers, slower). A checkpointed discrete
    /// adjoint and the other sensitivities run trajectory by trajectory, as without per-lane steps: each trajectory is then
    /// differentiated along Ode.Solve's own steps too.</para>
    /// </summary>
    public bool PerLaneSteps { get; init; }

    /// <summary>
    /// The record budget of one thread of a per-lane discrete adjoint, in bytes (null: <see cref="Ensemble.PerLaneGradient.DefaultRecordBytes"/>);
    /// tests set it small to exercise the rounds and the fallback.
    /// </summary>
    internal long? PerLaneRecordBytes { get; init; }

    /// <summary>Where a thread of a per-lane discrete adjoint closes its round, in bytes of record (null: <see cref="Ensemble.PerLaneGradient.DefaultRoundBytes"/>).</summary>
    internal long? PerLaneRoundBytes { get; init; }

    /// <summary>
    /// Most bytes a thread's gradient tape may spend on kept primal values (64 MiB by default). A discrete-adjoint gradient
    /// of a system that implements <see cref="IOdeLaneSystemKept"/> (generated dynamics whose VJP reads back values worth
    /// keeping, such as an MLP's activations) keeps them for every stage of every step, so that the reverse sweep's VJPs do
    /// not compute them again: stages × steps × <see cref="IOdeLaneSystemKept.KeptCount"/> lane values, growing with the
    /// steps of a block. Steps past the budget are reversed by computing them again, with the same results bit for bit;
    /// 0 keeps nothing.
    /// </summary>
    public long KeptBytes { get; init; } = 64L << 20;

    /// <summary>
    /// Whether an adaptive discrete-adjoint gradient through observation times (<c>Ode.Gradient</c> and
    /// <c>Ode.LossGradient</c> on an <see cref="EnsembleBatch"/>) integrates through them without restarting (off by default).
    /// Off, a block stops at each time and restarts there as the scalar discrete adjoint does — a fresh f at the point, a
    /// fresh automatic first step (one more f), the step-size controller reset — so at <see cref="LaneWidth.Lane1"/> the
    /// steps and numbers equal the scalar discrete adjoint's. On, the block goes on as between two steps: the derivative at
    /// the point is the one the last step ended with (an FSAL method's last stage, else its endpoint derivative) and the
    /// next step is the controller's proposal (shortened to the next time as any step is), which saves two evaluations of f
    /// per time. Both are discrete adjoints of the steps taken; they differ where the steps differ, at the level of the
    /// solver's tolerance. Fixed steps restart either way (they are counted from each time), and <see cref="PerLaneSteps"/>
    /// gradients, whose lanes take the single-trajectory discrete adjoint's own steps, do not read it.
    /// </summary>
    public bool ContinueAtObservations { get; init; }

    /// <summary>The width <see cref="LaneWidth.Auto"/> resolves to on this machine.</summary>
    public static LaneWidth HardwareWidth =>
        Vector512.IsHardwareAccelerated ? LaneWidth.Lane512
        : Vector256.IsHardwareAccelerated ? LaneWidth.Lane256
        : Vector128.IsHardwareAccelerated ? LaneWidth.Lane128
        : LaneWidth.Lane1;

    internal LaneWidth ResolvedWidth => Width == LaneWidth.Auto ? HardwareWidth : Width;

    // A range check, not Enum.IsDefined: that reads the enum's values from a reflection cache the runtime holds weakly, so
    // the first call after any garbage collection allocated to rebuild it (Validate runs on every ensemble call).
    internal static bool IsLaneWidth(LaneWidth width) => width is >= LaneWidth.Auto and <= LaneWidth.Lane512;

    internal void Validate()
    {
        if (!IsLaneWidth(Width))
            throw new ArgumentException($"Width {(int)Width} is not a LaneWidth.", "ensemble");
        if (MaxDegreeOfParallelism is { } d && d < 1)
            throw new ArgumentException($"MaxDegreeOfParallelism must be at least 1 (or null for every core), not {d}.", "ensemble");
        if (KeptBytes < 0)
            throw new ArgumentException($"KeptBytes must be zero (keep nothing) or positive, not {KeptBytes}.", "ensemble");
    }

    /// <summary>Lanes per register of a width.</summary>
    public static int LaneCount(LaneWidth width) => width switch
    {
        LaneWidth.Lane1 => 1,
        LaneWidth.Lane128 => 2,
        LaneWidth.Lane256 => 4,
        LaneWidth.Lane512 => 8,
        _ => LaneCount(HardwareWidth),
    };
}
