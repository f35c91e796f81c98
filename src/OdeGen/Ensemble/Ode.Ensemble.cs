using OdeGen.Ensemble;
using OdeGen.Lanes;

namespace OdeGen;

public static partial class Ode
{
    /// <summary>
    /// Solves N trajectories of the same dynamics, each from its own y0 with its own θ, several at once: blocks of
    /// <c>TLane.Count</c> trajectories, one per SIMD lane, sharing each step (docs/lanes.md, "Ensembles").
    /// </summary>
    /// <param name="system">Lane-batched dynamics (a generated system or any <see cref="IOdeLaneSystem"/> struct).</param>
    /// <param name="y0s">Initial states, row-major N × StateCount (N ≥ 0 follows from the length).</param>
    /// <param name="ps">Parameters, row-major N × ParameterCount.</param>
    /// <param name="t0">Start time (finite).</param>
    /// <param name="t1">End time (finite; t1 &lt; t0 integrates backwards).</param>
    /// <param name="options">An explicit Runge–Kutta method, fixed step or tolerances, SaveAt, limits.</param>
    /// <param name="ensemble">Lane width and threads; <see cref="EnsembleOptions.Default"/> when null.</param>
    /// <returns>Final and saved states, a status per trajectory, the work of each block.</returns>
    /// <exception cref="ArgumentException">Sizes, non-finite times, a stiff method, or options an ensemble does not support (Events, Dense, SaveSteps).</exception>
    /// <remarks>A trajectory whose own y0 or θ is not finite ends with <see cref="OdeStatus.NonFiniteValue"/> at t0; the others are solved.</remarks>
    public static EnsembleSolution SolveEnsemble<TSystem>(in TSystem system, ReadOnlySpan<double> y0s, ReadOnlySpan<double> ps,
        double t0, double t1, SolverOptions? options = null, EnsembleOptions? ensemble = null)
        where TSystem : struct, IOdeLaneSystem
    {
        using EnsembleProblem problem = CreateProblem(system, y0s, ps, shared: false, t0, t1, ref options, ref ensemble);
        return RunEnsemble(system, problem, ensemble!);
    }

    /// <summary>
    /// As <see cref="SolveEnsemble{TSystem}"/>, writing into <paramref name="destination"/> — the solution of an earlier call
    /// with the same number of trajectories and states, the same save times and the same width — instead of new arrays,
    /// so that solving again and again (a sweep inside a loop, a product's time step) allocates next to nothing.
    /// </summary>
    /// <param name="system">Lane-batched dynamics.</param>
    /// <param name="y0s">Initial states, row-major N × StateCount.</param>
    /// <param name="ps">Parameters, row-major N × ParameterCount.</param>
    /// <param name="t0">Start time (finite).</param>
    /// <param name="t1">End time (finite).</param>
    /// <param name="destination">Overwritten: every row, status and statistic.</param>
    /// <param name="options">As for <see cref="SolveEnsemble{TSystem}"/>.</param>
    /// <param name="ensemble">Lane width and threads.</param>
    /// <exception cref="ArgumentException">As for <see cref="SolveEnsemble{TSystem}"/>, or a destination of another shape.</exception>
    public static void SolveEnsembleInto<TSystem>(in TSystem system, ReadOnlySpan<double> y0s, ReadOnlySpan<double> ps,
        double t0, double t1, EnsembleSolution destination, SolverOptions? options = null, EnsembleOptions? ensemble = null)
        where TSystem : struct, IOdeLaneSystem
    {
        ArgumentNullException.ThrowIfNull(destination);
        using EnsembleProblem problem = CreateProblem(system, y0s, ps, shared: false, t0, t1, ref options, ref ensemble);
        LaneWidth width = ensemble!.ResolvedWidth;
        destination.Reuse(problem.Count, problem.StateCount, problem.Options.SaveAt, width, LanesPerBlock(problem, width));
        Solve(system, problem, ensemble, destination);
    }

    /// <summary>
    /// As <see cref="SolveEnsemble{TSystem}"/> with one θ for every trajectory (a minibatch through one model).
    /// </summary>
    /// <param name="system">Lane-batched dynamics.</param>
    /// <param name="y0s">Initial states, row-major N × StateCount.</param>
    /// <param name="p">The shared parameters, length ParameterCount, finite.</param>
    /// <param name="t0">Start time (finite).</param>
    /// <param name="t1">End time (finite).</param>
    /// <param name="options">An explicit Runge–Kutta method, fixed step or tolerances, SaveAt, limits.</param>
    /// <param name="ensemble">Lane width and threads.</param>
    public static EnsembleSolution SolveEnsembleShared<TSystem>(in TSystem system, ReadOnlySpan<double> y0s, ReadOnlySpan<double> p,
        double t0, double t1, SolverOptions? options = null, EnsembleOptions? ensemble = null)
        where TSystem : struct, IOdeLaneSystem
    {
        using EnsembleProblem problem = CreateProblem(system, y0s, p, shared: true, t0, t1, ref options, ref ensemble);
        return RunEnsemble(system, problem, ensemble!);
    }

    /// <summary>
    /// For a loss L = Σ_i L_i(y_i(t1)) on the final states: each trajectory's dL/dy0 and dL/dθ, the exact gradient of
    /// the discrete solution (the discrete adjoint of the lane steps the forward pass took, from its recorded states).
    /// </summary>
    /// <param name="system">Lane-batched dynamics with VJPs.</param>
    /// <param name="y0s">Initial states, row-major N × StateCount.</param>
    /// <param name="ps">Parameters, row-major N × ParameterCount.</param>
    /// <param name="t0">Start time (finite).</param>
    /// <param name="t1">End time (finite).</param>
    /// <param name="dLdyT">∂L/∂y(t1), row-major N × StateCount, finite.</param>
    /// <param name="options">As for <see cref="SolveEnsemble{TSystem}"/> (SaveAt is allowed; the loss is on the final states only).</param>
    /// <param name="ensemble">Lane width and threads.</param>
    public static EnsembleGradient GradientEnsemble<TSystem>(in TSystem system, ReadOnlySpan<double> y0s, ReadOnlySpan<double> ps,
        double t0, double t1, ReadOnlySpan<double> dLdyT, SolverOptions? options = null, EnsembleOptions? ensemble = null)
        where TSystem : struct, IOdeLaneSystem
    {
        if (options is not null) Sensitivity.RejectEvents(options, "The ensemble gradient (lanes share their steps)", anyEvent: true);
        using EnsembleProblem problem = CreateProblem(system, y0s, ps, shared: false, t0, t1, ref options, ref ensemble);
        double[] seed = CheckSeed(dLdyT, problem);
        return RunGradient(system, problem, ensemble!, seed);
    }

    /// <summary>
    /// As <see cref="GradientEnsemble{TSystem}"/> with one θ for every trajectory: also the parameter gradient summed
    /// over the minibatch (<see cref="EnsembleGradient.SharedParameters"/>), independent of the thread count.
    /// </summary>
    /// <param name="system">Lane-batched dynamics with VJPs.</param>
    /// <param name="y0s">Initial states, row-major N × StateCount.</param>
    /// <param name="p">The shared parameters, length ParameterCount, finite.</param>
    /// <param name="t0">Start time (finite).</param>
    /// <param name="t1">End time (finite).</param>
    /// <param name="dLdyT">∂L/∂y(t1), row-major N × StateCount, finite.</param>
    /// <param name="options">As for <see cref="SolveEnsemble{TSystem}"/>.</param>
    /// <param name="ensemble">Lane width and threads.</param>
    public static EnsembleGradient GradientEnsembleShared<TSystem>(in TSystem system, ReadOnlySpan<double> y0s, ReadOnlySpan<double> p,
        double t0, double t1, ReadOnlySpan<double> dLdyT, SolverOptions? options = null, EnsembleOptions? ensemble = null)
        where TSystem : struct, IOdeLaneSystem
    {
        if (options is not null) Sensitivity.RejectEvents(options, "The ensemble gradient (lanes share their steps)", anyEvent: true);
        using EnsembleProblem problem = CreateProblem(system, y0s, p, shared: true, t0, t1, ref options, ref ensemble);
        double[] seed = CheckSeed(dLdyT, problem);
        return RunGradient(system, problem, ensemble!, seed);
    }

    private static EnsembleProblem CreateProblem<TSystem>(in TSystem system, ReadOnlySpan<double> y0s, ReadOnlySpan<double> ps, bool shared,
        double t0, double t1, ref SolverOptions? options, ref EnsembleOptions? ensemble)
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
        ValidateEnsembleOptions<TSystem>(options);
        // Checked here, on the calling thread: inside the parallel loop it would surface as an AggregateException.
        Solvers.StepControl.AbsoluteTolerances(options, n);
        if (options.SaveAt is { } saveAt) ValidateSaveAt(saveAt, t0, t1);
        return new EnsembleProblem(count, n, m, y0s, ps, shared, t0, t1, options) { FusedSteps = ensemble.FusedSteps };
    }

    private static void ValidateEnsembleOptions<TSystem>(SolverOptions options) where TSystem : struct, IOdeSystem
    {
        if (!options.Method.SupportsLanes)
            throw new ArgumentException($"Ensembles step methods that support lanes (OdeMethod.SupportsLanes: {string.Join(", ", OdeMethod.All.Where(m => m.SupportsLanes))}); " +
                $"{options.Method.Name} does not (solve its trajectories with Ode.Solve).", nameof(options));
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

    private static void Solve<TSystem>(in TSystem system, EnsembleProblem problem, EnsembleOptions ensemble, EnsembleSolution solution)
        where TSystem : struct, IOdeLaneSystem
    {
        switch (solution.Width)
        {
            case LaneWidth.Lane512: EnsembleRunner<TSystem, Lane512>.Solve(system, problem, ensemble, solution); break;
            case LaneWidth.Lane256: EnsembleRunner<TSystem, Lane256>.Solve(system, problem, ensemble, solution); break;
            case LaneWidth.Lane128: EnsembleRunner<TSystem, Lane128>.Solve(system, problem, ensemble, solution); break;
            default: EnsembleRunner<TSystem, Lane1>.Solve(system, problem, ensemble, solution); break;
        }
    }

    private static EnsembleGradient RunGradient<TSystem>(in TSystem system, EnsembleProblem problem, EnsembleOptions ensemble, double[] seed)
        where TSystem : struct, IOdeLaneSystem
    {
        LaneWidth width = ensemble.ResolvedWidth;
        var gradient = new EnsembleGradient(CreateEnsembleSolution(problem, width), problem.ParameterCount, problem.SharedParameters);
        switch (width)
        {
            case LaneWidth.Lane512: EnsembleRunner<TSystem, Lane512>.Gradient(system, problem, ensemble, gradient, seed); break;
            case LaneWidth.Lane256: EnsembleRunner<TSystem, Lane256>.Gradient(system, problem, ensemble, gradient, seed); break;
            case LaneWidth.Lane128: EnsembleRunner<TSystem, Lane128>.Gradient(system, problem, ensemble, gradient, seed); break;
            default: EnsembleRunner<TSystem, Lane1>.Gradient(system, problem, ensemble, gradient, seed); break;
        }
        return gradient;
    }

    private static EnsembleSolution CreateEnsembleSolution(EnsembleProblem problem, LaneWidth width) =>
        new(problem.Count, problem.StateCount, problem.Options.SaveAt, width, LanesPerBlock(problem, width));

    private static int LanesPerBlock(EnsembleProblem problem, LaneWidth width) =>
        EnsembleOptions.LaneCount(width) * EnsembleLayout.Registers(problem.Options);
}
