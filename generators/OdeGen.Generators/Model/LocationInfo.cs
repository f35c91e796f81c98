using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace OdeGen.Generators.Model;

/// <summary>
/// A source location as plain data. <see cref="Location"/> holds a syntax tree, which would keep
/// the compilation alive and defeat caching, so only the path and spans travel through the pipeline.
/// </summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    /// <summary>Captures <paramref name="location"/>; null when it is not in source.</summary>
    public static LocationInfo? From(Location? location)
    {
        if (location is null || !location.IsInSource)
        {
            return null;
        }

        return new LocationInfo(location.SourceTree!.FilePath, location.SourceSpan, location.GetLineSpan().Span);
    }

    /// <summary>
    /// Rebuilds a Roslyn location for reporting: in <paramref name="compilation"/>'s syntax tree of the same path when there
    /// is one that still spans it (a source location, which the user's pragmas and suppressions apply to), else from the
    /// path and spans alone.
    /// </summary>
    public Location ToLocation(Compilation? compilation = null)
    {
        if (compilation is not null)
        {
            foreach (SyntaxTree tree in compilation.SyntaxTrees)
            {
                if (string.Equals(tree.FilePath, FilePath, StringComparison.Ordinal) && Span.End <= tree.Length)
                {
                    return Location.Create(tree, Span);
                }
            }
        }

        return Location.Create(FilePath, Span, LineSpan);
    }
}
