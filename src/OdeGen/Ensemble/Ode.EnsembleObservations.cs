using OdeGen.Ensemble;
using OdeGen.Lanes;
using OdeGen.Solvers;

namespace OdeGen;

// The lane discrete adjoint of a loss at several observation times shared by all trajectories. The forward pass of
// each block stops at every observation time and restarts there (as the scalar discrete adjoint does); the backward
// pass adds each time's ∂L/∂y on its way back (docs/lanes.md, "Gradients at observation times").
public static partial class Ode
{
    // legacy: the obsolete names return their own result type (an EnsembleGradient underneath).
    private static EnsembleGradient ObservationGradient<TSystem>(in TSystem system, ReadOnlySpan<double> y0s, ReadOnlySpan<double> ps,
        bool shared, double t0, ReadOnlySpan<double> times, ReadOnlySpan<double> dLdy, EnsembleObservationLoss? loss,
        SolverOptions? options, EnsembleOptions? ensemble, bool legacy)
        where TSystem : struct, IOdeLaneSystem
    {
        CheckObservationCall(t0, times, options);
        using EnsembleProblem problem = CreateProblem(system, y0s, ps, shared, t0, times[^1], ref options, ref ensemble);
        double[] timesCopy = times.ToArray();
        LaneWidth width = ensemble!.ResolvedWidth;
        EnsembleSolution solution = CreateEnsembleSolution(problem, width);
#pragma warning disable CS0618 // the obsolete forwarders' result type
        EnsembleGradient output = legacy
            ? new EnsembleObservationGradient(solution, timesCopy, problem.ParameterCount, shared, loss is not null)
            : new EnsembleGradient(solution, timesCopy, problem.ParameterCount, shared, loss is not null, Sensitivity.DiscreteAdjoint);
#pragma warning restore CS0618
        if (loss is null)
        {
            CheckObservationSeed(dLdy, problem.Count, times.Length, problem.StateCount);
            dLdy.CopyTo(output.DLdy);
        }
        switch (width)
        {
            case LaneWidth.Lane512: ObservationRunner<TSystem, Lane512>.Gradient(system, problem, ensemble, timesCopy, output, loss); break;
            case LaneWidth.Lane256: ObservationRunner<TSystem, Lane256>.Gradient(system, problem, ensemble, timesCopy, output, loss); break;
            case LaneWidth.Lane128: ObservationRunner<TSystem, Lane128>.Gradient(system, problem, ensemble, timesCopy, output, loss); break;
            default: ObservationRunner<TSystem, Lane1>.Gradient(system, problem, ensemble, timesCopy, output, loss); break;
        }
        return output;
    }

    // The lane discrete adjoint with a step size per lane (EnsembleOptions.PerLaneSteps): PerLaneGradient.
    private static EnsembleGradient PerLaneObservationGradient<TSystem>(in TSystem system, EnsembleBatch batch, double t0, ReadOnlySpan<double> times,
        ReadOnlySpan<double> dLdy, EnsembleObservationLoss? loss, SolverOptions? options, EnsembleOptions ensemble)
        where TSystem : struct, IOdeLaneSystem
    {
        RejectPerLaneSaveAt(options);
        CheckObservationCall(t0, times, options);
        EnsembleOptions? checkedEnsemble = ensemble;
        using EnsembleProblem problem = CreateProblem(system, batch.InitialStates, batch.Parameters, batch.SharesParameters, t0, times[^1], ref options, ref checkedEnsemble);
        PerLaneEnsemble.Check(system, problem);
        LaneWidth width = ensemble.ResolvedWidth;
        var output = new EnsembleGradient(CreateEnsembleSolution(problem, width), times.ToArray(), problem.ParameterCount, problem.SharedParameters,
            loss is not null, Sensitivity.DiscreteAdjoint);
        if (loss is null)
        {
            CheckObservationSeed(dLdy, problem.Count, times.Length, problem.StateCount);
            dLdy.CopyTo(output.DLdy);
        }
        PerLaneGradient.Compute(system, problem, ensemble, output, loss);
        return output;
    }

    // Per-lane steps save nothing between t0 and t1: the same refusal as the per-lane solve's (a capability, not a bad argument).
    private static void RejectPerLaneSaveAt(SolverOptions? options)
    {
        if (options?.SaveAt is not null)
            throw new NotSupportedException("EnsembleOptions.PerLaneSteps: SaveAt is set (per-lane steps return the final states only; a gradient's states are at its observation times). Leave SaveAt null, or turn PerLaneSteps off.");
    }

    /// <summary>
    /// As <see cref="GradientReusing{TSystem}(in TSystem, LaneLossGradientWorkspace{TSystem}, ReadOnlySpan{double}, ReadOnlySpan{double}, double, ReadOnlySpan{double}, EnsembleObservationLoss?, ReadOnlySpan{double}, SolverOptions?, EnsembleOptions)"/>
    /// with per-lane steps (<see cref="EnsembleOptions.PerLaneSteps"/>): <c>Ode.Gradient</c> / <c>Ode.LossGradient</c> on
    /// <c>EnsembleBatch.Shared(y0s, p)</c> with <c>Sensitivity.DiscreteAdjoint</c> on the calling thread, the same checks and
    /// bits, nothing allocated after the first call of a shape. The result belongs to the workspace.
    /// </summary>
    internal static EnsembleGradient GradientReusing<TSystem>(in TSystem system, PerLaneGradientWorkspace<TSystem> workspace,
        ReadOnlySpan<double> y0s, ReadOnlySpan<double> p, double t0, ReadOnlySpan<double> times, EnsembleObservationLoss? loss,
        ReadOnlySpan<double> dLdy, SolverOptions? options, EnsembleOptions ensemble)
        where TSystem : struct, IOdeLaneSystem
    {
        if (!ensemble.PerLaneSteps)
            throw new ArgumentException("This workspace runs per-lane steps (EnsembleOptions.PerLaneSteps); shared steps take a LaneLossGradientWorkspace.", nameof(ensemble));
        RejectEnsembleEvents(options);
        RejectPerLaneSaveAt(options);
        CheckObservationCall(t0, times, options);
        EnsembleOptions? checkedEnsemble = ensemble;
        // Checked before: the same options object with the same arrays (SolverOptionsKey); its checks are not repeated.
        bool optionsChecked = workspace.CheckedOptions?.Matches(options) == true;
        int count = CheckProblem(system, y0s, p, shared: true, t0, times[^1], ref options, ref checkedEnsemble, optionsChecked);
        if (!optionsChecked) workspace.CheckedOptions = new SolverOptionsKey(options!);
        if (loss is null) CheckObservationSeed(dLdy, count, times.Length, system.StateCount);
        return workspace.Gradient(system, y0s, p, count, t0, times, loss, dLdy, options!, ensemble);
    }

    /// <summary>
    /// <c>Ode.LossGradient(system, EnsembleBatch.Shared(y0s, p), t0, times, loss, Sensitivity.DiscreteAdjoint, options, ensemble)</c>
    /// on the calling thread through <paramref name="workspace"/>, which keeps the problem, the worker and the result from
    /// its last call of the same shape: the same checks and the same bits, and after the first call nothing allocated
    /// (for the trainer's lane blocks). The result belongs to the workspace and is overwritten by its next call.
    /// </summary>
    internal static EnsembleGradient LossGradientReusing<TSystem>(in TSystem system, LaneLossGradientWorkspace<TSystem> workspace,
        ReadOnlySpan<double> y0s, ReadOnlySpan<double> p, double t0, ReadOnlySpan<double> times, EnsembleObservationLoss loss,
        SolverOptions? options, EnsembleOptions ensemble)
        where TSystem : struct, IOdeLaneSystem
    {
        ArgumentNullException.ThrowIfNull(loss);
        return GradientReusing(system, workspace, y0s, p, t0, times, loss, default, options, ensemble);
    }

    /// <summary>
    /// As <see cref="LossGradientReusing{TSystem}"/>, with <paramref name="dLdy"/> (N × times × StateCount) as the seed when
    /// <paramref name="loss"/> is null: <c>Ode.Gradient(system, EnsembleBatch.Shared(y0s, p), t0, times, dLdy,
    /// Sensitivity.DiscreteAdjoint, options, ensemble)</c> on the calling thread, the same checks and bits, nothing
    /// allocated after the first call (a model's lane ODE block).
    /// </summary>
    internal static EnsembleGradient GradientReusing<TSystem>(in TSystem system, LaneLossGradientWorkspace<TSystem> workspace,
        ReadOnlySpan<double> y0s, ReadOnlySpan<double> p, double t0, ReadOnlySpan<double> times, EnsembleObservationLoss? loss,
        ReadOnlySpan<double> dLdy, SolverOptions? options, EnsembleOptions ensemble)
        where TSystem : struct, IOdeLaneSystem
    {
        if (ensemble.PerLaneSteps)
            throw new ArgumentException("This workspace runs the shared-step lane blocks; per-lane steps take a PerLaneGradientWorkspace.", nameof(ensemble));
        RejectEnsembleEvents(options);
        CheckObservationCall(t0, times, options);
        EnsembleOptions? checkedEnsemble = ensemble;
        // Checked before: the same options object with the same arrays (SolverOptionsKey); its checks are not repeated.
        bool optionsChecked = workspace.CheckedOptions?.Matches(options) == true;
        int count = CheckProblem(system, y0s, p, shared: true, t0, times[^1], ref options, ref checkedEnsemble, optionsChecked);
        if (!optionsChecked) workspace.CheckedOptions = new SolverOptionsKey(options!);
        if (loss is null) CheckObservationSeed(dLdy, count, times.Length, system.StateCount);
        return workspace.Gradient(system, y0s, p, shared: true, count, t0, times, loss, dLdy, options!, ensemble);
    }

    // ∂L/∂y at every observation time of every trajectory: N × times × StateCount finite values.
    private static void CheckObservationSeed(ReadOnlySpan<double> dLdy, int count, int times, int n)
    {
        int expected = count * times * n;
        if (dLdy.Length != expected)
            throw new ArgumentException(Format($"dLdy must have length N × times.Length × StateCount = {count} × {times} × {n} = {expected} (trajectory-major), but has length {dLdy.Length}."), nameof(dLdy));
        for (int i = 0; i < dLdy.Length; i++)
            if (!double.IsFinite(dLdy[i]))
                throw new ArgumentException(Format($"dLdy[{i}] is {dLdy[i]}; every entry must be finite."), nameof(dLdy));
    }

    private static void CheckObservationCall(double t0, ReadOnlySpan<double> times, SolverOptions? options)
    {
        if (options is not null) Sensitivity.RejectEvents(options, "The ensemble gradient (lanes share their steps)", anyEvent: true);
        Guard.FiniteTime(t0, nameof(t0));
        ObservationTimes.Check(t0, times, nameof(times));
        if (options?.SaveAt is not null)
            throw new ArgumentException("The observation times are where this gradient saves (EnsembleGradient.States): leave SaveAt null (SaveAt works with one observation time after t0 and Sensitivity.DiscreteAdjoint).", nameof(options));
    }
}
