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
        var field = new SystemField<TSystem>(system, p.ToArray());
        return SolveCore(field, y0, t0, t1, options ?? SolverOptions.Default);
    }

    /// <summary>
    /// Solves dy/dt = F(t, y) for a vector field with no separate parameters (augmented systems, hand-written
    /// fields). Same behaviour as the <see cref="IOdeSystem"/> overload.
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
        return SolveCore(field, y0, t0, t1, options ?? SolverOptions.Default);
    }

    private static OdeSolution SolveCore<TField>(in TField field, ReadOnlySpan<double> y0, double t0, double t1, SolverOptions options)
        where TField : struct, IVectorField
    {
        Guard.FiniteTime(t0, nameof(t0));
        Guard.FiniteTime(t1, nameof(t1));
        double[]? saveAt = options.SaveAt;
        if (saveAt is not null) ValidateSaveAt(saveAt, t0, t1);

        int n = y0.Length;
        var integrator = new RungeKuttaIntegrator<TField>(n, options);
        bool saveSteps = saveAt is null && options.SaveSteps;
        int capacity = saveAt?.Length ?? (saveSteps ? 64 : 2);
        var solution = new OdeSolution(n, t0, t1, options, integrator.DenseDegree, capacity);
        double direction = t1 >= t0 ? 1.0 : -1.0;

        integrator.Reset(field, y0, t0, t1);
        int next = 0;
        if (saveAt is not null)
        {
            while (next < saveAt.Length && saveAt[next] == t0) y0.CopyTo(solution.AddSaved(saveAt[next++]));
        }
        else
        {
            y0.CopyTo(solution.AddSaved(t0));
        }

        while (integrator.Step())
        {
            if (options.Dense) solution.AddDenseStep(integrator);
            if (saveAt is not null)
            {
                // Every save time inside the step just taken, from that step's dense output: saving never shortens steps.
                double t = integrator.Time;
                while (next < saveAt.Length && direction * (saveAt[next] - t) <= 0)
                {
                    double ts = saveAt[next++];
                    Span<double> slot = solution.AddSaved(ts);
                    if (ts == t) integrator.State.CopyTo(slot);
                    else integrator.Interpolate(ts, slot);
                }
            }
            else if (saveSteps)
            {
                integrator.State.CopyTo(solution.AddSaved(integrator.Time));
            }
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
