using OdeGen.Ensemble;
using OdeGen.Lanes;

namespace OdeGen;

public static partial class Ode
{
    /// <summary>
    /// For a loss on the states at several observation times shared by all trajectories, L = Σ_j L_j(y_j(times[0]), …),
    /// each trajectory's dL/dy0 and dL/dθ: the discrete adjoint of the lane steps. The forward pass of each block stops
    /// at every observation time and restarts there (as the scalar <see cref="Sensitivity.DiscreteAdjoint"/> does); the
    /// backward pass adds each time's ∂L/∂y on its way back (docs/lanes.md, "Gradients at observation times").
    /// </summary>
    /// <param name="system">Lane-batched dynamics with VJPs.</param>
    /// <param name="y0s">Initial states, row-major N × StateCount.</param>
    /// <param name="ps">Parameters, row-major N × ParameterCount.</param>
    /// <param name="t0">Start time (finite).</param>
    /// <param name="times">
    /// Observation times, the same for every trajectory: strictly increasing after t0 (or strictly decreasing before
    /// it); times[0] may equal t0. As for <see cref="Gradient{TSystem}"/>.
    /// </param>
    /// <param name="dLdy">
    /// ∂L/∂y_j(times[i]) at [(j·times.Length + i)·StateCount + q]: N × times.Length × StateCount, trajectory-major
    /// (trajectory j's block is its own <see cref="Gradient{TSystem}"/> dLdy), finite.
    /// </param>
    /// <param name="options">An explicit Runge–Kutta method, fixed step or tolerances, limits (MaxSteps per interval, as the scalar forward pass); no SaveAt.</param>
    /// <param name="ensemble">Lane width and threads.</param>
    /// <exception cref="ArgumentException">Sizes, times that are not monotone away from t0, non-finite values, SaveAt, or options an ensemble does not support.</exception>
    public static EnsembleObservationGradient GradientEnsembleAtTimes<TSystem>(in TSystem system, ReadOnlySpan<double> y0s, ReadOnlySpan<double> ps,
        double t0, ReadOnlySpan<double> times, ReadOnlySpan<double> dLdy, SolverOptions? options = null, EnsembleOptions? ensemble = null)
        where TSystem : struct, IOdeLaneSystem =>
        ObservationGradient(system, y0s, ps, shared: false, t0, times, dLdy, loss: null, options, ensemble);

    /// <summary>
    /// As <see cref="GradientEnsembleAtTimes{TSystem}"/>
    /// with one θ for every trajectory (a minibatch through one model, one sample per lane): also the parameter
    /// gradient summed over the trajectories (<see cref="EnsembleObservationGradient.SharedParameters"/>), summed without
    /// atomics or shared writes and independent of the thread count.
    /// </summary>
    /// <param name="system">Lane-batched dynamics with VJPs.</param>
    /// <param name="y0s">Initial states, row-major N × StateCount.</param>
    /// <param name="p">The shared parameters, length ParameterCount, finite.</param>
    /// <param name="t0">Start time (finite).</param>
    /// <param name="times">Observation times shared by every trajectory.</param>
    /// <param name="dLdy">∂L/∂y, N × times.Length × StateCount, trajectory-major.</param>
    /// <param name="options">As for GradientEnsembleAtTimes.</param>
    /// <param name="ensemble">Lane width and threads.</param>
    /// <exception cref="ArgumentException">As for GradientEnsembleAtTimes.</exception>
    public static EnsembleObservationGradient GradientEnsembleSharedAtTimes<TSystem>(in TSystem system, ReadOnlySpan<double> y0s, ReadOnlySpan<double> p,
        double t0, ReadOnlySpan<double> times, ReadOnlySpan<double> dLdy, SolverOptions? options = null, EnsembleOptions? ensemble = null)
        where TSystem : struct, IOdeLaneSystem =>
        ObservationGradient(system, y0s, p, shared: true, t0, times, dLdy, loss: null, options, ensemble);

    /// <summary>
    /// The ensemble gradient for a loss computed from the forward pass itself, as <see cref="LossGradient{TSystem}"/> is
    /// for one trajectory: once a block has the states at the times, <paramref name="loss"/> gets each of its
    /// trajectories' states and writes ∂L_j/∂y; the block's backward pass then uses them. One forward pass serves loss
    /// and gradient. The result carries the states, each L_j and their sum (<see cref="EnsembleObservationGradient.Loss"/>).
    /// </summary>
    /// <param name="system">Lane-batched dynamics with VJPs.</param>
    /// <param name="y0s">Initial states, row-major N × StateCount.</param>
    /// <param name="ps">Parameters, row-major N × ParameterCount.</param>
    /// <param name="t0">Start time (finite).</param>
    /// <param name="times">Observation times shared by every trajectory.</param>
    /// <param name="loss">Each trajectory's loss and ∂L_j/∂y (may be called on several threads at once, see <see cref="EnsembleObservationLoss"/>).</param>
    /// <param name="options">As for GradientEnsembleAtTimes.</param>
    /// <param name="ensemble">Lane width and threads.</param>
    /// <exception cref="ArgumentException">As for GradientEnsembleAtTimes; <paramref name="loss"/> null.</exception>
    public static EnsembleObservationGradient LossGradientEnsemble<TSystem>(in TSystem system, ReadOnlySpan<double> y0s, ReadOnlySpan<double> ps,
        double t0, ReadOnlySpan<double> times, EnsembleObservationLoss loss, SolverOptions? options = null, EnsembleOptions? ensemble = null)
        where TSystem : struct, IOdeLaneSystem
    {
        ArgumentNullException.ThrowIfNull(loss);
        return ObservationGradient(system, y0s, ps, shared: false, t0, times, default, loss, options, ensemble);
    }

    /// <summary>
    /// As <see cref="LossGradientEnsemble{TSystem}"/> with one θ for every trajectory: a minibatch's loss and its summed
    /// parameter gradient (<see cref="EnsembleObservationGradient.SharedParameters"/>) from one forward pass.
    /// </summary>
    /// <param name="system">Lane-batched dynamics with VJPs.</param>
    /// <param name="y0s">Initial states, row-major N × StateCount.</param>
    /// <param name="p">The shared parameters, length ParameterCount, finite.</param>
    /// <param name="t0">Start time (finite).</param>
    /// <param name="times">Observation times shared by every trajectory.</param>
    /// <param name="loss">Each trajectory's loss and ∂L_j/∂y.</param>
    /// <param name="options">As for GradientEnsembleAtTimes.</param>
    /// <param name="ensemble">Lane width and threads.</param>
    /// <exception cref="ArgumentException">As for GradientEnsembleAtTimes; <paramref name="loss"/> null.</exception>
    public static EnsembleObservationGradient LossGradientEnsembleShared<TSystem>(in TSystem system, ReadOnlySpan<double> y0s, ReadOnlySpan<double> p,
        double t0, ReadOnlySpan<double> times, EnsembleObservationLoss loss, SolverOptions? options = null, EnsembleOptions? ensemble = null)
        where TSystem : struct, IOdeLaneSystem
    {
        ArgumentNullException.ThrowIfNull(loss);
        return ObservationGradient(system, y0s, p, shared: true, t0, times, default, loss, options, ensemble);
    }

    private static EnsembleObservationGradient ObservationGradient<TSystem>(in TSystem system, ReadOnlySpan<double> y0s, ReadOnlySpan<double> ps,
        bool shared, double t0, ReadOnlySpan<double> times, ReadOnlySpan<double> dLdy, EnsembleObservationLoss? loss,
        SolverOptions? options, EnsembleOptions? ensemble)
        where TSystem : struct, IOdeLaneSystem
    {
        if (options is not null) Sensitivity.RejectEvents(options, "The ensemble gradient (lanes share their steps)", anyEvent: true);
        Guard.FiniteTime(t0, nameof(t0));
        ObservationTimes.Check(t0, times, nameof(times));
        if (options?.SaveAt is not null)
            throw new ArgumentException("The observation times are where this gradient saves (EnsembleObservationGradient.States): leave SaveAt null.", nameof(options));
        using EnsembleProblem problem = CreateProblem(system, y0s, ps, shared, t0, times[^1], ref options, ref ensemble);
        double[] timesCopy = times.ToArray();
        LaneWidth width = ensemble!.ResolvedWidth;
        var output = new EnsembleObservationGradient(CreateEnsembleSolution(problem, width), timesCopy, problem.ParameterCount, shared, loss is not null);
        if (loss is null)
        {
            int expected = problem.Count * times.Length * problem.StateCount;
            if (dLdy.Length != expected)
                throw new ArgumentException(Format($"dLdy must have length N × times.Length × StateCount = {problem.Count} × {times.Length} × {problem.StateCount} = {expected} (trajectory-major), but has length {dLdy.Length}."), nameof(dLdy));
            for (int i = 0; i < dLdy.Length; i++)
                if (!double.IsFinite(dLdy[i]))
                    throw new ArgumentException(Format($"dLdy[{i}] is {dLdy[i]}; every entry must be finite."), nameof(dLdy));
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
}
