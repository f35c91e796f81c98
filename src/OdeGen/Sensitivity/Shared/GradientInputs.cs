namespace OdeGen;

/// <summary>
/// The checked, copied inputs of a gradient computation. Copying once per call lets the vector fields
/// hold plain arrays (spans cannot live in the integrator's field) and protects against callers that
/// mutate their buffers while the computation runs.
/// </summary>
internal sealed class GradientInputs
{
    private GradientInputs(double[] y0, double[] p, double t0, double[] times, double[] dLdy, double direction, ObservationLoss? loss)
    {
        Y0 = y0;
        P = p;
        T0 = t0;
        Times = times;
        DLdy = dLdy;
        Direction = direction;
        Loss = loss;
        States = new double[times.Length * y0.Length];
        Array.Fill(States, double.NaN);
    }

    /// <summary>The loss that fills <see cref="DLdy"/> from the forward states, or null when the caller gave dLdy.</summary>
    public ObservationLoss? Loss { get; }

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
    }

    public double[] Y0 { get; }
    public double[] P { get; }
    public double T0 { get; }
    /// <summary>Observation times, monotone away from <see cref="T0"/>; times[0] may equal T0.</summary>
    public double[] Times { get; }
    /// <summary>Row i = ∂L/∂y(times[i]).</summary>
    public double[] DLdy { get; }
    /// <summary>+1 when the times lie after t0, −1 when they lie before it (a backward-in-time problem).</summary>
    public double Direction { get; }
    public int StateCount => Y0.Length;
    public int ParameterCount => P.Length;
    public int Count => Times.Length;

    public ReadOnlySpan<double> DLdyRow(int i) => DLdy.AsSpan(i * Y0.Length, Y0.Length);

    /// <summary>Checks every argument of <see cref="Ode.Gradient{TSystem}(in TSystem, ReadOnlySpan{double}, ReadOnlySpan{double}, double, ReadOnlySpan{double}, ReadOnlySpan{double}, Sensitivity?, SolverOptions?)"/> and copies it.</summary>
    public static GradientInputs Create<TSystem>(in TSystem system, ReadOnlySpan<double> y0, ReadOnlySpan<double> p,
        double t0, ReadOnlySpan<double> times, ReadOnlySpan<double> dLdy) where TSystem : struct, IOdeSystem
    {
        Guard.StateAndParameters(system, y0, p);
        Guard.FiniteTime(t0, nameof(t0));
        double direction = ObservationTimes.Check(t0, times, nameof(times));
        int n = system.StateCount;
        Guard.FiniteVector(dLdy, times.Length * n, nameof(dLdy), $"StateCount × times.Length = {n} × {times.Length}");
        return new GradientInputs(y0.ToArray(), p.ToArray(), t0, times.ToArray(), dLdy.ToArray(), direction, loss: null);
    }

    /// <summary>Checks the arguments of <see cref="Ode.LossGradient{TSystem}(in TSystem, ReadOnlySpan{double}, ReadOnlySpan{double}, double, ReadOnlySpan{double}, ObservationLoss, Sensitivity?, SolverOptions?)"/> and copies them; dLdy starts at zero.</summary>
    public static GradientInputs Create<TSystem>(in TSystem system, ReadOnlySpan<double> y0, ReadOnlySpan<double> p,
        double t0, ReadOnlySpan<double> times, ObservationLoss loss) where TSystem : struct, IOdeSystem
    {
        ArgumentNullException.ThrowIfNull(loss);
        Guard.StateAndParameters(system, y0, p);
        Guard.FiniteTime(t0, nameof(t0));
        double direction = ObservationTimes.Check(t0, times, nameof(times));
        return new GradientInputs(y0.ToArray(), p.ToArray(), t0, times.ToArray(), new double[times.Length * system.StateCount], direction, loss);
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
        for (int i = 0; i < times.Length; i++) Guard.FiniteTime(times[i], $"{name}[{i}]");
        Guard.Interval(t0, times[^1], "t0", $"{name}[{times.Length - 1}]");
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
