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

    /// <summary>Checks y0 and p against the system's sizes.</summary>
    public static void StateAndParameters<TSystem>(in TSystem system, ReadOnlySpan<double> y0, ReadOnlySpan<double> p)
        where TSystem : struct, IOdeSystem
    {
        FiniteVector(y0, system.StateCount, "y0", "StateCount");
        FiniteVector(p, system.ParameterCount, "p", "ParameterCount");
    }
}
