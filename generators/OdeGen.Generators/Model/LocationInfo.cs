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

    /// <summary>Rebuilds a Roslyn location for reporting.</summary>
    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);
}
