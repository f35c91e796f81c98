using System.Text.RegularExpressions;

namespace OdeGen.Generators.Tests.Infrastructure;

/// <summary>
/// The float flavour of double test sources, written by rewriting their text: double becomes float, Math becomes
/// MathF, literals with a decimal point get the f suffix, and each namespace gains ".Single" so a program and its float
/// form can share a compilation. Enough for the random programs and DESIGN.md's Lorenz, whose text uses nothing else.
/// </summary>
internal static class SingleSources
{
    /// <summary>The float form of <paramref name="source"/>.</summary>
    public static string FromDouble(string source)
    {
        string text = Regex.Replace(source, @"\bdouble\b", "float");
        text = Regex.Replace(text, @"\bMath\.", "MathF.");
        text = Regex.Replace(text, @"(?<![\w.])(\d+\.\d+)(?![\w.])", "$1f");
        return Regex.Replace(text, @"^namespace ([\w.]+);", "namespace $1.Single;", RegexOptions.Multiline);
    }
}
