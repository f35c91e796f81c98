using System.Globalization;

namespace OdeGen.Generators.Emit;

/// <summary>C# literals that mean the same in every culture.</summary>
internal static class Literals
{
    /// <summary>
    /// A double literal that round-trips exactly ("R", invariant culture: the current culture
    /// could print a comma or a U+2212 minus sign, which would not compile).
    /// </summary>
    public static string Double(double value)
    {
        if (double.IsNaN(value))
        {
            return "double.NaN";
        }

        if (double.IsInfinity(value))
        {
            return value > 0 ? "double.PositiveInfinity" : "double.NegativeInfinity";
        }

        string text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.IndexOfAny(new[] { '.', 'E', 'e' }) < 0 ? text + ".0" : text;
    }

    /// <summary>A float literal that round-trips exactly, with its 'f' suffix.</summary>
    public static string Single(double value)
    {
        float f = (float)value;
        if (float.IsNaN(f))
        {
            return "float.NaN";
        }

        if (float.IsInfinity(f))
        {
            return f > 0 ? "float.PositiveInfinity" : "float.NegativeInfinity";
        }

        string text = f.ToString("R", CultureInfo.InvariantCulture);
        return (text.IndexOfAny(new[] { '.', 'E', 'e' }) < 0 ? text + ".0" : text) + "f";
    }

    /// <summary>An int literal in invariant culture.</summary>
    public static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);
}
