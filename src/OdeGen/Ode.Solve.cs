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
        double[] parameters = p.ToArray();
        // Stiff methods get the system's own Jacobian (IOdeSystem.Jacobian) and ∂f/∂t (IOdeSystem.Jvp with tDot = 1).
        return SolveCore(new SystemField<TSystem>(system, parameters), y0, t0, t1, options, parameters,
            RegisterStages.For(system, options, parameters));
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
        // A method that uses ∂F/∂y gets it by differences; the others step the field as it is.
        if (options.Method.IsStiff) return SolveCore(new FiniteDifferenceJacobianField<TField>(field), y0, t0, t1, options, []);
        return SolveCore(new WithoutJacobian<TField>(field), y0, t0, t1, options, []);
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
        return SolveCore(field, y0, t0, t1, options, []);
    }

    // Every method: its family creates the integrator, and one loop (Drive) saves, keeps dense output and locates events.
    // Small generated systems bring their stages in registers (RegisterStages, the same bits as the kernel's).
    private static OdeSolution SolveCore<TField>(in TField field, ReadOnlySpan<double> y0, double t0, double t1, SolverOptions options, double[] p,
        RegisterStages? registers = null)
        where TField : struct, IJacobianField
    {
        Validate(t0, t1, options);
        if (registers is not null && registers.SolvesWhole(options)) return SolveInRegisters(registers, y0, t0, t1, options);
        IOdeIntegrator<TField> integrator = options.Method.CreateIntegrator<TField>(y0.Length, options);
        if (registers is not null && integrator is RungeKuttaIntegrator<TField> explicitIntegrator) explicitIntegrator.UseRegisterStages(registers);
        var solution = CreateSolution(integrator, y0.Length, t0, t1, options);
        integrator.Reset(field, y0, t0, t1);
        return Drive(integrator, solution, y0, t0, t1, options, p);
    }

    // The whole solve in the system's registers (RegisterSteps): the integrator's result bit for bit, with no events. It saves
    // as Drive does: SaveAt's times (during the solve); or t0 and then every accepted step (SaveSteps, during the solve) or the
    // end; and with Dense every accepted step's continuous extension.
    private static OdeSolution SolveInRegisters(RegisterStages registers, ReadOnlySpan<double> y0, double t0, double t1, SolverOptions options)
    {
        int n = y0.Length;
        bool saveSteps = options.SaveAt is null && options.SaveSteps;
        var solution = new OdeSolution(n, t0, t1, options, options.Method.DenseDegree, options.SaveAt?.Length ?? (saveSteps ? 64 : 2));
        if (options.SaveAt is null) y0.CopyTo(solution.AddSaved(t0));
        Span<double> end = stackalloc double[n];
        OdeStatus status = registers.Solve(y0, t0, t1, options, end, solution, out double time, out SolverStats stats);
        if (options.SaveAt is null && !saveSteps) end.CopyTo(solution.AddSaved(time));
        solution.Finish(status, time, end, stats);
        return solution;
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

    // The loop every method shares: step, keep dense output, save, locate events; an event with a reset stops the
    // step at the event, replaces the state and restarts the integrator there. The integrator is Reset already.
    private static OdeSolution Drive<TField>(IOdeIntegrator<TField> integrator, OdeSolution solution, ReadOnlySpan<double> y0,
        double t0, double t1, SolverOptions options, double[] p)
        where TField : struct, IVectorField
    {
        double[]? saveAt = options.SaveAt;
        bool saveSteps = saveAt is null && options.SaveSteps;
        double direction = t1 >= t0 ? 1.0 : -1.0;
        int n = y0.Length;
        EventLocator? events = options.Events is { Count: > 0 } list ? new EventLocator(list, options.EventInteriorPoints, n, n) : null;
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

        bool terminated = false;
        while (integrator.Step())
        {
            int fired = events is null ? -1 : events.Check(integrator, solution.EventList);
            OdeEvent? ev = fired >= 0 ? events!.Events[fired] : null;
            bool terminal = ev is { Terminal: true }, reset = ev is { Terminal: false, Reset: not null };
            double t = ev is not null ? events!.StopTime : integrator.Time;
            if (options.Dense) solution.AddDenseStep(integrator, t);
            if (saveAt is not null)
            {
                // Every save time inside the step just taken (up to the event), from that step's dense output: saving never
                // shortens steps. A save time on a reset is saved after the reset (the solution is right-continuous).
                while (next < saveAt.Length && (direction * (saveAt[next] - t) < 0 || (!reset && saveAt[next] == t)))
                {
                    double ts = saveAt[next++];
                    Span<double> slot = solution.AddSaved(ts);
                    if (ev is not null && ts == t) events!.StopState.CopyTo(slot);
                    else if (ts == integrator.Time) integrator.State.CopyTo(slot);
                    else integrator.Interpolate(ts, slot);
                }
            }
            else if (saveSteps && !reset)
            {
                if (terminal) events!.StopState.CopyTo(solution.AddSaved(t));
                else integrator.State.CopyTo(solution.AddSaved(t));
            }
            if (terminal)
            {
                terminated = true;
                break;
            }
            if (!reset) continue;

            // y⁺ = h(y⁻, θ), then go on from (t*, y⁺) with the same field; the occurrence keeps both states.
            var after = new double[n];
            ev!.Reset!.Map(events!.StopState, p, after);
            events.StopOccurrence!.SetStateAfter(after);
            if (saveAt is not null) while (next < saveAt.Length && saveAt[next] == t) after.CopyTo(solution.AddSaved(saveAt[next++]));
            else if (saveSteps) after.CopyTo(solution.AddSaved(t));
            // The restart keeps counting attempts against MaxSteps: the budget holds for the whole solve (a Zeno sequence of
            // resets, like a ball whose bounces accumulate, ends with MaxStepsExceeded instead of looping), and a reset on t1
            // itself ends the solve.
            integrator.Restart(t, after);
            events.Restart(t, after, fired);
        }

        if (terminated)
        {
            double stopTime = events!.StopTime;
            if (saveAt is null && !saveSteps) events.StopState.CopyTo(solution.AddSaved(stopTime));
            solution.Finish(OdeStatus.EventTerminated, stopTime, events.StopState, integrator.Stats);
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
