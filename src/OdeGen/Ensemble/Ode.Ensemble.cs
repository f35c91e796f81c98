using OdeGen.Ensemble;
using OdeGen.Lanes;
using OdeGen.Solvers;

namespace OdeGen;

// The ensemble verbs: Solve, Gradient and LossGradient on an EnsembleBatch, the same verbs as for one trajectory.
public static partial class Ode
{
    /// <summary>
    /// Solves the trajectories of <paramref name="batch"/> (same dynamics, each from its own y0, with its own or a shared
    /// θ) several at once: blocks of trajectories, one per SIMD lane, sharing each step (docs/lanes.md).
    /// </summary>
    /// <param name="system">Lane-batched dynamics (a generated system or any <see cref="IOdeLaneSystem"/> struct).</param>
    /// <param name="batch">Initial states and parameters (<see cref="EnsembleBatch"/>).</param>
    /// <param name="t0">Start time (finite).</param>
    /// <param name="t1">End time (finite; t1 &lt; t0 integrates backwards).</param>
    /// <param name="options">An explicit Runge–Kutta method, fixed step or tolerances, SaveAt, limits.</param>
    /// <param name="ensemble">Lane width and threads; <see cref="EnsembleOptions.Default"/> when null.</param>
    /// <returns>Final and saved states, a status per trajectory, the work of each block.</returns>
    /// <exception cref="ArgumentException">Sizes, non-finite times, or options an ensemble does not support (Events, Dense, SaveSteps).</exception>
    /// <exception cref="NotSupportedException">A method that does not step in lanes (the stiff ones); the message names those that do.</exception>
    /// <remarks>
    /// With an adaptive method the lanes of a block share their steps (the error is the largest of the lanes' norms),
    /// so a trajectory's result differs from <see cref="Solve{TSystem}(in TSystem, ReadOnlySpan{double}, ReadOnlySpan{double}, double, double, SolverOptions?)"/>
    /// at the level of the tolerance; with a fixed step (<see cref="EnsembleOptions.FusedSteps"/> off) or
    /// <see cref="LaneWidth.Lane1"/> it is the same bits; with <see cref="EnsembleOptions.PerLaneSteps"/> each lane steps on
    /// its own and every trajectory is the same bits as well. A trajectory whose own y0 or θ is not finite ends with
    /// <see cref="OdeStatus.NonFiniteValue"/> at t0; the others are solved.
    /// </remarks>
    public static EnsembleSolution Solve<TSystem>(in TSystem system, EnsembleBatch batch, double t0, double t1,
        SolverOptions? options = null, EnsembleOptions? ensemble = null)
        where TSystem : struct, IOdeLaneSystem
    {
        using EnsembleProblem problem = CreateProblem(system, batch.InitialStates, batch.Parameters, batch.SharesParameters, t0, t1, ref options, ref ensemble);
        return RunEnsemble(system, problem, ensemble!);
    }

    /// <summary>
    /// As <see cref="Solve{TSystem}(in TSystem, EnsembleBatch, double, double, SolverOptions?, EnsembleOptions?)"/>, writing
    /// into <paramref name="destination"/> — the solution of an earlier call with the same number of trajectories and
    /// states, the same save times and the same width — instead of new arrays, so that solving again and again (a sweep
    /// inside a loop, a product's time step) allocates next to nothing.
    /// </summary>
    /// <param name="system">Lane-batched dynamics.</param>
    /// <param name="batch">Initial states and parameters.</param>
    /// <param name="t0">Start time (finite).</param>
    /// <param name="t1">End time (finite).</param>
    /// <param name="destination">Overwritten: every row, status and statistic.</param>
    /// <param name="options">As for the solve that returns a new solution.</param>
    /// <param name="ensemble">Lane width and threads.</param>
    /// <exception cref="ArgumentException">As for the solve that returns a new solution, or a destination of another shape.</exception>
    /// <exception cref="InvalidOperationException">Another solve into <paramref name="destination"/> is running on another thread.</exception>
    public static void Solve<TSystem>(in TSystem system, EnsembleBatch batch, double t0, double t1, EnsembleSolution destination,
        SolverOptions? options = null, EnsembleOptions? ensemble = null)
        where TSystem : struct, IOdeLaneSystem
    {
        ArgumentNullException.ThrowIfNull(destination);
        using EnsembleProblem problem = CreateProblem(system, batch.InitialStates, batch.Parameters, batch.SharesParameters, t0, t1, ref options, ref ensemble);
        LaneWidth width = ensemble!.ResolvedWidth;
        destination.EnterWrite();
        try
        {
            destination.Reuse(problem.Count, problem.StateCount, problem.Options.SaveAt, width, LanesPerBlock(problem, width));
            Solve(system, problem, ensemble, destination, keepWorkers: true);
        }
        finally
        {
            destination.ExitWrite();
        }
    }

    /// <summary>
    /// The gradient of a loss on the states of every trajectory of <paramref name="batch"/> at observation times shared by
    /// all, L = Σ_j L_j(y_j(times[0]), …): each trajectory's dL/dy0 and dL/dθ (and, for a shared θ, their sum), as
    /// <see cref="Gradient{TSystem}(in TSystem, ReadOnlySpan{double}, ReadOnlySpan{double}, double, ReadOnlySpan{double}, ReadOnlySpan{double}, Sensitivity?, SolverOptions?)"/>
    /// gives it for one trajectory.
    /// </summary>
    /// <param name="system">Lane-batched dynamics with VJPs.</param>
    /// <param name="batch">Initial states and parameters.</param>
    /// <param name="t0">Start time (finite).</param>
    /// <param name="times">
    /// Observation times, the same for every trajectory: strictly increasing after t0 (or strictly decreasing before
    /// it); times[0] may equal t0. A loss on the final states is <c>times = [t1]</c>.
    /// </param>
    /// <param name="dLdy">
    /// ∂L/∂y_j(times[i]) at [(j·times.Length + i)·StateCount + q]: N × times.Length × StateCount, trajectory-major
    /// (trajectory j's rows are its own single-trajectory dLdy), finite.
    /// </param>
    /// <param name="sensitivity">
    /// How to differentiate; null means what it means for one trajectory (<see cref="Sensitivity.InterpolatingAdjoint"/>).
    /// <see cref="Sensitivity.DiscreteAdjoint"/> runs in lane blocks: the exact gradient of the discrete solution the
    /// blocks compute, one backward sweep per block (with an adaptive method the lanes of a block share their steps, so
    /// per trajectory it is the single-trajectory discrete adjoint to the solver's tolerance; with a fixed step or
    /// <see cref="LaneWidth.Lane1"/>, to rounding; with <see cref="EnsembleOptions.PerLaneSteps"/> each lane steps on its own and
    /// every trajectory's gradient is the single-trajectory discrete adjoint's, bit for bit). <see cref="Sensitivity.Forward"/>, <see cref="Sensitivity.InterpolatingAdjoint"/>
    /// and <see cref="Sensitivity.BacksolveAdjoint"/> run trajectory by trajectory, in parallel, and give for each exactly
    /// what the single-trajectory call gives (stiff methods included).
    /// </param>
    /// <param name="options">
    /// Solver options for every pass. SaveAt only with the lane discrete adjoint and one observation time after t0 (it
    /// then fills <see cref="EnsembleSolution.SavedStates"/>); elsewhere the observation times are where the gradient saves.
    /// </param>
    /// <param name="ensemble">Lane width and threads (the per-trajectory sensitivities use the threads only).</param>
    /// <returns>The gradient rows, the states at the times, statuses and work; a trajectory that fails has NaN rows.</returns>
    /// <exception cref="ArgumentException">Sizes, times that are not monotone away from t0, non-finite values, or options the path does not support.</exception>
    /// <exception cref="NotSupportedException">
    /// SolverOptions.Events (lanes share their steps), or <see cref="DiscreteAdjointSensitivity.StepsPerCheckpoint"/> above 1
    /// (the lane blocks keep every step): the message names the sensitivities that work.
    /// </exception>
    public static EnsembleGradient Gradient<TSystem>(in TSystem system, EnsembleBatch batch, double t0, ReadOnlySpan<double> times,
        ReadOnlySpan<double> dLdy, Sensitivity? sensitivity = null, SolverOptions? options = null, EnsembleOptions? ensemble = null)
        where TSystem : struct, IOdeLaneSystem =>
        BatchGradient(system, batch, t0, times, dLdy, loss: null, sensitivity, options, ensemble);

    /// <summary>
    /// The ensemble gradient for a loss computed from the forward pass itself, as
    /// <see cref="LossGradient{TSystem}(in TSystem, ReadOnlySpan{double}, ReadOnlySpan{double}, double, ReadOnlySpan{double}, ObservationLoss, Sensitivity?, SolverOptions?)"/>
    /// is for one trajectory: once a trajectory's forward pass has its states at the times, <paramref name="loss"/> gets
    /// them and writes ∂L_j/∂y; the backward pass then uses it. The result carries the states, each L_j and their sum
    /// (<see cref="EnsembleGradient.Loss"/>). Arguments, sensitivities and exceptions as for
    /// <see cref="Gradient{TSystem}(in TSystem, EnsembleBatch, double, ReadOnlySpan{double}, ReadOnlySpan{double}, Sensitivity?, SolverOptions?, EnsembleOptions?)"/>.
    /// </summary>
    /// <param name="system">Lane-batched dynamics with VJPs.</param>
    /// <param name="batch">Initial states and parameters.</param>
    /// <param name="t0">Start time (finite).</param>
    /// <param name="times">Observation times shared by every trajectory.</param>
    /// <param name="loss">Each trajectory's loss and ∂L_j/∂y (may be called on several threads at once, see <see cref="EnsembleObservationLoss"/>).</param>
    /// <param name="sensitivity">How to differentiate (null: <see cref="Sensitivity.InterpolatingAdjoint"/>, as for one trajectory).</param>
    /// <param name="options">Solver options for every pass; no SaveAt.</param>
    /// <param name="ensemble">Lane width and threads.</param>
    public static EnsembleGradient LossGradient<TSystem>(in TSystem system, EnsembleBatch batch, double t0, ReadOnlySpan<double> times,
        EnsembleObservationLoss loss, Sensitivity? sensitivity = null, SolverOptions? options = null, EnsembleOptions? ensemble = null)
        where TSystem : struct, IOdeLaneSystem
    {
        ArgumentNullException.ThrowIfNull(loss);
        return BatchGradient(system, batch, t0, times, default, loss, sensitivity, options, ensemble);
    }

    // Chooses the path for the sensitivity: the lane blocks for the discrete adjoint, one trajectory at a time for the others.
    private static EnsembleGradient BatchGradient<TSystem>(in TSystem system, EnsembleBatch batch, double t0, ReadOnlySpan<double> times,
        ReadOnlySpan<double> dLdy, EnsembleObservationLoss? loss, Sensitivity? sensitivity, SolverOptions? options, EnsembleOptions? ensemble)
        where TSystem : struct, IOdeLaneSystem
    {
        sensitivity ??= Sensitivity.InterpolatingAdjoint();
        RejectEnsembleEvents(options);
        if (ensemble?.PerLaneSteps == true)
        {
            // Per-lane steps are Ode.Solve's own steps, trajectory by trajectory: the discrete adjoint that keeps every step
            // differentiates them in lanes; the others (the checkpointed discrete adjoint included) are the single-trajectory
            // gradients, which run along those same steps.
            if (sensitivity is DiscreteAdjointSensitivity { StepsPerCheckpoint: 1 })
                return PerLaneObservationGradient(system, batch, t0, times, dLdy, loss, options, ensemble);
            return PerTrajectoryGradient.Compute(system, batch, t0, times, dLdy, loss, sensitivity, options, ensemble);
        }
        if (sensitivity is not DiscreteAdjointSensitivity discrete)
            return PerTrajectoryGradient.Compute(system, batch, t0, times, dLdy, loss, sensitivity, options, ensemble);
        if (discrete.StepsPerCheckpoint != 1)
            throw new NotSupportedException(
                $"The lane discrete adjoint of an ensemble keeps every step, so {discrete.Name} is not supported: use Sensitivity.DiscreteAdjoint (every step kept), " +
                "or Sensitivity.InterpolatingAdjoint(...), Sensitivity.Forward or Sensitivity.BacksolveAdjoint, which run trajectory by trajectory.");
        // A loss on the final states alone: the driver that also honours SaveAt. It takes the same steps and reverses
        // them with the same seed as the observation driver with one time (a test holds the two to the same bits).
        if (loss is null && times.Length == 1 && options?.SaveAt is not null && double.IsFinite(t0) && double.IsFinite(times[0]) && times[0] != t0)
            return FinalStateGradient(system, batch.InitialStates, batch.Parameters, batch.SharesParameters, t0, times[0], dLdy, options, ensemble);
        return ObservationGradient(system, batch.InitialStates, batch.Parameters, batch.SharesParameters, t0, times, dLdy, loss, options, ensemble, legacy: false);
    }

    private static void RejectEnsembleEvents(SolverOptions? options)
    {
        if (options?.Events is { Count: > 0 })
            throw new NotSupportedException(
                $"Ensemble gradients do not locate events (SolverOptions.Events; the lanes share their steps): differentiate such trajectories one by one with Ode.Gradient and Sensitivity.InterpolatingAdjoint() or Sensitivity.Forward, which differentiate through events.");
    }

    // The lane discrete adjoint of a loss on the final states (the obsolete GradientEnsemble, Orleans's blocks): dLdyT is N × StateCount.
    internal static EnsembleGradient FinalStateGradient<TSystem>(in TSystem system, ReadOnlySpan<double> y0s, ReadOnlySpan<double> ps, bool shared,
        double t0, double t1, ReadOnlySpan<double> dLdyT, SolverOptions? options, EnsembleOptions? ensemble)
        where TSystem : struct, IOdeLaneSystem
    {
        if (options is not null) Sensitivity.RejectEvents(options, "The ensemble gradient (lanes share their steps)", anyEvent: true);
        using EnsembleProblem problem = CreateProblem(system, y0s, ps, shared, t0, t1, ref options, ref ensemble);
        double[] seed = CheckSeed(dLdyT, problem);
        return RunGradient(system, problem, ensemble!, seed);
    }

    /// <summary>
    /// <c>Ode.Solve(system, EnsembleBatch.Shared(y0s, p), t0, t1, options, ensemble)</c> on the calling thread through
    /// <paramref name="workspace"/>, which keeps the problem, the worker and the solution from its last call of the same
    /// shape: the same checks and the same bits, and after the first call nothing allocated (a model's lane ODE block).
    /// The result belongs to the workspace and is overwritten by its next call. Shared steps only (no PerLaneSteps).
    /// </summary>
    internal static EnsembleSolution SolveReusing<TSystem>(in TSystem system, LaneSolveWorkspace<TSystem> workspace,
        ReadOnlySpan<double> y0s, ReadOnlySpan<double> p, double t0, double t1, SolverOptions? options, EnsembleOptions ensemble)
        where TSystem : struct, IOdeLaneSystem
    {
        if (ensemble.PerLaneSteps)
            throw new ArgumentException("The reusing solve runs the shared-step lane blocks; per-lane steps go through Ode.Solve.", nameof(ensemble));
        EnsembleOptions? checkedEnsemble = ensemble;
        // Checked before: the same options object with the same arrays (SolverOptionsKey); its checks are not repeated.
        bool optionsChecked = workspace.CheckedOptions?.Matches(options) == true;
        int count = CheckProblem(system, y0s, p, shared: true, t0, t1, ref options, ref checkedEnsemble, optionsChecked);
        if (!optionsChecked) workspace.CheckedOptions = new SolverOptionsKey(options!);
        return workspace.Solve(system, y0s, p, shared: true, count, t0, t1, options!, ensemble);
    }

    private static EnsembleProblem CreateProblem<TSystem>(in TSystem system, ReadOnlySpan<double> y0s, ReadOnlySpan<double> ps, bool shared,
        double t0, double t1, ref SolverOptions? options, ref EnsembleOptions? ensemble)
        where TSystem : struct, IOdeLaneSystem
    {
        int count = CheckProblem(system, y0s, ps, shared, t0, t1, ref options, ref ensemble);
        return new EnsembleProblem(count, system.StateCount, system.ParameterCount, y0s, ps, shared, t0, t1, options!) { FusedSteps = ensemble!.FusedSteps, KeptBytes = ensemble.KeptBytes, ContinueAtObservations = ensemble.ContinueAtObservations };
    }

    // The checks of an ensemble call's inputs, on the calling thread; returns the number of trajectories. They allocate
    // nothing when they pass. optionsChecked: the options are an instance these checks have passed before, with the same
    // array contents (SolverOptionsKey), so ValidateEnsembleOptions is not run again (a workspace's repeated calls).
    private static int CheckProblem<TSystem>(in TSystem system, ReadOnlySpan<double> y0s, ReadOnlySpan<double> ps, bool shared,
        double t0, double t1, ref SolverOptions? options, ref EnsembleOptions? ensemble, bool optionsChecked = false)
        where TSystem : struct, IOdeLaneSystem
    {
        options ??= SolverOptions.Default;
        ensemble ??= EnsembleOptions.Default;
        ensemble.Validate();
        Guard.Sizes(system);
        int n = system.StateCount, m = system.ParameterCount;
        if (y0s.Length % n != 0)
            throw new ArgumentException(Format($"y0s must hold N rows of StateCount = {n} values (row-major N × {n}), but its length {y0s.Length} is not a multiple of {n}."), nameof(y0s));
        int count = y0s.Length / n;
        if (shared)
            Guard.FiniteVector(ps, m, "p", "ParameterCount");
        else if (ps.Length != count * m)
            throw new ArgumentException(Format($"ps must hold one row of ParameterCount = {m} values per trajectory (N × {m} = {count * m} for the {count} rows of y0s), but has length {ps.Length}."), "ps");
        Guard.Interval(t0, t1);
        if (!optionsChecked) ValidateEnsembleOptions<TSystem>(options);
        // Checked here, on the calling thread: inside the parallel loop it would surface as an AggregateException.
        // (A scalar AbsTol always fits; only a vector can have the wrong length.)
        if (options.AbsTolVector is not null) Solvers.StepControl.AbsoluteTolerances(options, n);
        if (options.SaveAt is { } saveAt) ValidateSaveAt(saveAt, t0, t1);
        return count;
    }

    private static void ValidateEnsembleOptions<TSystem>(SolverOptions options) where TSystem : struct, IOdeSystem
    {
        // A capability, not a bad argument: the same NotSupportedException, naming the methods that have it, as every verb gives.
        options.Method.Require(m => m.SupportsLanes, "An ensemble in SIMD lanes", "Solve each trajectory with Ode.Solve to use this method.");
        var tableau = options.Method.Tableau;
        if (!tableau.IsAdaptive && options.FixedStep is null)
            throw new ArgumentException($"{tableau.Name} has no error estimate: set SolverOptions.FixedStep.", nameof(options));
        if (options.FixedStep is { } fs && !(fs > 0 && double.IsFinite(fs)))
            throw new ArgumentException($"FixedStep must be positive and finite, not {fs}.", nameof(options));
        if (options.FixedStep > options.MaxStep)
            throw new ArgumentException($"FixedStep ({options.FixedStep}) exceeds MaxStep ({options.MaxStep}).", nameof(options));
        if (options.Events is { Count: > 0 })
            throw new ArgumentException("Ensembles do not locate events (the lanes share their steps); solve such trajectories with Ode.Solve.", nameof(options));
        if (options.Dense || options.SaveSteps)
            throw new ArgumentException("Ensembles save at given times only: use SaveAt instead of Dense or SaveSteps.", nameof(options));
        Solvers.StepControl.ValidateOptions(options);
    }

    private static double[] CheckSeed(ReadOnlySpan<double> dLdyT, EnsembleProblem problem)
    {
        int expected = problem.Count * problem.StateCount;
        if (dLdyT.Length != expected)
            throw new ArgumentException(Format($"dLdyT must have length N × StateCount = {expected}, but has length {dLdyT.Length}."), nameof(dLdyT));
        for (int i = 0; i < dLdyT.Length; i++)
            if (!double.IsFinite(dLdyT[i]))
                throw new ArgumentException(Format($"dLdyT[{i}] is {dLdyT[i]}; every entry must be finite."), nameof(dLdyT));
        return dLdyT.ToArray();
    }

    private static EnsembleSolution RunEnsemble<TSystem>(in TSystem system, EnsembleProblem problem, EnsembleOptions ensemble)
        where TSystem : struct, IOdeLaneSystem
    {
        var solution = CreateEnsembleSolution(problem, ensemble.ResolvedWidth);
        Solve(system, problem, ensemble, solution);
        return solution;
    }

    // keepWorkers: the solve into an earlier solution, which keeps its workers for the next such call (KeptEnsembleWorkers).
    private static void Solve<TSystem>(in TSystem system, EnsembleProblem problem, EnsembleOptions ensemble, EnsembleSolution solution,
        bool keepWorkers = false)
        where TSystem : struct, IOdeLaneSystem
    {
        if (ensemble.PerLaneSteps)
        {
            PerLaneEnsemble.Solve(system, problem, ensemble, solution);
            return;
        }
        switch (solution.Width)
        {
            case LaneWidth.Lane512: EnsembleRunner<TSystem, Lane512>.Solve(system, problem, ensemble, solution, keepWorkers); break;
            case LaneWidth.Lane256: EnsembleRunner<TSystem, Lane256>.Solve(system, problem, ensemble, solution, keepWorkers); break;
            case LaneWidth.Lane128: EnsembleRunner<TSystem, Lane128>.Solve(system, problem, ensemble, solution, keepWorkers); break;
            default: EnsembleRunner<TSystem, Lane1>.Solve(system, problem, ensemble, solution, keepWorkers); break;
        }
    }

    private static EnsembleGradient RunGradient<TSystem>(in TSystem system, EnsembleProblem problem, EnsembleOptions ensemble, double[] seed)
        where TSystem : struct, IOdeLaneSystem
    {
        LaneWidth width = ensemble.ResolvedWidth;
        var gradient = EnsembleGradient.ForFinalStates(CreateEnsembleSolution(problem, width), problem.ParameterCount, problem.SharedParameters, problem.T1, seed);
        switch (width)
        {
            case LaneWidth.Lane512: EnsembleRunner<TSystem, Lane512>.Gradient(system, problem, ensemble, gradient, seed); break;
            case LaneWidth.Lane256: EnsembleRunner<TSystem, Lane256>.Gradient(system, problem, ensemble, gradient, seed); break;
            case LaneWidth.Lane128: EnsembleRunner<TSystem, Lane128>.Gradient(system, problem, ensemble, gradient, seed); break;
            default: EnsembleRunner<TSystem, Lane1>.Gradient(system, problem, ensemble, gradient, seed); break;
        }
        gradient.CompleteFinalStates();
        return gradient;
    }

    private static EnsembleSolution CreateEnsembleSolution(EnsembleProblem problem, LaneWidth width) =>
        new(problem.Count, problem.StateCount, problem.Options.SaveAt, width, LanesPerBlock(problem, width));

    private static int LanesPerBlock(EnsembleProblem problem, LaneWidth width) =>
        EnsembleOptions.LaneCount(width) * EnsembleLayout.Registers(problem.Options);
}
