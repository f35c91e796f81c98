using System.ComponentModel;

namespace OdeGen;

// The ensemble names of the previous release, {Solve, Gradient, LossGradient} × {·, Shared} × {·, AtTimes, Into}: each
// forwards to what the new verbs run and returns what it returned, bit for bit (EnsembleForwarderTests). Removed in
// the next release.
public static partial class Ode
{
    /// <summary>Obsolete: <c>Ode.Solve(system, new EnsembleBatch(y0s, ps), t0, t1, options, ensemble)</c>.</summary>
    /// <param name="system">Lane-batched dynamics.</param>
    /// <param name="y0s">Initial states, row-major N × StateCount.</param>
    /// <param name="ps">Parameters, row-major N × ParameterCount.</param>
    /// <param name="t0">Start time.</param>
    /// <param name="t1">End time.</param>
    /// <param name="options">Solver options.</param>
    /// <param name="ensemble">Lane width and threads.</param>
    [Obsolete("Use Ode.Solve(system, new EnsembleBatch(y0s, ps), t0, t1, options, ensemble). This name will be removed in the next release.")]
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static EnsembleSolution SolveEnsemble<TSystem>(in TSystem system, ReadOnlySpan<double> y0s, ReadOnlySpan<double> ps,
        double t0, double t1, SolverOptions? options = null, EnsembleOptions? ensemble = null)
        where TSystem : struct, IOdeLaneSystem =>
        Solve(system, new EnsembleBatch(y0s, ps), t0, t1, options, ensemble);

    /// <summary>Obsolete: <c>Ode.Solve(system, new EnsembleBatch(y0s, ps), t0, t1, destination, options, ensemble)</c>.</summary>
    /// <param name="system">Lane-batched dynamics.</param>
    /// <param name="y0s">Initial states, row-major N × StateCount.</param>
    /// <param name="ps">Parameters, row-major N × ParameterCount.</param>
    /// <param name="t0">Start time.</param>
    /// <param name="t1">End time.</param>
    /// <param name="destination">Overwritten.</param>
    /// <param name="options">Solver options.</param>
    /// <param name="ensemble">Lane width and threads.</param>
    [Obsolete("Use Ode.Solve(system, new EnsembleBatch(y0s, ps), t0, t1, destination, options, ensemble). This name will be removed in the next release.")]
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void SolveEnsembleInto<TSystem>(in TSystem system, ReadOnlySpan<double> y0s, ReadOnlySpan<double> ps,
        double t0, double t1, EnsembleSolution destination, SolverOptions? options = null, EnsembleOptions? ensemble = null)
        where TSystem : struct, IOdeLaneSystem =>
        Solve(system, new EnsembleBatch(y0s, ps), t0, t1, destination, options, ensemble);

    /// <summary>Obsolete: <c>Ode.Solve(system, EnsembleBatch.Shared(y0s, p), t0, t1, options, ensemble)</c>.</summary>
    /// <param name="system">Lane-batched dynamics.</param>
    /// <param name="y0s">Initial states, row-major N × StateCount.</param>
    /// <param name="p">The shared parameters.</param>
    /// <param name="t0">Start time.</param>
    /// <param name="t1">End time.</param>
    /// <param name="options">Solver options.</param>
    /// <param name="ensemble">Lane width and threads.</param>
    [Obsolete("Use Ode.Solve(system, EnsembleBatch.Shared(y0s, p), t0, t1, options, ensemble). This name will be removed in the next release.")]
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static EnsembleSolution SolveEnsembleShared<TSystem>(in TSystem system, ReadOnlySpan<double> y0s, ReadOnlySpan<double> p,
        double t0, double t1, SolverOptions? options = null, EnsembleOptions? ensemble = null)
        where TSystem : struct, IOdeLaneSystem =>
        Solve(system, EnsembleBatch.Shared(y0s, p), t0, t1, options, ensemble);

    /// <summary>Obsolete: <c>Ode.Gradient(system, new EnsembleBatch(y0s, ps), t0, [t1], dLdyT, Sensitivity.DiscreteAdjoint, options, ensemble)</c>.</summary>
    /// <param name="system">Lane-batched dynamics with VJPs.</param>
    /// <param name="y0s">Initial states, row-major N × StateCount.</param>
    /// <param name="ps">Parameters, row-major N × ParameterCount.</param>
    /// <param name="t0">Start time.</param>
    /// <param name="t1">End time.</param>
    /// <param name="dLdyT">∂L/∂y(t1), row-major N × StateCount.</param>
    /// <param name="options">Solver options (SaveAt allowed).</param>
    /// <param name="ensemble">Lane width and threads.</param>
    [Obsolete("Use Ode.Gradient(system, new EnsembleBatch(y0s, ps), t0, [t1], dLdyT, Sensitivity.DiscreteAdjoint, options, ensemble). This name will be removed in the next release.")]
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static EnsembleGradient GradientEnsemble<TSystem>(in TSystem system, ReadOnlySpan<double> y0s, ReadOnlySpan<double> ps,
        double t0, double t1, ReadOnlySpan<double> dLdyT, SolverOptions? options = null, EnsembleOptions? ensemble = null)
        where TSystem : struct, IOdeLaneSystem =>
        FinalStateGradient(system, y0s, ps, shared: false, t0, t1, dLdyT, options, ensemble);

    /// <summary>Obsolete: <c>Ode.Gradient(system, EnsembleBatch.Shared(y0s, p), t0, [t1], dLdyT, Sensitivity.DiscreteAdjoint, options, ensemble)</c>.</summary>
    /// <param name="system">Lane-batched dynamics with VJPs.</param>
    /// <param name="y0s">Initial states, row-major N × StateCount.</param>
    /// <param name="p">The shared parameters.</param>
    /// <param name="t0">Start time.</param>
    /// <param name="t1">End time.</param>
    /// <param name="dLdyT">∂L/∂y(t1), row-major N × StateCount.</param>
    /// <param name="options">Solver options (SaveAt allowed).</param>
    /// <param name="ensemble">Lane width and threads.</param>
    [Obsolete("Use Ode.Gradient(system, EnsembleBatch.Shared(y0s, p), t0, [t1], dLdyT, Sensitivity.DiscreteAdjoint, options, ensemble). This name will be removed in the next release.")]
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static EnsembleGradient GradientEnsembleShared<TSystem>(in TSystem system, ReadOnlySpan<double> y0s, ReadOnlySpan<double> p,
        double t0, double t1, ReadOnlySpan<double> dLdyT, SolverOptions? options = null, EnsembleOptions? ensemble = null)
        where TSystem : struct, IOdeLaneSystem =>
        FinalStateGradient(system, y0s, p, shared: true, t0, t1, dLdyT, options, ensemble);

    /// <summary>Obsolete: <c>Ode.Gradient(system, new EnsembleBatch(y0s, ps), t0, times, dLdy, Sensitivity.DiscreteAdjoint, options, ensemble)</c>.</summary>
    /// <param name="system">Lane-batched dynamics with VJPs.</param>
    /// <param name="y0s">Initial states, row-major N × StateCount.</param>
    /// <param name="ps">Parameters, row-major N × ParameterCount.</param>
    /// <param name="t0">Start time.</param>
    /// <param name="times">Observation times shared by every trajectory.</param>
    /// <param name="dLdy">∂L/∂y, N × times.Length × StateCount, trajectory-major.</param>
    /// <param name="options">Solver options (no SaveAt).</param>
    /// <param name="ensemble">Lane width and threads.</param>
    [Obsolete("Use Ode.Gradient(system, new EnsembleBatch(y0s, ps), t0, times, dLdy, Sensitivity.DiscreteAdjoint, options, ensemble). This name will be removed in the next release.")]
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static EnsembleObservationGradient GradientEnsembleAtTimes<TSystem>(in TSystem system, ReadOnlySpan<double> y0s, ReadOnlySpan<double> ps,
        double t0, ReadOnlySpan<double> times, ReadOnlySpan<double> dLdy, SolverOptions? options = null, EnsembleOptions? ensemble = null)
        where TSystem : struct, IOdeLaneSystem =>
        (EnsembleObservationGradient)ObservationGradient(system, y0s, ps, shared: false, t0, times, dLdy, loss: null, options, ensemble, legacy: true);

    /// <summary>Obsolete: <c>Ode.Gradient(system, EnsembleBatch.Shared(y0s, p), t0, times, dLdy, Sensitivity.DiscreteAdjoint, options, ensemble)</c>.</summary>
    /// <param name="system">Lane-batched dynamics with VJPs.</param>
    /// <param name="y0s">Initial states, row-major N × StateCount.</param>
    /// <param name="p">The shared parameters.</param>
    /// <param name="t0">Start time.</param>
    /// <param name="times">Observation times shared by every trajectory.</param>
    /// <param name="dLdy">∂L/∂y, N × times.Length × StateCount, trajectory-major.</param>
    /// <param name="options">Solver options (no SaveAt).</param>
    /// <param name="ensemble">Lane width and threads.</param>
    [Obsolete("Use Ode.Gradient(system, EnsembleBatch.Shared(y0s, p), t0, times, dLdy, Sensitivity.DiscreteAdjoint, options, ensemble). This name will be removed in the next release.")]
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static EnsembleObservationGradient GradientEnsembleSharedAtTimes<TSystem>(in TSystem system, ReadOnlySpan<double> y0s, ReadOnlySpan<double> p,
        double t0, ReadOnlySpan<double> times, ReadOnlySpan<double> dLdy, SolverOptions? options = null, EnsembleOptions? ensemble = null)
        where TSystem : struct, IOdeLaneSystem =>
        (EnsembleObservationGradient)ObservationGradient(system, y0s, p, shared: true, t0, times, dLdy, loss: null, options, ensemble, legacy: true);

    /// <summary>Obsolete: <c>Ode.LossGradient(system, new EnsembleBatch(y0s, ps), t0, times, loss, Sensitivity.DiscreteAdjoint, options, ensemble)</c>.</summary>
    /// <param name="system">Lane-batched dynamics with VJPs.</param>
    /// <param name="y0s">Initial states, row-major N × StateCount.</param>
    /// <param name="ps">Parameters, row-major N × ParameterCount.</param>
    /// <param name="t0">Start time.</param>
    /// <param name="times">Observation times shared by every trajectory.</param>
    /// <param name="loss">Each trajectory's loss and ∂L_j/∂y.</param>
    /// <param name="options">Solver options (no SaveAt).</param>
    /// <param name="ensemble">Lane width and threads.</param>
    [Obsolete("Use Ode.LossGradient(system, new EnsembleBatch(y0s, ps), t0, times, loss, Sensitivity.DiscreteAdjoint, options, ensemble). This name will be removed in the next release.")]
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static EnsembleObservationGradient LossGradientEnsemble<TSystem>(in TSystem system, ReadOnlySpan<double> y0s, ReadOnlySpan<double> ps,
        double t0, ReadOnlySpan<double> times, EnsembleObservationLoss loss, SolverOptions? options = null, EnsembleOptions? ensemble = null)
        where TSystem : struct, IOdeLaneSystem
    {
        ArgumentNullException.ThrowIfNull(loss);
        return (EnsembleObservationGradient)ObservationGradient(system, y0s, ps, shared: false, t0, times, default, loss, options, ensemble, legacy: true);
    }

    /// <summary>Obsolete: <c>Ode.LossGradient(system, EnsembleBatch.Shared(y0s, p), t0, times, loss, Sensitivity.DiscreteAdjoint, options, ensemble)</c>.</summary>
    /// <param name="system">Lane-batched dynamics with VJPs.</param>
    /// <param name="y0s">Initial states, row-major N × StateCount.</param>
    /// <param name="p">The shared parameters.</param>
    /// <param name="t0">Start time.</param>
    /// <param name="times">Observation times shared by every trajectory.</param>
    /// <param name="loss">Each trajectory's loss and ∂L_j/∂y.</param>
    /// <param name="options">Solver options (no SaveAt).</param>
    /// <param name="ensemble">Lane width and threads.</param>
    [Obsolete("Use Ode.LossGradient(system, EnsembleBatch.Shared(y0s, p), t0, times, loss, Sensitivity.DiscreteAdjoint, options, ensemble). This name will be removed in the next release.")]
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static EnsembleObservationGradient LossGradientEnsembleShared<TSystem>(in TSystem system, ReadOnlySpan<double> y0s, ReadOnlySpan<double> p,
        double t0, ReadOnlySpan<double> times, EnsembleObservationLoss loss, SolverOptions? options = null, EnsembleOptions? ensemble = null)
        where TSystem : struct, IOdeLaneSystem
    {
        ArgumentNullException.ThrowIfNull(loss);
        return (EnsembleObservationGradient)ObservationGradient(system, y0s, p, shared: true, t0, times, default, loss, options, ensemble, legacy: true);
    }
}
