namespace OdeGen.Solvers;

/// <summary>What the integrators' Reset and Restart refuse or report, in one place for the three families.</summary>
internal static class RestartGuard
{
    /// <summary>
    /// Throws unless <paramref name="y"/> has the integrator's length and <paramref name="t"/> is finite and lies in the interval of the last Reset, [<paramref name="origin"/>,
    /// <paramref name="end"/>] (either direction). A restart continues towards the same end: from a t past the end the step
    /// loop turned round and integrated backwards to it, reported as a success, and from a t before the origin it integrated
    /// over more than the interval the caller set up.
    /// </summary>
    public static void Arguments(double t, ReadOnlySpan<double> y, int n, double origin, double end)
    {
        // Before any Reset the loop's interval was [0, 0] with a default field: a restart from t integrated that field to 0.
        if (double.IsNaN(origin)) throw new InvalidOperationException("Restart continues the integration a Reset started, but this integrator has not been Reset: call Reset first.");

        // Named here: Reset's own check named y0, which Restart does not have.
        if (y.Length != n) throw new ArgumentException($"y must have length {n} (the integrator's dimension), but has length {y.Length}.", nameof(y));
        if (!double.IsFinite(t)) throw new ArgumentException($"t is {t}; a restart's time must be finite.", nameof(t));
        if (t < Math.Min(origin, end) || t > Math.Max(origin, end))
        {
            throw new ArgumentOutOfRangeException(nameof(t), t, FormattableString.Invariant(
                $"A restart continues the integration of the last Reset, from {origin} to {end}, so t must lie in that interval, but is {t}. Call Reset to integrate over another interval."));
        }
    }

    /// <summary>
    /// After the step loop began from <paramref name="y0"/>: a state with NaN or ∞ ends the integration with
    /// <see cref="OdeStatus.NonFiniteValue"/> also when there is nothing to step (t0 = tEnd), where it was a success with a
    /// NaN final state (an event's reset map that returned NaN on the end time, for instance). Elsewhere the first
    /// evaluation of F already failed it.
    /// </summary>
    public static void FailOnNonFiniteState(ref StepLoop loop, ReadOnlySpan<double> y0)
    {
        if (loop.Status == OdeStatus.Success && !StepControl.AllFinite(y0)) loop.Fail(OdeStatus.NonFiniteValue);
    }
}
