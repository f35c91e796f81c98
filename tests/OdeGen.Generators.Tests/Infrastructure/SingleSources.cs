using System.Text.RegularExpressions;

namespace OdeGen.Generators.Tests.Infrastructure;

/// <summary>
/// The float flavour of double test sources, written by rewriting their text: double becomes float, Math becomes
/// MathF, literals with a decimal point or an exponent get the f suffix (integers stay ints, which C# converts), and
/// each file-scoped namespace gains ".Single". Enough for the random programs and the double scenarios, whose text uses
/// nothing else that differs between the two.
/// </summary>
internal static class SingleSources
{
    /// <summary>The float form of <paramref name="source"/>.</summary>
    public static string FromDouble(string source)
    {
        string text = Regex.Replace(source, @"\bdouble\b", "float");
        text = Regex.Replace(text, @"\bMath\.", "MathF.");
        text = Regex.Replace(text, @"(?<![\w.])(\d+\.\d+(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+)(?![\w.])", "$1f");
        return Regex.Replace(text, @"^namespace ([\w.]+);", "namespace $1.Single;", RegexOptions.Multiline);
    }
}
