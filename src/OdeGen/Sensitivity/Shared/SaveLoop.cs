using OdeGen.Solvers;

namespace OdeGen;

/// <summary>Integrates to an end time and records the (augmented) state at requested times on the way.</summary>
internal static class SaveLoop
{
    /// <summary>
    /// Checks <see cref="SolverOptions.SaveAt"/> against [t0, t1]: finite, inside the span, ordered in the
    /// direction of integration. Returns a copy (empty when null).
    /// </summary>
    public static double[] CheckSaveTimes(double[]? saveAt, double t0, double t1)
    {
        if (saveAt is null || saveAt.Length == 0) return [];
        double direction = t1 >= t0 ? 1.0 : -1.0;
        for (int i = 0; i < saveAt.Length; i++)
        {
            double s = saveAt[i];
            Guard.FiniteTime(s, $"SaveAt[{i}]");
            if ((s - t0) * direction < 0 || (t1 - s) * direction < 0)
                throw new ArgumentException($"SaveAt[{i}] = {s} lies outside [t0, t1] = [{t0}, {t1}].", "options");
            if (i > 0 && (s - saveAt[i - 1]) * direction < 0)
                throw new ArgumentException($"SaveAt must be ordered in the direction of integration, but SaveAt[{i}] = {s} follows SaveAt[{i - 1}] = {saveAt[i - 1]}.", "options");
        }
        return (double[])saveAt.Clone();
    }

    /// <summary>
    /// Integrates from (t0, x0) to t1 and writes the state at saveTimes[k] into row k of
    /// <paramref name="saved"/> (dense output inside steps, so saving does not shorten them).
    /// Returns the status; the final state is the integrator's.
    /// </summary>
    public static OdeStatus Run<TField>(IOdeIntegrator<TField> integrator, in TField field, ReadOnlySpan<double> x0,
        double t0, double t1, double[] saveTimes, Span<double> saved) where TField : struct, IJacobianField
    {
        int d = x0.Length, k = 0;
        double direction = t1 >= t0 ? 1.0 : -1.0;
        integrator.Reset(field, x0, t0, t1);
        for (; k < saveTimes.Length && saveTimes[k] == t0; k++) x0.CopyTo(saved.Slice(k * d, d));
        while (integrator.Step())
        {
            for (; k < saveTimes.Length && (saveTimes[k] - integrator.Time) * direction <= 0; k++)
            {
                Span<double> row = saved.Slice(k * d, d);
                if (saveTimes[k] == integrator.Time) integrator.State.CopyTo(row);
                else integrator.Interpolate(saveTimes[k], row);
            }
        }
        return integrator.Status;
    }
}
