using System.Globalization;
using OdeGen.Solvers;

namespace OdeGen;

/// <summary>
/// The runtime's entry points: solve an ODE, and (in the sensitivity files of this class) differentiate
/// its solution. Generic over the system so the JIT specializes and inlines the dynamics.
/// </summary>
public static partial class Ode
{
    /// <summary>
    /// Solves dy/dt = f(t, y, p) from (t0, y0) to t1 (t1 &lt; t0 integrates backwards).
    /// Failures (non-finite values, step-size underflow, exhausted step budget) are reported in
    /// <see cref="OdeSolution.Status"/>; call <see cref="OdeSolution.EnsureSuccess"/> to throw instead.
    /// </summary>
    /// <param name="system">The dynamics (a generated <c>{Method}System</c> or any <see cref="IOdeSystem"/> struct).</param>
    /// <param name="y0">Initial state, length <see cref="IOdeSystem.StateCount"/>, finite.</param>
    /// <param name="p">Parameters, length <see cref="IOdeSystem.ParameterCount"/>, finite (copied).</param>
    /// <param name="t0">Start time (finite).</param>
    /// <param name="t1">End time (finite).</param>
    /// <param name="options">Method, tolerances and what to save; <see cref="SolverOptions.Default"/> when null.</param>
    /// <exception cref="ArgumentException">A size, a non-finite value, or SaveAt times outside [t0, t1] or out of order.</exception>
    public static OdeSolution Solve<TSystem>(in TSystem system, ReadOnlySpan<double> y0, ReadOnlySpan<double> p,
        double t0, double t1, SolverOptions? options = null)
        where TSystem : struct, IOdeSystem
    {
        Guard.StateAndParameters(system, y0, p);
        options ??= SolverOptions.Default;
        var field = new SystemField<TSystem>(system, p.ToArray());
        // Stiff methods get the system's own Jacobian (IOdeSystem.Jacobian) and ∂f/∂t (IOdeSystem.Jvp with tDot = 1).
        if (options.Method.IsStiff) return SolveStiff(field, y0, t0, t1, options);
        return SolveCore(field, y0, t0, t1, options);
    }

    /// <summary>
    /// Solves dy/dt = F(t, y) for a vector field with no separate parameters (augmented systems, hand-written
    /// fields). Same behaviour as the <see cref="IOdeSystem"/> overload. Stiff methods use a finite-difference
    /// Jacobian (<see cref="FiniteDifferenceJacobianField{TField}"/>); a field that has its own derivatives
    /// (<see cref="IJacobianField"/>) can be solved with them by <see cref="SolveWithJacobian"/>.
    /// </summary>
    /// <param name="field">The vector field.</param>
    /// <param name="y0">Initial state, length <see cref="IVectorField.Dimension"/>, finite.</param>
    /// <param name="t0">Start time (finite).</param>
    /// <param name="t1">End time (finite).</param>
    /// <param name="options">Method, tolerances and what to save; <see cref="SolverOptions.Default"/> when null.</param>
    public static OdeSolution Solve<TField>(in TField field, ReadOnlySpan<double> y0, double t0, double t1, SolverOptions? options = null)
        where TField : struct, IVectorField
    {
        Guard.FiniteVector(y0, field.Dimension, "y0", "Dimension");
        options ??= SolverOptions.Default;
        if (options.Method.IsStiff) return SolveStiff(new FiniteDifferenceJacobianField<TField>(field), y0, t0, t1, options);
        return SolveCore(field, y0, t0, t1, options);
    }

    /// <summary>
    /// Solves dy/dt = F(t, y) for a field that supplies ∂F/∂y and ∂F/∂t; stiff methods use them, explicit methods
    /// ignore them. Same behaviour as the other overloads.
    /// </summary>
    /// <param name="field">The vector field and its derivatives.</param>
    /// <param name="y0">Initial state, length <see cref="IVectorField.Dimension"/>, finite.</param>
    /// <param name="t0">Start time (finite).</param>
    /// <param name="t1">End time (finite).</param>
    /// <param name="options">Method, tolerances and what to save; <see cref="SolverOptions.Default"/> when null.</param>
    public static OdeSolution SolveWithJacobian<TField>(in TField field, ReadOnlySpan<double> y0, double t0, double t1, SolverOptions? options = null)
        where TField : struct, IJacobianField
    {
        Guard.FiniteVector(y0, field.Dimension, "y0", "Dimension");
        options ??= SolverOptions.Default;
        if (options.Method.IsStiff) return SolveStiff(field, y0, t0, t1, options);
        return SolveCore(field, y0, t0, t1, options);
    }

    private static OdeSolution SolveCore<TField>(in TField field, ReadOnlySpan<double> y0, double t0, double t1, SolverOptions options)
        where TField : struct, IVectorField
    {
        Validate(t0, t1, options);
        var integrator = new RungeKuttaIntegrator<TField>(y0.Length, options);
        var solution = CreateSolution(integrator, y0.Length, t0, t1, options);
        integrator.Reset(field, y0, t0, t1);
        return Drive(integrator, solution, y0, t0, t1, options);
    }

    private static OdeSolution SolveStiff<TField>(in TField field, ReadOnlySpan<double> y0, double t0, double t1, SolverOptions options)
        where TField : struct, IJacobianField
    {
        Validate(t0, t1, options);
        if (options.Method.Esdirk is not null)
        {
            var esdirk = new EsdirkIntegrator<TField>(y0.Length, options);
            var result = CreateSolution(esdirk, y0.Length, t0, t1, options);
            esdirk.Reset(field, y0, t0, t1);
            return Drive(esdirk, result, y0, t0, t1, options);
        }
        var integrator = new RosenbrockIntegrator<TField>(y0.Length, options);
        var solution = CreateSolution(integrator, y0.Length, t0, t1, options);
        integrator.Reset(field, y0, t0, t1);
        return Drive(integrator, solution, y0, t0, t1, options);
    }

    private static void Validate(double t0, double t1, SolverOptions options)
    {
        Guard.Interval(t0, t1);
        if (options.SaveAt is { } saveAt) ValidateSaveAt(saveAt, t0, t1);
    }

    private static OdeSolution CreateSolution(IOdeIntegrator integrator, int n, double t0, double t1, SolverOptions options)
    {
        bool saveSteps = options.SaveAt is null && options.SaveSteps;
        int capacity = options.SaveAt?.Length ?? (saveSteps ? 64 : 2);
        return new OdeSolution(n, t0, t1, options, integrator.DenseDegree, capacity);
    }

    // The loop every method shares: step, keep dense output, save, locate events. The integrator is Reset already.
    private static OdeSolution Drive(IOdeIntegrator integrator, OdeSolution solution, ReadOnlySpan<double> y0,
        double t0, double t1, SolverOptions options)
    {
        double[]? saveAt = options.SaveAt;
        bool saveSteps = saveAt is null && options.SaveSteps;
        double direction = t1 >= t0 ? 1.0 : -1.0;
        EventLocator? events = options.Events is { Count: > 0 } list ? new EventLocator(list, y0.Length) : null;
        events?.Start(t0, y0);

        int next = 0;
        if (saveAt is not null)
        {
            while (next < saveAt.Length && saveAt[next] == t0) y0.CopyTo(solution.AddSaved(saveAt[next++]));
        }
        else
        {
            y0.CopyTo(solution.AddSaved(t0));
        }

        double[]? stopState = null;
        double stopTime = t0;
        while (integrator.Step())
        {
            bool stop = events is not null && events.Check(integrator, solution, out stopTime, out stopState);
            double t = stop ? stopTime : integrator.Time;
            if (options.Dense) solution.AddDenseStep(integrator);
            if (saveAt is not null)
            {
                // Every save time inside the step just taken (up to a terminal event), from that step's dense output:
                // saving never shortens steps.
                while (next < saveAt.Length && direction * (saveAt[next] - t) <= 0)
                {
                    double ts = saveAt[next++];
                    Span<double> slot = solution.AddSaved(ts);
                    if (ts == integrator.Time) integrator.State.CopyTo(slot);
                    else if (stop && ts == t) stopState.CopyTo(slot);
                    else integrator.Interpolate(ts, slot);
                }
            }
            else if (saveSteps)
            {
                if (stop) stopState.CopyTo(solution.AddSaved(t));
                else integrator.State.CopyTo(solution.AddSaved(t));
            }
            if (stop) break;
        }

        if (stopState is not null)
        {
            if (saveAt is null && !saveSteps) stopState.CopyTo(solution.AddSaved(stopTime));
            solution.Finish(OdeStatus.EventTerminated, stopTime, stopState, integrator.Stats);
            return solution;
        }
        if (saveAt is null && !saveSteps) integrator.State.CopyTo(solution.AddSaved(integrator.Time));
        solution.Finish(integrator.Status, integrator.Time, integrator.State, integrator.Stats);
        return solution;
    }

    private static void ValidateSaveAt(double[] saveAt, double t0, double t1)
    {
        double lo = Math.Min(t0, t1), hi = Math.Max(t0, t1), direction = t1 >= t0 ? 1.0 : -1.0;
        for (int i = 0; i < saveAt.Length; i++)
        {
            double t = saveAt[i];
            if (!double.IsFinite(t))
                throw new ArgumentException(Format($"SaveAt[{i}] is {t}; save times must be finite."), "options");
            if (t < lo || t > hi)
                throw new ArgumentException(Format($"SaveAt[{i}] = {t} lies outside the solve's span [{lo}, {hi}] (t0 = {t0}, t1 = {t1})."), "options");
            if (i > 0 && direction * (t - saveAt[i - 1]) < 0)
                throw new ArgumentException(Format(
                    $"SaveAt must be monotone in the direction of integration ({(direction > 0 ? "increasing" : "decreasing")}, t0 = {t0} to t1 = {t1}), but SaveAt[{i}] = {t} comes after SaveAt[{i - 1}] = {saveAt[i - 1]}."), "options");
        }
    }

    private static string Format(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
