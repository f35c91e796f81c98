namespace OdeGen;

/// <summary>Argument checks shared by the public entry points, with messages that say what was expected.</summary>
internal static class Guard
{
    /// <summary>Throws unless <paramref name="values"/> has <paramref name="expected"/> finite entries; <paramref name="what"/> names the size expected.</summary>
    public static void FiniteVector(ReadOnlySpan<double> values, int expected, string name, string what)
    {
        if (values.Length != expected)
            throw new ArgumentException($"{name} must have length {expected} (the system's {what}), but has length {values.Length}.", name);
        for (int i = 0; i < values.Length; i++)
        {
            if (!double.IsFinite(values[i]))
                throw new ArgumentException($"{name}[{i}] is {values[i]}; every entry must be finite.", name);
        }
    }

    /// <summary>Throws unless <paramref name="value"/> is finite.</summary>
    public static void FiniteTime(double value, string name)
    {
        if (!double.IsFinite(value)) throw new ArgumentException($"{name} is {value}; times must be finite.", name);
    }

    /// <summary>
    /// Throws unless both ends are finite and so is their difference: |t1 − t0| can overflow to ∞ for finite ends
    /// (−1e308 to 1e308), and no step size could then be chosen.
    /// </summary>
    public static void Interval(double t0, double t1, string name0 = "t0", string name1 = "t1")
    {
        FiniteTime(t0, name0);
        FiniteTime(t1, name1);
        if (!double.IsFinite(t1 - t0))
            throw new ArgumentException(
                FormattableString.Invariant($"{name1} − {name0} = {t1} − ({t0}) overflows to {t1 - t0}; the time span must be a finite number (rescale time)."), name1);
    }

    /// <summary>
    /// Throws unless the system has a state: a runtime-sized system created with <c>default</c> or a parameterless
    /// <c>new</c> has StateCount 0, and every size check after that would only say "must have length 0".
    /// </summary>
    public static void Sizes<TSystem>(in TSystem system) where TSystem : struct, IOdeSystem
    {
        if (system.StateCount <= 0)
            throw new ArgumentException(
                $"{typeof(TSystem).Name}.StateCount is {system.StateCount}: a system needs at least one state. A runtime-sized system " +
                $"must be created with its sizes (new {typeof(TSystem).Name}(states, …)), not with default or a constructor without them.", nameof(system));
        if (system.ParameterCount < 0)
            throw new ArgumentException($"{typeof(TSystem).Name}.ParameterCount is {system.ParameterCount}; it cannot be negative.", nameof(system));
    }

    /// <summary>
    /// Throws unless the value a loss callback returned and every entry of the ∂L/∂y it wrote (row i = times[i],
    /// <paramref name="stateCount"/> wide) are finite: the same rule as for a dLdy argument, where a NaN or ∞ made the forward
    /// sensitivities and the discrete adjoint return NaN gradients with status Success and the other adjoints NonFiniteValue;
    /// a NaN value was returned as the loss (and summed into an ensemble's) with Success. <paramref name="trajectory"/>: the
    /// ensemble trajectory whose loss it was (−1: a single trajectory). Nothing is allocated unless it throws.
    /// </summary>
    public static void FiniteLoss(double value, ReadOnlySpan<double> dLdy, int stateCount, int trajectory = -1)
    {
        string Of() => trajectory >= 0 ? $" of trajectory {trajectory}" : "";
        if (!double.IsFinite(value))
            throw new ArgumentException(FormattableString.Invariant($"The loss{Of()} returned {value}: its value must be finite."), "loss");
        for (int k = 0; k < dLdy.Length; k++)
        {
            if (double.IsFinite(dLdy[k])) continue;
            throw new ArgumentException(FormattableString.Invariant(
                $"The loss{Of()} wrote ∂L/∂y = {dLdy[k]} at times[{k / stateCount}], component {k % stateCount}: every entry of its dLdy must be finite."), "loss");
        }
    }

    /// <summary>Checks y0 and p against the system's sizes.</summary>
    public static void StateAndParameters<TSystem>(in TSystem system, ReadOnlySpan<double> y0, ReadOnlySpan<double> p)
        where TSystem : struct, IOdeSystem
    {
        Sizes(system);
        FiniteVector(y0, system.StateCount, "y0", "StateCount");
        FiniteVector(p, system.ParameterCount, "p", "ParameterCount");
    }
}
