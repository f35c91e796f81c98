using OdeGen.Solvers;

namespace OdeGen;

/// <summary>
/// The save times of <c>Ode.Jvp</c> and <c>Ode.Sensitivities</c> (<see cref="SolverOptions.SaveAt"/>), checked; their forward
/// pass is the observation shell's (<see cref="ObservationShell.SolveThroughObservations{TField, TRun}"/>).
/// </summary>
internal static class SaveTimes
{
    /// <summary>
    /// Checks <see cref="SolverOptions.SaveAt"/> against [t0, t1]: finite, inside the span, ordered in the
    /// direction of integration. Returns a copy (empty when null).
    /// </summary>
    public static double[] Check(double[]? saveAt, double t0, double t1)
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
}
