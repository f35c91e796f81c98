namespace OdeGen;

/// <summary>
/// The checked, copied inputs of a gradient computation. Copying once per call lets the vector fields
/// hold plain arrays (spans cannot live in the integrator's field) and protects against callers that
/// mutate their buffers while the computation runs.
/// </summary>
internal sealed class GradientInputs
{
    private GradientInputs(int n, int m, int count)
    {
        Y0 = new double[n];
        P = new double[m];
        Times = new double[count];
        DLdy = new double[count * n];
        States = new double[count * n];
    }

    // Copies one call's arguments in, reusing this object's arrays (a workspace's inputs serve every call of its shape).
    private GradientInputs Load(ReadOnlySpan<double> y0, ReadOnlySpan<double> p, double t0, ReadOnlySpan<double> times,
        ReadOnlySpan<double> dLdy, double direction, ObservationLoss? loss)
    {
        y0.CopyTo(Y0);
        p.CopyTo(P);
        T0 = t0;
        times.CopyTo(Times);
        if (loss is null) dLdy.CopyTo(DLdy);
        else Array.Clear(DLdy);
        Direction = direction;
        Loss = loss;
        LossValue = double.NaN;
        Array.Fill(States, double.NaN);
        return this;
    }

    // Reuses <paramref name="reuse"/> when its arrays have this call's sizes.
    private static GradientInputs For(GradientInputs? reuse, int n, int m, int count) =>
        reuse is not null && reuse.Y0.Length == n && reuse.P.Length == m && reuse.Times.Length == count ? reuse : new GradientInputs(n, m, count);

    /// <summary>The loss that fills <see cref="DLdy"/> from the forward states, or null when the caller gave dLdy.</summary>
    public ObservationLoss? Loss { get; private set; }

    /// <summary>The forward pass's states at the observation times, row by row (NaN until <see cref="Observe"/>).</summary>
    public double[] States { get; }

    /// <summary>What <see cref="Loss"/> returned (NaN without a loss, or before <see cref="Observe"/>).</summary>
    public double LossValue { get; private set; } = double.NaN;

    /// <summary>
    /// Called by each method once its forward pass has the states at every observation time (row i = y(times[i])),
    /// before it reads <see cref="DLdy"/>: keeps the states and, with a <see cref="Loss"/>, computes the loss and
    /// ∂L/∂y into <see cref="DLdy"/>.
    /// </summary>
    public void Observe(ReadOnlySpan<double> states)
    {
        states.CopyTo(States);
        if (Loss is null) return;
        Array.Clear(DLdy);
        LossValue = Loss(states, DLdy);
        Guard.FiniteLoss(LossValue, DLdy, StateCount);
    }

    public double[] Y0 { get; }
    public double[] P { get; }
    public double T0 { get; private set; }
    /// <summary>Observation times, monotone away from <see cref="T0"/>; times[0] may equal T0.</summary>
    public double[] Times { get; }
    /// <summary>Row i = ∂L/∂y(times[i]).</summary>
    public double[] DLdy { get; }
    /// <summary>+1 when the times lie after t0, −1 when they lie before it (a backward-in-time problem).</summary>
    public double Direction { get; private set; }
    public int StateCount => Y0.Length;
    public int ParameterCount => P.Length;
    public int Count => Times.Length;

    public ReadOnlySpan<double> DLdyRow(int i) => DLdy.AsSpan(i * Y0.Length, Y0.Length);

    /// <summary>
    /// Checks every argument of <see cref="Ode.Gradient{TSystem}(in TSystem, ReadOnlySpan{double}, ReadOnlySpan{double}, double, ReadOnlySpan{double}, ReadOnlySpan{double}, Sensitivity?, SolverOptions?)"/>
    /// and copies it, into <paramref name="reuse"/> when that has the sizes of this call (a workspace's inputs; nothing is then allocated).
    /// </summary>
    public static GradientInputs Create<TSystem>(in TSystem system, ReadOnlySpan<double> y0, ReadOnlySpan<double> p,
        double t0, ReadOnlySpan<double> times, ReadOnlySpan<double> dLdy, GradientInputs? reuse = null) where TSystem : struct, IOdeSystem
    {
        Guard.StateAndParameters(system, y0, p);
        Guard.FiniteTime(t0, nameof(t0));
        double direction = ObservationTimes.Check(t0, times, nameof(times));
        int n = system.StateCount;
        // The message is built only for bad input: a workspace's call allocates nothing.
        if (dLdy.Length != times.Length * n || !AllFinite(dLdy))
            Guard.FiniteVector(dLdy, times.Length * n, nameof(dLdy), $"StateCount × times.Length = {n} × {times.Length}");
        return For(reuse, n, system.ParameterCount, times.Length).Load(y0, p, t0, times, dLdy, direction, loss: null);
    }

    private static bool AllFinite(ReadOnlySpan<double> values)
    {
        foreach (double v in values) if (!double.IsFinite(v)) return false;
        return true;
    }

    /// <summary>Checks the arguments of <see cref="Ode.LossGradient{TSystem}(in TSystem, ReadOnlySpan{double}, ReadOnlySpan{double}, double, ReadOnlySpan{double}, ObservationLoss, Sensitivity?, SolverOptions?)"/> and copies them; dLdy starts at zero.</summary>
    public static GradientInputs Create<TSystem>(in TSystem system, ReadOnlySpan<double> y0, ReadOnlySpan<double> p,
        double t0, ReadOnlySpan<double> times, ObservationLoss loss, GradientInputs? reuse = null) where TSystem : struct, IOdeSystem
    {
        ArgumentNullException.ThrowIfNull(loss);
        Guard.StateAndParameters(system, y0, p);
        Guard.FiniteTime(t0, nameof(t0));
        double direction = ObservationTimes.Check(t0, times, nameof(times));
        return For(reuse, system.StateCount, system.ParameterCount, times.Length).Load(y0, p, t0, times, default, direction, loss);
    }
}

/// <summary>Rules for the observation times of a loss.</summary>
internal static class ObservationTimes
{
    /// <summary>
    /// Times must be finite and strictly monotone, all on one side of t0: strictly increasing after t0, or
    /// strictly decreasing before it (integration backwards in time). The first may equal t0 (then the loss
    /// sees y0 itself). Returns the direction, +1 or −1 (+1 when the only time is t0).
    /// </summary>
    public static double Check(double t0, ReadOnlySpan<double> times, string name)
    {
        if (times.Length == 0) throw new ArgumentException($"{name} must hold at least one observation time.", name);
        // The names are formatted only for bad input (Ode.Gradient through a workspace allocates nothing).
        for (int i = 0; i < times.Length; i++)
            if (!double.IsFinite(times[i])) Guard.FiniteTime(times[i], $"{name}[{i}]");
        if (!double.IsFinite(times[^1] - t0)) Guard.Interval(t0, times[^1], "t0", $"{name}[{times.Length - 1}]");
        double direction = 1.0;
        foreach (double t in times)
        {
            if (t != t0) { direction = Math.Sign(t - t0); break; }
        }
        for (int i = 0; i < times.Length; i++)
        {
            if ((times[i] - t0) * direction < 0)
                throw new ArgumentException(
                    $"{name}[{i}] = {times[i]} lies on the other side of t0 = {t0} from {name}[0] = {times[0]}: all observation times must lie after t0 (or all before it, for a backward-in-time problem).", name);
        }
        for (int i = 1; i < times.Length; i++)
        {
            if (!((times[i] - times[i - 1]) * direction > 0))
                throw new ArgumentException(direction > 0
                    ? $"{name} must be strictly increasing after t0 = {t0}, but {name}[{i}] = {times[i]} follows {name}[{i - 1}] = {times[i - 1]}."
                    : $"{name} lie before t0 = {t0}, so they must be strictly decreasing (a backward-in-time problem), but {name}[{i}] = {times[i]} follows {name}[{i - 1}] = {times[i - 1]}.", name);
        }
        return direction;
    }
}
